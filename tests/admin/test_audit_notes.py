"""The audit page's notes in the page's language (rating/admin/audit_notes.py): each shape
an area stores read back in words, role labels and unit paths for codes, on SQLite and
PostgreSQL; a note of another shape (an old row) shown as written."""

from __future__ import annotations

from rating.admin import access, audit_log, auth, kiosk_admin, unit_admin
from rating.admin.audit_log import ALL_ACTIONS
from rating.admin.audit_notes import AS_WRITTEN, SHAPES, entry_note
from rating.notify import service as notify
from rating.store import Store
from rating.supervisors.store import add_supervisor
from rating.workorders import service as workorders
from tests.admin.test_audit_page import STATION, _rows
from tests.cases.helpers import QIAODONG, add_user, login
from tests.cases.helpers import rows as rows_of
from tests.cases.test_backends import store  # noqa: F401 - the fixture
from tests.conftest import Web


async def test_notes_in_words_with_roles_and_unit_paths(web: Web) -> None:
    await add_user(web, "centre", "admin")
    await add_user(web, "east", "viewer")
    centre = await web.store.read(auth.user_by_name, "centre")
    assert centre is not None
    station = await web.store.ensure_unit_path(STATION)
    # The users page sends the unit's code; the note keeps it as given ("east unit_manager
    # <code>"), the page shows the role's label and the unit's path.
    await access.change_access(web.store, centre.actor(), "east", "unit_manager", station.code)
    [(note,)] = rows_of(web.svc.settings, "SELECT note FROM audit_log WHERE action = 'user_access'")
    assert note == f"east unit_manager {station.code}"
    await login(web, "centre")
    zh = _rows((await web.client.get("/admin/audit?kind=users&lang=zh")).text)
    assert [n for _, _, act, n in zh if act == "修改角色或范围"] == [
        f"east：单位负责人，范围 {STATION}"
    ]
    en = _rows((await web.client.get("/admin/audit?kind=users&lang=en")).text)
    assert [n for _, _, act, n in en if act == "Role or scope changed"] == [
        f"east: Unit manager, scope {STATION}"
    ]
    assert "centre: Administrator, scope Whole bureau" in [n for *_, n in en]
    assert station.code not in (await web.client.get("/admin/audit?kind=users")).text


# (action, note as stored, the page in Chinese, in English) for each shape a writer stores.
NOTES = [
    ("user_add", "li si viewer", "li si：只读，范围 全局", "li si: Read-only, scope Whole bureau"),
    ("user_access", "bob admin 1/2", "bob：管理员，范围 1/2", "bob: Administrator, scope 1/2"),
    ("token_add", "bob nightly export", "bob 的令牌“nightly export”",
     "bob's token “nightly export”"),
    ("token_revoke", "bob ci", "bob 的令牌“ci”", "bob's token “ci”"),
    ("login_failed", "attempt 2", "连续第 2 次密码错误", "wrong password, 2 in a row"),
    ("lockout", "attempt 5", "连续第 5 次密码错误", "wrong password, 5 in a row"),
    ("kiosk_add", "窗口 1 130702", "窗口 1（局/东）", "窗口 1 (局/东)"),
    ("kiosk_pin", "100001", "警号 100001", "Badge 100001"),
    ("notify_add", "#3 https://h/x?***", "接收方 #3：https://h/x?***", "Target #3: https://h/x?***"),
    ("notify_edit", "#3 a***@b.cn", "接收方 #3：a***@b.cn", "Target #3: a***@b.cn"),
    ("notify_enable", "#3", "接收方 #3", "Target #3"),
    ("notify_disable", "#4", "接收方 #4", "Target #4"),
    ("notify_test", "#3 ok", "接收方 #3：发送成功", "Target #3: sent"),
    ("notify_test", "#3 HTTP 500", "接收方 #3：发送失败（HTTP 500）",
     "Target #3: failed (HTTP 500)"),
    ("notify_retry", "#12", "失败消息 #12", "Failed message #12"),
    ("notify_retry", "all", "全部失败消息", "All failed messages"),
    ("roster_import", "2 new, 1 updated, 0 retired", "新增 2 人，更新 1 人，离岗 0 人",
     "2 new, 1 updated, 0 retired"),
    ("officer_retire", "100002", "警号 100002", "Badge 100002"),
    ("officer_reissue", "100002", "警号 100002", "Badge 100002"),
    ("officer_move", "100001 局/东 -> 局/西", "警号 100001：局/东 → 局/西",
     "Badge 100001: 局/东 → 局/西"),
    ("alias_add", "东区 -> 局/东", "“东区” → 局/东", "“东区” → 局/东"),
    ("calendar", "2027-02-06 workday 春节调休", "2027-02-06：工作日（调休），春节调休",
     "2027-02-06: Working day (make-up) (春节调休)"),
    ("calendar", "2027-10-08 holiday", "2027-10-08：休息日", "2027-10-08: Holiday"),
    ("calendar", "year 2027 published", "2027 年日历已完整录入", "2027's calendar entered in full"),
    ("supervisor_add", "#2 王芳 2027-01-01..2028-12-31",
     "监督员 #2 王芳，任期 2027-01-01 至 2028-12-31",
     "Supervisor #2 王芳, term 2027-01-01 to 2028-12-31"),
    ("supervisor_end", "#2 王芳", "监督员 #2 王芳", "Supervisor #2 王芳"),
    ("supervisor_revoke", "#2 王芳", "监督员 #2 王芳", "Supervisor #2 王芳"),
    ("supervisor_reissue", "#2 王芳", "监督员 #2 王芳", "Supervisor #2 王芳"),
    ("workorder_rule_add", "12345 * 噪音", "12345 政务服务便民热线，工单类型：任意，类别：噪音",
     "12345 government service hotline, order type: any, category: 噪音"),
    ("workorder_rule_remove", "#7 12389 投诉 *",
     "规则 #7：12389 警务监督举报电话，工单类型：投诉，类别：任意",
     "Rule #7: 12389 police conduct reporting line, order type: 投诉, category: any"),
    ("spotcheck_sample", "day 2027-03-01", "抽取 2027-03-01 的评价",
     "Ratings of 2027-03-01 sampled"),
    ("spotcheck_claim", "spot-check 9", "抽查任务 #9", "Spot-check task #9"),
    ("spotcheck_reveal_phone", "spot-check 9", "抽查任务 #9", "Spot-check task #9"),
    ("spotcheck_outcome", "spot-check 9", "抽查任务 #9", "Spot-check task #9"),
    ("user_disable", "bob", "bob", "bob"),
]  # fmt: skip


def test_each_shape_a_writer_stores_reads_in_both_languages() -> None:
    units = {"130702": "局/东"}
    for action, note, zh, en in NOTES:
        assert entry_note(action, note, "zh", units) == zh, note
        assert entry_note(action, note, "en", units) == en, note
    # Every action's note is either read back or shown as written (a name, an alias).
    assert set(SHAPES) | AS_WRITTEN | {"purge"} == set(ALL_ACTIONS)
    assert set(SHAPES) - AS_WRITTEN <= {a for a, *_ in NOTES}


def test_other_notes_are_shown_as_written() -> None:
    # An old row, or a shape nobody writes any more, still renders: as it was stored.
    for action, note in [("user_access", "bob"), ("notify_retry", "#x"), ("calendar", "spring"),
                         ("kiosk_pin", ""), ("purge", "something else")]:  # fmt: skip
        assert entry_note(action, note, "en", {}) == note
    # A unit no longer found is shown as the note gave it.
    assert entry_note("kiosk_add", "k1 999", "en", {}) == "k1 (999)"


async def test_unit_paths_by_code_or_path_on_each_backend(store: Store) -> None:  # noqa: F811
    unit = await store.ensure_unit_path(STATION)
    found = await store.read(audit_log.unit_paths, [unit.code, QIAODONG, "no-such-unit"])
    assert found[unit.code] == STATION and found[STATION] == STATION
    assert found[QIAODONG] == QIAODONG and "no-such-unit" not in found
    assert await store.read(audit_log.unit_paths, []) == {}


async def test_what_the_areas_write_is_read_back_not_shown_raw(web: Web) -> None:
    """The real writers, not copies of their shapes: none of their notes is shown raw."""
    await add_user(web, "centre", "admin")
    centre = await web.store.read(auth.user_by_name, "centre")
    assert centre is not None
    me = centre.actor()
    station = await web.store.ensure_unit_path(STATION)
    await kiosk_admin.add_kiosk(web.store, me, "户籍窗口1", station.code)
    sub = await notify.add_subscription(
        web.store, STATION, "email", "ops@example.cn", "", "bad_rating", actor=me
    )
    await notify.set_disabled(web.store, sub, True, None, me)
    await workorders.add_rule(web.store, "12345", "", "噪音", me)
    await unit_admin.add_override(web.store, me, "2027-02-06", "workday", "春节调休")
    await unit_admin.publish_year(web.store, me, 2027, "")
    await web.store.write(add_supervisor, "王芳", None, ("2027-01-01", "2028-12-31"), me, 1)
    await login(web, "centre")
    en = _rows((await web.client.get("/admin/audit?lang=en")).text)
    stored = dict(rows_of(web.svc.settings, "SELECT action, note FROM audit_log"))
    notes = {act: n for _, _, act, n in en}
    assert notes["Kiosk added"] == f"户籍窗口1 ({STATION})"
    assert notes["Notification target added"] == f"Target #{sub}: o***@example.cn"
    assert notes["Notification target disabled"] == f"Target #{sub}"
    assert notes["Take-in rule added"] == (
        "12345 government service hotline, order type: any, category: 噪音"
    )
    assert "2027-02-06: Working day (make-up) (春节调休)" in [n for *_, n in en]
    assert "2027&#39;s calendar entered in full" in [n for *_, n in en]
    assert notes["Supervisor appointed"] == "Supervisor #1 王芳, term 2027-01-01 to 2028-12-31"
    for action in ("kiosk_add", "notify_add", "notify_disable", "workorder_rule_add",
                   "supervisor_add"):  # fmt: skip
        assert stored[action] not in notes.values(), action

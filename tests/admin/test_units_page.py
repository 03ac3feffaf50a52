"""The units page: the tree with counts in the user's scope, aliases made from the unmatched
names of recent imports (re-matching their work orders), the calendar; admins only for
changes; audited."""

from __future__ import annotations

import contextlib
import sqlite3

from rating.clock import now_ms
from rating.settings import Settings
from tests.cases.helpers import QIAODONG, add_user, hidden, login, rows
from tests.conftest import Web


def _unmatched_order(settings: Settings, name: str) -> None:
    now = now_ms()
    with contextlib.closing(sqlite3.connect(settings.database)) as conn, conn:
        cur = conn.execute(
            "INSERT INTO workorder_imports (channel, profile, file_name, file_sha256, "
            "rows_total, rows_new, rows_updated, rows_unchanged, rows_rejected, "
            "units_unmatched, officers_unmatched, imported_at) VALUES "
            "('12345', '12345', 'x.csv', 'ab', 1, 1, 0, 0, 0, 1, 0, ?)",
            (now,),
        )
        conn.execute(
            "INSERT INTO workorders (channel, order_no, received_at, unit_name, "
            "first_import_id, last_import_id, created_at, updated_at) VALUES "
            "('12345', 'A1', ?, ?, ?, ?, ?, ?)",
            (now, name, cur.lastrowid, cur.lastrowid, now, now),
        )


async def _post(web: Web, path: str, **fields: str) -> tuple[int, str]:
    page = await web.client.get("/admin/units")
    r = await web.client.post(path, data={"csrf": hidden(page.text, "csrf"), **fields})
    if r.status_code != 303:
        return r.status_code, r.text
    return 303, (await web.client.get("/admin/units")).text


async def test_tree_counts_and_scope(web: Web) -> None:
    await add_user(web, "admin1", "admin")
    await add_user(web, "east", "unit_manager", QIAODONG)
    r = await web.client.post("/api/v1/ratings", json=web.rating(0, level=5))
    assert r.status_code == 201
    web.client.cookies.clear()
    await login(web, "admin1")
    page = (await web.client.get("/admin/units")).text
    row = page.split(">胜利路派出所</a>")[1].split("</tr>")[0]
    assert '">2</a>' in row  # two active officers
    assert '<td data-label="本周评价">1</td>' in row
    assert "新华街派出所" in page
    await login(web, "east")
    page = (await web.client.get("/admin/units")).text
    assert "胜利路派出所" in page and "新华街派出所" not in page
    assert 'id="aliases"' not in page  # aliases are the admins'


async def test_alias_from_an_unmatched_name(web: Web, settings: Settings) -> None:
    _unmatched_order(settings, "桥东胜利路所")
    await add_user(web, "admin1", "admin")
    await login(web, "admin1")
    page = (await web.client.get("/admin/units")).text
    assert "/admin/units?alias=%E6%A1%A5" in page  # one click fills the form
    filled = (await web.client.get("/admin/units?alias=桥东胜利路所")).text
    assert 'name="alias" required maxlength="100" value="桥东胜利路所"' in filled
    unit = next(u for u in await web.store.list_units() if u.name == "胜利路派出所")
    status, shown = await _post(web, "/admin/units/alias", alias="桥东胜利路所", unit=unit.code)
    assert status == 303 and "1 条工单已重新匹配" in shown
    assert rows(settings, "SELECT unit_id FROM workorders") == [(unit.id,)]
    assert 'id="unmatched"' not in shown
    assert rows(
        settings, "SELECT actor_name, action FROM audit_log WHERE action = 'alias_add'"
    ) == [("admin1", "alias_add")]
    status, shown = await _post(web, "/admin/units/alias", alias="x", unit="nope")
    assert status == 400


async def test_calendar_override_and_publish(web: Web, settings: Settings) -> None:
    await add_user(web, "admin1", "admin")
    await login(web, "admin1")
    status, page = await _post(
        web, "/admin/units/override", date="2031-10-08", kind="workday", note="调休"
    )
    assert status == 303 and "2031-10-08" in page and "工作日（调休）" in page
    status, page = await _post(web, "/admin/units/override", date="2031-13-01", kind="holiday")
    assert status == 400
    status, page = await _post(web, "/admin/units/publish", year="2031")
    assert status == 303 and "2031" in page.split('id="calendar"')[1]
    assert rows(settings, "SELECT actor_name FROM audit_log WHERE action = 'calendar'") == [
        ("admin1",),
        ("admin1",),
    ]


async def test_units_refusals(web: Web, settings: Settings) -> None:
    await add_user(web, "admin1", "admin")
    await add_user(web, "v1", "viewer")
    await login(web, "v1")
    status, _ = await _post(web, "/admin/units/override", date="2031-10-08", kind="holiday")
    assert status == 403
    await login(web, "admin1")
    r = await web.client.post(
        "/admin/units/override", data={"date": "2031-10-08", "kind": "holiday"}
    )
    assert r.status_code == 403
    assert rows(settings, "SELECT COUNT(*) FROM calendar_overrides") == [(0,)]


async def test_a_letter_to_the_whole_bureau_breaks_no_admin_page(web: Web) -> None:
    """A letter sent without a unit opens a case of no unit: the dashboard and the units
    page counted cases by unit and failed with a 500 on it (the demo's database has two)."""
    from tests.mailbox.test_mailbox_web import letter_form, post

    r = await post(web, letter_form(web))
    assert r.status_code in (200, 303), r.text
    assert rows(web.svc.settings, "SELECT COUNT(*) FROM cases WHERE unit_id IS NULL") == [(1,)]
    await add_user(web, "admin1", "admin")
    await login(web, "admin1")
    for path in ("/admin", "/admin/units", "/admin/cases", "/admin/cases?source=letter"):
        assert (await web.client.get(path)).status_code == 200, path

"""Hotline work orders into the case loop through the admin pages and the command line
(issue 18, item 4): the order list, taking in one or many (CSRF, scope, read-only users,
closed orders only explicitly), the rules form, the case page showing the hotline's fields
beside the local handling after a re-import, and `pingjing workorders rules ...`."""

from __future__ import annotations

import re
from pathlib import Path

from rating.settings import Settings
from tests.cases.helpers import act, add_user, hidden, login, rows
from tests.conftest import Web
from tests.workorders.conftest import Env, order, write_csv
from tests.workorders.test_loop import QIAOXI, SHENGLI, imported, order_ids, rows3

ORDERS = "/admin/workorders/orders"


async def _csrf(web: Web) -> str:
    page = await web.client.get(ORDERS)
    assert page.status_code == 200, page.text
    return hidden(page.text, "csrf")


async def test_take_in_from_the_order_list_and_the_case_page_shows_both(
    web: Web, settings: Settings, tmp_path: Path
) -> None:
    tmp = tmp_path
    await imported(web.store, write_csv(tmp / "w1.csv", rows3()))
    ids = await order_ids(web.store)
    await add_user(web, "centre", "admin")
    await login(web, "centre")
    page = await web.client.get(ORDERS)
    assert page.status_code == 200
    for no in ("GD001", "GD002", "GD003"):
        assert no in page.text
    assert page.text.count('name="order"') == 3 and 'id="rules"' in page.text
    csrf = hidden(page.text, "csrf")

    # No CSRF token: refused, nothing taken in.
    r = await web.client.post("/admin/workorders/take", data={"one": str(ids["GD001"])})
    assert r.status_code == 403
    # One order (the row's button): straight to its case.
    r = await web.client.post(
        "/admin/workorders/take", data={"csrf": csrf, "one": str(ids["GD001"])}
    )
    assert r.status_code == 303
    case_id = int(r.headers["location"].rsplit("/", 1)[1])
    # Many, one of them closed by the hotline: refused whole unless ticked explicitly.
    many = {"csrf": csrf, "order": [str(ids["GD002"]), str(ids["GD003"])]}
    r = await web.client.post("/admin/workorders/take", data=many)
    assert r.status_code == 409 and "GD003" in r.text
    assert len(rows(settings, "SELECT id FROM cases WHERE source = 'workorder'")) == 1
    r = await web.client.post("/admin/workorders/take", data={**many, "closed": "1"})
    assert r.status_code == 303 and r.headers["location"].endswith("taken_n=2")
    page = await web.client.get(r.headers["location"])
    assert 'id="notice"' in page.text and page.text.count('name="order"') == 0

    # The caller's phone is the order's: masked, shown in full to the handler once.
    page = await web.client.get(f"/admin/cases/{case_id}")
    assert "138****5678" in page.text and "13812345678" not in page.text
    r = await web.client.post(f"/admin/cases/{case_id}/reveal", data={"csrf": csrf})
    assert r.status_code == 303
    assert "13812345678" in (await web.client.get(r.headers["location"])).text

    # The case is worked like any other: dispatched from its page.
    unit = next(u for u in await web.store.list_units() if u.path == SHENGLI)
    assert (await act(web, case_id, "dispatch", unit=unit.code)).status_code == 303
    # The hotline's next export closes the order with the citizen's answer: the case page
    # shows the hotline's fields updated and the local handling as it was.
    later = [order("GD001", 办结时间="2026-11-06 09:00", 满意度="不满意"), *rows3()[1:]]
    await imported(web.store, write_csv(tmp / "w2.csv", later))
    page = await web.client.get(f"/admin/cases/{case_id}")
    assert page.status_code == 200
    hotline = page.text[page.text.index('id="hotline"') :]
    assert "2026-11-06 09:00" in hotline and "不满意" in hotline
    assert 'id="dispatch-unit"' in page.text and SHENGLI in page.text
    assert rows(settings, "SELECT state FROM cases WHERE id = ?", (case_id,)) == [("dispatched",)]


async def test_scope_read_only_users_and_the_rules_form(
    web: Web, settings: Settings, tmp_path: Path
) -> None:
    await imported(web.store, write_csv(tmp_path / "w.csv", rows3()))
    ids = await order_ids(web.store)
    await add_user(web, "west", "unit_manager", QIAOXI)
    await login(web, "west")
    page = await web.client.get(ORDERS)
    assert "GD002" in page.text and "GD001" not in page.text and 'id="rules"' not in page.text
    csrf = hidden(page.text, "csrf")
    r = await web.client.post(
        "/admin/workorders/take", data={"csrf": csrf, "one": str(ids["GD001"])}
    )
    assert r.status_code == 404  # another unit's order: as if it did not exist
    r = await web.client.post("/admin/workorders/rules", data={"csrf": csrf, "channel": "12345"})
    assert r.status_code == 403
    r = await web.client.post(
        "/admin/workorders/take", data={"csrf": csrf, "one": str(ids["GD002"])}
    )
    assert r.status_code == 303

    web.client.cookies.clear()
    await add_user(web, "reader", "viewer")
    await login(web, "reader")
    page = await web.client.get(ORDERS)
    assert 'name="order"' not in page.text and "GD001" in page.text
    r = await web.client.post(
        "/admin/workorders/take", data={"csrf": hidden(page.text, "csrf"), "one": str(ids["GD001"])}
    )
    assert r.status_code == 403

    web.client.cookies.clear()
    await add_user(web, "centre", "admin")
    await login(web, "centre")
    csrf = await _csrf(web)
    r = await web.client.post(
        "/admin/workorders/rules",
        data={"csrf": csrf, "channel": "12345", "order_type": "complaint", "category": ""},
    )
    assert r.status_code == 303
    page = await web.client.get(r.headers["location"])
    assert re.search(r'id="rule-\d+"', page.text)
    r = await web.client.post("/admin/workorders/rules", data={"csrf": csrf, "channel": "x"})
    assert r.status_code == 400 and "channel" in r.text
    r = await web.client.post("/admin/workorders/rules/apply", data={"csrf": csrf})
    assert r.status_code == 303 and "applied=1" in r.headers["location"]  # GD001; not GD003
    rule_id = re.search(r'id="rule-(\d+)"', page.text).group(1)  # type: ignore[union-attr]
    r = await web.client.post(f"/admin/workorders/rules/{rule_id}/remove", data={"csrf": csrf})
    assert r.status_code == 303
    assert rows(settings, "SELECT COUNT(*) FROM workorder_rules") == [(0,)]
    r = await web.client.post(f"/admin/workorders/rules/{rule_id}/remove", data={"csrf": csrf})
    assert r.status_code == 404
    actions = rows(settings, "SELECT actor_name, action FROM audit_log WHERE action LIKE "
                             "'workorder_rule%' ORDER BY id")  # fmt: skip
    assert actions == [("centre", "workorder_rule_add"), ("centre", "workorder_rule_remove")]


def test_the_rules_command(env: Env) -> None:
    r = env.run("workorders", "rules", "add", "12389", "--type", "投诉")
    assert r.code == 0 and "added rule" in r.out, r.err
    assert env.run("workorders", "rules", "add", "12389", "--type", "complaint").out.startswith(
        "rule already there"
    )
    bad = env.run("workorders", "rules", "add", "12389", "--type", "抱怨")
    assert bad.code != 0 and "order_type" in bad.err
    listed = env.run("workorders", "rules", "list")
    assert listed.code == 0 and "12389\tcomplaint\t*" in listed.out
    rule_id = listed.out.splitlines()[1].split("\t")[0]

    path = write_csv(env.tmp / "w.csv", [order("A1"), order("A2", 诉求类型="咨询")])
    r = env.run("workorders", "import", str(path), "--channel", "12389")
    assert r.code == 0 and "1 work order(s) taken into the case loop by the rules" in r.out
    r = env.run("workorders", "import", str(path), "--channel", "12345")
    assert "taken into the case loop" not in r.out
    assert env.run("workorders", "rules", "add", "12345").code == 0
    r = env.run("workorders", "rules", "apply")
    assert r.code == 0 and "2 work order(s) taken into the case loop" in r.out
    assert env.query("SELECT COUNT(*) FROM cases WHERE source = 'workorder'") == [(3,)]
    assert env.run("workorders", "rules", "remove", rule_id).code == 0
    gone = env.run("workorders", "rules", "remove", rule_id)
    assert gone.code != 0 and f"no rule #{rule_id}" in gone.err


async def test_a_refused_rule_comes_back_in_the_form_with_the_message_at_its_field(
    web: Web, settings: Settings
) -> None:
    await add_user(web, "centre", "admin")
    await login(web, "centre")
    csrf = await _csrf(web)
    long = "户政" * 60  # 120 characters; a category is at most 100
    r = await web.client.post(
        "/admin/workorders/rules",
        data={"csrf": csrf, "channel": "12389", "order_type": "complaint", "category": long},
    )
    # The page, not the error page: the message beside the category, everything kept.
    assert r.status_code == 400 and 'id="rule-form"' in r.text
    form = r.text[r.text.index('id="rule-form"') :]
    form = form[: form.index("</form>")]
    assert re.search(r'name="category"[^>]*value="' + long + '"[^>]*aria-invalid="true"', form)
    assert 'id="rule-category-err"' in form and "分类过长" in form
    assert '<option value="12389" selected>' in form
    assert '<option value="complaint" selected>' in form
    assert 'aria-invalid="true"' not in form.split('name="category"')[0]  # only that field
    # In English, the message in English; a wrong order type is named as such.
    r = await web.client.post(
        "/admin/workorders/rules?lang=en",
        data={"csrf": csrf, "channel": "12345", "order_type": "nonsense", "category": "户政"},
    )
    assert r.status_code == 400 and 'id="rule-order_type-err"' in r.text
    assert "unknown order type" in r.text and 'value="户政"' in r.text
    assert rows(settings, "SELECT COUNT(*) FROM workorder_rules") == [(0,)]
    assert rows(settings, "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'workorder_rule%'") == [
        (0,)
    ]

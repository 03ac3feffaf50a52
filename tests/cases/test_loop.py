"""The whole loop through the HTTP interface: bad rating -> case -> callback -> verify ->
rectify -> close -> the citizen rates the fix on the receipt page."""

from __future__ import annotations

import re

from rating.settings import Settings
from tests.cases.helpers import (
    PASSWORD,
    QIAODONG,
    act,
    add_user,
    bad_rating,
    case_id_of,
    login,
    rows,
)
from tests.conftest import Web


async def test_whole_loop(web: Web, settings: Settings) -> None:
    receipt = await bad_rating(web, 0, level=1, comment="窗口民警态度恶劣，让我改天再来")
    # The case exists as soon as the rating's 201 came back.
    case_id = case_id_of(settings, receipt)
    assert rows(settings, "SELECT state FROM cases WHERE id = ?", (case_id,)) == [("open",)]

    page = await web.client.get(f"/receipt/{receipt}")
    assert re.search(r'class="step done">✓ 受理 · 已完成', page.text)
    assert re.search(r'class="step">○ 回访<', page.text)
    assert re.search(r'class="step">○ 整改<', page.text)  # not "no rectification" yet
    assert "待回访" not in page.text  # the admin's state label stays internal

    await add_user(web, "zhao", "unit_manager", QIAODONG)
    r = await login(web, "zhao")
    assert r.status_code == 303 and r.headers["location"] == "/admin"  # the dashboard
    listing = await web.client.get("/admin/cases")
    assert f'href="/admin/cases/{case_id}"' in listing.text

    r = await act(web, case_id, "callback", outcome="reached", note="已电话联系，群众反映属实")
    assert r.status_code == 303
    r = await act(web, case_id, "verify", verification="substantiated", note="调取录像核实")
    assert r.status_code == 303
    r = await act(web, case_id, "rectify", measures="对该民警批评教育，窗口增设引导员")
    assert r.status_code == 303
    detail = await web.client.get(f"/admin/cases/{case_id}")
    assert "整改中" in detail.text and "整改期限" in detail.text
    r = await act(web, case_id, "close", note="整改完成")
    assert r.status_code == 303

    state = rows(
        settings,
        "SELECT state, callback_outcome, verification, rectified_at IS NOT NULL, handler_id "
        "FROM cases WHERE id = ?",
        (case_id,),
    )
    assert state[0][:4] == ("closed", "reached", "substantiated", 1)
    assert state[0][4] is not None  # the caller became the handler

    # The citizen is asked whether it is fixed, answers once, and the answer is stored.
    page = await web.client.get(f"/receipt/{receipt}")
    assert page.status_code == 200
    assert f'action="/receipt/{receipt}/fix"' in page.text
    en = await web.client.get(f"/receipt/{receipt}?lang=en")
    assert "Is it fixed?" in en.text and ">Basically satisfied</button>" in en.text
    r = await web.client.post(f"/receipt/{receipt}/fix", data={"answer": "great"})
    assert r.status_code == 400
    r = await web.client.post(f"/receipt/{receipt}/fix", data={"answer": "basically_satisfied"})
    assert r.status_code == 303
    # Answered once: a second answer changes nothing.
    await web.client.post(f"/receipt/{receipt}/fix", data={"answer": "dissatisfied"})
    assert rows(settings, "SELECT fix_rating FROM cases WHERE id = ?", (case_id,)) == [
        ("basically_satisfied",)
    ]
    page = await web.client.get(f"/receipt/{receipt}?lang=zh")
    assert f'action="/receipt/{receipt}/fix"' not in page.text
    assert PASSWORD not in page.text
    # Every step is shown to the citizen as done.
    for step in ("受理", "回访", "核实", "整改", "办结"):
        assert re.search(rf'class="step done">✓ {step} · 已完成', page.text), step

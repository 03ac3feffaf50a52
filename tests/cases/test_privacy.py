"""What the citizen sees and what the phone number is shown to; the audit trail."""

from __future__ import annotations

from rating.settings import Settings
from tests.cases.helpers import (
    QIAODONG,
    act,
    add_user,
    bad_rating,
    case_id_of,
    hidden,
    login,
    rows,
)
from tests.conftest import Web

PHONE = "13812345678"
NOTE_MARK = "内部备注XJ7"


async def test_receipt_never_shows_notes_handler_names_or_phone(
    web: Web, settings: Settings
) -> None:
    receipt = await bad_rating(web, 0, level=2, phone=PHONE, consent=True)
    case_id = case_id_of(settings, receipt)
    await add_user(web, "赵队长", "admin")
    await login(web, "赵队长")
    await act(web, case_id, "take", note=f"{NOTE_MARK} take")
    await act(web, case_id, "callback", outcome="reached", note=f"{NOTE_MARK} 回访")
    await act(web, case_id, "verify", verification="unsubstantiated", note=f"{NOTE_MARK} 核实")
    await act(web, case_id, "close", note=f"{NOTE_MARK} 办结")
    assert rows(settings, "SELECT state FROM cases WHERE id = ?", (case_id,)) == [("closed",)]

    for lang in ("zh", "en"):
        page = await web.client.get(f"/receipt/{receipt}?lang={lang}")
        assert page.status_code == 200
        text = page.text
        assert NOTE_MARK not in text and "赵队长" not in text
        assert PHONE not in text and "138****5678" not in text
    page = await web.client.get(f"/receipt/{receipt}?lang=zh")
    assert "✓ 经核实无需整改" in page.text and "✓ 办结 · 已完成" in page.text
    # Closed without rectification: nothing to rate.
    assert "/fix" not in page.text


async def test_phone_is_masked_and_revealed_only_to_the_handler_with_audit(
    web: Web, settings: Settings
) -> None:
    case_id = case_id_of(settings, await bad_rating(web, 0, phone=PHONE, consent=True))
    await add_user(web, "handler", "unit_manager", QIAODONG)
    await add_user(web, "boss", "admin")

    await login(web, "boss")
    page = await web.client.get(f"/admin/cases/{case_id}")
    assert "138****5678" in page.text and PHONE not in page.text
    assert f"/admin/cases/{case_id}/reveal" not in page.text  # not the handler: no button
    r = await web.client.post(
        f"/admin/cases/{case_id}/reveal", data={"csrf": hidden(page.text, "csrf")}
    )
    assert r.status_code == 403 and PHONE not in r.text
    officer = await web.client.get("/admin/officers/100001")
    assert officer.status_code == 200 and "138****5678" not in officer.text

    web.client.cookies.clear()
    await login(web, "handler")
    await act(web, case_id, "take")
    page = await web.client.get(f"/admin/cases/{case_id}")
    assert f"/admin/cases/{case_id}/reveal" in page.text and PHONE not in page.text
    r = await web.client.post(
        f"/admin/cases/{case_id}/reveal", data={"csrf": hidden(page.text, "csrf")}
    )
    # POST/redirect/GET: the URL carries a one-time marker, never the number.
    assert r.status_code == 303 and PHONE not in r.headers["location"]
    shown = await web.client.get(r.headers["location"])
    assert shown.status_code == 200 and PHONE in shown.text
    again = await web.client.get(r.headers["location"])  # a reload: shown once only
    assert again.status_code == 200 and PHONE not in again.text
    reveals = rows(
        settings,
        "SELECT a.actor_name, a.at FROM audit_log a WHERE a.case_id = ? AND action = "
        "'reveal_phone'",
        (case_id,),
    )
    assert len(reveals) == 1 and reveals[0][0] == "handler"


async def test_every_transition_is_audited_with_who_when_from_to_and_note(
    web: Web, settings: Settings
) -> None:
    case_id = case_id_of(settings, await bad_rating(web, 0))
    await add_user(web, "wang", "admin")
    await login(web, "wang")
    await act(web, case_id, "callback", outcome="declined", note="群众不愿多谈")
    await act(web, case_id, "verify", verification="mistaken_malicious", note="误点")
    await act(web, case_id, "close", note="误评，办结")
    await act(web, case_id, "reopen", note="群众再次来电")
    entries = rows(
        settings,
        "SELECT actor_name, action, from_state, to_state, note, at FROM audit_log "
        "WHERE case_id = ? ORDER BY id",
        (case_id,),
    )
    assert [e[:5] for e in entries] == [
        ("系统", "open", None, "open", "评价 1 级"),
        ("wang", "callback", "open", "called_back", "[declined] 群众不愿多谈"),
        ("wang", "verify", "called_back", "verified", "[mistaken_malicious] 误点"),
        ("wang", "close", "verified", "closed", "误评，办结"),
        ("wang", "reopen", "closed", "open", "群众再次来电"),
    ]
    times = [e[5] for e in entries]
    assert times == sorted(times)
    page = await web.client.get(f"/admin/cases/{case_id}")
    assert "已核实 → 已办结" in page.text and "群众再次来电" in page.text


async def test_mistaken_or_malicious_stops_counting_and_reopen_restores(
    web: Web, settings: Settings
) -> None:
    receipt = await bad_rating(web, 0)
    case_id = case_id_of(settings, receipt)
    await add_user(web, "wang", "admin")
    await login(web, "wang")
    await act(web, case_id, "callback", outcome="reached", note="n")
    await act(web, case_id, "verify", verification="mistaken_malicious", note="恶意刷差评")
    invalid = "SELECT invalidated FROM ratings WHERE receipt = ?"
    assert rows(settings, invalid, (receipt,)) == [("mistaken_malicious",)]
    # A substantiated-only action is refused for this verdict.
    r = await act(web, case_id, "rectify", measures="x")
    assert r.status_code == 409
    await act(web, case_id, "close", note="n")
    await act(web, case_id, "reopen", note="复查")
    assert rows(settings, invalid, (receipt,)) == [(None,)]


async def test_rating_amended_up_closes_the_untouched_case_and_down_reopens(
    web: Web, settings: Settings
) -> None:
    token = web.token(0)
    first = await web.client.post("/api/v1/ratings", json=web.rating(0, level=1))
    receipt = first.json()["receipt"]
    case_id = case_id_of(settings, receipt)
    # Same device, same officer, inside the amend window: an amendment.
    r = await web.client.post("/api/v1/ratings", json={**web.rating(0, level=5), "token": token})
    assert r.status_code == 200 and r.json()["amended"]
    assert rows(settings, "SELECT state FROM cases WHERE id = ?", (case_id,)) == [("closed",)]
    assert 'id="progress"' not in (await web.client.get(f"/receipt/{receipt}")).text
    r = await web.client.post("/api/v1/ratings", json=web.rating(0, level=2))
    assert r.status_code == 200
    assert rows(settings, "SELECT state, reopen_count FROM cases WHERE id = ?", (case_id,)) == [
        ("open", 1)
    ]
    assert 'id="progress"' in (await web.client.get(f"/receipt/{receipt}")).text
    # An amendment down from a good rating opens a case at once.
    web.client.cookies.clear()
    good = await web.client.post("/api/v1/ratings", json=web.rating(1, level=4))
    assert rows(
        settings,
        "SELECT COUNT(*) FROM cases c JOIN ratings r ON r.id = c.rating_id WHERE r.receipt = ?",
        (good.json()["receipt"],),
    ) == [(0,)]
    await web.client.post("/api/v1/ratings", json=web.rating(1, level=2))
    case_id_of(settings, good.json()["receipt"])

"""The loop through HTTP (issue 18): a letter's case accepted and dispatched on the case
page, the unit's reply through the JSON API, the reply on the letter's receipt (page and
JSON), and the API's refusals in the one error shape (400 naming the field, 403, 409)."""

from __future__ import annotations

from typing import Any

from rating.admin import auth
from rating.cases.service import now_ms
from rating.mailbox import service as mailbox
from rating.settings import Settings
from tests.cases.helpers import QIAODONG, act, add_user, login, rows
from tests.conftest import Web
from tests.store.test_mailbox import KEYS, letter

STATION = "张家口市公安局/桥东分局/胜利路派出所"
WEST_STATION = "张家口市公安局/桥西分局/新华街派出所"


async def _token(web: Web, name: str, role: str, unit: str | None = None) -> dict[str, str]:
    await add_user(web, name, role, unit)
    token = await web.store.write(auth.new_api_token, name, "t", now_ms())
    return {"authorization": f"Bearer {token}"}


async def _code(web: Web, path: str) -> str:
    return next(u.code for u in await web.store.list_units() if u.path == path)


def _error(r: Any, status: int, word: str) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["ok"] is False and body["status"] == status and word in body["error"], body


async def test_letter_dispatch_reply_and_receipt(web: Web, settings: Settings) -> None:
    done = await mailbox.submit_letter(
        web.store, KEYS, letter(), unit_id=None, device=None, address=None
    )
    assert done.receipt is not None
    admin = await _token(web, "centre", "admin")
    r = await web.client.get("/api/v1/letters", headers=admin)
    assert r.status_code == 200
    [row] = r.json()["letters"]
    case_id = row["case_id"]
    assert row["case_state"] == "received" and row["status"] == "received"

    # The case page: accept, then dispatch with the form's unit list.
    await add_user(web, "desk", "admin")
    await login(web, "desk")
    page = await web.client.get(f"/admin/cases/{case_id}")
    assert page.status_code == 200 and 'name="category"' in page.text
    assert (await act(web, case_id, "accept", category="投诉")).status_code == 303
    page = await web.client.get(f"/admin/cases/{case_id}")
    assert 'name="unit"' in page.text and STATION in page.text
    r = await act(web, case_id, "dispatch", unit=await _code(web, STATION))
    assert r.status_code == 303
    assert rows(settings, "SELECT state FROM cases WHERE id = ?", (case_id,)) == [("dispatched",)]

    # The station's manager sees it in the queue and replies; out of order is 409.
    station = await _token(web, "station", "unit_manager", STATION)
    r = await web.client.get("/api/v1/cases?state=dispatched", headers=station)
    assert [c["id"] for c in r.json()["cases"]] == [case_id]
    r = await web.client.post(f"/api/v1/cases/{case_id}/reply", json={"reply": " "},
                              headers=station)  # fmt: skip
    _error(r, 400, "reply")
    r = await web.client.post(
        f"/api/v1/cases/{case_id}/reply", json={"reply": "已整改窗口秩序"}, headers=station
    )
    assert r.status_code == 200 and r.json()["case"]["state"] == "replied"
    r = await web.client.post(f"/api/v1/cases/{case_id}/reply", json={"reply": "x"},
                              headers=station)  # fmt: skip
    _error(r, 409, "not allowed")

    # The citizen's receipt shows the reply (page and JSON).
    page = await web.client.get(f"/mailbox/receipt/{done.receipt}")
    assert "已整改窗口秩序" in page.text
    r = await web.client.get(f"/api/v1/mailbox/receipts/{done.receipt}")
    assert r.status_code == 200
    assert r.json()["letter"]["status"] == "replied"
    assert r.json()["letter"]["reply"] == "已整改窗口秩序"
    assert (await web.client.get("/api/v1/mailbox/receipts/XXXXXXXXXXXX")).status_code == 404


async def test_bulk_dispatch_refusals(web: Web) -> None:
    ids = []
    for _ in range(2):
        done = await mailbox.submit_letter(
            web.store, KEYS, letter(), unit_id=None, device=None, address=None
        )
        assert done.letter_id is not None
        ids.append(done.letter_id)
    admin = await _token(web, "centre", "admin")
    letters = (await web.client.get("/api/v1/letters", headers=admin)).json()["letters"]
    case_ids = sorted(x["case_id"] for x in letters)
    station = await _code(web, STATION)
    for cid in case_ids:
        r = await web.client.post(f"/api/v1/cases/{cid}/accept", json={}, headers=admin)
        assert r.status_code == 200
    r = await web.client.post(f"/api/v1/cases/{case_ids[0]}/accept", json={"category": "x"},
                              headers=admin)  # fmt: skip
    _error(r, 409, "not allowed")
    bad = [
        ({"ids": "1", "unit": station}, "ids"),
        ({"ids": case_ids, "unit": 5}, "unit"),
        ({"ids": case_ids, "unit": "NOPE"}, "unit"),
        ({"ids": [], "unit": station}, "ids"),
        ({"ids": case_ids, "unit": station, "extra": "x"}, "extra"),
    ]
    for body, word in bad:
        r = await web.client.post("/api/v1/dispatch", json=body, headers=admin)
        _error(r, 400, word)
    # A unit manager may not dispatch outside the unit's scope.
    west = await _token(web, "west", "unit_manager", "张家口市公安局/桥西分局")
    r = await web.client.post(
        "/api/v1/dispatch", json={"ids": case_ids, "unit": station}, headers=west
    )
    assert r.status_code in (403, 404)  # bureau-wide letters are not even visible to it
    r = await web.client.post(
        "/api/v1/dispatch", json={"ids": case_ids, "unit": station}, headers=admin
    )
    assert r.status_code == 200
    assert [c["state"] for c in r.json()["cases"]] == ["dispatched", "dispatched"]
    # The east sees the case dispatched to its station, but may not send it west.
    east = await _token(web, "east", "unit_manager", QIAODONG)
    r = await web.client.post(
        f"/api/v1/cases/{case_ids[0]}/redispatch",
        json={"unit": await _code(web, WEST_STATION), "reason": "辖区调整"},
        headers=east,
    )
    _error(r, 403, "unit")

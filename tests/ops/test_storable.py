"""Text a database cannot store (NUL, lone surrogates) is a 400 naming the field on the
kiosk and case APIs, on SQLite and PostgreSQL (PostgreSQL answered 500 before; found by
probing the fields schemathesis fuzzes). The rating API's own fields are issue 14's."""

from __future__ import annotations

import json
from pathlib import Path

from rating.admin import auth
from rating.store.base import now_ms
from rating.textcheck import text_problem
from tests.conftest import Web, make_settings, open_web
from tests.kiosk.test_kiosk_api import _auth, _kiosk, _tap
from tests.store.conftest import fresh_database


def test_text_problem() -> None:
    assert text_problem("张伟 100001") is None
    assert text_problem("10\x0001") == "NUL"
    assert text_problem("\ud800") == "surrogate"  # JSON "\ud800" decodes to a lone one


async def _check(web: Web) -> None:
    headers = _auth(await _kiosk(web))
    cases = [
        ("/api/v1/kiosk/enroll", {"code": "ab\x00cd"}, {}, "code"),
        ("/api/v1/kiosk/signin", {"badge_no": "1000\x0001", "pin": "2468"}, headers, "badge_no"),
        ("/api/v1/kiosk/signin", {"badge_no": "100001", "pin": "\ud800"}, headers, "pin"),
        ("/api/v1/kiosk/ratings", _tap("tap-nul-0001", officer="1\x00"), headers, "officer"),
    ]
    for path, body, h, field in cases:
        # json.dumps escapes the surrogate as JSON "\ud800", as a client would send it.
        raw = json.dumps(body).encode()
        r = await web.client.post(
            path, content=raw, headers={**h, "content-type": "application/json"}
        )
        assert r.status_code == 400, (path, r.text)
        assert r.json()["error"].startswith(f"{field} ")
    await web.store.write(auth.add_user, "ops", "admin", None, auth.hash_password("pw"), now_ms())
    token = await web.store.write(auth.new_api_token, "ops", "t", now_ms())
    r = await web.client.post("/api/v1/ratings", json=web.rating(0, level=1))
    assert r.status_code == 201
    api = _auth(token)
    case_id = (await web.client.get("/api/v1/cases", headers=api)).json()["cases"][0]["id"]
    r = await web.client.post(
        f"/api/v1/cases/{case_id}/callback",
        json={"outcome": "reached", "note": "a\x00b"},
        headers=api,
    )
    assert r.status_code == 400 and r.json()["error"].startswith("note ")
    case = (await web.client.get(f"/api/v1/cases/{case_id}", headers=api)).json()["case"]
    assert case["state"] == "open"  # nothing half-done
    r = await web.client.get("/api/v1/cases", params={"unit": "x\x00"}, headers=api)
    assert r.status_code == 400


async def test_on_sqlite(web: Web) -> None:
    await _check(web)


async def test_on_postgres(tmp_path: Path) -> None:
    with fresh_database() as url:
        async for web in open_web(make_settings(tmp_path, database=url)):
            await _check(web)

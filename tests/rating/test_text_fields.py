"""Every text field of every endpoint refuses text the databases cannot store (issue 14,
item 1): a lone UTF-16 surrogate (JSON "\\ud800") or NUL gives 400 naming the field, and
nothing is stored."""

from __future__ import annotations

import json

import pytest

from rating.admin import auth
from rating.cases.service import now_ms
from rating.kiosk import store as ks
from rating.settings import Settings
from tests.cases.helpers import act, add_user, bad_rating, case_id_of, login, rows
from tests.conftest import Web

# As the JSON arrives on the wire: json.dumps writes a lone surrogate as the escape.
POISON = {"surrogate": "bad \ud800 text", "NUL": "bad \x00 text"}


def raw_json(body: dict[str, object]) -> dict[str, object]:
    return {
        "content": json.dumps(body).encode(),
        "headers": {"content-type": "application/json"},
    }


@pytest.mark.parametrize("kind", POISON)
@pytest.mark.parametrize("field", ["comment", "t", "receipt", "token", "phone", "lang"])
async def test_rating_api_refuses_poisoned_text_naming_the_field(
    web: Web, settings: Settings, kind: str, field: str
) -> None:
    body = web.rating(level=1, **{field: POISON[kind]})
    r = await web.client.post("/api/v1/ratings", **raw_json(body))  # type: ignore[arg-type]
    assert r.status_code == 400, r.text
    assert field in r.json()["error"] and kind in r.json()["error"]
    assert rows(settings, "SELECT COUNT(*) FROM ratings") == [(0,)]


async def test_rating_api_names_a_poisoned_list_item_and_field_name(web: Web) -> None:
    body = web.rating(level=1, reasons=["attitude", "x\ud800"])
    r = await web.client.post("/api/v1/ratings", **raw_json(body))  # type: ignore[arg-type]
    assert r.status_code == 400 and "reasons[1]" in r.json()["error"]
    body = web.rating(level=1, **{"k\x00": "v"})
    r = await web.client.post("/api/v1/ratings", **raw_json(body))  # type: ignore[arg-type]
    assert r.status_code == 400 and "field name" in r.json()["error"]


async def test_rating_form_refuses_nul(web: Web, settings: Settings) -> None:
    token = web.token()
    r = await web.client.post(
        f"/r/{token}",
        content=f"level=1&comment=a%00b&t={web.stamp(token)}".encode(),
        headers={"content-type": "application/x-www-form-urlencoded", "accept-language": "en"},
    )
    assert r.status_code == 400 and "comment" in r.text
    assert rows(settings, "SELECT COUNT(*) FROM ratings") == [(0,)]


@pytest.mark.parametrize("kind", POISON)
async def test_kiosk_api_refuses_poisoned_text(web: Web, kind: str) -> None:
    code = await web.store.write(
        ks.add_kiosk, "窗口", "张家口市公安局/桥东分局/胜利路派出所", now_ms()
    )
    r = await web.client.post("/api/v1/kiosk/enroll", **raw_json({"code": POISON[kind]}))  # type: ignore[arg-type]
    assert r.status_code == 400 and "code" in r.json()["error"]
    r = await web.client.post("/api/v1/kiosk/enroll", json={"code": code})
    token = r.json()["token"]
    tap = {"key": "k" * 10, "officer": POISON[kind], "level": 4, "tapped_at": 1, "sent_at": 1}
    r = await web.client.post(
        "/api/v1/kiosk/ratings",
        content=json.dumps(tap).encode(),
        headers={"content-type": "application/json", "authorization": f"Bearer {token}"},
    )
    assert r.status_code == 400 and "officer" in r.json()["error"], r.text


@pytest.mark.parametrize("kind", POISON)
async def test_case_api_and_admin_forms_refuse_poisoned_text(
    web: Web, settings: Settings, kind: str
) -> None:
    case_id = case_id_of(settings, await bad_rating(web))
    await add_user(web, "script", "admin")
    token = await web.store.write(auth.new_api_token, "script", "nightly", now_ms())
    r = await web.client.post(
        f"/api/v1/cases/{case_id}/callback",
        content=json.dumps({"outcome": "reached", "note": POISON[kind]}).encode(),
        headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
    )
    assert r.status_code == 400 and "note" in r.json()["error"], r.text
    await login(web, "script")
    r = await act(web, case_id, "callback", outcome="reached", note="a\x00b")
    assert r.status_code == 400 and "note" in r.text
    assert rows(settings, "SELECT state FROM cases WHERE id = ?", (case_id,)) == [("open",)]
    r = await web.client.get("/admin/cases?unit=a%00b")
    assert r.status_code == 400
    r = await web.client.get("/admin/officers/a%00b")
    assert r.status_code == 400
    r = await web.client.get("/admin/report/weekly?unit=a%00b")
    assert r.status_code == 400


async def test_case_api_refuses_deeply_nested_json(web: Web, settings: Settings) -> None:
    case_id = case_id_of(settings, await bad_rating(web))
    await add_user(web, "script", "admin")
    token = await web.store.write(auth.new_api_token, "script", "nightly", now_ms())
    for body in (b"[" * 60_000, b'{"note": ' + b"[" * 60 + b"]" * 60 + b"}"):
        r = await web.client.post(
            f"/api/v1/cases/{case_id}/callback",
            content=body,
            headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
        )
        assert r.status_code == 400, r.text

"""The mailbox's JSON intake through the real app, on SQLite and PostgreSQL: a letter in,
its receipt and progress out, every refusal in the one error shape naming the field,
nothing half-stored; then the loop's JSON actions (accept, dispatch, reply, return) on it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from rating.admin import auth
from rating.cases.service import now_ms
from rating.mailbox import service
from rating.mailbox.api import FORM_PATH, LETTERS_PATH
from tests.cases.helpers import add_user
from tests.conftest import Web, make_settings, open_web
from tests.store.conftest import fresh_database


@pytest.fixture(params=["sqlite", "postgresql"])
async def web(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Web]:
    if request.param == "sqlite":
        async for w in open_web(make_settings(tmp_path)):
            yield w
        return
    with fresh_database() as url:
        async for w in open_web(make_settings(tmp_path, database=url)):
            yield w


async def count(web: Web, sql: str) -> int:
    def one(tx: Any) -> int:
        row = tx.one(sql)
        return int(row[0])

    return await web.store.read(one)


async def stamp(web: Web, unit: str | None = None) -> str:
    got = await web.client.get(FORM_PATH, params={"unit": unit} if unit else None)
    assert got.status_code == 200, got.text
    body = got.json()
    assert [c["name"] for c in body["categories"]][:5] == ["投诉", "举报", "建议", "求助", "咨询"]
    assert body["max_text"] == 2000 and got.headers["cache-control"] == "no-store"
    return str(body["t"])


async def letter(web: Web, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"t": await stamp(web), "category": "投诉", "text": "窗口排队两小时"}
    body.update(fields)
    return body


async def test_letter_in_receipt_out_and_the_same_stamp_again_is_the_same_letter(
    web: Web,
) -> None:
    body = await letter(web, phone="13812345678", consent=True, lang="zh")
    created = await web.client.post(LETTERS_PATH, json=body)
    assert created.status_code == 201, created.text
    out = created.json()
    assert out["ok"] is True and out["created"] is True
    receipt = out["receipt"]
    assert out["receipt_url"] == f"/mailbox/receipt/{receipt}"
    assert out["receipt_display"].replace("-", "") == receipt
    again = await web.client.post(LETTERS_PATH, json=body)
    assert again.status_code == 200 and again.json()["receipt"] == receipt
    assert again.json()["created"] is False
    assert await count(web, "SELECT COUNT(*) FROM letters") == 1
    assert await count(web, "SELECT COUNT(*) FROM cases WHERE source = 'letter'") == 1
    view = await service.letter_by_receipt(web.store, receipt)
    assert view is not None and view.phone_mask == "138****5678" and not view.anonymous
    progress = await web.client.get(f"/api/v1/mailbox/receipts/{receipt.lower()}")
    assert progress.status_code == 200
    assert progress.json()["letter"]["status"] == "received"
    assert progress.json()["letter"]["reply"] is None


async def test_anonymous_letter_to_a_unit_by_its_code(web: Web) -> None:
    unit = await web.store.ensure_unit_path("市公安局/桥东分局")
    code = await service.issue_unit_token(web.store, unit)
    form = await web.client.get(FORM_PATH, params={"unit": code})
    assert form.json()["unit"] == "桥东分局"
    body = {"t": form.json()["t"], "category": "建议", "text": "大厅\r\n座位太少", "unit": code}
    created = await web.client.post(LETTERS_PATH, json=body)
    assert created.status_code == 201, created.text
    view = await service.letter_by_receipt(web.store, created.json()["receipt"])
    assert view is not None and view.unit_id == unit.id and view.anonymous
    assert view.body == "大厅\n座位太少" and view.phone_mask is None
    # A stamp is bound to its box: the bureau's stamp is no stamp for the unit's.
    other = {**body, "t": await stamp(web)}
    refused = await web.client.post(LETTERS_PATH, json=other)
    assert refused.status_code == 400 and refused.json()["error"].startswith("t: ")
    await service.revoke_unit_token(web.store, unit)
    gone = await web.client.post(LETTERS_PATH, json={**body, "t": form.json()["t"]})
    assert gone.status_code == 410 and gone.json()["error"].startswith("unit: ")
    assert (await web.client.get(FORM_PATH, params={"unit": code})).status_code == 410
    unknown = await web.client.get(FORM_PATH, params={"unit": "NOSUCHCODE00"})
    assert unknown.status_code == 404 and unknown.json()["error"].startswith("unit: ")


REFUSALS: list[tuple[dict[str, Any], int, str]] = [
    ({"category": "不存在的类别"}, 400, "category"),
    ({"category": ""}, 400, "category"),
    ({"text": "   "}, 400, "text"),
    ({"text": "字" * 2001}, 400, "text"),
    ({"text": "a\x00b"}, 400, "text"),
    ({"text": "a\ud800b"}, 400, "text"),  # a lone surrogate: not valid Unicode
    ({"phone": "12345"}, 400, "phone"),
    ({"phone": "13812345678"}, 400, "consent"),
    ({"phone": "13812345678", "consent": "yes"}, 400, "consent"),
    ({"website": "http://spam.example"}, 400, "website"),
    ({"t": "forged"}, 400, "t"),
    ({"lang": "fr"}, 400, "lang"),
    ({"text": 5}, 400, "text"),
    ({"photos": ["..."]}, 400, "unknown field 'photos'"),
    ({"unit": 7}, 400, "unit"),
    ({"unit": "NOSUCHCODE00"}, 404, "unit"),
]


async def test_every_refusal_names_its_field_and_stores_nothing(web: Web) -> None:
    for fields, status, field in REFUSALS:
        body = json.dumps(await letter(web, **fields))  # ASCII: a lone surrogate as \ud800
        got = await web.client.post(
            LETTERS_PATH, content=body, headers={"content-type": "application/json"}
        )
        assert got.status_code == status, (fields, got.text)
        err = got.json()
        assert err["ok"] is False and err["status"] == status
        assert err["error"].startswith(field), (fields, err)
    assert await count(web, "SELECT COUNT(*) FROM letters") == 0
    assert await count(web, "SELECT COUNT(*) FROM cases") == 0


async def test_text_of_exactly_2000_characters_is_taken(web: Web) -> None:
    got = await web.client.post(LETTERS_PATH, json=await letter(web, text="字" * 2000))
    assert got.status_code == 201, got.text


async def test_body_type_and_size_are_checked_before_anything_else(web: Web) -> None:
    form = await letter(web)
    as_form = await web.client.post(LETTERS_PATH, data=form)
    assert as_form.status_code == 415 and as_form.json()["ok"] is False
    not_json = await web.client.post(
        LETTERS_PATH, content=b"{", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 400
    big = await web.client.post(
        LETTERS_PATH, json={**form, "text": "x" * (70 * 1024)}
    )  # over the JSON APIs' 64 KB
    assert big.status_code == 413 and big.json()["status"] == 413
    assert await count(web, "SELECT COUNT(*) FROM letters") == 0


async def test_device_limit_is_429_and_the_others_are_stored(web: Web) -> None:
    cookie = {"pj_dev": "apidevice0123456789abc"}
    web.client.cookies.update(cookie)
    bodies = [
        await letter(web, text=f"第 {n} 封") for n in range(service.LETTERS_PER_DEVICE_HOUR + 2)
    ]
    answers = await asyncio.gather(*(web.client.post(LETTERS_PATH, json=b) for b in bodies))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] * service.LETTERS_PER_DEVICE_HOUR + [429, 429]
    assert await count(web, "SELECT COUNT(*) FROM letters") == service.LETTERS_PER_DEVICE_HOUR


async def _token(web: Web, name: str, role: str, unit: str | None = None) -> dict[str, str]:
    await add_user(web, name, role, unit)
    token = await web.store.write(auth.new_api_token, name, "t", now_ms())
    return {"authorization": f"Bearer {token}"}


async def test_the_loop_works_a_letter_from_the_api_to_its_receipt(web: Web) -> None:
    """Accept and dispatch by the centre, return (退回) and, re-dispatched, the reply by
    the unit, through the case API; the citizen's receipt follows each step."""
    station = "市公安局/桥东分局/胜利路派出所"
    unit = await web.store.ensure_unit_path(station)
    created = await web.client.post(LETTERS_PATH, json=await letter(web))
    receipt = created.json()["receipt"]
    centre = await _token(web, "centre", "admin")
    manager = await _token(web, "station", "unit_manager", station)
    letters = await web.client.get("/api/v1/letters", headers=centre)
    [row] = letters.json()["letters"]
    case_id = row["case_id"]
    assert row["receipt"] == receipt and row["case_state"] == "received"

    async def act(who: dict[str, str], action: str, status: int = 200, **body: Any) -> Any:
        got = await web.client.post(f"/api/v1/cases/{case_id}/{action}", json=body, headers=who)
        assert got.status_code == status, (action, got.text)
        return got.json()

    async def shown() -> tuple[str, str | None]:
        got = (await web.client.get(f"/api/v1/mailbox/receipts/{receipt}")).json()["letter"]
        return got["status"], got["reply"]

    await act(centre, "accept", category="投诉")
    assert await shown() == ("accepted", None)
    await act(centre, "dispatch", unit=unit.code)
    assert await shown() == ("dispatched", None)
    await act(centre, "accept", 409, category="投诉")  # out of order
    await act(manager, "return", 400)  # a return needs its reason
    await act(manager, "return", reason="不属于本所辖区")
    await act(centre, "dispatch", unit=unit.code)
    await act(manager, "reply", reply="已增派窗口人员")
    assert await shown() == ("replied", "已增派窗口人员")

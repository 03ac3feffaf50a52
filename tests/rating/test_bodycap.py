"""Bodies are capped by route before anything parses them (issue 14, item 5)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from rating.admin import auth
from rating.bodycap import JSON_API_MAX_BYTES, UPLOAD_MAX_BYTES, cap_for
from rating.cases.service import now_ms
from rating.settings import Settings
from tests.cases.helpers import add_user, bad_rating, case_id_of
from tests.conftest import Web

MB = 1024 * 1024


def test_caps_by_route() -> None:
    assert cap_for("/admin/login", 16384) == 16384
    assert cap_for("/r/ABCDEFGHJKMN", 16384) == 16384
    assert cap_for("/receipt/ABCDEFGHJKMN/fix", 16384) == 16384
    assert cap_for("/api/v1/ratings", 16384) == 16384
    assert cap_for("/api/v1/kiosk/ratings", 16384) == JSON_API_MAX_BYTES
    assert cap_for("/api/v1/cases/1/callback", 16384) == JSON_API_MAX_BYTES
    assert cap_for("/admin/cases/1/callback", 16384) == JSON_API_MAX_BYTES
    assert UPLOAD_MAX_BYTES <= cap_for("/admin/workorders/import", 16384) < UPLOAD_MAX_BYTES + MB


class Flood:
    """A streamed form body of many 1 MB fields, counting how much the server pulled."""

    def __init__(self, fields: int) -> None:
        self.fields = fields
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for i in range(self.fields):
            chunk = f"f{i}=".encode() + b"x" * MB + b"&"
            self.sent += len(chunk)
            yield chunk


@pytest.mark.parametrize("declared", [True, False])
async def test_a_login_flood_is_refused_before_it_is_read(web: Web, declared: bool) -> None:
    flood = Flood(990)
    headers = {"content-type": "application/x-www-form-urlencoded", "accept-language": "en"}
    if declared:
        headers["content-length"] = str(990 * (MB + 6))
    r = await web.client.post("/admin/login", content=flood, headers=headers)  # type: ignore[arg-type]
    assert r.status_code == 413
    assert "larger than 16384 bytes" in r.text
    # Refused at the first chunk past the cap: the other 989 MB were never pulled.
    assert flood.sent <= 2 * (MB + 6)


async def test_json_apis_are_capped_at_64_kb(web: Web, settings: Settings) -> None:
    case_id = case_id_of(settings, await bad_rating(web))
    await add_user(web, "script", "admin")
    token = await web.store.write(auth.new_api_token, "script", "nightly", now_ms())
    headers = {"content-type": "application/json", "authorization": f"Bearer {token}"}
    url = f"/api/v1/cases/{case_id}/callback"
    pad = "x" * (JSON_API_MAX_BYTES - 100)  # a body near 64 KB is read...
    body = {"outcome": "reached", "note": "n", "pad": pad}
    r = await web.client.post(url, json=body, headers=headers)
    assert r.status_code == 200, r.text
    r = await web.client.post(url, json={**body, "pad": pad + "x" * 200}, headers=headers)
    assert r.status_code == 413 and r.json()["status"] == 413  # ...a longer body does not
    r = await web.client.post("/r/" + web.token(), content=b"level=5&comment=" + b"x" * 17000)
    assert r.status_code == 413

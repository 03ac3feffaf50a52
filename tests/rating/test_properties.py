"""Property tests over the citizen entry points (issue 14): `POST /api/v1/ratings`,
`POST /r/{token}` and the kiosk rating API, on SQLite and PostgreSQL.

Hypothesis draws arbitrary JSON and form bodies: any Unicode (lone surrogates, NUL,
right-to-left marks, emoji, CR LF), any JSON type in any field, unknown fields, sizes up to
past the limits. Whatever arrives: no 5xx, and every 2xx names a rating that is stored
with what was sent. A fixed example budget and derandomised runs keep it fast and
repeatable in CI.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rating.cases.service import now_ms
from rating.kiosk import store as ks
from rating.settings import Settings
from tests.conftest import Web, make_settings, open_web
from tests.store.conftest import empty_tables, pg_url  # noqa: F401 - fixture

BUDGET = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
NASTY = ["\ud800", "\udfff", "\x00", "\u202e", "\u200f", "😀", "张", "\r", "\n", " ", "=", "a", "5"]
TEXT = st.one_of(
    st.text(st.characters(exclude_categories=()), max_size=40),
    st.text(st.sampled_from(NASTY), max_size=40),
    st.sampled_from(["", "zh", "en", "attitude", "13812345678", "1", "5"]),
    st.text(st.sampled_from(["差", "a"]), min_size=490, max_size=520),  # around the limits
)
SCALAR = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False), TEXT
)
ANY_JSON = st.recursive(
    SCALAR,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=12,
)
# Shaped like a form stamp ("<ms>.<16 characters>") but with any characters in it.
STAMPISH = st.builds(
    lambda issued, mac: f"{issued}.{mac}",
    st.one_of(st.integers(0, 2**60).map(str), st.text(st.sampled_from("0123٣²"), max_size=14)),
    st.text(
        st.sampled_from([*"0123456789abcdef", "é", "\ud800", "\x00"]), min_size=16, max_size=16
    ),
)
FIELDS = ["level", "reasons", "comment", "phone", "consent", "receipt", "lang", "website", "t"]


@pytest.fixture(params=["sqlite", "postgresql"])
async def app(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Web]:
    limits = {"rate_limit_device_per_hour": 10**6, "rate_limit_network_per_hour": 10**6}
    if request.param == "sqlite":
        config: Settings = make_settings(tmp_path, **limits)
    else:
        url = request.getfixturevalue("pg_url")
        empty_tables(url)
        config = make_settings(tmp_path, database=url, **limits)
    async for web in open_web(config):
        yield web


def body_of(web: Web, draw: Any) -> tuple[dict[str, Any], int]:
    """A rating body: mostly well-formed fields, each possibly replaced by anything."""
    i = draw(st.integers(0, 2))
    token = web.token(i)
    body: dict[str, Any] = {
        "token": draw(st.one_of(st.just(token), st.just(token.lower()), TEXT)),
        # A distinct page load each time (a replayed stamp amends, which is also fine).
        "t": web.keys.stamp(int(time.time() * 1000) - 10_000 - draw(st.integers(0, 10**6)), token),
        "level": draw(st.integers(1, 5)),
    }
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=4, unique=True)):
        body[name] = draw(st.one_of(ANY_JSON, TEXT, STAMPISH) if name == "t" else ANY_JSON)
    if draw(st.booleans()):
        body[draw(TEXT)] = draw(ANY_JSON)
    return body, i


async def assert_stored(web: Web, receipt: str, body: dict[str, Any]) -> None:
    view = await web.store.rating_by_receipt(receipt)
    assert view is not None, "a 2xx whose rating is not stored"
    assert view.level == int(body["level"])
    sent = body.get("comment", "") or ""
    assert view.comment == sent.replace("\r\n", "\n").replace("\r", "\n").strip()


@BUDGET
@given(data=st.data())
async def test_rating_api_never_5xx_and_every_2xx_is_stored(app: Web, data: st.DataObject) -> None:
    body, _ = body_of(app, data.draw)
    raw = json.dumps(body).encode()  # lone surrogates travel as \ud800 escapes
    if data.draw(st.integers(0, 9)) == 0:
        raw = data.draw(st.binary(max_size=200))  # and sometimes not JSON at all
    app.client.cookies.clear()
    r = await app.client.post(
        "/api/v1/ratings", content=raw, headers={"content-type": "application/json"}
    )
    assert r.status_code < 500, (r.status_code, r.text, raw[:300])
    if r.status_code in (200, 201):
        await assert_stored(app, r.json()["receipt"], body)
    else:
        assert r.json()["ok"] is False


@BUDGET
@given(data=st.data())
async def test_rating_form_never_5xx_and_every_redirect_is_stored(
    app: Web, data: st.DataObject
) -> None:
    body, i = body_of(app, data.draw)
    token = body.pop("token")
    fields = {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}
    # Percent-encoded as a browser would; a lone surrogate becomes bytes that are not UTF-8.
    raw = "&".join(
        f"{quote(k, errors='surrogatepass')}={quote(v, errors='surrogatepass')}"
        for k, v in fields.items()
    ).encode()
    path = "/r/" + quote(token if isinstance(token, str) else app.token(i), errors="surrogatepass")
    app.client.cookies.clear()
    r = await app.client.post(
        path, content=raw, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert r.status_code < 500, (r.status_code, r.text[:500], raw[:300])
    if r.status_code == 303 and r.headers["location"].startswith("/receipt/"):
        receipt = r.headers["location"].split("/")[2].split("?")[0]
        view = await app.store.rating_by_receipt(receipt)
        assert view is not None and view.level == int(fields["level"])


@BUDGET
@given(data=st.data())
async def test_kiosk_api_never_5xx_and_every_2xx_is_stored(app: Web, data: st.DataObject) -> None:
    token = getattr(app, "_kiosk_token", None)
    if token is None:
        name = "窗口"
        code = await app.store.write(
            ks.add_kiosk, name, "张家口市公安局/桥东分局/胜利路派出所", now_ms()
        )
        r = await app.client.post("/api/v1/kiosk/enroll", json={"code": code})
        token = r.json()["token"]
        await app.store.write(ks.assign_officer, name, "100001", now_ms() - 3_600_000)
        app._kiosk_token = token  # type: ignore[attr-defined]
    sent = int(time.time() * 1000)
    body: dict[str, Any] = {
        "key": data.draw(st.from_regex(r"[A-Za-z0-9_-]{8,20}", fullmatch=True)),
        "officer": "100001",
        "level": data.draw(st.integers(1, 5)),
        "tapped_at": sent - data.draw(st.integers(0, 600_000)),
        "sent_at": sent,
        "lang": "zh",
    }
    for name in data.draw(st.lists(st.sampled_from(list(body)), max_size=3, unique=True)):
        body[name] = data.draw(st.one_of(ANY_JSON, TEXT))
    r = await app.client.post(
        "/api/v1/kiosk/ratings",
        content=json.dumps(body).encode(),
        headers={"content-type": "application/json", "authorization": f"Bearer {token}"},
    )
    assert r.status_code < 500, (r.status_code, r.text, body)
    if r.status_code in (200, 201):
        view = await app.store.rating_by_receipt(r.json()["receipt"])
        assert view is not None and view.channel == "kiosk"

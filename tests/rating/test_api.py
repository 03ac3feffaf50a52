"""The JSON rating API through the real app: validation, storage, dedupe, limits, privacy."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from rating.cli import main
from rating.settings import Settings
from rating.store.models import RatingSubmission
from tests.conftest import Web, make_settings, opened, rows
from tests.shifted_clock import hold_mid_hour

API = "/api/v1/ratings"
CLIENT_IP = "203.0.113.7"  # the address the test transport connects from


def database_bytes(settings: Settings) -> bytes:
    """Every byte the database keeps on disk: the file, its WAL and shared memory."""
    db = Path(settings.database)
    return b"".join(p.read_bytes() for p in sorted(db.parent.glob(db.name + "*")))


# ------------------------------------------------------------------ success


async def test_rating_is_created_with_a_receipt(web: Web, settings: Settings) -> None:
    r = await web.client.post(API, json=web.rating(level=4))
    assert r.status_code == 201
    body = r.json()
    assert body["ok"] is True and body["amended"] is False
    receipt = body["receipt"]
    assert body["receipt_display"] == f"{receipt[:4]}-{receipt[4:8]}-{receipt[8:]}"
    assert body["receipt_url"] == f"/receipt/{receipt}"
    assert "HttpOnly" in r.headers["set-cookie"] and r.headers["set-cookie"].startswith("pj_dev=")
    # 201 means committed: another connection to the file sees the row at once.
    assert rows(settings, "SELECT receipt, level, channel, officer_id FROM ratings") == [
        (receipt, 4, "web", web.officers[0].id)
    ]


@pytest.mark.parametrize("secure", [False, True])
async def test_device_cookie_is_a_year_long_httponly_cookie(tmp_path: Path, secure: bool) -> None:
    async with opened(make_settings(tmp_path, cookie_secure=secure)) as web:
        r = await web.client.post(API, json=web.rating())
        assert r.status_code == 201
        name_value, *attributes = r.headers["set-cookie"].split("; ")
        assert re.fullmatch(r"pj_dev=[A-Za-z0-9_-]{22}", name_value)
        expected = ["HttpOnly", "Max-Age=31536000", "Path=/", "SameSite=lax"]
        assert attributes == expected + (["Secure"] if secure else [])
        if not secure:  # (a Secure cookie does not come back over plain http)
            # The browser sends it back: the next rating of another officer sets none.
            again = await web.client.post(API, json=web.rating(1))
            assert again.status_code == 201 and "set-cookie" not in again.headers


async def test_client_gone_before_the_body_ends_stores_nothing(
    web: Web, settings: Settings
) -> None:
    """The server hears the disconnect while reading the body: no rating, no reply."""
    app = web.client._transport.app  # type: ignore[attr-defined]
    body = json.dumps(web.rating()).encode()
    messages = [
        {"type": "http.request", "body": body[:10], "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": API,
        "headers": [(b"content-type", b"application/json")],
        "client": ("203.0.113.7", 50000),
        "state": {"svc": web.svc},
    }
    await app(scope, receive, send)
    assert sent == []
    assert rows(settings, "SELECT COUNT(*) FROM ratings") == [(0,)]


async def test_dissatisfied_rating_with_everything(web: Web, settings: Settings) -> None:
    body = web.rating(
        level=1,
        reasons=["other", "attitude", "attitude"],
        comment="  态度恶劣  ",
        phone="+86 138-1234-5678",
        consent=True,
        lang="en",
        website="",
    )
    r = await web.client.post(API, json=body)
    assert r.status_code == 201, r.text
    assert rows(settings, "SELECT level, reasons, comment, phone_mask, lang FROM ratings") == [
        (1, "attitude,other", "态度恶劣", "138****5678", "en")
    ]


async def test_healthz(web: Web) -> None:
    r = await web.client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"ok": True, "status": 200}


# ------------------------------------------------------------------ every field validated


def _set(**changes: Any) -> dict[str, Any]:
    return changes


BAD = [
    ("level 0", _set(level=0), "level must be an integer from 1 to 5"),
    ("level 6", _set(level=6), "level must be an integer from 1 to 5"),
    ("level -1", _set(level=-1), "level must be an integer from 1 to 5"),
    ("level abc", _set(level="abc"), "level must be an integer from 1 to 5"),
    ("level true", _set(level=True), "level must be an integer from 1 to 5"),
    ("level 5.5", _set(level=5.5), "level must be an integer from 1 to 5"),
    ("level 5.0", _set(level=5.0), "level must be an integer from 1 to 5"),
    ("level null", _set(level=None), "level must be an integer from 1 to 5"),
    ("level list", _set(level=[5]), "level must be an integer from 1 to 5"),
    ("level superscript", _set(level="\u00b2"), "level must be an integer from 1 to 5"),
    ("level arabic digit", _set(level="\u0665"), "level must be an integer from 1 to 5"),
    ("reasons str", _set(level=2, reasons="attitude"), "reasons must be a list of strings"),
    ("reasons ints", _set(level=2, reasons=[1]), "reasons must be a list of strings"),
    ("reasons unknown", _set(level=2, reasons=["rude"]), "unknown reason 'rude'"),
    ("reasons at 4", _set(level=4, reasons=["attitude"]), "reasons are only for levels 1 and 2"),
    ("comment 501", _set(level=2, comment="差" * 501), "comment is 501 characters; at most 500"),
    ("comment number", _set(comment=5), "comment must be a string"),
    ("phone short", _set(level=2, phone="12345", consent=True), "phone is not a valid"),
    ("phone letters", _set(level=2, phone="138abcd5678", consent=True), "phone is not a valid"),
    ("phone number", _set(level=2, phone=13812345678, consent=True), "phone must be a string"),
    ("phone no consent", _set(level=2, phone="13812345678"), "consent must be true"),
    (
        "phone consent str",
        _set(level=2, phone="13812345678", consent="yes"),
        "consent must be true",
    ),
    (
        "phone consent false",
        _set(level=2, phone="13812345678", consent=False),
        "consent must be true",
    ),
    # A phone at level 5 is the spot-check consent (issue 19): accepted, still with consent.
    ("phone at 5 no consent", _set(level=5, phone="13812345678"), "consent must be true"),
    ("unknown field", _set(officer_id=1), "unknown field 'officer_id'"),
    ("no token", _set(token=None), "token is required"),
    ("token number", _set(token=12), "token is required"),
    ("token junk", _set(token="../../etc"), "token is malformed"),
    ("no stamp", _set(t=None), "t (the form stamp from the rating page) is required"),
    ("receipt junk", _set(receipt="nope"), "receipt is malformed"),
    ("receipt number", _set(receipt=7), "receipt is malformed"),
    ("lang fr", _set(lang="fr"), "lang must be 'zh' or 'en'"),
    ("honeypot", _set(website="http://spam.example"), "rejected as automated submission"),
    # Issue 14, item 4: any present value but "" or null, whatever its JSON type.
    ("honeypot 0", _set(website=0), "rejected as automated submission"),
    ("honeypot []", _set(website=[]), "rejected as automated submission"),
    ("honeypot false", _set(website=False), "rejected as automated submission"),
    ("honeypot {}", _set(website={}), "rejected as automated submission"),
    # Issue 14, item 2: once a TypeError deep in the stamp check, a 500 per request.
    ("stamp accents", _set(t="1796187727804." + "é" * 16), "form stamp is invalid"),
    ("stamp digits", _set(t="\u00b9\u00b2\u00b3.0123456789abcdef"), "form stamp is invalid"),
]


async def test_invalid_ratings_are_400_and_nothing_stored(web: Web) -> None:
    # One app for the whole table (an app per case would make the suite slow); every
    # case is checked and all mismatches are reported together.
    wrong = []
    for name, changes, message in BAD:
        body = web.rating()
        for key, value in changes.items():
            if value is None and key in ("token", "t"):
                del body[key]
            else:
                body[key] = value
        r = await web.client.post(API, json=body)
        reply = r.json()
        if r.status_code != 400 or reply.get("ok") is not False or message not in reply["error"]:
            wrong.append(f"{name}: {r.status_code} {reply}")
    assert wrong == []
    assert await web.store.count_ratings() == 0


async def test_comment_of_500_characters_is_accepted(web: Web, settings: Settings) -> None:
    comment = "等" * 499 + "🙂"  # 500 characters, one of them outside the BMP
    r = await web.client.post(API, json=web.rating(level=2, comment=comment))
    assert r.status_code == 201, r.text
    assert rows(settings, "SELECT comment FROM ratings") == [(comment,)]


async def test_browser_line_breaks_do_not_count_twice(web: Web, settings: Settings) -> None:
    # A browser's maxlength=500 counts a line break once but submits it as CR LF.
    comment = "第一行" * 83 + "\r\n" + "第二行" * 83 + "\r\n"  # 500 once CR LF counts as one
    r = await web.client.post(API, json=web.rating(level=2, comment=comment))
    assert r.status_code == 201, r.text
    assert rows(settings, "SELECT comment FROM ratings") == [
        (comment.replace("\r\n", "\n").strip(),)
    ]


async def test_full_width_phone_digits_are_accepted(web: Web, settings: Settings) -> None:
    # Chinese input methods in full-width mode type these digits.
    body = web.rating(level=2, phone="１３８ １２３４ ５６７８", consent=True)
    r = await web.client.post(API, json=body)
    assert r.status_code == 201, r.text
    (enc, mask), *_ = rows(settings, "SELECT phone_enc, phone_mask FROM ratings")
    assert mask == "138****5678" and web.keys.decrypt_phone(enc) == "13812345678"


async def test_level_as_a_digit_string_is_the_level(web: Web, settings: Settings) -> None:
    # The form post sends "4"; the API accepts the same spelling.
    r = await web.client.post(API, json=web.rating(level="4"))
    assert r.status_code == 201
    assert rows(settings, "SELECT level FROM ratings") == [(4,)]


# ------------------------------------------------------------------ body, type, size


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"level": 5', "body is not valid JSON"),
        (b"", "body is not valid JSON"),
        (b"\xff\xfe{}", "body is not valid JSON"),
        (b"[" * 5000 + b"]" * 5000, "body is not valid JSON"),
        (b"[]", "body must be a JSON object"),
        (b'"level"', "body must be a JSON object"),
        (b"5", "body must be a JSON object"),
        (b"null", "body must be a JSON object"),
    ],
    ids=["truncated", "empty", "not-utf8", "deeply-nested", "array", "string", "number", "null"],
)
async def test_body_that_is_not_a_json_object_is_400(
    web: Web, content: bytes, message: str
) -> None:
    r = await web.client.post(API, content=content, headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert r.json() == {"ok": False, "error": message, "status": 400}


@pytest.mark.parametrize(
    "ctype", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", None]
)
async def test_wrong_content_type_is_415(web: Web, ctype: str | None) -> None:
    headers = {"content-type": ctype} if ctype else {}
    content = json.dumps(web.rating()).encode()
    r = await web.client.post(API, content=content, headers=headers)
    assert r.status_code == 415
    assert r.json() == {
        "ok": False,
        "error": "expected Content-Type: application/json",
        "status": 415,
    }
    assert await web.store.count_ratings() == 0


async def test_json_with_charset_parameter_is_fine(web: Web) -> None:
    content = json.dumps(web.rating(), ensure_ascii=False).encode()
    r = await web.client.post(
        API, content=content, headers={"content-type": "Application/JSON; charset=utf-8"}
    )
    assert r.status_code == 201


async def test_body_of_exactly_the_limit_is_accepted(web: Web, settings: Settings) -> None:
    content = json.dumps(web.rating()).encode()
    content = content[:-1] + b" " * (settings.max_body_bytes - len(content)) + b"}"
    assert len(content) == settings.max_body_bytes
    r = await web.client.post(API, content=content, headers={"content-type": "application/json"})
    assert r.status_code == 201


async def test_oversized_body_with_content_length_is_413(web: Web, settings: Settings) -> None:
    content = json.dumps(web.rating(comment="x" * settings.max_body_bytes)).encode()
    r = await web.client.post(API, content=content, headers={"content-type": "application/json"})
    assert r.request.headers["content-length"] == str(len(content))
    assert r.status_code == 413
    assert r.json() == {
        "ok": False,
        "error": f"request body larger than {settings.max_body_bytes} bytes",
        "status": 413,
    }
    assert await web.store.count_ratings() == 0


async def test_oversized_chunked_body_without_length_is_413(web: Web) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"comment": "'
        for _ in range(64):
            yield b"x" * 1024
        yield b'"}'

    r = await web.client.post(API, content=chunks(), headers={"content-type": "application/json"})
    assert "content-length" not in r.request.headers
    assert r.status_code == 413
    assert r.json()["status"] == 413


async def test_oversized_form_post_is_413_page(web: Web) -> None:
    r = await web.client.post(
        f"/r/{web.token()}",
        data={"level": "2", "comment": "x" * 20_000, "t": web.stamp(web.token())},
    )
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("text/html")
    assert "提交内容过大" in r.text  # in Chinese, like the page it came from
    assert await web.store.count_ratings() == 0


async def test_garbled_content_length_is_400(web: Web) -> None:
    r = await web.client.post(
        API,
        content=b"{}",
        headers=[(b"content-type", b"application/json"), (b"content-length", b"\xb2")],
    )
    assert r.status_code == 400
    assert r.json()["error"] == "invalid Content-Length"


# ------------------------------------------------------------------ tokens and stamps


async def test_unknown_token_is_404(web: Web) -> None:
    body = web.rating()
    body["token"] = "ZZZZZZZZZZZZ"
    body["t"] = web.stamp("ZZZZZZZZZZZZ")
    r = await web.client.post(API, json=body)
    assert r.status_code == 404
    assert r.json() == {"ok": False, "error": "unknown rating code", "status": 404}


async def test_revoked_token_is_410(web: Web) -> None:
    body = web.rating()
    await web.store.reissue_token(web.officers[0].badge_no)
    r = await web.client.post(API, json=body)
    assert r.status_code == 410
    assert r.json() == {"ok": False, "error": "this code is no longer valid", "status": 410}
    assert await web.store.count_ratings() == 0


async def test_code_reissued_by_the_command_line_is_refused_at_once(
    web: Web, settings: Settings
) -> None:
    """Another process (the CLI) revokes a code the running server has just seen."""
    assert (await web.client.post(API, json=web.rating(0))).status_code == 201
    old_code = web.rating(0)
    argv = ["--database", settings.database, "officers", "reissue", web.officers[0].badge_no]
    assert await asyncio.to_thread(main, argv) == 0
    web.client.cookies.clear()  # a new phone: without the revocation this would be a 201
    r = await web.client.post(API, json=old_code)
    assert r.status_code == 410
    assert await web.store.count_ratings() == 1


async def test_typed_token_in_the_body_is_normalized(web: Web, settings: Settings) -> None:
    body = web.rating()
    body["token"] = str(body["token"]).lower()
    r = await web.client.post(API, json=body)
    assert r.status_code == 201
    assert rows(settings, "SELECT token FROM ratings") == [(web.token(),)]


@pytest.mark.parametrize(
    ("which", "message"),
    [
        ("expired", "the rating page has expired"),
        ("forged", "form stamp is invalid"),
        ("other_officer", "form stamp is invalid"),
        ("future", "form stamp is invalid"),
    ],
)
async def test_bad_stamp_is_400_and_nothing_stored(web: Web, which: str, message: str) -> None:
    body = web.rating()
    token = web.token()
    body["t"] = {
        "expired": web.stamp(token, age_s=12 * 3600 + 60),
        "forged": f"{int(time.time() * 1000) - 10_000}.0123456789abcdef",
        "other_officer": web.stamp(web.token(1)),
        "future": web.stamp(token, age_s=-600),
    }[which]
    r = await web.client.post(API, json=body)
    assert r.status_code == 400
    assert message in r.json()["error"]
    assert await web.store.count_ratings() == 0


async def test_quick_rating_is_stored_and_marked_fast(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, min_submit_seconds=1.0)
    async with opened(settings) as web:
        for i, age in ((0, 0.2), (1, 1.5)):
            body = web.rating(i)
            body["t"] = web.stamp(web.token(i), age_s=age)
            assert (await web.client.post(API, json=body)).status_code == 201
            web.client.cookies.clear()
    # min_submit_seconds only decides the mark: under it is fast, over it is not.
    assert rows(settings, "SELECT fast FROM ratings ORDER BY id") == [(1,), (0,)]


# ------------------------------------------------------------------ one matter, one rating


async def test_second_rating_within_the_window_amends(web: Web, settings: Settings) -> None:
    first = await web.client.post(API, json=web.rating(level=2, reasons=["efficiency"]))
    assert first.status_code == 201
    second = await web.client.post(API, json=web.rating(level=4))
    assert second.status_code == 200
    assert second.json()["amended"] is True
    assert second.json()["receipt"] == first.json()["receipt"]
    assert rows(settings, "SELECT level, reasons, amend_count FROM ratings") == [(4, "", 1)]
    # The earlier version is kept, not lost.
    assert rows(settings, "SELECT level, reasons FROM rating_revisions") == [(2, "efficiency")]
    page = (await web.client.get(first.json()["receipt_url"])).text
    assert ">满意</span>" in page and "(已更新)" in page


async def test_other_officer_or_other_device_is_a_new_rating(web: Web) -> None:
    a = await web.client.post(API, json=web.rating(0))
    b = await web.client.post(API, json=web.rating(1))
    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json()["receipt"] != b.json()["receipt"]
    web.client.cookies.clear()  # another phone
    c = await web.client.post(API, json=web.rating(0))
    assert c.status_code == 201 and c.json()["receipt"] != a.json()["receipt"]
    assert await web.store.count_ratings() == 3


async def test_after_the_window_a_new_rating_is_made(web: Web, settings: Settings) -> None:
    device = "device-cookie-0123456789"
    web.client.cookies.set("pj_dev", device)
    old = await web.store.submit_rating(
        RatingSubmission(
            token=web.token(),
            level=3,
            channel="badge",
            device_hash=web.keys.device_hash(device),
            at_ms=int(time.time() * 1000) - 31 * 60_000,
        )
    )
    r = await web.client.post(API, json=web.rating(level=5))
    assert r.status_code == 201 and r.json()["receipt"] != old.receipt
    assert "set-cookie" not in r.headers  # the device kept its cookie
    assert sorted(rows(settings, "SELECT level, amend_count FROM ratings")) == [(3, 0), (5, 0)]


async def test_inside_a_configured_window_it_amends(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, amend_window_minutes=120)
    async with opened(settings) as web:
        device = "device-cookie-0123456789"
        web.client.cookies.set("pj_dev", device)
        old = await web.store.submit_rating(
            RatingSubmission(
                token=web.token(),
                level=3,
                channel="badge",
                device_hash=web.keys.device_hash(device),
                at_ms=int(time.time() * 1000) - 90 * 60_000,
            )
        )
        r = await web.client.post(API, json=web.rating(level=5))
        assert r.status_code == 200 and r.json()["receipt"] == old.receipt
        assert rows(settings, "SELECT level, amend_count FROM ratings") == [(5, 1)]


# ------------------------------------------------------------------ rate limits


async def test_device_rate_limit(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, rate_limit_device_per_hour=2)
    async with opened(settings) as web:
        hold_mid_hour(web.store)  # the network limit counts per clock hour
        for i in range(2):
            assert (await web.client.post(API, json=web.rating(i))).status_code == 201
        r = await web.client.post(API, json=web.rating(2))
        assert r.status_code == 429
        assert r.json() == {
            "ok": False,
            "error": "too many ratings from this device or network; please try again later",
            "status": 429,
        }
        assert await web.store.count_ratings() == 2
        web.client.cookies.clear()  # another phone on the same network is not blocked
        assert (await web.client.post(API, json=web.rating(2))).status_code == 201


async def test_network_rate_limit_across_devices(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path, rate_limit_device_per_hour=100, rate_limit_network_per_hour=3
    )
    async with opened(settings) as web:
        hold_mid_hour(web.store)  # the network limit counts per clock hour
        for _ in range(3):
            web.client.cookies.clear()
            assert (await web.client.post(API, json=web.rating(0))).status_code == 201
        web.client.cookies.clear()
        r = await web.client.post(API, json=web.rating(0))
        assert r.status_code == 429
        assert r.json()["error"] == "too many ratings from this network; please try again later"
        web.client.cookies.clear()
        page = await web.client.post(
            f"/r/{web.token(1)}", data={"level": "5", "t": web.stamp(web.token(1))}
        )
        assert page.status_code == 429 and "该网络提交过于频繁" in page.text
        assert await web.store.count_ratings() == 3


# ------------------------------------------------------------------ addresses and privacy


async def test_forwarded_for_is_ignored_from_an_untrusted_peer(
    web: Web, settings: Settings
) -> None:
    r = await web.client.post(API, json=web.rating(), headers={"x-forwarded-for": "198.51.100.9"})
    assert r.status_code == 201
    assert rows(settings, "SELECT network_hash FROM ratings") == [
        (web.keys.network_hash(CLIENT_IP),)
    ]


async def test_forwarded_for_is_believed_from_a_trusted_proxy(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, trusted_proxies=f"10.0.0.1, {CLIENT_IP}")
    async with opened(settings) as web:
        # The client forged the first hop; the proxies appended the real ones.
        headers = {"x-forwarded-for": "192.0.2.66, 198.51.100.9, 10.0.0.1"}
        r = await web.client.post(API, json=web.rating(), headers=headers)
        assert r.status_code == 201
        assert rows(settings, "SELECT network_hash FROM ratings") == [
            (web.keys.network_hash("198.51.100.9"),)
        ]


async def test_ipv6_clients_are_limited_per_64(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, trusted_proxies=CLIENT_IP, rate_limit_network_per_hour=1)
    async with opened(settings) as web:
        hold_mid_hour(web.store)  # the network limit counts per clock hour
        a = {"x-forwarded-for": "2001:db8:1:2::10"}
        b = {"x-forwarded-for": "2001:db8:1:2:ffff::1"}  # same /64: same subscriber
        assert (await web.client.post(API, json=web.rating(0), headers=a)).status_code == 201
        web.client.cookies.clear()
        assert (await web.client.post(API, json=web.rating(1), headers=b)).status_code == 429


async def test_no_raw_address_is_stored(web: Web, settings: Settings) -> None:
    await web.client.post(API, json=web.rating(0, level=2, reasons=["attitude"]))
    await web.client.post(f"/r/{web.token(1)}", data={"level": "5", "t": web.stamp(web.token(1))})
    await web.client.post(API, json=web.rating(2, level=6))  # refused, still counted
    assert await web.store.count_ratings() == 2
    stored = database_bytes(settings)
    for spelling in (CLIENT_IP, "203.0.113", "cb007107"):  # dotted, prefix, hex
        assert spelling.encode() not in stored
        assert spelling.encode("utf-16-le") not in stored


async def test_phone_is_stored_encrypted_and_masked(web: Web, settings: Settings) -> None:
    body = web.rating(level=2, reasons=["attitude"], phone="138 1234 5678", consent=True)
    r = await web.client.post(API, json=body)
    assert r.status_code == 201
    with contextlib.closing(sqlite3.connect(settings.database)) as conn:
        conn.row_factory = sqlite3.Row
        row = conn.execute("SELECT * FROM ratings").fetchone()
    values = {k: row[k] for k in row.keys()}  # noqa: SIM118 (sqlite3.Row)
    for key, value in values.items():
        assert "13812345678" not in str(value), key
        assert "12345678" not in str(value), key
    assert values["phone_mask"] == "138****5678"
    assert web.keys.decrypt_phone(values["phone_enc"]) == "13812345678"
    assert values["phone_hash"] == web.keys.phone_hash("13812345678")
    assert b"13812345678" not in database_bytes(settings)


async def test_amend_keeps_the_phone_from_the_details_step(web: Web, settings: Settings) -> None:
    await web.client.post(API, json=web.rating(level=2, phone="13812345678", consent=True))
    r = await web.client.post(API, json=web.rating(level=1, reasons=["integrity"]))
    assert r.json()["amended"] is True
    assert rows(settings, "SELECT level, reasons, phone_mask FROM ratings") == [
        (1, "integrity", "138****5678")
    ]


async def test_amending_to_satisfied_drops_the_phone(web: Web, settings: Settings) -> None:
    await web.client.post(API, json=web.rating(level=2, phone="13812345678", consent=True))
    r = await web.client.post(API, json=web.rating(level=5))
    assert r.json()["amended"] is True
    # A satisfied rating opens no case, so a phone kept here would never be purged.
    assert rows(settings, "SELECT phone_enc, phone_hash, phone_mask FROM ratings") == [
        (None, None, None)
    ]

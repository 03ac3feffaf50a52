"""The kiosk API over HTTP: enrolment, sign-in, idempotent taps, tap time, rate limit."""

from __future__ import annotations

import io
import time
from typing import Any

import pytest

from rating.cli import main
from rating.kiosk import store as ks
from rating.settings import Settings
from rating.store.base import now_ms
from tests.conftest import Web, rows
from tests.units import run_sql

HOUR = 3_600_000


async def _kiosk(web: Web, name: str = "户籍窗口1", badge: str | None = "100001") -> str:
    """Register and enroll a kiosk; put `badge` on duty; return the device token."""
    code = await web.store.write(
        ks.add_kiosk, name, "张家口市公安局/桥东分局/胜利路派出所", now_ms()
    )
    r = await web.client.post("/api/v1/kiosk/enroll", json={"code": code})
    assert r.status_code == 201, r.text
    token: str = r.json()["token"]
    if badge:
        # On duty since two hours ago, so taps queued up to then belong to this officer.
        assert await web.store.write(ks.assign_officer, name, badge, now_ms() - 2 * HOUR) is None
    return token


def _tap(key: str, *, ago_ms: int = 0, officer: str = "100001", **extra: Any) -> dict[str, Any]:
    sent = int(time.time() * 1000)
    body: dict[str, Any] = {
        "key": key,
        "officer": officer,
        "level": 4,
        "tapped_at": sent - ago_ms,
        "sent_at": sent,
        "lang": "zh",
    }
    body.update(extra)
    return body


def _auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def _count_kiosk(web: Web) -> int:
    rows = await web.store.read(lambda tx: tx.one("SELECT COUNT(*) FROM kiosk_ratings"))
    return int(rows[0])


async def test_enrolment_code_works_once(web: Web) -> None:
    code = await web.store.write(ks.add_kiosk, "窗口A", "张家口市公安局", now_ms())
    first = await web.client.post("/api/v1/kiosk/enroll", json={"code": code})
    assert first.status_code == 201
    assert first.json()["kiosk"]["name"] == "窗口A"
    assert first.json()["officer"] is None
    again = await web.client.post("/api/v1/kiosk/enroll", json={"code": code})
    assert again.status_code == 404
    assert again.json() == {
        "ok": False,
        "error": "unknown, used or expired enrolment code",
        "status": 404,
    }
    state = await web.client.get("/api/v1/kiosk/state", headers=_auth(first.json()["token"]))
    assert state.status_code == 200 and state.json()["kiosk"]["unit"] == "张家口市公安局"


async def test_only_the_hash_of_the_device_token_is_stored(web: Web) -> None:
    token = await _kiosk(web)
    row = await web.store.read(lambda tx: tx.one("SELECT token_hash FROM kiosks"))
    assert row[0] == ks.token_hash(token) and token not in row[0]


async def test_unknown_or_missing_device_token_is_401(web: Web) -> None:
    await _kiosk(web)
    for headers in ({}, _auth("not-a-kiosk-token"), {"authorization": "Basic abc"}):
        r = await web.client.post("/api/v1/kiosk/ratings", json=_tap("k" * 16), headers=headers)
        assert r.status_code == 401
        assert r.json()["ok"] is False
    assert await web.store.count_ratings() == 0


async def test_tap_is_stored_once_with_channel_kiosk_at_tap_time(web: Web) -> None:
    token = await _kiosk(web)
    before = int(time.time() * 1000)
    body = _tap("tap-0001-abcdef", ago_ms=HOUR)
    r = await web.client.post("/api/v1/kiosk/ratings", json=body, headers=_auth(token))
    after = int(time.time() * 1000)
    assert r.status_code == 201, r.text
    receipt = r.json()["receipt"]
    assert r.json()["replayed"] is False
    view = await web.store.rating_by_receipt(receipt)
    assert view is not None
    assert view.channel == "kiosk" and view.level == 4 and view.badge_no == "100001"
    # The rating time is the tap, an hour before the upload, not the upload.
    assert before - HOUR <= view.created_at <= after - HOUR

    # The same key again (a lost reply, a reload mid-upload): same receipt, nothing new.
    retry = dict(body, sent_at=body["sent_at"] + 5000, level=1)
    again = await web.client.post("/api/v1/kiosk/ratings", json=retry, headers=_auth(token))
    assert again.status_code == 200
    assert again.json() == {"ok": True, "receipt": receipt, "replayed": True}
    assert await web.store.count_ratings() == 1
    assert await _count_kiosk(web) == 1
    view = await web.store.rating_by_receipt(receipt)
    assert view is not None and view.level == 4


async def test_tablet_clock_error_does_not_move_the_rating_time(web: Web) -> None:
    token = await _kiosk(web)
    wrong_clock = 3 * 86_400_000  # the tablet thinks it is three days later
    body = _tap("skewed-clock-1", ago_ms=60_000)
    body["tapped_at"] += wrong_clock
    body["sent_at"] += wrong_clock
    before = int(time.time() * 1000)
    r = await web.client.post("/api/v1/kiosk/ratings", json=body, headers=_auth(token))
    after = int(time.time() * 1000)
    assert r.status_code == 201
    view = await web.store.rating_by_receipt(r.json()["receipt"])
    assert view is not None and before - 60_000 <= view.created_at <= after - 60_000


async def test_tap_in_the_future_or_older_than_7_days_is_refused(web: Web) -> None:
    token = await _kiosk(web)
    # A clock set back by a minute between tap and upload: kept, dated on arrival.
    stepped = _tap("clock-step-1", ago_ms=-60_000)
    before = int(time.time() * 1000)
    r = await web.client.post("/api/v1/kiosk/ratings", json=stepped, headers=_auth(token))
    assert r.status_code == 201
    view = await web.store.rating_by_receipt(r.json()["receipt"])
    assert view is not None and before <= view.created_at <= int(time.time() * 1000)
    future = _tap("future-tap-1", ago_ms=-301_000)
    r = await web.client.post("/api/v1/kiosk/ratings", json=future, headers=_auth(token))
    assert r.status_code == 400
    assert "future" in r.json()["error"]
    old = _tap("ancient-tap-1", ago_ms=7 * 86_400_000 + 1000)
    r = await web.client.post("/api/v1/kiosk/ratings", json=old, headers=_auth(token))
    assert r.status_code == 400
    assert "7 days" in r.json()["error"]
    assert await web.store.count_ratings() == 1


async def test_rate_limit_is_per_kiosk_on_tap_time(web: Web) -> None:
    token = await _kiosk(web)
    headers = _auth(token)
    # Default minimum interval: 3 s between taps of one kiosk.
    r1 = await web.client.post(
        "/api/v1/kiosk/ratings", json=_tap("burst-1x", ago_ms=10_000), headers=headers
    )
    r2 = await web.client.post(
        "/api/v1/kiosk/ratings", json=_tap("burst-2x", ago_ms=9_000), headers=headers
    )
    assert (r1.status_code, r2.status_code) == (201, 429)
    # A queue flushed all at once is fine: what counts is how far apart the taps were.
    r3 = await web.client.post(
        "/api/v1/kiosk/ratings", json=_tap("burst-3x", ago_ms=5_000), headers=headers
    )
    r4 = await web.client.post(
        "/api/v1/kiosk/ratings", json=_tap("burst-4x", ago_ms=0), headers=headers
    )
    assert (r3.status_code, r4.status_code) == (201, 201)
    # A retry of a stored tap is a replay, not a new tap: never rate limited.
    r5 = await web.client.post(
        "/api/v1/kiosk/ratings", json=_tap("burst-1x", ago_ms=10_000), headers=headers
    )
    assert r5.status_code == 200
    # Another kiosk has its own limit.
    other = await _kiosk(web, "户籍窗口2", badge="100002")
    r6 = await web.client.post(
        "/api/v1/kiosk/ratings", json=_tap("other-1x", officer="100002"), headers=_auth(other)
    )
    assert r6.status_code == 201
    assert await web.store.count_ratings() == 4


async def test_kiosk_taps_never_amend_each_other(web: Web) -> None:
    # A phone's second rating of one officer amends its first; a kiosk serves a new
    # citizen each time, so two taps are two ratings.
    token = await _kiosk(web)
    a = await web.client.post(
        "/api/v1/kiosk/ratings",
        json=_tap("citizen-a", ago_ms=60_000, level=5),
        headers=_auth(token),
    )
    b = await web.client.post(
        "/api/v1/kiosk/ratings", json=_tap("citizen-b", level=2), headers=_auth(token)
    )
    assert a.status_code == b.status_code == 201
    assert a.json()["receipt"] != b.json()["receipt"]
    assert await web.store.count_ratings() == 2


async def test_revoked_kiosk_is_refused_and_stores_nothing(web: Web) -> None:
    token = await _kiosk(web)
    assert await web.store.write(ks.revoke_kiosk, "户籍窗口1", now_ms())
    r = await web.client.post(
        "/api/v1/kiosk/ratings", json=_tap("after-revoke"), headers=_auth(token)
    )
    assert r.status_code == 403
    assert r.json() == {"ok": False, "error": "this kiosk has been revoked", "status": 403}
    state = await web.client.get("/api/v1/kiosk/state", headers=_auth(token))
    assert state.status_code == 403
    assert await web.store.count_ratings() == 0


async def test_reenrolment_stops_the_old_tablet(web: Web) -> None:
    old = await _kiosk(web)
    code = await web.store.write(ks.reenroll_kiosk, "户籍窗口1", now_ms())
    assert code is not None
    r = await web.client.get("/api/v1/kiosk/state", headers=_auth(old))
    assert r.status_code == 401
    new = await web.client.post("/api/v1/kiosk/enroll", json={"code": code})
    assert new.status_code == 201 and new.json()["token"] != old


async def test_only_the_officer_on_duty_at_tap_time_can_be_rated(web: Web) -> None:
    token = await _kiosk(web)  # 100001 on duty
    r = await web.client.post(
        "/api/v1/kiosk/ratings", json=_tap("not-on-duty", officer="100003"), headers=_auth(token)
    )
    assert r.status_code == 409
    tapped_on_duty = _tap("queued-before-signout", ago_ms=1000)
    await web.store.write(ks.set_pin, "100001", ks.hash_pin("135790"), now_ms())
    out = await web.client.post(
        "/api/v1/kiosk/signout", json={"pin": "135790"}, headers=_auth(token)
    )
    assert out.status_code == 200 and out.json()["officer"] is None
    # Tapped while 100001 was on duty, uploaded after sign-out: still theirs.
    r = await web.client.post("/api/v1/kiosk/ratings", json=tapped_on_duty, headers=_auth(token))
    assert r.status_code == 201
    # An hour before the session began: refused.
    r = await web.client.post(
        "/api/v1/kiosk/ratings", json=_tap("before-duty", ago_ms=3 * HOUR), headers=_auth(token)
    )
    assert r.status_code == 409
    assert await web.store.count_ratings() == 1


async def test_retired_officer_is_410(web: Web) -> None:
    token = await _kiosk(web)
    await web.store.write(
        run_sql, "UPDATE officers SET status = 'retired' WHERE badge_no = '100001'"
    )
    r = await web.client.post("/api/v1/kiosk/ratings", json=_tap("retired-1"), headers=_auth(token))
    assert r.status_code == 410
    assert await web.store.count_ratings() == 0


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"level": 0}, 400, "level"),
        ({"level": 6}, 400, "level"),
        ({"level": "5"}, 400, "level"),
        ({"level": True}, 400, "level"),
        ({"key": "short"}, 400, "key"),
        ({"key": "bad key with spaces"}, 400, "key"),
        ({"tapped_at": "yesterday"}, 400, "tapped_at"),
        ({"sent_at": None}, 400, "sent_at"),
        ({"lang": "fr"}, 400, "lang"),
        ({"comment": "hi"}, 400, "unknown field 'comment'"),
        ({"officer": ""}, 400, "officer"),
    ],
)
async def test_bad_input_is_400_and_stores_nothing(
    web: Web, change: dict[str, Any], status: int, words: str
) -> None:
    token = await _kiosk(web)
    body = _tap("valid-key-123")
    body.update(change)
    r = await web.client.post("/api/v1/kiosk/ratings", json=body, headers=_auth(token))
    assert r.status_code == status
    assert words in r.json()["error"]
    assert await web.store.count_ratings() == 0


async def test_non_json_body_is_415(web: Web) -> None:
    token = await _kiosk(web)
    r = await web.client.post(
        "/api/v1/kiosk/ratings",
        content=b"level=5",
        headers={**_auth(token), "content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 415


async def test_pin_sign_in_and_lockout(web: Web) -> None:
    token = await _kiosk(web, badge=None)
    await web.store.write(ks.set_pin, "100002", ks.hash_pin("246810"), now_ms())
    pin_row = await web.store.read(lambda tx: tx.one("SELECT pin_hash FROM officer_pins"))
    assert "246810" not in pin_row[0] and pin_row[0].startswith("scrypt$")
    wrong = await web.client.post(
        "/api/v1/kiosk/signin", json={"badge_no": "100002", "pin": "111111"}, headers=_auth(token)
    )
    assert wrong.status_code == 403
    nobody = await web.client.post(
        "/api/v1/kiosk/signin", json={"badge_no": "999999", "pin": "111111"}, headers=_auth(token)
    )
    assert nobody.status_code == 403 and nobody.json()["error"] == wrong.json()["error"]
    ok = await web.client.post(
        "/api/v1/kiosk/signin", json={"badge_no": "100002", "pin": "246810"}, headers=_auth(token)
    )
    assert ok.status_code == 200
    assert ok.json()["officer"] == {
        "badge_no": "100002",
        "name": "李娜",
        "kind": "auxiliary",
        "unit": "胜利路派出所",
    }
    for _ in range(ks.PIN_MAX_FAILURES):
        await web.client.post(
            "/api/v1/kiosk/signin",
            json={"badge_no": "100002", "pin": "000000"},
            headers=_auth(token),
        )
    locked = await web.client.post(
        "/api/v1/kiosk/signin", json={"badge_no": "100002", "pin": "246810"}, headers=_auth(token)
    )
    assert locked.status_code == 429


async def test_kiosk_page_loads_its_own_files_under_its_own_csp(web: Web) -> None:
    r = await web.client.get("/kiosk/")
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "connect-src 'self'" in csp
    assert '<script src="/static/kiosk.js"' in r.text and "<script>" not in r.text
    assert 'data-interval-ms="3000"' in r.text
    sw = await web.client.get("/kiosk/sw.js")
    assert sw.status_code == 200 and "javascript" in sw.headers["content-type"]
    js = await web.client.get("/static/kiosk.js")
    assert js.status_code == 200 and "idempotency" in js.text


def _cli(settings: Settings, *argv: str) -> int:
    return main(["--database", settings.database, *argv])


async def test_cli_add_list_assign_set_pin_revoke(
    web: Web,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The CLI opens its own store (asyncio.run), so run it outside this test's loop.
    import asyncio

    monkeypatch.setenv("PINGJING_PUBLIC_BASE_URL", "https://pj.example.cn")

    async def cli(*argv: str) -> int:
        return await asyncio.to_thread(_cli, settings, *argv)

    assert await cli("kiosks", "add", "出入境1", "--unit", "张家口市公安局/桥西分局") == 0
    out = capsys.readouterr().out
    assert "https://pj.example.cn/kiosk/#enroll=" in out
    code = out.split("#enroll=")[1].split()[0]
    assert await cli("kiosks", "add", "出入境1", "--unit", "张家口市公安局") == 1
    assert "already exists" in capsys.readouterr().err
    assert await cli("kiosks", "add", "x", "--unit", "no/such/unit") == 1
    assert "unknown unit" in capsys.readouterr().err
    r = await web.client.post("/api/v1/kiosk/enroll", json={"code": code})
    assert r.status_code == 201
    monkeypatch.setattr("sys.stdin", io.StringIO("13579\n"))
    assert await cli("kiosks", "set-pin", "100003", "--pin-stdin") == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("12\n"))
    assert await cli("kiosks", "set-pin", "100003", "--pin-stdin") == 1
    assert "4 to 12 digits" in capsys.readouterr().err
    assert await cli("kiosks", "assign", "出入境1", "100003") == 0
    assert await cli("kiosks", "list") == 0
    out = capsys.readouterr().out
    assert "出入境1\t张家口市公安局/桥西分局\tactive\t王强 (100003)" in out
    assert await cli("kiosks", "revoke", "出入境1") == 0
    assert await cli("kiosks", "revoke", "nope") == 1
    assert await cli("kiosks", "list") == 0
    assert "\trevoked\t-" in capsys.readouterr().out
    signin = await web.client.post(
        "/api/v1/kiosk/signin",
        json={"badge_no": "100003", "pin": "13579"},
        headers=_auth(r.json()["token"]),
    )
    assert signin.status_code == 403


async def test_cli_reenroll_pending_kiosks_typed_pins_and_unknown_names(
    web: Web,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import asyncio

    monkeypatch.setenv("PINGJING_PUBLIC_BASE_URL", "https://pj.example.cn")

    async def cli(*argv: str) -> int:
        return await asyncio.to_thread(_cli, settings, *argv)

    assert await cli("kiosks", "add", "户籍2", "--unit", "张家口市公安局") == 0
    first = capsys.readouterr().out.split("#enroll=")[1].split()[0]
    assert await cli("kiosks", "list") == 0
    assert "户籍2\t张家口市公安局\tawaiting enrolment\t-" in capsys.readouterr().out
    assert await cli("kiosks", "reenroll", "户籍2") == 0
    out = capsys.readouterr().out
    second = out.split("#enroll=")[1].split()[0]
    assert "old tablet no longer works" in out and second != first
    stale = await web.client.post("/api/v1/kiosk/enroll", json={"code": first})
    assert stale.status_code == 404
    fresh = await web.client.post("/api/v1/kiosk/enroll", json={"code": second})
    assert fresh.status_code == 201
    assert await cli("kiosks", "reenroll", "nope") == 1
    assert "no kiosk named 'nope'" in capsys.readouterr().err

    # A PIN typed at the terminal is asked twice; two different ones change nothing.
    typed = iter(["24680", "24681"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))
    assert await cli("kiosks", "set-pin", "100003") == 1
    assert "the PINs differ" in capsys.readouterr().err
    pins = "SELECT COUNT(*) FROM officer_pins p JOIN officers o ON o.id = p.officer_id"
    assert rows(settings, pins + " WHERE o.badge_no = '100003'") == [(0,)]
    monkeypatch.setattr("sys.stdin", io.StringIO("24680\n"))
    assert await cli("kiosks", "set-pin", "999999", "--pin-stdin") == 1
    assert "no officer with badge number '999999'" in capsys.readouterr().err
    typed = iter(["24680", "24680"])
    assert await cli("kiosks", "set-pin", "100003") == 0
    assert rows(settings, pins + " WHERE o.badge_no = '100003'") == [(1,)]
    assert await cli("kiosks", "assign", "nope", "100003") == 1
    assert capsys.readouterr().err.strip()


async def test_signing_out_needs_the_officers_own_pin(web: Web) -> None:
    token = await _kiosk(web)  # 100001 on duty
    await web.store.write(ks.set_pin, "100001", ks.hash_pin("135790"), now_ms())
    await web.store.write(ks.set_pin, "100002", ks.hash_pin("246810"), now_ms())
    for body, status in (
        (None, 415),  # anyone at the counter, no PIN (and no body)
        ({}, 400),
        ({"pin": ""}, 400),
        ({"pin": "246810"}, 403),  # another officer's PIN
        ({"pin": "000000"}, 403),
    ):
        r = await web.client.post("/api/v1/kiosk/signout", json=body, headers=_auth(token))
        assert r.status_code == status, (body, r.text)
        state = await web.client.get("/api/v1/kiosk/state", headers=_auth(token))
        assert state.json()["officer"]["badge_no"] == "100001"  # still on duty
    ok = await web.client.post(
        "/api/v1/kiosk/signout", json={"pin": "135790"}, headers=_auth(token)
    )
    assert ok.status_code == 200 and ok.json()["officer"] is None


async def test_wrong_signout_pins_lock_like_sign_in(web: Web) -> None:
    token = await _kiosk(web)
    await web.store.write(ks.set_pin, "100001", ks.hash_pin("135790"), now_ms())
    for _ in range(ks.PIN_MAX_FAILURES):
        r = await web.client.post(
            "/api/v1/kiosk/signout", json={"pin": "000000"}, headers=_auth(token)
        )
        assert r.status_code == 403
    locked = await web.client.post(
        "/api/v1/kiosk/signout", json={"pin": "135790"}, headers=_auth(token)
    )
    assert locked.status_code == 429


async def test_officer_without_a_pin_is_signed_out_by_reenrolment(web: Web) -> None:
    token = await _kiosk(web)  # assigned by the admin; 100001 has no PIN
    r = await web.client.post("/api/v1/kiosk/signout", json={"pin": "123456"}, headers=_auth(token))
    assert r.status_code == 403
    code = await web.store.write(ks.reenroll_kiosk, "户籍窗口1", now_ms())
    assert code is not None
    enrolled = await web.client.post("/api/v1/kiosk/enroll", json={"code": code})
    assert enrolled.status_code == 201 and enrolled.json()["officer"] is None

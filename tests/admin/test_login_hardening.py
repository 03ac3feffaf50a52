"""Admin login hardening (issue 14, item 10): a locked account answers as a wrong password,
a per-client throttle slows spraying across accounts, a lockout cannot keep the owner out,
OWASP's scrypt cost with upgrades at login, API tokens end with a password change."""

from __future__ import annotations

import functools
import hashlib
import re
from pathlib import Path

import pytest

from rating import hashing
from rating.admin import auth
from rating.cases.service import now_ms
from rating.settings import Settings
from tests.cases.helpers import PASSWORD, add_user, login, rows
from tests.conftest import Web, make_settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # Behind a proxy at 203.0.113.7 (the test client's address): X-Forwarded-For names the
    # client, so one test can speak from several addresses.
    return make_settings(
        tmp_path,
        admin_lockout_attempts=3,
        admin_login_client_failures=6,
        trusted_proxies="203.0.113.7",
    )


def error_of(page: str) -> str:
    found = re.search(r'<p class="error"[^>]*>(.*?)</p>', page, re.S)
    assert found, page[:2000]
    return found.group(1)


async def login_from(web: Web, address: str, name: str, password: str = PASSWORD) -> str:
    web.client.headers["x-forwarded-for"] = address
    try:
        r = await login(web, name, password)
    finally:
        del web.client.headers["x-forwarded-for"]
    return f"{r.status_code} {error_of(r.text) if r.status_code != 303 else ''}"


async def test_locked_wrong_and_unknown_answer_alike(web: Web) -> None:
    await add_user(web, "admin1", "admin")
    wrong = await login_from(web, "198.51.100.1", "admin1", "wrong")
    for _ in range(2):
        await login_from(web, "198.51.100.1", "admin1", "wrong")
    locked = await login_from(web, "198.51.100.2", "admin1")  # the right password, locked
    unknown = await login_from(web, "198.51.100.3", "nobody")
    assert wrong == locked == unknown and wrong.startswith("401 ")


async def test_a_client_spraying_passwords_over_accounts_is_throttled(
    web: Web, settings: Settings
) -> None:
    for i in range(6):
        await add_user(web, f"user{i}", "viewer")
    for i in range(6):  # one guess per account: no account gets near its lockout
        assert (await login_from(web, "198.51.100.7", f"user{i}", "123456")).startswith("401")
    # The client has used up its failures: even a right password waits, and no scrypt runs.
    assert (await login_from(web, "198.51.100.7", "user0")).startswith("429")
    # Another client is not affected, and the accounts are not locked.
    assert (await login_from(web, "198.51.100.8", "user0")).startswith("303")
    assert rows(settings, "SELECT COUNT(*) FROM admin_users WHERE locked_until IS NOT NULL") == [
        (0,)
    ]


async def test_a_lockout_cannot_keep_the_owner_out(web: Web) -> None:
    await add_user(web, "admin1", "admin")
    assert (await login(web, "admin1")).status_code == 303  # the owner's browser
    owner_cookie = web.client.cookies.get("pj_admin_dev", path="/admin")
    assert owner_cookie
    web.client.cookies.clear()
    for _ in range(3):  # someone else locks the account
        await login_from(web, "198.51.100.9", "admin1", "guess")
    assert (await login_from(web, "198.51.100.9", "admin1")).startswith("401")
    # The owner, from the browser they used before, still gets in with the password...
    web.client.cookies.set("pj_admin_dev", owner_cookie, path="/admin")
    assert (await login(web, "admin1")).status_code == 303
    # ...and a forged or another user's mark does not help.
    web.client.cookies.clear()
    for _ in range(3):
        await login_from(web, "198.51.100.10", "admin1", "guess")
    # The mark ends in hex: replacing its end by a fixed "00" left it unchanged once in 256
    # runs (and the "forged" mark got in); change the last digit to one it is not.
    forged = owner_cookie[:-1] + ("1" if owner_cookie.endswith("0") else "0")
    assert forged != owner_cookie
    web.client.cookies.set("pj_admin_dev", forged, path="/admin")
    assert (await login(web, "admin1")).status_code == 401


async def test_a_lockout_ends_by_itself(web: Web) -> None:
    await add_user(web, "admin1", "admin")
    record = functools.partial(
        auth.record_login, max_failures=3, lock_ms=15 * 60_000, session_ms=3_600_000
    )
    t0 = now_ms()
    for k in range(3):
        await web.store.write(record, "admin1", False, t0 + k)
    assert (await web.store.write(record, "admin1", True, t0 + 60_000)).locked
    later = await web.store.write(record, "admin1", True, t0 + 16 * 60_000)
    assert later.ok and later.session


def test_owasp_scrypt_cost_is_the_default() -> None:
    assert auth.ScryptCost(2**17, 8, 1) == auth.OWASP_COST
    # One real hash at that cost (128 MiB): it works within hashlib's memory limit.
    salt = b"s" * 16
    digest = hashing.scrypt("pw", salt, auth.OWASP_COST)
    assert digest == hashlib.scrypt(b"pw", salt=salt, n=2**17, r=8, p=1, maxmem=2**28, dklen=32)


async def test_an_old_hash_is_upgraded_at_the_next_login(
    web: Web, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auth, "COST", auth.ScryptCost(2**9, 8, 1))
    await add_user(web, "admin1", "admin")
    old = rows(settings, "SELECT password_hash FROM admin_users")[0][0]
    assert old.startswith("scrypt$512$8$1$")
    monkeypatch.setattr(auth, "COST", auth.ScryptCost(2**10, 8, 1))
    assert (await login(web, "admin1")).status_code == 303
    new = rows(settings, "SELECT password_hash FROM admin_users")[0][0]
    assert new.startswith("scrypt$1024$8$1$") and auth.check_password(PASSWORD, new)
    assert (await login(web, "admin1")).status_code == 303  # and it still logs in


async def test_api_tokens_end_when_the_password_changes(web: Web) -> None:
    await add_user(web, "script", "admin")
    token = await web.store.write(auth.new_api_token, "script", "nightly", now_ms())
    headers = {"authorization": f"Bearer {token}"}
    assert (await web.client.get("/api/v1/cases", headers=headers)).status_code == 200
    await web.store.write(auth.set_password, "script", auth.hash_password("new pass"), now_ms())
    assert (
        await web.client.get("/api/v1/cases", headers=headers)
    ).status_code == 401  # a revoked token: not authenticated

"""Accounts and roles through the HTTP interface: login, CSRF, lockout, scope, tokens."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from rating.admin import auth
from rating.cases.service import now_ms
from rating.settings import Settings
from tests.cases.helpers import (
    PASSWORD,
    QIAODONG,
    QIAOXI,
    act,
    add_user,
    bad_rating,
    case_id_of,
    hidden,
    login,
    rows,
)
from tests.conftest import Web, make_settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # The `web` fixture of tests/conftest.py serves these settings.
    return make_settings(tmp_path, admin_lockout_attempts=3)


async def test_pages_need_a_login(web: Web) -> None:
    r = await web.client.get("/admin/cases")
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/login")
    r = await web.client.post("/admin/cases/1/callback", data={"outcome": "reached"})
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/login")


async def test_password_is_hashed_with_scrypt(web: Web, settings: Settings) -> None:
    await add_user(web, "admin1", "admin")
    stored = rows(settings, "SELECT password_hash FROM admin_users WHERE name = 'admin1'")
    assert stored[0][0].startswith("scrypt$") and PASSWORD not in stored[0][0]
    assert auth.check_password(PASSWORD, stored[0][0])
    assert not auth.check_password(PASSWORD + "x", stored[0][0])


async def test_login_logout_and_secure_cookie_flags(web: Web) -> None:
    await add_user(web, "admin1", "admin")
    r = await login(web, "admin1")
    assert r.status_code == 303
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/admin" in cookie
    page = await web.client.get("/admin/cases")
    assert page.status_code == 200 and "admin1" in page.text
    assert "script-src" not in page.headers["content-security-policy"]  # no scripts at all
    r = await web.client.post("/admin/logout", data={"csrf": hidden(page.text, "csrf")})
    assert r.status_code == 303
    assert (await web.client.get("/admin/cases")).status_code == 303


async def test_wrong_password_is_refused(web: Web) -> None:
    await add_user(web, "admin1", "admin")
    r = await login(web, "admin1", "not the password")
    assert r.status_code == 401 and "用户名或密码错误" in r.text
    r = await login(web, "nobody")
    assert r.status_code == 401


async def test_lockout_after_repeated_failures(web: Web, settings: Settings) -> None:
    await add_user(web, "admin1", "admin")
    for _ in range(3):
        await login(web, "admin1", "wrong password")
    # Locked: even the right password is refused now, with the answer a wrong password
    # gets (issue 14: no name enumeration).
    r = await login(web, "admin1")
    assert r.status_code == 401 and "用户名或密码错误" in r.text
    assert (await web.client.get("/admin/cases")).status_code == 303
    actions = [a for (a,) in rows(settings, "SELECT action FROM audit_log ORDER BY id")]
    assert "lockout" in actions and "login" not in actions
    # An administrator lifts the lock.
    await web.store.write(auth.unlock_user, "admin1", now_ms())
    assert (await login(web, "admin1")).status_code == 303


async def test_login_form_without_csrf_is_rejected(web: Web) -> None:
    await add_user(web, "admin1", "admin")
    r = await web.client.post("/admin/login", data={"name": "admin1", "password": PASSWORD})
    assert r.status_code == 403
    assert (await web.client.get("/admin/cases")).status_code == 303


async def test_action_without_or_with_wrong_csrf_is_rejected(web: Web, settings: Settings) -> None:
    case_id = case_id_of(settings, await bad_rating(web))
    await add_user(web, "admin1", "admin")
    await login(web, "admin1")
    fields = {"outcome": "reached", "note": "called"}
    r = await web.client.post(f"/admin/cases/{case_id}/callback", data=fields)
    assert r.status_code == 403 and "刷新" in r.text
    r = await web.client.post(f"/admin/cases/{case_id}/callback", data={**fields, "csrf": "x"})
    assert r.status_code == 403
    assert rows(settings, "SELECT state FROM cases WHERE id = ?", (case_id,)) == [("open",)]
    r = await act(web, case_id, "callback", **fields)
    assert r.status_code == 303
    assert rows(settings, "SELECT state FROM cases WHERE id = ?", (case_id,)) == [("called_back",)]


async def test_unit_manager_cannot_read_or_act_on_another_units_case(
    web: Web, settings: Settings
) -> None:
    ours = case_id_of(settings, await bad_rating(web, 2))  # 新华街派出所, 桥西分局
    theirs = case_id_of(settings, await bad_rating(web, 0))  # 胜利路派出所, 桥东分局
    await add_user(web, "qiaoxi", "unit_manager", QIAOXI)
    await login(web, "qiaoxi")
    listing = await web.client.get("/admin/cases")
    assert f"/admin/cases/{ours}" in listing.text
    assert f"/admin/cases/{theirs}" not in listing.text
    # Read: refused, as if it did not exist (issue 14: like the officer and unit pages).
    r = await web.client.get(f"/admin/cases/{theirs}")
    assert r.status_code == 404
    # Act: refused, with a valid CSRF token taken from one of our own pages.
    csrf = hidden((await web.client.get(f"/admin/cases/{ours}")).text, "csrf")
    r = await web.client.post(
        f"/admin/cases/{theirs}/callback",
        data={"csrf": csrf, "outcome": "reached", "note": "not mine"},
    )
    assert r.status_code == 404
    assert rows(settings, "SELECT state FROM cases WHERE id = ?", (theirs,)) == [("open",)]
    # Officer and unit pages of the other unit are hidden too.
    assert (await web.client.get("/admin/officers/100001")).status_code == 404
    assert (await web.client.get("/admin/officers/100003")).status_code == 200
    # Our own case works.
    r = await web.client.post(
        f"/admin/cases/{ours}/callback", data={"csrf": csrf, "outcome": "reached", "note": "ok"}
    )
    assert r.status_code == 303


async def test_viewer_reads_but_cannot_act(web: Web, settings: Settings) -> None:
    case_id = case_id_of(settings, await bad_rating(web))
    await add_user(web, "reader", "viewer")
    await login(web, "reader")
    page = await web.client.get(f"/admin/cases/{case_id}")
    assert page.status_code == 200
    assert f'action="/admin/cases/{case_id}/callback"' not in page.text  # no action offered
    r = await web.client.post(
        f"/admin/cases/{case_id}/callback",
        data={"csrf": hidden(page.text, "csrf"), "outcome": "reached", "note": "x"},
    )
    assert r.status_code == 403
    assert rows(settings, "SELECT state FROM cases WHERE id = ?", (case_id,)) == [("open",)]


async def test_api_token_is_hashed_at_rest_and_scoped(web: Web, settings: Settings) -> None:
    ours = case_id_of(settings, await bad_rating(web, 0))
    theirs = case_id_of(settings, await bad_rating(web, 2))
    await add_user(web, "script", "unit_manager", QIAODONG)
    token = await web.store.write(auth.new_api_token, "script", "nightly", now_ms())
    stored = rows(settings, "SELECT token_hash FROM api_tokens")
    assert stored == [(hashlib.sha256(token.encode()).hexdigest(),)]
    headers = {"authorization": f"Bearer {token}"}
    r = await web.client.get("/api/v1/cases", headers=headers)
    assert r.status_code == 200
    assert [c["id"] for c in r.json()["cases"]] == [ours]
    assert (await web.client.get(f"/api/v1/cases/{theirs}", headers=headers)).status_code == 404
    r = await web.client.post(
        f"/api/v1/cases/{ours}/callback",
        json={"outcome": "unreachable", "note": "no answer twice"},
        headers=headers,
    )
    assert r.status_code == 200 and r.json()["case"]["state"] == "called_back"
    r = await web.client.get("/api/v1/cases", headers={"authorization": "Bearer pjt_wrong"})
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.status_code == 401 and r.json() == {
        "ok": False,
        "error": "unknown or revoked API token",
        "status": 401,
    }

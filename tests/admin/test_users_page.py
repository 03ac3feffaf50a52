"""The users-and-access page: admins add, disable, reset, change role and scope, issue and
revoke API tokens; secrets are shown once; every change is audited under the admin; every
refusal (wrong role, missing CSRF, bad input) changes nothing."""

from __future__ import annotations

import re

from rating.settings import Settings
from tests.cases.helpers import PASSWORD, QIAODONG, add_user, hidden, login, rows
from tests.conftest import Web


async def _csrf(web: Web, path: str = "/admin/users") -> str:
    page = await web.client.get(path)
    assert page.status_code == 200, page.text
    return hidden(page.text, "csrf")


async def _post(web: Web, path: str, **fields: str) -> tuple[int, str]:
    """POST from the page's form, then follow the redirect: (POST status, page shown)."""
    csrf = await _csrf(web)
    r = await web.client.post(path, data={"csrf": csrf, **fields})
    if r.status_code != 303:
        return r.status_code, r.text
    assert r.headers["location"] == "/admin/users"
    return 303, (await web.client.get("/admin/users")).text


def _secret(page: str) -> str:
    found = re.search(r'<code class="secret" id="secret">([^<]+)</code>', page)
    assert found, "no secret on the page"
    return found.group(1)


async def test_add_user_shows_the_generated_password_once(web: Web, settings: Settings) -> None:
    await add_user(web, "admin1", "admin")
    await login(web, "admin1")
    status, page = await _post(
        web, "/admin/users/add", name="east", role="unit_manager", unit=QIAODONG
    )
    assert status == 303
    password = _secret(page)
    assert len(password) >= 16 and "east" in page
    again = await web.client.get("/admin/users")
    assert 'id="secret"' not in again.text  # shown once: a reload no longer has it
    audit = rows(
        settings, "SELECT actor_name, action, note FROM audit_log WHERE note LIKE 'east %'"
    )
    assert audit == [("admin1", "user_add", f"east unit_manager {QIAODONG}")]
    web.client.cookies.clear()
    r = await login(web, "east", password)
    assert r.status_code == 303
    assert (await web.client.get("/admin/cases")).status_code == 200


async def test_english_page_and_change_of_role_and_scope(web: Web, settings: Settings) -> None:
    await add_user(web, "admin1", "admin")
    await add_user(web, "v1", "viewer")
    await login(web, "admin1")
    page = await web.client.get("/admin/users?lang=en")
    assert "<h1>Users and access</h1>" in page.text and "Read-only" in page.text
    status, _ = await _post(
        web, "/admin/users/access", name="v1", role="unit_manager", unit=QIAODONG
    )
    assert status == 303
    assert rows(
        settings,
        "SELECT a.role, u.path FROM admin_users a JOIN units u ON "
        "u.id = a.unit_id WHERE a.name = 'v1'",
    ) == [("unit_manager", QIAODONG)]
    # A unit manager without a unit is refused, with the reason, and nothing changes.
    status, shown = await _post(web, "/admin/users/access", name="v1", role="unit_manager", unit="")
    assert status == 400 and "a unit manager needs a unit" in shown
    assert rows(settings, "SELECT role FROM admin_users WHERE name = 'v1'") == [("unit_manager",)]
    assert rows(
        settings, "SELECT actor_name, action FROM audit_log WHERE action = 'user_access'"
    ) == [("admin1", "user_access")]


async def test_reset_password_and_disable(web: Web, settings: Settings) -> None:
    await add_user(web, "admin1", "admin")
    await add_user(web, "v1", "viewer")
    await login(web, "admin1")
    status, _ = await _post(web, "/admin/users/password", name="v1", password="a new long password")
    assert status == 303
    status, shown = await _post(web, "/admin/users/password", name="v1", password="short")
    assert status == 400 and "at least 10 characters" in shown
    status, _ = await _post(web, "/admin/users/disable", name="v1")
    assert status == 303
    assert rows(settings, "SELECT disabled FROM admin_users WHERE name = 'v1'") == [(1,)]
    status, shown = await _post(web, "/admin/users/disable", name="admin1")
    assert status == 400 and "your own account" in shown
    acts = rows(
        settings,
        "SELECT actor_name, action FROM audit_log WHERE action IN "
        "('user_password', 'user_disable') ORDER BY id",
    )
    assert acts == [("admin1", "user_password"), ("admin1", "user_disable")]
    web.client.cookies.clear()
    await login(web, "v1", "a new long password")
    assert (await web.client.get("/admin/cases")).status_code == 303  # disabled: no session


async def test_api_token_shown_once_works_and_is_revoked(web: Web, settings: Settings) -> None:
    await add_user(web, "admin1", "admin")
    await add_user(web, "script", "viewer")
    await login(web, "admin1")
    status, page = await _post(web, "/admin/users/token", name="script", label="nightly export")
    assert status == 303
    token = _secret(page)
    assert token.startswith("pjt_")
    api = {"authorization": f"Bearer {token}"}
    assert (await web.client.get("/api/v1/cases", headers=api)).status_code == 200
    listed = await web.client.get("/admin/users")
    assert "nightly export" in listed.text and token not in listed.text
    (token_id,) = rows(settings, "SELECT id FROM api_tokens")[0]
    status, _ = await _post(web, "/admin/users/revoke", token_id=str(token_id))
    assert status == 303
    assert (await web.client.get("/api/v1/cases", headers=api)).status_code == 401
    acts = rows(
        settings,
        "SELECT actor_name, action, note FROM audit_log WHERE action LIKE 'token_%' ORDER BY id",
    )
    assert acts == [
        ("admin1", "token_add", "script nightly export"),
        ("admin1", "token_revoke", "script nightly export"),
    ]


async def test_refusals_change_nothing(web: Web, settings: Settings) -> None:
    await add_user(web, "admin1", "admin")
    await add_user(web, "east", "unit_manager", QIAODONG)
    await login(web, "east")
    csrf = await _csrf(web, "/admin/cases")
    r = await web.client.get("/admin/users")
    assert r.status_code == 403 and "仅管理员可以管理用户" in r.text
    r = await web.client.post("/admin/users/add", data={"csrf": csrf, "name": "x", "role": "admin"})
    assert r.status_code == 403
    await login(web, "admin1")
    r = await web.client.post(
        "/admin/users/add", data={"name": "x", "role": "admin", "password": PASSWORD}
    )
    assert r.status_code == 403 and "页面已过期" in r.text  # no CSRF token
    assert rows(settings, "SELECT name FROM admin_users WHERE name = 'x'") == []
    r = await web.client.post("/admin/users/bogus", data={"csrf": await _csrf(web)})
    assert r.status_code == 404

"""rating.admin.web.login_required: who may reach an admin page or the case API.

Anonymous page requests go to the login page, the API answers 401 in the JSON error
shape, a user without the role gets 403; on the real routes and on a route of its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from rating.admin import accounts
from rating.admin.auth import SessionInfo
from rating.admin.web import check_csrf, login_required
from rating.errors import Forbidden, HTTPError, handle_http_error
from tests.cases.helpers import QIAODONG, add_user, hidden, login
from tests.conftest import Web

PAGES_GET = [
    "/admin/cases",
    "/admin/cases.csv",
    "/admin/cases/1",
    "/admin/officers/100001",
    "/admin/units/x",
    "/admin/report/weekly",
    "/admin/reports",
    "/admin/reports/2026-W01/all/x/report.html",
    "/admin/workorders",
    "/admin/workorders/imports/1/rejected.csv",
    "/admin/officers",
    "/admin/officers/100001/badge.zip",
    "/admin/users",
    "/admin/kiosks",
    "/admin/units",
]
PAGES_POST = [
    "/admin/logout",
    "/admin/cases/1/take",
    "/admin/cases/1/reveal",
    "/admin/workorders/import",
    "/admin/officers/roster",
    "/admin/officers/roster/import",
    "/admin/officers/100001/retire",
    "/admin/users/add",
    "/admin/kiosks/add",
    "/admin/units/alias",
]


@pytest.mark.parametrize("path", PAGES_GET)
async def test_anonymous_page_goes_to_login(web: Web, path: str) -> None:
    r = await web.client.get(path)
    assert r.status_code == 303
    assert r.headers["location"] == "/admin/login?next=" + path


@pytest.mark.parametrize("path", PAGES_POST)
async def test_anonymous_post_goes_to_login_and_changes_nothing(web: Web, path: str) -> None:
    r = await web.client.post(path, data={"csrf": "x"})
    assert r.status_code == 303
    assert r.headers["location"].startswith("/admin/login?next=/admin/")


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/v1/cases"), ("GET", "/api/v1/cases/1"), ("POST", "/api/v1/cases/1/take")],
)
async def test_api_without_a_token_is_401_json(web: Web, method: str, path: str) -> None:
    for headers in ({}, {"authorization": "Bearer pjt_unknown"}, {"authorization": "Basic x"}):
        r = await web.client.request(method, path, headers=headers, json={})
        assert r.status_code == 401
        assert r.headers["www-authenticate"] == "Bearer"
        body = r.json()
        assert body["ok"] is False and body["status"] == 401 and "token" in body["error"]


async def test_a_session_cookie_does_not_open_the_api(web: Web) -> None:
    await add_user(web, "admin1", "admin")
    await login(web, "admin1")
    assert (await web.client.get("/admin/cases")).status_code == 200
    assert (await web.client.get("/api/v1/cases")).status_code == 401


async def test_wrong_role_is_403_on_admin_only_pages(web: Web) -> None:
    await add_user(web, "east", "unit_manager", QIAODONG)
    await login(web, "east")
    assert (await web.client.get("/admin/cases")).status_code == 200
    for path in ("/admin/workorders", "/admin/workorders/imports/1/rejected.csv"):
        r = await web.client.get(path)
        assert r.status_code == 403 and "仅管理员可以导入工单" in r.text


# ---------------------------------------------------------------- a route of its own


@login_required("admin")
async def admin_page(request: Request, me: SessionInfo) -> Response:
    return PlainTextResponse(f"page for {me.actor.name}")


@login_required("admin", "viewer", api=True)
async def admin_api(request: Request, me: SessionInfo) -> Response:
    return JSONResponse({"ok": True, "name": me.actor.name, "csrf": me.csrf})


@login_required()
async def any_user_post(request: Request, me: SessionInfo) -> Response:
    form = await request.form()
    check_csrf(me.csrf, {k: v for k, v in form.items() if isinstance(v, str)})
    return PlainTextResponse("done")


@pytest.fixture
async def own(web: Web) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a small app with only the routes above, on the test app's services."""
    app = Starlette(
        routes=[
            Route("/admin/only", admin_page),
            Route("/api/v1/only", admin_api),
            Route("/admin/post", any_user_post, methods=["POST"]),
        ],
        exception_handlers={HTTPError: handle_http_error},
    )
    app.state.pages = web.svc.pages  # the error pages' templates, as create_app sets them

    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        scope["state"] = {"svc": web.svc}
        await app(scope, receive, send)

    transport = httpx.ASGITransport(app=asgi)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def test_decorator_on_a_page(web: Web, own: httpx.AsyncClient) -> None:
    r = await own.get("/admin/only")
    assert r.status_code == 303 and r.headers["location"] == "/admin/login?next=/admin/only"
    await add_user(web, "view1", "viewer")
    await add_user(web, "admin1", "admin")
    await login(web, "view1")
    own.cookies = web.client.cookies
    denied = await own.get("/admin/only")
    assert denied.status_code == 403 and "text/html" in denied.headers["content-type"]
    await login(web, "admin1")
    own.cookies = web.client.cookies
    ok = await own.get("/admin/only")
    assert ok.status_code == 200 and ok.text == "page for admin1"


async def test_decorator_on_the_api(web: Web, own: httpx.AsyncClient) -> None:
    anonymous = await own.get("/api/v1/only")
    assert anonymous.status_code == 401 and anonymous.json()["ok"] is False
    await add_user(web, "east", "unit_manager", QIAODONG)
    await add_user(web, "view1", "viewer")
    manager = await accounts.new_api_token(web.store, "east", "test")
    viewer = await accounts.new_api_token(web.store, "view1", "test")
    denied = await own.get("/api/v1/only", headers={"authorization": f"Bearer {manager}"})
    assert denied.status_code == 403
    assert denied.json() == {"ok": False, "error": Forbidden.default_en, "status": 403}
    ok = await own.get("/api/v1/only", headers={"authorization": f"Bearer {viewer}"})
    # A token user has no CSRF token: any form check made for them fails closed.
    assert ok.status_code == 200 and ok.json() == {"ok": True, "name": "view1", "csrf": ""}
    assert await accounts.disable_user(web.store, "view1")
    gone = await own.get("/api/v1/only", headers={"authorization": f"Bearer {viewer}"})
    assert gone.status_code == 401


async def test_csrf_is_checked_after_the_session(web: Web, own: httpx.AsyncClient) -> None:
    await add_user(web, "view1", "viewer")
    await login(web, "view1")
    own.cookies = web.client.cookies
    for form in ({}, {"csrf": ""}, {"csrf": "not-the-token"}):
        assert (await own.post("/admin/post", data=form)).status_code == 403
    csrf = hidden((await web.client.get("/admin/cases")).text, "csrf")
    assert (await own.post("/admin/post", data={"csrf": csrf})).text == "done"

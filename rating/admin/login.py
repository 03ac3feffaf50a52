"""The admin login and logout pages: the login form's own CSRF cookie, the known-device
mark that lets an owner in past a lockout, the session cookie."""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from rating.admin import accounts, auth
from rating.admin.accounts import LoginOutcome, LoginPolicy
from rating.admin.render import render
from rating.admin.texts import text
from rating.admin.web import SESSION_COOKIE, login_required, posted_form, read_form
from rating.crypto import Keys
from rating.errors import Forbidden
from rating.intake import client_address, network_key
from rating.service import svc

LOGIN_COOKIE = "pj_login"
KNOWN_DEVICE_COOKIE = "pj_admin_dev"


async def login_page(request: Request, error: str = "", status: int = 200) -> Response:
    token = secrets.token_urlsafe(16)
    next_page = _safe_next(request.query_params.get("next", ""))
    response = render(
        request,
        "login.html",
        status=status,
        toggle=("/admin/login", {"next": next_page}),
        login_csrf=token,
        error=error,
        next=next_page,
    )
    s = svc(request).settings
    response.set_cookie(
        LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=s.cookie_secure,
        path="/admin",
    )  # fmt: skip
    return response


def _safe_next(target: str) -> str:
    ok = target == "/admin" or target.startswith("/admin/")
    return target if ok and "//" not in target else "/admin"


def _known_mark(keys: Keys, user_id: int, nonce: str) -> str:
    return keys.device_hash(f"admin-known:{user_id}:{nonce}")


def _known_cookie(keys: Keys, user_id: int) -> str:
    """A mark, kept by the browser, that this user logged in from it before."""
    nonce = secrets.token_urlsafe(12)
    return f"{user_id}.{nonce}.{_known_mark(keys, user_id, nonce)}"


def _is_known(keys: Keys, cookie: str, user_id: int) -> bool:
    uid, _, rest = cookie.partition(".")
    nonce, _, mark = rest.partition(".")
    if uid != str(user_id) or not nonce or not cookie.isascii():
        return False
    return hmac.compare_digest(mark, _known_mark(keys, user_id, nonce))


async def login_submit(request: Request) -> Response:
    s = svc(request)
    form = await read_form(request)
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    given = form.get("csrf", "")
    if not cookie or not hmac.compare_digest(cookie.encode(), given.encode()):
        raise Forbidden("CSRF token missing or wrong; reload the page", "页面已过期，请刷新后重试")
    # Password spraying across accounts: failures are counted per client network.
    bucket = auth.client_bucket(
        s.keys.network_hash(network_key(client_address(request, s.trusted)))
    )
    device = request.cookies.get(KNOWN_DEVICE_COOKIE, "")
    result = await accounts.log_in(
        s.store,
        form.get("name", "").strip(),
        form.get("password", ""),
        bucket=bucket,
        policy=LoginPolicy.from_settings(s.settings),
        known_device=lambda user_id: _is_known(s.keys, device, user_id),
    )
    if result.outcome is LoginOutcome.THROTTLED:
        return await login_page(request, text(request, "login_throttled"), 429)
    if result.session is None or result.user_id is None:
        # A locked account answers exactly as a wrong password: no name enumeration.
        return await login_page(request, text(request, "login_failed"), 401)
    response = RedirectResponse(_safe_next(form.get("next", "")), status_code=303)
    response.set_cookie(
        SESSION_COOKIE, result.session, max_age=s.settings.admin_session_hours * 3600,
        httponly=True, samesite="strict", secure=s.settings.cookie_secure, path="/admin",
    )  # fmt: skip
    response.set_cookie(
        KNOWN_DEVICE_COOKIE, _known_cookie(s.keys, result.user_id), max_age=365 * 86400,
        httponly=True, samesite="strict", secure=s.settings.cookie_secure, path="/admin",
    )  # fmt: skip
    response.delete_cookie(LOGIN_COOKIE, path="/admin")
    return response


@login_required()
async def logout(request: Request, me: auth.SessionInfo) -> Response:
    await posted_form(request, me)
    await accounts.log_out(svc(request).store, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/admin/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/admin")
    return response

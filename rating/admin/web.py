"""The admin pages' web plumbing, in one place: who is asking, CSRF, forms, pages.

Every admin page and case-API endpoint is wrapped in `login_required`, as Starlette's
`requires(scopes, redirect=...)` does it, instead of checking the session at its top:

    @login_required()                       # any signed-in user
    async def case_list(request, me): ...

    @login_required("admin", refuse=(...))  # an admin only: others get 403
    async def workorders_page(request, me): ...

    @login_required(api=True)               # the JSON API: an API token, 401 without one
    async def api_cases(request, me): ...

Anonymous page requests go to the login page (303); the API answers 401 (JSON, with
`WWW-Authenticate: Bearer`, from the one error handler); a user without the role, 403.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from rating.admin import accounts
from rating.admin.auth import SessionInfo
from rating.admin.render import render
from rating.errors import Forbidden, Unauthorized
from rating.i18n import remember_lang
from rating.service import svc
from rating.textcheck import check_fields

SESSION_COOKIE = "pj_admin"

View = Callable[[Request, SessionInfo], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


async def current_session(request: Request) -> SessionInfo | None:
    """The signed-in user of this request's session cookie, or None."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    return await accounts.session(svc(request).store, cookie)


async def api_user(request: Request) -> SessionInfo:
    """The user of this request's API token (`Authorization: Bearer pjt_...`), else 401.

    An API client has no CSRF token: a bearer token is never sent by a browser on its
    own, so there is nothing to forge; `csrf` is empty and any CSRF check fails closed."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("an API token is required (Authorization: Bearer ...)")
    actor = await accounts.token_actor(svc(request).store, token.strip())
    if actor is None:
        raise Unauthorized("unknown or revoked API token")
    return SessionInfo(actor, "")


def to_login(request: Request) -> Response:
    """303 to the login page, which brings the user back here afterwards."""
    response = RedirectResponse("/admin/login?next=" + request.url.path, status_code=303)
    # A `?lang=` link followed while logged out still picks the login page's language.
    remember_lang(request, response, svc(request).settings.cookie_secure)
    return response


def login_required(
    *roles: str, api: bool = False, refuse: tuple[str, str] | None = None
) -> Callable[[View], Endpoint]:
    """Wrap `view(request, me)` into an endpoint that first finds the user.

    `roles`: the roles allowed (none given: every signed-in user); any other role gets
    403 with `refuse` (English, Chinese) as its message. `api`: authenticate by API token
    and answer 401 when there is none, instead of sending the browser to the login page.
    """

    def wrap(view: View) -> Endpoint:
        @functools.wraps(view)
        async def endpoint(request: Request) -> Response:
            if api:
                me = await api_user(request)
            else:
                found = await current_session(request)
                if found is None:
                    return to_login(request)
                me = found
            if roles and me.actor.role not in roles:
                raise Forbidden(*refuse) if refuse else Forbidden()
            return await view(request, me)

        return endpoint

    return wrap


async def read_form(request: Request) -> dict[str, str]:
    """The form's text fields, checked as every text field is (no NUL, valid text)."""
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    check_fields(fields)
    return fields


async def posted_form(request: Request, me: SessionInfo) -> dict[str, str]:
    """A POST's text fields (as `read_form`), once its CSRF token is the session's."""
    form = await read_form(request)
    check_csrf(me.csrf, form)
    return form


def check_csrf(expected: str, form: dict[str, str]) -> None:
    """403 unless the form carries the session's CSRF token."""
    given = form.get("csrf", "")
    if not given or not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise Forbidden("CSRF token missing or wrong; reload the page", "页面已过期，请刷新后重试")


def page(request: Request, template: str, me: SessionInfo, **ctx: Any) -> Response:
    """An admin page for the signed-in user (the navigation and the forms' CSRF token)."""
    return render(request, template, me=me.actor, csrf=me.csrf, **ctx)

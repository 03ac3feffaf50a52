"""Admin pages and the case API: thin handlers over rating.admin.auth and rating.cases."""

from __future__ import annotations

import asyncio
import functools
import hmac
import re
import secrets
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from rating.admin import auth
from rating.admin.export import cases_csv
from rating.admin.render import render
from rating.admin.texts import text
from rating.bodycap import JSON_API_MAX_BYTES
from rating.cases import service as cases
from rating.cases.calendar import SHANGHAI
from rating.cases.citizen import fix_submit
from rating.cases.logic import allowed_actions
from rating.cases.model import (
    CALLBACK_OUTCOMES,
    STATES,
    VERIFICATIONS,
    Actor,
    CaseView,
)
from rating.crypto import Keys
from rating.errors import BadRequest, Forbidden, NotFound, Unauthorized
from rating.i18n import remember_lang
from rating.intake import client_address, load_json, network_key, read_body
from rating.service import svc
from rating.textcheck import check_fields, check_text

SESSION_COOKIE = "pj_admin"
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
LOGIN_COOKIE = "pj_login"
KNOWN_DEVICE_COOKIE = "pj_admin_dev"
ACTIONS = ("take", "callback", "verify", "rectify", "close", "reopen")


def _now() -> int:
    return cases.now_ms()


async def _session(request: Request) -> auth.SessionInfo | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    return await svc(request).store.read(auth.session_user, cookie, _now())


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    check_fields(fields)
    return fields


def _check_csrf(expected: str, form: dict[str, str]) -> None:
    given = form.get("csrf", "")
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise Forbidden("CSRF token missing or wrong; reload the page", "页面已过期，请刷新后重试")


def _to_login(request: Request) -> Response:
    response = RedirectResponse("/admin/login?next=" + request.url.path, status_code=303)
    # A `?lang=` link followed while logged out still picks the login page's language.
    remember_lang(request, response, svc(request).settings.cookie_secure)
    return response


def _page(request: Request, template: str, info: auth.SessionInfo, **ctx: Any) -> Response:
    return render(request, template, me=info.actor, csrf=info.csrf, **ctx)


# ---------------------------------------------------------------- login


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
    return target if target.startswith("/admin/") and "//" not in target else "/admin/cases"


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
    form = await _form(request)
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    given = form.get("csrf", "")
    if not cookie or not hmac.compare_digest(cookie.encode(), given.encode()):
        raise Forbidden("CSRF token missing or wrong; reload the page", "页面已过期，请刷新后重试")
    settings = s.settings
    # Password spraying across accounts: failures per client network, checked before any
    # hashing, so a flood costs no scrypt.
    bucket = auth.client_bucket(
        s.keys.network_hash(network_key(client_address(request, s.trusted)))
    )
    if await s.store.read(auth.client_failures, bucket, _now()) >= (
        settings.admin_login_client_failures
    ):
        return await login_page(request, text(request, "login_throttled"), 429)
    name = form.get("name", "").strip()
    password = form.get("password", "")
    user = await s.store.read(auth.user_by_name, name)
    # Hash even for an unknown name, so timing does not tell which names exist.
    stored = user.password_hash if user else auth.dummy_hash()
    ok = await asyncio.to_thread(auth.check_password, password, stored)
    new_hash = None
    if ok and user is not None and auth.needs_rehash(stored):
        new_hash = await asyncio.to_thread(auth.hash_password, password)
    known = user is not None and _is_known(
        s.keys, request.cookies.get(KNOWN_DEVICE_COOKIE, ""), user.id
    )
    result = await s.store.write(
        functools.partial(
            auth.record_login,
            max_failures=settings.admin_lockout_attempts,
            lock_ms=settings.admin_lockout_minutes * 60_000,
            session_ms=settings.admin_session_hours * 3_600_000,
            known_device=known,
            new_hash=new_hash,
            bucket=bucket,
        ),
        name,
        ok and user is not None,
        _now(),
    )
    if not result.ok or result.session is None or user is None:
        # A locked account answers exactly as a wrong password: no name enumeration.
        return await login_page(request, text(request, "login_failed"), 401)
    response = RedirectResponse(_safe_next(form.get("next", "")), status_code=303)
    response.set_cookie(
        SESSION_COOKIE, result.session, max_age=s.settings.admin_session_hours * 3600,
        httponly=True, samesite="strict", secure=s.settings.cookie_secure, path="/admin",
    )  # fmt: skip
    response.set_cookie(
        KNOWN_DEVICE_COOKIE, _known_cookie(s.keys, user.id), max_age=365 * 86400,
        httponly=True, samesite="strict", secure=s.settings.cookie_secure, path="/admin",
    )  # fmt: skip
    response.delete_cookie(LOGIN_COOKIE, path="/admin")
    return response


async def logout(request: Request) -> Response:
    info = await _session(request)
    if info is None:
        return _to_login(request)
    _check_csrf(info.csrf, await _form(request))
    await svc(request).store.write(auth.end_session, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/admin/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/admin")
    return response


# ---------------------------------------------------------------- cases


def _day_ms(value: str | None, field: str) -> int | None:
    if not value:
        return None
    try:
        if not _DAY.fullmatch(value):
            raise ValueError(value)  # strptime also takes 2025-1-5 and non-ASCII digits
        day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=SHANGHAI)
    except ValueError:
        raise BadRequest(f"{field} must be YYYY-MM-DD", "日期格式应为 YYYY-MM-DD") from None
    return int(day.timestamp() * 1000)


async def _filters(request: Request) -> dict[str, Any]:
    q = request.query_params
    check_fields(q)  # PostgreSQL refuses NUL in text: a 400 here, not a 500 from it
    out: dict[str, Any] = {}
    if q.get("unit"):
        unit = await svc(request).store.unit_by_code(q["unit"])
        if unit is None:
            raise NotFound("unknown unit", "未找到该单位")
        out["unit_path"] = unit.path
    if q.get("state"):
        if q["state"] not in STATES:
            raise BadRequest("unknown state", "未知状态")
        out["state"] = q["state"]
    out["overdue"] = q.get("overdue") in ("1", "on", "true")
    out["opened_from"] = _day_ms(q.get("from"), "from")
    to = _day_ms(q.get("to"), "to")
    out["opened_to"] = to + 86_400_000 if to is not None else None
    return out


async def home(request: Request) -> Response:
    response = RedirectResponse("/admin/cases", status_code=303)
    remember_lang(request, response, svc(request).settings.cookie_secure)
    return response


PAGE_SIZE = 100
EXPORT_MAX = 50_000


def _page_no(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return max(1, int(raw)) if raw.isdigit() else 1


async def case_list(request: Request) -> Response:
    info = await _session(request)
    if info is None:
        return _to_login(request)
    filters = await _filters(request)
    page = _page_no(request)
    rows = await cases.list_cases(
        svc(request).store, info.actor, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE,
        **filters,
    )  # fmt: skip
    units = [u for u in await svc(request).store.list_units() if info.actor.sees(u.path)]
    query = {k: v for k, v in request.query_params.items() if k != "page"}
    return _page(
        request, "cases.html", info, cases=rows[:PAGE_SIZE], units=units, states=STATES,
        q=request.query_params, page=page, more=len(rows) > PAGE_SIZE,
        query=urlencode(query),
    )  # fmt: skip


async def case_export(request: Request) -> Response:
    info = await _session(request)
    if info is None:
        return _to_login(request)
    rows = await cases.list_cases(
        svc(request).store, info.actor, limit=EXPORT_MAX, **await _filters(request)
    )
    return Response(
        cases_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": 'attachment; filename="cases.csv"',
            "cache-control": "no-store",
            "x-content-type-options": "nosniff",
        },
    )


async def case_detail(request: Request, info: auth.SessionInfo | None = None) -> Response:
    info = info or await _session(request)
    if info is None:
        return _to_login(request)
    case_id = _case_id(request)
    store = svc(request).store
    case = await cases.get_case(store, case_id, info.actor)
    return _detail(request, info, case, await cases.case_audit(store, case_id))


def _detail(
    request: Request,
    info: auth.SessionInfo,
    case: CaseView,
    entries: list[Any],
    phone: str | None = None,
) -> Response:
    return _page(
        request, "case.html", info, case=case, audit=entries, phone=phone,
        actions=allowed_actions(case, info.actor), outcomes=CALLBACK_OUTCOMES,
        verifications=VERIFICATIONS, toggle=(f"/admin/cases/{case.id}", {}),
    )  # fmt: skip


def _case_id(request: Request) -> int:
    raw = request.path_params["case_id"]
    if not str(raw).isdigit():
        raise NotFound("case not found", "未找到该案件")
    return int(raw)


async def case_action(request: Request) -> Response:
    info = await _session(request)
    if info is None:
        return _to_login(request)
    form = await _form(request)
    _check_csrf(info.csrf, form)
    action = request.path_params["action"]
    if action not in ACTIONS:
        raise NotFound()
    case_id = _case_id(request)
    await cases.transition(svc(request).store, case_id, info.actor, action, form)
    return RedirectResponse(f"/admin/cases/{case_id}", status_code=303)


async def reveal(request: Request) -> Response:
    info = await _session(request)
    if info is None:
        return _to_login(request)
    _check_csrf(info.csrf, await _form(request))
    s = svc(request)
    case_id = _case_id(request)
    enc = await cases.reveal_phone(s.store, case_id, info.actor)
    phone = s.keys.decrypt_phone(enc) if enc else None
    case = await cases.get_case(s.store, case_id, info.actor)
    return _detail(request, info, case, await cases.case_audit(s.store, case_id), phone)


async def officer_page(request: Request) -> Response:
    info = await _session(request)
    if info is None:
        return _to_login(request)
    store = svc(request).store
    officer = await store.officer_by_badge(check_text("badge_no", request.path_params["badge_no"]))
    if officer is None or not info.actor.sees(officer.unit_path):
        raise NotFound("officer not found", "未找到该民警")
    ratings = await cases.officer_ratings(store, officer.id)
    rows = await cases.list_cases(store, info.actor, officer_id=officer.id, limit=50)
    return _page(request, "officer.html", info, officer=officer, ratings=ratings, cases=rows)


async def unit_page(request: Request) -> Response:
    info = await _session(request)
    if info is None:
        return _to_login(request)
    store = svc(request).store
    unit = await store.unit_by_code(check_text("code", request.path_params["code"]))
    if unit is None or not info.actor.sees(unit.path):
        raise NotFound("unit not found", "未找到该单位")
    summary = await cases.unit_summary(store, unit.path)
    subunits = [u for u in await store.list_units() if u.parent_id == unit.id]
    officers = await store.list_officers(unit.path)
    return _page(
        request, "unit.html", info, unit=unit, summary=summary, subunits=subunits,
        officers=officers, states=STATES,
    )  # fmt: skip


# ---------------------------------------------------------------- JSON API (API tokens)


async def _api_actor(request: Request) -> Actor:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("an API token is required (Authorization: Bearer ...)")
    actor = await svc(request).store.read(auth.token_user, token.strip())
    if actor is None:
        raise Unauthorized("unknown or revoked API token")
    return actor


# Case JSON names officers and holds masked phones and notes: never kept by a cache.
NO_STORE = {"cache-control": "no-store"}


def _case_json(case: CaseView) -> dict[str, Any]:
    out = {k: v for k, v in case.__dict__.items() if k not in ("comment",)}
    out["reasons"] = list(case.reasons)
    return out


async def api_cases(request: Request) -> Response:
    actor = await _api_actor(request)
    rows = await cases.list_cases(svc(request).store, actor, **await _filters(request))
    return JSONResponse({"ok": True, "cases": [_case_json(c) for c in rows]}, headers=NO_STORE)


async def api_case(request: Request) -> Response:
    actor = await _api_actor(request)
    case = await cases.get_case(svc(request).store, _case_id(request), actor)
    return JSONResponse({"ok": True, "case": _case_json(case)}, headers=NO_STORE)


async def api_case_action(request: Request) -> Response:
    actor = await _api_actor(request)
    action = request.path_params["action"]
    if action not in ACTIONS:
        raise NotFound()
    body = load_json(await read_body(request, JSON_API_MAX_BYTES))  # text checked there
    for key, value in body.items():
        if not isinstance(value, str):
            raise BadRequest(f"{key} must be a string", f"{key} 必须是文字")
    fields = dict(body)
    case = await cases.transition(svc(request).store, _case_id(request), actor, action, fields)
    return JSONResponse({"ok": True, "case": _case_json(case)}, headers=NO_STORE)


def _report_routes() -> list[BaseRoute]:
    from analytics.admin import report_routes

    return report_routes()


def admin_routes() -> list[BaseRoute]:
    """Routes of the admin pages, the case API and the citizen's "is it fixed?" answer."""
    # Imported here: the work-order pages reuse this module's session and CSRF helpers.
    from rating.admin.workorders import workorder_routes

    return [
        Route("/admin", home, methods=["GET"]),
        Route("/admin/login", login_page, methods=["GET"]),
        Route("/admin/login", login_submit, methods=["POST"]),
        Route("/admin/logout", logout, methods=["POST"]),
        Route("/admin/cases", case_list, methods=["GET"]),
        Route("/admin/cases.csv", case_export, methods=["GET"]),
        Route("/admin/cases/{case_id}", case_detail, methods=["GET"]),
        Route("/admin/cases/{case_id}/reveal", reveal, methods=["POST"]),
        Route("/admin/cases/{case_id}/{action}", case_action, methods=["POST"]),
        Route("/admin/officers/{badge_no}", officer_page, methods=["GET"]),
        Route("/admin/units/{code}", unit_page, methods=["GET"]),
        Route("/api/v1/cases", api_cases, methods=["GET"]),
        Route("/api/v1/cases/{case_id}", api_case, methods=["GET"]),
        Route("/api/v1/cases/{case_id}/{action}", api_case_action, methods=["POST"]),
        Route("/receipt/{code}/fix", fix_submit, methods=["POST"]),
        # The weekly report download (analytics loads pandas only on the first download).
        *_report_routes(),
        *workorder_routes(),
    ]

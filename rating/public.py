"""Citizen pages: the rating page, its plain form post, the receipt page."""

from __future__ import annotations

import time
from datetime import datetime
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from rating.cases.citizen import receipt_progress
from rating.crypto import format_receipt, normalize_code
from rating.errors import NotFound, UnsupportedMediaType
from rating.i18n import pick_lang, texts
from rating.intake import (
    DEVICE_COOKIE,
    StaleForm,
    TooFast,
    check_stamp,
    client_address,
    device_id,
    form_to_dict,
    read_body,
    validate,
)
from rating.service import set_device_cookie, submit, svc
from rating.store.models import TokenState

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _now_ms() -> int:
    return int(time.time() * 1000)


def _notice(request: Request, status: int, heading_key: str, body_key: str) -> Response:
    s = svc(request)
    lang = pick_lang(request)
    t = texts(lang)
    return s.pages.render(
        request,
        "notice.html",
        status=status,
        lang=lang,
        heading=t[heading_key],
        body=t[body_key],
        back=None,
    )


async def _rate_page(
    request: Request, token: str, status: int = 200, notice: str | None = None
) -> Response:
    s = svc(request)
    found = await s.store.lookup_token(token)
    if found.state is TokenState.UNKNOWN:
        return _notice(request, 404, "unknown_title", "unknown_body")
    if found.state is TokenState.REVOKED:
        return _notice(request, 410, "revoked_title", "revoked_body")
    response = s.pages.render(
        request,
        "rate.html",
        status=status,
        officer=found.officer,
        token=token,
        stamp=s.keys.stamp(_now_ms(), token),
        notice=notice,
    )
    device, fresh = device_id(request)
    if fresh:
        set_device_cookie(response, device, s.settings)
    return response


async def rate_page(request: Request) -> Response:
    raw = request.path_params["token"]
    token = normalize_code(raw)
    if token is None:
        return _notice(request, 404, "unknown_title", "unknown_body")
    if token != raw:
        # A code typed from the print (lower case, O for 0): send to the canonical URL.
        target = f"/r/{token}" + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(target, status_code=301)
    return await _rate_page(request, token)


async def rate(request: Request) -> Response:
    if request.method == "POST":
        return await rate_submit(request)
    return await rate_page(request)


async def rate_submit(request: Request) -> Response:
    """The plain form post (works with JavaScript off); answers with a redirect (PRG)."""
    s = svc(request)
    token = normalize_code(request.path_params["token"])
    if token is None:
        return _notice(request, 404, "unknown_title", "unknown_body")
    body = await read_body(request, s.settings.max_body_bytes)
    ctype = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        raise UnsupportedMediaType(
            "expected a form post (application/x-www-form-urlencoded)", "请求格式错误"
        )
    multi = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    form = {k: v[-1] for k, v in multi.items()}
    data = form_to_dict(form, multi)
    data["token"] = token
    inp = validate(data)
    try:
        check_stamp(s.keys, s.settings, inp, _now_ms())
    except (TooFast, StaleForm):
        # Re-show the page with a fresh stamp: a person taps again and it goes through.
        t = texts(inp.lang)
        return await _rate_page(request, token, status=400, notice=t["retry_hint"])
    result, new_device = await submit(
        s,
        inp,
        "badge",
        cookie=request.cookies.get(DEVICE_COOKIE, ""),
        address=client_address(request, s.trusted),
    )
    response = RedirectResponse(f"/receipt/{result.receipt}?new=1", status_code=303)
    if new_device:
        set_device_cookie(response, new_device, s.settings)
    return response


async def receipt_lookup(request: Request) -> Response:
    code = normalize_code(request.query_params.get("code", ""))
    if code is None:
        raise NotFound("receipt not found", "未找到该回执")
    return RedirectResponse(f"/receipt/{code}", status_code=303)


async def receipt_page(request: Request) -> Response:
    s = svc(request)
    code = normalize_code(request.path_params["code"])
    view = await s.store.rating_by_receipt(code) if code else None
    if view is None:
        raise NotFound("receipt not found", "未找到该回执")
    now = _now_ms()
    window_open = now - view.created_at < s.settings.amend_window_minutes * 60_000
    ask_details = (
        view.level <= 2 and window_open and not (view.reasons or view.comment or view.has_phone)
    )
    rated_at = datetime.fromtimestamp(view.created_at / 1000, SHANGHAI).strftime("%Y-%m-%d %H:%M")
    return s.pages.render(
        request,
        "receipt.html",
        rating=view,
        receipt_display=format_receipt(view.receipt),
        new=request.query_params.get("new") == "1",
        ask_details=ask_details,
        stamp=s.keys.stamp(now, view.token),
        rated_at=rated_at,
        progress=await receipt_progress(s.store, view.receipt),
    )

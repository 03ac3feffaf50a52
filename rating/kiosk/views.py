"""Kiosk page and kiosk API.

The page is a static shell (its own CSS/JS from /static, a service worker so it reloads
offline); everything officer-specific comes from the JSON API, authenticated by the
device token the tablet got at enrolment (``Authorization: Bearer <token>``).
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from rating import errors
from rating.clock import now_ms
from rating.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    Gone,
    NotFound,
    TooManyRequests,
)
from rating.intake import parse_json, read_body
from rating.kiosk import service
from rating.kiosk import store as ks
from rating.kiosk.service import PinCheck
from rating.kiosk.store import KioskOutcome
from rating.pages import STATIC
from rating.service import svc
from rating.textcheck import check_text

MAX_TAP_AGE_MS = 7 * 86_400_000
CLOCK_STEP_MS = 300_000
_KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")

KIOSK_CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; worker-src 'self'; manifest-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


class Unauthorized(errors.Unauthorized):
    status = 401
    default_en = "this tablet is not registered as a kiosk"
    default_zh = "本设备尚未登记为评价终端"


def _headers(response: Response) -> Response:
    response.headers["content-security-policy"] = KIOSK_CSP
    response.headers["x-content-type-options"] = "nosniff"
    response.headers["referrer-policy"] = "no-referrer"
    response.headers["cache-control"] = "no-cache"
    response.headers["x-frame-options"] = "DENY"
    return response


async def kiosk_page(request: Request) -> Response:
    s = svc(request)
    html = s.pages.env.get_template("kiosk.html").render(
        bureau=s.settings.bureau_name,
        interval_ms=int(s.settings.kiosk_min_interval_seconds * 1000),
    )
    return _headers(HTMLResponse(html))


async def kiosk_redirect(request: Request) -> Response:
    return RedirectResponse("/kiosk/", status_code=301)


async def service_worker(request: Request) -> Response:
    # Served from /kiosk/ so that its scope covers the kiosk page.
    body = (STATIC / "kiosk-sw.js").read_text(encoding="utf-8")
    return _headers(Response(body, media_type="application/javascript"))


async def _json(request: Request) -> dict[str, Any]:
    body = await read_body(request, svc(request).settings.max_body_bytes)
    return parse_json(body, request.headers.get("content-type", ""))


async def _kiosk(request: Request) -> ks.Kiosk:
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized()
    kiosk = await service.by_token(svc(request).store, token.strip())
    if kiosk is None:
        raise Unauthorized()
    if kiosk.revoked:
        raise Forbidden("this kiosk has been revoked", "本评价终端已停用")
    return kiosk


def _state(kiosk: ks.Kiosk, request: Request) -> dict[str, Any]:
    officer = kiosk.officer
    return {
        "ok": True,
        "kiosk": {"name": kiosk.name, "unit": kiosk.unit_name},
        "officer": None
        if officer is None
        else {
            "badge_no": officer.badge_no,
            "name": officer.name,
            "kind": officer.kind,
            "unit": officer.unit_name,
        },
        "min_interval_ms": int(svc(request).settings.kiosk_min_interval_seconds * 1000),
    }


def _only(data: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise BadRequest(f"unknown field {unknown[0]!r}", f"未知字段 {unknown[0]!r}")


def _str(data: dict[str, Any], name: str, pattern: re.Pattern[str] | None = None) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value or (pattern and not pattern.match(value)):
        raise BadRequest(f"{name} is missing or malformed", f"{name} 缺失或格式错误")
    return check_text(name, value)


def _int(data: dict[str, Any], name: str) -> int:
    value = data.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**53:
        raise BadRequest(
            f"{name} must be a positive whole number (epoch milliseconds)",
            f"{name} 必须是正整数（毫秒时间戳）",
        )
    return value


async def enroll(request: Request) -> Response:
    """POST /api/v1/kiosk/enroll {"code"}: the one-time code becomes the device token."""
    data = await _json(request)
    _only(data, {"code"})
    code = _str(data, "code")
    found = await service.enroll(svc(request).store, code, now_ms())
    if found is None:
        raise NotFound("unknown, used or expired enrolment code", "登记码无效、已使用或已过期")
    kiosk, token = found
    return JSONResponse({**_state(kiosk, request), "token": token}, status_code=201)


async def state(request: Request) -> Response:
    return JSONResponse(_state(await _kiosk(request), request))


def _refuse(check: PinCheck, wrong: Forbidden) -> None:
    """The answer to a PIN that is not OK: 403 (wrong) or 429 (locked out)."""
    if check is PinCheck.LOCKED:
        raise TooManyRequests(
            "too many wrong PINs; try again in 15 minutes", "密码错误次数过多，请15分钟后再试"
        )
    if check is not PinCheck.OK:
        raise wrong


async def signin(request: Request) -> Response:
    """POST /api/v1/kiosk/signin {"badge_no", "pin"}: the officer goes on duty here."""
    kiosk = await _kiosk(request)
    data = await _json(request)
    _only(data, {"badge_no", "pin"})
    badge_no = _str(data, "badge_no").strip()
    pin = _str(data, "pin")
    check = await service.sign_in(svc(request).store, kiosk, badge_no, pin, now_ms())
    _refuse(check, Forbidden("wrong badge number or PIN", "警号或密码错误"))
    return JSONResponse(_state(await _kiosk(request), request))


async def signout(request: Request) -> Response:
    """POST /api/v1/kiosk/signout {"pin"}: the officer on duty signs out with their own PIN.

    Anyone at the counter could otherwise take an officer off duty (and the ratings with
    them). An officer with no PIN (put on duty by an administrator) is signed out by the
    administrator: `pingjing kiosks assign` or `reenroll`.
    """
    kiosk = await _kiosk(request)
    data = await _json(request)
    _only(data, {"pin"})
    if kiosk.officer is None:
        return JSONResponse(_state(kiosk, request))
    pin = _str(data, "pin")
    check = await service.sign_out(svc(request).store, kiosk, pin, now_ms())
    _refuse(check, Forbidden("wrong PIN for the officer on duty", "当前民警的密码错误"))
    return JSONResponse(_state(await _kiosk(request), request))


async def rate(request: Request) -> Response:
    """POST /api/v1/kiosk/ratings: one queued tap, stored once per idempotency key.

    Body: key, officer (badge number on duty at the tap), level, tapped_at and sent_at
    (both the tablet's clock, epoch ms), lang. The rating time is the server's clock minus
    (sent_at - tapped_at), so a tablet whose clock is wrong still records the right time.
    """
    kiosk = await _kiosk(request)
    data = await _json(request)
    _only(data, {"key", "officer", "level", "tapped_at", "sent_at", "lang"})
    key = _str(data, "key", _KEY)
    badge_no = _str(data, "officer")
    level = data.get("level")
    if not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= 5:
        raise BadRequest("level must be an integer from 1 to 5", "评价等级必须是 1 到 5 的整数")
    lang = data.get("lang", "zh")
    if lang not in ("zh", "en"):
        raise BadRequest("lang must be 'zh' or 'en'", "语言只能是 zh 或 en")
    tapped, sent = _int(data, "tapped_at"), _int(data, "sent_at")
    if tapped > sent + CLOCK_STEP_MS:
        raise BadRequest("tapped_at is after sent_at (a tap in the future)", "评价时间晚于上传时间")
    if sent - tapped > MAX_TAP_AGE_MS:
        raise BadRequest("the tap is older than 7 days", "评价时间早于7天前，不再接收")
    now = now_ms()
    s = svc(request)
    # A tablet clock set back a little between tap and upload (an NTP correction) makes
    # the tap look slightly later than its upload: count it as tapped on arrival.
    tap = ks.KioskTap(kiosk.id, key, badge_no, level, lang, now - max(0, sent - tapped))
    interval_ms = int(s.settings.kiosk_min_interval_seconds * 1000)
    result = await service.submit_tap(s.store, tap, interval_ms, now)
    if result.outcome is KioskOutcome.NOT_ON_DUTY:
        raise Conflict(
            "that officer was not signed in at this kiosk at the tap time",
            "该民警当时未在本终端登录",
        )
    if result.outcome is KioskOutcome.RETIRED:
        raise Gone("that officer can no longer be rated", "该民警已无法评价")
    if result.outcome is KioskOutcome.RATE_LIMITED:
        raise TooManyRequests(
            "another rating from this kiosk within the minimum interval",
            "本终端评价过于频繁",
        )
    replayed = result.outcome is KioskOutcome.REPLAYED
    return JSONResponse(
        {"ok": True, "receipt": result.receipt, "replayed": replayed},
        status_code=200 if replayed else 201,
        headers={"cache-control": "no-store"},
    )


def kiosk_routes() -> list[BaseRoute]:
    return [
        Route("/kiosk", kiosk_redirect, methods=["GET"]),
        Route("/kiosk/", kiosk_page, methods=["GET"]),
        Route("/kiosk/sw.js", service_worker, methods=["GET"]),
        Route("/api/v1/kiosk/enroll", enroll, methods=["POST"]),
        Route("/api/v1/kiosk/state", state, methods=["GET"]),
        Route("/api/v1/kiosk/signin", signin, methods=["POST"]),
        Route("/api/v1/kiosk/signout", signout, methods=["POST"]),
        Route("/api/v1/kiosk/ratings", rate, methods=["POST"]),
    ]

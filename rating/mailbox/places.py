"""The unit-code page `/u/{token}`: the place behind a QR code on a station's wall.

From it a citizen rates the place's service (a unit rating, never an officer's), finds an
officer by badge number (→ that officer's rating page), sees who is signed in at the
place's kiosks, or writes to the chief's mailbox about the place. No JavaScript: three
plain forms and links.
"""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from rating import service as ratings
from rating.i18n import pick_lang
from rating.intake import CLOCK_SKEW_MS, DEVICE_COOKIE, client_address, device_of
from rating.mailbox import service
from rating.mailbox.texts import mtexts
from rating.mailbox.views import _place, _unit_display
from rating.service import set_device_cookie, svc
from rating.store.models import Unit


def _now_ms() -> int:
    return int(time.time() * 1000)


def stamp_token(token: str) -> str:
    return f"place:{token}"


async def _page(
    request: Request,
    token: str,
    unit: Unit,
    *,
    status: int = 200,
    error: dict[str, str] | None = None,
    badge: str = "",
) -> Response:
    s = svc(request)
    lang = pick_lang(request)
    m = mtexts(lang)
    response = s.pages.render(
        request,
        "place.html",
        status=status,
        lang=lang,
        m=m,
        token=token,
        unit_display=_unit_display(unit),
        unit=unit,
        stamp=s.keys.stamp(_now_ms(), stamp_token(token)),
        on_duty=await service.on_duty_at_unit(s.store, unit.id),
        rated=request.query_params.get("rated") == "1",
        error=error or {},
        badge=badge[:20],
    )
    device, fresh = device_of(request.cookies.get(DEVICE_COOKIE, ""))
    if fresh:
        set_device_cookie(response, device, s.settings)
    return response


async def place(request: Request) -> Response:
    token, unit, gone = await _place(request)
    if gone is not None:
        return gone
    assert token is not None and unit is not None
    if request.method == "GET":
        return await _page(request, token, unit)
    return await _rate(request, token, unit)


async def _rate(request: Request, token: str, unit: Unit) -> Response:
    s = svc(request)
    lang = pick_lang(request)
    m = mtexts(lang)
    form = await request.form(max_files=0, max_fields=10)
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    if values.get("website"):
        return await _page(
            request, token, unit, status=400, error={"level": "website: " + m["place_rate"]}
        )
    stamp = values.get("t", "")
    now = _now_ms()
    issued = s.keys.stamp_time(stamp, stamp_token(token)) if stamp.isascii() else None
    max_age = s.settings.form_max_age_hours * 3_600_000
    if issued is None or issued - now > CLOCK_SKEW_MS or now - issued > max_age:
        bad = "页面已过期，请再次点击" if lang == "zh" else "t: the page has expired; tap again"
        return await _page(request, token, unit, status=400, error={"level": bad})
    level = values.get("level", "")
    if level not in ("1", "2", "3", "4", "5"):
        bad = "评价等级必须是 1 到 5" if lang == "zh" else "level must be 1 to 5"
        return await _page(request, token, unit, status=400, error={"level": bad})
    device, fresh = device_of(request.cookies.get(DEVICE_COOKIE, ""))
    result = await service.rate_unit(
        s.store,
        s.keys,
        unit,
        token,
        int(level),
        stamp=stamp,
        lang=lang,
        device=device,
        address=client_address(request, s.trusted),
        at_ms=now,
    )
    if result.refused is not None:
        bad = "提交过于频繁，请稍后再试" if lang == "zh" else "limit: too many ratings; try later"
        return await _page(request, token, unit, status=429, error={"level": bad})
    response = RedirectResponse(f"/u/{token}?rated=1", status_code=303)
    if fresh:
        set_device_cookie(response, device, s.settings)
    return response


async def find_officer(request: Request) -> Response:
    """GET /u/{token}/officer?badge=: to that officer's rating page, or the place page
    with the message beside the badge box."""
    token, unit, gone = await _place(request)
    if gone is not None:
        return gone
    assert token is not None and unit is not None
    s = svc(request)
    typed = request.query_params.get("badge", "")
    badge = "".join(typed.split())[:20]
    officer = await ratings.officer_by_badge(s.store, badge) if badge else None
    if officer is None or officer.status != "active" or not officer.token:
        m = mtexts(pick_lang(request))
        return await _page(
            request, token, unit, status=404, error={"badge": m["officer_missing"]}, badge=typed
        )
    return RedirectResponse(f"/r/{officer.token}", status_code=303)


def place_routes() -> list[Route]:
    return [
        Route("/u/{token}", place, methods=["GET", "POST"]),
        Route("/u/{token}/officer", find_officer, methods=["GET"]),
    ]

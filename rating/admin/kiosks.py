"""The kiosks page (admins only): list with health, add (the one-time enrolment URL as text
and as a QR), re-enrol, revoke, set an officer's PIN. Thin handlers over
rating.admin.kiosk_admin; every POST is CSRF-checked and redirects (POST/redirect/GET)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from rating.admin import flash, kiosk_admin
from rating.admin.auth import SessionInfo
from rating.admin.qrsvg import qr_svg
from rating.admin.texts_people import people_page, ptext
from rating.admin.web import login_required, posted_form
from rating.clock import now_ms
from rating.errors import NotFound
from rating.service import list_units, svc

ADMINS_ONLY = ("only administrators manage kiosks", "仅管理员可以管理评价器")


def enroll_url(base_url: str, code: str) -> str:
    # As `pingjing kiosks add` prints it: the code rides in the fragment, which browsers
    # never send to a server or a proxy log.
    return f"{base_url.rstrip('/')}/kiosk/#enroll={code}"


async def _render(
    request: Request, me: SessionInfo, error: str = "", status: int = 200
) -> Response:
    s = svc(request)
    shown = flash.take(request, me.csrf) if not error else None
    if shown and shown.get("secret"):
        shown["qr_svg"] = qr_svg(shown["secret"], ptext(request, "enroll_qr"))
    response = people_page(
        request, "kiosks.html", me, kiosks=await kiosk_admin.kiosk_health(s.store),
        units=await list_units(s.store), flash=shown, error=error, now=now_ms(),
        toggle=("/admin/kiosks", {}),
    )  # fmt: skip
    return flash.shown(request, response, shown, status)


@login_required("admin", refuse=ADMINS_ONLY)
async def kiosks_page(request: Request, me: SessionInfo) -> Response:
    return await _render(request, me)


def _back(request: Request, me: SessionInfo, msg: str, secret: str | None = None) -> Response:
    payload = {"msg": msg, "secret": secret, "secret_title": ptext(request, "enroll_url")}
    return flash.redirect(request, me.csrf, "/admin/kiosks", payload)


@login_required("admin", refuse=ADMINS_ONLY)
async def kiosks_action(request: Request, me: SessionInfo) -> Response:
    form = await posted_form(request, me)
    s = svc(request)
    action = request.path_params["action"]
    name = form.get("name", "").strip()
    base = s.settings.public_base_url
    try:
        if action == "add":
            code = await kiosk_admin.add_kiosk(s.store, me.actor, name, form.get("unit", ""))
            msg = ptext(request, "kiosk_added", name=name)
            return _back(request, me, msg, enroll_url(base, code))
        if action == "reenroll":
            found = await kiosk_admin.reenroll_kiosk(s.store, me.actor, name)
            if found is None:
                raise ValueError(f"no kiosk named {name!r}")
            msg = ptext(request, "kiosk_reenrolled", name=name)
            return _back(request, me, msg, enroll_url(base, found))
        if action == "revoke":
            if not await kiosk_admin.revoke_kiosk(s.store, me.actor, name):
                raise ValueError(f"no kiosk named {name!r}")
            return _back(request, me, ptext(request, "kiosk_revoked", name=name))
        if action == "pin":
            badge = form.get("badge_no", "").strip()
            if not await kiosk_admin.set_pin(s.store, me.actor, badge, form.get("pin", "")):
                raise ValueError(f"no officer with badge number {badge!r}")
            return _back(request, me, ptext(request, "pin_set", badge=badge))
    except ValueError as exc:
        return await _render(request, me, ptext(request, "failed", reason=str(exc)), 400)
    raise NotFound()


def kiosk_routes() -> list[BaseRoute]:
    return [
        Route("/admin/kiosks", kiosks_page, methods=["GET"]),
        Route("/admin/kiosks/{action}", kiosks_action, methods=["POST"]),
    ]

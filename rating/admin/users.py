"""The users-and-access page (admins only): thin handlers over rating.admin.access.

Every POST is CSRF-checked and redirects back to the list (POST/redirect/GET); a password
or token to show once travels in the sealed flash cookie (rating.admin.flash)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from rating.admin import access, flash
from rating.admin.auth import AccountError, SessionInfo
from rating.admin.texts_people import people_page, ptext
from rating.admin.web import login_required, posted_form
from rating.cases.model import ROLES
from rating.clock import now_ms
from rating.errors import NotFound
from rating.service import list_units, svc

ADMINS_ONLY = ("only administrators manage users", "仅管理员可以管理用户")


async def _render(
    request: Request, me: SessionInfo, error: str = "", status: int = 200
) -> Response:
    s = svc(request)
    shown = flash.take(request, me.csrf) if not error else None
    response = people_page(
        request, "users.html", me, users=await access.list_users(s.store),
        tokens=await access.list_tokens(s.store), units=await list_units(s.store),
        roles=ROLES, flash=shown, error=error, now=now_ms(), toggle=("/admin/users", {}),
    )  # fmt: skip
    return flash.shown(request, response, shown, status)


@login_required("admin", refuse=ADMINS_ONLY)
async def users_page(request: Request, me: SessionInfo) -> Response:
    return await _render(request, me)


def _back(request: Request, me: SessionInfo, msg: str, secret: str | None = None,
          secret_title: str = "") -> Response:  # fmt: skip
    payload = {"msg": msg, "secret": secret, "secret_title": secret_title}
    return flash.redirect(request, me.csrf, "/admin/users", payload)


@login_required("admin", refuse=ADMINS_ONLY)
async def users_action(request: Request, me: SessionInfo) -> Response:
    form = await posted_form(request, me)
    store, actor = svc(request).store, me.actor
    action = request.path_params["action"]
    name = form.get("name", "").strip()
    try:
        if action == "add":
            shown = await access.add_user(
                store, actor, name, form.get("role", ""), form.get("unit", "").strip(),
                form.get("password", ""),
            )  # fmt: skip
            title = ptext(request, "password_for", name=name) if shown else ""
            return _back(request, me, ptext(request, "user_added", name=name), shown, title)
        if action == "disable":
            await access.disable_user(store, actor, name)
            return _back(request, me, ptext(request, "user_disabled", name=name))
        if action == "password":
            shown = await access.reset_password(store, actor, name, form.get("password", ""))
            title = ptext(request, "password_for", name=name) if shown else ""
            return _back(request, me, ptext(request, "password_reset", name=name), shown, title)
        if action == "access":
            await access.change_access(
                store, actor, name, form.get("role", ""), form.get("unit", "").strip()
            )
            return _back(request, me, ptext(request, "access_changed", name=name))
        if action == "token":
            token = await access.new_token(store, actor, name, form.get("label", "").strip())
            return _back(request, me, "", token, ptext(request, "token_for", name=name))
        if action == "revoke":
            raw = form.get("token_id", "")
            if not raw.isdigit() or not await access.revoke_token(store, actor, int(raw)):
                raise AccountError(f"no live token {raw!r}")
            return _back(request, me, ptext(request, "token_revoked"))
    except AccountError as exc:
        # Nothing changed: show the list again with the reason, at the POST's status.
        return await _render(request, me, ptext(request, "failed", reason=str(exc)), 400)
    raise NotFound()


def user_routes() -> list[BaseRoute]:
    return [
        Route("/admin/users", users_page, methods=["GET"]),
        Route("/admin/users/{action}", users_action, methods=["POST"]),
    ]

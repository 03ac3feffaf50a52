"""The units page: the unit tree with counts (everyone, within their units), and for admins
the work-order name aliases (with the unmatched names of recent imports one click away) and
the working-day calendar. Thin handlers over rating.admin.unit_admin; every POST is
CSRF-checked and redirects (POST/redirect/GET)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from rating.admin import flash, unit_admin
from rating.admin.auth import SessionInfo
from rating.admin.texts_people import people_page, ptext
from rating.admin.web import login_required, posted_form
from rating.errors import NotFound
from rating.service import svc
from rating.workorders.store import AliasError

ADMINS_ONLY = (
    "only administrators change aliases and the calendar",
    "仅管理员可以修改单位别名和工作日历",
)


async def _render(
    request: Request, me: SessionInfo, error: str = "", status: int = 200
) -> Response:
    s = svc(request)
    admin = me.actor.role == "admin"
    shown = flash.take(request, me.csrf) if not error else None
    response = people_page(
        request, "units.html", me, tree=await unit_admin.unit_tree(s.store, me.actor),
        aliases=await unit_admin.aliases(s.store) if admin else [],
        unmatched=await unit_admin.unmatched_names(s.store) if admin else [],
        calendar=await unit_admin.calendar(s.store), flash=shown, error=error,
        alias_name=request.query_params.get("alias", ""), toggle=("/admin/units", {}),
    )  # fmt: skip
    return flash.shown(request, response, shown, status)


@login_required()
async def units_page(request: Request, me: SessionInfo) -> Response:
    return await _render(request, me)


@login_required("admin", refuse=ADMINS_ONLY)
async def units_action(request: Request, me: SessionInfo) -> Response:
    form = await posted_form(request, me)
    store, actor = svc(request).store, me.actor
    action = request.path_params["action"]
    try:
        if action == "alias":
            alias = form.get("alias", "").strip()
            path, n = await unit_admin.add_alias(store, actor, alias, form.get("unit", ""))
            msg = ptext(request, "alias_added", alias=alias, path=path, n=n)
        elif action == "unalias":
            if not await unit_admin.remove_alias(store, actor, form.get("alias", "")):
                raise ValueError(f"no alias {form.get('alias', '')!r}")
            msg = ptext(request, "alias_removed")
        elif action == "override":
            n = await unit_admin.add_override(
                store, actor, form.get("date", ""), form.get("kind", ""), form.get("note", "")
            )
            msg = ptext(request, "override_added", n=n)
        elif action == "publish":
            raw = form.get("year", "")
            if not raw.isdigit():
                raise ValueError("the year must be a number")
            n = await unit_admin.publish_year(store, actor, int(raw), form.get("note", ""))
            msg = ptext(request, "year_published", year=raw, n=n)
        else:
            raise NotFound()
    except (AliasError, ValueError) as exc:
        return await _render(request, me, ptext(request, "failed", reason=str(exc)), 400)
    return flash.redirect(request, me.csrf, "/admin/units", {"msg": msg})


def unit_routes() -> list[BaseRoute]:
    return [
        Route("/admin/units", units_page, methods=["GET"]),
        Route("/admin/units/{action}", units_action, methods=["POST"]),
    ]

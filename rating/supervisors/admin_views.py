"""The supervisors admin page /admin/supervisors (admins only): the roll with each
supervisor's term, state, report count and personal link; appoint, end a term, revoke or
reissue a link. Every POST is CSRF-checked, audited (rating/supervisors/store.py) and
redirects (POST/redirect/GET); a refused appointment re-shows the form with what was typed."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from rating.admin.auth import SessionInfo
from rating.admin.web import login_required, page, posted_form
from rating.clock import now_ms
from rating.domain_errors import Invalid
from rating.errors import NotFound
from rating.i18n import pick_lang
from rating.service import svc
from rating.supervisors import service

ADMINS_ONLY = ("only administrators appoint supervisors", "仅管理员可以管理监督员")
DONE = ("added", "ended", "revoked", "reissued")
ACTIONS = {"end": service.end_term, "revoke": service.revoke, "reissue": service.reissue}


async def _render(
    request: Request, me: SessionInfo, *, error: str = "", form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:  # fmt: skip
    s = svc(request)
    roll = await service.roll(s.store)
    today = service.local_day(now_ms())
    done = request.query_params.get("done", "")
    response = page(
        request,
        "supervisors.html",
        me,
        rows=[
            (x, str(x.state_on(today)), service.link(s.settings.public_base_url, x.token)
             if x.token else None)
            for x in roll
        ],
        unit=await service.discipline_unit(s.store, s.settings.supervisor_unit),
        unit_code=s.settings.supervisor_unit,
        done=done if done in DONE else "",
        error=error,
        form=form or {},
    )  # fmt: skip
    response.status_code = status
    return response


@login_required("admin", refuse=ADMINS_ONLY)
async def roll_page(request: Request, me: SessionInfo) -> Response:
    return await _render(request, me)


@login_required("admin", refuse=ADMINS_ONLY)
async def add(request: Request, me: SessionInfo) -> Response:
    form = await posted_form(request, me)
    s = svc(request)
    try:
        await service.add(
            s.store, s.keys, me.actor, form.get("name", ""), form.get("phone", ""),
            form.get("term_start", ""), form.get("term_end", ""),
        )  # fmt: skip
    except Invalid as exc:
        message = exc.zh if pick_lang(request) == "zh" else exc.en
        kept = {k: form.get(k, "")[:40] for k in ("name", "phone", "term_start", "term_end")}
        return await _render(request, me, error=message, form=kept, status=400)
    return RedirectResponse("/admin/supervisors?done=added", status_code=303)


@login_required("admin", refuse=ADMINS_ONLY)
async def act(request: Request, me: SessionInfo) -> Response:
    await posted_form(request, me)  # no fields but the CSRF token
    raw, action = str(request.path_params["sid"]), str(request.path_params["action"])
    if not raw.isdigit() or len(raw) > 18 or action not in ACTIONS:
        raise NotFound("supervisor not found", "未找到该监督员")
    await ACTIONS[action](svc(request).store, int(raw), me.actor)
    done = {"end": "ended", "revoke": "revoked", "reissue": "reissued"}[action]
    return RedirectResponse(f"/admin/supervisors?done={done}#s{raw}", status_code=303)


def supervisor_admin_routes() -> list[BaseRoute]:
    return [
        Route("/admin/supervisors", roll_page, methods=["GET"]),
        Route("/admin/supervisors/add", add, methods=["POST"]),
        Route("/admin/supervisors/{sid}/{action}", act, methods=["POST"]),
    ]

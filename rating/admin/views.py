"""The case pages and the case API: thin handlers over rating.cases.service.

Who may ask is settled by `rating.admin.web.login_required` around each handler."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from rating import service as rating_service
from rating.admin import accounts, dashboard, letter_photos, queue
from rating.admin.auth import SessionInfo
from rating.admin.export import cases_csv
from rating.admin.texts_audit import actor_name, audit_text
from rating.admin.texts_dash import countdown
from rating.admin.texts_loop import loop_texts, source_labels, step_labels
from rating.admin.texts_photos import photo_texts
from rating.admin.texts_wo_loop import code_labels, wo_texts
from rating.admin.web import check_csrf, login_required, page, posted_form
from rating.bodycap import JSON_API_MAX_BYTES
from rating.cases import service as cases
from rating.cases.calendar import SHANGHAI
from rating.cases.model import (
    CALLBACK_OUTCOMES,
    SOURCES,
    STATES,
    VERIFICATIONS,
    Actor,
    CaseAction,
    CaseView,
)
from rating.clock import now_ms
from rating.errors import BadRequest, NotFound
from rating.i18n import pick_lang
from rating.intake import load_json, read_body
from rating.service import svc
from rating.textcheck import check_fields, check_text
from rating.workorders import service as workorder_service

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
ACTIONS = tuple(str(a) for a in CaseAction)


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


VIEWS = ("mine", "unassigned")


async def _filters(request: Request, me: SessionInfo | None = None) -> dict[str, Any]:
    q = request.query_params
    check_fields(q)  # PostgreSQL refuses NUL in text: a 400 here, not a 500 from it
    out: dict[str, Any] = {}
    if q.get("unit"):
        unit = await rating_service.unit_by_code(svc(request).store, q["unit"])
        if unit is None:
            raise NotFound("unknown unit", "未找到该单位")
        out["unit_path"] = unit.path
    if q.get("state"):
        if q["state"] not in STATES:
            raise BadRequest("unknown state", "未知状态")
        out["state"] = q["state"]
    if q.get("source"):
        if q["source"] not in SOURCES:
            raise BadRequest("source: unknown source", "未知来源（source）")
        out["source"] = q["source"]
    if q.get("dispatched_to"):  # a unit's queue: what was dispatched to it
        target = await rating_service.unit_by_code(svc(request).store, q["dispatched_to"])
        if target is None:
            raise NotFound("unknown unit", "未找到该单位")
        out["dispatched_to"] = target.path
    out["overdue"] = q.get("overdue") in ("1", "on", "true")
    out["opened_from"] = _day_ms(q.get("from"), "from")
    to = _day_ms(q.get("to"), "to")
    out["opened_to"] = to + 86_400_000 if to is not None else None
    view = q.get("view", "")
    if view and view not in VIEWS:
        raise BadRequest("view must be mine or unassigned", "视图应为 mine 或 unassigned")
    if view == "mine" and me is not None:
        out["handler_id"] = me.actor.id
    out["unassigned"] = view == "unassigned"
    return out


PAGE_SIZE = 100
EXPORT_MAX = 50_000


def _page_no(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return max(1, int(raw)) if raw.isdigit() else 1


@login_required()
async def case_list(request: Request, me: SessionInfo) -> Response:
    filters = await _filters(request, me)
    page_no = _page_no(request)
    store = svc(request).store
    rows = await cases.list_cases(
        store, me.actor, limit=PAGE_SIZE + 1, offset=(page_no - 1) * PAGE_SIZE, **filters
    )
    units = [u for u in await rating_service.list_units(store) if me.actor.sees(u.path)]
    handlers = []
    if me.actor.can_act:  # who the bulk form may assign to: able to act, sharing the scope
        handlers = [
            u for u in await accounts.list_users(store)
            if queue.can_handle(u) and _overlaps(me.actor, u.unit_path)
        ]  # fmt: skip
    keep = {
        k: v
        for k, v in request.query_params.items()
        if k not in ("page", "assigned", "assigned_to")
    }
    return page(
        request, "cases.html", me, cases=rows[:PAGE_SIZE], units=units, states=STATES,
        q=request.query_params, page=page_no, more=len(rows) > PAGE_SIZE,
        query=urlencode(keep), handlers=handlers, now=now_ms(), countdown=countdown,
        view=request.query_params.get("view", ""),
    )  # fmt: skip


def _overlaps(actor: Actor, unit_path: str | None) -> bool:
    """Whether a user scoped to `unit_path` shares any unit with `actor`'s scope."""
    if unit_path is None or actor.unit_path is None:
        return True
    return (
        actor.sees(unit_path)
        or unit_path == actor.unit_path
        or (actor.unit_path.startswith(unit_path + "/"))
    )


@login_required()
async def bulk_assign(request: Request, me: SessionInfo) -> Response:
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    check_fields(fields)
    check_csrf(me.csrf, fields)
    ids = [int(v) for v in form.getlist("case") if isinstance(v, str) and v.isdigit()]
    store = svc(request).store
    wanted = fields.get("handler", "")
    users = {str(u.id): u for u in await accounts.list_users(store)}
    handler = users.get(wanted)
    if handler is None:
        raise BadRequest("handler: unknown user", "承办人：未找到该用户")
    n = await store.write(queue.assign, ids, me.actor, handler, now_ms())
    back = _safe_back(fields.get("back", ""))
    sep = "&" if "?" in back else "?"
    return RedirectResponse(
        f"{back}{sep}{urlencode({'assigned': n, 'assigned_to': handler.name})}", status_code=303
    )


def _safe_back(value: str) -> str:
    """The case list URL the bulk form came from (only ever a path on /admin/cases)."""
    if value == "/admin/cases" or value.startswith("/admin/cases?"):
        return value
    return "/admin/cases"


@login_required()
async def case_export(request: Request, me: SessionInfo) -> Response:
    rows = await cases.list_cases(
        svc(request).store, me.actor, limit=EXPORT_MAX, **await _filters(request, me)
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


@login_required()
async def case_detail(request: Request, me: SessionInfo) -> Response:
    case_id = _case_id(request)
    store = svc(request).store
    case = await cases.get_case(store, case_id, me.actor)
    phone = None
    shown = request.query_params.get("shown", "")
    if shown:  # the page a phone reveal redirected to: the number, this once
        s = svc(request)
        enc = await store.write(queue.take_revealed, shown, case_id, me.actor, now_ms())
        phone = s.keys.decrypt_phone(enc) if enc else None
    return await _detail(request, me, case, await cases.case_audit(store, case_id), phone)


async def _detail(
    request: Request,
    me: SessionInfo,
    case: CaseView,
    entries: list[Any],
    phone: str | None = None,
) -> Response:
    actions = queue.offered_actions(case, me.actor)
    store = svc(request).store
    # The dispatch forms offer the units in the user's scope and the known categories.
    wants = {"dispatch", "redispatch", "accept"} & set(actions)
    units = (
        [u for u in await rating_service.list_units(store) if me.actor.sees(u.path)]
        if wants
        else []
    )
    categories = await cases.categories(store) if "accept" in actions else []
    photos = await letter_photos.case_photos(store, case)
    lang = pick_lang(request)
    # A hotline order's case shows the hotline's own fields beside the local handling.
    hotline = None
    if case.source == "workorder" and case.source_id is not None:
        hotline = await workorder_service.order_by_id(store, case.source_id)
    return page(
        request, "case.html", me, case=case, audit=entries, phone=phone,
        actions=actions, outcomes=CALLBACK_OUTCOMES,
        now=now_ms(), countdown=countdown, audit_note=audit_text, actor_name=actor_name,
        verifications=VERIFICATIONS, toggle=(f"/admin/cases/{case.id}", {}),
        units=units, categories=categories, lt=loop_texts(lang),
        source_labels=source_labels(lang), step_labels=step_labels(lang),
        photos=photos, pt=photo_texts(lang),
        photos_removed=await letter_photos.removed_photos(store, case),
        hotline=hotline, wt=wo_texts(lang), codes=code_labels(lang),
    )  # fmt: skip


def _case_id(request: Request) -> int:
    raw = request.path_params["case_id"]
    if not str(raw).isdigit():
        raise NotFound("case not found", "未找到该案件")
    return int(raw)


@login_required()
async def case_action(request: Request, me: SessionInfo) -> Response:
    form = await posted_form(request, me)
    action = request.path_params["action"]
    if action not in ACTIONS:
        raise NotFound()
    case_id = _case_id(request)
    await cases.transition(svc(request).store, case_id, me.actor, action, form)
    return RedirectResponse(f"/admin/cases/{case_id}", status_code=303)


@login_required()
async def reveal(request: Request, me: SessionInfo) -> Response:
    """Reveal the phone (audited), then redirect (POST/redirect/GET) to the case page,
    which shows it once: the URL carries a one-time marker, never the number."""
    await posted_form(request, me)
    case_id = _case_id(request)
    token = await svc(request).store.write(queue.reveal, case_id, me.actor, now_ms())
    where = f"/admin/cases/{case_id}" + (f"?shown={token}#phone" if token else "")
    return RedirectResponse(where, status_code=303)


@login_required()
async def unit_page(request: Request, me: SessionInfo) -> Response:
    store = svc(request).store
    unit = await rating_service.unit_by_code(store, check_text("code", request.path_params["code"]))
    if unit is None or not me.actor.sees(unit.path):
        raise NotFound("unit not found", "未找到该单位")
    summary = await cases.unit_summary(store, unit.path)
    subunits = [u for u in await rating_service.list_units(store) if u.parent_id == unit.id]
    officers = await rating_service.list_officers(store, unit.path)
    return page(
        request, "unit.html", me, unit=unit, summary=summary, subunits=subunits,
        officers=officers, states=STATES,
    )  # fmt: skip


# ---------------------------------------------------------------- JSON API (API tokens)


# Case JSON names officers and holds masked phones and notes: never kept by a cache.
NO_STORE = {"cache-control": "no-store"}


def case_json(case: CaseView) -> dict[str, Any]:
    out = {k: v for k, v in case.__dict__.items() if k not in ("comment",)}
    out["reasons"] = list(case.reasons)
    return out


@login_required(api=True)
async def api_cases(request: Request, me: SessionInfo) -> Response:
    rows = await cases.list_cases(svc(request).store, me.actor, **await _filters(request, me))
    return JSONResponse({"ok": True, "cases": [case_json(c) for c in rows]}, headers=NO_STORE)


@login_required(api=True)
async def api_case(request: Request, me: SessionInfo) -> Response:
    case = await cases.get_case(svc(request).store, _case_id(request), me.actor)
    return JSONResponse({"ok": True, "case": case_json(case)}, headers=NO_STORE)


@login_required(api=True)
async def api_case_action(request: Request, me: SessionInfo) -> Response:
    action = request.path_params["action"]
    if action not in ACTIONS:
        raise NotFound()
    body = load_json(await read_body(request, JSON_API_MAX_BYTES))  # text checked there
    for key, value in body.items():
        if not isinstance(value, str):
            raise BadRequest(f"{key} must be a string", f"{key} 必须是文字")
    fields = dict(body)
    case = await cases.transition(svc(request).store, _case_id(request), me.actor, action, fields)
    return JSONResponse({"ok": True, "case": case_json(case)}, headers=NO_STORE)


def case_routes() -> list[BaseRoute]:
    """The case pages and the case API."""
    return [
        Route("/admin", dashboard.dashboard, methods=["GET"]),
        Route("/admin/cases", case_list, methods=["GET"]),
        Route("/admin/cases/assign", bulk_assign, methods=["POST"]),
        Route("/admin/cases.csv", case_export, methods=["GET"]),
        Route("/admin/cases/{case_id}", case_detail, methods=["GET"]),
        Route("/admin/cases/{case_id}/reveal", reveal, methods=["POST"]),
        Route("/admin/cases/{case_id}/photos/{n}", letter_photos.case_photo, methods=["GET"]),
        Route("/admin/cases/{case_id}/{action}", case_action, methods=["POST"]),
        Route("/admin/units/{code}", unit_page, methods=["GET"]),
        Route("/api/v1/cases", api_cases, methods=["GET"]),
        Route("/api/v1/cases/{case_id}", api_case, methods=["GET"]),
        Route("/api/v1/cases/{case_id}/photos/{n}", letter_photos.api_case_photo, methods=["GET"]),
        Route("/api/v1/cases/{case_id}/{action}", api_case_action, methods=["POST"]),
    ]

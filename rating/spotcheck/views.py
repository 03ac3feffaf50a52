"""The centre's spot-check queue: /admin/spotchecks (list), a task page with its script,
the masked phone (full number for the assignee, audited), and the outcome form.

Thin handlers: every rule (scope, who may act, the outcome's vocabulary) is in
rating/spotcheck/store.py. Every POST is CSRF-checked and redirects (POST/redirect/GET),
except the phone reveal, which answers the page itself as the case page does: the
number is never put in a URL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from rating.admin.auth import SessionInfo
from rating.admin.web import login_required, page, posted_form
from rating.cases.calendar import SHANGHAI
from rating.errors import NotFound
from rating.service import svc
from rating.spotcheck import service
from rating.spotcheck.model import OUTCOMES, REASONS, Task

STATUSES = ("open", "done", "all")


def _task_id(request: Request) -> int:
    raw = str(request.path_params["task_id"])
    if not raw.isdigit() or len(raw) > 18:
        raise NotFound("spot-check task not found", "未找到该抽查任务")
    return int(raw)


@login_required()
async def task_list(request: Request, me: SessionInfo) -> Response:
    status = request.query_params.get("status", "open")
    if status not in STATUSES:
        status = "open"
    rows = await service.tasks(svc(request).store, me.actor, status)
    return page(request, "spotchecks.html", me, tasks=rows, shown=status, statuses=STATUSES)


def _detail(request: Request, me: SessionInfo, task: Task, phone: str | None) -> Response:
    day = datetime.fromtimestamp(task.rated_at / 1000, SHANGHAI).strftime("%Y-%m-%d")
    ctx: dict[str, Any] = {
        "task": task,
        "phone": phone,
        "outcomes": OUTCOMES,
        "reasons": REASONS,
        "rated_day": day,
        "done": request.query_params.get("done", ""),
    }
    return page(request, "spotcheck.html", me, **ctx)


@login_required()
async def task_page(request: Request, me: SessionInfo) -> Response:
    task = await service.task(svc(request).store, _task_id(request), me.actor)
    return _detail(request, me, task, None)


@login_required()
async def claim(request: Request, me: SessionInfo) -> Response:
    await posted_form(request, me)
    task_id = _task_id(request)
    await service.claim(svc(request).store, task_id, me.actor)
    return RedirectResponse(f"/admin/spotchecks/{task_id}?done=claimed", status_code=303)


@login_required()
async def reveal(request: Request, me: SessionInfo) -> Response:
    await posted_form(request, me)
    s = svc(request)
    task_id = _task_id(request)
    enc = await service.reveal_phone(s.store, task_id, me.actor)
    phone = s.keys.decrypt_phone(enc) if enc else None
    return _detail(request, me, await service.task(s.store, task_id, me.actor), phone)


@login_required()
async def outcome(request: Request, me: SessionInfo) -> Response:
    form = await posted_form(request, me)
    task_id = _task_id(request)
    await service.record(
        svc(request).store,
        task_id,
        me.actor,
        form.get("outcome", ""),
        form.get("reason", ""),
        form.get("note", ""),
    )
    return RedirectResponse(f"/admin/spotchecks/{task_id}?done=recorded", status_code=303)


def spotcheck_routes() -> list[BaseRoute]:
    return [
        Route("/admin/spotchecks", task_list, methods=["GET"]),
        Route("/admin/spotchecks/{task_id}", task_page, methods=["GET"]),
        Route("/admin/spotchecks/{task_id}/claim", claim, methods=["POST"]),
        Route("/admin/spotchecks/{task_id}/reveal", reveal, methods=["POST"]),
        Route("/admin/spotchecks/{task_id}/outcome", outcome, methods=["POST"]),
    ]

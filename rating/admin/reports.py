"""The weekly report on the admin pages: downloads, the archive page, archived files.

- GET /admin/report/weekly — `format=xlsx|html|zip` (zip: the workbook, the page and the CSV
  files), `week=2026-W47` (default: the last full week), `unit=CODE` (default: the user's own
  unit, or every unit for a bureau-wide user), `as_of=2026-11-24T09:00` (Asia/Shanghai;
  default: now). Built in a worker process (analytics.worker) and kept in the archive; the
  workbook and the zip download, the page opens in the browser.
- GET /admin/reports — the archive: every report generated, with week, unit and as-of
  pickers and a form that makes a new one.
- GET /admin/reports/{week}/{scope}/{moment}/{file} — one archived file.

A user gets only their unit's subtree; another unit answers 404, as the unit pages do.
Nothing here imports pandas: the server stays small.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from analytics import archive
from analytics.worker import ReportBusy, ReportFailed, ReportRejected, ReportWorkers
from rating import metrics
from rating import service as ratings
from rating.admin.auth import SessionInfo
from rating.admin.web import login_required, page
from rating.cases.model import Actor
from rating.clock import now_ms
from rating.errors import (
    BadRequest,
    Forbidden,
    NotFound,
    ServiceUnavailable,
    TooManyRequests,
)
from rating.i18n import pick_lang, table
from rating.service import svc
from rating.textcheck import check_fields

log = logging.getLogger("pingjing.report")
FORMATS = {"xlsx": "report.xlsx", "html": "report.html", "zip": "report.zip"}
SHANGHAI = timedelta(hours=8)
# The archived page is our own file: inline styles and data: images only, nothing fetched.
REPORT_CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
_TEXTS = table("admin.reports")
_SOURCE_LABELS = table("admin.report_sources")


def workers(request: Request) -> ReportWorkers:
    """The app's report workers (made on first use, bound to the running loop)."""
    state = request.app.state
    found = getattr(state, "report_workers", None)
    if found is None:
        found = ReportWorkers(svc(request).settings)
        state.report_workers = found
    return found


def parse_as_of(text: str | None, now_ms: int) -> int | None:
    """'2026-11-24T09:00' (Asia/Shanghai, seconds optional) → epoch ms; None when empty."""
    if not text or not text.strip():
        return None
    value = text.strip().replace(" ", "T")
    try:
        local = datetime.fromisoformat(value)
    except ValueError:
        message = f"as_of must look like 2026-11-24T09:00, got {text!r}"
        raise BadRequest(message, "截至时刻格式应为 2026-11-24T09:00（" + message + "）") from None
    if local.tzinfo is not None:
        local = (local.astimezone(UTC) + SHANGHAI).replace(tzinfo=None)
    ms = int((local - SHANGHAI).replace(tzinfo=UTC).timestamp() * 1000)
    if ms > now_ms:
        message = f"the report moment {text.strip()!r} is in the future"
        raise BadRequest(message, "截至时刻不能晚于现在（" + message + "）")
    return ms


async def _actor_unit(request: Request, actor: Actor, unit_ref: str | None) -> str | None:
    """The unit the user's report covers: the one asked for (if they see it), else their
    own; None for the whole bureau."""
    store = svc(request).store
    if unit_ref is not None:
        unit = await ratings.unit_by_code(store, unit_ref)
        if unit is None or not actor.sees(unit.path):
            raise NotFound("unit not found", "未找到该单位")
        return unit.code
    if actor.unit_path is not None:
        return actor.unit_path
    if actor.role not in ("admin", "viewer"):
        raise Forbidden("no unit assigned to this account", "该账号未分配单位")
    return None


def _visible(actor: Actor, entry: archive.Entry) -> bool:
    if entry.unit_path is None:
        return actor.unit_path is None and actor.role in ("admin", "viewer")
    return actor.sees(entry.unit_path)


def file_response(entry: archive.Entry, path: Any, name: str) -> Response:
    ext = name.rsplit(".", 1)[-1]
    download = f"{entry.week}-{entry.scope}-{entry.moment}-{name}"
    inline = ext == "html"
    headers = {
        "content-disposition": f'{"inline" if inline else "attachment"}; filename="{download}"',
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
    }
    if inline:
        headers["content-security-policy"] = REPORT_CSP
    return Response(path.read_bytes(), media_type=archive.MEDIA[ext], headers=headers)


@login_required()
async def report_weekly(request: Request, me: SessionInfo) -> Response:
    q = request.query_params
    check_fields(q)  # a NUL in ?unit= would otherwise reach PostgreSQL (a 500)
    fmt = q.get("format", "xlsx")
    if fmt not in FORMATS:
        raise BadRequest(
            f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})",
            "报表参数有误：格式只能是 " + "、".join(FORMATS),
        )
    unit = await _actor_unit(request, me.actor, q.get("unit") or None)
    as_of = parse_as_of(q.get("as_of"), now_ms())
    try:
        with metrics.timed(metrics.REPORT_SECONDS, fmt):  # a known format: bounded labels
            entry = await workers(request).weekly(
                week=q.get("week") or None, unit=unit, as_of_ms=as_of, source="admin"
            )
    except ReportRejected as exc:
        raise BadRequest(str(exc), "报表参数有误：" + str(exc)) from None
    except ReportBusy as exc:
        raise TooManyRequests(str(exc), "正在生成的报表过多，请稍后再试") from None
    except ReportFailed as exc:
        log.error("weekly report failed: %s", exc)
        raise ServiceUnavailable(str(exc), "报表生成失败，请稍后再试或联系管理员") from None
    root = archive.archive_root(svc(request).settings)
    path = archive.file_path(root, entry, FORMATS[fmt])
    return file_response(entry, path, FORMATS[fmt])


@login_required()
async def archived_file(request: Request, me: SessionInfo) -> Response:
    p = request.path_params
    root = archive.archive_root(svc(request).settings)
    try:
        entry = await asyncio.to_thread(
            archive.load_entry, root, p["week"], p["scope"], p["moment"]
        )
        path = archive.file_path(root, entry, p["name"])
    except (ValueError, OSError):
        raise NotFound("no such report", "未找到该报表") from None
    if not _visible(me.actor, entry):
        raise NotFound("no such report", "未找到该报表")
    return file_response(entry, path, p["name"])


def recent_weeks(now_ms: int, n: int = 12) -> list[str]:
    """ISO labels of the last `n` weeks, the current one first."""
    today = (datetime.fromtimestamp(now_ms / 1000, UTC) + SHANGHAI).date()
    out = []
    for i in range(n):
        d: date = today - timedelta(weeks=i)
        iso = d.isocalendar()
        out.append(f"{iso.year}-W{iso.week:02d}")
    return out


@login_required()
async def reports_page(request: Request, me: SessionInfo) -> Response:
    q = request.query_params
    actor = me.actor
    settings = svc(request).settings
    units = [u for u in await ratings.list_units(svc(request).store) if actor.sees(u.path)]
    week = q.get("week") or None
    scope = q.get("unit") or None
    found = await asyncio.to_thread(
        archive.entries, archive.archive_root(settings), week=week, scope=scope
    )
    as_of = q.get("as_of") or None
    if as_of:
        limit = parse_as_of(as_of, now_ms())
        found = [e for e in found if limit is None or e.as_of_ms <= limit]
    shown = [e for e in found if _visible(actor, e)]
    lang = pick_lang(request)
    return page(
        request,
        "reports.html",
        me,
        rt={**_TEXTS(lang), "sources": _SOURCE_LABELS(lang)},
        entries=shown,
        units=units,
        weeks=recent_weeks(now_ms()),
        archived_weeks=sorted({e.week for e in shown} | {week or ""} - {""}, reverse=True),
        chosen={"week": week or "", "unit": scope or "", "as_of": as_of or ""},
    )


def report_routes() -> list[BaseRoute]:
    return [
        Route("/admin/report/weekly", report_weekly, methods=["GET"]),
        Route("/admin/reports", reports_page, methods=["GET"]),
        Route("/admin/reports/{week}/{scope}/{moment}/{name}", archived_file, methods=["GET"]),
    ]

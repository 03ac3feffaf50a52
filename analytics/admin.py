"""The weekly report as an admin download: GET /admin/report/weekly.

`?format=xlsx|html|zip` (zip: the workbook, the page and the CSV files), `week=2026-W47`
(default: the last full week), `unit=CODE` (default: the user's own unit, or every unit for
a bureau-wide user). A user gets only their unit's subtree; another unit answers 404, as
the unit pages do.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from rating import metrics
from rating.admin.views import _session, _to_login
from rating.errors import BadRequest, Forbidden, NotFound
from rating.service import svc


async def report_weekly(request: Request) -> Response:
    # pandas and matplotlib load on the first download, not at server start.
    from analytics.weekly import ReportError, report_download

    info = await _session(request)
    if info is None:
        return _to_login(request)
    q = request.query_params
    store = svc(request).store
    actor = info.actor
    unit_ref: str | None = q.get("unit") or None
    if unit_ref is not None:
        unit = await store.unit_by_code(unit_ref)
        if unit is None or not actor.sees(unit.path):
            raise NotFound("unit not found", "未找到该单位")
    elif actor.unit_path is not None:
        unit_ref = actor.unit_path
    elif actor.role not in ("admin", "viewer"):
        raise Forbidden("no unit assigned to this account", "该账号未分配单位")
    fmt = q.get("format", "xlsx")
    try:
        # A known format as the label, never a user's string (unbounded label values).
        label = fmt if fmt in ("xlsx", "html", "zip") else "other"
        with metrics.timed(metrics.REPORT_SECONDS, label):
            content, name, media = await report_download(
                store,
                svc(request).settings,
                week=q.get("week") or None,
                unit=unit_ref,
                fmt=fmt,
            )
    except ReportError as exc:
        raise BadRequest(str(exc), "报表参数有误：" + str(exc)) from None
    return Response(
        content,
        media_type=media,
        headers={
            "content-disposition": f'attachment; filename="{name}"',
            "cache-control": "no-store",
            "x-content-type-options": "nosniff",
        },
    )


def report_routes() -> list[BaseRoute]:
    return [Route("/admin/report/weekly", report_weekly, methods=["GET"])]

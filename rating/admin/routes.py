"""The admin route table: login, the case pages and API, work-order imports, reports."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from rating.admin import login, reports, views, workorders
from rating.spotcheck.views import spotcheck_routes


def admin_routes() -> list[BaseRoute]:
    return [
        Route("/admin/login", login.login_page, methods=["GET"]),
        Route("/admin/login", login.login_submit, methods=["POST"]),
        Route("/admin/logout", login.logout, methods=["POST"]),
        *views.case_routes(),
        # The weekly report (its worker process loads pandas, never the server).
        *reports.report_routes(),
        *workorders.workorder_routes(),
        *spotcheck_routes(),
    ]

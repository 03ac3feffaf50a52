"""The admin route table: login, the case pages and API, work-order imports, reports."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from rating.admin import login, notifications, reports, views, workorders


def admin_routes() -> list[BaseRoute]:
    return [
        Route("/admin/login", login.login_page, methods=["GET"]),
        Route("/admin/login", login.login_submit, methods=["POST"]),
        Route("/admin/logout", login.logout, methods=["POST"]),
        *views.case_routes(),
        # The weekly report (its worker process loads pandas, never the server).
        *reports.report_routes(),
        *workorders.workorder_routes(),
        *notifications.notification_routes(),  # issue 17: robots, e-mail, dead letters
    ]

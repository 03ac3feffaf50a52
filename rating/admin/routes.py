"""The admin route table: login, the case pages and API, work-order imports, reports."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from rating.admin import (
    audit_page,
    kiosks,
    login,
    loop_api,
    notifications,
    officers,
    reports,
    rules_api,
    units,
    users,
    views,
    workorder_loop,
    workorders,
)
from rating.spotcheck.views import spotcheck_routes
from rating.supervisors.admin_views import supervisor_admin_routes


def admin_routes() -> list[BaseRoute]:
    return [
        Route("/admin/login", login.login_page, methods=["GET"]),
        Route("/admin/login", login.login_submit, methods=["POST"]),
        Route("/admin/logout", login.logout, methods=["POST"]),
        *loop_api.loop_routes(),
        *rules_api.rules_api_routes(),  # the take-in rules as JSON
        # The officers, users, kiosks and units pages, before the case routes: their
        # /admin/officers/... paths are more specific than the old officer page's.
        *officers.officer_routes(),
        *users.user_routes(),
        *audit_page.audit_routes(),  # the entries that belong to no case
        *kiosks.kiosk_routes(),
        *units.unit_routes(),
        *views.case_routes(),
        # The weekly report (its worker process loads pandas, never the server).
        *reports.report_routes(),
        *workorders.workorder_routes(),
        *workorder_loop.workorder_loop_routes(),  # issue 18: orders taken into the loop
        *notifications.notification_routes(),  # issue 17: robots, e-mail, dead letters
        *spotcheck_routes(),
        *supervisor_admin_routes(),  # issue 19: 警风监督员
    ]

"""The admin pages' error page: the admin header (navigation, language, log out) around
the message, instead of the citizen error page, for every /admin path."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from rating.admin.render import render
from rating.admin.web import current_session
from rating.errors import HTTPError
from rating.i18n import pick_lang


def is_admin_path(request: Request) -> bool:
    path = request.url.path
    return path == "/admin" or path.startswith("/admin/")


async def admin_error_page(request: Request, exc: HTTPError) -> Response:
    """The error in the admin frame; signed-in users keep their navigation."""
    try:
        me = await current_session(request)
    except Exception:  # noqa: BLE001 - the store may be what failed: show the page bare
        me = None
    return render(
        request,
        "error.html",
        status=exc.status,
        me=me.actor if me else None,
        csrf=me.csrf if me else "",
        title_key=f"err_title_{exc.status}" if exc.status in (403, 404) else "err_title_other",
        message=exc.message(pick_lang(request)),
    )


async def error_page_if_admin(request: Request, exc: HTTPError) -> Response | None:
    """The admin error page for a path under /admin; None elsewhere (app.state.error_pages)."""
    return await admin_error_page(request, exc) if is_admin_path(request) else None

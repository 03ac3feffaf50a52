"""/admin/notifications: the subscriptions, and the dead-letter list with retry buttons.

Admins see everything; a unit manager sees (and retries) what concerns their subtree.
Subscriptions are added from the command line (`pingjing notify add`): a robot's URL
carries its key, and a page that takes secrets wants more care than this one needs.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from rating.admin.auth import SessionInfo
from rating.admin.texts_notify import EVENT_LABELS, SENDER_LABELS, notify_texts
from rating.admin.web import check_csrf, login_required, page, read_form
from rating.errors import BadRequest
from rating.i18n import pick_lang
from rating.notify import service
from rating.service import svc

REFUSE = ("only admins and unit managers see notifications", "仅管理员和单位负责人可查看消息通知")


@login_required("admin", "unit_manager", refuse=REFUSE)
async def notifications_page(request: Request, me: SessionInfo) -> Response:
    store = svc(request).store
    scope = me.actor.unit_path
    lang = pick_lang(request)
    retried = request.query_params.get("retried", "")
    return page(
        request,
        "notifications.html",
        me,
        n=notify_texts(lang),
        sender_labels=SENDER_LABELS[lang],
        event_labels=EVENT_LABELS[lang],
        subs=await service.list_subscriptions(store, scope),
        dead=await service.dead_letters(store, scope),
        retried=int(retried) if retried.isdigit() else None,
    )


@login_required("admin", "unit_manager", refuse=REFUSE)
async def retry(request: Request, me: SessionInfo) -> Response:
    form = await read_form(request)
    check_csrf(me.csrf, form)
    raw = form.get("delivery", "all")
    if raw != "all" and not raw.isdigit():
        raise BadRequest("delivery must be a dead letter's number or all", "参数无效")
    count = await service.retry_dead(
        svc(request).store, None if raw == "all" else int(raw), me.actor.unit_path, me.actor
    )
    return RedirectResponse(f"/admin/notifications?retried={count}", status_code=303)


def notification_routes() -> list[BaseRoute]:
    return [
        Route("/admin/notifications", notifications_page, methods=["GET"]),
        Route("/admin/notifications/retry", retry, methods=["POST"]),
    ]

"""/admin/notifications: the subscriptions (list, add, edit, stop and start, test-send), the
outbox and the dead-letter list with retry buttons.

Admins see and change everything of their scope; a unit manager sees (and retries) what
concerns their subtree but changes no subscription. A robot's webhook URL carries its key
and a DingTalk robot has a signing secret: the page shows targets masked, never a secret,
and an edit leaves them as they are unless new ones are typed. Every POST is CSRF-checked,
audited and redirects back (POST/redirect/GET); a test-send's outcome rides in the flash.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from rating.admin import flash
from rating.admin.auth import SessionInfo
from rating.admin.texts_notify import EVENT_LABELS, SENDER_LABELS, notify_texts
from rating.admin.web import login_required, page, posted_form
from rating.domain_errors import DomainError, NotFound
from rating.errors import BadRequest
from rating.i18n import pick_lang
from rating.notify import deliver, service
from rating.notify import store as nstore
from rating.service import list_units, svc

REFUSE = ("only admins and unit managers see notifications", "仅管理员和单位负责人可查看消息通知")
ADMINS_ONLY = ("only administrators change subscriptions", "仅管理员可以管理订阅")
ACTIONS = ("add", "edit", "disable", "enable", "test")


async def _render(
    request: Request,
    me: SessionInfo,
    error: str = "",
    status: int = 200,
    form: dict[str, str] | None = None,
) -> Response:
    s = svc(request)
    store = s.store
    scope = me.actor.unit_path
    lang = pick_lang(request)
    retried = request.query_params.get("retried", "")
    shown = flash.take(request, me.csrf) if not error else None
    units = [u for u in await list_units(store) if scope is None or me.actor.sees(u.path)]
    response = page(
        request,
        "notifications.html",
        me,
        n=notify_texts(lang),
        sender_labels=SENDER_LABELS[lang],
        event_labels=EVENT_LABELS[lang],
        senders=nstore.SENDERS,
        kinds=nstore.KINDS,
        subs=await service.list_subscriptions(store, scope),
        outbox=await service.outbox(store, scope),
        dead=await service.dead_letters(store, scope),
        retried=int(retried) if retried.isdigit() and len(retried) < 7 else None,
        units=units,
        can_change=me.actor.role == "admin",
        flash=shown,
        error=error,
        form=form or {},
        toggle=("/admin/notifications", {}),
    )
    return flash.shown(request, response, shown, status)


@login_required("admin", "unit_manager", refuse=REFUSE)
async def notifications_page(request: Request, me: SessionInfo) -> Response:
    return await _render(request, me)


def _back(request: Request, me: SessionInfo, msg: str, failed: bool = False) -> Response:
    return flash.redirect(request, me.csrf, "/admin/notifications", {"msg": msg, "failed": failed})


def _sub_id(form: dict[str, str]) -> int:
    raw = form.get("id", "")
    if not raw.isdigit() or len(raw) > 12:
        raise BadRequest("id must be a subscription's number", "订阅编号无效")
    return int(raw)


def _events(form: dict[str, str], checked: list[str]) -> str:
    """The events ticked (checkboxes named `event`), as the CLI's comma-separated list."""
    return ",".join(e for e in checked if e) or form.get("events", "")


@login_required("admin", refuse=ADMINS_ONLY)
async def subscription_action(request: Request, me: SessionInfo) -> Response:
    raw_form = await request.form()
    form = await posted_form(request, me)
    action = request.path_params["action"]
    if action not in ACTIONS:
        raise NotFound()
    s = svc(request)
    store, actor, scope = s.store, me.actor, me.actor.unit_path
    n = notify_texts(pick_lang(request))
    checked = [v for v in raw_form.getlist("event") if isinstance(v, str)]
    events = _events(form, checked)
    try:
        if action == "add":
            sub_id = await service.add_subscription(
                store, form.get("unit", "").strip() or None, form.get("sender", ""),
                form.get("target", ""), form.get("secret", ""), events,
                form.get("label", ""), scope, actor,
            )  # fmt: skip
            return _back(request, me, n["added"].format(id=sub_id))
        sub_id = _sub_id(form)
        if action == "edit":
            await service.update_subscription(
                store, sub_id, form.get("unit", "").strip() or None, form.get("target", ""),
                form.get("secret", ""), events, form.get("label", ""), scope, actor,
            )  # fmt: skip
            return _back(request, me, n["saved"].format(id=sub_id))
        if action in ("disable", "enable"):
            await service.set_disabled(store, sub_id, action == "disable", scope, actor)
            return _back(request, me, n[f"{action}d_msg"].format(id=sub_id))
        cfg = deliver.Config.from_settings(s.settings)
        ok, error = await service.send_test(store, cfg, sub_id, scope, actor)
        if ok:
            return _back(request, me, n["test_ok"].format(id=sub_id))
        return _back(request, me, n["test_failed"].format(id=sub_id, error=error), failed=True)
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        # Nothing changed: the page again with the reason and what was typed (never the
        # target or the secret: they are not shown back), at the POST's status.
        reason = exc.zh if pick_lang(request) == "zh" else exc.en
        kept = {k: v for k, v in form.items() if k not in ("target", "secret", "csrf")}
        kept["events"] = events
        kept["action"] = action
        return await _render(request, me, n["failed"].format(reason=reason), 400, kept)


@login_required("admin", "unit_manager", refuse=REFUSE)
async def retry(request: Request, me: SessionInfo) -> Response:
    form = await posted_form(request, me)
    raw = form.get("delivery", "all")
    if raw != "all" and (not raw.isdigit() or len(raw) > 12):
        raise BadRequest("delivery must be a dead letter's number or all", "参数无效")
    count = await service.retry_dead(
        svc(request).store, None if raw == "all" else int(raw), me.actor.unit_path, me.actor
    )
    return RedirectResponse(f"/admin/notifications?retried={count}", status_code=303)


def notification_routes() -> list[BaseRoute]:
    return [
        Route("/admin/notifications", notifications_page, methods=["GET"]),
        Route("/admin/notifications/retry", retry, methods=["POST"]),
        Route("/admin/notifications/{action}", subscription_action, methods=["POST"]),
    ]

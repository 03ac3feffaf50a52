"""The work-order list and its take-in into the case loop (issue 18, item 4): thin handlers
over rating.workorders.service.

Every signed-in user sees the orders of their scope (an order whose unit the import could
not match: bureau-wide users only); admins and unit managers take them in, one (the row's
button) or many (the ticked rows) in one all-or-none POST, audited on each new case; an
order the hotline closed only with the explicit box ticked. Admins edit the take-in rules.
Forms work without JavaScript (POST/redirect/GET) and carry the CSRF token.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from rating.admin.auth import SessionInfo
from rating.admin.texts_wo_loop import ORDER_TYPES, code_labels, wo_texts
from rating.admin.web import check_csrf, login_required, page
from rating.domain_errors import Invalid
from rating.errors import BadRequest, NotFound
from rating.i18n import pick_lang
from rating.service import svc
from rating.textcheck import check_fields
from rating.workorders import CHANNELS, service
from rating.workorders.loop import MAX_RULE_TEXT

PAGE_SIZE = 100
_YES_NO = {"1": True, "0": False}

admin_only = login_required(
    "admin", refuse=("only admins may edit the take-in rules", "仅管理员可以修改转入规则")
)


def _page_no(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return max(1, int(raw)) if raw.isdigit() and len(raw) < 7 else 1


# The rules form's fields; a refusal names one of them (rating.workorders.loop.add_rule).
RULE_FIELDS = ("channel", "order_type", "category")


@login_required()
async def orders_page(request: Request, me: SessionInfo) -> Response:
    return await _orders(request, me)


async def _orders(
    request: Request,
    me: SessionInfo,
    rule_form: Mapping[str, str] | None = None,
    rule_error: tuple[str, str] | None = None,
    status: int = 200,
) -> Response:
    """The order list; with `rule_form`, the rules form as it was posted and `rule_error`
    (field, message) beside that field (a refused rule: 400, what was typed kept)."""
    q = request.query_params
    check_fields(q)
    channel = q.get("channel") or None
    if channel is not None and channel not in CHANNELS:
        raise BadRequest("channel: unknown channel", "未知渠道（channel）")
    for name in ("taken", "closed"):
        if q.get(name, "") not in ("", *_YES_NO):
            raise BadRequest(f"{name}: must be 1 or 0", f"{name} 应为 1 或 0")
    page_no = _page_no(request)
    store = svc(request).store
    rows = await service.list_orders(
        store, me.actor, channel=channel, taken=_YES_NO.get(q.get("taken", "")),
        hotline_closed=_YES_NO.get(q.get("closed", "")), limit=PAGE_SIZE + 1,
        offset=(page_no - 1) * PAGE_SIZE,
    )  # fmt: skip
    rules = await service.list_rules(store) if me.actor.role == "admin" else []
    keep = {k: v for k, v in q.items() if k in ("channel", "taken", "closed")}
    lang = pick_lang(request)
    response = page(
        request, "workorder_orders.html", me, orders=rows[:PAGE_SIZE],
        more=len(rows) > PAGE_SIZE, page=page_no, query=urlencode(keep), q=q,
        channels=CHANNELS, order_types=ORDER_TYPES, rules=rules, wt=wo_texts(lang),
        codes=code_labels(lang), notice=_notice(q, wo_texts(lang)),
        rule_form=rule_form or {}, rule_errors=dict([rule_error]) if rule_error else {},
    )  # fmt: skip
    response.status_code = status
    return response


def _notice(q: Mapping[str, str], wt: dict[str, str]) -> str | None:
    """The message of the POST that redirected here (a count, or a rule's change)."""
    for key, text in (("taken_n", "taken_done"), ("applied", "applied")):
        raw = q.get(key, "")
        if raw.isdigit() and len(raw) < 10:
            return wt[text].format(n=int(raw))
    rule = q.get("rule", "")
    return wt[f"rule_{rule}"] if rule in ("added", "removed") else None


async def _form(request: Request, me: SessionInfo) -> tuple[dict[str, str], list[str]]:
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    check_fields(fields)
    check_csrf(me.csrf, fields)
    return fields, [v for v in form.getlist("order") if isinstance(v, str)]


@login_required()
async def take(request: Request, me: SessionInfo) -> Response:
    """POST /admin/workorders/take: `one` (a row's button) or the ticked `order`s."""
    fields, ticked = await _form(request, me)
    raw = [fields["one"]] if fields.get("one") else ticked
    if not all(v.isdigit() and len(v) < 19 for v in raw):
        raise BadRequest("ids: work order numbers expected", "工单编号有误（ids）")
    closed_ok = fields.get("closed") in ("1", "on")
    done = await service.take_in(
        svc(request).store, [int(v) for v in raw], me.actor, closed_ok=closed_ok
    )
    if len(done) == 1:
        return RedirectResponse(f"/admin/cases/{done[0].case_id}", status_code=303)
    return RedirectResponse(
        "/admin/workorders/orders?" + urlencode({"taken_n": len(done)}), status_code=303
    )


@admin_only
async def rule_add(request: Request, me: SessionInfo) -> Response:
    """Add a rule; a refused one comes back as the page with the message beside its field
    and everything typed kept (400), like the other admin forms."""
    fields, _ = await _form(request, me)
    try:
        await service.add_rule(
            svc(request).store, fields.get("channel", ""), fields.get("order_type", ""),
            fields.get("category", ""), me.actor,
        )  # fmt: skip
    except Invalid as exc:
        name = exc.en.split(":", 1)[0]
        kept = {k: fields.get(k, "")[: MAX_RULE_TEXT * 2] for k in RULE_FIELDS}
        error = (name if name in RULE_FIELDS else "channel", exc.message(pick_lang(request)))
        return await _orders(request, me, kept, error, status=400)
    return RedirectResponse("/admin/workorders/orders?rule=added#rules", status_code=303)


@admin_only
async def rule_remove(request: Request, me: SessionInfo) -> Response:
    await _form(request, me)
    raw = str(request.path_params["rule_id"])
    removed = raw.isdigit() and len(raw) < 19
    if not (removed and await service.remove_rule(svc(request).store, int(raw), me.actor)):
        raise NotFound("rule not found", "未找到该规则")
    return RedirectResponse("/admin/workorders/orders?rule=removed#rules", status_code=303)


@admin_only
async def rules_apply(request: Request, me: SessionInfo) -> Response:
    await _form(request, me)
    n = await service.apply_rules(svc(request).store)
    return RedirectResponse(
        "/admin/workorders/orders?" + urlencode({"applied": n}) + "#rules", status_code=303
    )


def workorder_loop_routes() -> list[BaseRoute]:
    return [
        Route("/admin/workorders/orders", orders_page, methods=["GET"]),
        Route("/admin/workorders/take", take, methods=["POST"]),
        Route("/admin/workorders/rules", rule_add, methods=["POST"]),
        Route("/admin/workorders/rules/apply", rules_apply, methods=["POST"]),
        Route("/admin/workorders/rules/{rule_id}/remove", rule_remove, methods=["POST"]),
    ]

"""The hotline take-in rules as JSON (issue 18, item 4): list, add, remove and apply the
rules that take work orders into the case loop, as the admin page and
`pingjing workorders rules` do. Admins only (an API token of any other role: 403), each
change audited under the token's user; thin handlers over rating.workorders.service.

    GET    /api/v1/workorders/rules             the rules
    POST   /api/v1/workorders/rules             {"channel", "order_type"?, "category"?}
    POST   /api/v1/workorders/rules/{rule_id}/remove   remove one (its cases stay)
    POST   /api/v1/workorders/rules/apply       take in every stored open order they match

The list and the add share one route (one Allow header for the path); removal is a POST
action on the rule, as the case actions are, so that `apply` never reads as a rule number.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from rating.admin.auth import SessionInfo
from rating.admin.web import login_required
from rating.bodycap import JSON_API_MAX_BYTES
from rating.errors import BadRequest, NotFound
from rating.intake import load_json, read_body
from rating.service import svc
from rating.workorders import service
from rating.workorders.loop import MAX_RULE_TEXT, Rule

ADMINS_ONLY = ("only admins may edit the take-in rules", "仅管理员可以修改转入规则")
FIELDS = ("channel", "order_type", "category")
# Rules are configuration, not personal data; still answered fresh (they change).
NO_STORE = {"cache-control": "no-store"}

admin_api = login_required("admin", api=True, refuse=ADMINS_ONLY)


def rule_json(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "channel": rule.channel,
        "order_type": rule.order_type,
        "category": rule.category,
        "created_at": rule.created_at,
        "created_by": rule.created_by,
    }


@admin_api
async def api_rules(request: Request, me: SessionInfo) -> Response:
    """GET /api/v1/workorders/rules: by channel, order type and category; POST adds one."""
    if request.method == "POST":
        return await _add(request, me)
    rules = await service.list_rules(svc(request).store)
    return JSONResponse({"ok": True, "rules": [rule_json(r) for r in rules]}, headers=NO_STORE)


def rule_fields(body: dict[str, Any]) -> tuple[str, str, str]:
    """(channel, order type, category) of a request body; BadRequest naming the field."""
    extra = sorted(set(body) - set(FIELDS))
    if extra:
        raise BadRequest(f"{extra[0]}: unknown field", f"未知字段（{extra[0]}）")
    if "channel" not in body:
        raise BadRequest("channel: required", "请填写渠道（channel）")
    for name in FIELDS:
        if not isinstance(body.get(name, ""), str):
            raise BadRequest(f"{name}: must be a string", f"{name} 必须是文字")
    channel, order_type = body["channel"], body.get("order_type", "")
    # Codes as the document lists them (the page and the command line forgive spaces).
    for name, value in (("channel", channel), ("order_type", order_type)):
        if value != value.strip():
            raise BadRequest(f"{name}: spaces around the value", f"{name} 前后不能有空格")
    category = body.get("category", "")
    if len(category) > MAX_RULE_TEXT:  # as sent, before the rule trims it
        raise BadRequest(
            f"category: at most {MAX_RULE_TEXT} characters",
            f"分类最多 {MAX_RULE_TEXT} 字（category）",
        )
    return channel, order_type, category


async def _add(request: Request, me: SessionInfo) -> Response:
    """POST /api/v1/workorders/rules: 201 with the new rule, 200 with the same one when it
    exists already (`created` false); orders are taken in from the next import (or
    /apply)."""
    body = load_json(await read_body(request, JSON_API_MAX_BYTES))
    channel, order_type, category = rule_fields(body)
    rule, created = await service.add_rule(
        svc(request).store, channel, order_type, category, me.actor
    )
    return JSONResponse(
        {"ok": True, "rule": rule_json(rule), "created": created},
        status_code=201 if created else 200,
        headers=NO_STORE,
    )


@admin_api
async def api_rule_remove(request: Request, me: SessionInfo) -> Response:
    """POST /api/v1/workorders/rules/{rule_id}/remove: 404 when there is no such rule."""
    raw = str(request.path_params["rule_id"])
    found = raw.isascii() and raw.isdigit() and len(raw) < 19
    if not (found and await service.remove_rule(svc(request).store, int(raw), me.actor)):
        raise NotFound("rule_id: no such rule", "未找到该规则（rule_id）")
    return JSONResponse({"ok": True, "removed": int(raw)}, headers=NO_STORE)


@admin_api
async def api_rules_apply(request: Request, me: SessionInfo) -> Response:
    """POST /api/v1/workorders/rules/apply: how many orders were taken in."""
    taken = await service.apply_rules(svc(request).store)
    return JSONResponse({"ok": True, "taken_in": taken}, headers=NO_STORE)


def rules_api_routes() -> list[BaseRoute]:
    return [
        Route("/api/v1/workorders/rules", api_rules, methods=["GET", "POST"]),
        Route("/api/v1/workorders/rules/apply", api_rules_apply, methods=["POST"]),
        Route("/api/v1/workorders/rules/{rule_id}/remove", api_rule_remove, methods=["POST"]),
    ]

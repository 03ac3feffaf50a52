"""The OpenAPI 3.1 contract of every JSON endpoint, built from the code.

Each operation is declared once in ``OPERATIONS`` beside the handlers' own vocabulary
(field rules from rating.intake and the kiosk views, case fields from the CaseView
dataclass, error messages from the exception classes). ``spec()`` turns the table into
the document served at /openapi.json; ``markdown()`` renders it into docs/api.md. Tests
check that every JSON route of the app is declared here and nothing else is, that the
document validates, and that docs/api.md is what ``markdown()`` prints today.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import types
import typing
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from rating import errors
from rating.admin.views import ACTIONS
from rating.cases.model import (
    CALLBACK_OUTCOMES,
    FIX_ANSWERS,
    STATES,
    VERIFICATIONS,
    CaseView,
    Progress,
)
from rating.intake import MAX_COMMENT
from rating.kiosk.views import CLOCK_STEP_MS, MAX_TAP_AGE_MS
from rating.store.models import CHANNELS, KINDS, REASONS

VERSION = "1.0.0"
ERROR = {"$ref": "#/components/schemas/Error"}
_CODE = "^[0-9A-Za-z-]{1,40}$"

# Why each error status can happen, by status; an operation lists the ones it can return.
_ERROR_CLASSES: dict[int, type[errors.HTTPError]] = {
    400: errors.BadRequest,
    401: errors.Unauthorized,
    403: errors.Forbidden,
    404: errors.NotFound,
    409: errors.Conflict,
    410: errors.Gone,
    413: errors.PayloadTooLarge,
    415: errors.UnsupportedMediaType,
    429: errors.TooManyRequests,
    500: errors.HTTPError,
    503: errors.ServiceUnavailable,
}


def _schema_of(tp: Any) -> dict[str, Any]:
    """JSON Schema of a dataclass field's type (the few types our views put in JSON)."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        parts = [_schema_of(a) for a in typing.get_args(tp) if a is not type(None)]
        assert len(parts) == 1, tp
        kind = parts[0]["type"]
        return {**parts[0], "type": [kind, "null"]}
    if origin in (tuple, list):
        return {"type": "array", "items": _schema_of(typing.get_args(tp)[0])}
    return {"type": {int: "integer", str: "string", bool: "boolean"}[tp]}


def dataclass_schema(cls: type, *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """An object schema with one required property per dataclass field."""
    hints = typing.get_type_hints(cls)
    props = {
        f.name: _schema_of(hints[f.name]) for f in dataclasses.fields(cls) if f.name not in exclude
    }
    return {
        "type": "object",
        "required": list(props),
        "properties": props,
        "additionalProperties": False,
    }


def _obj(required: list[str], props: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "required": required,
        "properties": props,
        "additionalProperties": False,
        **extra,
    }


_STR = {"type": "string"}
_TS = {"type": "integer", "description": "epoch milliseconds"}
_OK = {"const": True}


def _case_schema() -> dict[str, Any]:
    schema = dataclass_schema(CaseView, exclude=("comment",))
    props = schema["properties"]
    props["state"] = {"type": "string", "enum": list(STATES)}
    props["reasons"] = {"type": "array", "items": {"type": "string", "enum": list(REASONS)}}
    props["level"] = {"type": "integer", "minimum": 1, "maximum": 5}
    props["callback_outcome"] = {"type": ["string", "null"], "enum": [*CALLBACK_OUTCOMES, None]}
    props["verification"] = {"type": ["string", "null"], "enum": [*VERIFICATIONS, None]}
    props["fix_rating"] = {"type": ["string", "null"], "enum": [*FIX_ANSWERS, None]}
    props["overdue"] = {"type": ["string", "null"], "enum": ["callback", "rectify", None]}
    props["phone_mask"]["description"] = "masked, e.g. 138****5678; the number is never sent"
    return schema


_OFFICER = _obj(
    ["badge_no", "name", "kind", "unit"],
    {"badge_no": _STR, "name": _STR, "kind": {"type": "string", "enum": list(KINDS)}, "unit": _STR},
)
_KIOSK_STATE_PROPS = {
    "ok": _OK,
    "kiosk": _obj(["name", "unit"], {"name": _STR, "unit": _STR}),
    "officer": {"oneOf": [_OFFICER, {"type": "null"}], "description": "the officer on duty"},
    "min_interval_ms": {"type": "integer", "minimum": 0},
}

SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": _obj(
        ["ok", "error", "status"],
        {
            "ok": {"const": False},
            "error": {"type": "string", "description": "what was wrong, naming the field"},
            "status": {"type": "integer", "description": "the HTTP status, repeated"},
        },
        description="The one error shape of every JSON endpoint.",
    ),
    "Health": _obj(["ok", "status"], {"ok": {"type": "boolean"}, "status": {"type": "integer"}}),
    "RatingRequest": _obj(
        ["token", "level", "t"],
        {
            "token": {
                "type": "string",
                "minLength": 1,
                "description": "the officer's badge code (lower case and 0/O, 1/I/L typos taken)",
            },
            "level": {
                "type": "integer",
                "minimum": 1,
                "maximum": 5,
                "description": "5 非常满意 · 4 满意 · 3 基本满意 · 2 不满意 · 1 非常不满意",
            },
            "t": {
                "type": "string",
                "minLength": 1,
                "description": "the form stamp from the rating page (signed; proves the page "
                "was loaded for this officer between PINGJING_MIN_SUBMIT_SECONDS and "
                "PINGJING_FORM_MAX_AGE_HOURS ago). A body without a valid stamp gets 400.",
            },
            "reasons": {
                "type": "array",
                "items": {"type": "string", "enum": list(REASONS)},
                "description": "levels 1-2 only",
            },
            "comment": {"type": "string", "maxLength": MAX_COMMENT},
            "phone": {
                "type": ["string", "null"],
                "description": "levels 1-2 only, with consent: a mainland mobile (11 digits) "
                "or a landline with area code",
            },
            "consent": {"type": "boolean", "description": "agrees to a call back on `phone`"},
            "receipt": {
                "type": ["string", "null"],
                "description": "amend this receipt's rating (null or empty: a new rating)",
            },
            "lang": {"type": "string", "enum": ["zh", "en"]},
            "website": {"type": "string", "maxLength": 0, "description": "honeypot: leave empty"},
        },
        dependentRequired={"phone": ["consent"]},
    ),
    "RatingCreated": _obj(
        ["ok", "receipt", "receipt_display", "receipt_url", "amended"],
        {
            "ok": _OK,
            "receipt": {"type": "string", "pattern": "^[0-9A-HJKMNP-TV-Z]{12}$"},
            "receipt_display": _STR,
            "receipt_url": _STR,
            "amended": {"type": "boolean"},
        },
    ),
    "Receipt": _obj(
        [
            "ok",
            "receipt",
            "receipt_display",
            "level",
            "reasons",
            "channel",
            "officer",
            "rated_at",
            "amend_count",
            "case",
        ],  # fmt: skip
        {
            "ok": _OK,
            "receipt": _STR,
            "receipt_display": _STR,
            "level": {"type": "integer", "minimum": 1, "maximum": 5},
            "reasons": {"type": "array", "items": {"type": "string", "enum": list(REASONS)}},
            "channel": {"type": "string", "enum": list(CHANNELS)},
            "officer": _obj(
                ["name", "badge_no", "unit"], {"name": _STR, "badge_no": _STR, "unit": _STR}
            ),
            "rated_at": _TS,
            "amend_count": {"type": "integer", "minimum": 0},
            "case": {
                "oneOf": [{"$ref": "#/components/schemas/CaseProgress"}, {"type": "null"}],
                "description": "the follow-up case of a dissatisfied rating, if any",
            },
        },
    ),
    "CaseProgress": dataclass_schema(Progress),
    "KioskState": _obj(list(_KIOSK_STATE_PROPS), _KIOSK_STATE_PROPS),
    "KioskEnrolled": _obj(
        [*_KIOSK_STATE_PROPS, "token"],
        {**_KIOSK_STATE_PROPS, "token": {"type": "string", "description": "the device token"}},
    ),
    "KioskEnroll": _obj(["code"], {"code": {"type": "string", "minLength": 1}}),
    "KioskSignin": _obj(
        ["badge_no", "pin"],
        {"badge_no": {"type": "string", "minLength": 1}, "pin": {"type": "string", "minLength": 1}},
    ),
    "KioskRating": _obj(
        ["key", "officer", "level", "tapped_at", "sent_at"],
        {
            "key": {
                "type": "string",
                "pattern": "^[A-Za-z0-9_-]{8,64}$",
                "description": "idempotency key: the same key is stored once",
            },
            "officer": {"type": "string", "minLength": 1, "description": "badge number on duty"},
            "level": {"type": "integer", "minimum": 1, "maximum": 5},
            "tapped_at": {
                "type": "integer",
                "exclusiveMinimum": 0,
                "maximum": 2**53 - 1,
                "description": "the tablet's clock at the tap (epoch ms); at most "
                f"{MAX_TAP_AGE_MS // 86_400_000} days before sent_at and at most "
                f"{CLOCK_STEP_MS // 60_000} minutes after it (else 400)",
            },
            "sent_at": {"type": "integer", "exclusiveMinimum": 0, "maximum": 2**53 - 1},
            "lang": {"type": "string", "enum": ["zh", "en"]},
        },
    ),
    "KioskRated": _obj(
        ["ok", "receipt", "replayed"],
        {"ok": _OK, "receipt": {"type": ["string", "null"]}, "replayed": {"type": "boolean"}},
    ),
    "Case": _case_schema(),
    "CaseList": _obj(
        ["ok", "cases"],
        {"ok": _OK, "cases": {"type": "array", "items": {"$ref": "#/components/schemas/Case"}}},
    ),
    "CaseOne": _obj(["ok", "case"], {"ok": _OK, "case": {"$ref": "#/components/schemas/Case"}}),
    "CaseAction": {
        "type": "object",
        "properties": {
            "note": {"type": "string", "description": "required by every action but take"},
            "outcome": {
                "type": "string",
                "description": "callback: " + ", ".join(CALLBACK_OUTCOMES),
            },
            "verification": {
                "type": "string",
                "description": "verify: " + ", ".join(VERIFICATIONS),
            },
            "measures": {"type": "string", "description": "rectify: the measures taken"},
        },
        "additionalProperties": {"type": "string"},
        "description": "Form fields of the action, all strings. Each action reads the "
        "fields it needs (400 naming one that is missing or wrong) and ignores the others.",
    },
}

_EXAMPLES: dict[str, Any] = {
    "RatingRequest": {
        "token": "K7Q2M9XD",
        "level": 2,
        "t": "<stamp from the page>",
        "reasons": ["attitude"],
        "comment": "等了很久",
        "phone": "13812345678",
        "consent": True,
        "lang": "zh",
    },  # fmt: skip
    "RatingCreated": {
        "ok": True,
        "receipt": "P7GTTMGR0A24",
        "receipt_display": "P7GT-TMGR-0A24",
        "receipt_url": "/receipt/P7GTTMGR0A24",
        "amended": False,
    },  # fmt: skip
    "KioskRating": {
        "key": "tap-3f9a0c21",
        "officer": "030217",
        "level": 5,
        "tapped_at": 1764633600000,
        "sent_at": 1764633600450,
        "lang": "zh",
    },  # fmt: skip
    "KioskRated": {"ok": True, "receipt": "P7GTTMGR0A24", "replayed": False},
    "CaseAction": {"outcome": "reached", "note": "已电话联系群众，说明情况"},
    "Health": {"ok": True, "status": 200},
}


@dataclass(frozen=True)
class Op:
    """One operation: its success replies (status → schema) and the errors it can return."""

    method: str
    path: str
    operation_id: str
    tag: str
    summary: str
    ok: dict[int, str]
    errors: dict[int, str]
    body: str | None = None
    security: str | None = None
    params: tuple[dict[str, Any], ...] = ()
    links: dict[int, dict[str, Any]] = field(default_factory=dict)
    security_optional: bool = False  # e.g. /metrics: the token, or an allowed address


def _path_param(name: str, schema: dict[str, Any], desc: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema, "description": desc}


def _query(name: str, schema: dict[str, Any], desc: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": desc}


_BODY_ERRORS = {
    413: "the body is larger than PINGJING_MAX_BODY_BYTES",
    415: "the Content-Type is not application/json",
}
_KIOSK_AUTH = {
    401: "no device token, or an unknown one",
    403: "the kiosk has been revoked",
}
_API_AUTH = {401: "no API token, or an unknown or revoked one"}
_RECEIPT_LINK = {
    "operationId": "getReceipt",
    "parameters": {"code": "$response.body#/receipt"},
    "description": "the receipt of the rating just stored",
}
# Every filter left empty (as an HTML form sends it) means no filter.
_DAY_OR_EMPTY = {"type": "string", "anyOf": [{"format": "date"}, {"const": ""}]}
_CASE_ID = _path_param("case_id", {"type": "integer", "minimum": 0}, "the case number")

OPERATIONS: tuple[Op, ...] = (
    Op(
        "post",
        "/api/v1/ratings",
        "createRating",
        "ratings",
        "Rate an officer (201 once durably committed; 200 when it amends)",
        ok={201: "RatingCreated", 200: "RatingCreated"},
        errors={
            400: "a field is wrong (the message names it), or the form stamp is invalid, "
            "too old or too fresh",
            404: "unknown rating code",
            410: "revoked code or retired officer",
            **_BODY_ERRORS,
            429: "rate limit for this device or network",
            500: "unexpected error (nothing was stored)",
            503: "the database could not commit; nothing was stored, try again",
        },
        body="RatingRequest",
        links={201: {"GetReceipt": _RECEIPT_LINK}},
    ),  # fmt: skip
    Op(
        "get",
        "/api/v1/receipts/{code}",
        "getReceipt",
        "ratings",
        "A rating and its case's progress, by receipt",
        ok={200: "Receipt"},
        errors={404: "no rating has this receipt", 500: "unexpected error"},
        params=(_path_param("code", {"type": "string"}, "the receipt, as printed or typed"),),
    ),  # fmt: skip
    Op(
        "get",
        "/healthz",
        "health",
        "operations",
        "Liveness and database health (for load balancers)",
        ok={200: "Health"},
        errors={503: "the database is not answering"},
    ),  # fmt: skip
    Op(
        "post",
        "/api/v1/kiosk/enroll",
        "enrollKiosk",
        "kiosk",
        "Trade a one-time enrolment code for the kiosk's device token",
        ok={201: "KioskEnrolled"},
        errors={
            400: "body is not a JSON object with exactly a non-empty `code`",
            404: "unknown, used or expired enrolment code",
            **_BODY_ERRORS,
            500: "unexpected error",
        },
        body="KioskEnroll",
    ),  # fmt: skip
    Op(
        "get",
        "/api/v1/kiosk/state",
        "kioskState",
        "kiosk",
        "The kiosk and the officer on duty there",
        ok={200: "KioskState"},
        errors={**_KIOSK_AUTH, 500: "unexpected error"},
        security="KioskToken",
    ),  # fmt: skip
    Op(
        "post",
        "/api/v1/kiosk/signin",
        "kioskSignin",
        "kiosk",
        "An officer goes on duty at this kiosk (badge number and PIN)",
        ok={200: "KioskState"},
        errors={
            400: "a field is missing or malformed",
            401: _KIOSK_AUTH[401],
            403: "wrong badge number or PIN, or the kiosk has been revoked",
            **_BODY_ERRORS,
            429: "too many wrong PINs for this officer: locked for 15 minutes",
            500: "unexpected error",
        },
        body="KioskSignin",
        security="KioskToken",
    ),  # fmt: skip
    Op(
        "post",
        "/api/v1/kiosk/signout",
        "kioskSignout",
        "kiosk",
        "The officer on duty leaves this kiosk",
        ok={200: "KioskState"},
        errors={**_KIOSK_AUTH, 500: "unexpected error"},
        security="KioskToken",
    ),  # fmt: skip
    Op(
        "post",
        "/api/v1/kiosk/ratings",
        "kioskRating",
        "kiosk",
        "Upload one queued kiosk tap (stored once per idempotency key)",
        ok={201: "KioskRated", 200: "KioskRated"},
        errors={
            400: "a field is missing or malformed, or the tap time is impossible",
            **_KIOSK_AUTH,
            409: "that officer was not on duty at this kiosk at the tap time",
            410: "that officer can no longer be rated",
            **_BODY_ERRORS,
            429: "another tap from this kiosk within the minimum interval",
            500: "unexpected error",
            503: "the database could not commit; the tablet keeps the tap and retries",
        },
        body="KioskRating",
        security="KioskToken",
        links={201: {"GetReceipt": _RECEIPT_LINK}},
    ),  # fmt: skip
    Op(
        "get",
        "/api/v1/cases",
        "listCases",
        "cases",
        "Cases the token's user may see, newest first",
        ok={200: "CaseList"},
        errors={
            400: "a filter is malformed (unknown state, date not YYYY-MM-DD, NUL in unit)",
            **_API_AUTH,
            404: "unknown unit",
            500: "unexpected error",
        },
        security="ApiToken",
        params=(
            _query(
                "unit",
                {"type": "string", "pattern": r"^[^\x00]*$"},
                "unit code: that unit and every unit below it",
            ),
            _query("state", {"type": "string", "enum": [*STATES, ""]}, "only cases in this state"),
            _query("overdue", {"type": "string"}, "1, on or true: only overdue cases"),
            _query("from", _DAY_OR_EMPTY, "opened on or after (YYYY-MM-DD)"),
            _query("to", _DAY_OR_EMPTY, "opened on or before (YYYY-MM-DD)"),
        ),
    ),  # fmt: skip
    Op(
        "get",
        "/api/v1/cases/{case_id}",
        "getCase",
        "cases",
        "One case",
        ok={200: "CaseOne"},
        errors={
            **_API_AUTH,
            403: "a case of another unit",
            404: "no such case",
            500: "unexpected error",
        },
        security="ApiToken",
        params=(_CASE_ID,),
    ),  # fmt: skip
    Op(
        "post",
        "/api/v1/cases/{case_id}/{action}",
        "caseAction",
        "cases",
        "Act on a case: take, callback, verify, rectify, close or reopen",
        ok={200: "CaseOne"},
        errors={
            400: "body is not a JSON object of strings, or a field the action needs is "
            "missing or wrong",
            **_API_AUTH,
            403: "a read-only account, or a case of another unit",
            404: "no such case",
            409: "the action is not allowed in the case's state",
            500: "unexpected error",
        },
        body="CaseAction",
        security="ApiToken",
        params=(
            _CASE_ID,
            _path_param("action", {"type": "string", "enum": list(ACTIONS)}, "what to do"),
        ),
    ),  # fmt: skip
    Op(
        "get",
        "/openapi.json",
        "openapi",
        "operations",
        "This document",
        ok={200: "OpenAPI"},
        errors={},
    ),  # fmt: skip
    Op(
        "get",
        "/metrics",
        "metrics",
        "operations",
        "Prometheus metrics (PINGJING_METRICS_TOKEN or PINGJING_METRICS_ALLOW)",
        ok={200: "Metrics"},
        errors={403: "neither an allowed address nor the metrics token", 404: "metrics are off"},
        security="MetricsToken",
        security_optional=True,
    ),  # fmt: skip
)

SECURITY_SCHEMES = {
    "KioskToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "The device token a kiosk got from POST /api/v1/kiosk/enroll "
        "(`pingjing kiosks add` prints the enrolment code).",
    },
    "ApiToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token (`pjt_…`) from `pingjing users token NAME`; it acts as "
        "that admin user, within the user's unit. Only its SHA-256 hash is stored.",
    },
    "MetricsToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "PINGJING_METRICS_TOKEN; not needed from an address in "
        "PINGJING_METRICS_ALLOW.",
    },
}


def _error_example(status: int, why: str) -> dict[str, Any]:
    cls = _ERROR_CLASSES[status]
    return {"ok": False, "error": cls.default_en, "status": status}


def _response(op: Op, status: int, name: str) -> dict[str, Any]:
    if name == "OpenAPI":
        content = {"application/json": {"schema": {"type": "object"}}}
    elif name == "Metrics":
        content = {"text/plain": {"schema": {"type": "string"}}}
    else:
        media: dict[str, Any] = {"schema": {"$ref": f"#/components/schemas/{name}"}}
        if name in _EXAMPLES:
            example = dict(_EXAMPLES[name])
            if name == "RatingCreated" and status == 200:
                example["amended"] = True
            media["example"] = example
        content = {"application/json": media}
    out: dict[str, Any] = {"description": op.summary if status < 300 else "", "content": content}
    if status == 201 and op.operation_id == "createRating":
        out["description"] = "stored: the rating is durably committed"
    elif status == 200 and op.operation_id == "createRating":
        out["description"] = "amended: the same device rated this officer within the window"
    if status in op.links:
        out["links"] = op.links[status]
    return out


def spec() -> dict[str, Any]:
    """The OpenAPI 3.1 document."""
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        responses: dict[str, Any] = {}
        for status, name in sorted(op.ok.items()):
            responses[str(status)] = _response(op, status, name)
        for status, why in sorted(op.errors.items()):
            responses[str(status)] = {
                "description": why,
                "content": {
                    "application/json": {
                        "schema": ERROR,
                        "example": _error_example(status, why),
                    }
                },
            }
        item: dict[str, Any] = {
            "operationId": op.operation_id,
            "tags": [op.tag],
            "summary": op.summary,
            "responses": responses,
        }
        if op.params:
            item["parameters"] = list(op.params)
        if op.body:
            media = {"schema": {"$ref": f"#/components/schemas/{op.body}"}}
            if op.body in _EXAMPLES:
                media["example"] = _EXAMPLES[op.body]
            item["requestBody"] = {"required": True, "content": {"application/json": media}}
        item["security"] = [{op.security: []}] if op.security else []
        if op.security_optional:
            item["security"].append({})
        paths.setdefault(op.path, {})[op.method] = item
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Pingjing (评警) API",
            "version": VERSION,
            "description": "Scan-to-rate feedback for police bureaus. Every error is "
            '`{"ok": false, "error": "<what was wrong>", "status": <code>}`; a wrong method '
            "on a known path answers 405 with an Allow header, in the same shape.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": SCHEMAS, "securitySchemes": SECURITY_SCHEMES},
    }


@functools.cache
def spec_bytes() -> bytes:
    return json.dumps(spec(), ensure_ascii=False, indent=1).encode()


async def endpoint(request: Request) -> Response:
    """GET /openapi.json."""
    return Response(spec_bytes(), media_type="application/json")


# ---------------------------------------------------------------- docs/api.md

BEGIN = "<!-- BEGIN GENERATED: python -m rating.openapi --markdown -->"
END = "<!-- END GENERATED -->"


def _type_text(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "enum" in schema:
        return " \\| ".join(f"`{v}`" for v in schema["enum"] if v is not None)
    if "const" in schema:
        return f"`{json.dumps(schema['const'])}`"
    if "oneOf" in schema:
        return " or ".join(_type_text(s) for s in schema["oneOf"])
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        kind = " or ".join(kind)
    if kind == "array":
        return f"list of {_type_text(schema['items'])}"
    limits = []
    for key, word in (("minimum", "≥"), ("maximum", "≤"), ("maxLength", "length ≤")):
        if key in schema:
            limits.append(f"{word} {schema[key]}")
    if "pattern" in schema:
        limits.append(f"`{schema['pattern']}`")
    return kind + (f" ({', '.join(limits)})" if limits else "")


def _fields_table(name: str) -> list[str]:
    schema = SCHEMAS[name]
    lines = [f"`{name}`:", "", "| field | type | required | notes |", "|---|---|---|---|"]
    required = set(schema.get("required", []))
    for prop, sub in schema["properties"].items():
        desc = sub.get("description", "").replace("|", "\\|")
        need = "yes" if prop in required else ""
        lines.append(f"| `{prop}` | {_type_text(sub)} | {need} | {desc} |")
    return [*lines, ""]


def markdown() -> str:
    """The generated reference section of docs/api.md."""
    doc = spec()
    out = [
        BEGIN,
        "",
        "## Endpoint reference (generated from rating/openapi.py)",
        "",
        "The machine-readable contract is served at `GET /openapi.json` (OpenAPI 3.1). "
        "Every error has the one shape "
        '`{"ok": false, "error": "<what was wrong>", "status": <code>}`.',
        "",
        "Authentication: "
        + "; ".join(
            f"**{name}** (`Authorization: Bearer …`): {s['description']}"
            for name, s in SECURITY_SCHEMES.items()
        ),
        "",
    ]
    shown: list[str] = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            out.append(f"### `{method.upper()} {path}`")
            out.append("")
            out.append(op["summary"] + ".")
            if op["security"]:
                out.append(f"Auth: {next(iter(op['security'][0]))}.")
            out.append("")
            for p in op.get("parameters", []):
                out.append(f"- {p['in']} `{p['name']}`: {_type_text(p['schema'])} — "
                           f"{p['description']}")  # fmt: skip
            if "requestBody" in op:
                media = op["requestBody"]["content"]["application/json"]
                body = media["schema"]["$ref"].rsplit("/", 1)[-1]
                out.append(f"- body: `{body}` (JSON)")
                if body not in shown:
                    shown.append(body)
            out.append("")
            out.append("| status | meaning | body |")
            out.append("|---|---|---|")
            for status, resp in op["responses"].items():
                media = next(iter(resp["content"].values()))
                name = _type_text(media["schema"])
                if name not in shown and name in SCHEMAS and name != "Error":
                    shown.append(name)
                why = resp["description"].replace("|", "\\|")
                out.append(f"| {status} | {why} | {name} |")
                if "links" in resp:
                    for link, spec_link in resp["links"].items():
                        out.append(f"| | link `{link}` → `{spec_link['operationId']}` "
                                   f"with {spec_link['parameters']} | |")  # fmt: skip
            example = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            if "example" in example:
                out += ["", "Example body:", "", "```json",
                        json.dumps(example["example"], ensure_ascii=False), "```"]  # fmt: skip
            out.append("")
    out += ["## Schemas", ""]
    for name in shown:
        out += _fields_table(name)
    out += ["`Error`:", "", "```json", json.dumps(_error_example(400, "")), "```", "", END]
    return "\n".join(out) + "\n"


def render_into(text: str) -> str:
    """`text` (docs/api.md) with its generated section replaced by today's."""
    head, sep, rest = text.partition(BEGIN)
    if not sep:
        return text.rstrip("\n") + "\n\n" + markdown()
    _, sep2, tail = rest.partition(END)
    tail = tail.lstrip("\n")
    return head + markdown() + (("\n" + tail) if tail else "")


def main(argv: list[str] | None = None) -> int:
    import argparse
    from pathlib import Path

    parser = argparse.ArgumentParser(description="Print or write the OpenAPI document.")
    parser.add_argument("--markdown", metavar="FILE", help="rewrite FILE's generated section")
    args = parser.parse_args(argv)
    if args.markdown:
        path = Path(args.markdown)
        path.write_text(render_into(path.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        print(spec_bytes().decode())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The declared table of JSON operations: one `Op` per route and method.

A test checks that the app's JSON routes and this table are the same set, so a new
endpoint cannot go undocumented; each Op lists every status its handler can return.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rating.admin.views import ACTIONS
from rating.cases.model import SOURCES, STATES


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
    413: "the body is larger than the route's cap (64 KB for the JSON APIs)",
    415: "the Content-Type is not application/json",
}
_KIOSK_AUTH = {
    401: "no device token, or an unknown one",
    403: "the kiosk has been revoked",
}


def _pin_errors(malformed: str, wrong_pin: str) -> dict[int, str]:
    """The errors of a kiosk call an officer's PIN authorises (sign in, sign out)."""
    return {
        400: malformed,
        401: _KIOSK_AUTH[401],
        403: wrong_pin,
        **_BODY_ERRORS,
        429: "too many wrong PINs for this officer: locked for 15 minutes",
        500: "unexpected error",
    }


_API_AUTH = {401: "no API token, or an unknown or revoked one"}
_RULES_ADMINS = "the token's user is not an admin"
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
        errors=_pin_errors(
            "a field is missing or malformed",
            "wrong badge number or PIN, or the kiosk has been revoked",
        ),
        body="KioskSignin",
        security="KioskToken",
    ),  # fmt: skip
    Op(
        "post",
        "/api/v1/kiosk/signout",
        "kioskSignout",
        "kiosk",
        "The officer on duty leaves this kiosk, with their own PIN",
        ok={200: "KioskState"},
        errors=_pin_errors(
            "a field is missing or malformed (the PIN, when an officer is on duty)",
            "wrong PIN for the officer on duty, or the kiosk has been revoked",
        ),
        body="KioskSignout",
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
            _query("source", {"type": "string", "enum": [*SOURCES, ""]}, "only this source"),
            _query(
                "dispatched_to",
                {"type": "string", "pattern": r"^[^\x00]*$"},
                "unit code: the cases dispatched to that unit and below (its queue)",
            ),
            _query("from", _DAY_OR_EMPTY, "opened on or after (YYYY-MM-DD)"),
            _query("to", _DAY_OR_EMPTY, "opened on or before (YYYY-MM-DD)"),
        ),
    ),  # fmt: skip
    Op(
        "post",
        "/api/v1/dispatch",
        "dispatchCases",
        "cases",
        "一键派发: dispatch many cases to one unit, all or none",
        ok={200: "CaseList"},
        errors={
            400: "ids, unit or note missing or wrong (the message names the field and the "
            "case), an unknown unit",
            **_API_AUTH,
            403: "a read-only account, or a unit outside the user's scope",
            404: "a case the user may not see (as if it did not exist)",
            409: "a case is not in a state that can be dispatched",
            **_BODY_ERRORS,
            500: "unexpected error",
        },
        body="DispatchMany",
        security="ApiToken",
    ),  # fmt: skip
    Op(
        "get",
        "/api/v1/letters",
        "listLetters",
        "letters",
        "Letters to the chief's mailbox in the user's scope, newest first, with their cases",
        ok={200: "LetterList"},
        errors={**_API_AUTH, 500: "unexpected error"},
        security="ApiToken",
    ),  # fmt: skip
    Op(
        "get",
        "/api/v1/mailbox/form",
        "getLetterForm",
        "letters",
        "What a client needs to write a letter: a fresh form stamp, the categories",
        ok={200: "LetterForm"},
        errors={
            404: "`unit`: no unit has this code",
            410: "`unit`: the unit code has been revoked",
            500: "unexpected error",
        },
        params=(_query("unit", {"type": "string"}, "a unit (place) code: a letter to that unit"),),
    ),  # fmt: skip
    Op(
        "post",
        "/api/v1/mailbox/letters",
        "createLetter",
        "letters",
        "Write to the chief's mailbox (201 once the letter and its case are durably "
        "committed; 200 with the same receipt when the same stamp comes again)",
        ok={201: "LetterCreated", 200: "LetterCreated"},
        errors={
            400: "a field is wrong (the message names it): the form stamp invalid or too "
            "old, a category not in the bureau's list, an empty or too long text, a phone "
            "without consent, the honeypot filled",
            404: "`unit`: no unit has this code",
            410: "`unit`: the unit code has been revoked",
            **_BODY_ERRORS,
            429: "too many letters from this device or network",
            500: "unexpected error (nothing was stored)",
            503: "the database could not commit; nothing was stored, try again",
        },
        body="LetterRequest",
        links={
            201: {
                "GetLetterReceipt": {
                    "operationId": "getLetterReceipt",
                    "parameters": {"code": "$response.body#/receipt"},
                    "description": "the receipt of the letter just stored",
                }
            }
        },
    ),  # fmt: skip
    Op(
        "get",
        "/api/v1/mailbox/receipts/{code}",
        "getLetterReceipt",
        "letters",
        "A letter's receipt: its status and the unit's reply (no text, no phone)",
        ok={200: "LetterReceipt"},
        errors={404: "no letter with that receipt", 500: "unexpected error"},
        params=(_path_param("code", {"type": "string"}, "the letter's receipt code"),),
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
            404: "no such case, or a case of another unit (as if it did not exist)",
            500: "unexpected error",
        },
        security="ApiToken",
        params=(_CASE_ID,),
    ),  # fmt: skip
    Op(
        "get",
        "/api/v1/cases/{case_id}/photos/{n}",
        "getCasePhoto",
        "letters",
        "Photo n of the letter behind a case (a JPEG without EXIF; never cached)",
        ok={200: "Photo"},
        errors={
            **_API_AUTH,
            404: "no such case, a case of another unit (as if it did not exist), a case "
            "that is not a letter's, or no such photo (or it was purged)",
            500: "unexpected error",
        },
        security="ApiToken",
        params=(
            _CASE_ID,
            _path_param("n", {"type": "integer", "minimum": 1}, "the photo's number, from 1"),
        ),
    ),  # fmt: skip
    Op(
        "post",
        "/api/v1/cases/{case_id}/{action}",
        "caseAction",
        "cases",
        "Act on a case: " + ", ".join(ACTIONS) + " (rating/cases/states.py says when)",
        ok={200: "CaseOne"},
        errors={
            400: "body is not a JSON object of strings, or a field the action needs is "
            "missing or wrong",
            **_API_AUTH,
            403: "a read-only account; a dispatch to a unit outside the user's scope; a "
            "reply or return by a user outside the unit the case was dispatched to",
            404: "no such case, or a case of another unit (as if it did not exist)",
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
        "/api/v1/workorders/rules",
        "listWorkorderRules",
        "workorders",
        "The rules that take hotline work orders into the case loop (admins)",
        ok={200: "WorkorderRuleList"},
        errors={**_API_AUTH, 403: _RULES_ADMINS, 500: "unexpected error"},
        security="ApiToken",
    ),  # fmt: skip
    Op(
        "post",
        "/api/v1/workorders/rules",
        "addWorkorderRule",
        "workorders",
        "Add a take-in rule (201; 200 with the same rule when it exists); orders imported "
        "from then on are taken in when they match",
        ok={201: "WorkorderRuleAdded", 200: "WorkorderRuleAdded"},
        errors={
            400: "a field is missing, unknown or wrong (the message names it): an unknown "
            "channel or order type, a category longer than 100 characters",
            **_API_AUTH,
            403: _RULES_ADMINS,
            413: _BODY_ERRORS[413],
            500: "unexpected error",
        },
        body="WorkorderRuleRequest",
        security="ApiToken",
        links={
            201: {
                "RemoveWorkorderRule": {
                    "operationId": "removeWorkorderRule",
                    "parameters": {"rule_id": "$response.body#/rule/id"},
                    "description": "remove the rule just added",
                }
            }
        },
    ),  # fmt: skip
    Op(
        "post",
        "/api/v1/workorders/rules/apply",
        "applyWorkorderRules",
        "workorders",
        "Apply the rules now: take in every stored open order they match",
        ok={200: "WorkorderRulesApplied"},
        errors={**_API_AUTH, 403: _RULES_ADMINS, 500: "unexpected error"},
        security="ApiToken",
    ),  # fmt: skip
    Op(
        "post",
        "/api/v1/workorders/rules/{rule_id}/remove",
        "removeWorkorderRule",
        "workorders",
        "Remove a take-in rule (the orders it took in stay in the loop)",
        ok={200: "WorkorderRuleRemoved"},
        errors={
            **_API_AUTH,
            403: _RULES_ADMINS,
            404: "`rule_id`: no such rule",
            500: "unexpected error",
        },
        security="ApiToken",
        params=(_path_param("rule_id", {"type": "integer", "minimum": 0}, "the rule's number"),),
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

"""JSON Schemas of the API's bodies, from the code's own vocabulary.

Field rules come from rating.intake and the kiosk views, case fields from the CaseView and
Progress dataclasses, error messages from the exception classes; rating.openapi.operations
refers to these schemas by name.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any

from rating import errors
from rating.cases.model import (
    CALLBACK_OUTCOMES,
    FIX_ANSWERS,
    SOURCES,
    STATES,
    STEP_LABELS,
    VERIFICATIONS,
    CaseView,
    Progress,
)
from rating.intake import MAX_COMMENT
from rating.kiosk.views import CLOCK_STEP_MS, MAX_TAP_AGE_MS
from rating.mailbox.models import MAX_TEXT
from rating.mailbox.models import STATUSES as LETTER_STATUSES
from rating.store.models import CHANNELS, KINDS, REASONS
from rating.workorders import CHANNELS as WORKORDER_CHANNELS
from rating.workorders.loop import MAX_RULE_TEXT, ORDER_TYPES
from rating.workorders.schema import DEFAULT_VALUES

# Order types as the hotlines spell them (投诉, 举报, ...), which a rule takes for the code.
ORDER_TYPE_SPELLINGS = list(DEFAULT_VALUES["order_type"])

VERSION = "1.0.0"
ERROR = {"$ref": "#/components/schemas/Error"}

# Why each error status can happen, by status; an operation lists the ones it can return.
ERROR_CLASSES: dict[int, type[errors.HTTPError]] = {
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
# Text the service stores or looks up: no NUL (400 naming the field; PostgreSQL refuses it).
_TEXT = {"type": "string", "pattern": r"^[^\x00]*$"}
_TEXT1 = {**_TEXT, "minLength": 1}
_TS = {"type": "integer", "description": "epoch milliseconds"}
_OK = {"const": True}
_LANG = {"type": "string", "enum": ["zh", "en"]}
# The trap field of the citizen forms and APIs: a person never fills it (rating/intake.py).
_HONEYPOT = {
    "type": ["string", "null"],
    "maxLength": 0,
    "description": "honeypot: leave empty (or null)",
}


def _case_schema() -> dict[str, Any]:
    schema = dataclass_schema(CaseView, exclude=("comment",))
    props = schema["properties"]
    props["state"] = {"type": "string", "enum": list(STATES)}
    props["reasons"] = {"type": "array", "items": {"type": "string", "enum": list(REASONS)}}
    props["level"] = {
        "type": "integer",
        "minimum": 0,
        "maximum": 5,
        "description": "the rating's level; 0 for a case of another source (a letter, ...)",
    }
    props["source"] = {"type": "string", "enum": list(SOURCES)}
    props["callback_outcome"] = {"type": ["string", "null"], "enum": [*CALLBACK_OUTCOMES, None]}
    props["verification"] = {"type": ["string", "null"], "enum": [*VERIFICATIONS, None]}
    props["fix_rating"] = {"type": ["string", "null"], "enum": [*FIX_ANSWERS, None]}
    props["overdue"] = {"type": ["string", "null"], "enum": [*STEP_LABELS, None]}
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
                "description": "any level, with consent (levels 1-2: the case's call back; "
                "3-5: a spot-check callback): a mainland mobile (11 digits) "
                "or a landline with area code",
            },
            "consent": {"type": "boolean", "description": "agrees to a call back on `phone`"},
            "receipt": {
                "type": ["string", "null"],
                "description": "amend this receipt's rating (null or empty: a new rating)",
            },
            "lang": _LANG,
            "website": _HONEYPOT,
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
    "KioskEnroll": _obj(["code"], {"code": _TEXT1}),
    "KioskSignin": _obj(
        ["badge_no", "pin"],
        {"badge_no": _TEXT1, "pin": _TEXT1},
    ),
    "KioskSignout": _obj(
        [],
        {"pin": {**_TEXT1, "description": "the on-duty officer's PIN (needed when one is)"}},
    ),
    "KioskRating": _obj(
        ["key", "officer", "level", "tapped_at", "sent_at"],
        {
            "key": {
                "type": "string",
                "pattern": "^[A-Za-z0-9_-]{8,64}$",
                "description": "idempotency key: the same key is stored once",
            },
            "officer": {**_TEXT1, "description": "badge number on duty"},
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
            "lang": _LANG,
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
            "note": {
                **_TEXT,
                "description": "required by callback, verify, close and reopen; optional "
                "for take, accept, dispatch and complete",
            },
            "outcome": {
                **_TEXT,
                "description": "callback: " + ", ".join(CALLBACK_OUTCOMES),
            },
            "verification": {
                **_TEXT,
                "description": "verify: " + ", ".join(VERIFICATIONS),
            },
            "measures": {**_TEXT, "description": "rectify: the measures taken"},
            "category": {
                **_TEXT,
                "description": "accept: the case's category (a mailbox category or one the "
                "SLA table maps); it sets the due time",
            },
            "unit": {**_TEXT, "description": "dispatch, redispatch: the unit's code"},
            "reply": {**_TEXT, "description": "reply: the unit's written reply"},
            "reason": {**_TEXT, "description": "return, redispatch: why"},
        },
        "additionalProperties": _TEXT,
        "description": "Form fields of the action, all strings. Each action reads the "
        "fields it needs (400 naming one that is missing or wrong) and ignores the others.",
    },
}

_LETTER = _obj(
    ["id", "receipt", "unit", "category", "body", "phone_mask", "consent", "status", "reply",
     "replied_at", "created_at", "photos", "photos_removed", "photo_urls", "case_id",
     "case_state"],
    {
        "id": {"type": "integer"},
        "receipt": _STR,
        "unit": {"type": ["string", "null"], "description": "null: to the bureau as a whole"},
        "category": _STR,
        "body": _STR,
        "phone_mask": {"type": ["string", "null"]},
        "consent": {"type": "boolean"},
        "status": {"type": "string", "enum": list(LETTER_STATUSES)},
        "reply": {"type": ["string", "null"]},
        "replied_at": {"type": ["integer", "null"]},
        "created_at": _TS,
        "photos": {"type": "integer", "minimum": 0, "description": "how many photos"},
        "photos_removed": {
            "type": "integer",
            "minimum": 0,
            "description": "how many photos the retention purge removed (then `photos` is 0 "
            "and `photo_urls` empty)",
        },
        "photo_urls": {
            "type": "array",
            "items": _STR,
            "description": "each photo's URL (GET /api/v1/cases/{case_id}/photos/{n}, "
            "with the same token); empty once the photos are purged",
        },
        "case_id": {"type": ["integer", "null"]},
        "case_state": {"type": ["string", "null"], "enum": [*STATES, None]},
    },
)  # fmt: skip
SCHEMAS.update(
    {
        "DispatchMany": _obj(
            ["ids", "unit"],
            {
                "ids": {
                    "type": "array",
                    "items": {"type": "integer", "minimum": 1},
                    "minItems": 1,
                    "maxItems": 500,
                },
                "unit": {**_TEXT1, "description": "the unit's code"},
                "note": _TEXT,
            },
            description="一键派发 of many cases to one unit: all or none.",
        ),
        "Letter": _LETTER,
        "LetterList": _obj(
            ["ok", "letters"],
            {
                "ok": _OK,
                "letters": {"type": "array", "items": {"$ref": "#/components/schemas/Letter"}},
            },
        ),
        "LetterForm": _obj(
            ["ok", "t", "categories", "max_text", "unit"],
            {
                "ok": _OK,
                "t": {
                    **_STR,
                    "description": "the form stamp to send as `t` (valid for "
                    "PINGJING_FORM_MAX_AGE_HOURS; bound to the unit, if any)",
                },
                "categories": {
                    "type": "array",
                    "items": _obj(["name", "name_en"], {"name": _STR, "name_en": _STR}),
                    "description": "the bureau's list, in its order",
                },
                "max_text": {"const": MAX_TEXT},
                "unit": {"type": ["string", "null"], "description": "the unit written to"},
            },
        ),
        "LetterRequest": _obj(
            ["t", "category", "text"],
            {
                "t": {
                    **_TEXT1,
                    "description": "the form stamp from GET /api/v1/mailbox/form "
                    "(or the mailbox page): signed, at most PINGJING_FORM_MAX_AGE_HOURS "
                    "old, bound to the unit code sent (or to none). One stamp, one "
                    "letter: sent again, it answers the first letter's receipt.",
                },
                "category": {
                    **_TEXT1,
                    "description": "one of the bureau's categories (GET /api/v1/mailbox/form)",
                },
                "text": {
                    **_TEXT1,
                    "maxLength": MAX_TEXT,
                    "description": "the letter; "
                    f"at most {MAX_TEXT} characters (a CR LF counts as one)",
                },
                "phone": {
                    "type": ["string", "null"],
                    "description": "optional, for a "
                    "reply; needs consent: a mainland mobile (11 digits) or a "
                    "landline with area code. Without it the letter is anonymous.",
                },
                "consent": {"type": "boolean", "description": "agrees to be called back"},
                "lang": _LANG,
                "unit": {
                    "type": ["string", "null"],
                    "description": "a unit (place) code: "
                    "the letter goes to that unit (null or absent: the bureau)",
                },
                "website": _HONEYPOT,
            },
            dependentRequired={"phone": ["consent"]},
            description="A letter without photos (photos: the multipart form at /mailbox).",
        ),  # fmt: skip
        "LetterCreated": _obj(
            ["ok", "receipt", "receipt_display", "receipt_url", "created"],
            {
                "ok": _OK,
                "receipt": {"type": "string", "pattern": "^[0-9A-HJKMNP-TV-Z]{12}$"},
                "receipt_display": _STR,
                "receipt_url": {**_STR, "description": "the receipt page"},
                "created": {
                    "type": "boolean",
                    "description": "false: the stamp's letter "
                    "was already stored; this is its receipt",
                },
            },
        ),  # fmt: skip
        "LetterReceipt": _obj(
            ["ok", "letter"],
            {
                "ok": _OK,
                "letter": _obj(
                    ["receipt", "category", "status", "reply", "replied_at", "created_at"],
                    {
                        "receipt": _STR,
                        "category": _STR,
                        "status": {"type": "string", "enum": list(LETTER_STATUSES)},
                        "reply": {"type": ["string", "null"]},
                        "replied_at": {"type": ["integer", "null"]},
                        "created_at": _TS,
                    },
                ),
            },
        ),
    }
)

EXAMPLES: dict[str, Any] = {
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
    "LetterRequest": {
        "t": "<stamp from GET /api/v1/mailbox/form>",
        "category": "投诉",
        "text": "窗口排队两小时无人办理，请求增派人员。",
        "phone": "13812345678",
        "consent": True,
        "lang": "zh",
    },
    "LetterCreated": {
        "ok": True,
        "receipt": "7QX2M4KD9TBE",
        "receipt_display": "7QX2-M4KD-9TBE",
        "receipt_url": "/mailbox/receipt/7QX2M4KD9TBE",
        "created": True,
    },
}

# The hotline take-in rules (rating/admin/rules_api.py, rating/workorders/loop.py).
_RULE = _obj(
    ["id", "channel", "order_type", "category", "created_at", "created_by"],
    {
        "id": {"type": "integer"},
        "channel": {"type": "string", "enum": list(WORKORDER_CHANNELS)},
        "order_type": {
            "type": "string",
            "enum": ["", *ORDER_TYPES],
            "description": "'' = any order type",
        },
        "category": {**_STR, "description": "the hotline's category (诉求分类); '' = any"},
        "created_at": _TS,
        "created_by": {**_STR, "description": "the user who added it, or `cli`"},
    },
)
SCHEMAS.update(
    {
        "WorkorderRule": _RULE,
        "WorkorderRuleList": _obj(
            ["ok", "rules"],
            {
                "ok": _OK,
                "rules": {"type": "array", "items": {"$ref": "#/components/schemas/WorkorderRule"}},
            },
        ),
        "WorkorderRuleRequest": _obj(
            ["channel"],
            {
                "channel": {"type": "string", "enum": list(WORKORDER_CHANNELS)},
                "order_type": {
                    "type": "string",
                    "enum": ["", *ORDER_TYPES, *ORDER_TYPE_SPELLINGS],
                    "description": "a code, or a spelling the import understands (投诉, "
                    "举报, ...); '' or absent: any order type",
                },
                "category": {
                    **_TEXT,
                    "maxLength": MAX_RULE_TEXT,
                    "description": "the hotline's category (诉求分类), exactly as imported; "
                    "spaces around it are trimmed; '' or absent: any category",
                },
            },
            description="Take every open order of the channel (of the order type and the "
            "category, when given) into the case loop.",
        ),
        "WorkorderRuleAdded": _obj(
            ["ok", "rule", "created"],
            {
                "ok": _OK,
                "rule": {"$ref": "#/components/schemas/WorkorderRule"},
                "created": {
                    "type": "boolean",
                    "description": "false: the same rule was there already; this is it",
                },
            },
        ),
        "WorkorderRuleRemoved": _obj(
            ["ok", "removed"], {"ok": _OK, "removed": {"type": "integer", "minimum": 0}}
        ),
        "WorkorderRulesApplied": _obj(
            ["ok", "taken_in"],
            {
                "ok": _OK,
                "taken_in": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "orders taken into the loop by this call",
                },
            },
        ),
    }
)
EXAMPLES.update(
    {
        "WorkorderRuleRequest": {"channel": "12389", "order_type": "complaint"},
        "WorkorderRuleAdded": {
            "ok": True,
            "rule": {
                "id": 3,
                "channel": "12389",
                "order_type": "complaint",
                "category": "",
                "created_at": 1764633600000,
                "created_by": "zhang",
            },
            "created": True,
        },
    }
)

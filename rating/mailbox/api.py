"""The mailbox's JSON intake (issue 18, item 8): what /mailbox takes as a form, as JSON.

* ``GET /api/v1/mailbox/form[?unit=CODE]``: what a client needs to write a letter, as the
  form page gives it: the form stamp (signed; the same anti-abuse rule as the page), the
  bureau's categories, the text limit, the unit a unit code names.
* ``POST /api/v1/mailbox/letters``: one letter, checked by the form's own rules
  (rating/mailbox/form.check_letter: stamp, honeypot, category from the bureau's list,
  text of at most 2,000 characters, valid Unicode without NUL, optional phone with
  consent, anonymous allowed, the device and network limits), stored with its case in
  one transaction: 201 with the receipt once durably committed, 200 with the same
  receipt when the same stamp is sent again (the letter was already stored).
* The receipt and its progress: ``GET /api/v1/mailbox/receipts/{code}``
  (rating/admin/loop_api.py).

Photos are left to the form: the JSON APIs take bodies of at most 64 KB
(rating/bodycap.py), a photo may be 5 MB, and base64 would make it a third larger; a
letter with photos is posted as multipart/form-data to /mailbox (docs/mailbox.md).

Every refusal is the one error shape, naming the field ("text: ...").
"""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from rating.bodycap import JSON_API_MAX_BYTES
from rating.crypto import format_receipt, normalize_code
from rating.errors import (
    BadRequest,
    Gone,
    HTTPError,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    TooManyRequests,
    UnsupportedMediaType,
)
from rating.intake import DEVICE_COOKIE, client_address, parse_json, read_body
from rating.mailbox import service
from rating.mailbox.form import LetterRefused, check_letter, stamp_token
from rating.mailbox.models import MAX_TEXT
from rating.mailbox.views import store_letter
from rating.service import set_device_cookie, svc
from rating.store import StoreUnavailable
from rating.store.models import TokenState, Unit
from rating.subtree import unit_display

FORM_PATH = "/api/v1/mailbox/form"
LETTERS_PATH = "/api/v1/mailbox/letters"
NO_STORE = {"cache-control": "no-store"}
# name -> whether it may be null (the letter's JSON fields; all but `unit` are the form's).
STRINGS = {"t": False, "category": False, "text": False, "lang": False, "phone": True,
           "website": True, "unit": True}  # fmt: skip
_BY_STATUS: dict[int, type[HTTPError]] = {
    400: BadRequest,
    404: NotFound,
    410: Gone,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
    429: TooManyRequests,
}


def refusal(exc: LetterRefused) -> HTTPError:
    """A form refusal in the one error shape, the field named first."""
    cls = _BY_STATUS.get(exc.status, BadRequest)
    return cls(f"{exc.field}: {exc.en}", exc.zh)


def _unit(code: Any) -> tuple[str | None, bool]:
    """The normalized unit code, if any; whether it was given at all."""
    if code is None or code == "":
        return None, False
    if not isinstance(code, str):
        raise BadRequest("unit: must be a unit code (a string) or null", "unit 必须是单位二维码")
    return normalize_code(code), True


async def _place(request: Request, raw: Any) -> tuple[str | None, Unit | None]:
    token, given = _unit(raw)
    if not given:
        return None, None
    found = await service.place_by_token(svc(request).store, token) if token else None
    if found is None or found.unit is None or found.state is TokenState.UNKNOWN:
        raise NotFound("unit: unknown unit code", "未找到该单位二维码")
    if found.state is not TokenState.LIVE:
        raise Gone("unit: this unit code has been revoked", "该单位二维码已失效")
    return token, found.unit


async def letter_form(request: Request) -> Response:
    """GET /api/v1/mailbox/form: a fresh stamp and the categories (see the module)."""
    s = svc(request)
    token, unit = await _place(request, request.query_params.get("unit"))
    categories = await service.list_categories(s.store)
    return JSONResponse(
        {
            "ok": True,
            "t": s.keys.stamp(int(time.time() * 1000), stamp_token(token)),
            "categories": [{"name": c, "name_en": en} for c, en in categories],
            "max_text": MAX_TEXT,
            "unit": None if unit is None else unit_display(unit.path),
        },
        headers=NO_STORE,
    )


def form_values(data: dict[str, Any]) -> dict[str, str]:
    """The JSON body as the form's fields (strings), each type checked, naming the field."""
    values: dict[str, str] = {}
    for name, value in data.items():
        if name == "consent":
            if not isinstance(value, bool):
                raise BadRequest("consent: must be true or false", "consent 必须是 true 或 false")
            values["consent"] = "1" if value else ""
        elif name in STRINGS:
            if value is None and STRINGS[name]:
                continue
            if not isinstance(value, str):
                raise BadRequest(f"{name}: must be a string", f"{name} 必须是文字")
            values[name] = value
        else:
            raise BadRequest(f"unknown field {name!r}", f"未知字段 {name!r}")
    return values


async def create_letter(request: Request) -> Response:
    """POST /api/v1/mailbox/letters (see the module docstring)."""
    s = svc(request)
    data = parse_json(
        await read_body(request, JSON_API_MAX_BYTES),
        request.headers.get("content-type", ""),
    )
    values = form_values(data)
    token, unit = await _place(request, values.pop("unit", None))
    now = int(time.time() * 1000)
    try:
        inp = check_letter(
            values,
            [],
            None,  # the letter's transaction checks the category against the list
            s.keys,
            stamp_for=stamp_token(token),
            max_age_ms=s.settings.form_max_age_hours * 3_600_000,
            now_ms=now,
        )
    except LetterRefused as exc:
        raise refusal(exc) from None
    try:
        result, device, fresh = await store_letter(
            s,
            inp,
            unit,
            cookie=request.cookies.get(DEVICE_COOKIE, ""),
            address=client_address(request, s.trusted),
            now=now,
        )
    except StoreUnavailable:
        raise ServiceUnavailable(
            "the letter could not be stored; please try again", "信件暂时无法保存，请稍后重试"
        ) from None
    if result.refused == "category":
        raise BadRequest("category: choose a category from the list", "请从列表中选择类别")
    if result.refused == "unit":
        raise NotFound("unit: unknown unit", "未找到该单位")
    if result.refused is not None:
        raise TooManyRequests(
            "too many letters from this device or network; please try again later",
            "提交过于频繁，请稍后再试",
        )
    assert result.receipt is not None
    response = JSONResponse(
        {
            "ok": True,
            "receipt": result.receipt,
            "receipt_display": format_receipt(result.receipt),
            "receipt_url": f"/mailbox/receipt/{result.receipt}",
            "created": result.created,
        },
        status_code=201 if result.created else 200,
        headers=NO_STORE,
    )
    if fresh:
        set_device_cookie(response, device, s.settings)
    return response


def letter_api_routes() -> list[Route]:
    return [
        Route(FORM_PATH, letter_form, methods=["GET"]),
        Route(LETTERS_PATH, create_letter, methods=["POST"]),
    ]

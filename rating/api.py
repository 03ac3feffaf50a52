"""JSON API: rating submission and health."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from rating.crypto import format_receipt
from rating.intake import check_stamp, parse_json, read_body, validate
from rating.service import set_device_cookie, submit, svc
from rating.store.models import Outcome


async def create_rating(request: Request) -> Response:
    """POST /api/v1/ratings: 201 with a receipt once the rating is durably committed.

    A second rating of the same officer from the same device within the amend window
    answers 200 with the first rating's receipt and `"amended": true`.
    """
    s = svc(request)
    body = await read_body(request, s.settings.max_body_bytes)
    data = parse_json(body, request.headers.get("content-type", ""))
    inp = validate(data)
    check_stamp(s.keys, s.settings, inp, int(time.time() * 1000))
    result, new_device = await submit(request, inp, "web")
    assert result.receipt is not None
    amended = result.outcome is not Outcome.CREATED
    response = JSONResponse(
        {
            "ok": True,
            "receipt": result.receipt,
            "receipt_display": format_receipt(result.receipt),
            "receipt_url": f"/receipt/{result.receipt}",
            "amended": amended,
        },
        status_code=200 if amended else 201,
    )
    if new_device:
        set_device_cookie(response, new_device, s.settings)
    return response


async def healthz(request: Request) -> Response:
    ok = svc(request).store.healthy()
    return JSONResponse({"ok": ok, "status": 200 if ok else 503}, status_code=200 if ok else 503)

"""JSON API: rating submission and health."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from rating import clock, logs, observe
from rating.cases import service as cases
from rating.crypto import format_receipt, normalize_code
from rating.errors import HTTPError, NotFound, error_payload
from rating.intake import (
    check_stamp,
    parse_json,
    receive_body,
    scope_address,
    scope_device_cookie,
    validate,
)
from rating.service import Services, device_cookie, rating_by_receipt, submit, svc
from rating.store.models import Outcome

log = logging.getLogger("pingjing.api")

RATINGS_PATH = "/api/v1/ratings"


class CreateRating:
    """POST /api/v1/ratings: 201 with a receipt once the rating is durably committed.

    A second rating of the same officer from the same device within the amend window
    answers 200 with the first rating's receipt and `"amended": true`.

    A bare ASGI app rather than a Starlette endpoint: this is the one route under citizen
    load, and the app (`PingjingApp`) hands it its POSTs before the middleware and router
    layers, which cost about as much as the rest of the request. It therefore answers its
    own errors, in the one error shape; its replies are too small to compress.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        settings = scope["state"]["svc"].settings
        # The first of each header wins, as with Starlette's Headers.get.
        headers_in = dict(reversed(scope["headers"]))
        rid = logs.request_id(headers_in)
        token = logs.REQUEST_ID.set(rid)
        cookie: bytes | None = None
        try:
            status, payload, cookie = await self.handle(scope, receive, headers_in)
        except HTTPError as exc:
            status, payload = exc.status, error_payload(exc.status, exc.en)
        except ClientDisconnect:
            logs.REQUEST_ID.reset(token)
            return  # gone before the body arrived: nothing was stored, nobody to answer
        except Exception:
            log.exception("unhandled error on POST %s", RATINGS_PATH)
            status, payload = 500, error_payload(500, HTTPError.default_en)
        body = json_bytes(payload)
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(body)),
            (b"cache-control", b"no-store"),  # a receipt is the citizen's own
        ]
        if cookie is not None:
            headers.append((b"set-cookie", cookie))
        headers.append((b"x-request-id", rid.encode("ascii")))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        # The router and middleware are bypassed (see PingjingApp): log and count it here.
        observe.finished(settings.metrics, rid, RATINGS_PATH, "POST", status, started)
        logs.REQUEST_ID.reset(token)

    async def handle(
        self, scope: Scope, receive: Receive, headers: dict[bytes, bytes]
    ) -> tuple[int, dict[str, Any], bytes | None]:
        s: Services = scope["state"]["svc"]
        length = headers.get(b"content-length")
        body = await receive_body(
            receive, None if length is None else length.decode("latin-1"), s.settings.max_body_bytes
        )
        data = parse_json(body, headers.get(b"content-type", b"").decode("latin-1"))
        inp = validate(data)
        fast = check_stamp(s.keys, s.settings, inp, clock.now_ms())
        result, new_device = await submit(
            s,
            inp,
            "web",
            cookie=scope_device_cookie(headers),
            address=scope_address(scope, headers, s.trusted),
            fast=fast,
        )
        assert result.receipt is not None
        amended = result.outcome is not Outcome.CREATED
        payload = {
            "ok": True,
            "receipt": result.receipt,
            "receipt_display": format_receipt(result.receipt),
            "receipt_url": f"/receipt/{result.receipt}",
            "amended": amended,
        }
        cookie = device_cookie(new_device, s.settings) if new_device else None
        return (200 if amended else 201), payload, cookie


create_rating = CreateRating()


def json_bytes(payload: Any) -> bytes:
    """JSON as Starlette's JSONResponse renders it."""
    return json.dumps(payload, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


async def healthz(request: Request) -> Response:
    ok = svc(request).store.healthy()
    return JSONResponse({"ok": ok, "status": 200 if ok else 503}, status_code=200 if ok else 503)


async def receipt(request: Request) -> Response:
    """GET /api/v1/receipts/{code}: the rating and its case's progress, as the receipt page.

    What the receipt page shows, as JSON: never the phone number, the comment or the
    officer's badge code. A code typed with dashes, in lower case or with O/I/L typos is
    taken as printed.
    """
    s = svc(request)
    code = normalize_code(request.path_params["code"])
    view = await rating_by_receipt(s.store, code) if code else None
    if view is None:
        raise NotFound("receipt not found", "未找到该回执")
    progress = await cases.progress(s.store, view.receipt)
    return JSONResponse(
        {
            "ok": True,
            "receipt": view.receipt,
            "receipt_display": format_receipt(view.receipt),
            "level": view.level,
            "reasons": list(view.reasons),
            "channel": view.channel,
            "officer": {
                "name": view.officer_name,
                "badge_no": view.badge_no,
                "unit": view.unit_name,
            },
            "rated_at": view.created_at,
            "amend_count": view.amend_count,
            "case": None if progress is None else asdict(progress),
        },
        headers={"cache-control": "no-store"},
    )

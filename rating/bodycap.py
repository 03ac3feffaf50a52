"""Request bodies capped by route, before anything parses them.

Starlette caps each form field, not the form: 990 fields of 1 MB each once cost a login
request a gigabyte. This ASGI middleware gives every request a cap by route and counts
the body as the server hands it over: a declared Content-Length above the cap, or the
bytes received so far passing it, raise PayloadTooLarge (413, in the one error shape)
from the handler's first read, so no handler ever holds more than its cap. Citizen forms
and the login get `PINGJING_MAX_BODY_BYTES` (16 KB), the JSON APIs and the other admin
forms 64 KB, the work-order upload its documented 20 MB (plus the multipart envelope).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rating.errors import PayloadTooLarge

JSON_API_MAX_BYTES = 64 * 1024
UPLOAD_MAX_BYTES = 20 * 1024 * 1024
UPLOAD_SLACK_BYTES = 64 * 1024  # the multipart envelope and the form's other fields
UPLOAD_PATHS = ("/admin/workorders/import",)
# A letter to the chief's mailbox (or a supervisor's report): three photos of 5 MB each, the
# text, the envelope.
MAILBOX_MAX_BYTES = 3 * 5 * 1024 * 1024 + 64 * 1024


def cap_for(path: str, citizen_max: int) -> int:
    """The largest body accepted on `path`."""
    if path in UPLOAD_PATHS:
        return UPLOAD_MAX_BYTES + UPLOAD_SLACK_BYTES
    if path == "/mailbox" or path.startswith(("/mailbox/u/", "/supervisor/")):
        return MAILBOX_MAX_BYTES
    if path == "/admin/login":
        return citizen_max
    if path.startswith("/api/") and path != "/api/v1/ratings":
        return JSON_API_MAX_BYTES
    if path.startswith("/admin/"):
        return JSON_API_MAX_BYTES
    return citizen_max  # citizen pages (rating form, receipt answers) and anything else


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"request body larger than {limit} bytes", f"提交内容过大（超过 {limit} 字节）"
    )


class BodyCap:
    """ASGI middleware: cap each request's body by route (see the module docstring)."""

    def __init__(self, app: ASGIApp, citizen_max: int) -> None:
        self.app = app
        self.citizen_max = citizen_max

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = cap_for(scope["path"], self.citizen_max)
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        over = declared is not None and declared.isdigit() and int(declared) > limit
        seen = 0

        async def capped() -> Message:
            nonlocal seen
            if over:
                raise too_large(limit)
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise too_large(limit)
            return message

        await self.app(scope, capped, send)

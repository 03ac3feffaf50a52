"""Per-request observation: request id, access log event, request metrics.

One ASGI middleware for every route that goes through Starlette, and `finished()` for
the rating POST, which bypasses the middleware stack (see rating.app.PingjingApp).
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rating import logs, metrics


def finished(
    metrics_on: bool, rid: str, route: str, method: str, status: int, started: float
) -> None:
    """Record one finished request in the metrics and the access log."""
    seconds = time.perf_counter() - started
    if metrics_on:
        metrics.observe_request(route, method, status, seconds)
    logs.access(rid, route, method, status, seconds)


class RequestObserver:
    """Gives each request an id (X-Request-ID, echoed), then logs and counts it by route
    template (never the raw path, which holds badge codes and receipts) and status."""

    def __init__(self, app: ASGIApp, metrics_on: bool = True) -> None:
        self.app = app
        self.metrics_on = metrics_on

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        rid = logs.request_id(dict(scope["headers"]))
        token = logs.REQUEST_ID.set(rid)
        status = 500
        rid_header = (b"x-request-id", rid.encode("ascii"))

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), rid_header]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            finished(self.metrics_on, rid, route, scope["method"], status, started)
            logs.REQUEST_ID.reset(token)

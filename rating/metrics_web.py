"""GET /metrics: the Prometheus text format for allowed scrapers only (the counters are
in rating.metrics, which the store and the views update; this is the web side that reads
the case gauges from the database when Prometheus scrapes)."""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from starlette.requests import Request
from starlette.responses import Response

from rating.cases.service import case_counts
from rating.errors import Forbidden, NotFound
from rating.intake import client_address
from rating.metrics import CASES, CASES_OPENED, CASES_OVERDUE
from rating.service import svc


def _allowed(settings: Any) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    nets = []
    for part in settings.metrics_allow.split(","):
        if part.strip():
            nets.append(ipaddress.ip_network(part.strip(), strict=False))
    return nets


def check_access(request: Request) -> None:
    """A bearer PINGJING_METRICS_TOKEN, or a client address in PINGJING_METRICS_ALLOW.

    The address is the client's, not a proxy's: behind nginx (a trusted proxy), a request
    from the internet carries its own address in X-Forwarded-For and is not let in.
    """
    s = svc(request)
    settings = s.settings
    if not settings.metrics:
        raise NotFound()
    token = settings.metrics_token
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token):
        return
    address = client_address(request, s.trusted)
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        ip = None
    if ip is not None and any(ip in net for net in _allowed(settings)):
        return
    raise Forbidden("metrics are not available to this client", "无权访问")


async def endpoint(request: Request) -> Response:
    """GET /metrics in the Prometheus text format."""
    check_access(request)
    by_state, overdue, opened = await case_counts(svc(request).store)
    for state, n in by_state.items():
        CASES.labels(state).set(n)
    CASES_OVERDUE.set(overdue)
    CASES_OPENED.set(opened)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

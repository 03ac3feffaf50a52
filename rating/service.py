"""What both rating entry points (form and JSON API) share once input is valid."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from rating.crypto import Keys
from rating.errors import Gone, NotFound, ServiceUnavailable
from rating.intake import (
    DEVICE_COOKIE,
    RatingInput,
    client_address,
    device_id,
    limited,
    to_submission,
)
from rating.pages import Pages
from rating.settings import Settings
from rating.store import Store, StoreUnavailable
from rating.store.models import Outcome, RatingResult


@dataclass(frozen=True)
class Services:
    """Resources opened in the lifespan, reached through `request.state.svc`."""

    settings: Settings
    store: Store
    keys: Keys
    pages: Pages
    trusted: frozenset[str]


def svc(request: Request) -> Services:
    # Read the lifespan state from the scope directly: `request.state` builds a State
    # wrapper on every access, which shows up on the rating hot path.
    services: Services = request.scope["state"]["svc"]
    return services


def set_device_cookie(response: Response, value: str, settings: Settings) -> None:
    response.set_cookie(
        DEVICE_COOKIE,
        value,
        max_age=365 * 86400,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
    )


async def submit(
    request: Request, inp: RatingInput, channel: str
) -> tuple[RatingResult, str | None]:
    """Store the rating; return the result and a new device cookie value if one is needed.

    Raises the HTTP error for every outcome that stored nothing.
    """
    s = svc(request)
    device, fresh = device_id(request)
    sub = to_submission(
        inp,
        s.keys,
        channel=channel,
        device=device,
        address=client_address(request, s.trusted),
    )
    try:
        result = await s.store.submit_rating(sub)
    except StoreUnavailable:
        raise ServiceUnavailable() from None
    if result.outcome is Outcome.UNKNOWN_TOKEN:
        raise NotFound("unknown rating code", "未找到该评价码")
    if result.outcome in (Outcome.REVOKED_TOKEN, Outcome.RETIRED_OFFICER):
        raise Gone()
    if result.outcome is Outcome.RATE_LIMITED:
        raise limited(result.limited_by)
    return result, device if fresh else None

"""The ratings domain's service: what both rating entry points (form and JSON API) share
once input is valid, and the named operations the citizen views call.

Views reach the database only through service modules of named async functions: this one
for ratings, officers and units, rating/cases/service.py for cases. Neither view nor
service picks a unit of work for `store.read`/`store.write` on a view's behalf: the
service names the operation, the store (rating/store/logic.py) holds its rules."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from rating import metrics
from rating.crypto import Keys
from rating.errors import BadRequest, Gone, HTTPError, NotFound, ServiceUnavailable
from rating.intake import DEVICE_COOKIE, RatingInput, device_of, limited, to_submission
from rating.pages import Pages
from rating.settings import Settings
from rating.store import Store, StoreUnavailable
from rating.store.base import RatingFailed
from rating.store.models import Officer, Outcome, RatingResult, RatingView, TokenLookup, Unit


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


def device_cookie(value: str, settings: Settings) -> bytes:
    """The Set-Cookie header value for a new device cookie (a year, httpOnly)."""
    # The value is URL-safe base64 (device_of), so it needs no quoting.
    secure = "; Secure" if settings.cookie_secure else ""
    return (
        f"{DEVICE_COOKIE}={value}; HttpOnly; Max-Age={365 * 86400}; Path=/; SameSite=lax{secure}"
    ).encode("latin-1")


def set_device_cookie(response: Response, value: str, settings: Settings) -> None:
    response.raw_headers.append((b"set-cookie", device_cookie(value, settings)))


async def submit(
    s: Services,
    inp: RatingInput,
    channel: str,
    *,
    cookie: str,
    address: str,
    fast: bool = False,
) -> tuple[RatingResult, str | None]:
    """Store the rating; return the result and a new device cookie value if one is needed.

    `cookie` is the request's device cookie ("" if none) and `address` the client's
    address. Raises the HTTP error for every outcome that stored nothing.
    """
    device, fresh = device_of(cookie)
    sub = to_submission(inp, s.keys, channel=channel, device=device, address=address, fast=fast)
    try:
        if s.settings.metrics:
            result = await metrics.in_flight(s.store.submit_rating(sub))
        else:
            result = await s.store.submit_rating(sub)
    except StoreUnavailable:
        raise ServiceUnavailable() from None
    except RatingFailed as exc:  # this rating alone: the others of its batch are stored
        raise failed(exc) from None
    if result.outcome is Outcome.UNKNOWN_TOKEN:
        raise NotFound("unknown rating code", "未找到该评价码")
    if result.outcome in (Outcome.REVOKED_TOKEN, Outcome.RETIRED_OFFICER):
        raise Gone()
    if result.outcome is Outcome.RATE_LIMITED:
        raise limited(result.limited_by)
    if s.settings.metrics:
        metrics.observe_rating(inp.level, channel, result.outcome is not Outcome.CREATED)
    return result, device if fresh else None


def failed(exc: RatingFailed) -> HTTPError:
    """The HTTP error for a rating the store refused on its own (never "try again")."""
    if exc.status == 400:
        return BadRequest(
            "the rating contains data that cannot be stored", "评价内容包含无法保存的字符"
        )
    return HTTPError("the rating could not be stored", "评价无法保存")


# ---------------------------------------------------------------- named reads


async def lookup_token(store: Store, token: str) -> TokenLookup:
    """A badge token's state (live, revoked, unknown) and its officer."""
    return await store.lookup_token(token)


async def page_epoch(store: Store) -> int:
    """The counter that moves whenever an officer's rating page may have changed."""
    return await store.page_epoch()


async def rating_by_receipt(store: Store, receipt: str) -> RatingView | None:
    """What the citizen may see of the rating with this (normalised) receipt code."""
    return await store.rating_by_receipt(receipt)


async def officer_by_badge(store: Store, badge_no: str) -> Officer | None:
    return await store.officer_by_badge(badge_no)


async def unit_by_code(store: Store, code: str) -> Unit | None:
    return await store.unit_by_code(code)


async def unit_by_ref(store: Store, ref: str) -> Unit | None:
    """The unit with this code, else the one with this full path (slashes at either end
    ignored); None if neither."""
    unit = await store.unit_by_code(ref)
    if unit is not None:
        return unit
    path = ref.strip("/")
    return next((u for u in await store.list_units() if u.path == path), None)


async def list_units(store: Store) -> list[Unit]:
    return await store.list_units()


async def list_officers(store: Store, unit_path: str | None = None) -> list[Officer]:
    """The active officers (of `unit_path`'s subtree, if given)."""
    return await store.list_officers(unit_path)

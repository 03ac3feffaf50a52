"""The mailbox pages: the letter form (bureau-wide and per unit), its post, the receipt.

Thin handlers: they parse the request, call rating/mailbox/form.py and service.py, and
answer a page. Work without JavaScript: a plain multipart form post answered by a
redirect to the receipt (PRG); a refusal re-shows the form with the message beside the
field and what was typed kept (photos excepted: no browser lets a page refill a file
input). A letter without photos is first offered to `take_quickly`, which the app calls
before its middleware and router (as it does the rating POST) and which answers it when
it is stored.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from anyio import CapacityLimiter
from anyio.to_thread import run_sync
from starlette.datastructures import UploadFile
from starlette.requests import ClientDisconnect, Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from rating import logs, observe
from rating.crypto import format_receipt, normalize_code
from rating.errors import PayloadTooLarge
from rating.i18n import pick_lang
from rating.intake import (
    DEVICE_COOKIE,
    client_address,
    device_of,
    scope_address,
    scope_device_cookie,
)
from rating.mailbox import multipart, service
from rating.mailbox.form import (
    Kept,
    LetterRefused,
    check_letter,
    kept_from,
    refusal_notice,
    stamp_token,
)
from rating.mailbox.models import MAX_PHOTO_BYTES, Submitted
from rating.mailbox.photos import too_big
from rating.mailbox.service import LetterInput
from rating.mailbox.texts import mtexts
from rating.service import Services, device_cookie, set_device_cookie, svc
from rating.store.models import TokenState, Unit
from rating.subtree import unit_display

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The whole letter with three full-size photos, plus the multipart envelope and the text.
from rating.bodycap import MAILBOX_MAX_BYTES  # noqa: E402 - the cap BodyCap applies

# The fields whose refusal the page shows beside them (the others' above the form).
FIELD_ERRORS = ("category", "text", "phone", "consent", "photos")
MAX_UPLOAD_PARTS = 10  # more file parts than this are refused by the parser itself
# Decoding a 12-megapixel photo takes about 50 MB and half a second of one core: as many
# at once as there are cores, so a burst of photos queues instead of taking the memory
# of every request at once (the rest of the server keeps its threads).
PHOTO_WORKERS = CapacityLimiter(max(1, os.cpu_count() or 1))
T = TypeVar("T")


def _now_ms() -> int:
    return int(time.time() * 1000)


async def check_photo_form(
    check: Callable[..., T],
    values: dict[str, str],
    uploads: list[bytes],
    *args: Any,
    s: Services,
    stamp_for: str,
    now: int,
) -> T:
    """`check(values, uploads, *args, s.keys, ...)`: a form's check (mailbox/form.py
    check_letter, supervisors/form.py check_report), with its stamp's limits."""
    call = functools.partial(
        check,
        values,
        uploads,
        *args,
        s.keys,
        stamp_for=stamp_for,
        max_age_ms=s.settings.form_max_age_hours * 3_600_000,
        now_ms=now,
    )
    # Decoding photos is CPU work: off the event loop, a few at a time.
    return await run_sync(call, limiter=PHOTO_WORKERS) if uploads else call()


async def _place(request: Request) -> tuple[str | None, Unit | None, Response | None]:
    """The unit token in the path (None for the bureau's box) and its unit, or the
    notice page that answers an unknown or revoked code."""
    raw = request.path_params.get("token")
    if raw is None:
        return None, None, None
    token = normalize_code(raw)
    found = await service.place_by_token(svc(request).store, token) if token else None
    if found is None or found.state is not TokenState.LIVE or found.unit is None:
        return (
            None,
            None,
            place_notice(request, found is not None and found.state is TokenState.REVOKED),
        )
    return token, found.unit, None


def place_notice(request: Request, revoked: bool) -> Response:
    s = svc(request)
    lang = pick_lang(request)
    m = mtexts(lang)
    return s.pages.render(
        request,
        "mailbox_notice.html",
        status=410 if revoked else 404,
        lang=lang,
        m=m,
        heading=m["place_revoked" if revoked else "place_unknown"],
        body=m["place_gone_body"],
    )


async def _form_page(
    request: Request,
    token: str | None,
    unit: Unit | None,
    *,
    status: int = 200,
    kept: Kept | None = None,
    notice: str | None = None,
    lang: str | None = None,
) -> Response:
    s = svc(request)
    lang = pick_lang(request, lang)
    categories = await service.list_categories(s.store)
    response = s.pages.render(
        request,
        "mailbox.html",
        status=status,
        lang=lang,
        m=mtexts(lang),
        categories=[(c, c if lang == "zh" or not en else en) for c, en in categories],
        action="/mailbox" if token is None else f"/mailbox/u/{token}",
        unit=unit,
        unit_display=_unit_display(unit),
        stamp=s.keys.stamp(_now_ms(), stamp_token(token)),
        kept=kept or Kept(),
        notice=notice,
    )
    device, fresh = device_of(request.cookies.get(DEVICE_COOKIE, ""))
    if fresh:
        set_device_cookie(response, device, s.settings)
    return response


def _unit_display(unit: Unit | None) -> str | None:
    return None if unit is None else unit_display(unit.path)


async def mailbox(request: Request) -> Response:
    """GET shows the form; POST takes a letter (/mailbox and /mailbox/u/{token})."""
    token, unit, gone = await _place(request)
    if gone is not None:
        return gone
    if request.method == "GET":
        return await _form_page(request, token, unit)
    return await _submit(request, token, unit)


async def read_photo_form(request: Request) -> tuple[dict[str, str], list[bytes]]:
    """A multipart form's text fields and its `photos` files (the mailbox's and the
    supervisors' forms); LetterRefused naming an unknown file field, a photo too big, or
    photos together over the body cap."""
    try:
        return await _read_photo_form(request)
    except PayloadTooLarge:
        # The body passed the cap before its text fields could be read.
        mb = MAILBOX_MAX_BYTES // 2**20
        raise LetterRefused(
            "photos", 413, f"the photos together are larger than {mb} MB", f"照片总大小超过 {mb} MB"
        ) from None


async def _read_photo_form(request: Request) -> tuple[dict[str, str], list[bytes]]:
    values: dict[str, str] = {}
    uploads: list[bytes] = []
    ctype = request.headers.get("content-type", "")
    declared = request.headers.get("content-length", "")
    if (
        ctype.lower().startswith("multipart/form-data")
        and declared.isdigit()
        and int(declared) <= multipart.SMALL_BODY
    ):
        # A letter without photos (or with a tiny one): read at once, split here.
        return _parse_small(await request.body(), ctype)
    async with request.form(max_files=MAX_UPLOAD_PARTS, max_fields=20) as form:
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                if name != "photos":
                    raise LetterRefused(name, 400, f"unknown field {name!r}", f"未知字段 {name!r}")
                if not value.filename and not value.size:
                    continue  # the empty file input of a form sent without a photo
                if value.size is not None and value.size > MAX_PHOTO_BYTES:
                    raise too_big_refusal(len(uploads) + 1)
                uploads.append(await value.read())
            else:
                values[name] = value
    return values, uploads


def _parse_small(body: bytes, ctype: str) -> tuple[dict[str, str], list[bytes]]:
    """`read_photo_form` of a body already read (at most multipart.SMALL_BODY bytes)."""
    values: dict[str, str] = {}
    uploads: list[bytes] = []
    try:
        fields, files = multipart.parse(body, ctype, max_fields=20, max_files=MAX_UPLOAD_PARTS)
    except multipart.MalformedForm as exc:
        raise LetterRefused("form", 400, str(exc), "提交内容格式错误") from None
    values.update(fields)
    for name, filename, data in files:
        if name != "photos":
            raise LetterRefused(name, 400, f"unknown field {name!r}", f"未知字段 {name!r}")
        if not filename and not data:
            continue  # the empty file input of a form sent without a photo
        if len(data) > MAX_PHOTO_BYTES:
            raise too_big_refusal(len(uploads) + 1)
        uploads.append(data)
    return values, uploads


def too_big_refusal(n: int) -> LetterRefused:
    exc = too_big(n)
    return LetterRefused("photos", 413, exc.en, exc.zh)


async def _submit(request: Request, token: str | None, unit: Unit | None) -> Response:
    ctype = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if ctype not in ("multipart/form-data", "application/x-www-form-urlencoded"):
        refused = LetterRefused(
            "content-type", 415, "expected a form post (multipart/form-data)", "请求格式错误"
        )
        return await _form_page(
            request, token, unit, status=415, notice=refused.message(pick_lang(request))
        )
    values: dict[str, str] = {}
    uploads: list[bytes] = []
    try:
        values, uploads = await read_photo_form(request)
        refused = request.scope.get("state", {}).pop(QUICK_REFUSAL, None)
        if isinstance(refused, LetterRefused):
            raise refused  # the short path's limits refused it: not counted a second time
        s = svc(request)
        receipt, device, fresh = await _take(
            s,
            token,
            unit,
            values,
            uploads,
            cookie=request.cookies.get(DEVICE_COOKIE, ""),
            address=client_address(request, s.trusted),
        )
    except LetterRefused as exc:
        lang = pick_lang(request, values.get("lang"))
        m = mtexts(lang)
        kept = kept_from(values, {exc.field: exc.message(lang)})
        notice = refusal_notice(exc, lang, m, FIELD_ERRORS, bool(uploads))
        return await _form_page(
            request, token, unit, status=exc.status, kept=kept, notice=notice, lang=lang
        )
    return _stored(request, receipt, device, fresh)


def receipt_location(receipt: str) -> str:
    """Where a stored letter's answer sends the citizen: its receipt (POST/redirect/GET).
    A receipt is Crockford base32, which needs no quoting in a URL."""
    return f"/mailbox/receipt/{receipt}?new=1"


def _stored(request: Request, receipt: str, device: str, fresh: bool) -> Response:
    """The answer to a stored letter: to its receipt."""
    response = RedirectResponse(receipt_location(receipt), status_code=303)
    if fresh:
        set_device_cookie(response, device, svc(request).settings)
    return response


async def _take(
    s: Services,
    token: str | None,
    unit: Unit | None,
    values: dict[str, str],
    uploads: list[bytes],
    *,
    cookie: str,
    address: str,
) -> tuple[str, str, bool]:
    """Check and store a letter: its receipt, the device and whether the device cookie is
    new; LetterRefused (nothing stored) naming the field otherwise. `cookie` is the
    request's device cookie ("" if none), `address` the client's."""
    # The letter's transaction checks the category against the list in any case
    # (refused "category" below); read it beforehand only to spare decoding photos.
    categories = [c for c, _ in await service.list_categories(s.store)] if uploads else None
    now = _now_ms()
    inp = await check_photo_form(
        check_letter, values, uploads, categories, s=s, stamp_for=stamp_token(token), now=now
    )
    result, device, fresh = await store_letter(
        s, inp, unit, cookie=cookie, address=address, now=now
    )
    if result.refused == "category":  # removed from the list since the check
        raise LetterRefused(
            "category", 400, "choose a category from the list", "请从列表中选择类别"
        )
    if result.refused == "unit":
        raise LetterRefused("unit", 404, "unknown unit", "未找到该单位")
    if result.refused is not None:
        raise LetterRefused(
            "limit",
            429,
            "too many letters from this device or network; please try again later",
            "提交过于频繁，请稍后再试",
        )
    assert result.receipt is not None
    return result.receipt, device, fresh


async def store_letter(
    s: Services, inp: LetterInput, unit: Unit | None, *, cookie: str, address: str, now: int
) -> tuple[Submitted, str, bool]:
    """Store a checked letter (the form's and the JSON API's): the store's answer, the
    device of `cookie` (the request's device cookie, "" if none) and whether that device
    is new (its cookie to be set)."""
    device, fresh = device_of(cookie)
    result = await service.submit_letter(
        s.store,
        s.keys,
        inp,
        unit_id=unit.id if unit else None,
        device=device,
        address=address,
        at_ms=now,
    )
    return result, device, fresh


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands over `body` (already read) first, then what `receive` says."""
    given = False

    async def replay() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


# The request-state key under which the short path hands a limit's refusal on.
QUICK_REFUSAL = "pingjing.mailbox.refused"


async def take_quickly(scope: Scope, receive: Receive, send: Send) -> Receive | None:
    """POST /mailbox without photos, before the middleware and the router (called by
    rating.app.PingjingApp, as the rating POST is): None once a stored letter has been
    answered (303 to its receipt, logged and counted as RequestObserver would), else the
    `receive` for the usual way, which then answers (a refusal's form page, any error).

    Only a body of at most multipart.SMALL_BODY declared bytes is read here; when it is
    not taken, the usual way reads it again from the returned `receive` and checks it
    again from the start. Nothing was stored then, except that a refusal by the limits
    has counted the hit it refused: that refusal is handed to the usual way (in the
    request's state) to answer, so the hit is counted once.

    A bare ASGI handler, as api.CreateRating is: the headers are read from the scope as
    Starlette's Request reads them (the first of each wins) and the answer is sent as
    RedirectResponse sends it, without building either object.
    """
    headers = dict(reversed(scope["headers"]))
    ctype = headers.get(b"content-type", b"").decode("latin-1")
    declared = headers.get(b"content-length", b"")
    if not (
        ctype[:19].lower() == "multipart/form-data"
        and declared.isdigit()
        and int(declared) <= multipart.SMALL_BODY
    ):
        return receive
    started = time.perf_counter()
    body = await _whole_body(receive)
    rid = logs.request_id(headers)
    token = logs.REQUEST_ID.set(rid)
    try:
        s: Services = scope["state"]["svc"]
        try:
            values, uploads = _parse_small(body, ctype)
            if uploads:
                return _replay(body, receive)  # photos: decoded off the loop, the usual way
            receipt, device, fresh = await _take(
                s,
                None,
                None,
                values,
                uploads,
                cookie=scope_device_cookie(headers),
                address=scope_address(scope, headers, s.trusted),
            )
        except Exception as exc:  # a refusal or an error: the usual way answers it
            if isinstance(exc, LetterRefused) and exc.field == "limit":
                # The limits counted this refused hit already: the usual way answers
                # with this refusal rather than asking the limits again.
                scope.setdefault("state", {})[QUICK_REFUSAL] = exc
            return _replay(body, receive)
        # What RedirectResponse(receipt_location(receipt), 303) sends, and _stored's cookie.
        out = [
            (b"content-length", b"0"),
            (b"location", receipt_location(receipt).encode("ascii")),
        ]
        if fresh:
            out.append((b"set-cookie", device_cookie(device, s.settings)))
        out.append((b"x-request-id", rid.encode("ascii")))
        await send({"type": "http.response.start", "status": 303, "headers": out})
        await send({"type": "http.response.body", "body": b""})
        observe.finished(s.settings.metrics, rid, "/mailbox", "POST", 303, started)
        return None
    finally:
        logs.REQUEST_ID.reset(token)


async def _whole_body(receive: Receive) -> bytes:
    """The request's body, as Request.body reads it (ClientDisconnect if the client left)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def receipt(request: Request) -> Response:
    s = svc(request)
    lang = pick_lang(request)
    m = mtexts(lang)
    code = normalize_code(request.path_params["code"])
    letter = await service.letter_by_receipt(s.store, code) if code else None
    if letter is None:
        return s.pages.render(
            request,
            "mailbox_notice.html",
            status=404,
            lang=lang,
            m=m,
            heading=m["lookup"],
            body=m["lookup_missing"],
        )
    fmt = "%Y-%m-%d %H:%M"
    return s.pages.render(
        request,
        "mailbox_receipt.html",
        lang=lang,
        m=m,
        letter=letter,
        receipt_display=format_receipt(letter.receipt),
        new=request.query_params.get("new") == "1",
        written_at=datetime.fromtimestamp(letter.created_at / 1000, SHANGHAI).strftime(fmt),
        replied_at=(
            datetime.fromtimestamp(letter.replied_at / 1000, SHANGHAI).strftime(fmt)
            if letter.replied_at
            else None
        ),
    )


def mailbox_routes() -> list[Route]:
    return [
        Route("/mailbox", mailbox, methods=["GET", "POST"]),
        Route("/mailbox/u/{token}", mailbox, methods=["GET", "POST"]),
        Route("/mailbox/receipt/{code}", receipt, methods=["GET"]),
    ]

"""Citizen pages: the rating page, its plain form post, the receipt page."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import Receive, Scope, Send

from rating.cases import service as cases
from rating.cases.model import CaseState
from rating.clock import now_ms
from rating.crypto import format_receipt, normalize_code
from rating.errors import HTTPError, NotFound, UnsupportedMediaType, json_error
from rating.i18n import LANG_COOKIE, other_lang_href, pick_lang, texts
from rating.intake import (
    DEVICE_COOKIE,
    FieldError,
    StaleForm,
    check_stamp,
    client_address,
    device_id,
    form_to_dict,
    read_body,
    validate,
)
from rating.labels import REASON_LABELS
from rating.pagecache import STAMP_MARK, CachedPage, reusable
from rating.service import (
    Services,
    device_cookie,
    lookup_token,
    page_epoch,
    rating_by_receipt,
    set_device_cookie,
    submit,
    svc,
)
from rating.store import Store
from rating.store.models import Outcome, TokenState
from rating.textcheck import check_fields

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _notice(request: Request, status: int, heading_key: str, body_key: str) -> Response:
    s = svc(request)
    lang = pick_lang(request)
    t = texts(lang)
    return s.pages.render(
        request,
        "notice.html",
        status=status,
        lang=lang,
        heading=t[heading_key],
        body=t[body_key],
        back=None,
    )


@dataclass(frozen=True)
class Kept:
    """What the person had chosen and typed, put back into the form when it is refused."""

    level: int | None = None
    reasons: tuple[str, ...] = ()
    comment: str = ""
    phone: str = ""
    consent: bool = False
    receipt: str | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def has_details(self) -> bool:
        return bool(self.reasons or self.comment or self.phone or self.consent or self.errors)


def _kept(form: dict[str, str], multi: dict[str, list[str]], errors: dict[str, str]) -> Kept:
    level = form.get("level", "")
    receipt = normalize_code(form.get("receipt", ""))
    return Kept(
        level=int(level) if level in ("1", "2", "3", "4", "5") else None,
        reasons=tuple(r for r in multi.get("reasons", []) if r in REASON_LABELS["zh"]),
        comment=form.get("comment", "")[:MAX_COMMENT_KEPT],
        phone=form.get("phone", "")[:40],
        consent=form.get("consent", "") in ("1", "on", "true", "yes"),
        receipt=receipt,
        errors=errors,
    )


DETAIL_FIELDS = ("reasons", "comment", "phone", "consent")
# A refused comment is put back even if too long, so the person can shorten it.
MAX_COMMENT_KEPT = 4000


async def _rate_page(
    request: Request,
    token: str,
    status: int = 200,
    notice: str | None = None,
    kept: Kept | None = None,
    lang: str | None = None,
) -> Response:
    s = svc(request)
    found = await lookup_token(s.store, token)
    if found.state is TokenState.UNKNOWN:
        return _notice(request, 404, "unknown_title", "unknown_body")
    if found.state is TokenState.REVOKED:
        return _notice(request, 410, "revoked_title", "revoked_body")
    response = s.pages.render(
        request,
        "rate.html",
        status=status,
        lang=lang,
        officer=found.officer,
        token=token,
        stamp=s.keys.stamp(now_ms(), token),
        notice=notice,
        kept=kept or Kept(),
    )
    device, fresh = device_id(request)
    if fresh:
        set_device_cookie(response, device, s.settings)
    return response


async def rate_page(request: Request) -> Response:
    raw = request.path_params["token"]
    token = normalize_code(raw)
    if token is None:
        return _notice(request, 404, "unknown_title", "unknown_body")
    if token != raw:
        # A code typed from the print (lower case, O for 0): send to the canonical URL.
        target = f"/r/{token}" + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(target, status_code=301)
    return await _rate_page(request, token)


async def rate(request: Request) -> Response:
    if request.method == "POST":
        if "application/json" in request.headers.get("accept", ""):
            # The page's script storing a tap: it wants the receipt, not a page.
            try:
                return await rate_submit(request, as_json=True)
            except HTTPError as exc:
                return json_error(exc.status, exc.en)
        return await rate_submit(request)
    return await rate_page(request)


async def rate_submit(request: Request, as_json: bool = False) -> Response:
    """The plain form post (works with JavaScript off); answers with a redirect (PRG).

    With `as_json` (the page's script storing a tap) it answers the API's JSON instead.
    A refused field re-shows the form with everything the person typed and the message
    beside that field; nothing is stored.
    """
    s = svc(request)
    token = normalize_code(request.path_params["token"])
    if token is None:
        return _notice(request, 404, "unknown_title", "unknown_body")
    body = await read_body(request, s.settings.max_body_bytes)
    ctype = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        raise UnsupportedMediaType(
            "expected a form post (application/x-www-form-urlencoded)", "请求格式错误"
        )
    multi = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    form = {k: v[-1] for k, v in multi.items()}
    data = form_to_dict(form, multi)
    data["token"] = token
    lang = pick_lang(request, form.get("lang"))
    try:
        inp = validate(data)
    except FieldError as exc:
        if as_json:
            raise
        receipt = normalize_code(form.get("receipt", ""))
        if receipt and exc.field in ("phone", "consent") and form.get("level") in ("3", "4", "5"):
            # The receipt page's spot-check phone of a satisfied rating: back there, with
            # the message at the field (the number typed is not put in the URL).
            return RedirectResponse(f"/receipt/{receipt}?spot={exc.field}", status_code=303)
        kept = _kept(form, multi, {exc.field: exc.message(lang)})
        notice = texts(lang)["details_not_saved" if kept.receipt else "form_fix"]
        if exc.field not in DETAIL_FIELDS:  # no box to show it beside: say it on top
            notice = f"{notice} {exc.message(lang)}"
        return await _rate_page(request, token, 400, notice, kept, lang)
    try:
        fast = check_stamp(s.keys, s.settings, inp, now_ms())
    except StaleForm:
        if as_json:
            raise
        # Re-show the page with a fresh stamp and what was typed: one more tap sends it.
        kept = _kept(form, multi, {})
        return await _rate_page(request, token, 400, texts(inp.lang)["retry_hint"], kept, inp.lang)
    result, new_device = await submit(
        s,
        inp,
        "badge",
        cookie=request.cookies.get(DEVICE_COOKIE, ""),
        address=client_address(request, s.trusted),
        fast=fast,
    )
    assert result.receipt is not None
    response: Response
    if as_json:
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
        response.headers["cache-control"] = "no-store"
    else:
        # Details sent for a rating already stored (by its receipt) get their own message.
        after = "saved=details" if inp.receipt else "new=1"
        response = RedirectResponse(f"/receipt/{result.receipt}?{after}", status_code=303)
    if new_device:
        set_device_cookie(response, new_device, s.settings)
    return response


def _lookup_page(request: Request, status: int, typed: str, error_key: str | None) -> Response:
    s = svc(request)
    lang = pick_lang(request)
    return s.pages.render(
        request,
        "lookup.html",
        status=status,
        lang=lang,
        typed=typed,
        error=texts(lang)[error_key] if error_key else None,
    )


async def receipt_lookup(request: Request) -> Response:
    """GET /receipt: the box for a receipt number; with ?code= it opens that receipt.

    The number is taken as printed or typed: dashes and spaces, lower case, full-width
    characters, O for 0 and I or L for 1.
    """
    typed = request.query_params.get("code")
    if typed is None:
        return _lookup_page(request, 200, "", None)
    code = normalize_code(typed)
    if code is None:
        return _lookup_page(request, 400, typed[:40], "lookup_malformed")
    if await rating_by_receipt(svc(request).store, code) is None:
        return _lookup_page(request, 404, typed[:40], "lookup_missing")
    return RedirectResponse(f"/receipt/{code}", status_code=303)


async def receipt_page(request: Request) -> Response:
    s = svc(request)
    code = normalize_code(request.path_params["code"])
    view = await rating_by_receipt(s.store, code) if code else None
    if view is None:
        return _lookup_page(request, 404, request.path_params["code"][:40], "lookup_missing")
    now = now_ms()
    window_open = now - view.created_at < s.settings.amend_window_minutes * 60_000
    ask_details = (
        view.level <= 2 and window_open and not (view.reasons or view.comment or view.has_phone)
    )
    # A satisfied rater may leave a phone for the spot-check callback (抽查回访, issue 19).
    ask_spotcheck = view.level > 2 and window_open and not view.has_phone
    rated_at = datetime.fromtimestamp(view.created_at / 1000, SHANGHAI).strftime("%Y-%m-%d %H:%M")
    q = request.query_params
    return s.pages.render(
        request,
        "receipt.html",
        rating=view,
        receipt_display=format_receipt(view.receipt),
        new=q.get("new") == "1",
        saved=q.get("saved") == "details",
        fixed=q.get("fixed") == "1",
        ask_details=ask_details,
        ask_spotcheck=ask_spotcheck,
        spot_error=texts(pick_lang(request))[
            "phone_bad" if q.get("spot") == "phone" else "consent_needed"
        ]
        if q.get("spot") in ("phone", "consent")
        else None,
        stamp=s.keys.stamp(now, view.token),
        rated_at=rated_at,
        progress=await receipt_progress(s.store, view.receipt),
        kept=Kept(),
    )


# ------------------------------------------------------------------ the citizen's case


async def fix_submit(request: Request) -> Response:
    """POST /receipt/{code}/fix (a plain form): store the answer to "is it fixed?", back to
    the receipt."""
    s = svc(request)
    code = normalize_code(request.path_params["code"])
    if code is None:
        raise NotFound("receipt not found", "未找到该回执")
    body = await read_body(request, s.settings.max_body_bytes)
    form = parse_qs(body.decode("utf-8", errors="replace"))
    check_fields(form)
    answer = form.get("answer", [""])[-1]
    await cases.rate_fix(s.store, code, answer)
    return RedirectResponse(f"/receipt/{code}?fixed=1", status_code=303)


@dataclass(frozen=True)
class Step:
    key: str  # i18n text key
    done: bool
    at: str  # the day it was done (Asia/Shanghai), or ""


@dataclass(frozen=True)
class ReceiptProgress:
    steps: list[Step]
    ask_fix: bool
    fix_rating: str | None
    callback_due: str  # the day the call back is due, while it is still to come; else ""
    reply: str = ""  # the written reply of the unit the case was dispatched to (issue 18)
    replied: str = ""


def _day(ms: int | None) -> str:
    if ms is None:
        return ""
    return datetime.fromtimestamp(int(ms) / 1000, SHANGHAI).strftime("%Y-%m-%d")


async def receipt_progress(store: Store, receipt: str) -> ReceiptProgress | None:
    """The case's progress as the citizen sees it (no notes, no names), or None."""
    p = await cases.progress(store, receipt)
    if p is None:
        return None
    if p.needs_rectify or p.verified_at is None:
        rectify = Step("step_rectified", p.rectified_at is not None, _day(p.rectified_at))
    else:
        # Verified as not substantiated: nothing to rectify.
        rectify = Step("step_no_rectify", p.verified_at is not None, "")
    closed = p.state == CaseState.CLOSED
    steps = [
        Step("step_received", True, _day(p.opened_at)),
        Step("step_called_back", p.callback_at is not None, _day(p.callback_at)),
        Step("step_verified", p.verified_at is not None, _day(p.verified_at)),
        rectify,
        Step("step_closed", closed, _day(p.closed_at)),
    ]
    due = p.callback_due_at if p.callback_at is None and not closed else None
    return ReceiptProgress(
        steps, p.ask_fix, p.fix_rating, _day(due), p.reply or "", _day(p.replied_at)
    )


# ------------------------------------------------------------------ the cached page

_CANONICAL_PAGE = re.compile(r"^/r/([0-9A-HJKMNP-TV-Z]{12})$")
_PLAIN_QUERIES = (b"", b"lang=zh", b"lang=en")


async def serve_cached_page(scope: Scope, receive: Receive, send: Send) -> bool:
    """GET /r/{token} from the page cache (see rating/pagecache.py).

    Answers the canonical page of a live token, with no query but ?lang=, and returns
    True; returns False without sending anything for every other request, which then
    takes the usual way (redirects, unknown and revoked codes, other queries).
    """
    if scope["method"] != "GET" or scope.get("query_string", b"") not in _PLAIN_QUERIES:
        return False
    match = _CANONICAL_PAGE.match(scope["path"])
    if match is None:
        return False
    s: Services = scope["state"]["svc"]
    cache = s.pages.cache
    if cache.due():
        await cache.refresh(lambda: page_epoch(s.store))
    request = Request(scope, receive)
    token, lang = match.group(1), pick_lang(request)
    page = cache.get(token, lang)
    if page is None:
        generation = cache.generation
        found = await lookup_token(s.store, token)
        if found.state is not TokenState.LIVE:
            return False
        html = s.pages.render_html(
            "rate.html",
            lang,
            other_lang_href(scope["path"], {}, lang),
            officer=found.officer,
            token=token,
            stamp=STAMP_MARK,
            notice=None,
            kept=Kept(),
        )
        page = CachedPage.build(html)
        cache.put(token, lang, page, generation)
    now = now_ms()
    headers = [
        (b"content-type", b"text/html; charset=utf-8"),
        (b"content-security-policy", s.pages.csp.encode("latin-1")),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"x-frame-options", b"DENY"),  # as Pages.render: for WebViews that ignore the CSP
        # Kept by the browser, asked again each time: 304 while its copy's stamp is fresh.
        (b"cache-control", b"private, no-cache"),
        (b"vary", b"Accept-Encoding, Accept-Language, Cookie"),
    ]
    device, fresh = device_id(request)
    if fresh:
        headers.append((b"set-cookie", device_cookie(device, s.settings)))
    chosen = request.query_params.get("lang")
    if chosen:
        secure = "; Secure" if s.settings.cookie_secure else ""
        headers.append(
            (
                b"set-cookie",
                f"{LANG_COOKIE}={chosen}; HttpOnly; Max-Age={365 * 86400}; Path=/; "
                f"SameSite=lax{secure}".encode("latin-1"),
            )
        )
    known = request.headers.get("if-none-match")
    if known and reusable(known, page, now):
        headers.append((b"etag", known.split(",")[0].strip().encode("latin-1")))
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return True
    stamp = s.keys.stamp(now, token).encode("ascii")
    if "gzip" in request.headers.get("accept-encoding", ""):
        body = page.gzip(stamp)
        headers.append((b"content-encoding", b"gzip"))
    else:
        body = page.plain(stamp)
    headers.append((b"etag", page.etag(now).encode("ascii")))
    headers.append((b"content-length", b"%d" % len(body)))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
    return True

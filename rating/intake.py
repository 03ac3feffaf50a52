"""Checking a submitted rating (JSON or form) and turning it into a store submission.

The API and the plain HTML form share these rules, so a form post and a JSON post with
the same fields get the same answer.
"""

from __future__ import annotations

import json
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import ClientDisconnect, Request, cookie_parser
from starlette.types import Receive, Scope

from rating import clock
from rating.crypto import Keys, normalize_code, normalize_phone
from rating.crypto import network_key as network_key  # its old home: callers import it here
from rating.errors import BadRequest, PayloadTooLarge, TooManyRequests, UnsupportedMediaType
from rating.settings import Settings
from rating.store.models import REASONS, RatingSubmission
from rating.textcheck import check_fields, check_tree

MAX_COMMENT = 500
DEVICE_COOKIE = "pj_dev"
_FIELDS = {
    "token",
    "level",
    "reasons",
    "comment",
    "phone",
    "consent",
    "t",
    "website",
    "receipt",
    "lang",
}


@dataclass(frozen=True)
class RatingInput:
    token: str
    level: int
    reasons: tuple[str, ...]
    comment: str
    phone: str | None
    stamp: str
    receipt: str | None
    lang: str


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"request body larger than {limit} bytes", f"提交内容过大（超过 {limit} 字节）"
    )


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing anything above `limit` bytes before reading it all."""
    return await receive_body(request.receive, request.headers.get("content-length"), limit)


async def receive_body(receive: Receive, declared: str | None, limit: int) -> bytes:
    """`read_body` on a bare ASGI `receive`, given the Content-Length header (or None)."""
    if declared is not None:
        if not (declared.isascii() and declared.isdigit()):
            raise BadRequest("invalid Content-Length", "请求头 Content-Length 无效")
        if int(declared) > limit:
            raise _too_large(limit)
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def parse_json(body: bytes, content_type: str) -> dict[str, Any]:
    """A JSON object body, every string in it checked (rating.textcheck)."""
    if content_type.split(";", 1)[0].strip().lower() != "application/json":
        raise UnsupportedMediaType()
    return load_json(body)


def load_json(body: bytes) -> dict[str, Any]:
    """`parse_json` without the Content-Type check."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        # RecursionError: "[[[[..." nested deeper than the parser's stack, well within
        # the size limit.
        raise BadRequest("body is not valid JSON", "提交内容不是有效的 JSON") from None
    if not isinstance(data, dict):
        raise BadRequest("body must be a JSON object", "提交内容必须是 JSON 对象")
    check_tree(data)
    return data


def form_to_dict(form: Mapping[str, Any], multi: dict[str, list[str]]) -> dict[str, Any]:
    """Form fields as the JSON shape: reasons is a list, consent a bool."""
    check_fields(multi)
    data: dict[str, Any] = {k: v for k, v in form.items() if k != "reasons"}
    data["reasons"] = multi.get("reasons", [])
    if "consent" in data:
        data["consent"] = data["consent"] in ("1", "on", "true", "yes")
    for key in ("phone", "comment", "receipt", "website"):
        if data.get(key) == "":
            data.pop(key)
    return data


class FieldError(BadRequest):
    """A refusal that belongs to one field of the rating form, shown beside that field."""

    def __init__(self, field: str, en: str, zh: str) -> None:
        super().__init__(en, zh)
        self.field = field


def _bad(en: str, zh: str, field: str | None = None) -> BadRequest:
    return BadRequest(en, zh) if field is None else FieldError(field, en, zh)


def validate(data: Mapping[str, Any]) -> RatingInput:
    """Check every field; raise BadRequest naming the first problem."""
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise _bad(f"unknown field {unknown[0]!r}", f"未知字段 {unknown[0]!r}")
    if data.get("website", "") not in ("", None):
        # The honeypot field is hidden from people; only form-filling robots fill it.
        raise _bad("rejected as automated submission", "提交被识别为自动程序")
    token_raw = data.get("token")
    if not isinstance(token_raw, str) or not token_raw:
        raise _bad("token is required (a string)", "缺少评价码")
    token = normalize_code(token_raw)
    if token is None:
        raise _bad("token is malformed", "评价码格式错误")
    level = data.get("level")
    if isinstance(level, str) and level.strip().isascii() and level.strip().isdigit():
        # The form posts "4". ASCII only: int() would also take "٤" or fail on "²".
        level = int(level)
    if not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= 5:
        raise _bad("level must be an integer from 1 to 5", "评价等级必须是 1 到 5 的整数", "level")
    reasons_raw = data.get("reasons", [])
    if not isinstance(reasons_raw, list) or not all(isinstance(r, str) for r in reasons_raw):
        raise _bad("reasons must be a list of strings", "原因必须是字符串列表", "reasons")
    for r in reasons_raw:
        if r not in REASONS:
            raise _bad(
                f"unknown reason {r!r} (allowed: {', '.join(REASONS)})",
                f"未知原因 {r!r}",
                "reasons",
            )
    reasons = tuple(r for r in REASONS if r in reasons_raw)
    if reasons and level > 2:
        raise _bad("reasons are only for levels 1 and 2", "只有不满意的评价需要选择原因", "reasons")
    comment = data.get("comment", "")
    if not isinstance(comment, str):
        raise _bad("comment must be a string", "具体情况必须是文字", "comment")
    # Browsers submit a textarea's line breaks as CR LF but count them once against
    # maxlength=500, so count (and store) them as one character too.
    comment = comment.replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(comment) > MAX_COMMENT:
        raise _bad(
            f"comment is {len(comment)} characters; at most {MAX_COMMENT} allowed",
            f"具体情况共 {len(comment)} 字，最多 {MAX_COMMENT} 字",
            "comment",
        )
    phone: str | None = None
    phone_raw = data.get("phone")
    if phone_raw not in (None, ""):
        if not isinstance(phone_raw, str):
            raise _bad("phone must be a string", "手机号必须是文字", "phone")
        # NFKC turns the full-width digits of Chinese input methods into ASCII ones;
        # other scripts' digits stay non-ASCII and are refused.
        phone = normalize_phone(unicodedata.normalize("NFKC", phone_raw))
        if phone is None or not phone.isascii():
            raise _bad(
                "phone is not a valid mainland mobile or landline number",
                "手机号格式不正确（应为11位手机号或带区号的固定电话）",
                "phone",
            )
        # Any level may leave one: a dissatisfied citizen for the case's call back, a
        # satisfied one for the spot-check callback (抽查回访), both with consent.
        if data.get("consent") is not True:
            raise _bad(
                "consent must be true when a phone number is given",
                "留下电话需勾选同意回访",
                "consent",
            )
    stamp = data.get("t")
    if not isinstance(stamp, str) or not stamp:
        raise _bad(
            "t (the form stamp from the rating page) is required", "缺少页面时间戳，请刷新页面"
        )
    receipt_raw = data.get("receipt")
    receipt = None
    if receipt_raw not in (None, ""):
        receipt = normalize_code(receipt_raw) if isinstance(receipt_raw, str) else None
        if receipt is None:
            raise _bad("receipt is malformed", "回执号格式错误")
    lang = data.get("lang", "zh")
    if lang not in ("zh", "en"):
        raise _bad("lang must be 'zh' or 'en'", "语言只能是 zh 或 en")
    return RatingInput(token, level, reasons, comment, phone, stamp, receipt, lang)


class StaleForm(BadRequest):
    """The form stamp is forged, for another officer, or too old."""


# Instances behind one load balancer may disagree on the time by a little.
CLOCK_SKEW_MS = 60_000


def check_stamp(keys: Keys, settings: Settings, inp: RatingInput, now_ms: int) -> bool:
    """Refuse a forged or expired stamp; return whether the rating came quickly.

    A person who knows their answer taps at once, so a rating sooner than
    `min_submit_seconds` after the page was served is stored like any other and marked
    fast for the integrity statistics; robots are kept out by the honeypot, the stamp's
    signature and age, and the rate limits.
    """
    issued = keys.stamp_time(inp.stamp, inp.token)
    if issued is None or issued - now_ms > CLOCK_SKEW_MS:
        raise StaleForm("form stamp is invalid; reload the rating page", "页面已失效，请刷新后重试")
    age = now_ms - issued
    if age > settings.form_max_age_hours * 3_600_000:
        raise StaleForm("the rating page has expired; reload it", "页面已过期，请刷新后重试")
    return age < settings.min_submit_seconds * 1000


def client_address(request: Request, trusted: frozenset[str]) -> str:
    """The client's address, believing X-Forwarded-For only from a trusted proxy."""
    peer = request.client.host if request.client else ""
    return address_of(peer, request.headers.get("x-forwarded-for", ""), trusted)


def address_of(peer: str, forwarded: str, trusted: frozenset[str]) -> str:
    """`client_address` from the peer's address and the X-Forwarded-For header."""
    if peer in trusted:
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        while hops and hops[-1] in trusted:
            hops.pop()
        if hops:
            peer = hops[-1]
    return peer


def scope_address(scope: Scope, headers: Mapping[bytes, bytes], trusted: frozenset[str]) -> str:
    """`client_address` for a bare ASGI handler, from its scope and its headers."""
    client = scope.get("client")
    return address_of(
        client[0] if client else "",
        headers.get(b"x-forwarded-for", b"").decode("latin-1"),
        trusted,
    )


def scope_device_cookie(headers: Mapping[bytes, bytes]) -> str:
    """The device cookie's value ("" when absent) from a bare ASGI handler's headers."""
    return cookie_parser(headers.get(b"cookie", b"").decode("latin-1")).get(DEVICE_COOKIE, "")


def device_id(request: Request) -> tuple[str, bool]:
    """The device cookie's value, and whether it must be set on the response."""
    return device_of(request.cookies.get(DEVICE_COOKIE, ""))


def device_of(value: str) -> tuple[str, bool]:
    """`device_id` from the device cookie's value ("" when absent)."""
    if 16 <= len(value) <= 64 and value.replace("-", "").replace("_", "").isalnum():
        return value, False
    return secrets.token_urlsafe(16), True


def to_submission(
    inp: RatingInput,
    keys: Keys,
    *,
    channel: str,
    device: str,
    address: str,
    at_ms: int | None = None,
    fast: bool = False,
) -> RatingSubmission:
    phone = inp.phone
    return RatingSubmission(
        token=inp.token,
        level=inp.level,
        channel=channel,
        reasons=inp.reasons,
        comment=inp.comment,
        **keys.phone_columns(phone),
        device_hash=keys.device_hash(device),
        network_hash=keys.network_hash(network_key(address)),
        receipt=inp.receipt,
        lang=inp.lang,
        at_ms=at_ms or clock.now_ms(),
        stamp=inp.stamp,
        fast=fast,
    )


def limited(by: str | None) -> TooManyRequests:
    if by == "network":
        return TooManyRequests(
            "too many ratings from this network; please try again later",
            "该网络提交过于频繁，请稍后再试",
        )
    return TooManyRequests()

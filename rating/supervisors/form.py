"""Checking a supervisor's report form (multipart, or urlencoded without photos) field by
field, as the mailbox checks a letter (rating/mailbox/form.py, whose refusal and photo
pipeline this reuses): every refusal names its field, and what was typed is put back."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from rating.crypto import Keys
from rating.mailbox.form import (
    CLOCK_SKEW_MS,
    LetterRefused,
    checked_photos,
    form_lang,
    form_text,
    fresh_stamp,
    known_fields,
    required_textarea,
)
from rating.supervisors.model import MAX_PLACE, MAX_TEXT, ReportInput
from rating.supervisors.service import SHANGHAI

FIELDS = {"t", "lang", "badge", "place", "event_at", "text", "photos"}
# An event reported more than this long after it happened is refused (a typo in the year).
MAX_EVENT_AGE = timedelta(days=366)
MAX_BADGE = 20

Refused = LetterRefused


def stamp_token(token: str) -> str:
    """What a report form's stamp is bound to: the supervisor's link."""
    return f"supervisor:{token}"


@dataclass(frozen=True)
class Kept:
    """What the supervisor typed, put back into the refused form (photos cannot be)."""

    badge: str = ""
    place: str = ""
    event_at: str = ""
    text: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def kept_from(values: dict[str, str], errors: dict[str, str]) -> Kept:
    return Kept(
        badge=values.get("badge", "")[:40],
        place=values.get("place", "")[: MAX_PLACE * 2],
        event_at=values.get("event_at", "")[:20],
        # A refused text is put back even if too long, so the person can shorten it.
        text=values.get("text", "")[: MAX_TEXT * 2],
        errors=errors,
    )


def parse_event_at(raw: str, now_ms: int) -> int:
    """The event's time from a datetime-local value (YYYY-MM-DDTHH:MM, Asia/Shanghai):
    epoch ms, not in the future and not older than MAX_EVENT_AGE."""
    text = unicodedata.normalize("NFKC", raw).strip().replace(" ", "T")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Refused(
            "event_at",
            400,
            "event_at: give the date and time of the event (YYYY-MM-DD HH:MM)",
            "请填写事发时间（年-月-日 时:分）",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    at = int(moment.timestamp() * 1000)
    if at - now_ms > CLOCK_SKEW_MS:
        raise Refused("event_at", 400, "event_at: the time is in the future", "事发时间晚于现在")
    if now_ms - at > MAX_EVENT_AGE.total_seconds() * 1000:
        raise Refused("event_at", 400, "event_at: more than a year ago", "事发时间早于一年前")
    return at


def check_report(
    values: dict[str, str],
    uploads: Sequence[bytes],
    keys: Keys,
    *,
    stamp_for: str,
    max_age_ms: int,
    now_ms: int,
) -> ReportInput:
    """The checked report, or Refused for the first bad field (in form order, photos last
    since they cost the most to check). The badge number is checked against the roster by
    the store, in the report's transaction."""
    known_fields(values, FIELDS)
    lang = form_lang(values)
    stamp = fresh_stamp(values, keys, stamp_for, now_ms, max_age_ms)
    badge = unicodedata.normalize("NFKC", form_text(values, "badge")).strip()
    if not badge:
        raise Refused("badge", 400, "badge: give the officer's badge number", "请填写民警警号")
    if len(badge) > MAX_BADGE:
        raise Refused("badge", 400, "badge: no officer has this badge number", "未找到该警号的民警")
    place = " ".join(form_text(values, "place").split())
    if not place:
        raise Refused("place", 400, "place: say where it happened", "请填写事发地点")
    if len(place) > MAX_PLACE:
        raise Refused(
            "place", 400, f"place: at most {MAX_PLACE} characters", f"地点最多 {MAX_PLACE} 字"
        )
    event_at = parse_event_at(form_text(values, "event_at"), now_ms)
    body = required_textarea(
        values,
        "text",
        MAX_TEXT,
        empty=("text: say what happened", "请填写事情经过"),
        counted="text:",
    )
    return ReportInput(badge, place, event_at, body, lang, stamp, checked_photos(uploads))

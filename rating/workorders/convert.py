"""Cell values to normalized values: text, Asia/Shanghai times, enumerations, phones.

Every converter returns the value or raises `BadValue` with a reason a clerk can act on.
Times are epoch milliseconds UTC. Asia/Shanghai has been UTC+8 without daylight saving
since 1991 and only years 2000-2099 are accepted, so a fixed offset is exact.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any

from rating.crypto import Keys, mask_phone, normalize_phone
from rating.workorders.messages import Joined, ReasonError
from rating.workorders.profiles import norm_value

SHANGHAI_OFFSET_MS = 8 * 3_600_000
DAY_MS = 86_400_000
_UNIX_ORDINAL = date(1970, 1, 1).toordinal()
MIN_YEAR, MAX_YEAR = 2000, 2099
_SHANGHAI = timezone(timedelta(hours=8))


class BadValue(ReasonError, ValueError):
    """A cell that cannot be converted; `reason` is shown to the user (`str` in English)."""


def shown(value: Any, limit: int = 40) -> str:
    text = str(value)
    return repr(text if len(text) <= limit else text[:limit] + "…")


def text(value: Any) -> str | None:
    """A text cell: trimmed, Excel's ="..." and leading-tab tricks undone; '' is None."""
    if value.__class__ is str:
        value = value.strip()
        if not value:
            return None
        if value[0] == "=" and value.startswith('="') and value.endswith('"'):
            value = value[2:-1].strip()
        return value or None
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value)


_SCIENTIFIC = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")


def identifier(value: Any) -> str | None:
    """An order number: never a number Excel has rounded."""
    if isinstance(value, float) and abs(value) >= 1e15:
        raise BadValue("order_no_rounded")
    out = text(value)
    if out is None:
        return None
    out = out.lstrip("'").strip()
    if _SCIENTIFIC.match(out):
        raise BadValue("order_no_scientific", value=shown(out))
    if len(out) > 64:
        raise BadValue("order_no_too_long")
    return out or None


# ---------------------------------------------------------------- times

_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?"
    r"(?:\s*T?\s*(上午|下午|AM|PM)?\s*(\d{1,2})\s*[:：时点]\s*(\d{1,2})\s*分?"
    r"(?:\s*[:：]?\s*(\d{1,2})(\.\d{1,6})?\s*秒?)?\s*(上午|下午|AM|PM)?)?$",
    re.IGNORECASE,
)
# The shapes most exports use, tried before the general pattern above (a third faster).
_PLAIN = re.compile(
    r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日? ?(\d{1,2})[:时](\d{2})分?(?::?(\d{2})秒?)?$"
)
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2}))?$")
_SERIAL = re.compile(r"^\d{1,5}(\.\d+)?$")


_DAYS: dict[tuple[int, int, int], int] = {}  # (y, m, d) -> days since 1970-01-01


def _epoch_ms(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0, ms: int = 0) -> int:
    days = _DAYS.get((y, mo, d))
    if days is None:
        if not MIN_YEAR <= y <= MAX_YEAR:
            raise BadValue("year_out_of_range", year=y, min=MIN_YEAR, max=MAX_YEAR)
        try:
            days = date(y, mo, d).toordinal() - _UNIX_ORDINAL
        except ValueError:
            raise BadValue("not_a_calendar_date", date=f"{y}-{mo:02d}-{d:02d}") from None
        _DAYS[(y, mo, d)] = days
    if h > 23 or mi > 59 or s > 59:
        raise BadValue("not_a_time_of_day", time=f"{h:02d}:{mi:02d}:{s:02d}")
    return days * DAY_MS + ((h * 60 + mi) * 60 + s) * 1000 + ms - SHANGHAI_OFFSET_MS


def _from_serial(serial: float, epoch: date) -> tuple[int, bool]:
    if not 1 <= serial < 73051:  # 73051 = 2100-01-01
        raise BadValue("not_an_excel_serial", serial=serial)
    base = (epoch.toordinal() - _UNIX_ORDINAL) * DAY_MS - SHANGHAI_OFFSET_MS
    # Excel keeps times as fractions of a day; round to the second it displays.
    ms = base + round(serial * 86_400) * 1000
    year = _year(ms)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise BadValue(
            "excel_serial_out_of_range", serial=f"{serial:g}", year=year, min=MIN_YEAR, max=MAX_YEAR
        )
    return ms, float(serial).is_integer()


def _year(ms: int) -> int:
    return (date(1970, 1, 1) + timedelta(milliseconds=ms + SHANGHAI_OFFSET_MS)).year


def _parse_time_text(raw: str, epoch: date) -> tuple[int, bool]:
    if len(raw) in (10, 16, 19) and raw[4] == "-" and raw[7] == "-" and raw[5:7].isdigit():
        # Fast path for the machine formats (2026-11-03, 2026-11-03 14:05[:00]).
        try:
            t = datetime.fromisoformat(raw)
        except ValueError:
            pass
        else:
            ms = _epoch_ms(t.year, t.month, t.day, t.hour, t.minute, t.second)
            return ms, len(raw) == 10
    m = _PLAIN.match(raw)
    if m:
        y, mo, d, h, mi, s = m.groups()
        return _epoch_ms(int(y), int(mo), int(d), int(h), int(mi), int(s) if s else 0), False
    m = _DATE.match(raw)
    if m:
        y, mo, d, ampm, h, mi, s, frac, ampm2 = m.groups()
        if h is None:
            return _epoch_ms(int(y), int(mo), int(d)), True
        hour = int(h)
        half = (ampm or ampm2 or "").upper()
        if half in ("下午", "PM") and hour < 12:
            hour += 12
        elif half in ("上午", "AM") and hour == 12:
            hour = 0
        ms = int(round(float(frac) * 1000)) if frac else 0
        return _epoch_ms(int(y), int(mo), int(d), hour, int(mi), int(s or 0), ms), False
    m = _COMPACT.match(raw)
    if m:
        y, mo, d, h, mi, s = m.groups()
        if h is None:
            return _epoch_ms(int(y), int(mo), int(d)), True
        return _epoch_ms(int(y), int(mo), int(d), int(h), int(mi), int(s)), False
    if _SERIAL.match(raw):
        return _from_serial(float(raw), epoch)
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise BadValue("bad_date", value=shown(raw)) from None
    return _from_datetime(parsed)


def _from_datetime(value: datetime) -> tuple[int, bool]:
    if value.tzinfo is not None:
        value = value.astimezone(_SHANGHAI).replace(tzinfo=None)
    # Excel keeps times as fractions of a day; round to the second it displays. A cell
    # read from a workbook mostly has no fraction: the fields are used as they are then
    # (two in three of an XLSX import's cells are times, so this path is a hot one).
    if value.microsecond >= 500_000:
        value = value.replace(microsecond=0) + timedelta(seconds=1)
    h, mi, s = value.hour, value.minute, value.second
    return _epoch_ms(value.year, value.month, value.day, h, mi, s), not (h or mi or s)


def time_ms(value: Any, epoch: date, *, end_of_day: bool = False) -> int | None:
    """A time cell as epoch ms. With `end_of_day`, a date without a time of day means the
    last millisecond of that day (a deadline of 2026-11-10 is met by a closure that day)."""
    if value is None:
        return None
    if value.__class__ is not str:
        if isinstance(value, datetime):
            ms, date_only = _from_datetime(value)
        elif isinstance(value, date):
            ms, date_only = _epoch_ms(value.year, value.month, value.day), True
        elif isinstance(value, int | float) and not isinstance(value, bool):
            ms, date_only = _from_serial(float(value), epoch)
        else:
            value = str(value)
    if value.__class__ is str:
        raw = value.strip()
        if not raw:
            return None
        try:
            ms, date_only = _parse_time_text(raw, epoch)
        except BadValue as exc:
            if exc.reason.code == "bad_date":
                raise
            raise BadValue("bad_date_because", value=shown(raw), detail=exc.reason) from None
    if end_of_day and date_only:
        ms += DAY_MS - 1
    return ms


# ---------------------------------------------------------------- other kinds


def enum_code(
    value: Any, mapping: dict[str, str], expected: tuple[str, ...], field: str
) -> str | None:
    """The code of an enumeration cell; `expected` lists the spellings a reason suggests
    and `field` names the profile's [values.<field>] table for other spellings."""
    raw = text(value)
    if raw is None:
        return None
    code = mapping.get(norm_value(raw))
    if code is None:
        raise BadValue("unknown_value", value=shown(raw), expected=Joined(expected), field=field)
    return code or None


def enum_converter(
    mapping: dict[str, str], expected: tuple[str, ...], field: str
) -> Callable[[Any], str | None]:
    """`enum_code` for one column, remembering each spelling it has seen (a column holds
    a handful of distinct values in tens of thousands of rows)."""
    seen: dict[Any, str | None] = {}

    def convert(value: Any) -> str | None:
        try:
            return seen[value]
        except KeyError:
            code = seen[value] = enum_code(value, mapping, expected, field)
            return code
        except TypeError:  # an unhashable cell value
            return enum_code(value, mapping, expected, field)

    return convert


_BADGE = re.compile(r"[A-Za-z0-9]+")


def badges(value: Any) -> str | None:
    """Badge numbers in a cell (several may be listed): comma-joined, first one first."""
    raw = text(value)
    if raw is None:
        return None
    found = [b for b in _BADGE.findall(raw) if 3 <= len(b) <= 20]
    if not found:
        raise BadValue("no_badge", value=shown(raw))
    return ",".join(dict.fromkeys(found))


_MASKED = re.compile(r"^\+?\d[\d\-\s]*\*+[\d\-\s]*\d$")


def phone(value: Any, keys: Keys) -> tuple[str | None, str | None, str | None]:
    """(encrypted, keyed hash, mask) of a caller's number. A number the hotline already
    masked (138****5678) keeps only the mask. Never echoes the full number in a reason."""
    raw = text(value)
    if raw is None:
        return None, None, None
    raw = raw.lstrip("'")
    digits = normalize_phone(raw)
    if digits is not None:
        return keys.encrypt_phone(digits), keys.phone_hash(digits), mask_phone(digits)
    if _MASKED.match(raw):
        return None, None, re.sub(r"[\s\-]", "", raw)
    only_digits = re.sub(r"\D", "", raw)
    if not only_digits:
        raise BadValue("bad_phone_no_digits")
    raise BadValue("bad_phone", masked=mask_phone(only_digits))

"""Report weeks in Asia/Shanghai time.

China has kept UTC+8 without daylight saving since 1991, so local days are computed with
integer arithmetic on epoch milliseconds (exact, and fast on millions of rows); a test
checks this against zoneinfo's Asia/Shanghai.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd

SHANGHAI_OFFSET_MS = 8 * 3600 * 1000
DAY_MS = 86_400_000
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEK_RE = re.compile(r"^(\d{4})-W(\d{1,2})$")


def weekday_index(name: str) -> int:
    """0 for monday … 6 for sunday; ValueError for anything else."""
    key = name.strip().lower()
    if key not in WEEKDAYS:
        raise ValueError(f"week start must be one of {', '.join(WEEKDAYS)}, got {name!r}")
    return WEEKDAYS.index(key)


@dataclass(frozen=True)
class Week:
    """One report week: [start_ms, end_ms) in UTC epoch ms, starting on `start` (local)."""

    start: date

    @property
    def start_ms(self) -> int:
        return (self.start - date(1970, 1, 1)).days * DAY_MS - SHANGHAI_OFFSET_MS

    @property
    def end_ms(self) -> int:
        return self.start_ms + 7 * DAY_MS

    @property
    def end(self) -> date:
        """The last day of the week (inclusive)."""
        return self.start + timedelta(days=6)

    def shift(self, weeks: int) -> Week:
        return Week(self.start + timedelta(weeks=weeks))

    @property
    def label(self) -> str:
        """ISO label of the week holding the start day's Thursday-equivalent: for a Monday
        start this is the ISO week (2026-W47)."""
        iso = (self.start + timedelta(days=3)).isocalendar()
        return f"{iso.year}-W{iso.week:02d}"

    def describe(self) -> str:
        return f"{self.label} ({self.start.isoformat()} – {self.end.isoformat()})"


def week_of_day(day: date, week_start: int) -> Week:
    """The week (starting on weekday `week_start`) that holds the local day `day`."""
    return Week(day - timedelta(days=(day.weekday() - week_start) % 7))


def parse_week(text: str, week_start: int) -> Week:
    """'2026-W47' → that ISO week's Monday, moved back to the configured first day."""
    m = _WEEK_RE.match(text.strip())
    if not m:
        raise ValueError(f"week must look like 2026-W47, got {text!r}")
    try:
        monday = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError:
        raise ValueError(f"no such ISO week: {text!r}") from None
    return week_of_day(monday, week_start)


_MOMENT_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M")


def parse_moment(text: str, now_ms: int) -> int:
    """'2026-11-24 09:00' (or 09:00:00, a 'T' between, or a bare date: its 00:00), Asia/
    Shanghai wall time → epoch ms. A moment after `now_ms` is refused: nobody could have
    made that report yet."""
    raw = text.strip()
    for fmt in (*_MOMENT_FORMATS, "%Y-%m-%d"):
        try:
            moment = datetime.strptime(raw, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
        ms = int(moment.timestamp() * 1000) - SHANGHAI_OFFSET_MS
        if ms > now_ms:
            raise ValueError(f"the report moment {raw!r} is in the future")
        return ms
    raise ValueError(f"the report moment must look like 2026-11-24 09:00, got {text!r}")


def last_full_week(now_ms: int, week_start: int) -> Week:
    """The most recent week that has ended at `now_ms`."""
    today = local_date(now_ms)
    return week_of_day(today, week_start).shift(-1)


def local_date(ms: int) -> date:
    return date(1970, 1, 1) + timedelta(days=(ms + SHANGHAI_OFFSET_MS) // DAY_MS)


def local_text(ms: int) -> str:
    """Epoch ms as Asia/Shanghai wall time, to the second."""
    dt = datetime.fromtimestamp((ms + SHANGHAI_OFFSET_MS) / 1000, UTC).replace(tzinfo=None)
    return dt.strftime("%Y-%m-%d %H:%M:%S")


def week_start_days(ms: pd.Series, week_start: int) -> pd.Series:
    """For each epoch-ms time, the local day number (days since 1970-01-01) on which its
    week starts. 1970-01-01 was a Thursday (weekday 3)."""
    days = (ms.to_numpy(dtype=np.int64) + SHANGHAI_OFFSET_MS) // DAY_MS
    start = days - (days + 3 - week_start) % 7
    return pd.Series(start.astype(np.int32), index=ms.index, name="week")


def day_number(d: date) -> int:
    return (d - date(1970, 1, 1)).days


def day_from_number(n: int) -> date:
    return date(1970, 1, 1) + timedelta(days=int(n))


def local_texts(ms: pd.Series) -> pd.Series:
    """local_text for a column of epoch ms (vectorised)."""
    shifted = ms.to_numpy(dtype=np.int64) + SHANGHAI_OFFSET_MS
    stamps = pd.to_datetime(pd.Series(shifted, index=ms.index), unit="ms")
    return stamps.dt.strftime("%Y-%m-%d %H:%M:%S")

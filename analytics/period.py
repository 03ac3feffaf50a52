"""Periods other than a week: a month, a quarter, a year or any range of days.

`parse_period` turns the command-line choice into a `Period`; the report over it is built by
`analytics.period_report`. A Period is a Week with a last day, so every renderer that prints
a week's label and dates prints the period's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from analytics.periods import DAY_MS, Week

_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER_RE = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
_YEAR_RE = re.compile(r"^(\d{4})$")
KIND_NAMES = {"month": "月报", "quarter": "季报", "year": "年报", "range": "期报"}
# Up to this many days the trend is drawn week by week, beyond it month by month.
WEEKLY_TREND_MAX_DAYS = 92


@dataclass(frozen=True)
class Period(Week):
    """The local days `start` … `last` (inclusive), Asia/Shanghai."""

    last: date = date.min
    kind: str = "range"

    @property
    def end_ms(self) -> int:
        return self.start_ms + self.days * DAY_MS

    @property
    def end(self) -> date:
        return self.last

    @property
    def days(self) -> int:
        return (self.last - self.start).days + 1

    @property
    def label(self) -> str:
        if self.kind == "year":
            return f"{self.start.year}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "month":
            return f"{self.start.year}-{self.start.month:02d}"
        return f"{self.start.isoformat()}_{self.last.isoformat()}"

    @property
    def kind_name(self) -> str:
        return KIND_NAMES[self.kind]

    def describe(self) -> str:
        return f"{self.label} ({self.start.isoformat()} – {self.last.isoformat()})"

    def shift(self, weeks: int) -> Period:
        step = timedelta(weeks=weeks)
        return Period(self.start + step, last=self.last + step, kind="range")

    def previous(self) -> Period:
        """The period compared against: the calendar month, quarter or year before, or
        for a range the same number of days right before it."""
        if self.kind in ("month", "quarter", "year"):
            months = {"month": 1, "quarter": 3, "year": 12}[self.kind]
            start = _add_months(self.start, -months)
            return Period(start, last=self.start - timedelta(days=1), kind=self.kind)
        return Period(
            self.start - timedelta(days=self.days),
            last=self.start - timedelta(days=1),
            kind="range",
        )


def _add_months(d: date, months: int) -> date:
    index = d.year * 12 + d.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_period(year: int, month: int) -> Period:
    start = date(year, month, 1)
    return Period(start, last=_add_months(start, 1) - timedelta(days=1), kind="month")


def parse_period(
    *,
    date_from: str | None = None,
    date_to: str | None = None,
    month: str | None = None,
    quarter: str | None = None,
    year: str | None = None,
) -> Period:
    """The period one of the options names; ValueError (naming the option) otherwise."""
    given = [
        n
        for n, v in (
            ("--from/--to", date_from or date_to),
            ("--month", month),
            ("--quarter", quarter),
            ("--year", year),
        )
        if v
    ]
    if len(given) != 1:
        raise ValueError("give exactly one of --from/--to, --month, --quarter or --year")
    if month:
        m = _MONTH_RE.match(month.strip())
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise ValueError(f"--month must look like 2026-11, got {month!r}")
        return month_period(int(m.group(1)), int(m.group(2)))
    if quarter:
        m = _QUARTER_RE.match(quarter.strip())
        if not m:
            raise ValueError(f"--quarter must look like 2026-Q4, got {quarter!r}")
        start = date(int(m.group(1)), 3 * int(m.group(2)) - 2, 1)
        return Period(start, last=_add_months(start, 3) - timedelta(days=1), kind="quarter")
    if year:
        m = _YEAR_RE.match(year.strip())
        if not m:
            raise ValueError(f"--year must look like 2026, got {year!r}")
        y = int(m.group(1))
        return Period(date(y, 1, 1), last=date(y, 12, 31), kind="year")
    if not (date_from and date_to):
        raise ValueError("--from and --to go together (dates such as 2026-11-01)")
    try:
        first, last = date.fromisoformat(date_from.strip()), date.fromisoformat(date_to.strip())
    except ValueError:
        raise ValueError(
            f"--from/--to must be dates such as 2026-11-01, got {date_from!r}, {date_to!r}"
        ) from None
    if last < first:
        raise ValueError(f"--to ({last}) is before --from ({first})")
    if (last - first).days > 366 * 3:
        raise ValueError("a period is at most three years long")
    return Period(first, last=last, kind="range")

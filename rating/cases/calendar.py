"""Chinese working days: the chinesecalendar package plus the bureau's override table.

A deadline that runs into a year the package does not know (and the bureau has not
published) is still set: such a year counts Monday to Friday minus the statutory holidays
known for it (the fixed-date ones, Qingming from the solar terms, and any holidays the
bureau has already entered), and the deadline is marked provisional so it is recomputed
once the year becomes known. Never a silent guess, never a refusal to open a case.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")

# Fixed-date statutory holidays (全国年节及纪念日放假办法, 2025 revision): 元旦, 劳动节 (2
# days), 国庆节 (3 days). The lunar ones (春节, 端午, 中秋) need the State Council's notice.
_FIXED_HOLIDAYS = ((1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3))


@lru_cache(maxsize=1)
def package_years() -> frozenset[int]:
    """Years the installed chinesecalendar package has a full schedule for."""
    return frozenset(d.year for d in chinese_calendar.constants.holidays)


@lru_cache(maxsize=1)
def _package_days() -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    # The package's own is_workday re-checks the date range with min()/max() over every
    # holiday on each call (about 50 us); the rating write path asks for several days.
    c = chinese_calendar.constants
    return frozenset(c.holidays), frozenset(c.workdays)


@lru_cache(maxsize=64)
def _known_statutory(year: int) -> frozenset[dt.date]:
    days = {dt.date(year, m, d) for m, d in _FIXED_HOLIDAYS}
    try:
        terms = chinese_calendar.get_solar_terms(dt.date(year, 4, 1), dt.date(year, 4, 10))
        days.update(d for d, name in terms if name == "清明")
    except Exception:  # noqa: S110 - outside the solar-term table: fixed dates only
        pass
    return frozenset(days)


@dataclass(frozen=True)
class WorkCalendar:
    """Working days over the package, the bureau's overrides and its published years."""

    overrides: Mapping[dt.date, bool] = field(default_factory=dict)  # True = working day
    published_years: frozenset[int] = frozenset()
    # due_at's answers by (start day, n): a calendar never changes once made, and every
    # case opened on one day asks the same (the writer keeps one calendar while the
    # tables are unchanged: deadlines.load_calendar).
    _due: dict[tuple[dt.date, int], tuple[int, bool]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def known(self, year: int) -> bool:
        return year in package_years() or year in self.published_years

    def is_workday(self, day: dt.date) -> tuple[bool, bool]:
        """(is a working day, provisional) for `day`."""
        if day in self.overrides:
            return self.overrides[day], not self.known(day.year)
        if day.year in package_years():
            holidays, workdays = _package_days()
            return day in workdays or (day.weekday() < 5 and day not in holidays), False
        # A year the bureau published: its overrides hold the schedule; the fixed-date
        # statutory holidays apply whether or not they were entered.
        work = day.weekday() < 5 and day not in _known_statutory(day.year)
        return work, day.year not in self.published_years

    def add_workdays(self, start: dt.date, n: int) -> tuple[dt.date, bool]:
        """The `n`-th working day after `start`, and whether any day counted was provisional."""
        day, left, provisional = start, n, False
        while left > 0:
            day += dt.timedelta(days=1)
            work, guess = self.is_workday(day)
            provisional = provisional or guess
            if work:
                left -= 1
        return day, provisional

    def due_at(self, start_ms: int, n: int) -> tuple[int, bool]:
        """Deadline `n` working days after the moment `start_ms`: the end of that day
        (Asia/Shanghai), as epoch ms, and whether it is provisional."""
        start = dt.datetime.fromtimestamp(start_ms / 1000, SHANGHAI).date()
        found = self._due.get((start, n))
        if found is None:
            day, provisional = self.add_workdays(start, n)
            end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), SHANGHAI)
            found = (int(end.timestamp() * 1000), provisional)
            if len(self._due) >= 4096:
                self._due.clear()
            self._due[(start, n)] = found
        return found


def calendar_from_rows(overrides: Iterable[tuple[str, str]], years: Iterable[int]) -> WorkCalendar:
    """A calendar from `calendar_overrides` (date, kind) and `calendar_years` rows."""
    return WorkCalendar(
        {dt.date.fromisoformat(d): kind == "workday" for d, kind in overrides},
        frozenset(int(y) for y in years),
    )

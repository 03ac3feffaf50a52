"""The dashboard's figures as SQL aggregates: units of work over a `Tx`, one query each.

Every figure is counted per unit id (never per rating row in Python), so that one
bureau-wide aggregate serves every scope: a unit manager's dashboard sums the rows of the
units in their subtree. Weeks are ISO weeks (Monday 00:00, Asia/Shanghai, which has no
daylight saving): week k starts at WEEK_ORIGIN + k * WEEK_MS.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from rating.cases.model import SUBSTANTIATED, CaseState
from rating.cases.queries import _OVERDUE_SQL, _overdue_params

if TYPE_CHECKING:
    from rating.store.tx import Tx

DAY_MS = 86_400_000
WEEK_MS = 7 * DAY_MS
# 1970-01-05 00:00 Asia/Shanghai, a Monday: the origin of the week numbers.
WEEK_ORIGIN = 316_800_000


def week_of(ms: int) -> int:
    """The number of the week holding `ms`."""
    return (ms - WEEK_ORIGIN) // WEEK_MS


def week_start(week: int) -> int:
    return WEEK_ORIGIN + week * WEEK_MS


@dataclass
class WeekCounts:
    """One unit's (or a scope's) figures for one week, by the week items were created in."""

    ratings: int = 0
    valid: int = 0
    satisfied: int = 0  # valid ratings of levels 5-3 (or 5-4: the report's setting)
    bad: int = 0  # valid ratings of levels 2-1
    cases: int = 0  # cases opened (each is a callback due)
    called_back: int = 0
    reached: int = 0
    substantiated: int = 0
    rectified: int = 0

    def add(self, other: WeekCounts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


# The "unit" of cases that have none (a letter to the bureau as a whole, a work order whose
# handling unit matched nobody): counted for bureau-wide scopes only (no unit has id 0).
NO_UNIT = 0


def _unit(value: Any) -> int:
    return NO_UNIT if value is None else int(value)


def week_counts(
    tx: Tx, first_week: int, end_week: int, basic_satisfied: bool = True
) -> dict[tuple[int, int], WeekCounts]:
    """{(week, unit_id): counts} for the weeks first_week .. end_week - 1."""
    lo, hi = week_start(first_week), week_start(end_week)
    floor = 3 if basic_satisfied else 4
    out: dict[tuple[int, int], WeekCounts] = {}
    # One query per day, each grouping a day's ratings by unit: SQLite groups by sorting,
    # and 77 sorts of a day's rows cost a third of one sort of eleven weeks' (city scale:
    # 170 against 460 ms of CPU for the dashboard's cold start).
    for day in range(lo, hi, DAY_MS):
        wk = (day - WEEK_ORIGIN) // WEEK_MS
        for unit, ratings, valid, satisfied, bad in tx.all(
            "SELECT unit_id, COUNT(*), "
            "SUM(CASE WHEN invalidated IS NULL THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN invalidated IS NULL AND level >= ? THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN invalidated IS NULL AND level <= 2 THEN 1 ELSE 0 END) "
            "FROM ratings WHERE created_at >= ? AND created_at < ? GROUP BY unit_id",
            (floor, day, day + DAY_MS),
        ):
            c = out.setdefault((wk, _unit(unit)), WeekCounts())
            c.ratings += int(ratings)
            c.valid += int(valid or 0)
            c.satisfied += int(satisfied or 0)
            c.bad += int(bad or 0)
    subst = ", ".join(f"'{v}'" for v in SUBSTANTIATED)
    for wk, unit, cases, called, reached, substantiated, rectified in tx.all(
        "SELECT (opened_at - ?) / ? AS wk, unit_id, COUNT(*), "
        "SUM(CASE WHEN callback_at IS NOT NULL THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN callback_outcome = 'reached' THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN verification IN ({subst}) THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN rectified_at IS NOT NULL THEN 1 ELSE 0 END) "
        "FROM cases WHERE opened_at >= ? AND opened_at < ? GROUP BY 1, 2",
        (WEEK_ORIGIN, WEEK_MS, lo, hi),
    ):
        c = out.setdefault((int(wk), _unit(unit)), WeekCounts())
        c.cases, c.called_back, c.reached = int(cases), int(called or 0), int(reached or 0)
        c.substantiated, c.rectified = int(substantiated or 0), int(rectified or 0)
    return out


@dataclass(frozen=True)
class OpenCases:
    """Cases not closed, of one unit, in one state and step, and how many are overdue."""

    unit_id: int
    state: str
    callback_outcome: str | None
    verification: str | None
    count: int
    overdue: int


# Every state but closed, spelled out: `state IN (...)` reads the open cases through the
# state index; `state <> 'closed'` would read every case ever opened.
_NOT_CLOSED = tuple(str(s) for s in CaseState if s != CaseState.CLOSED)


def open_cases(tx: Tx, now: int) -> list[OpenCases]:
    """Every unit's cases that are not closed, by state (and what decides the step)."""
    rows = tx.all(
        "SELECT c.unit_id, c.state, c.callback_outcome, c.verification, COUNT(*), "
        f"SUM(CASE WHEN {_OVERDUE_SQL} THEN 1 ELSE 0 END) FROM cases c "
        f"WHERE c.state IN ({', '.join('?' for _ in _NOT_CLOSED)}) "
        "GROUP BY c.unit_id, c.state, c.callback_outcome, c.verification",
        (*_overdue_params(now), *_NOT_CLOSED),
    )
    return [
        OpenCases(_unit(u), str(s), o, v, int(n), int(late or 0)) for u, s, o, v, n, late in rows
    ]


@dataclass(frozen=True)
class Burst:
    officer_id: int
    officer_name: str
    badge_no: str
    unit_id: int
    source: str  # device or network
    top_ratings: int
    first_at: int
    last_at: int


def bursts(tx: Tx, since: int, until: int, min_count: int, window_ms: int) -> list[Burst]:
    """Officers with at least `min_count` level-5 ratings from one device or one network
    within `window_ms`, between `since` and `until` (the report's burst rule).

    Only (officer, source) pairs with `min_count` such ratings in the whole period are
    candidates (one GROUP BY); the window is then checked on the candidates' few rows."""
    found: list[Burst] = []
    for source, column in (("device", "device_hash"), ("network", "network_hash")):
        candidates = tx.all(
            f"SELECT officer_id, {column} FROM ratings WHERE created_at >= ? AND "
            f"created_at < ? AND level = 5 AND {column} IS NOT NULL "
            f"GROUP BY officer_id, {column} HAVING COUNT(*) >= ?",
            (since, until, min_count),
        )
        for officer_id, key in candidates:
            times = [
                int(r[0])
                for r in tx.all(
                    f"SELECT created_at FROM ratings WHERE officer_id = ? AND {column} = ? "
                    "AND created_at >= ? AND created_at < ? AND level = 5 ORDER BY created_at",
                    (officer_id, key, since, until),
                )
            ]
            best, first, last, lo = 0, 0, 0, 0
            for hi, t in enumerate(times):
                while t - times[lo] > window_ms:
                    lo += 1
                if hi - lo + 1 > best:
                    best, first, last = hi - lo + 1, times[lo], t
            if best < min_count:
                continue
            row = tx.one("SELECT name, badge_no, unit_id FROM officers WHERE id = ?", (officer_id,))
            if row is not None:
                found.append(
                    Burst(int(officer_id), row[0], row[1], int(row[2]), source, best, first, last)
                )
    return found

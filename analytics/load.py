"""Loading: the only I/O in analytics.

Reads exactly the rows and columns the weekly report needs (the report week plus the
trend window before it, which also holds the warning baseline), with explicit column lists,
into frames with integer, nullable-integer and categorical dtypes. Everything after this
module is frames in, new frame out.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pandas as pd

from analytics import colread, fastread
from analytics.asof import (
    _CASE_OVERDUE_COLS,
    _CASE_OVERDUE_SQL,
    _FOLLOW_UP_COLS,
    _FOLLOW_UP_SQL,
    _REVISION_COLS,
    _REVISION_SQL,
    _WO_OVERDUE_COLS,
    _WO_OVERDUE_SQL,
    _WORKORDER_SQL,
    follow_up_at,
    overdue_at,
    ratings_at,
)
from analytics.cycle import (
    CASE_COHORT_COLS,
    CASE_COHORT_SQL,
    CASE_CYCLE_COLS,
    CASE_HISTORY_COLS,
    CASE_HISTORY_SQL,
    cases_at,
)
from analytics.frames import (
    OFFICER_COLS,
    OVERDUE_COLS,
    RATING_COLS,
    UNIT_COLS,
    WORKORDER_COLS,
    Schema,
    frame,
)
from analytics.intake import LETTER_COLS, LETTER_SQL, UNIT_RATING_COLS, UNIT_RATING_SQL
from rating.store import Store
from rating.store.tx import Tx

log = logging.getLogger("pingjing.report")
T = TypeVar("T")
# Names other modules and tests import from here.
__all__ = [
    "OFFICER_COLS",
    "OVERDUE_COLS",
    "RATING_COLS",
    "UNIT_COLS",
    "WORKORDER_COLS",
    "ReportData",
    "Schema",
    "follow_up_at",
    "frame",
    "load_levels",
    "load_report_data",
    "overdue_at",
    "ratings_at",
    "read_frames",
    "subtree_ids",
]

# Ratings are read in narrow parts and joined here: every rating's integers (the bulk, read
# as columns where the store is a SQLite file), the reasons and case state of bad ratings
# as of the report moment, their levels before a later amendment, and device/network hashes
# of top ratings in the report week only (burst check).
_CORE_COLS: Schema = (
    ("rating_id", "i64"),
    ("officer_id", "i64"),
    ("unit_id", "i64"),
    ("level", "i8"),
    ("created_at", "i64"),
    ("invalidated", "flag"),
    ("reasons", "cat"),
)
_CORE_SQL = """
SELECT id, officer_id, unit_id, level, created_at,
       CASE WHEN invalidated IS NULL THEN 0 ELSE 1 END, CASE WHEN level <= 2 THEN reasons END
FROM ratings WHERE created_at >= ? AND created_at < ?
"""
_HASH_COLS: Schema = (("rating_id", "i64"), ("device_hash", "str"), ("network_hash", "str"))
_HASH_SQL = """
SELECT id, device_hash, network_hash FROM ratings
WHERE created_at >= ? AND created_at < ? AND level = 5
  AND (device_hash IS NOT NULL OR network_hash IS NOT NULL)
"""


@dataclass(frozen=True)
class ReportData:
    """Everything one report reads, as frames."""

    units: pd.DataFrame
    officers: pd.DataFrame
    ratings: pd.DataFrame
    workorders: pd.DataFrame
    overdue: pd.DataFrame
    as_of_ms: int
    start_ms: int
    end_ms: int
    # The intake of the report period itself (not the trend weeks before it): cases as of
    # the moment (analytics.cycle), place ratings and mailbox letters (analytics.intake).
    cases: pd.DataFrame = field(default_factory=lambda: frame([], CASE_CYCLE_COLS))
    unit_ratings: pd.DataFrame = field(default_factory=lambda: frame([], UNIT_RATING_COLS))
    letters: pd.DataFrame = field(default_factory=lambda: frame([], LETTER_COLS))


Query = Callable[[str, Sequence[Any], Schema], pd.DataFrame]


def _tx_query(tx: Tx) -> Query:
    return lambda sql, params, schema: frame(tx.all(sql, params), schema)


def _aside(q: Query, fn: Callable[[Query], T]) -> Callable[[], T]:
    """`fn(q)` started beside the queries that follow where `q` can (a columnar reader
    with a second connection: fastread.ColumnReader.aside); a function that returns its
    result."""
    aside = getattr(q, "aside", None)
    if aside is None:
        result = fn(q)
        return lambda: result
    started: Callable[[], T] = aside(fn)
    return started


def _levels(
    q: Query,
    where: str,
    r_where: str,
    ids: tuple[int, ...],
    start_ms: int,
    end_ms: int,
    as_of_ms: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every rating of the window (the bulk of a report's read) and the levels a later
    amendment replaced: read in one transaction, so that a level and its revisions agree."""
    core = q(_CORE_SQL + where, (start_ms, end_ms, *ids), _CORE_COLS)
    revisions = q(_REVISION_SQL + r_where, (start_ms, end_ms, as_of_ms, *ids), _REVISION_COLS)
    return core, revisions


def _in_units(column: str, unit_ids: Sequence[int] | None) -> tuple[str, tuple[int, ...]]:
    if unit_ids is None:
        return "", ()
    return f" AND {column} IN ({', '.join('?' * len(unit_ids))})", tuple(unit_ids)


def _read_all(
    q: Query,
    start_ms: int,
    end_ms: int,
    as_of_ms: int,
    detail_from_ms: int,
    unit_ids: Sequence[int] | None = None,
    cycle_from_ms: int | None = None,
) -> dict[str, pd.DataFrame]:
    where, ids = _in_units("unit_id", unit_ids)
    r_where, _ = _in_units("r.unit_id", unit_ids)
    # The ratings themselves on a second connection where the reader has one (it reads
    # them on another core meanwhile), the rest on the first. Two read transactions, which
    # agree on what the report takes from each: ratings created up to the report moment,
    # and their follow-up as it stood then (from the history, which a later change only
    # appends to). Only a change in the milliseconds between the two transactions' starts,
    # to a case kept from before the history, could be seen by one and not the other.
    levels = _aside(
        q,
        functools.partial(
            _levels,
            where=where,
            r_where=r_where,
            ids=ids,
            start_ms=start_ms,
            end_ms=end_ms,
            as_of_ms=as_of_ms,
        ),
    )
    follow = follow_up_at(
        q(_FOLLOW_UP_SQL + r_where, (as_of_ms, start_ms, start_ms, end_ms, *ids), _FOLLOW_UP_COLS)
    )
    hashes = q(_HASH_SQL + where, (detail_from_ms, end_ms, *ids), _HASH_COLS)
    cases = q(_CASE_OVERDUE_SQL, (as_of_ms,) * 3, _CASE_OVERDUE_COLS)
    wos = q(_WO_OVERDUE_SQL, (as_of_ms,) * 3, _WO_OVERDUE_COLS)
    period = (start_ms if cycle_from_ms is None else cycle_from_ms, end_ms, as_of_ms)
    cohort = q(CASE_COHORT_SQL, period, CASE_COHORT_COLS)
    history = q(CASE_HISTORY_SQL, (*period, as_of_ms), CASE_HISTORY_COLS)
    frames = {
        "units": q("SELECT id, code, name, parent_id, path, depth FROM units", (), UNIT_COLS),
        "officers": q(
            "SELECT id, badge_no, name, unit_id, kind, status, created_at, updated_at "
            "FROM officers",
            (),
            OFFICER_COLS,
        ),
        "workorders": q(_WORKORDER_SQL, (as_of_ms, start_ms, end_ms, as_of_ms), WORKORDER_COLS),
        "overdue": overdue_at(cases, wos, as_of_ms),
        "cases": cases_at(cohort, history),
        "unit_ratings": q(UNIT_RATING_SQL, period, UNIT_RATING_COLS),
        "letters": q(LETTER_SQL, period, LETTER_COLS),
    }
    core, revisions = levels()
    return {**frames, "ratings": ratings_at(core, follow, revisions, hashes)}


async def read_frames(
    store: Store,
    fn: Callable[..., T],
    *args: Any,
    reader: colread.Reader | None = None,
    keep: Callable[[T], Any] | None = None,
) -> T:
    """Run `fn(query, *args)`, where `query(sql, params, schema)` returns a frame: on a
    SQLite file through the columnar reader in a process of its own (analytics.colread:
    the driver's SQLite never shares a process with the store's; `fn` and its arguments
    must pickle), on PostgreSQL (or if the driver cannot read a result as columns) through
    the store. A `reader` given is left holding the result, or `keep(result)` (the caller
    closes it); without one the reader process ends once it has answered."""
    path = fastread.sqlite_path(store)
    if path is not None:
        own = reader is None
        child = colread.Reader() if reader is None else reader
        try:
            return await asyncio.to_thread(
                functools.partial(child.read, path, fn, *args, keep=keep)
            )
        except (fastread.ColumnarReadError, colread.ChildReadError) as exc:
            # A result the driver cannot type, or the reader process failed (killed, out
            # of memory): the same frames through the store, only slower.
            log.warning("columnar read failed (%s); reading rows instead", exc)
        finally:
            if own:
                child.close()
    return await store.read(lambda tx: fn(_tx_query(tx), *args))


async def load_report_data(
    store: Store,
    start_ms: int,
    end_ms: int,
    as_of_ms: int,
    detail_from_ms: int | None = None,
    unit_ids: Sequence[int] | None = None,
    cycle_from_ms: int | None = None,
    reader: colread.Reader | None = None,
    keep: Callable[[dict[str, pd.DataFrame]], dict[str, pd.DataFrame]] | None = None,
) -> ReportData:
    """Ratings and work orders created in [start_ms, end_ms) and known at `as_of_ms`, with
    their follow-up state as it stood at `as_of_ms` (from the case history and the
    work-order revisions); the unit tree, the roster and the items overdue at `as_of_ms`.
    Device and network hashes are read only for ratings from `detail_from_ms` on (default:
    the whole window). `unit_ids` (a report's subtree) limits the ratings read to those
    units; work orders and overdue items are read whole (an order's unit may come from its
    officer). Cases (for the handling cycle), place ratings and letters are read from
    `cycle_from_ms` on (default: the whole window): the report period itself. With a
    `reader`, a columnar read leaves its process holding the frames, or those `keep` returns
    (see `report_data_from`)."""
    detail = start_ms if detail_from_ms is None else detail_from_ms
    end = min(end_ms, as_of_ms + 1)  # a rating made after the moment did not exist then
    frames = await read_frames(
        store,
        _read_all,
        start_ms,
        end,
        as_of_ms,
        detail,
        unit_ids,
        cycle_from_ms,
        reader=reader,
        keep=keep,
    )
    return ReportData(as_of_ms=as_of_ms, start_ms=start_ms, end_ms=end_ms, **frames)


# What analytics.integrity.integrity_tables reads of the report's frames: the reader
# process keeps only these while the report's process computes the rest (the two
# processes' memory adds up).
_INTEGRITY_RATING_COLUMNS = ["rating_id", "unit_id", "level", "created_at", "invalidated"]


def integrity_frames(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The part of `_read_all`'s frames the integrity tables read (the rest of ReportData
    stays at its empty defaults)."""
    kept = {name: frames[name] for name in ("units", "officers", "workorders", "overdue")}
    return {**kept, "ratings": frames["ratings"][_INTEGRITY_RATING_COLUMNS].copy()}


def report_data_from(
    frames: dict[str, pd.DataFrame],
    as_of_ms: int,
    start_ms: int,
    end_ms: int,
    fn: Callable[..., T],
    *args: Any,
) -> T:
    """`fn(data, *args)` for the ReportData of `frames` (what the reader process holds
    after `load_report_data`): run there with `Reader.call(report_data_from, ...)`."""
    data = ReportData(as_of_ms=as_of_ms, start_ms=start_ms, end_ms=end_ms, **frames)
    return fn(data, *args)


YEAR_COLS: Schema = (
    ("officer_id", "i64"),
    ("unit_id", "i64"),
    ("level", "i8"),
    ("created_at", "i64"),
    ("invalidated", "flag"),
)
# `+created_at` keeps the planner off the created_at index: a period that covers most of the
# table reads faster in one sequential scan than through the index (2.3M rows: 2.3 s vs 3.4 s
# in SQLite). Unary plus is standard SQL; PostgreSQL accepts it too.
_YEAR_SQL = """
SELECT officer_id, unit_id, level, created_at, CASE WHEN invalidated IS NULL THEN 0 ELSE 1 END
FROM ratings WHERE +created_at >= ? AND +created_at < ?
"""


def _read_levels(q: Query, start_ms: int, end_ms: int) -> dict[str, pd.DataFrame]:
    return {
        "units": q("SELECT id, code, name, parent_id, path, depth FROM units", (), UNIT_COLS),
        "ratings": q(_YEAR_SQL, (start_ms, end_ms), YEAR_COLS),
    }


async def subtree_ids(store: Store, ref: str | None) -> list[int] | None:
    """The ids of the unit `ref` (code or full path) and every unit below it; None for no
    unit or one that does not exist (the report then says so with the full unit list)."""
    if ref is None:
        return None
    units = await store.list_units()
    root = next((u for u in units if u.code == ref or u.path == ref.strip("/")), None)
    if root is None:
        return None
    return [u.id for u in units if u.path == root.path or u.path.startswith(root.path + "/")]


async def load_levels(store: Store, start_ms: int, end_ms: int) -> dict[str, pd.DataFrame]:
    """Only who, when and which level for every rating in [start_ms, end_ms) (plus the
    unit tree): enough for satisfaction, good and bad rates over a long period."""
    return await read_frames(store, _read_levels, start_ms, end_ms)

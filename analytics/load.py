"""Loading: the only I/O in analytics.

Reads exactly the rows and columns the weekly report needs (the report week plus the
trend window before it, which also holds the warning baseline), with explicit column lists,
into frames with integer, nullable-integer and categorical dtypes. Everything after this
module is frames in, new frame out.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from rating.store import Store
from rating.store.logic import Tx

# (column, dtype): "i64" int64, "n64" nullable Int64, "i8" int8, "cat" categorical,
# "str" object strings (None kept), "flag" bool from 0/1/None.
Schema = Sequence[tuple[str, str]]

UNIT_COLS: Schema = (
    ("unit_id", "i64"),
    ("code", "str"),
    ("name", "str"),
    ("parent_id", "n64"),
    ("path", "str"),
    ("depth", "i8"),
)
OFFICER_COLS: Schema = (
    ("officer_id", "i64"),
    ("badge_no", "str"),
    ("officer_name", "str"),
    ("unit_id", "i64"),
    ("kind", "cat"),
    ("status", "cat"),
    ("created_at", "i64"),
    ("updated_at", "i64"),
)
RATING_COLS: Schema = (
    ("rating_id", "i64"),
    ("officer_id", "i64"),
    ("unit_id", "i64"),
    ("level", "i8"),
    ("reasons", "cat"),
    ("device_hash", "str"),
    ("network_hash", "str"),
    ("created_at", "i64"),
    ("invalidated", "flag"),
    ("callback_at", "n64"),
    ("callback_outcome", "cat"),
    ("verification", "cat"),
    ("rectified_at", "n64"),
    ("rectify_due_at", "n64"),
    ("fix_rating", "cat"),
)
# Ratings are read in three narrow parts and joined here: every rating's integers (the bulk:
# all-integer rows convert to an array in one step), the reasons and case of bad ratings
# only, and device/network hashes of top ratings in the report week only (burst check).
_CORE_COLS: Schema = (
    ("rating_id", "i64"),
    ("officer_id", "i64"),
    ("unit_id", "i64"),
    ("level", "i8"),
    ("created_at", "i64"),
    ("invalidated", "flag"),
)
_CORE_SQL = """
SELECT id, officer_id, unit_id, level, created_at,
       CASE WHEN invalidated IS NULL THEN 0 ELSE 1 END
FROM ratings WHERE created_at >= ? AND created_at < ?
"""
_FOLLOW_UP_COLS: Schema = (
    ("rating_id", "i64"),
    ("reasons", "cat"),
    ("callback_at", "n64"),
    ("callback_outcome", "cat"),
    ("verification", "cat"),
    ("rectified_at", "n64"),
    ("rectify_due_at", "n64"),
    ("fix_rating", "cat"),
)
_FOLLOW_UP_SQL = """
SELECT r.id, r.reasons, c.callback_at, c.callback_outcome, c.verification, c.rectified_at,
       c.rectify_due_at, c.fix_rating
FROM ratings r LEFT JOIN cases c ON c.rating_id = r.id
WHERE r.created_at >= ? AND r.created_at < ? AND r.level <= 2
"""
_HASH_COLS: Schema = (("rating_id", "i64"), ("device_hash", "str"), ("network_hash", "str"))
_HASH_SQL = """
SELECT id, device_hash, network_hash FROM ratings
WHERE created_at >= ? AND created_at < ? AND level = 5
  AND (device_hash IS NOT NULL OR network_hash IS NOT NULL)
"""
WORKORDER_COLS: Schema = (
    ("workorder_id", "i64"),
    ("channel", "cat"),
    ("received_at", "i64"),
    ("unit_id", "n64"),
    ("officer_id", "n64"),
    ("due_at", "n64"),
    ("due_source", "cat"),
    ("closed_at", "n64"),
    ("callback_at", "n64"),
    ("callback_outcome", "cat"),
    ("satisfaction", "cat"),
    ("verification", "cat"),
    ("rectification", "cat"),
    ("rectified_at", "n64"),
)
_WORKORDER_SQL = """
SELECT id, channel, received_at, unit_id, officer_id, due_at, due_source, closed_at,
       callback_at, callback_outcome, satisfaction, verification, rectification, rectified_at
FROM workorders WHERE received_at >= ? AND received_at < ?
"""
OVERDUE_COLS: Schema = (
    ("item", "str"),
    ("item_id", "i64"),
    ("ref", "str"),
    ("unit_id", "n64"),
    ("officer_id", "n64"),
    ("stage", "str"),
    ("opened_at", "i64"),
    ("due_at", "i64"),
    ("provisional", "flag"),
)
# Overdue as the cases page defines it: a case past the deadline of the step it waits for
# (callback, retry, verification, start of rectification or closing, rectification); work
# orders still open past their due time.
_OVERDUE_SQL = """
SELECT 'case', c.id, r.receipt, c.unit_id, c.officer_id, 'callback', c.opened_at,
       c.callback_due_at, c.callback_due_provisional
FROM cases c JOIN ratings r ON r.id = c.rating_id
WHERE c.state = 'open' AND c.callback_due_at < ?
UNION ALL
SELECT 'case', c.id, r.receipt, c.unit_id, c.officer_id, 'rectify', c.opened_at,
       c.rectify_due_at, c.rectify_due_provisional
FROM cases c JOIN ratings r ON r.id = c.rating_id
WHERE c.state = 'rectifying' AND c.rectify_due_at < ?
UNION ALL
SELECT 'case', c.id, r.receipt, c.unit_id, c.officer_id,
       CASE WHEN c.state = 'called_back' AND c.callback_outcome = 'unreachable' THEN 'retry'
            WHEN c.state = 'called_back' THEN 'verify'
            WHEN c.verification IN ('substantiated', 'partly_substantiated')
                 THEN 'rectify_start'
            ELSE 'close' END,
       c.opened_at, c.step_due_at, c.step_due_provisional
FROM cases c JOIN ratings r ON r.id = c.rating_id
WHERE c.state IN ('called_back', 'verified') AND c.step_due_at < ?
UNION ALL
SELECT 'workorder', w.id, w.channel || ':' || w.order_no, w.unit_id, w.officer_id, 'closure',
       w.received_at, w.due_at, 0
FROM workorders w
WHERE w.closed_at IS NULL AND w.due_at IS NOT NULL AND w.due_at < ?
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


def frame(rows: Sequence[Sequence[Any]], schema: Schema) -> pd.DataFrame:
    """Rows (tuples, as the store returns them) → a frame with the schema's dtypes."""
    names = [name for name, _ in schema]
    if rows and all(kind in ("i64", "i8", "flag") for _, kind in schema):
        # No NULLs possible: one C-level conversion instead of a column-by-column walk.
        flat = itertools.chain.from_iterable(rows)
        block = np.fromiter(flat, dtype=np.int64, count=len(rows) * len(schema))
        block = block.reshape(len(rows), len(schema))
        dtypes = {"i64": np.int64, "i8": np.int8, "flag": bool}
        return pd.DataFrame(
            {n: block[:, j].astype(dtypes[k]) for j, (n, k) in enumerate(schema)}, columns=names
        )
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
    data: dict[str, Any] = {}
    for (name, kind), values in zip(schema, columns, strict=True):
        if kind == "i64":
            data[name] = np.fromiter(values, dtype=np.int64, count=len(values))
        elif kind == "i8":
            data[name] = np.fromiter(values, dtype=np.int8, count=len(values))
        elif kind == "n64":
            data[name] = pd.array(values, dtype="Int64")
        elif kind == "flag":
            data[name] = np.fromiter((bool(v) for v in values), dtype=bool, count=len(values))
        elif kind == "cat":
            data[name] = pd.Categorical(values)
        else:
            data[name] = np.array(values, dtype=object)
    return pd.DataFrame(data, columns=names)


def _ratings(tx: Tx, start_ms: int, end_ms: int, detail_from_ms: int) -> pd.DataFrame:
    core = frame(tx.all(_CORE_SQL, (start_ms, end_ms)), _CORE_COLS)
    follow = frame(tx.all(_FOLLOW_UP_SQL, (start_ms, end_ms)), _FOLLOW_UP_COLS)
    hashes = frame(tx.all(_HASH_SQL, (detail_from_ms, end_ms)), _HASH_COLS)
    joined = core.merge(follow, on="rating_id", how="left").merge(
        hashes, on="rating_id", how="left"
    )
    return joined[[name for name, _ in RATING_COLS]]


def _read_all(
    tx: Tx, start_ms: int, end_ms: int, as_of_ms: int, detail_from_ms: int
) -> dict[str, pd.DataFrame]:
    return {
        "units": frame(
            tx.all("SELECT id, code, name, parent_id, path, depth FROM units"), UNIT_COLS
        ),
        "officers": frame(
            tx.all(
                "SELECT id, badge_no, name, unit_id, kind, status, created_at, updated_at "
                "FROM officers"
            ),
            OFFICER_COLS,
        ),
        "ratings": _ratings(tx, start_ms, end_ms, detail_from_ms),
        "workorders": frame(tx.all(_WORKORDER_SQL, (start_ms, end_ms)), WORKORDER_COLS),
        "overdue": frame(tx.all(_OVERDUE_SQL, (as_of_ms,) * 4), OVERDUE_COLS),
    }


async def load_report_data(
    store: Store, start_ms: int, end_ms: int, as_of_ms: int, detail_from_ms: int | None = None
) -> ReportData:
    """Ratings and work orders created in [start_ms, end_ms), with their follow-up state
    now; the unit tree, the roster and the cases overdue at `as_of_ms`. Device and network
    hashes are read only for ratings from `detail_from_ms` on (default: the whole window)."""
    detail = start_ms if detail_from_ms is None else detail_from_ms
    frames = await store.read(_read_all, start_ms, end_ms, as_of_ms, detail)
    return ReportData(as_of_ms=as_of_ms, start_ms=start_ms, end_ms=end_ms, **frames)


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


def _read_levels(tx: Tx, start_ms: int, end_ms: int) -> dict[str, pd.DataFrame]:
    return {
        "units": frame(
            tx.all("SELECT id, code, name, parent_id, path, depth FROM units"), UNIT_COLS
        ),
        "ratings": frame(tx.all(_YEAR_SQL, (start_ms, end_ms)), YEAR_COLS),
    }


async def load_levels(store: Store, start_ms: int, end_ms: int) -> dict[str, pd.DataFrame]:
    """Only who, when and which level for every rating in [start_ms, end_ms) (plus the
    unit tree): enough for satisfaction, good and bad rates over a long period."""
    return await store.read(_read_levels, start_ms, end_ms)

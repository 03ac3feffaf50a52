"""Loading: the only I/O in analytics.

Reads exactly the rows and columns the weekly report needs (the report week plus the
trend window before it, which also holds the warning baseline), with explicit column lists,
into frames with integer, nullable-integer and categorical dtypes. Everything after this
module is frames in, new frame out.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from analytics import fastread
from rating.store import Store
from rating.store.logic import Tx

log = logging.getLogger("pingjing.report")
T = TypeVar("T")

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
# The latest snapshot of a case at or before the moment (?), from its history.
_CASE_AT = """(SELECT h2.id FROM case_history h2 WHERE h2.case_id = c.id AND h2.at <= ?
              ORDER BY h2.at DESC, h2.id DESC LIMIT 1)"""
_HAS_HISTORY = (
    "CASE WHEN EXISTS (SELECT 1 FROM case_history h3 WHERE h3.case_id = c.id) THEN 1 ELSE 0 END"
)
_CASE_FIELDS = (
    ("callback_at", "n64"),
    ("callback_outcome", "cat"),
    ("verification", "cat"),
    ("rectified_at", "n64"),
    ("rectify_due_at", "n64"),
    ("fix_rating", "cat"),
)
_FOLLOW_UP_COLS: Schema = (
    ("rating_id", "i64"),
    ("has_history", "flag"),
    ("found", "flag"),
    *((f"h_{n}", k) for n, k in _CASE_FIELDS),
    *((f"c_{n}", k) for n, k in _CASE_FIELDS),
)
# Driven from the cases (a case opens at or after its rating, so no earlier than the
# window's start), not from every rating of the window.
_FOLLOW_UP_SQL = f"""
SELECT r.id, {_HAS_HISTORY}, CASE WHEN h.id IS NULL THEN 0 ELSE 1 END,
       {", ".join(f"h.{n}" for n, _ in _CASE_FIELDS)},
       {", ".join(f"c.{n}" for n, _ in _CASE_FIELDS)}
FROM cases c JOIN ratings r ON r.id = c.rating_id
LEFT JOIN case_history h ON h.id = {_CASE_AT}
WHERE c.opened_at >= ? AND r.created_at >= ? AND r.created_at < ?
"""
_REVISION_COLS: Schema = (
    ("rating_id", "i64"),
    ("old_level", "i8"),
    ("old_reasons", "str"),
    ("replaced_at", "i64"),
    ("revision_id", "i64"),
)
_REVISION_SQL = """
SELECT v.rating_id, v.level, v.reasons, v.replaced_at, v.id
FROM rating_revisions v JOIN ratings r ON r.id = v.rating_id
WHERE r.created_at >= ? AND r.created_at < ? AND v.replaced_at > ?
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
# A work order's value at the moment: that of the first revision replaced after it (the
# values a later import or alias re-match overwrote), else the stored one.
_WO_AT = """(SELECT v2.id FROM workorder_revisions v2 WHERE v2.workorder_id = w.id
             AND v2.replaced_at > ? ORDER BY v2.replaced_at, v2.id LIMIT 1)"""


def _wo_value(col: str) -> str:
    return f"CASE WHEN v.id IS NULL THEN w.{col} ELSE v.{col} END"


_WORKORDER_SQL = f"""
SELECT w.id, w.channel,
       {", ".join(_wo_value(n) for n, _ in WORKORDER_COLS[2:])}
FROM workorders w LEFT JOIN workorder_revisions v ON v.id = {_WO_AT}
WHERE w.received_at >= ? AND w.received_at < ? AND w.created_at <= ?
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
# Overdue at the moment: a case past the deadline of the step it waited for then (callback,
# retry, verification, start of rectification or closing, rectification), a work order not
# closed then past its due time. Candidates: not closed now, or changed since the moment.
_STEP_FIELDS = (
    ("state", "str"),
    ("callback_outcome", "str"),
    ("verification", "str"),
    ("callback_due_at", "n64"),
    ("callback_due_provisional", "flag"),
    ("step_due_at", "n64"),
    ("step_due_provisional", "flag"),
    ("rectify_due_at", "n64"),
    ("rectify_due_provisional", "flag"),
)
_CASE_OVERDUE_COLS: Schema = (
    ("item_id", "i64"),
    ("ref", "str"),
    ("unit_id", "n64"),
    ("officer_id", "n64"),
    ("opened_at", "i64"),
    ("has_history", "flag"),
    ("found", "flag"),
    *((f"h_{n}", k) for n, k in _STEP_FIELDS),
    *((f"c_{n}", k) for n, k in _STEP_FIELDS),
)
_CASE_OVERDUE_SQL = f"""
SELECT c.id, r.receipt, c.unit_id, c.officer_id, c.opened_at, {_HAS_HISTORY},
       CASE WHEN h.id IS NULL THEN 0 ELSE 1 END,
       {", ".join(f"h.{n}" for n, _ in _STEP_FIELDS)},
       {", ".join(f"c.{n}" for n, _ in _STEP_FIELDS)}
FROM cases c JOIN ratings r ON r.id = c.rating_id
LEFT JOIN case_history h ON h.id = {_CASE_AT}
WHERE (c.state <> 'closed' OR c.updated_at > ?) AND +c.opened_at <= ?
"""
_WO_OVERDUE_COLS: Schema = (
    ("item_id", "i64"),
    ("ref", "str"),
    ("unit_id", "n64"),
    ("officer_id", "n64"),
    ("opened_at", "i64"),
    ("due_at", "n64"),
    ("closed_at", "n64"),
)
_WO_OVERDUE_SQL = f"""
SELECT w.id, w.channel || ':' || w.order_no, {_wo_value("unit_id")}, {_wo_value("officer_id")},
       {_wo_value("received_at")}, {_wo_value("due_at")}, {_wo_value("closed_at")}
FROM workorders w LEFT JOIN workorder_revisions v ON v.id = {_WO_AT}
WHERE (w.closed_at IS NULL OR w.updated_at > ?) AND w.created_at <= ?
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


def _pick(frame_: pd.DataFrame, use_history: pd.Series, names: Sequence[str]) -> pd.DataFrame:
    """Per row, the history's value (`h_<name>`) where `use_history`, else the current
    one (`c_<name>`): cases stored before their history was kept read as they stand."""
    picked = {}
    for n in names:
        h, c = frame_[f"h_{n}"], frame_[f"c_{n}"]
        if isinstance(h.dtype, pd.CategoricalDtype) or h.dtype == object:
            picked[n] = pd.Series(
                np.where(use_history, h.astype(object), c.astype(object)), index=frame_.index
            ).astype(h.dtype if h.dtype == object else "category")
        else:
            picked[n] = h.where(use_history, c)
    return pd.DataFrame(picked, index=frame_.index)


def follow_up_at(follow: pd.DataFrame) -> pd.DataFrame:
    """Bad ratings' case fields as of the moment the follow-up query was run for: from the
    case history where the case has one (nothing when the case did not exist yet), else the
    case row itself; `invalidated_at` 1/0 from the verification then (NA: no history)."""
    use = follow["has_history"].to_numpy(bool)
    fields = [n for n, _ in _CASE_FIELDS]
    out = _pick(follow, pd.Series(use, index=follow.index), fields)
    invalid = (out["verification"] == "mistaken_malicious").fillna(False).astype("Int64")
    return out.assign(
        rating_id=follow["rating_id"],
        invalidated_at=invalid.where(pd.Series(use, index=follow.index)),
    )


def ratings_at(
    core: pd.DataFrame, follow: pd.DataFrame, revisions: pd.DataFrame, hashes: pd.DataFrame
) -> pd.DataFrame:
    """The rating frame (RATING_COLS) as of the moment: the level and reasons a later
    amendment replaced, invalidation and case fields from the history (`follow_up_at`)."""
    first = revisions.sort_values(["rating_id", "replaced_at", "revision_id"])
    first = first.drop_duplicates("rating_id")[["rating_id", "old_level", "old_reasons"]]
    # The few ratings with a case, a hash or an amendment, joined once onto all of them.
    extra = follow.merge(hashes, on="rating_id", how="outer").merge(
        first, on="rating_id", how="outer"
    )
    joined = core.merge(extra, on="rating_id", how="left")
    amended = joined["old_level"].notna().to_numpy(bool)
    if amended.any():
        level = joined["level"].where(~amended, joined["old_level"]).astype(np.int8)
        reasons = joined["reasons"].astype(object).where(~amended, joined["old_reasons"])
        reasons = pd.Categorical(reasons.fillna("").where(level <= 2))
    else:
        level, reasons = joined["level"], joined["reasons"]
    invalid = joined["invalidated_at"].astype("Int64")
    invalidated = invalid.fillna(joined["invalidated"].astype("Int64")).astype(bool)
    out = joined.assign(level=level, reasons=reasons, invalidated=invalidated)
    return out[[name for name, _ in RATING_COLS]].reset_index(drop=True)


_STEP_OF_STATE = {
    "open": ("callback", "callback_due_at", "callback_due_provisional"),
    "rectifying": ("rectify", "rectify_due_at", "rectify_due_provisional"),
}


def overdue_at(cases: pd.DataFrame, workorders: pd.DataFrame, as_of_ms: int) -> pd.DataFrame:
    """Overdue items (OVERDUE_COLS) at the moment, from the candidates the overdue queries
    read: each case's state then and the deadline of the step it waited for."""
    use = cases["has_history"].to_numpy(bool)
    existed = ~use | cases["found"].to_numpy(bool)
    live = cases[existed]
    st = _pick(live, pd.Series(use[existed], index=live.index), [n for n, _ in _STEP_FIELDS])
    state = st["state"].astype(object)
    outcome = st["callback_outcome"].astype(object)
    substantiated = st["verification"].isin(("substantiated", "partly_substantiated"))
    step = np.select(
        [
            state == "open",
            (state == "called_back") & (outcome == "unreachable"),
            state == "called_back",
            (state == "verified") & substantiated,
            state == "verified",
            state == "rectifying",
        ],
        ["callback", "retry", "verify", "rectify_start", "close", "rectify"],
        default="",
    )
    due = st["step_due_at"].copy()
    provisional = st["step_due_provisional"].copy()
    for name, (_, due_col, prov_col) in _STEP_OF_STATE.items():
        due = due.where(state != name, st[due_col])
        provisional = provisional.where(state != name, st[prov_col])
    late = (step != "") & (due < as_of_ms).fillna(False).to_numpy(bool)
    case_rows = pd.DataFrame(
        {
            "item": "case",
            "item_id": live["item_id"],
            "ref": live["ref"],
            "unit_id": live["unit_id"],
            "officer_id": live["officer_id"],
            "stage": step,
            "opened_at": live["opened_at"],
            "due_at": due,
            "provisional": provisional.astype(bool),
        }
    )[late]
    open_then = workorders["closed_at"].isna() | (workorders["closed_at"] > as_of_ms)
    wo_late = open_then & (workorders["due_at"] < as_of_ms)
    wos = workorders[wo_late.fillna(False).astype(bool)]
    wo_rows = pd.DataFrame(
        {
            "item": "workorder",
            "item_id": wos["item_id"],
            "ref": wos["ref"],
            "unit_id": wos["unit_id"],
            "officer_id": wos["officer_id"],
            "stage": "closure",
            "opened_at": wos["opened_at"],
            "due_at": wos["due_at"],
            "provisional": False,
        }
    )
    out = pd.concat([case_rows, wo_rows], ignore_index=True)
    names = [n for n, _ in OVERDUE_COLS]
    return out.astype(
        {
            "item": object,
            "item_id": np.int64,
            "ref": object,
            "unit_id": "Int64",
            "officer_id": "Int64",
            "stage": object,
            "opened_at": np.int64,
            "due_at": np.int64,
            "provisional": bool,
        }
    )[names]


Query = Callable[[str, Sequence[Any], Schema], pd.DataFrame]


def _tx_query(tx: Tx) -> Query:
    return lambda sql, params, schema: frame(tx.all(sql, params), schema)


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
) -> dict[str, pd.DataFrame]:
    where, ids = _in_units("unit_id", unit_ids)
    r_where, _ = _in_units("r.unit_id", unit_ids)
    core = q(_CORE_SQL + where, (start_ms, end_ms, *ids), _CORE_COLS)
    follow = follow_up_at(
        q(_FOLLOW_UP_SQL + r_where, (as_of_ms, start_ms, start_ms, end_ms, *ids), _FOLLOW_UP_COLS)
    )
    revisions = q(_REVISION_SQL + r_where, (start_ms, end_ms, as_of_ms, *ids), _REVISION_COLS)
    hashes = q(_HASH_SQL + where, (detail_from_ms, end_ms, *ids), _HASH_COLS)
    cases = q(_CASE_OVERDUE_SQL, (as_of_ms,) * 3, _CASE_OVERDUE_COLS)
    wos = q(_WO_OVERDUE_SQL, (as_of_ms,) * 3, _WO_OVERDUE_COLS)
    return {
        "units": q("SELECT id, code, name, parent_id, path, depth FROM units", (), UNIT_COLS),
        "officers": q(
            "SELECT id, badge_no, name, unit_id, kind, status, created_at, updated_at "
            "FROM officers",
            (),
            OFFICER_COLS,
        ),
        "ratings": ratings_at(core, follow, revisions, hashes),
        "workorders": q(_WORKORDER_SQL, (as_of_ms, start_ms, end_ms, as_of_ms), WORKORDER_COLS),
        "overdue": overdue_at(cases, wos, as_of_ms),
    }


def _read_columns(path: str, fn: Callable[..., T], *args: Any) -> T:
    with fastread.column_reader(path) as reader:
        return fn(reader.query, *args)


async def read_frames(store: Store, fn: Callable[..., T], *args: Any) -> T:
    """Run `fn(query, *args)`, where `query(sql, params, schema)` returns a frame: on a
    SQLite file through the columnar reader (its own connection, off the event loop), on
    PostgreSQL (or if the driver cannot read a result as columns) through the store."""
    path = fastread.sqlite_path(store)
    if path is not None:
        try:
            return await asyncio.to_thread(_read_columns, path, fn, *args)
        except fastread.ColumnarReadError as exc:
            log.warning("columnar read failed (%s); reading rows instead", exc)
    return await store.read(lambda tx: fn(_tx_query(tx), *args))


async def load_report_data(
    store: Store,
    start_ms: int,
    end_ms: int,
    as_of_ms: int,
    detail_from_ms: int | None = None,
    unit_ids: Sequence[int] | None = None,
) -> ReportData:
    """Ratings and work orders created in [start_ms, end_ms) and known at `as_of_ms`, with
    their follow-up state as it stood at `as_of_ms` (from the case history and the
    work-order revisions); the unit tree, the roster and the items overdue at `as_of_ms`.
    Device and network hashes are read only for ratings from `detail_from_ms` on (default:
    the whole window). `unit_ids` (a report's subtree) limits the ratings read to those
    units; work orders and overdue items are read whole (an order's unit may come from its
    officer)."""
    detail = start_ms if detail_from_ms is None else detail_from_ms
    end = min(end_ms, as_of_ms + 1)  # a rating made after the moment did not exist then
    frames = await read_frames(store, _read_all, start_ms, end, as_of_ms, detail, unit_ids)
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

"""Reading follow-up "as of" the report moment, from the event history.

A case's fields at a moment are those of its last `case_history` snapshot at or before it
(a case stored before the history existed reads as it stands); a work order's are those of
the first `workorder_revisions` row replaced after it, else the stored row. The SQL here
reads the candidates; the functions turn them into the report's frames.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analytics.frames import CASE_FOLLOW_UP_COLS, OVERDUE_COLS, RATING_COLS, WORKORDER_COLS, Schema

# The latest snapshot of a case at or before the moment (?), from its history.
_CASE_AT = """(SELECT h2.id FROM case_history h2 WHERE h2.case_id = c.id AND h2.at <= ?
              ORDER BY h2.at DESC, h2.id DESC LIMIT 1)"""
# 1 when the case (c) has a history row: its fields as of a moment come from the history.
HAS_HISTORY_SQL = (
    "CASE WHEN EXISTS (SELECT 1 FROM case_history h3 WHERE h3.case_id = c.id) THEN 1 ELSE 0 END"
)
_FOLLOW_UP_COLS: Schema = (
    ("rating_id", "i64"),
    ("has_history", "flag"),
    ("found", "flag"),
    *((f"h_{n}", k) for n, k in CASE_FOLLOW_UP_COLS),
    *((f"c_{n}", k) for n, k in CASE_FOLLOW_UP_COLS),
)
# Driven from the cases (a case opens at or after its rating, so no earlier than the
# window's start), not from every rating of the window: the unary plus keeps SQLite's
# planner off the ratings' created_at index (it would otherwise look up a case for each of
# the window's 1.6M ratings at three times a city's scale, for the 95,000 that have one).
_FOLLOW_UP_SQL = f"""
SELECT r.id, {HAS_HISTORY_SQL}, CASE WHEN h.id IS NULL THEN 0 ELSE 1 END,
       {", ".join(f"h.{n}" for n, _ in CASE_FOLLOW_UP_COLS)},
       {", ".join(f"c.{n}" for n, _ in CASE_FOLLOW_UP_COLS)}
FROM cases c JOIN ratings r ON r.id = c.rating_id
LEFT JOIN case_history h ON h.id = {_CASE_AT}
WHERE c.opened_at >= ? AND +r.created_at >= ? AND +r.created_at < ?
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
SELECT c.id, r.receipt, c.unit_id, c.officer_id, c.opened_at, {HAS_HISTORY_SQL},
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
    fields = [n for n, _ in CASE_FOLLOW_UP_COLS]
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

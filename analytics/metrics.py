"""Metric functions: frames in, new frame out (see docs/metrics.md for the formulas).

The pipeline is: per-item indicator columns (`rating_items`, `workorder_items`) → counts per
week × unit × officer (`count_items`) → roll-up to every ancestor unit (`rollup`) → rates
(`add_rates`) → week-over-week change (`week_over_week`). Counts are integers; a rate whose
denominator is zero is NaN, which the renderers show as an empty cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.periods import week_start_days

NO_ID = -1  # a work order without a matched unit or officer

RATING_COUNTS = (
    "ratings",
    "invalidated",
    "valid",
    "satisfied",
    "good",
    "bad",
    "cb_due",
    "cb_done",
    "cb_reached",
    "substantiated",
    "rectified",
    "rectified_on_time",
    "fix_answered",
    "fix_ok",
)
WORKORDER_COUNTS = (
    "wo_received",
    "wo_due_sla",
    "wo_closed",
    "wo_closed_on_time",
    "wo_ontime_due",
    "wo_cb_due",
    "wo_cb_done",
    "wo_cb_reached",
    "wo_cb_answered",
    "wo_satisfied",
    "wo_substantiated",
    "wo_rectified",
)
COUNTS = RATING_COUNTS + WORKORDER_COUNTS
SUBSTANTIATED = ("substantiated", "partly_substantiated")


@dataclass(frozen=True)
class Rate:
    name: str
    label: str
    numerator: tuple[str, ...]
    denominator: tuple[str, ...]


RATES: tuple[Rate, ...] = (
    Rate("satisfaction_rate", "满意率", ("satisfied",), ("valid",)),
    Rate("good_rate", "好评率", ("good",), ("valid",)),
    Rate("bad_rate", "差评率", ("bad",), ("valid",)),
    Rate("callback_rate", "回访率", ("cb_done", "wo_cb_done"), ("cb_due", "wo_cb_due")),
    Rate(
        "effective_callback_rate",
        "有效回访率",
        ("cb_reached", "wo_cb_reached"),
        ("cb_due", "wo_cb_due"),
    ),
    Rate("hotline_satisfaction", "工单满意率", ("wo_satisfied",), ("wo_cb_answered",)),
    Rate(
        "rectification_rate",
        "整改率",
        ("rectified", "wo_rectified"),
        ("substantiated", "wo_substantiated"),
    ),
    Rate("ontime_rectification_rate", "按时整改率", ("rectified_on_time",), ("substantiated",)),
    Rate("ontime_closure_rate", "按时办结率", ("wo_closed_on_time",), ("wo_ontime_due",)),
    Rate("fix_ok_rate", "整改后满意率", ("fix_ok",), ("fix_answered",)),
)
RATE_NAMES = tuple(r.name for r in RATES)


def _done_by(times: pd.Series, as_of_ms: int) -> pd.Series:
    """True where a nullable time is set and not later than the report moment."""
    return (times.notna() & (times <= as_of_ms)).fillna(False).astype(bool)


def rating_items(
    ratings: pd.DataFrame, week_start: int, as_of_ms: int, basic_counts_satisfied: bool
) -> pd.DataFrame:
    """One row per rating: week, unit, officer and 0/1 indicator columns.

    A rating verified as 误评/恶意 (`invalidated`) is not a valid rating, but its callback
    stays due (the callback is how the mistake was found out): it counts in `ratings`,
    `invalidated`, `cb_due`, `cb_done` and `cb_reached`. Follow-up steps count when done no
    later than `as_of_ms`.
    """
    valid = ~ratings["invalidated"].astype(bool)
    level = ratings["level"]
    any_bad = level <= 2
    bad = valid & any_bad
    substantiated = bad & ratings["verification"].isin(SUBSTANTIATED)
    rectified = substantiated & _done_by(ratings["rectified_at"], as_of_ms)
    on_time = (
        rectified & (ratings["rectified_at"] <= ratings["rectify_due_at"]).fillna(False)
    ).astype(bool)
    fix_answered = rectified & ratings["fix_rating"].notna()
    cb_done = any_bad & _done_by(ratings["callback_at"], as_of_ms)
    columns = {
        "week": week_start_days(ratings["created_at"], week_start),
        "unit_id": ratings["unit_id"].astype(np.int64),
        "officer_id": ratings["officer_id"].astype(np.int64),
        "ratings": True,
        "invalidated": ~valid,
        "valid": valid,
        "satisfied": valid & (level >= (3 if basic_counts_satisfied else 4)),
        "good": valid & (level >= 4),
        "bad": bad,
        "cb_due": any_bad,
        "cb_done": cb_done,
        "cb_reached": cb_done & (ratings["callback_outcome"] == "reached"),
        "substantiated": substantiated,
        "rectified": rectified,
        "rectified_on_time": on_time,
        "fix_answered": fix_answered,
        "fix_ok": fix_answered & ratings["fix_rating"].isin(("satisfied", "basically_satisfied")),
    }
    out = pd.DataFrame(columns, index=ratings.index)
    # Indicators stay 1-byte booleans (8x less memory than int64 on a city's 12 weeks);
    # count_items sums them into int64 counts.
    return out.astype({c: bool for c in RATING_COUNTS}).reset_index(drop=True)


LEVEL_COUNTS = ("ratings", "invalidated", "valid", "satisfied", "good", "bad")
LEVEL_RATES = tuple(r for r in RATES if r.name in ("satisfaction_rate", "good_rate", "bad_rate"))


def level_counts(
    ratings: pd.DataFrame, keys: Sequence[str], week_start: int, basic_counts_satisfied: bool
) -> pd.DataFrame:
    """Counts of LEVEL_COUNTS per `keys` (any of week, unit_id, officer_id), from level,
    created_at and invalidated alone: the same numbers as `rating_items` + `count_items`
    for these columns, without the follow-up columns (for long periods)."""
    valid = ~ratings["invalidated"].astype(bool)
    level = ratings["level"]
    items = pd.DataFrame(
        {
            "week": week_start_days(ratings["created_at"], week_start),
            "unit_id": ratings["unit_id"],
            "officer_id": ratings["officer_id"],
            "ratings": np.ones(len(ratings), dtype=np.int64),
            "invalidated": ~valid,
            "valid": valid,
            "satisfied": valid & (level >= (3 if basic_counts_satisfied else 4)),
            "good": valid & (level >= 4),
            "bad": valid & (level <= 2),
        }
    )
    return count_items(items, keys, LEVEL_COUNTS)


def attribute_units(items: pd.DataFrame, officers: pd.DataFrame) -> pd.DataFrame:
    """Items (work orders, overdue rows) whose unit did not match but whose officer did,
    given the officer's unit; the rest unchanged."""
    officer_unit = pd.Series(
        officers["unit_id"].to_numpy(np.int64), index=officers["officer_id"].to_numpy(np.int64)
    )
    unit = items["unit_id"].astype("Int64")
    from_officer = items["officer_id"].astype("Int64").map(officer_unit).astype("Int64")
    return items.assign(unit_id=unit.fillna(from_officer))


def workorder_items(workorders: pd.DataFrame, week_start: int, as_of_ms: int) -> pd.DataFrame:
    """One row per work order: week (of receipt), unit, officer, channel and indicators.

    An order without a matched unit or officer gets `NO_ID` there.
    """
    closed = _done_by(workorders["closed_at"], as_of_ms)
    due = workorders["due_at"]
    has_due = due.notna().fillna(False).astype(bool)
    ontime_due = has_due & (closed | (due < as_of_ms).fillna(False).astype(bool))
    closed_on_time = (closed & has_due & (workorders["closed_at"] <= due).fillna(False)).astype(
        bool
    )
    called = workorders["callback_outcome"].notna() | workorders["callback_at"].notna()
    cb_done = closed & called
    cb_reached = cb_done & (workorders["callback_outcome"] == "reached")
    # Hotline satisfaction asks the citizens who were reached and gave an answer, whether
    # the order is closed yet or not.
    reached = (workorders["callback_outcome"] == "reached").fillna(False).astype(bool)
    answered = reached & workorders["satisfaction"].notna()
    substantiated = workorders["verification"].isin(SUBSTANTIATED)
    columns = {
        "week": week_start_days(workorders["received_at"], week_start),
        "unit_id": workorders["unit_id"].fillna(NO_ID).astype(np.int64),
        "officer_id": workorders["officer_id"].fillna(NO_ID).astype(np.int64),
        "channel": workorders["channel"],
        "wo_received": True,
        "wo_due_sla": (workorders["due_source"] == "sla").fillna(False).astype(bool),
        "wo_closed": closed,
        "wo_closed_on_time": closed_on_time,
        "wo_ontime_due": ontime_due,
        "wo_cb_due": closed,
        "wo_cb_done": cb_done,
        "wo_cb_reached": cb_reached,
        "wo_cb_answered": answered,
        "wo_satisfied": answered
        & workorders["satisfaction"].isin(("satisfied", "basically_satisfied")),
        "wo_substantiated": substantiated,
        "wo_rectified": substantiated & (workorders["rectification"] == "done"),
    }
    out = pd.DataFrame(columns, index=workorders.index)
    return out.astype({c: bool for c in WORKORDER_COUNTS}).reset_index(drop=True)


def _integer_key(items: pd.DataFrame, keys: Sequence[str]) -> np.ndarray | None:
    """One int64 per row whose order is the lexicographic order of the integer `keys`
    (None when a key is not an integer column or the product would overflow)."""
    key = np.zeros(len(items), dtype=np.int64)
    span = 1
    for k in keys:
        col = items[k]
        if not pd.api.types.is_integer_dtype(col.dtype) or col.isna().any():
            return None
        values = col.to_numpy(np.int64)
        low = int(values.min()) if len(values) else 0
        width = (int(values.max()) - low + 1) if len(values) else 1
        span *= width
        if span >= 2**62:
            return None
        key = key * width + (values - low)
    return key


def _sorted_factorize(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`pd.factorize(key, sort=True)` for int64 keys: factorised in order of appearance,
    then only the distinct keys sorted and the codes renumbered (pandas' sort=True takes
    about twice as long on a city's 1.6M ratings)."""
    codes, uniques = pd.factorize(key, sort=False)
    order = np.argsort(uniques)
    rank = np.empty(len(uniques), dtype=codes.dtype)
    rank[order] = np.arange(len(uniques), dtype=codes.dtype)
    return rank[codes], uniques[order]


def count_items(
    items: pd.DataFrame, keys: Sequence[str], columns: Sequence[str] = COUNTS
) -> pd.DataFrame:
    """Sum the indicator columns per key; every count column of `columns` is present (0
    when the items had none of that kind)."""
    present = [c for c in columns if c in items.columns]
    combined = _integer_key(items, keys)
    if combined is None:
        grouped = items.groupby(list(keys), observed=True, sort=True)[present].sum()
        grouped = grouped.reset_index()
    else:
        # Integer keys (week, unit, officer): one sorted factorisation and a bincount per
        # column, several times faster than a three-key groupby on a city's ratings.
        codes, uniques = _sorted_factorize(combined)
        first = np.zeros(len(uniques), dtype=np.int64)
        first[codes[::-1]] = np.arange(len(codes))[::-1]  # a row of each group
        data: dict[str, np.ndarray] = {
            k: items[k].to_numpy()[first].astype(items[k].dtype) for k in keys
        }
        # The counts go straight into one 2-D block in their final order (missing kinds
        # stay 0): a frame of separate columns would copy them all into a block again.
        block = np.zeros((len(columns), len(uniques)), dtype=np.int64)
        for row, c in enumerate(columns):
            if c not in items.columns:
                continue
            values = items[c].to_numpy()
            if values.dtype == bool:  # an indicator: count the rows where it is set
                block[row] = np.bincount(codes[values], minlength=len(uniques))
                continue
            weights = values.astype(np.float64)
            block[row] = np.bincount(codes, weights=weights, minlength=len(uniques))
        counts = pd.DataFrame(block.T, columns=list(columns), copy=False)
        return pd.concat([pd.DataFrame(data, columns=list(keys)), counts], axis=1)
    missing = {c: np.int64(0) for c in columns if c not in present}
    out = grouped.assign(**missing) if missing else grouped
    return out[[*keys, *columns]].astype({c: np.int64 for c in columns})


def combine_counts(a: pd.DataFrame, b: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Add two count frames key by key (outer: a key in either appears)."""
    both = pd.concat([a, b], ignore_index=True)
    del a, b  # the parts (the caller's temporaries) go before the sum is made
    return count_items(both, keys)


def ancestors(units: pd.DataFrame) -> pd.DataFrame:
    """(unit_id, ancestor_id) for every unit and each unit above it, itself included."""
    parent = dict(
        zip(units["unit_id"].tolist(), units["parent_id"].astype("object").tolist(), strict=True)
    )
    pairs: list[tuple[int, int]] = []
    for uid in parent:
        seen: set[int] = set()
        cur: object = uid
        while cur is not None and cur is not pd.NA and cur not in seen:
            seen.add(int(cur))  # type: ignore[call-overload]
            pairs.append((uid, int(cur)))  # type: ignore[call-overload]
            cur = parent.get(int(cur))  # type: ignore[call-overload]
    return pd.DataFrame(pairs, columns=["unit_id", "ancestor_id"]).astype(np.int64)


def rollup(
    counts: pd.DataFrame,
    tree: pd.DataFrame,
    keys: Sequence[str] = (),
    columns: Sequence[str] = COUNTS,
) -> pd.DataFrame:
    """Per-unit counts (with `unit_id` and any extra `keys`, e.g. week) summed into every
    ancestor: a unit's row holds its own items plus its whole subtree's."""
    # Summed per unit first: a frame of single items (2.3M ratings a week's trend reads)
    # would otherwise be copied once per ancestor by the merge.
    per_unit = count_items(counts, [*keys, "unit_id"], columns)
    joined = per_unit.merge(tree, on="unit_id", how="inner")
    summed = joined.drop(columns=["unit_id"]).rename(columns={"ancestor_id": "unit_id"})
    return count_items(summed, [*keys, "unit_id"], columns)


def add_rates(counts: pd.DataFrame, rates_: Sequence[Rate] = RATES) -> pd.DataFrame:
    """Counts plus one column per rate (default: all of RATES); NaN where the denominator
    is zero."""
    rates = {}
    for rate in rates_:
        num = sum(counts[c].to_numpy(np.float64) for c in rate.numerator)
        den = sum(counts[c].to_numpy(np.float64) for c in rate.denominator)
        with np.errstate(invalid="ignore", divide="ignore"):
            rates[rate.name] = pd.Series(
                np.where(den > 0, num / np.where(den > 0, den, 1), np.nan), index=counts.index
            )
    return counts.assign(**rates)


def week_over_week(
    rates: pd.DataFrame, week: int, keys: Sequence[str], columns: Sequence[str] = RATE_NAMES
) -> pd.DataFrame:
    """The rows of `week` with, per rate, `<rate>_wow` = this week − the week before
    (in rate units; NaN when either week has no denominator)."""
    this = rates[rates["week"] == week].drop(columns=["week"])
    prev = rates.loc[rates["week"] == week - 7, [*keys, *columns]]
    prev = prev.rename(columns={c: f"{c}__prev" for c in columns})
    merged = this.merge(prev, on=list(keys), how="left")
    changes = {f"{c}_wow": merged[c] - merged[f"{c}__prev"] for c in columns}
    return merged.drop(columns=[f"{c}__prev" for c in columns]).assign(**changes)


def reasons_count(ratings: pd.DataFrame, week_days: pd.Series, week: int) -> pd.DataFrame:
    """Valid bad ratings of `week` by reason code (a rating with several reasons counts
    under each; one without any under 'none')."""
    mask = (week_days == week) & ~ratings["invalidated"].astype(bool) & (ratings["level"] <= 2)
    reasons = ratings.loc[mask, "reasons"].astype(str).replace("", "none")
    exploded = reasons.str.split(",").explode()
    out = exploded.value_counts().rename_axis("reason").reset_index(name="bad_ratings")
    return out.sort_values(["bad_ratings", "reason"], ascending=[False, True], ignore_index=True)


def roster_at(officers: pd.DataFrame, start_ms: int, end_ms: int) -> pd.DataFrame:
    """Officers on the roster at some time in [start_ms, end_ms): added before its end and
    not retired before its start (a retired officer's `updated_at` is the retirement)."""
    retired_before = (officers["status"] == "retired") & (officers["updated_at"] < start_ms)
    on = (officers["created_at"] < end_ms) & ~retired_before
    return officers.loc[on, ["officer_id", "unit_id"]].reset_index(drop=True)


def participation(
    rated: pd.DataFrame, roster: pd.DataFrame, tree: pd.DataFrame, scope: pd.Series | None = None
) -> pd.DataFrame:
    """Per unit (subtree): officers of the unit at the time, those of them with a valid
    rating, and 人均评价 = valid ratings / officers (NaN for a unit without officers).

    `rated` holds the week's counts per officer × unit (`valid`); `roster` the officers on
    the roster during the week (`roster_at`). An officer counts in the unit their ratings
    of the week name (a moved officer counts where they served), else in their roster
    unit. `scope` (unit ids) limits the officers to a report's subtree.
    """
    rated = rated.loc[rated["officer_id"] != NO_ID, ["officer_id", "unit_id", "valid"]]
    # The unit with the most valid ratings of the week (ties: the lower id) is the officer's.
    where = rated.sort_values(["officer_id", "valid", "unit_id"], ascending=[True, False, True])
    where = where.drop_duplicates("officer_id")[["officer_id", "unit_id"]]
    valid = rated.groupby("officer_id", as_index=False)["valid"].sum()
    unrated = roster[~roster["officer_id"].isin(where["officer_id"])]
    people = pd.concat([where, unrated[["officer_id", "unit_id"]]], ignore_index=True)
    if scope is not None:
        people = people[people["unit_id"].isin(scope)]
    per_officer = people.merge(valid, on="officer_id", how="left").fillna({"valid": 0})
    per_officer = per_officer.assign(rated=(per_officer["valid"] > 0).astype(np.int64))
    up = per_officer.merge(tree, on="unit_id").groupby("ancestor_id", as_index=False)
    out = up.agg(
        active_officers=("officer_id", "count"),
        officers_rated=("rated", "sum"),
        officer_valid=("valid", "sum"),
    ).rename(columns={"ancestor_id": "unit_id"})
    den = out["active_officers"].astype(float)
    return out.assign(
        ratings_per_officer=out["officer_valid"] / den.where(den > 0),
        officers_rated=out["officers_rated"].astype(np.int64),
        active_officers=out["active_officers"].astype(np.int64),
    ).drop(columns=["officer_valid"])

"""Handling cycle, closure, reply and on-time by step, per channel and unit (docs/metrics.md).

Every intake that is worked in the loop — a case of any source, a hotline work order — is
one item: received at its receipt (a case's opening, an order's received time), closed at
its closure, both as they stood at the report moment. Per channel and per unit (rolled up
the unit tree) the report shows:

- handling cycle 办理周期: median and 90th percentile of the hours from receipt to closure,
  over the items closed by the moment;
- closure 办结率 = closed by the moment / received; same-day closure 当日办结率 = closed
  before the end of the (Asia/Shanghai) day of receipt / received on a day that has ended;
- reply 回复率 = items with a reply / items dispatched: a hotline order was dispatched to the
  bureau by the hotline and its reply is its own closure (办结回复); a case is dispatched
  when `dispatched_at` is set and replied when `replied_at` is (both by the moment);
- on time by step: for callback, verification, rectification and closure, done no later
  than the step's due time / steps whose due time has passed or that are done.

The case fields are read as of the moment from the case history (`cases_at`); the work
orders come already as of the moment from analytics.load.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analytics.asof import HAS_HISTORY_SQL
from analytics.frames import Schema
from analytics.metrics import NO_ID, SUBSTANTIATED, Rate, add_rates, count_items
from analytics.periods import DAY_MS, SHANGHAI_OFFSET_MS

HOUR_MS = 3_600_000
TOTAL = "all"  # the channel table's total row

_STEP_COLS: Schema = (
    ("state", "str"),
    ("callback_due_at", "n64"),
    ("callback_at", "n64"),
    ("verified_at", "n64"),
    ("verification", "str"),
    ("step_due_at", "n64"),
    ("rectify_due_at", "n64"),
    ("rectified_at", "n64"),
    ("closed_at", "n64"),
    # The loop's dispatch and reply (migration 0021), in case_history since 0028.
    ("dispatched_at", "n64"),
    ("replied_at", "n64"),
)
_STEP_NAMES = [n for n, _ in _STEP_COLS]
CASE_COHORT_COLS: Schema = (
    ("case_id", "i64"),
    ("channel", "str"),
    ("unit_id", "n64"),
    ("opened_at", "i64"),
    ("has_history", "flag"),
    *_STEP_COLS,
)
# Cases opened in [?, ?) and no later than the moment (?). A case without a rating (a
# source of the loop) has no rating channel: it is listed under 'case'. A hotline order
# taken into the loop counts once, as its work order (the hotline's receipt and closure),
# not again as a case.
_NOT_ORDERS = "c.source <> 'workorder'"
CASE_COHORT_SQL = f"""
SELECT c.id, COALESCE(r.channel, 'case'), c.unit_id, c.opened_at, {HAS_HISTORY_SQL},
       {", ".join(f"c.{n}" for n in _STEP_NAMES)}
FROM cases c LEFT JOIN ratings r ON r.id = c.rating_id
WHERE c.opened_at >= ? AND c.opened_at < ? AND c.opened_at <= ? AND {_NOT_ORDERS}
"""
CASE_HISTORY_COLS: Schema = (("case_id", "i64"), ("at", "i64"), ("history_id", "i64"), *_STEP_COLS)
CASE_HISTORY_SQL = f"""
SELECT h.case_id, h.at, h.id, {", ".join(f"h.{n}" for n in _STEP_NAMES)}
FROM case_history h JOIN cases c ON c.id = h.case_id
WHERE c.opened_at >= ? AND c.opened_at < ? AND c.opened_at <= ? AND h.at <= ? AND {_NOT_ORDERS}
"""
# One row per case of the cohort, its fields as of the moment (what `cases_at` returns).
CASE_CYCLE_COLS: Schema = (
    ("case_id", "i64"),
    ("channel", "str"),
    ("unit_id", "n64"),
    ("received_at", "i64"),
    ("callback_due_at", "n64"),
    ("callback_at", "n64"),
    ("verify_due_at", "n64"),
    ("verified_at", "n64"),
    ("verification", "str"),
    ("rectify_due_at", "n64"),
    ("rectified_at", "n64"),
    ("close_due_at", "n64"),
    ("closed_at", "n64"),
    ("dispatched_at", "n64"),
    ("replied_at", "n64"),
)

CYCLE_COUNTS = (
    "received",
    "closed",
    "day_ended",
    "closed_same_day",
    "dispatched",
    "replied",
    "callback_step_due",
    "callback_step_on_time",
    "verify_step_due",
    "verify_step_on_time",
    "rectify_step_due",
    "rectify_step_on_time",
    "close_step_due",
    "close_step_on_time",
)
CYCLE_RATES: tuple[Rate, ...] = (
    Rate("intake_closure_rate", "办结率", ("closed",), ("received",)),
    Rate("same_day_closure_rate", "当日办结率", ("closed_same_day",), ("day_ended",)),
    Rate("intake_reply_rate", "回复率", ("replied",), ("dispatched",)),
    Rate("callback_on_time_rate", "回访按时率", ("callback_step_on_time",), ("callback_step_due",)),
    Rate("verify_on_time_rate", "核实按时率", ("verify_step_on_time",), ("verify_step_due",)),
    Rate("rectify_on_time_rate", "整改按时率", ("rectify_step_on_time",), ("rectify_step_due",)),
    Rate("close_on_time_rate", "办结按时率", ("close_step_on_time",), ("close_step_due",)),
)
CYCLE_RATE_NAMES = tuple(r.name for r in CYCLE_RATES)
HOURS = ("cycle_median_hours", "cycle_p90_hours")
TABLE_COLUMNS = ("received", "closed", *HOURS, *CYCLE_RATE_NAMES, *CYCLE_COUNTS[2:])


def _last(history: pd.DataFrame, mask: pd.Series | None = None) -> pd.DataFrame:
    """The latest snapshot per case (of the rows where `mask`), indexed by case_id."""
    rows = history if mask is None else history[mask]
    return rows.drop_duplicates("case_id", keep="last").set_index("case_id")


def cases_at(cohort: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """The cohort's cases (CASE_COHORT_COLS) as they stood at the moment the history rows
    (CASE_HISTORY_COLS, at or before it) were read for: CASE_CYCLE_COLS.

    A case with history reads its latest snapshot (none: it did not exist yet, dropped); a
    case stored before the history was kept reads as it stands. The verification's due
    time is the step deadline the case had when it last waited in 已回访; the closing's is
    the rectification deadline of a substantiated case, else the step deadline it had
    when it last waited in 已核实.
    """
    history = history.sort_values(["case_id", "at", "history_id"], kind="stable")
    last = _last(history)
    waited_verify = _last(history, history["state"] == "called_back")["step_due_at"]
    waited_close = _last(history, history["state"] == "verified")["step_due_at"]
    ids = cohort["case_id"]
    use = cohort["has_history"].to_numpy(bool)
    found = ids.isin(last.index).to_numpy(bool)
    keep = ~use | found
    cohort, use = cohort[keep], use[keep]
    ids = cohort["case_id"]
    picked: dict[str, pd.Series] = {}
    for n, kind in _STEP_COLS:
        hist = last[n].reindex(ids.to_numpy())
        hist.index = cohort.index
        current = cohort[n]
        if kind == "str":
            values = np.where(use, hist.astype(object), current.astype(object))
            picked[n] = pd.Series(values, index=cohort.index, dtype=object)
        else:
            picked[n] = hist.astype("Int64").where(pd.Series(use, index=cohort.index), current)
    st = pd.DataFrame(picked, index=cohort.index)

    def waited(series: pd.Series, state: str) -> pd.Series:
        from_history = series.reindex(ids.to_numpy()).astype("Int64")
        from_history.index = cohort.index
        # Without history only the current step is known.
        current = st["step_due_at"].where(st["state"] == state)
        return from_history.where(pd.Series(use, index=cohort.index), current)

    substantiated = st["verification"].isin(SUBSTANTIATED)
    close_due = st["rectify_due_at"].where(substantiated, waited(waited_close, "verified"))
    out = pd.DataFrame(
        {
            "case_id": cohort["case_id"],
            "channel": cohort["channel"],
            "unit_id": cohort["unit_id"],
            "received_at": cohort["opened_at"],
            "callback_due_at": st["callback_due_at"],
            "callback_at": st["callback_at"],
            "verify_due_at": waited(waited_verify, "called_back"),
            "verified_at": st["verified_at"],
            "verification": st["verification"].to_numpy(object),  # typed as frame() types it
            "rectify_due_at": st["rectify_due_at"],
            "rectified_at": st["rectified_at"],
            "close_due_at": close_due,
            "closed_at": st["closed_at"].where(st["state"] == "closed"),
            "dispatched_at": st["dispatched_at"],
            "replied_at": st["replied_at"],
        }
    )
    ints = {n: "Int64" for n, k in CASE_CYCLE_COLS if k == "n64"}
    return out.astype({**ints, "case_id": np.int64, "received_at": np.int64}).reset_index(drop=True)


def _by(times: pd.Series, as_of_ms: int) -> np.ndarray:
    """Set and no later than the moment."""
    done: np.ndarray = (times.notna() & (times <= as_of_ms)).fillna(False).to_numpy(bool)
    return done


def _step(done_at: pd.Series, due_at: pd.Series, as_of_ms: int) -> tuple[np.ndarray, np.ndarray]:
    """(due, on time) of one step: due once done or once its due time has passed; on time
    when done no later than the due time. A step without a due time counts in neither."""
    done = _by(done_at, as_of_ms)
    has_due = due_at.notna().to_numpy(bool)
    passed = (due_at < as_of_ms).fillna(False).to_numpy(bool)
    due = has_due & (done | passed)
    on_time = due & done & (done_at <= due_at).fillna(False).to_numpy(bool)
    return due, on_time


def _day_end(received_at: pd.Series) -> np.ndarray:
    """The end (epoch ms) of the Asia/Shanghai day of each receipt."""
    t = received_at.to_numpy(np.int64)
    end: np.ndarray = ((t + SHANGHAI_OFFSET_MS) // DAY_MS + 1) * DAY_MS - SHANGHAI_OFFSET_MS
    return end


def _items(
    channel: pd.Series,
    unit_id: pd.Series,
    received_at: pd.Series,
    closed_at: pd.Series,
    dispatched: np.ndarray,
    replied: np.ndarray,
    steps: dict[str, tuple[np.ndarray, np.ndarray]],
    as_of_ms: int,
) -> pd.DataFrame:
    closed = _by(closed_at, as_of_ms)
    hours = (closed_at.astype("Float64") - received_at.astype(np.float64)) / HOUR_MS
    day_end = _day_end(received_at)
    columns: dict[str, object] = {
        "channel": channel.astype(object).to_numpy(),
        "unit_id": unit_id.astype("Int64").fillna(NO_ID).to_numpy(np.int64),
        "hours": hours.where(pd.Series(closed, index=hours.index)).to_numpy(
            np.float64, na_value=np.nan
        ),
        "received": np.ones(len(channel), dtype=bool),
        "closed": closed,
        "day_ended": day_end <= as_of_ms,
        "closed_same_day": closed & (closed_at < day_end).fillna(False).to_numpy(bool),
        "dispatched": dispatched,
        "replied": dispatched & replied,
    }
    never = np.zeros(len(channel), dtype=bool)
    for name in ("callback", "verify", "rectify", "close"):
        due, on_time = steps.get(name, (never, never))
        columns[f"{name}_step_due"] = due
        columns[f"{name}_step_on_time"] = on_time
    return pd.DataFrame(columns)


def case_items(cases: pd.DataFrame, as_of_ms: int) -> pd.DataFrame:
    """One item row per case (CASE_CYCLE_COLS as of the moment)."""
    substantiated = cases["verification"].isin(SUBSTANTIATED).to_numpy(bool)
    rect_due, rect_on_time = _step(cases["rectified_at"], cases["rectify_due_at"], as_of_ms)
    return _items(
        cases["channel"],
        cases["unit_id"],
        cases["received_at"],
        cases["closed_at"],
        _by(cases["dispatched_at"], as_of_ms),
        _by(cases["replied_at"], as_of_ms),
        {
            "callback": _step(cases["callback_at"], cases["callback_due_at"], as_of_ms),
            "verify": _step(cases["verified_at"], cases["verify_due_at"], as_of_ms),
            "rectify": (rect_due & substantiated, rect_on_time & substantiated),
            "close": _step(cases["closed_at"], cases["close_due_at"], as_of_ms),
        },
        as_of_ms,
    )


def workorder_cycle_items(workorders: pd.DataFrame, as_of_ms: int) -> pd.DataFrame:
    """One item row per hotline work order (WORKORDER_COLS as of the moment): dispatched by
    the hotline, replied by its closure; its only step with a due time is the closing."""
    n = len(workorders)
    return _items(
        workorders["channel"],
        workorders["unit_id"],
        workorders["received_at"],
        workorders["closed_at"],
        np.ones(n, dtype=bool),
        _by(workorders["closed_at"], as_of_ms),
        {"close": _step(workorders["closed_at"], workorders["due_at"], as_of_ms)},
        as_of_ms,
    )


def cycle_counts(items: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Per key: CYCLE_COUNTS, the median and 90th percentile of the closed items' hours
    (NaN: nothing closed) and CYCLE_RATES (NaN where the denominator is zero)."""
    counts = count_items(items, keys, CYCLE_COUNTS)
    closed = items[items["closed"]]
    hours = closed.groupby(list(keys), observed=True, sort=False)["hours"]
    spread = pd.DataFrame(
        {"cycle_median_hours": hours.median(), "cycle_p90_hours": hours.quantile(0.9)}
    ).reset_index()
    spread = spread.astype({k: counts[k].dtype for k in keys})
    out = counts.merge(spread, on=list(keys), how="left")
    return add_rates(out, CYCLE_RATES)[[*keys, *TABLE_COLUMNS]]


def channel_table(items: pd.DataFrame) -> pd.DataFrame:
    """One row per channel, then the total (channel 'all')."""
    per = cycle_counts(items, ["channel"]).sort_values("channel", ignore_index=True)
    total = cycle_counts(items.assign(channel=TOTAL), ["channel"])
    return pd.concat([per, total], ignore_index=True)


def unit_table(items: pd.DataFrame, units: pd.DataFrame, tree: pd.DataFrame) -> pd.DataFrame:
    """One row per unit of `units`, each holding its whole subtree's items (an item
    without a unit counts only in the channel table's rows)."""
    placed = items[items["unit_id"] != NO_ID]
    # An item per ancestor: a few thousand closed items a week times the tree's depth.
    up = placed.merge(tree, on="unit_id", how="inner")
    up = up.drop(columns=["unit_id"]).rename(columns={"ancestor_id": "unit_id"})
    rows = cycle_counts(up, ["unit_id"])
    info = units[["unit_id", "code", "name", "path", "depth"]]
    out = info.merge(rows, on="unit_id", how="left")
    return out.fillna(dict.fromkeys(CYCLE_COUNTS, 0)).astype(dict.fromkeys(CYCLE_COUNTS, np.int64))

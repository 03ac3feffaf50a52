"""The report's spot-check and quick-tap table (issue 19 items 1 and 4): per unit, rolled up
the tree, for the report week:

- the raw satisfaction rate beside the **verified satisfaction rate** = confirmed /
  reached, from the spot-check callbacks (抽查回访) of the week's sampled items whose
  outcome was recorded by the report moment;
- the **not-confirmed share** = not confirmed / reached, flagged (和全局相比偏高) when it is
  significantly above the rest of the bureau's, by the rule of the bad-rate warning
  (analytics/alerts.py): p0 = (nc + 1) / (reached + 2) over the bureau's other units'
  checks of the week, the rest holding at least BASELINE_MIN_VALID reached checks, the unit
  at least MIN_BAD not confirmed, and the one-sided exact binomial P(X ≥ nc | reached, p0)
  < P_THRESHOLD;
- the **quick-tap share** = ratings submitted sooner than the form's minimum age
  (`ratings.fast`) / ratings.

`load_spotchecks` is the I/O; `spotcheck_table` is frames in, frames out; `add_spotchecks`
is the hook the report assembly calls after the integrity tables.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pandas as pd

from analytics.alerts import BASELINE_MIN_VALID, MIN_BAD, P_THRESHOLD, binomial_sf
from analytics.frames import frame
from analytics.load import ReportData
from analytics.metrics import ancestors, rollup
from analytics.periods import Week, day_number, week_start_days
from analytics.report import ReportOptions, WeeklyReport
from rating.store import Store
from rating.store.tx import Tx

CHECK_SCHEMA = (("unit_id", "i64"), ("outcome", "str"), ("reason", "str"))
FAST_SCHEMA = (("unit_id", "i64"), ("created_at", "i64"), ("fast", "flag"))
COUNTS = ["ratings", "fast", "valid", "satisfied", "checks", "confirmed", "not_confirmed",
          "unreachable"]  # fmt: skip
COLUMNS = [
    "unit_id",
    "path",
    "depth",
    "ratings",
    "fast",
    "fast_share",
    "satisfaction_rate",
    "checks",
    "reached",
    "confirmed",
    "not_confirmed",
    "unreachable",
    "verified_rate",
    "not_confirmed_share",
    "rest_not_confirmed_share",
    "spot_flag",
    "p_value",
]


@dataclass(frozen=True)
class SpotData:
    checks: pd.DataFrame  # unit_id, outcome (None: not yet as of the moment), reason
    fast: pd.DataFrame  # unit_id, created_at, fast: every rating of the window


def _read(
    tx: Tx, first_day: str, last_day: str, start_ms: int, end_ms: int, as_of: int
) -> SpotData:
    # An outcome recorded after the report moment is read as not yet recorded.
    checks = tx.all(
        "SELECT unit_id, CASE WHEN done_at <= ? THEN outcome END, "
        "CASE WHEN done_at <= ? THEN reason END FROM spot_checks "
        "WHERE day >= ? AND day <= ? AND created_at <= ?",
        (as_of, as_of, first_day, last_day, as_of),
    )
    fast = tx.all(
        "SELECT unit_id, created_at, fast FROM ratings "
        "WHERE created_at >= ? AND created_at < ? AND created_at <= ?",
        (start_ms, end_ms, as_of),
    )
    return SpotData(frame(checks, CHECK_SCHEMA), frame(fast, FAST_SCHEMA))


async def load_spotchecks(store: Store, data: ReportData, options: ReportOptions) -> SpotData:
    return await read_spotchecks(store, options.week, data.as_of_ms)


async def read_spotchecks(store: Store, week: Week, as_of_ms: int) -> SpotData:
    """The spot checks of `week` and its ratings' quick-tap flags, as of `as_of_ms`."""
    first = week.start
    last = first + timedelta(days=6)
    # Only the report week's ratings: the quick-tap share has no trend to compute.
    return await store.read(
        _read, first.isoformat(), last.isoformat(), week.start_ms, week.end_ms, as_of_ms
    )


def _part(unit_id: pd.Series, **flags: pd.Series | bool) -> pd.DataFrame:
    """One kind of item as count rows: every COUNTS column, 0 where the kind has none."""
    n = len(unit_id)
    data = {"unit_id": unit_id.to_numpy(np.int64)}
    for name in COUNTS:
        value = flags.get(name, False)
        if isinstance(value, pd.Series):
            data[name] = value.to_numpy(bool).astype(np.int64)
        else:
            data[name] = np.full(n, 1 if value else 0, dtype=np.int64)
    return pd.DataFrame(data)


def unit_counts(
    spot: SpotData,
    ratings: pd.DataFrame,
    tree: pd.DataFrame,
    week: int,
    week_start: int,
    basic_counts_satisfied: bool = True,
) -> pd.DataFrame:
    """unit_id → COUNTS for `week`, rolled up the tree. `ratings`: unit_id, level,
    created_at, invalidated (the report's as-of levels)."""
    low = 3 if basic_counts_satisfied else 4
    r = ratings[week_start_days(ratings["created_at"], week_start) == week]
    valid = ~r["invalidated"].astype(bool)
    f = spot.fast[week_start_days(spot.fast["created_at"], week_start) == week]
    c = spot.checks
    parts = [
        _part(r["unit_id"], valid=valid, satisfied=(r["level"] >= low) & valid),
        _part(f["unit_id"], ratings=True, fast=f["fast"]),
        _part(c["unit_id"], checks=True,
              **{o: c["outcome"].eq(o) for o in ("confirmed", "not_confirmed", "unreachable")}),
    ]  # fmt: skip
    both = pd.concat(parts, ignore_index=True)
    return rollup(both, tree, [], COUNTS)


def flag_units(rows: pd.DataFrame, bureau_reached: int, bureau_nc: int) -> pd.DataFrame:
    """Adds rest_not_confirmed_share, spot_flag ("偏高" or None) and p_value: a unit against
    the rest of the bureau (its own checks taken out, so a big unit does not set its own
    bar); `rows` has reached and not_confirmed."""
    rest_n = bureau_reached - rows["reached"]
    rest_x = bureau_nc - rows["not_confirmed"]
    p0 = (rest_x + 1) / (rest_n + 2)
    # No flag is an empty cell (None), never "": a sheet cell holds a value or nothing.
    flags: list[str | None] = []
    pvals: list[float] = []
    for n, x, base, p in zip(rows["reached"], rows["not_confirmed"], rest_n, p0, strict=True):
        if base >= BASELINE_MIN_VALID and x >= MIN_BAD:
            pv = binomial_sf(int(x), int(n), float(p))
            flags.append("偏高" if pv < P_THRESHOLD else None)
            pvals.append(pv if pv < P_THRESHOLD else np.nan)
        else:
            flags.append(None)
            pvals.append(np.nan)
    return rows.assign(
        rest_not_confirmed_share=(rest_x / rest_n.where(rest_n > 0)).astype(float),
        spot_flag=pd.Series(flags, index=rows.index, dtype=object),
        p_value=pd.Series(pvals, index=rows.index, dtype=float),
    )


def spotcheck_table(
    counts: pd.DataFrame, units: pd.DataFrame, bureau_reached: int, bureau_nc: int
) -> pd.DataFrame:
    """The sheet: units with ratings or checks, sorted by path."""
    rows = units[["unit_id", "path", "depth"]].merge(counts, on="unit_id", how="inner")
    rows = rows[(rows["ratings"] > 0) | (rows["checks"] > 0)].reset_index(drop=True)
    reached = rows["confirmed"] + rows["not_confirmed"]

    def share(num: pd.Series, den: pd.Series) -> pd.Series:
        return (num / den.where(den > 0)).astype(float)

    rows = rows.assign(
        reached=reached,
        fast_share=share(rows["fast"], rows["ratings"]),
        satisfaction_rate=share(rows["satisfied"], rows["valid"]),
        verified_rate=share(rows["confirmed"], reached),
        not_confirmed_share=share(rows["not_confirmed"], reached),
    )
    rows = flag_units(rows, bureau_reached, bureau_nc)
    return rows.sort_values("path", ignore_index=True)[COLUMNS]


def spot_warnings(table: pd.DataFrame) -> pd.DataFrame:
    """Rows for the report's warnings table."""
    hit = table[table["spot_flag"].eq("偏高")]
    out = [
        {
            "kind": "抽查未证实偏高",
            "level": "单位",
            "who": str(r.path).rsplit("/", 1)[-1],
            "unit": r.path,
            "detail": (
                f"抽查回访联系上 {r.reached} 人，未证实 {r.not_confirmed} 人"
                f"（{r.not_confirmed_share:.1%}）；全局其余单位 {r.rest_not_confirmed_share:.1%}；"
                f"单侧二项检验 p = {r.p_value:.2g}"
            ),
            "p_value": float(r.p_value),
        }
        for r in hit.itertuples(index=False)
    ]
    columns = ["kind", "level", "who", "unit", "detail", "p_value"]
    return pd.DataFrame(out, columns=columns).astype({"p_value": float})


def spot_tables(
    spot: SpotData, report: ReportData, options: ReportOptions
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the sheet, its warnings) for the report's scope. The bar is the whole bureau's,
    even in a unit's report: a unit cannot be compared only with itself."""
    tree = ancestors(report.units)
    week = day_number(options.week.start)
    counts = unit_counts(
        spot, report.ratings, tree, week, options.week_start, options.basic_counts_satisfied
    )
    outcome = spot.checks["outcome"]
    bureau_nc = int(outcome.eq("not_confirmed").sum())
    bureau_reached = bureau_nc + int(outcome.eq("confirmed").sum())
    units = report.units
    if options.root_unit_id is not None:
        ids = tree.loc[tree["ancestor_id"] == options.root_unit_id, "unit_id"]
        units = units[units["unit_id"].isin(ids)]
    table = spotcheck_table(counts, units, bureau_reached, bureau_nc)
    return table, spot_warnings(table)


async def add_spotchecks(
    store: Store,
    report: WeeklyReport,
    data: ReportData,
    options: ReportOptions,
    loaded: SpotData | None = None,
) -> None:
    """Compute the spot-check table into `report` (its `extra` tables and its warnings)
    from `loaded` (what load_spotchecks read for the same week and moment; read here if not
    given)."""
    spot = await load_spotchecks(store, data, options) if loaded is None else loaded
    table, warnings = await asyncio.to_thread(spot_tables, spot, data, options)
    report.extra["spotcheck"] = table
    if not warnings.empty:
        report.warnings = pd.concat([report.warnings, warnings], ignore_index=True)

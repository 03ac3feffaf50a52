"""The report over any period (month, quarter, year, range of days): the weekly report's
tables for that period against the one before it, plus the 巨好办 assessment per unit.

Items are counted by the same functions as the weekly report; only the bucket differs: an
item of the period gets the key CURRENT, one of the previous period CURRENT − 7, so
`week_over_week` compares the two periods as it compares two weeks.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from analytics import lists, metrics
from analytics.assessment import assessment, assessment_items
from analytics.definitions import definitions
from analytics.load import ReportData, load_report_data
from analytics.metrics import (
    COUNTS,
    NO_ID,
    RATE_NAMES,
    add_rates,
    combine_counts,
    count_items,
    rating_items,
    reasons_count,
    rollup,
    week_over_week,
    workorder_items,
)
from analytics.period import WEEKLY_TREND_MAX_DAYS, Period
from analytics.periods import DAY_MS, SHANGHAI_OFFSET_MS, day_from_number, week_start_days
from analytics.report import (
    KEYS,
    OFFICER_COLUMNS,
    WARNING_COLUMNS,
    WeeklyReport,
    name_rows,
    overdue_frame,
    overdue_warnings,
    period_intake,
    reason_labels,
    scope_frames,
    summary_frame,
)
from rating.cases.calendar import WorkCalendar
from rating.settings import Settings
from rating.store import Store

CURRENT, PREVIOUS = 7, 0
YOUNG_WORKDAYS = 16  # callback (1) + rectification (15) working days, the defaults


@dataclass
class PeriodReport(WeeklyReport):
    """A WeeklyReport whose `week` is a Period, with the assessment table."""

    # A default only because WeeklyReport's last field has one; build_period always sets it.
    assessment: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def kind_name(self) -> str:
        week = self.week
        return week.kind_name if isinstance(week, Period) else "周报"

    def tables(self) -> dict[str, pd.DataFrame]:
        tables = super().tables()
        out: dict[str, pd.DataFrame] = {}
        for name, table in tables.items():
            out[name] = table
            if name == "units":
                out["assessment"] = self.assessment
        return out


@dataclass(frozen=True)
class PeriodOptions:
    period: Period
    week_start: int = 0
    basic_counts_satisfied: bool = True
    root_unit_id: int | None = None


def _bucket(times: pd.Series, period: Period, previous: Period) -> np.ndarray:
    t = times.to_numpy(np.int64)
    return np.where(
        (t >= period.start_ms) & (t < period.end_ms),
        CURRENT,
        np.where((t >= previous.start_ms) & (t < previous.end_ms), PREVIOUS, -1),
    ).astype(np.int32)


def _trend_keys(times: pd.Series, period: Period, week_start: int) -> pd.Series:
    """The local day on which each item's trend bucket starts: its week for a period of
    up to WEEKLY_TREND_MAX_DAYS days, its month beyond."""
    first_day = (period.start - date(1970, 1, 1)).days
    if period.days <= WEEKLY_TREND_MAX_DAYS:
        # A week that began before the period is shown from the period's first day.
        return week_start_days(times, week_start).clip(lower=first_day)
    days = (times.to_numpy(np.int64) + SHANGHAI_OFFSET_MS) // DAY_MS
    months = pd.to_datetime(days, unit="D").to_period("M").to_timestamp()
    first = (months - pd.Timestamp("1970-01-01")).days.to_numpy()
    return pd.Series(first.astype(np.int32), index=times.index)


def _trend(
    r_items: pd.DataFrame,
    w_items: pd.DataFrame,
    r_times: pd.Series,
    w_times: pd.Series,
    options: PeriodOptions,
    as_of_ms: int,
) -> pd.DataFrame:
    period = options.period
    r_cur = r_items["week"] == CURRENT
    w_cur = w_items["week"] == CURRENT
    r = r_items[r_cur].assign(
        week=_trend_keys(r_times[r_cur.to_numpy()], period, options.week_start).to_numpy()
    )
    w = w_items[w_cur].assign(
        week=_trend_keys(w_times[w_cur.to_numpy()], period, options.week_start).to_numpy()
    )
    total = add_rates(combine_counts(count_items(r, ["week"]), count_items(w, ["week"]), ["week"]))
    weekly = period.days <= WEEKLY_TREND_MAX_DAYS
    starts = [day_from_number(int(d)) for d in total["week"]]
    cal = WorkCalendar()
    young = []
    for i, start in enumerate(starts):
        nxt = starts[i + 1] if i + 1 < len(starts) else None
        if weekly:
            end_day = (start - date(1970, 1, 1)).days + 7
        elif nxt is not None:
            end_day = (nxt - date(1970, 1, 1)).days
        else:
            end_day = (period.last - date(1970, 1, 1)).days + 1
        end_ms = end_day * DAY_MS - SHANGHAI_OFFSET_MS
        due, _ = cal.due_at(end_ms - 1, YOUNG_WORKDAYS)
        young.append("未满期" if due > as_of_ms else None)
    return total.assign(
        period_start=[d.isoformat() for d in starts],
        young=pd.Series(young, index=total.index, dtype=object),
    )[["period_start", "valid", "bad", *RATE_NAMES, "young"]]


def _participation(
    detail: pd.DataFrame, data: ReportData, in_scope: pd.Series, tree: pd.DataFrame, p: Period
) -> pd.DataFrame:
    rated = count_items(detail[detail["week"] == CURRENT], ["officer_id", "unit_id"], ["valid"])
    roster = metrics.roster_at(data.officers, p.start_ms, p.end_ms)
    return metrics.participation(rated, roster, tree, in_scope)


def _red_black(unit_table: pd.DataFrame, officer_table: pd.DataFrame) -> pd.DataFrame:
    frame = lists.peer_lists(unit_table, officer_table)
    named = name_rows(frame)
    wanted = ["list", "level", "peer_group", "rank", "who", "unit_name", "valid", "satisfied"]
    wanted += ["bad", "score", "satisfaction_rate", "bad_rate", "peer_bad_rate"]
    return named[[c for c in wanted if c in named.columns]]


def _warnings(overdue: pd.DataFrame) -> pd.DataFrame:
    rows = overdue_warnings(overdue)
    return pd.DataFrame(rows, columns=WARNING_COLUMNS).astype({"p_value": float})


def build_period(data: ReportData, options: PeriodOptions) -> PeriodReport:
    """Every table of the report over `options.period` (compared with the period before)."""
    period, previous = options.period, options.period.previous()
    units, tree, scope_name = scope_frames(data, options.root_unit_id)
    in_scope = units["unit_id"]
    ratings = data.ratings[data.ratings["unit_id"].isin(in_scope)].reset_index(drop=True)
    wos = metrics.attribute_units(data.workorders, data.officers)
    if options.root_unit_id is not None:
        wos = wos[wos["unit_id"].isin(in_scope).fillna(False).astype(bool)]
    wos = wos.reset_index(drop=True)

    as_of = data.as_of_ms
    r_all = rating_items(ratings, options.week_start, as_of, options.basic_counts_satisfied)
    w_all = workorder_items(wos, options.week_start, as_of)
    r_items = r_all.assign(week=_bucket(ratings["created_at"], period, previous))
    w_items = w_all.assign(week=_bucket(wos["received_at"], period, previous))
    r_keep, w_keep = r_items["week"] >= 0, w_items["week"] >= 0
    r_items, w_items = r_items[r_keep], w_items[w_keep]
    detail = combine_counts(count_items(r_items, KEYS), count_items(w_items, KEYS), KEYS)

    total = add_rates(count_items(detail, ["week"]))
    summary = summary_frame(total, CURRENT, PREVIOUS)
    trend = _trend(
        r_items,
        w_items,
        ratings["created_at"][r_keep.to_numpy()],
        wos["received_at"][w_keep.to_numpy()],
        options,
        as_of,
    )

    per_unit = count_items(detail[detail["unit_id"] != NO_ID], ["week", "unit_id"])
    unit_rows = week_over_week(add_rates(rollup(per_unit, tree, ["week"])), CURRENT, ["unit_id"])
    unit_table = units[["unit_id", "code", "name", "path", "depth"]].merge(
        unit_rows, on="unit_id", how="left"
    )
    unit_table = unit_table.fillna({c: 0 for c in COUNTS}).astype({c: np.int64 for c in COUNTS})
    unit_table = unit_table.merge(
        _participation(detail, data, in_scope, tree, period), on="unit_id", how="left"
    ).fillna({"active_officers": 0, "officers_rated": 0})

    per_officer = count_items(detail[detail["officer_id"] != NO_ID], ["week", "officer_id"])
    officer_rows = week_over_week(add_rates(per_officer), CURRENT, ["officer_id"])
    officer_info = data.officers[["officer_id", "badge_no", "officer_name", "unit_id", "kind"]]
    officer_info = officer_info.merge(
        data.units[["unit_id", "name"]].rename(columns={"name": "unit_name"}), on="unit_id"
    )
    officer_table = officer_info.merge(officer_rows, on="officer_id", how="inner")

    overdue = overdue_frame(data, in_scope, options.root_unit_id is not None)
    by_channel = add_rates(count_items(w_items[w_items["week"] == CURRENT], ["channel"]))
    by_channel = by_channel[
        ["channel", *[c for c in COUNTS if c.startswith("wo_")]]
        + ["ontime_closure_rate", "hotline_satisfaction"]
    ]
    cur = r_items["week"] == CURRENT
    reasons = reasons_count(ratings[r_keep.to_numpy()], r_items["week"], CURRENT)
    assess = assessment(
        assessment_items(r_items[cur], w_items[w_items["week"] == CURRENT]),
        units,
        tree,
        top_depth=int(data.units["depth"].min()),
    )
    return PeriodReport(
        week=period,
        generated_at_ms=as_of,
        scope=scope_name,
        basic_counts_satisfied=options.basic_counts_satisfied,
        summary=summary,
        units=unit_table,
        officers=officer_table[[c for c in OFFICER_COLUMNS if c in officer_table.columns]],
        red_black=_red_black(unit_table, officer_table),
        overdue=overdue,
        by_channel=by_channel,
        warnings=_warnings(overdue),
        trend=trend,
        reasons=reason_labels(reasons),
        definitions=definitions(options.basic_counts_satisfied, period="期"),
        extra=period_intake(
            data,
            wos,
            units,
            tree,
            period.start_ms,
            period.end_ms,
            options.root_unit_id,
            options.basic_counts_satisfied,
        ),
        assessment=assess,
    )


async def period_report(
    store: Store,
    settings: Settings,
    period: Period,
    *,
    unit: str | None = None,
    now_ms: int | None = None,
) -> PeriodReport:
    """Load and compute the report over `period`; follow-up states as of `now_ms`."""
    from analytics.periods import weekday_index
    from analytics.weekly import resolve_unit

    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    previous = period.previous()
    # No device or network hashes: the burst check is a weekly one.
    data = await load_report_data(
        store,
        previous.start_ms,
        period.end_ms,
        now_ms,
        period.end_ms,
        cycle_from_ms=period.start_ms,
    )
    options = PeriodOptions(
        period=period,
        week_start=weekday_index(settings.report_week_start),
        basic_counts_satisfied=settings.report_basic_counts_satisfied,
        root_unit_id=resolve_unit(data, unit),
    )
    return await asyncio.to_thread(build_period, data, options)

"""The weekly report: ReportData in, the report's tables (frames) out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analytics import alerts, lists
from analytics.definitions import definitions
from analytics.intake import intake_tables
from analytics.load import ReportData
from analytics.metrics import (
    COUNTS,
    NO_ID,
    RATE_NAMES,
    RATES,
    add_rates,
    ancestors,
    attribute_units,
    combine_counts,
    count_items,
    participation,
    rating_items,
    reasons_count,
    rollup,
    roster_at,
    week_over_week,
    workorder_items,
)
from analytics.periods import (
    Week,
    day_number,
    local_text,
    local_texts,
    week_start_days,
)
from analytics.workdays import overdue_workdays
from rating.cases.model import STEP_LABELS
from rating.labels import REASON_LABELS

TREND_WEEKS = 12
UNMATCHED = "单位未匹配"  # the unit column of an overdue item whose unit matched nothing
KEYS = ["week", "unit_id", "officer_id"]
# The officers table (a city has ~10,000 rated officers a week) keeps what a clerk reads
# per officer; the work-order follow-up detail is in the units table.
OFFICER_COLUMNS = (
    "officer_id",
    "badge_no",
    "officer_name",
    "unit_name",
    "kind",
    "ratings",
    "valid",
    "satisfied",
    "bad",
    "cb_due",
    "cb_done",
    "substantiated",
    "rectified",
    "wo_received",
    "satisfaction_rate",
    "good_rate",
    "bad_rate",
    "callback_rate",
    "effective_callback_rate",
    "rectification_rate",
    "ontime_rectification_rate",
    "hotline_satisfaction",
    "satisfaction_rate_wow",
    "bad_rate_wow",
)


@dataclass(frozen=True)
class ReportOptions:
    week: Week
    week_start: int = 0
    basic_counts_satisfied: bool = True
    root_unit_id: int | None = None


def load_window(week: Week) -> tuple[int, int]:
    """[start_ms, end_ms) the report reads: the trend weeks up to and including `week`
    (the warning baseline lies inside them)."""
    assert TREND_WEEKS - 1 >= alerts.BASELINE_WEEKS
    return week.shift(-(TREND_WEEKS - 1)).start_ms, week.end_ms


@dataclass
class WeeklyReport:
    week: Week
    generated_at_ms: int
    scope: str
    basic_counts_satisfied: bool
    summary: pd.DataFrame
    units: pd.DataFrame
    officers: pd.DataFrame
    red_black: pd.DataFrame
    overdue: pd.DataFrame
    by_channel: pd.DataFrame
    warnings: pd.DataFrame
    trend: pd.DataFrame
    reasons: pd.DataFrame
    definitions: pd.DataFrame
    # The intake tables (analytics.intake) and those other modules add after build_weekly
    # (analytics.integrity), in sheet order.
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def generated_at(self) -> str:
        return local_text(self.generated_at_ms)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Name → table, in sheet order (also the CSV file names)."""
        return {
            "summary": self.summary,
            "units": self.units,
            "officers": self.officers,
            "red_black_list": self.red_black,
            "overdue": self.overdue,
            "workorders_by_channel": self.by_channel,
            "warnings": self.warnings,
            "trend": self.trend,
            "bad_reasons": self.reasons,
            **self.extra,
            "definitions": self.definitions,
        }


def scope_frames(data: ReportData, root: int | None) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """The units under `root` (all: None), their ancestor pairs, and the scope's name."""
    tree = ancestors(data.units)
    if root is None:
        return data.units, tree, "全部单位"
    ids = tree.loc[tree["ancestor_id"] == root, "unit_id"]
    units = data.units[data.units["unit_id"].isin(ids)]
    name = data.units.loc[data.units["unit_id"] == root, "path"].iloc[0]
    return units, tree[tree["unit_id"].isin(ids) & tree["ancestor_id"].isin(ids)], str(name)


def build_weekly(data: ReportData, options: ReportOptions) -> WeeklyReport:
    """Compute every table of the weekly report (see docs/metrics.md)."""
    week = day_number(options.week.start)
    prev = week - 7
    units, tree, scope_name = scope_frames(data, options.root_unit_id)
    in_scope = units["unit_id"]
    ratings = data.ratings
    if options.root_unit_id is not None:  # bureau-wide: no copy of a city's ratings
        ratings = ratings[ratings["unit_id"].isin(in_scope)]
    wos = attribute_units(data.workorders, data.officers)
    if options.root_unit_id is not None:
        wos = wos[wos["unit_id"].isin(in_scope).fillna(False).astype(bool)]

    # The ratings' items (one row each) and their counts are temporaries: counted and
    # summed at once, not kept beside what follows.
    w_items = workorder_items(wos, options.week_start, data.as_of_ms)
    detail = combine_counts(
        count_items(
            rating_items(
                ratings, options.week_start, data.as_of_ms, options.basic_counts_satisfied
            ),
            KEYS,
        ),
        count_items(w_items, KEYS),
        KEYS,
    )

    # Scope total per week: the trend and the summary.
    total = add_rates(count_items(detail, ["week"]))
    trend = _trend(total, week)
    summary = summary_frame(total, week, prev)

    # Units, rolled up the tree.
    per_unit = count_items(detail[detail["unit_id"] != NO_ID], ["week", "unit_id"])
    unit_weeks = add_rates(rollup(per_unit, tree, ["week"]))
    unit_rows = week_over_week(unit_weeks, week, ["unit_id"])
    unit_info = units[["unit_id", "code", "name", "path", "depth"]]
    unit_table = unit_info.merge(unit_rows, on="unit_id", how="left")
    unit_table = unit_table.fillna({c: 0 for c in COUNTS}).astype({c: np.int64 for c in COUNTS})
    rated = count_items(detail[detail["week"] == week], ["officer_id", "unit_id"], ["valid"])
    roster = roster_at(data.officers, options.week.start_ms, options.week.end_ms)
    unit_table = unit_table.merge(
        participation(rated, roster, tree, in_scope), on="unit_id", how="left"
    ).fillna({"active_officers": 0, "officers_rated": 0})
    unit_table = unit_table.sort_values("path", ignore_index=True)

    # Officers: those with any rating or work order this week.
    per_officer = count_items(detail[detail["officer_id"] != NO_ID], ["week", "officer_id"])
    officer_weeks = add_rates(per_officer)
    officer_rows = week_over_week(officer_weeks, week, ["officer_id"])
    officer_info = data.officers[["officer_id", "badge_no", "officer_name", "unit_id", "kind"]]
    officer_info = officer_info.merge(
        data.units[["unit_id", "name"]].rename(columns={"name": "unit_name"}), on="unit_id"
    )
    officer_table = officer_info.merge(officer_rows, on="officer_id", how="inner")
    officer_table = officer_table.sort_values(["unit_name", "badge_no"], ignore_index=True)

    red_black = name_rows(lists.peer_lists(unit_table, officer_table))[
        ["list", "level", "peer_group", "rank", "who", "unit_name", "valid", "satisfied"]
        + ["bad", "score", "satisfaction_rate", "bad_rate", "peer_bad_rate"]
    ]

    overdue = overdue_frame(data, in_scope, options.root_unit_id is not None)
    warnings = _warnings(data, ratings, options, week, per_unit, tree, per_officer, overdue)
    by_channel = add_rates(count_items(w_items[w_items["week"] == week], ["channel"]))
    by_channel = by_channel[
        ["channel", *[c for c in COUNTS if c.startswith("wo_")]]
        + ["ontime_closure_rate", "hotline_satisfaction"]
    ]
    days = week_start_days(ratings["created_at"], options.week_start)
    extra = period_intake(
        data,
        wos,
        units,
        tree,
        options.week.start_ms,
        options.week.end_ms,
        options.root_unit_id,
        options.basic_counts_satisfied,
    )
    return WeeklyReport(
        week=options.week,
        generated_at_ms=data.as_of_ms,
        scope=scope_name,
        basic_counts_satisfied=options.basic_counts_satisfied,
        summary=summary,
        units=unit_table,
        officers=officer_table[[c for c in OFFICER_COLUMNS if c in officer_table.columns]],
        red_black=red_black,
        overdue=overdue,
        by_channel=by_channel,
        warnings=warnings,
        trend=trend,
        reasons=reason_labels(reasons_count(ratings, days, week)),
        definitions=definitions(options.basic_counts_satisfied),
        extra=extra,
    )


def period_intake(
    data: ReportData,
    wos: pd.DataFrame,
    units: pd.DataFrame,
    tree: pd.DataFrame,
    start_ms: int,
    end_ms: int,
    root_unit_id: int | None,
    basic_counts_satisfied: bool = True,
) -> dict[str, pd.DataFrame]:
    """The intake tables (analytics.intake) of the items received in [start_ms, end_ms):
    `wos` are the report's work orders (units attributed, scoped)."""

    def within(frame: pd.DataFrame, column: str) -> pd.DataFrame:
        t = frame[column]
        return frame[((t >= start_ms) & (t < end_ms)).to_numpy(bool)]

    return intake_tables(
        within(data.cases, "received_at"),
        within(wos, "received_at"),
        within(data.unit_ratings, "created_at"),
        within(data.letters, "created_at"),
        units,
        tree,
        data.as_of_ms,
        root_unit_id is not None,
        basic_counts_satisfied,
    )


def reason_labels(reasons: pd.DataFrame) -> pd.DataFrame:
    """Reason counts with their Chinese label first (the report's reasons table)."""
    labels = {**REASON_LABELS["zh"], "none": "未选原因"}
    return reasons.assign(reason_label=reasons["reason"].map(labels).fillna(reasons["reason"]))[
        ["reason_label", "reason", "bad_ratings"]
    ]


def _trend(total: pd.DataFrame, week: int) -> pd.DataFrame:
    weeks = pd.DataFrame({"week": np.arange(week - 7 * (TREND_WEEKS - 1), week + 1, 7)})
    weeks = weeks.astype({"week": np.int32})
    out = weeks.merge(total, on="week", how="left")
    out = out.fillna({c: 0 for c in COUNTS}).astype({c: np.int64 for c in COUNTS})
    start = pd.to_datetime(out["week"].astype(np.int64), unit="D")
    return out.assign(week_start=start.dt.strftime("%Y-%m-%d"))[
        ["week_start", "valid", "bad", *RATE_NAMES]
    ]


def summary_frame(total: pd.DataFrame, week: int, prev: int) -> pd.DataFrame:
    """The summary table: each count and rate in `week` and in `prev`, side by side."""

    def pick(w: int) -> pd.Series:
        rows = total[total["week"] == w]
        if rows.empty:  # a week without items: counts 0, rates empty (zero denominators)
            return pd.Series({**dict.fromkeys(COUNTS, 0.0), **dict.fromkeys(RATE_NAMES, np.nan)})
        return rows.iloc[0]

    this, before = pick(week), pick(prev)
    labels = {r.name: r.label for r in RATES}
    rows = [
        ("ratings", "评价数", False),
        ("valid", "有效评价", False),
        ("invalidated", "误评/恶意", False),
        ("bad", "差评", False),
        ("wo_received", "工单数", False),
        ("wo_due_sla", "其中期限按时限表", False),
        *[(name, labels[name], True) for name in RATE_NAMES],
    ]
    return pd.DataFrame(
        {
            "metric": [label for _, label, _ in rows],
            "key": [key for key, _, _ in rows],
            "is_rate": [is_rate for _, _, is_rate in rows],
            "this_week": [float(this[key]) for key, _, _ in rows],
            "previous_week": [float(before[key]) for key, _, _ in rows],
        }
    ).assign(change=lambda f: f["this_week"] - f["previous_week"])


def name_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """A `who` column: the unit's path or the officer's name and badge number."""
    if frame.empty:
        return frame.assign(who=pd.Series(dtype=object), unit_name=pd.Series(dtype=object))
    who = np.where(
        frame["level"] == "单位",
        frame.get("path", pd.Series("", index=frame.index)).astype(str),
        frame.get("officer_name", pd.Series("", index=frame.index)).astype(str)
        + " ("
        + frame.get("badge_no", pd.Series("", index=frame.index)).astype(str)
        + ")",
    )
    officer_unit = frame.get("unit_name", pd.Series("", index=frame.index))
    unit_name = np.where(
        frame["level"] == "单位",
        frame.get("name", pd.Series("", index=frame.index)).astype(str),
        officer_unit.astype(str),
    )
    return frame.assign(who=who, unit_name=unit_name)


def overdue_frame(data: ReportData, in_scope: pd.Series, scoped: bool) -> pd.DataFrame:
    """Every overdue item (of the units `in_scope` when `scoped`), most overdue first."""
    od = attribute_units(data.overdue, data.officers)
    if scoped:
        od = od[od["unit_id"].isin(in_scope).fillna(False).astype(bool)]
    units = data.units[["unit_id", "path"]].rename(columns={"path": "unit_path"})
    officers = data.officers[["officer_id", "badge_no", "officer_name"]]
    out = od.merge(units.astype({"unit_id": "Int64"}), on="unit_id", how="left").merge(
        officers.astype({"officer_id": "Int64"}), on="officer_id", how="left"
    )
    stage = out["stage"].map({**STEP_LABELS, "closure": "工单办结"})
    return pd.DataFrame(
        {
            "item": out["item"].map({"case": "案件", "workorder": "工单"}),
            "ref": out["ref"],
            "stage": stage,
            "unit_path": out["unit_path"].fillna(UNMATCHED),
            "officer": out["officer_name"].fillna("") + " " + out["badge_no"].fillna(""),
            "opened": local_texts(out["opened_at"]),
            "due": local_texts(out["due_at"]),
            "provisional": np.where(out["provisional"], "暂定", ""),
            "days_overdue": overdue_workdays(out["due_at"], data.as_of_ms),
        }
    ).sort_values("days_overdue", ascending=False, ignore_index=True)


def _warnings(
    data: ReportData,
    ratings: pd.DataFrame,
    options: ReportOptions,
    week: int,
    per_unit: pd.DataFrame,
    tree: pd.DataFrame,
    per_officer: pd.DataFrame,
    overdue: pd.DataFrame,
) -> pd.DataFrame:
    # Plain lists: iterating an Arrow-backed column yields one value per Python call.
    units, officers = data.units, data.officers
    unit_names = dict(zip(units["unit_id"].tolist(), units["path"].tolist(), strict=True))
    officer_ids = officers["officer_id"].tolist()
    officer_names = {
        oid: f"{name} ({badge})"
        for oid, name, badge in zip(
            officer_ids,
            officers["officer_name"].tolist(),
            officers["badge_no"].tolist(),
            strict=True,
        )
    }
    officer_unit = dict(zip(officer_ids, officers["unit_id"].tolist(), strict=True))
    rows: list[dict[str, object]] = []
    unit_weeks = rollup(per_unit, tree, ["week"])
    for who, frame, key in (
        ("单位", alerts.baseline_alerts(unit_weeks, week, ["unit_id"]), "unit_id"),
        ("民警", alerts.baseline_alerts(per_officer, week, ["officer_id"]), "officer_id"),
    ):
        for r in frame.itertuples(index=False):
            ident = int(getattr(r, key))
            rows.append(
                {
                    "kind": "差评率高于基线",
                    "level": who,
                    "who": unit_names.get(ident) if who == "单位" else officer_names.get(ident),
                    "unit": unit_names.get(ident if who == "单位" else officer_unit.get(ident)),
                    "detail": (
                        f"本周差评 {r.bad}/{r.valid} = {r.bad_rate:.1%}；"
                        f"前{alerts.BASELINE_WEEKS}周基线 {r.baseline_rate:.1%}"
                        f"（{r.base_bad}/{r.base_valid}）；单侧二项检验 p = {r.p_value:.2g}"
                    ),
                    "p_value": float(r.p_value),
                }
            )
    for b in alerts.bursts(ratings, week, options.week_start).itertuples(index=False):
        oid = int(b.officer_id)
        src = "同一设备" if b.source == "device" else "同一网络"
        rows.append(
            {
                "kind": "集中好评",
                "level": "民警",
                "who": officer_names.get(oid),
                "unit": unit_names.get(officer_unit.get(oid, NO_ID)),
                "detail": (
                    f"{src}（{b.hash}…）在 {local_text(int(b.first_at))} 至 "
                    f"{local_text(int(b.last_at))} 给出 {b.top_ratings} 个非常满意"
                ),
                "p_value": np.nan,
            }
        )
    rows += overdue_warnings(overdue)
    return pd.DataFrame(rows, columns=WARNING_COLUMNS).astype({"p_value": float})


WARNING_COLUMNS = ["kind", "level", "who", "unit", "detail", "p_value"]


def overdue_warnings(overdue: pd.DataFrame) -> list[dict[str, Any]]:
    """One 逾期 warning per unit and step, pointing at the 逾期 table for the items."""
    if overdue.empty:
        return []
    return [
        {
            "kind": "逾期",
            "level": "单位",
            "who": path,
            "unit": path,
            "detail": f"{stage}逾期 {n} 件（明细见“逾期”表）",
            "p_value": np.nan,
        }
        for (path, stage), n in overdue.groupby(["unit_path", "stage"]).size().items()
    ]

"""build_weekly on literal frames: scope, lists and the summary a clerk reads first."""

from __future__ import annotations

from datetime import date

import pandas as pd

from analytics.load import OFFICER_COLS, OVERDUE_COLS, ReportData, frame
from analytics.periods import Week
from analytics.report import ReportOptions, build_weekly
from tests.analytics.helpers import UNITS, ms, ratings, workorders

WEEK = Week(date(2026, 11, 16))
AS_OF = ms("2026-11-23 09:00")
OFFICERS = frame(
    [
        (1, "100001", "张伟", 3, "police", "active", 0, 0),
        (2, "100002", "李娜", 5, "auxiliary", "active", 0, 0),
        (3, "100003", "王强", 5, "police", "retired", 0, 0),
    ],
    OFFICER_COLS,
)


def data() -> ReportData:
    t = ms("2026-11-17 10:00")
    rows: list[dict[str, object]] = [
        {"level": 5, "officer_id": 1, "unit_id": 3, "created_at": t + i} for i in range(30)
    ]
    rows += [{"level": 1, "officer_id": 1, "unit_id": 3, "created_at": t, "reasons": "other"}]
    rows += [{"level": 4, "officer_id": 2, "unit_id": 5, "created_at": t} for _ in range(3)]
    rows += [{"level": 5, "officer_id": 2, "unit_id": 5, "created_at": ms("2026-11-10 10:00")}]
    overdue = frame(
        [("case", 7, "R7", 3, 1, "callback", t, t + 1000, 1)],
        OVERDUE_COLS,
    )
    return ReportData(
        units=UNITS,
        officers=OFFICERS,
        ratings=ratings(*rows),
        workorders=workorders({"received_at": t, "unit_id": 5}),
        overdue=overdue,
        as_of_ms=AS_OF,
        start_ms=WEEK.shift(-11).start_ms,
        end_ms=WEEK.end_ms,
    )


def test_summary_lists_and_warnings() -> None:
    report = build_weekly(data(), ReportOptions(week=WEEK))
    summary = report.summary.set_index("key")
    assert summary.loc["valid", "this_week"] == 34
    assert summary.loc["satisfaction_rate", "this_week"] == 33 / 34
    assert summary.loc["satisfaction_rate", "previous_week"] == 1.0
    assert summary.loc["wo_received", "this_week"] == 1

    # 东站 (31 valid) qualifies for the unit lists; 西站 (3) does not; officer 张伟 (31)
    # does, 李娜 (3) does not.
    rb = report.red_black
    red_units = rb[(rb["list"] == "红榜") & (rb["level"] == "单位")]
    assert "市局/东分局/东站" in red_units["who"].tolist()
    assert "市局/西分局/西站" not in rb["who"].tolist()
    station = red_units[red_units["who"] == "市局/东分局/东站"].iloc[0]
    assert station["unit_name"] == "东站"
    officers = rb[rb["level"] == "民警"]
    assert set(officers["who"]) == {"张伟 (100001)"}
    # On one list only: 1 bad of 31 is no worse than the peers (the only eligible officer)
    assert officers[["list", "unit_name", "peer_group"]].values.tolist() == [
        ["红榜", "东站", "民警"]
    ]
    assert not rb["who"].eq("市局").any()  # the bureau has no peers
    # The rule is printed in the report itself.
    rules = report.definitions.set_index("rate")["note"]
    assert "同一层级" in rules["红黑榜·同级比较"] and "1.96" in rules["红黑榜·Wilson下限"]

    overdue = report.overdue.iloc[0]
    assert (overdue["stage"], overdue["provisional"], overdue["unit_path"]) == (
        "回访",
        "暂定",
        "市局/东分局/东站",
    )
    kinds = report.warnings["kind"].tolist()
    assert kinds == ["逾期"]

    units = report.units.set_index("path")
    # Participation: 西分局 has one active officer (the retired one does not count).
    assert units.loc["市局/西分局", "active_officers"] == 1
    assert units.loc["市局/西分局", "ratings_per_officer"] == 3.0
    # The bureau's row holds everything below it.
    assert units.loc["市局", "valid"] == 34


def test_unit_scope_reads_only_the_subtree() -> None:
    report = build_weekly(data(), ReportOptions(week=WEEK, root_unit_id=4))
    assert report.scope == "市局/西分局"
    assert report.units["path"].tolist() == ["市局/西分局", "市局/西分局/西站"]
    summary = report.summary.set_index("key")
    assert summary.loc["valid", "this_week"] == 3
    assert summary.loc["wo_received", "this_week"] == 1
    assert report.overdue.empty  # the overdue case belongs to 东站
    assert pd.isna(summary.loc["callback_rate", "this_week"])  # nothing due: empty


def test_last_week_without_items_counts_zero_and_leaves_rates_empty() -> None:
    # 东分局 had nothing in W46 (the only W46 rating is 西站's).
    report = build_weekly(data(), ReportOptions(week=WEEK, root_unit_id=2))
    summary = report.summary.set_index("key")
    counts = ["ratings", "valid", "invalidated", "bad", "wo_received"]
    assert summary.loc[counts, "previous_week"].tolist() == [0.0] * 5
    assert summary.loc[counts, "change"].tolist() == [31.0, 31.0, 0.0, 1.0, 0.0]
    assert summary.loc[["satisfaction_rate", "callback_rate"], "previous_week"].isna().all()


def test_unmatched_units_are_listed_and_officers_place_work_orders() -> None:
    t = ms("2026-11-17 10:00")
    base = data()
    overdue = frame(
        [
            ("workorder", 8, "12345:A8", None, None, "closure", t, t + 1000, 0),
            ("workorder", 9, "12345:A9", None, 2, "closure", t, t + 2000, 0),
        ],
        OVERDUE_COLS,
    )
    wos = workorders(
        # unit not matched, officer 李娜 (西站) matched: counts in 西站
        {"received_at": t, "unit_id": None, "officer_id": 2},
        # neither matched: bureau-wide only
        {"received_at": t, "unit_id": None},
    )
    changed = ReportData(**{**base.__dict__, "overdue": overdue, "workorders": wos})
    report = build_weekly(changed, ReportOptions(week=WEEK))
    units = report.units.set_index("path")
    assert units.loc["市局/西分局/西站", "wo_received"] == 1
    assert units.loc["市局", "wo_received"] == 1
    assert report.summary.set_index("key").loc["wo_received", "this_week"] == 2
    assert report.overdue["unit_path"].tolist() == ["单位未匹配", "市局/西分局/西站"]
    late = report.warnings[report.warnings["kind"] == "逾期"]
    assert sorted(late["who"]) == ["单位未匹配", "市局/西分局/西站"]

    scoped = build_weekly(changed, ReportOptions(week=WEEK, root_unit_id=4))
    assert scoped.summary.set_index("key").loc["wo_received", "this_week"] == 1
    assert scoped.units.set_index("path").loc["市局/西分局", "wo_received"] == 1
    assert scoped.overdue["ref"].tolist() == ["12345:A9"]

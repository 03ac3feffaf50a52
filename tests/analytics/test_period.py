"""Reports over a month, quarter, year or range, and the 巨好办 assessment."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from analytics.load import OFFICER_COLS, OVERDUE_COLS, ReportData, frame
from analytics.period import Period, month_period, parse_period
from analytics.period_report import PeriodOptions, build_period
from rating.cli import main
from tests.analytics.conftest import Seeded
from tests.analytics.helpers import UNITS, ms, ratings, workorders
from tests.analytics.test_cli import seed_week

NOV = month_period(2026, 11)
AS_OF = ms("2026-12-02 09:00")


def officers(*rows: dict[str, Any]) -> pd.DataFrame:
    defaults = {"kind": "police", "status": "active", "created_at": 0, "updated_at": 0}
    full = [{**defaults, **r} for r in rows]
    return frame([tuple(r.get(c, 0) for c, _ in OFFICER_COLS) for r in full], OFFICER_COLS)


def test_parse_period() -> None:
    assert parse_period(month="2026-11") == Period(
        date(2026, 11, 1), last=date(2026, 11, 30), kind="month"
    )
    q = parse_period(quarter="2026-Q4")
    assert (q.start, q.last, q.label, q.kind_name) == (
        date(2026, 10, 1),
        date(2026, 12, 31),
        "2026-Q4",
        "季报",
    )
    y = parse_period(year="2026")
    assert (y.days, y.previous().label) == (365, "2025")
    r = parse_period(date_from="2026-11-10", date_to="2026-11-16")
    assert (r.days, r.end_ms - r.start_ms) == (7, 7 * 86_400_000)
    assert r.start_ms == ms("2026-11-10 00:00")
    assert (r.previous().start, r.previous().last) == (date(2026, 11, 3), date(2026, 11, 9))
    assert (q.previous().start, q.previous().last) == (date(2026, 7, 1), date(2026, 9, 30))
    assert month_period(2026, 1).previous().label == "2025-12"
    for bad, field in (
        ({"month": "2026-13"}, "--month"),
        ({"quarter": "2026-Q5"}, "--quarter"),
        ({"year": "26"}, "--year"),
        ({"date_from": "2026-11-10", "date_to": "2026-11-01"}, "--to"),
        ({"date_from": "2026-11-10"}, "--to"),
        ({"month": "2026-11", "year": "2026"}, "exactly one"),
    ):
        with pytest.raises(ValueError, match=field):
            parse_period(**bad)


def data() -> ReportData:
    t = ms("2026-11-10 10:00")
    cb = ms("2026-11-20 10:00")
    rows: list[dict[str, object]] = [
        {"officer_id": 1, "unit_id": 3, "level": 5, "created_at": t + i} for i in range(8)
    ]
    rows += [
        # Called back, not substantiated: replied and closed.
        {
            "officer_id": 1,
            "unit_id": 3,
            "level": 1,
            "created_at": t,
            "callback_at": cb,
            "callback_outcome": "reached",
            "verification": "unsubstantiated",
        },
        # Not called back: neither.
        {"officer_id": 1, "unit_id": 3, "level": 1, "created_at": t},
    ]
    rows += [{"officer_id": 2, "unit_id": 5, "level": 4, "created_at": t} for _ in range(4)]
    # Sunday 1 November: its week began in October.
    rows += [{"officer_id": 2, "unit_id": 5, "level": 5, "created_at": ms("2026-11-01 10:00")}]
    # Called back, substantiated, not rectified yet: replied, not closed.
    rows += [
        {
            "officer_id": 2,
            "unit_id": 5,
            "level": 2,
            "created_at": t,
            "callback_at": cb,
            "callback_outcome": "reached",
            "verification": "substantiated",
        }
    ]
    rows += [
        {"officer_id": 1, "unit_id": 3, "level": 5, "created_at": ms("2026-10-12 10:00")}
        for _ in range(5)
    ]
    return ReportData(
        units=UNITS,
        officers=officers(
            {"officer_id": 1, "badge_no": "100001", "officer_name": "张伟", "unit_id": 3},
            {"officer_id": 2, "badge_no": "100002", "officer_name": "李娜", "unit_id": 5},
        ),
        ratings=ratings(*rows),
        workorders=workorders(
            {
                "received_at": t,
                "unit_id": 5,
                "closed_at": t + 3_600_000,
                "due_at": t + 86_400_000,
                "callback_at": t + 7_200_000,
                "callback_outcome": "reached",
                "satisfaction": "satisfied",
            },
            {"received_at": t, "unit_id": 3},
        ),
        overdue=frame([], OVERDUE_COLS),
        as_of_ms=AS_OF,
        start_ms=NOV.previous().start_ms,
        end_ms=NOV.end_ms,
    )


def test_period_against_previous_and_assessment() -> None:
    report = build_period(data(), PeriodOptions(period=NOV))
    summary = report.summary.set_index("key")
    assert summary.loc["valid", "this_week"] == 16
    assert summary.loc["valid", "previous_week"] == 5  # October
    assert summary.loc["satisfaction_rate", "this_week"] == pytest.approx(13 / 16)
    assert summary.loc["satisfaction_rate", "change"] == pytest.approx(13 / 16 - 1)

    a = report.assessment.set_index("code")
    # 东站: 2 bad ratings + 1 work order; one case called back and closed.
    assert a.loc[
        "S1", ["items", "replied", "closed", "answered", "satisfied_answers"]
    ].tolist() == [3, 1, 1, 10, 8]
    # 西站: 1 bad rating (called back, awaiting rectification) + 1 work order closed and reached.
    assert a.loc[
        "S2", ["items", "replied", "closed", "answered", "satisfied_answers"]
    ].tolist() == [2, 2, 1, 7, 6]
    assert a.loc["S2", "reply_rate"] == 1.0 and a.loc["S2", "closure_rate"] == 0.5
    assert a.loc["S2", "assessment_satisfaction"] == pytest.approx(6 / 7)
    assert a.loc["S1", "score_total"] == pytest.approx((1 / 3 + 1 / 3 + 0.8) / 3)
    # Ranked among peers: stations with stations, branches with branches; the bureau alone.
    assert (a.loc["S2", "peer_rank"], a.loc["S1", "peer_rank"], a.loc["S1", "peers"]) == (1, 2, 2)
    assert (a.loc["B2", "peer_rank"], a.loc["B1", "peer_rank"]) == (1, 2)
    assert a.loc["B1", "level_label"] == "分局级" and a.loc["S1", "level_label"] == "所队级"
    assert pd.isna(a.loc["B", "peer_rank"])
    assert a.loc["B", "items"] == 5  # rolled up

    # The trend of a month goes week by week, from the month's first day (not the Monday
    # before it).
    assert report.trend["period_start"].tolist() == ["2026-11-01", "2026-11-09"]
    assert report.trend["valid"].tolist() == [1, 15]
    assert "巨好办考核" in set(report.definitions["section"])

    # A branch's own report: its stations are still 所队级, ranked among themselves.
    scoped = build_period(data(), PeriodOptions(period=NOV, root_unit_id=2)).assessment
    assert scoped.set_index("code")["level_label"].to_dict() == {"B1": "分局级", "S1": "所队级"}


def run_period(seeded: Seeded, *args: str) -> int:
    return main(["--database", seeded.settings.database, "report", "period", *args])


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def test_period_of_one_week_equals_the_weekly_report(
    seeded_file: Seeded, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_week(seeded_file)
    db = seeded_file.settings.database
    week, period = tmp_path / "week", tmp_path / "period"
    assert (
        main(["--database", db, "report", "weekly", "--week", "2026-W40", "--out", str(week)]) == 0
    )
    assert (
        run_period(seeded_file, "--from", "2026-09-28", "--to", "2026-10-04", "--out", str(period))
        == 0
    )
    printed = capsys.readouterr().out
    assert "期报 2026-09-28_2026-10-04 (2026-09-28 – 2026-10-04)" in printed
    # Same cohort, same comparison (the seven days before): the same figures.
    assert rows_of(period / "units.csv") == rows_of(week / "units.csv")
    assert rows_of(period / "officers.csv") == rows_of(week / "officers.csv")
    weekly = [list(r.values())[1:] for r in rows_of(week / "summary.csv")]
    assert [list(r.values())[1:] for r in rows_of(period / "summary.csv")] == weekly
    assert list(rows_of(period / "summary.csv")[0]) == ["指标", "本期", "上期", "环比"]

    wb = openpyxl.load_workbook(period / "report.xlsx")
    assert (
        "考核" in wb.sheetnames
        and wb.sheetnames.index("考核") == wb.sheetnames.index("单位计数") + 1
    )
    assert rows_of(period / "assessment.csv")[0]["单位"] == "张家口市公安局"
    page = (period / "report.html").read_text(encoding="utf-8")
    assert "评警期报" in page and "巨好办考核" in page


def test_period_cli_mistakes(
    seeded_file: Seeded, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "o")
    assert run_period(seeded_file, "--month", "2026-13", "--out", out) == 1
    assert "--month must look like 2026-11" in capsys.readouterr().err
    assert run_period(seeded_file, "--from", "2026-11-01", "--out", out) == 1
    assert "--to" in capsys.readouterr().err
    assert run_period(seeded_file, "--quarter", "2026-Q3", "--out", out, "--formats", "csv") == 0
    assert (tmp_path / "o" / "assessment.csv").exists()

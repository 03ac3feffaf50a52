"""The report's supervisor table: on literal frames (counts, roll-up, the substantiation
rate) and end to end on SQLite and PostgreSQL (reports filed, verified through the loop,
counted in the weekly report)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from analytics.metrics import ancestors
from analytics.supervisors import supervisor_table
from analytics.weekly import render, weekly_report
from rating.cases import service as cases
from rating.cases.model import Actor
from rating.clock import now_ms
from rating.store import Store
from rating.supervisors import service
from rating.supervisors.model import ReportInput, Supervisor
from rating.supervisors.service import SHANGHAI
from tests.backends import BACKENDS, roster_store
from tests.conftest import make_settings
from tests.supervisors.test_store import DUCHA, KEYS, admin, day, report

UNITS = pd.DataFrame(
    {
        "unit_id": [1, 2, 3],
        "parent_id": pd.array([None, 1, 1], dtype="Int64"),
        "path": ["局", "局/甲所", "局/乙所"],
        "depth": [0, 1, 1],
    }
)


def test_counts_roll_up_and_the_rate_is_substantiated_over_verified() -> None:
    reports = pd.DataFrame(
        {
            "unit_id": [2, 2, 2, 2, 3],
            "verification": [
                "substantiated",
                "partly_substantiated",
                "unsubstantiated",
                None,
                None,
            ],
        }  # fmt: skip
    )
    table = supervisor_table(reports, UNITS, ancestors(UNITS)).set_index("path")
    assert table.loc["局/甲所", "supervisor_reports"] == 4
    assert table.loc["局/甲所", "verified"] == 3 and table.loc["局/甲所", "substantiated"] == 2
    assert table.loc["局/甲所", "substantiation_rate"] == pytest.approx(2 / 3)
    # Nothing verified yet: no rate (an empty cell), not 0 %.
    assert table.loc["局/乙所", "supervisor_reports"] == 1
    assert pd.isna(table.loc["局/乙所", "substantiation_rate"])
    assert table.loc["局", "supervisor_reports"] == 5 and table.loc["局", "verified"] == 3


def test_units_without_reports_are_left_out() -> None:
    reports = pd.DataFrame({"unit_id": pd.Series([], dtype="int64"), "verification": []})
    assert supervisor_table(reports, UNITS, ancestors(UNITS)).empty


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_weekly_report_counts_supervisor_reports_per_unit(
    backend: str, tmp_path: Path
) -> None:
    async with roster_store(backend, tmp_path) as store:
        me = await admin(store)
        x = await service_add(store, me)
        ids = []
        for i, badge in enumerate(("100001", "100002", "100003")):
            filed = await file(store, x, report(badge=badge, stamp=f"w{i}"))
            ids.append(filed)
        for case_id, verdict in zip(ids[:2], ("substantiated", "unsubstantiated"), strict=True):
            await cases.transition(store, case_id, me, "reply", {"reply": "已核查"})
            await cases.transition(store, case_id, me, "callback",
                                   {"outcome": "reached", "note": "已联系监督员"})  # fmt: skip
            await cases.transition(store, case_id, me, "verify",
                                   {"verification": verdict, "note": "核实"})  # fmt: skip
        year, week, _ = datetime.now(SHANGHAI).isocalendar()
        settings = make_settings(tmp_path)
        weekly = await weekly_report(store, settings, week=f"{year}-W{week:02d}", now_ms=now_ms())
        table = weekly.extra["supervisors"].set_index("path")
        station = "张家口市公安局/桥东分局/胜利路派出所"
        assert table.loc[station, "supervisor_reports"] == 2
        assert table.loc[station, "verified"] == 2 and table.loc[station, "substantiated"] == 1
        assert table.loc[station, "substantiation_rate"] == pytest.approx(0.5)
        other = "张家口市公安局/桥西分局/新华街派出所"
        assert table.loc[other, "supervisor_reports"] == 1 and table.loc[other, "verified"] == 0
        assert table.loc["张家口市公安局", "supervisor_reports"] == 3
        # Every format carries it: the sheet, the CSV file, the page's section.
        out = tmp_path / "out"
        render(weekly, out, ("xlsx", "csv", "html"))
        assert "监督员报告" in openpyxl.load_workbook(out / "report.xlsx").sheetnames
        csv_text = (out / "supervisors.csv").read_text(encoding="utf-8-sig")
        assert "属实率" in csv_text and "胜利路派出所" in csv_text
        page = (out / "report.html").read_text(encoding="utf-8")
        assert "警风监督员报告（按民警所在单位）" in page and "50.0%" in page


async def service_add(store: Store, me: Actor) -> Supervisor:
    return await service.add(store, KEYS, me, "张三", "", day(0), day(30))


async def file(store: Store, x: Supervisor, inp: ReportInput) -> int:
    assert x.token is not None
    filed = await service.file_report(store, x.token, inp, DUCHA)
    assert filed.report_id is not None
    row = await store.read(
        lambda tx: tx.one(
            "SELECT id FROM cases WHERE source = 'supervisor' AND source_id = ?",
            (filed.report_id,),
        )
    )
    assert row is not None
    return int(row[0])

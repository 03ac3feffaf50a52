"""The report's supervisor table (issue 19 item 2): per unit, rolled up the tree, the
citizen supervisors' reports (警风监督员) about the unit's officers written in the report
week, how many of their cases were verified by the report moment, and the
**substantiation rate** = substantiated (属实 or 部分属实) / verified.

A report counts for the unit its officer served in when it was written. The verification
is the case's as it stood at the report moment: one recorded later reads as not yet
verified. `load_supervisors` is the I/O; `supervisor_table` is frames in, frames out;
`add_supervisors` is the hook the report assembly calls.
"""

from __future__ import annotations

import asyncio

import numpy as np
import pandas as pd

from analytics.frames import frame
from analytics.load import ReportData
from analytics.metrics import ancestors, rollup
from analytics.report import ReportOptions, WeeklyReport
from rating.cases.model import SUBSTANTIATED
from rating.store import Store
from rating.store.tx import Tx

SCHEMA = (("unit_id", "i64"), ("verification", "str"))
COUNTS = ["supervisor_reports", "verified", "substantiated"]
COLUMNS = ["unit_id", "path", "depth", *COUNTS, "substantiation_rate"]


def _read(tx: Tx, start_ms: int, end_ms: int, as_of: int) -> pd.DataFrame:
    rows = tx.all(
        "SELECT r.unit_id, CASE WHEN c.verified_at <= ? THEN c.verification END "
        "FROM supervisor_reports r "
        "LEFT JOIN cases c ON c.source = 'supervisor' AND c.source_id = r.id "
        "WHERE r.created_at >= ? AND r.created_at < ? AND r.created_at <= ?",
        (as_of, start_ms, end_ms, as_of),
    )
    return frame(rows, SCHEMA)


async def load_supervisors(store: Store, data: ReportData, options: ReportOptions) -> pd.DataFrame:
    return await store.read(_read, options.week.start_ms, options.week.end_ms, data.as_of_ms)


def supervisor_table(
    reports: pd.DataFrame, units: pd.DataFrame, tree: pd.DataFrame
) -> pd.DataFrame:
    """The sheet: units with supervisor reports, sorted by path. `reports`: unit_id,
    verification (None: not verified by the report moment)."""
    verification = reports["verification"]
    counts = pd.DataFrame(
        {
            "unit_id": reports["unit_id"].to_numpy(np.int64),
            "supervisor_reports": np.ones(len(reports), dtype=np.int64),
            "verified": verification.notna().to_numpy(bool).astype(np.int64),
            "substantiated": verification.isin([str(v) for v in SUBSTANTIATED])
            .to_numpy(bool)
            .astype(np.int64),
        }
    )
    summed = rollup(counts, tree, [], COUNTS)
    rows = units[["unit_id", "path", "depth"]].merge(summed, on="unit_id", how="inner")
    rows = rows[rows["supervisor_reports"] > 0]
    verified = rows["verified"]
    rate = (rows["substantiated"] / verified.where(verified > 0)).astype(float)
    rows = rows.assign(substantiation_rate=rate)
    return rows.sort_values("path", ignore_index=True)[COLUMNS]


def supervisor_tables(
    reports: pd.DataFrame, data: ReportData, options: ReportOptions
) -> pd.DataFrame:
    """The sheet for the report's scope (a unit's report: that unit and below)."""
    tree = ancestors(data.units)
    units = data.units
    if options.root_unit_id is not None:
        ids = tree.loc[tree["ancestor_id"] == options.root_unit_id, "unit_id"]
        units = units[units["unit_id"].isin(ids)]
    return supervisor_table(reports, units, tree)


async def add_supervisors(
    store: Store, report: WeeklyReport, data: ReportData, options: ReportOptions
) -> None:
    """Read and compute the supervisor table into `report.extra`."""
    reports = await load_supervisors(store, data, options)
    table = await asyncio.to_thread(supervisor_tables, reports, data, options)
    report.extra["supervisors"] = table

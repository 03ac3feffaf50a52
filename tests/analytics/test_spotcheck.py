"""The report's spot-check and quick-tap table on literal frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.metrics import ancestors
from analytics.periods import day_number
from analytics.spotcheck import SpotData, spot_warnings, spotcheck_table, unit_counts

UNITS = pd.DataFrame(
    {
        "unit_id": [1, 2, 3],
        "parent_id": pd.array([None, 1, 1], dtype="Int64"),
        "path": ["局", "局/甲所", "局/乙所"],
        "depth": [0, 1, 1],
    }
)
WEEK = day_number(pd.Timestamp("2026-11-30").date())  # a Monday
MS = (WEEK * 86_400_000) - 8 * 3_600_000 + 3_600_000  # 01:00 local on that Monday


def checks(unit: int, confirmed: int, nc: int, unreachable: int, open_: int = 0) -> pd.DataFrame:
    outcomes = (["confirmed"] * confirmed + ["not_confirmed"] * nc
                + ["unreachable"] * unreachable + [None] * open_)  # fmt: skip
    return pd.DataFrame(
        {"unit_id": [unit] * len(outcomes), "outcome": outcomes, "reason": [None] * len(outcomes)}
    )


def test_verified_rate_fast_share_and_rollup() -> None:
    spot = SpotData(
        checks=pd.concat([checks(2, 8, 2, 3, 1), checks(3, 4, 0, 0)], ignore_index=True),
        fast=pd.DataFrame(
            {"unit_id": [2, 2, 2, 3], "created_at": [MS] * 4, "fast": [True, False, False, False]}
        ),
    )
    ratings = pd.DataFrame(
        {"unit_id": [2, 2, 2, 3], "level": [5, 5, 1, 4], "created_at": [MS] * 4,
         "invalidated": [False] * 4}
    )  # fmt: skip
    counts = unit_counts(spot, ratings, ancestors(UNITS), WEEK, 0)
    table = spotcheck_table(counts, UNITS, bureau_reached=14, bureau_nc=2)
    got = table.set_index("path")
    assert got.loc["局/甲所", "checks"] == 14 and got.loc["局/甲所", "reached"] == 10
    assert got.loc["局/甲所", "verified_rate"] == pytest.approx(0.8)
    assert got.loc["局/甲所", "not_confirmed_share"] == pytest.approx(0.2)
    assert got.loc["局/甲所", "fast_share"] == pytest.approx(1 / 3)
    assert got.loc["局/甲所", "satisfaction_rate"] == pytest.approx(2 / 3)
    assert got.loc["局/乙所", "verified_rate"] == 1.0
    assert got.loc["局", "reached"] == 14 and got.loc["局", "fast_share"] == pytest.approx(0.25)
    # Too few checks elsewhere to set a bar: nothing flagged.
    assert table["spot_flag"].isna().all() and spot_warnings(table).empty


def test_a_unit_far_above_the_rest_of_the_bureau_is_warned() -> None:
    spot = SpotData(
        checks=pd.concat([checks(2, 4, 6, 0), checks(3, 95, 5, 10)], ignore_index=True),
        fast=pd.DataFrame({"unit_id": [], "created_at": [], "fast": []}).astype(
            {"unit_id": np.int64, "created_at": np.int64, "fast": bool}
        ),
    )
    ratings = pd.DataFrame(
        {"unit_id": [2], "level": [5], "created_at": [MS], "invalidated": [False]}
    )
    counts = unit_counts(spot, ratings, ancestors(UNITS), WEEK, 0)
    table = spotcheck_table(counts, UNITS, bureau_reached=110, bureau_nc=11)
    got = table.set_index("path")
    assert got.loc["局/甲所", "spot_flag"] == "偏高"
    assert got.loc["局/甲所", "rest_not_confirmed_share"] == pytest.approx(0.05)
    assert got.loc["局/甲所", "p_value"] < 0.01
    assert got.loc["局/乙所", "spot_flag"] is None  # below the rest's share
    # The bureau itself has no "rest" to compare with.
    assert got.loc["局", "spot_flag"] is None
    warned = spot_warnings(table)
    assert list(warned["unit"]) == ["局/甲所"] and "未证实 6 人" in warned["detail"].iloc[0]


def test_the_same_counts_below_the_minimum_are_not_warned() -> None:
    spot = SpotData(
        checks=pd.concat([checks(2, 0, 2, 0), checks(3, 95, 5, 10)], ignore_index=True),
        fast=pd.DataFrame({"unit_id": [2], "created_at": [MS], "fast": [False]}),
    )
    ratings = pd.DataFrame(
        {"unit_id": [2], "level": [5], "created_at": [MS], "invalidated": [False]}
    )
    counts = unit_counts(spot, ratings, ancestors(UNITS), WEEK, 0)
    table = spotcheck_table(counts, UNITS, bureau_reached=102, bureau_nc=7)
    # 2 of 2 not confirmed is 100%, but fewer than MIN_BAD (3): not a warning.
    assert table.set_index("path").loc["局/甲所", "not_confirmed_share"] == 1.0
    assert table["spot_flag"].isna().all()

"""Red/black list ranking, the baseline test and burst detection on literal frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from analytics.alerts import baseline_alerts, binomial_sf, bursts
from analytics.lists import peer_lists, red_black, wilson_lower
from analytics.periods import day_number
from tests.analytics.helpers import ms, ratings

W47 = day_number(pd.Timestamp("2026-11-16").date())


def test_wilson_lower_bound_by_hand() -> None:
    got = wilson_lower(pd.Series([10, 48, 0]), pd.Series([10, 50, 0]))
    # 10/10 → 0.7225, 48/50 → 0.8654 (Wilson 95%); no ratings → empty
    pdt.assert_series_equal(got.round(4), pd.Series([0.7225, 0.8654, np.nan]))


def test_one_rating_cannot_top_the_red_list() -> None:
    rates = pd.DataFrame(
        {
            "who": ["one-hit", "steady", "mixed", "poor"],
            "valid": [1, 50, 12, 20],
            "satisfied": [1, 48, 10, 10],
            "bad": [0, 2, 2, 10],
        }
    )
    got = red_black(rates, min_valid=10)
    # Pooled bad rate of the eligible: 14/82 = 17.1%. Only "poor" (Wilson lower bound of
    # 10/20 = 29.9%) is significantly worse: black; the rest rank on the red list.
    assert got.loc[got["list"] == "黑榜", "who"].tolist() == ["poor"]
    assert got.loc[got["list"] == "红榜", "who"].tolist() == ["steady", "mixed"]
    assert "one-hit" not in got["who"].tolist()
    assert got["peer_bad_rate"].round(4).unique().tolist() == [round(14 / 82, 4)]
    black = got[got["list"] == "黑榜"].iloc[0]
    assert black["score"] == pytest.approx(wilson_lower(pd.Series([10]), pd.Series([20]))[0])


def test_peers_by_level_and_nobody_on_both_lists() -> None:
    units = pd.DataFrame(
        {
            "unit_id": [1, 2, 3, 4, 5],
            "depth": [0, 1, 1, 2, 2],
            "valid": [400, 200, 200, 100, 100],
            "satisfied": [360, 190, 170, 95, 75],
            "bad": [40, 10, 30, 5, 25],
        }
    )
    officers = pd.DataFrame(
        {"officer_id": [7, 8, 9], "valid": [40, 40, 40], "satisfied": [40, 39, 20]}
    ).assign(bad=lambda f: f["valid"] - f["satisfied"])
    got = peer_lists(units, officers)
    # The bureau has no peers; each level is ranked on its own; each appears once.
    assert 1 not in got["unit_id"].dropna().tolist()
    assert set(got["peer_group"]) == {"分局级", "所队级", "民警"}
    units_listed = got[got["level"] == "单位"]
    assert units_listed.groupby("peer_group")["unit_id"].apply(sorted).to_dict() == {
        "分局级": [2, 3],
        "所队级": [4, 5],
    }
    assert not units_listed["unit_id"].duplicated().any()
    # 西分局 30/200 bad (Wilson lower bound 10.7%) against its level's pooled 10%; 西站
    # 25/100 (17.5%) against 15%. 东分局 and 东站 are red, the others' own peers.
    black = got[got["list"] == "黑榜"]
    assert black["unit_id"].dropna().tolist() == [3, 5]  # 分局级 first
    assert got.loc[got["list"] == "红榜", "unit_id"].dropna().tolist() == [2, 4]
    assert got.loc[got["list"] == "黑榜", "officer_id"].dropna().tolist() == [9]
    officer_rows = got[got["level"] == "民警"]
    assert not officer_rows["officer_id"].duplicated().any()
    assert officer_rows.loc[officer_rows["list"] == "红榜", "officer_id"].tolist() == [7, 8]


def test_binomial_tail_by_hand() -> None:
    # P(X >= 2 | n=3, p=0.5) = (3 + 1) / 8
    assert binomial_sf(2, 3, 0.5) == pytest.approx(0.5)
    assert binomial_sf(0, 3, 0.1) == 1.0
    assert binomial_sf(4, 3, 0.1) == 0.0


def test_bad_rate_above_own_baseline() -> None:
    weeks = [W47 - 7 * k for k in range(8, 0, -1)]
    base = pd.DataFrame(
        {
            "week": np.array(weeks * 2, dtype=np.int32),
            "officer_id": [1] * 8 + [2] * 8,
            "valid": [10] * 16,
            "bad": [0] * 8 + [3] * 8,  # officer 2 is always at 30%
        }
    )
    this = pd.DataFrame(
        {
            "week": np.array([W47, W47], dtype=np.int32),
            "officer_id": [1, 2],
            "valid": [10, 10],
            "bad": [4, 4],
        }
    )
    got = baseline_alerts(pd.concat([base, this], ignore_index=True), W47, ["officer_id"])
    # Officer 1: baseline (0+1)/(80+2); P(X>=4 | 10, 1/82) ≈ 4e-6 → flagged.
    # Officer 2: baseline 25/82 ≈ 30%; 4/10 is not unusual → not flagged.
    assert got["officer_id"].tolist() == [1]
    assert got["baseline_rate"].iloc[0] == pytest.approx(1 / 82)
    assert got["p_value"].iloc[0] == pytest.approx(binomial_sf(4, 10, 1 / 82))
    assert got["p_value"].iloc[0] < 1e-5


def test_no_alert_without_enough_baseline() -> None:
    counts = pd.DataFrame(
        {
            "week": np.array([W47 - 7, W47], dtype=np.int32),
            "officer_id": [1, 1],
            "valid": [19, 5],
            "bad": [0, 5],
        }
    )
    assert baseline_alerts(counts, W47, ["officer_id"]).empty


def test_burst_of_top_ratings_from_one_device() -> None:
    t = ms("2026-11-17 10:00")
    minute = 60_000
    frame = ratings(
        # five 非常满意 from one phone within 8 minutes at officer 1: a burst
        *[{"level": 5, "created_at": t + 2 * k * minute, "device_hash": "d1"} for k in range(5)],
        # five from another phone at officer 2, but spread over 40 minutes: no burst
        *[
            {"level": 5, "officer_id": 2, "created_at": t + 10 * k * minute, "device_hash": "d2"}
            for k in range(5)
        ],
        # four from one network at officer 3 plus one level-4: below the threshold
        *[
            {"level": 5, "officer_id": 3, "created_at": t + k, "network_hash": "n1"}
            for k in range(4)
        ],
        {"level": 4, "officer_id": 3, "created_at": t + 5, "network_hash": "n1"},
    )
    got = bursts(frame, W47, 0)
    assert got[["officer_id", "source", "top_ratings"]].values.tolist() == [[1, "device", 5]]
    assert got["first_at"].iloc[0] == t and got["last_at"].iloc[0] == t + 8 * minute

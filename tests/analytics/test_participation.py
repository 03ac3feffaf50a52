"""Participation (ratings / services) and the implausibly-high-or-low rule: literal frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandas.testing as pdt

from analytics import participation
from analytics.periods import DAY_MS, day_number
from tests.analytics.helpers import ms

MON = ms("2026-11-16 00:00")
WEEK = day_number(pd.Timestamp("2026-11-16").date())
TREE = pd.DataFrame({"unit_id": [1, 2, 2, 3, 3], "ancestor_id": [1, 1, 2, 1, 3]})


def test_weekly_units_rolls_ratings_and_services_up_the_tree() -> None:
    ratings = pd.DataFrame(
        {
            "unit_id": [2, 2, 3, 3],
            "level": np.array([5, 2, 3, 1], dtype=np.int8),
            "created_at": [MON + 3600_000, MON + 2 * DAY_MS, MON, MON - DAY_MS],
            "invalidated": [False, False, False, True],
        }
    )
    services = pd.DataFrame(
        {"unit_id": [2, 3, 3], "day": [MON, MON + DAY_MS, MON - DAY_MS], "services": [10, 7, 4]}
    )
    got = participation.weekly_units(ratings, services, TREE, 0, basic_counts_satisfied=False)
    expected = pd.DataFrame(
        {
            "week": np.array([WEEK - 7, WEEK - 7, WEEK, WEEK, WEEK], dtype=np.int64),
            "unit_id": np.array([1, 3, 1, 2, 3], dtype=np.int64),
            "services": np.array([4, 4, 17, 10, 7], dtype=np.int64),
            "ratings": np.array([1, 1, 3, 2, 1], dtype=np.int64),
            "valid": np.array([0, 0, 3, 2, 1], dtype=np.int64),
            "satisfied": np.array([0, 0, 1, 1, 0], dtype=np.int64),  # level 3 not counted
        }
    )
    pdt.assert_frame_equal(got, expected)


def peers(rows: list[tuple[int, int]], depth: int = 3) -> pd.DataFrame:
    """(services, ratings) per unit; unit ids from 10."""
    return pd.DataFrame(
        {
            "unit_id": np.arange(10, 10 + len(rows), dtype=np.int64),
            "depth": depth,
            "services": np.array([s for s, _ in rows], dtype=np.int64),
            "ratings": np.array([r for _, r in rows], dtype=np.int64),
        }
    )


TYPICAL = [(1000, 100), (1000, 110), (1000, 95), (1000, 105), (1000, 98), (1000, 102)]


def test_far_above_and_far_below_the_peers_are_flagged() -> None:
    rows = peers([*TYPICAL, (1000, 400), (1000, 5), (30, 30), (800, 900)])
    got = participation.flag_units(rows)
    assert got["flag"].tolist() == [""] * 6 + ["high", "low", "", "high"]
    assert got["peer_participation"].iloc[0] == 0.102  # median of the nine with 50+ services
    assert np.isnan(got["peer_participation"].iloc[8])  # 30 services: too few to judge
    assert got["p_value"].iloc[6] < 1e-6 and got["p_value"].iloc[9] == 0.0
    pdt.assert_series_equal(
        got["participation"], rows["ratings"] / rows["services"], check_names=False
    )


def test_a_large_unit_that_differs_a_little_is_not_flagged() -> None:
    # 12% against the peers' ~10%: significant on 20,000 services, but not far from peers.
    rows = peers([*TYPICAL, (20_000, 2_400)])
    assert participation.flag_units(rows)["flag"].tolist() == [""] * 7


def test_a_small_unit_far_from_the_peers_by_chance_is_not_flagged() -> None:
    # 60 services, 11 ratings: far in relative terms (18% against 10%), but
    # P(X >= 11 | 60, 0.1) is about 0.04, not below 0.01.
    rows = peers([*TYPICAL, (60, 11)])
    assert participation.flag_units(rows)["flag"].tolist() == [""] * 7


def test_too_few_peers_flags_nothing() -> None:
    rows = peers([(1000, 100), (1000, 100), (1000, 400), (1000, 5)])
    assert participation.flag_units(rows)["flag"].tolist() == [""] * 4


def test_table_is_empty_without_service_volumes() -> None:
    counts = pd.DataFrame(
        {
            "week": [WEEK],
            "unit_id": [1],
            "services": [0],
            "ratings": [5],
            "valid": [5],
            "satisfied": [5],
        }
    )
    units = pd.DataFrame({"unit_id": [1], "path": ["局"], "depth": [1]})
    got = participation.participation_table(counts, units, WEEK)
    assert got.empty and list(got.columns) == participation.COLUMNS


def test_table_for_a_week() -> None:
    counts = pd.DataFrame(
        {
            "week": [WEEK, WEEK, WEEK - 7],
            "unit_id": [1, 2, 2],
            "services": [100, 100, 50],
            "ratings": [20, 20, 1],
            "valid": [20, 19, 1],
            "satisfied": [19, 18, 1],
        }
    )
    units = pd.DataFrame({"unit_id": [1, 2], "path": ["局", "局/所"], "depth": [1, 2]})
    got = participation.participation_table(counts, units, WEEK)
    expected = pd.DataFrame(
        {
            "unit_id": [1, 2],
            "path": ["局", "局/所"],
            "depth": [1, 2],
            "services": [100, 100],
            "ratings": [20, 20],
            "participation": [0.2, 0.2],
            "peer_participation": [np.nan, np.nan],
            "satisfaction_rate": [19 / 20, 18 / 19],
            "flag": ["", ""],
            "p_value": [np.nan, np.nan],
        }
    )
    pdt.assert_frame_equal(got, expected)

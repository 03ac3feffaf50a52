"""Every metric against hand-computed values on small literal frames."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from analytics.load import OFFICER_COLS, frame
from analytics.metrics import (
    COUNTS,
    add_rates,
    ancestors,
    count_items,
    level_counts,
    participation,
    rating_items,
    reasons_count,
    rollup,
    roster_at,
    week_over_week,
    workorder_items,
)
from analytics.periods import day_number, parse_week, week_start_days
from tests.analytics.helpers import UNITS, ms, ratings, workorders

MON = 0
SUN = 6
W47 = day_number(date(2026, 11, 16))  # Monday of ISO week 2026-W47
W46 = day_number(date(2026, 11, 9))
AS_OF = ms("2026-11-23 09:00")


def counts_of(frame: pd.DataFrame, *, basic: bool = True) -> pd.DataFrame:
    return count_items(rating_items(frame, MON, AS_OF, basic), ["week", "unit_id", "officer_id"])


def row(counts: pd.DataFrame) -> dict[str, int]:
    assert len(counts) == 1
    return {c: int(counts[c].iloc[0]) for c in COUNTS if counts[c].iloc[0]}


def test_week_boundary_in_shanghai_time() -> None:
    # Monday 00:00 in Shanghai is Sunday 16:00 UTC: the minute before belongs to W46.
    times = pd.Series([ms("2026-11-15 23:59"), ms("2026-11-16 00:00"), ms("2026-11-22 23:59")])
    assert week_start_days(times, MON).tolist() == [W46, W47, W47]
    # Checked against zoneinfo, not only our own offset arithmetic.
    local = pd.to_datetime(times, unit="ms", utc=True).dt.tz_convert(ZoneInfo("Asia/Shanghai"))
    assert local.dt.strftime("%a %H:%M").tolist() == ["Sun 23:59", "Mon 00:00", "Sun 23:59"]
    # With weeks starting on Sunday, the boundary moves to Sunday 00:00.
    sunday = week_start_days(times, SUN).tolist()
    assert sunday == [W47 - 1, W47 - 1, W47 + 6]


def test_parse_week_with_configured_first_day() -> None:
    assert parse_week("2026-W47", MON).start == date(2026, 11, 16)
    assert parse_week("2026-W47", SUN).start == date(2026, 11, 15)
    assert parse_week("2026-W47", MON).label == "2026-W47"
    with pytest.raises(ValueError, match="2026-W47"):
        parse_week("2026-47", MON)
    with pytest.raises(ValueError, match="no such ISO week"):
        parse_week("2026-W54", MON)


def test_rating_counts_and_rates_by_hand() -> None:
    t = ms("2026-11-17 10:00")
    frame = ratings(
        {"level": 5, "created_at": t},
        {"level": 4, "created_at": t},
        {"level": 3, "created_at": t},
        # bad, called back and reached, substantiated, rectified on time, citizen satisfied
        {
            "level": 2,
            "created_at": t,
            "reasons": "attitude,efficiency",
            "callback_at": t + 1000,
            "callback_outcome": "reached",
            "verification": "partly_substantiated",
            "rectified_at": t + 5000,
            "rectify_due_at": t + 9000,
            "fix_rating": "basically_satisfied",
        },
        # bad, called back but unreachable, substantiated, rectified late
        {
            "level": 1,
            "created_at": t,
            "callback_at": t + 1000,
            "callback_outcome": "unreachable",
            "verification": "substantiated",
            "rectified_at": t + 9001,
            "rectify_due_at": t + 9000,
        },
        # bad, no callback yet
        {"level": 1, "created_at": t},
        # 误评, found out by a callback that reached the citizen: not a valid rating, but
        # its callback was due and done
        {
            "level": 1,
            "created_at": t,
            "invalidated": 1,
            "callback_at": t + 1,
            "callback_outcome": "reached",
            "verification": "mistaken_malicious",
        },
    )
    counts = counts_of(frame)
    assert row(counts) == {
        "ratings": 7,
        "invalidated": 1,
        "valid": 6,
        "satisfied": 3,
        "good": 2,
        "bad": 3,
        "cb_due": 4,
        "cb_done": 3,
        "cb_reached": 2,
        "substantiated": 2,
        "rectified": 2,
        "rectified_on_time": 1,
        "fix_answered": 1,
        "fix_ok": 1,
    }
    rates = add_rates(counts).iloc[0]
    assert rates["satisfaction_rate"] == pytest.approx(3 / 6)
    assert rates["good_rate"] == pytest.approx(2 / 6)
    assert rates["bad_rate"] == pytest.approx(3 / 6)
    assert rates["callback_rate"] == pytest.approx(3 / 4)
    assert rates["effective_callback_rate"] == pytest.approx(2 / 4)
    assert rates["rectification_rate"] == pytest.approx(2 / 2)
    assert rates["ontime_rectification_rate"] == pytest.approx(1 / 2)
    assert rates["fix_ok_rate"] == pytest.approx(1 / 1)
    # Without work orders the hotline rates have no denominator: empty, not 0%.
    assert np.isnan(rates["hotline_satisfaction"])
    assert np.isnan(rates["ontime_closure_rate"])


def test_basic_satisfied_setting_changes_satisfaction_only() -> None:
    t = ms("2026-11-17 10:00")
    frame = ratings({"level": 5, "created_at": t}, {"level": 3, "created_at": t})
    with_basic = add_rates(counts_of(frame, basic=True)).iloc[0]
    without = add_rates(counts_of(frame, basic=False)).iloc[0]
    assert (with_basic["satisfaction_rate"], without["satisfaction_rate"]) == (1.0, 0.5)
    assert with_basic["good_rate"] == without["good_rate"] == 0.5


def test_zero_denominator_gives_empty_cell() -> None:
    # Only invalidated ratings: no valid rating, so every rating rate is NaN, not 0%. The
    # callback of the invalidated bad rating is still due (and not done: 0%).
    frame = ratings({"level": 1, "created_at": ms("2026-11-17 10:00"), "invalidated": 1})
    rates = add_rates(counts_of(frame))
    expected = pd.Series([np.nan], name="satisfaction_rate")
    pdt.assert_series_equal(rates["satisfaction_rate"], expected)
    assert rates[["bad_rate", "rectification_rate"]].isna().all().all()
    assert rates["callback_rate"].tolist() == [0.0]
    # Only a good rating: no callback due, so the callback rate is empty.
    good = add_rates(counts_of(ratings({"level": 5, "created_at": ms("2026-11-17 10:00")})))
    assert good[["callback_rate", "bad_rate"]].to_dict("records") == [
        {"callback_rate": pytest.approx(np.nan, nan_ok=True), "bad_rate": 0.0}
    ]


def test_follow_up_after_report_moment_is_not_counted() -> None:
    t = ms("2026-11-17 10:00")
    frame = ratings(
        {"level": 2, "created_at": t, "callback_at": AS_OF + 1, "callback_outcome": "reached"}
    )
    assert row(counts_of(frame))["cb_due"] == 1
    assert "cb_done" not in row(counts_of(frame))


def test_amended_rating_counts_once_at_its_current_level() -> None:
    # An amended rating is one row (earlier levels live in rating_revisions, never loaded).
    frame = ratings({"level": 2, "created_at": ms("2026-11-17 10:00")})
    assert row(counts_of(frame)) == {"ratings": 1, "valid": 1, "bad": 1, "cb_due": 1}


def test_ratings_either_side_of_week_boundary_land_in_their_weeks() -> None:
    frame = ratings(
        {"level": 5, "created_at": ms("2026-11-15 23:59")},
        {"level": 1, "created_at": ms("2026-11-16 00:00")},
    )
    rates = add_rates(counts_of(frame))
    got = rates[["week", "valid", "bad", "satisfaction_rate"]]
    expected = pd.DataFrame(
        {
            "week": np.array([W46, W47], dtype=np.int32),
            "valid": np.array([1, 1], dtype=np.int64),
            "bad": np.array([0, 1], dtype=np.int64),
            "satisfaction_rate": [1.0, 0.0],
        }
    )
    pdt.assert_frame_equal(got, expected)


def test_units_roll_up_the_tree() -> None:
    t = ms("2026-11-17 10:00")
    frame = ratings(
        {"level": 5, "unit_id": 3, "officer_id": 1, "created_at": t},
        {"level": 1, "unit_id": 3, "officer_id": 2, "created_at": t},
        {"level": 5, "unit_id": 5, "officer_id": 3, "created_at": t},
        {"level": 4, "unit_id": 2, "officer_id": 4, "created_at": t},
    )
    per_unit = count_items(rating_items(frame, MON, AS_OF, True), ["week", "unit_id"])
    rolled = add_rates(rollup(per_unit, ancestors(UNITS), ["week"]))
    got = rolled[["unit_id", "valid", "bad", "satisfaction_rate"]]
    expected = pd.DataFrame(
        {
            "unit_id": np.array([1, 2, 3, 4, 5], dtype=np.int64),
            "valid": np.array([4, 3, 2, 1, 1], dtype=np.int64),
            "bad": np.array([1, 1, 1, 0, 0], dtype=np.int64),
            "satisfaction_rate": [3 / 4, 2 / 3, 1 / 2, 1.0, 1.0],
        }
    )
    pdt.assert_frame_equal(got, expected)


def test_workorder_counts_by_hand() -> None:
    r = ms("2026-11-17 10:00")
    frame = workorders(
        # closed on time, callback reached, satisfied, substantiated and rectified
        {
            "received_at": r,
            "due_at": r + 100,
            "closed_at": r + 50,
            "callback_at": r + 60,
            "callback_outcome": "reached",
            "satisfaction": "basically_satisfied",
            "verification": "substantiated",
            "rectification": "done",
        },
        # closed late, callback unreachable
        {
            "received_at": r,
            "due_at": r + 100,
            "closed_at": r + 200,
            "callback_outcome": "unreachable",
        },
        # open, past due: counts in the on-time denominator
        {"received_at": r, "due_at": r + 100},
        # open, not yet due, no unit matched
        {"received_at": r, "due_at": AS_OF + 1, "unit_id": None},
        # closed, no due time: no on-time judgement; reached but dissatisfied
        {
            "received_at": r,
            "closed_at": r + 10,
            "callback_outcome": "reached",
            "satisfaction": "dissatisfied",
            "verification": "partly_substantiated",
            "rectification": "pending",
        },
        # not closed yet, but reached and answered 满意: counts in hotline satisfaction
        {
            "received_at": r,
            "due_at": AS_OF + 1,
            "callback_outcome": "reached",
            "satisfaction": "satisfied",
        },
        # closed and reached, but no satisfaction answer recorded: not in its denominator
        {"received_at": r, "due_at": r + 100, "closed_at": r + 20, "callback_outcome": "reached"},
    )
    items = workorder_items(frame, MON, AS_OF)
    assert items["unit_id"].tolist() == [3, 3, 3, -1, 3, 3, 3]
    counts = count_items(items, ["week"])
    assert row(counts) == {
        "wo_received": 7,
        "wo_closed": 4,
        "wo_closed_on_time": 2,
        "wo_ontime_due": 4,
        "wo_cb_due": 4,
        "wo_cb_done": 4,
        "wo_cb_reached": 3,
        "wo_cb_answered": 3,
        "wo_satisfied": 2,
        "wo_substantiated": 2,
        "wo_rectified": 1,
    }
    rates = add_rates(counts).iloc[0]
    assert rates["ontime_closure_rate"] == pytest.approx(2 / 4)
    # (满意 + 基本满意) / reached and answered, closed or not
    assert rates["hotline_satisfaction"] == pytest.approx(2 / 3)
    assert rates["callback_rate"] == pytest.approx(4 / 4)
    assert rates["effective_callback_rate"] == pytest.approx(3 / 4)
    assert rates["rectification_rate"] == pytest.approx(1 / 2)


def test_week_over_week_change() -> None:
    frame = ratings(
        {"level": 5, "created_at": ms("2026-11-10 10:00")},
        {"level": 1, "created_at": ms("2026-11-10 10:00")},
        {"level": 5, "created_at": ms("2026-11-17 10:00")},
        {"level": 5, "unit_id": 5, "created_at": ms("2026-11-17 10:00")},
    )
    per_unit = count_items(rating_items(frame, MON, AS_OF, True), ["week", "unit_id"])
    wow = week_over_week(add_rates(per_unit), W47, ["unit_id"])
    got = wow[["unit_id", "satisfaction_rate", "satisfaction_rate_wow"]]
    expected = pd.DataFrame(
        {
            "unit_id": np.array([3, 5], dtype=np.int64),
            "satisfaction_rate": [1.0, 1.0],
            # unit 5 had no ratings the week before: no change to show
            "satisfaction_rate_wow": [0.5, np.nan],
        }
    )
    pdt.assert_frame_equal(got, expected)


def test_bad_ratings_by_reason() -> None:
    t = ms("2026-11-17 10:00")
    frame = ratings(
        {"level": 1, "created_at": t, "reasons": "attitude,efficiency"},
        {"level": 2, "created_at": t, "reasons": "attitude"},
        {"level": 2, "created_at": t},
        {"level": 1, "created_at": t, "reasons": "integrity", "invalidated": 1},
        {"level": 1, "created_at": ms("2026-11-10 10:00"), "reasons": "integrity"},
    )
    got = reasons_count(frame, week_start_days(frame["created_at"], MON), W47)
    expected = pd.DataFrame(
        {"reason": ["attitude", "efficiency", "none"], "bad_ratings": [2, 1, 1]}
    )
    pdt.assert_frame_equal(got, expected, check_dtype=False)


def test_level_counts_agree_with_the_full_pipeline() -> None:
    frame = ratings(
        {"level": 5, "created_at": ms("2026-11-15 23:59")},
        {"level": 3, "created_at": ms("2026-11-16 00:00"), "officer_id": 2},
        {"level": 1, "created_at": ms("2026-11-16 00:00"), "invalidated": 1},
        {"level": 2, "created_at": ms("2026-11-17 00:00"), "unit_id": 5},
    )
    keys = ["week", "unit_id", "officer_id"]
    full = counts_of(frame, basic=False)
    got = level_counts(frame, keys, MON, basic_counts_satisfied=False)
    cols = [*keys, "ratings", "invalidated", "valid", "satisfied", "good", "bad"]
    pdt.assert_frame_equal(got, full[cols].reset_index(drop=True))


def test_ratings_per_officer_uses_officers_at_the_time_and_valid_ratings() -> None:
    start, end = ms("2026-11-16 00:00"), ms("2026-11-23 00:00")
    officers = frame(
        [
            (1, "1", "甲", 3, "police", "active", 0, 0),  # rated in 东站
            (2, "2", "乙", 3, "police", "active", 0, 0),  # moved: rated in 西站 this week
            (3, "3", "丙", 3, "police", "retired", 0, start + 1),  # retired during the week
            (4, "4", "丁", 3, "police", "retired", 0, start - 1),  # retired before it
            (5, "5", "戊", 3, "police", "active", end, end),  # added after it
        ],
        OFFICER_COLS,
    )
    t = ms("2026-11-17 10:00")
    frame_ = ratings(
        {"officer_id": 1, "unit_id": 3, "created_at": t},
        {"officer_id": 1, "unit_id": 3, "created_at": t},
        {"officer_id": 1, "unit_id": 3, "created_at": t, "level": 1, "invalidated": 1},
        {"officer_id": 2, "unit_id": 5, "created_at": t},
    )
    counts = count_items(rating_items(frame_, MON, AS_OF, True), ["officer_id", "unit_id"])
    roster = roster_at(officers, start, end)
    assert roster["officer_id"].tolist() == [1, 2, 3]
    got = participation(counts, roster, ancestors(UNITS)).set_index("unit_id")
    expected = pd.DataFrame(
        {
            "unit_id": [1, 2, 3, 4, 5],
            "active_officers": [3, 2, 2, 1, 1],
            "officers_rated": [2, 1, 1, 1, 1],
            # 东站: 2 valid ratings (the 误评 does not count) / 2 officers (甲, 丙)
            "ratings_per_officer": [3 / 3, 2 / 2, 2 / 2, 1 / 1, 1 / 1],
        }
    ).set_index("unit_id")
    pdt.assert_frame_equal(got[expected.columns], expected)


def test_due_times_from_the_sla_table_are_counted() -> None:
    r = ms("2026-11-17 10:00")
    frame = workorders(
        {"received_at": r, "due_at": r + 100, "due_source": "source", "closed_at": r + 50},
        {"received_at": r, "due_at": r + 100, "due_source": "sla", "closed_at": r + 150},
        {"received_at": r, "due_at": r + 100, "due_source": "sla"},
    )
    counts = count_items(workorder_items(frame, MON, AS_OF), ["week"])
    got = row(counts)
    assert (got["wo_due_sla"], got["wo_ontime_due"], got["wo_closed_on_time"]) == (2, 3, 1)

"""Topics per unit and week, emerging topics, near-duplicate complaints: literal frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandas.testing as pdt

from analytics import duplicates, topic_report
from analytics.metrics import NO_ID
from analytics.periods import DAY_MS, day_number
from tests.analytics.helpers import ms

MON = ms("2026-11-16 10:00")  # a Monday
WEEK = day_number(pd.Timestamp("2026-11-16").date())


def items(rows: list[tuple[str, int, int | None, int, bool, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=topic_report.ITEM_COLUMNS).astype(
        {"item_id": np.int64, "unit_id": "Int64", "at": np.int64, "bad": bool}
    )


def test_weekly_counts() -> None:
    frame = items(
        [
            ("rating", 1, 3, MON, True, "attitude"),
            ("rating", 2, 3, MON + 1, False, "attitude"),
            ("workorder", 1, None, MON, True, "noise"),
            ("workorder", 2, 3, MON - 7 * DAY_MS, False, "noise"),
        ]
    )
    got = topic_report.weekly_counts(frame, 0)
    expected = pd.DataFrame(
        {
            "week": np.array([WEEK - 7, WEEK, WEEK, WEEK], dtype=np.int64),
            "unit_id": np.array([3, NO_ID, 3, 3], dtype=np.int64),
            "topic": ["noise", "noise", "attitude", "noise"],
            "items": np.array([1, 1, 2, 0], dtype=np.int64),
            "bad": np.array([0, 1, 1, 0], dtype=np.int64),
        }
    )
    expected = expected[expected["items"] > 0].sort_values(["week", "unit_id", "topic"])
    pdt.assert_frame_equal(got, expected.reset_index(drop=True))


def weeks_of(topic_counts: dict[str, list[int]], unit: int = 3) -> pd.DataFrame:
    """Counts for 9 weeks ending at WEEK: topic -> items per week (oldest first)."""
    rows = []
    for topic, per_week in topic_counts.items():
        for i, n in enumerate(per_week):
            week = WEEK - 7 * (len(per_week) - 1 - i)
            if n:
                rows.append((week, unit, topic, n, 0))
    return pd.DataFrame(rows, columns=["week", "unit_id", "topic", "items", "bad"]).astype(
        {"week": np.int64, "unit_id": np.int64, "items": np.int64, "bad": np.int64}
    )


def test_a_topic_rising_over_its_own_baseline_is_emerging() -> None:
    counts = weeks_of(
        {
            "fraud": [0, 1, 0, 0, 1, 0, 0, 1, 12],  # rare, then 12 of 40
            "traffic": [30, 30, 30, 30, 30, 30, 30, 30, 28],
        }
    )
    found = topic_report.emerging(counts, WEEK, by_unit=False)
    assert found["topic"].tolist() == ["fraud"]
    row = found.iloc[0]
    assert (row["items"], row["all_items"]) == (12, 40)
    # Baseline: the 8 weeks before, weeks without any fraud item included (3 of 243).
    assert (row["base_items"], row["base_all"]) == (3, 243)
    assert row["p_value"] < 0.01
    per_unit = topic_report.emerging(counts, WEEK, by_unit=True)
    assert per_unit[["unit_id", "topic"]].values.tolist() == [[3, "fraud"]]


def test_a_steady_topic_is_not_emerging() -> None:
    counts = weeks_of({"fraud": [3, 4, 2, 3, 4, 3, 2, 3, 4], "traffic": [30] * 9})
    assert topic_report.emerging(counts, WEEK, by_unit=False).empty


def test_one_caller_counts_once_per_topic_and_week() -> None:
    frame = pd.DataFrame(
        {
            "kind": "workorder",
            "item_id": np.arange(7, dtype=np.int64),
            "unit_id": pd.array([3] * 7, dtype="Int64"),
            "at": np.array([MON + 5, MON + 1, MON + 2, MON + 3, MON + 4, MON + 7 * DAY_MS, MON]),
            "bad": True,
            "topic": ["fraud", "fraud", "fraud", "noise", "fraud", "fraud", "fraud"],
            "phone_hash": ["p1", "p1", "p1", "p1", None, "p1", None],
        }
    )
    got = topic_report.one_per_person(frame, 0)
    # p1's fraud calls of one week: only the first (item 1); noise and next week count.
    assert got["item_id"].tolist() == [1, 3, 4, 5, 6]


def test_topic_table() -> None:
    counts = pd.DataFrame(
        {
            "week": np.array([WEEK - 7, WEEK, WEEK, WEEK], dtype=np.int64),
            "unit_id": np.array([3, 3, 3, 4], dtype=np.int64),
            "topic": ["noise", "noise", "fraud", "noise"],
            "items": np.array([4, 1, 2, 3], dtype=np.int64),
            "bad": np.array([1, 1, 0, 3], dtype=np.int64),
        }
    )
    units = pd.DataFrame({"unit_id": [3, 4], "path": ["局/甲所", "局/乙所"]})
    empty = pd.DataFrame({"topic": pd.Series(dtype=object), "unit_id": pd.Series(dtype=int)})
    emerging_units = pd.DataFrame({"unit_id": [4], "topic": ["noise"]})
    got = topic_report.topic_table(
        counts,
        WEEK,
        {"noise": "噪音扰民", "fraud": "诈骗"},
        units,
        "全部单位",
        empty,
        emerging_units,
    )
    expected = pd.DataFrame(
        {
            "topic": ["noise", "noise", "noise", "fraud", "fraud"],
            "topic_name": ["噪音扰民", "噪音扰民", "噪音扰民", "诈骗", "诈骗"],
            "unit_path": ["全部单位", "局/乙所", "局/甲所", "全部单位", "局/甲所"],
            "items": np.array([4, 3, 1, 2, 2], dtype=np.int64),
            "bad": np.array([4, 3, 1, 0, 0], dtype=np.int64),
            "bad_share": [1.0, 1.0, 1.0, 0.0, 0.0],
            "items_prev": np.array([4, 0, 4, 0, 0], dtype=np.int64),
            "items_change": np.array([0, 3, -3, 2, 2], dtype=np.int64),
            "emerging": ["", "是", "", "", ""],
        }
    )
    pdt.assert_frame_equal(got, expected)


def dup_items(rows: list[tuple[str, int, str, str, str | None, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(
        [(k, i, t, c, p, 3, topic, n) for n, (k, i, t, c, p, topic) in enumerate(rows)],
        columns=duplicates.ITEM_COLUMNS,
    )
    return frame.astype({"item_id": np.int64, "at": np.int64})


NOISE_A = "胜利路小区旁边的工地每天夜里两点还在施工打桩，吵得居民无法入睡，请求处理"
NOISE_B = "胜利路小区旁边工地每天夜里两点还在施工打桩，吵得居民无法入睡，请处理！"
NOISE_C = "市民反映：胜利路小区旁边的工地每天夜里两点还在施工打桩，吵得居民无法入睡"


def test_near_duplicates_are_grouped_and_different_matters_are_not() -> None:
    frame = dup_items(
        [
            ("workorder", 1, NOISE_A, "12345", "p1", "noise"),
            (
                "workorder",
                2,
                "孩子出生后去办理上户口，被告知还要补开证明",
                "12345",
                "p2",
                "household",
            ),
            ("workorder", 3, NOISE_B, "12389", "p3", "noise"),
            ("rating", 4, NOISE_C, "badge", None, "noise"),
            # Same place, different matter: not the same complaint.
            (
                "workorder",
                5,
                "胜利路小区门口的路口早晚高峰堵车严重，希望有交警疏导",
                "12345",
                "p4",
                "traffic_order",
            ),
            ("rating", 6, "态度差", "badge", None, "attitude"),
            ("rating", 7, "态度差", "badge", None, "attitude"),  # too short to say "same matter"
        ]
    )
    got = duplicates.group_duplicates(frame)
    assert got["item_id"].tolist() == [1, 3, 4]
    assert set(got["group"]) == {1}
    assert got["size"].tolist() == [3, 3, 3]
    assert got["people"].tolist() == [3, 3, 3]  # two phones and one rating without a phone
    assert got["channels"].iloc[0] == "12345/12389/badge"


def test_one_person_through_many_channels_is_one_group_per_matter() -> None:
    frame = dup_items(
        [
            # Rows without a phone come first: grouping by phone must not shift positions.
            ("rating", 9, "窗口工作人员不耐烦，问两句就不理人", "badge", None, "attitude"),
            (
                "workorder",
                1,
                "反映派出所办理身份证补办一个月还没拿到",
                "12345",
                "same",
                "household",
            ),
            ("workorder", 2, "户口迁移材料交了一个月没有审批结果", "12389", "same", "household"),
            ("workorder", 3, "小区楼下烧烤店营业到凌晨，噪音很大", "sunshine", "same", "noise"),
            ("workorder", 4, "另一位市民也说身份证补办要等一个月", "12345", "other", "household"),
        ]
    )
    got = duplicates.group_duplicates(frame)
    assert got["item_id"].tolist() == [1, 2]
    assert got["people"].tolist() == [1, 1]
    assert got["channels"].iloc[0] == "12345/12389"


def test_no_groups_gives_an_empty_table_with_the_columns() -> None:
    frame = dup_items([("workorder", 1, NOISE_A, "12345", None, "noise")])
    got = duplicates.group_duplicates(frame)
    assert got.empty and list(got.columns) == duplicates.GROUP_COLUMNS


def test_excerpt_masks_phone_numbers() -> None:
    assert duplicates.excerpt("请回电13812345678谢谢") == "请回电138****5678谢谢"
    assert duplicates.excerpt("字" * 70).endswith("…")

"""The spot-check sample on literal candidate lists: reproducible from the day and the
secret, different on another day or with another secret, and stratified by kind, unit and
channel (each stratum its minimum and its share)."""

from __future__ import annotations

import math

import pytest

from rating.spotcheck.sample import Candidate, choose, sampling_key, stratum_size

KEY = sampling_key("bureau-secret")


def stratum(kind: str, unit: int, channel: str, n: int, start: int) -> list[Candidate]:
    return [Candidate(kind, start + i, start + i, unit, channel) for i in range(n)]


CANDIDATES = (
    stratum("rating", 1, "badge", 200, 0)
    + stratum("rating", 1, "kiosk", 7, 1000)
    + stratum("rating", 2, "badge", 40, 2000)
    + stratum("rating", 3, "badge", 1, 3000)
    + stratum("case", 1, "badge", 30, 4000)
)


def test_the_same_day_and_secret_choose_the_same_items_in_any_input_order() -> None:
    first = choose(CANDIDATES, "2026-11-30", KEY, 0.05, 2)
    again = choose(list(reversed(CANDIDATES)), "2026-11-30", KEY, 0.05, 2)
    assert first == again
    assert len(set(first)) == len(first)


def test_another_day_or_another_secret_chooses_other_items() -> None:
    day1 = set(choose(CANDIDATES, "2026-11-30", KEY, 0.05, 2))
    day2 = set(choose(CANDIDATES, "2026-12-01", KEY, 0.05, 2))
    other = set(choose(CANDIDATES, "2026-11-30", sampling_key("another-bureau"), 0.05, 2))
    assert len(day1) == len(day2) == len(other)
    assert day1 != day2 and day1 != other
    # Not merely a shift: the big stratum's picks mostly differ.
    big1 = {c.item_id for c in day1 if c.item_id < 1000}
    big2 = {c.item_id for c in day2 if c.item_id < 1000}
    assert len(big1 & big2) < len(big1)


def test_each_stratum_gets_its_minimum_and_its_share() -> None:
    chosen = choose(CANDIDATES, "2026-11-30", KEY, 0.05, 2)
    per: dict[tuple[str, int, str], int] = {}
    for c in chosen:
        per[(c.kind, c.unit_id, c.channel)] = per.get((c.kind, c.unit_id, c.channel), 0) + 1
    assert per == {
        ("rating", 1, "badge"): 10,  # 5% of 200
        ("rating", 1, "kiosk"): 2,  # the minimum beats 5% of 7
        ("rating", 2, "badge"): 2,  # 5% of 40 is 2
        ("rating", 3, "badge"): 1,  # the minimum, but only one exists
        ("case", 1, "badge"): 2,  # cases are a stratum of their own
    }


@pytest.mark.parametrize(
    ("n", "share", "minimum", "expected"),
    [(0, 0.5, 3, 0), (1, 0.02, 1, 1), (100, 0.02, 1, 2), (101, 0.02, 1, 3), (10, 0.0, 0, 0),
     (10, 1.0, 0, 10), (3, 0.02, 5, 3), (50, 0.1, 1, 5)],
)  # fmt: skip
def test_stratum_size(n: int, share: float, minimum: int, expected: int) -> None:
    assert stratum_size(n, share, minimum) == expected
    assert stratum_size(n, share, minimum) <= n
    if n:
        assert stratum_size(n, share, minimum) >= min(n, max(minimum, math.floor(share * n)))


def test_a_duplicate_candidate_is_one_task() -> None:
    twice = CANDIDATES[:3] + CANDIDATES[:3]
    chosen = choose(twice, "2026-11-30", KEY, 1.0, 0)
    assert sorted(chosen) == sorted(CANDIDATES[:3])

"""Handling cycle, closure, reply and on-time by step; place ratings and letters — on
literal frames, against hand-computed values and an independent recomputation."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pandas.testing as pdt

from analytics.cycle import (
    CASE_COHORT_COLS,
    CASE_CYCLE_COLS,
    CASE_HISTORY_COLS,
    CYCLE_COUNTS,
    case_items,
    cases_at,
    channel_table,
    unit_table,
    workorder_cycle_items,
)
from analytics.intake import LETTER_COLS, UNIT_RATING_COLS, letter_table, place_table
from analytics.load import frame
from analytics.metrics import ancestors
from tests.analytics.helpers import UNITS, ms, workorders

H = 3_600_000
T0 = ms("2026-11-17 10:00")  # a Tuesday
AS_OF = ms("2026-11-23 09:00")  # T0 + 143 hours
NA = None
TREE = ancestors(UNITS)


def cases(*rows: dict[str, Any]) -> pd.DataFrame:
    base = {n: None for n, _ in CASE_CYCLE_COLS} | {"channel": "badge", "unit_id": 3}
    full = [base | {"case_id": i + 1, "received_at": T0} | r for i, r in enumerate(rows)]
    return frame([tuple(r[n] for n, _ in CASE_CYCLE_COLS) for r in full], CASE_CYCLE_COLS)


def sample() -> tuple[pd.DataFrame, pd.DataFrame]:
    c = cases(
        # called back on time, verified late, closed on time after 60 hours
        {
            "callback_due_at": T0 + 24 * H,
            "callback_at": T0 + 2 * H,
            "verify_due_at": T0 + 48 * H,
            "verified_at": T0 + 50 * H,
            "verification": "unsubstantiated",
            "close_due_at": T0 + 100 * H,
            "closed_at": T0 + 60 * H,
        },
        # kiosk, 西站: called back late, verified on time, rectification overdue, open
        {
            "channel": "kiosk",
            "unit_id": 5,
            "callback_due_at": T0 + 24 * H,
            "callback_at": T0 + 30 * H,
            "verify_due_at": T0 + 72 * H,
            "verified_at": T0 + 40 * H,
            "verification": "substantiated",
            "rectify_due_at": T0 + 120 * H,
            "close_due_at": T0 + 120 * H,
        },
        # waiting for a callback that is not due yet
        {"received_at": T0 + H, "callback_due_at": T0 + 200 * H},
        # everything on time, closed the same day after 5 hours
        {
            "callback_due_at": T0 + 24 * H,
            "callback_at": T0 + H,
            "verify_due_at": T0 + 48 * H,
            "verified_at": T0 + 3 * H,
            "verification": "unsubstantiated",
            "close_due_at": T0 + 72 * H,
            "closed_at": T0 + 5 * H,
        },
    )
    w = workorders(
        {"unit_id": 5, "received_at": T0, "due_at": T0 + 48 * H, "closed_at": T0 + 20 * H},
        {"unit_id": None, "received_at": T0, "due_at": T0 + 24 * H},
    )
    return c, w


def items() -> pd.DataFrame:
    c, w = sample()
    return pd.concat([case_items(c, AS_OF), workorder_cycle_items(w, AS_OF)], ignore_index=True)


NAN = math.nan
COLUMNS = [
    "received",
    "closed",
    "cycle_median_hours",
    "cycle_p90_hours",
    "intake_closure_rate",
    "same_day_closure_rate",
    "intake_reply_rate",
    "callback_on_time_rate",
    "verify_on_time_rate",
    "rectify_on_time_rate",
    "close_on_time_rate",
]


def test_cycle_closure_reply_and_steps_per_channel() -> None:
    got = channel_table(items())[["channel", *COLUMNS]]
    expected = pd.DataFrame(
        [
            # 12345: one order closed after 20 h of two, replied by its closure
            ["12345", 2, 1, 20.0, 20.0, 1 / 2, 0 / 2, 1 / 2, NAN, NAN, NAN, 1 / 2],
            # badge: 60 h and 5 h; one closed on its day of receipt; no case dispatched yet
            ["badge", 3, 2, 32.5, 54.5, 2 / 3, 1 / 3, NAN, 2 / 2, 1 / 2, NAN, 2 / 2],
            # kiosk: nothing closed (empty cycle), late callback, overdue rectification
            ["kiosk", 1, 0, NAN, NAN, 0.0, 0.0, NAN, 0.0, 1.0, 0.0, 0.0],
            # hours 5, 20, 60: the 90th percentile interpolates 20 + 0.8 × 40
            ["all", 6, 3, 20.0, 52.0, 3 / 6, 1 / 6, 1 / 2, 2 / 3, 2 / 3, 0.0, 3 / 5],
        ],
        columns=["channel", *COLUMNS],
    ).astype({"received": np.int64, "closed": np.int64})
    pdt.assert_frame_equal(got, expected)


def test_cycle_rolls_up_the_unit_tree() -> None:
    got = unit_table(items(), UNITS, TREE)[["path", *COLUMNS[:4], "close_step_due"]]
    expected = pd.DataFrame(
        [
            # the order without a unit counts only in the channel table
            ["市局", 5, 3, 20.0, 52.0, 4],
            ["市局/东分局", 3, 2, 32.5, 54.5, 2],
            ["市局/东分局/东站", 3, 2, 32.5, 54.5, 2],
            ["市局/西分局", 2, 1, 20.0, 20.0, 2],
            ["市局/西分局/西站", 2, 1, 20.0, 20.0, 2],
        ],
        columns=["path", *COLUMNS[:4], "close_step_due"],
    )
    pdt.assert_frame_equal(got, expected)


def test_nothing_received_leaves_every_rate_empty() -> None:
    got = unit_table(items().iloc[0:0], UNITS, TREE)
    assert (got["received"] == 0).all()
    assert got[[c for c in COLUMNS if c not in ("received", "closed")]].isna().all().all()


def test_cases_at_the_moment_from_their_history() -> None:
    cohort = frame(
        [
            (1, "badge", 3, T0, 1, *(["open"] + [None] * 8), None, None),
            # stored before the history was kept: read as it stands
            (2, "kiosk", 5, T0, 0, "verified", T0 + 24 * H, T0 + H, T0 + 2 * H,
             "unsubstantiated", T0 + 30 * H, None, None, None, None, T0 + H),
            # its history begins after the moment: it did not exist then
            (3, "badge", 3, T0, 1, *(["open"] + [None] * 8), None, None),
        ],
        CASE_COHORT_COLS,
    )  # fmt: skip
    # The last two fields are the dispatch and the reply (kept since migration 0028): the
    # reply of the closed snapshot is after the moment `before` reads.
    snapshots = [
        (1, T0, 10, "open", T0 + 24 * H, None, None, None, None, None, None, None, None, None),
        (1, T0 + 2 * H, 11, "called_back", T0 + 24 * H, T0 + 2 * H, None, None, T0 + 48 * H,
         None, None, None, T0 + H, None),
        (1, T0 + 50 * H, 12, "verified", T0 + 24 * H, T0 + 2 * H, T0 + 50 * H,
         "unsubstantiated", T0 + 100 * H, None, None, None, T0 + H, None),
        (1, T0 + 60 * H, 13, "closed", T0 + 24 * H, T0 + 2 * H, T0 + 50 * H,
         "unsubstantiated", None, None, None, T0 + 60 * H, T0 + H, T0 + 55 * H),
    ]  # fmt: skip
    after = cases_at(cohort, frame(snapshots, CASE_HISTORY_COLS))
    before = cases_at(cohort, frame(snapshots[:3], CASE_HISTORY_COLS))

    def row(**fields: Any) -> dict[str, Any]:
        return {n: None for n, _ in CASE_CYCLE_COLS} | fields

    first = row(
        case_id=1, channel="badge", unit_id=3, received_at=T0, callback_due_at=T0 + 24 * H,
        callback_at=T0 + 2 * H, verify_due_at=T0 + 48 * H, verified_at=T0 + 50 * H,
        verification="unsubstantiated", close_due_at=T0 + 100 * H, dispatched_at=T0 + H,
    )  # fmt: skip
    second = row(
        case_id=2, channel="kiosk", unit_id=5, received_at=T0, callback_due_at=T0 + 24 * H,
        callback_at=T0 + H, verified_at=T0 + 2 * H, verification="unsubstantiated",
        close_due_at=T0 + 30 * H, replied_at=T0 + H,
    )  # fmt: skip

    def expect(*rows: dict[str, Any]) -> pd.DataFrame:
        return frame([tuple(r[n] for n, _ in CASE_CYCLE_COLS) for r in rows], CASE_CYCLE_COLS)

    pdt.assert_frame_equal(before, expect(first, second))
    closed = {"closed_at": T0 + 60 * H, "replied_at": T0 + 55 * H}
    pdt.assert_frame_equal(after, expect(first | closed, second))


def test_place_ratings_count_for_units_up_to_the_bureau() -> None:
    ur = frame([(3, 5, T0), (3, 3, T0), (3, 1, T0), (5, 4, T0)], UNIT_RATING_COLS)
    got = place_table(ur, UNITS, TREE, basic_counts_satisfied=True)
    expected = pd.DataFrame(
        {
            "path": ["市局", "市局/东分局", "市局/东分局/东站", "市局/西分局", "市局/西分局/西站"],
            "place_ratings": [4, 3, 3, 1, 1],
            "place_satisfied": [3, 2, 2, 1, 1],
            "place_bad": [1, 1, 1, 0, 0],
            "place_satisfaction_rate": [3 / 4, 2 / 3, 2 / 3, 1.0, 1.0],
            "place_bad_rate": [1 / 4, 1 / 3, 1 / 3, 0.0, 0.0],
        }
    )
    pdt.assert_frame_equal(got[list(expected.columns)], expected)
    strict = place_table(ur, UNITS, TREE, basic_counts_satisfied=False)
    assert strict["place_satisfied"].tolist() == [2, 1, 1, 1, 1]
    none = place_table(ur.iloc[0:0], UNITS, TREE, True)
    assert none["place_satisfaction_rate"].isna().all()  # zero denominators: empty cells


def test_letters_per_unit_and_category() -> None:
    letters = frame(
        [
            (3, "投诉", T0, T0 + H),
            (3, "投诉", T0, None),
            (None, "建议", T0, AS_OF + 1),  # to the bureau; replied after the moment
            (5, "咨询", T0, None),
        ],
        LETTER_COLS,
    )
    got = letter_table(letters, UNITS, TREE, AS_OF, scoped=False)
    expected = pd.DataFrame(
        {
            "path": ["市局", "市局", "市局", "市局/东分局", "市局/东分局/东站"]
            + ["市局/西分局", "市局/西分局/西站"],
            "category": ["咨询", "建议", "投诉", "投诉", "投诉", "咨询", "咨询"],
            "letters": [1, 1, 2, 2, 2, 1, 1],
            "letters_replied": [0, 0, 1, 1, 1, 0, 0],
        }
    )
    pdt.assert_frame_equal(got[list(expected.columns)], expected)
    east = UNITS[UNITS["unit_id"].isin([2, 3])]
    scoped = letter_table(letters, east, TREE[TREE["ancestor_id"].isin([2, 3])], AS_OF, True)
    assert scoped["letters"].tolist() == [2, 2]  # a unit's report: its own letters only


def _by_hand(c: pd.DataFrame, w: pd.DataFrame) -> dict[str, dict[str, float]]:
    """The channel figures recomputed row by row in plain Python (no pandas grouping)."""

    def v(x: Any) -> Any:
        return None if x is None or x is pd.NA or (isinstance(x, float) and x != x) else x

    def by(t: Any) -> bool:
        return v(t) is not None and t <= AS_OF

    def step(done: Any, due: Any) -> tuple[bool, bool]:
        if v(due) is None:
            return False, False
        is_due = by(done) or due < AS_OF
        return is_due, is_due and by(done) and done <= due

    Step = tuple[bool, bool]
    rows: list[tuple[Any, Any, Any, bool, bool, Step, Step, Step, Step]] = []
    for r in c.to_dict("records"):
        rect = step(r["rectified_at"], r["rectify_due_at"])
        if r["verification"] not in ("substantiated", "partly_substantiated"):
            rect = (False, False)
        rows.append(
            (r["channel"], r["received_at"], r["closed_at"], by(r["dispatched_at"]),
             by(r["replied_at"]), step(r["callback_at"], r["callback_due_at"]),
             step(r["verified_at"], r["verify_due_at"]), rect,
             step(r["closed_at"], r["close_due_at"]))
        )  # fmt: skip
    for r in w.to_dict("records"):
        none = (False, False)
        rows.append(
            (str(r["channel"]), r["received_at"], r["closed_at"], True, by(r["closed_at"]),
             none, none, none, step(r["closed_at"], r["due_at"]))
        )  # fmt: skip
    out: dict[str, dict[str, float]] = {}
    for channel in sorted({r[0] for r in rows}) + ["all"]:
        mine = [r for r in rows if channel in (r[0], "all")]
        hours = sorted((r[2] - r[1]) / H for r in mine if by(r[2]))

        def q(p: float, hours: list[float] = hours) -> float:
            if not hours:
                return NAN
            pos = p * (len(hours) - 1)
            lo = int(pos)
            hi = min(lo + 1, len(hours) - 1)
            return hours[lo] + (hours[hi] - hours[lo]) * (pos - lo)

        def rate(num: int, den: int) -> float:
            return num / den if den else NAN

        day_end = [((r[1] + 8 * H) // (24 * H) + 1) * 24 * H - 8 * H for r in mine]
        ended = [e <= AS_OF for e in day_end]
        same = [by(r[2]) and r[2] < e for r, e in zip(mine, day_end, strict=True)]
        out[channel] = {
            "received": len(mine),
            "closed": sum(by(r[2]) for r in mine),
            "cycle_median_hours": q(0.5),
            "cycle_p90_hours": q(0.9),
            "same_day_closure_rate": rate(sum(same), sum(ended)),
            "intake_reply_rate": rate(sum(r[3] and r[4] for r in mine), sum(r[3] for r in mine)),
            **{
                f"{name}_on_time_rate": rate(sum(r[i][1] for r in mine), sum(r[i][0] for r in mine))
                for i, name in ((5, "callback"), (6, "verify"), (7, "rectify"), (8, "close"))
            },
        }
    return out


def test_channel_figures_agree_with_an_independent_recomputation() -> None:
    rng = np.random.default_rng(18)
    n, m = 300, 200

    def maybe(values: np.ndarray, p: float) -> list[Any]:
        return [
            int(x) if keep else None
            for x, keep in zip(values, rng.random(len(values)) < p, strict=True)
        ]

    received = T0 + rng.integers(0, 7 * 24 * H, n)
    rows = []
    fields = ("callback", "verify", "rectify", "close")
    done = {f: maybe(received + rng.integers(0, 200 * H, n), 0.6) for f in fields}
    due = {f: maybe(received + rng.integers(0, 200 * H, n), 0.8) for f in fields}
    verification = rng.choice(["substantiated", "unsubstantiated", "partly_substantiated"], n)
    for i in range(n):
        rows.append(
            {
                "channel": str(rng.choice(["badge", "kiosk", "web"])),
                "unit_id": int(rng.choice([3, 5])),
                "received_at": int(received[i]),
                "callback_at": done["callback"][i],
                "callback_due_at": due["callback"][i],
                "verified_at": done["verify"][i],
                "verify_due_at": due["verify"][i],
                "verification": str(verification[i]),
                "rectified_at": done["rectify"][i],
                "rectify_due_at": due["rectify"][i],
                "closed_at": done["close"][i],
                "close_due_at": due["close"][i],
                "dispatched_at": done["callback"][i],
                "replied_at": done["verify"][i],
            }
        )
    c = cases(*rows)
    w_received = T0 + rng.integers(0, 7 * 24 * H, m)
    closed = maybe(w_received + rng.integers(0, 300 * H, m), 0.7)
    w_due = maybe(w_received + rng.integers(0, 200 * H, m), 0.9)
    w = workorders(
        *(
            {
                "channel": str(rng.choice(["12345", "12389"])),
                "received_at": int(w_received[i]),
                "closed_at": closed[i],
                "due_at": w_due[i],
            }
            for i in range(m)
        )
    )
    got = channel_table(
        pd.concat([case_items(c, AS_OF), workorder_cycle_items(w, AS_OF)], ignore_index=True)
    ).set_index("channel")
    expected = pd.DataFrame(_by_hand(c, w)).T
    pdt.assert_frame_equal(
        got[list(expected.columns)].astype(float), expected.astype(float), check_names=False
    )
    assert set(got.index) == {"badge", "kiosk", "web", "12345", "12389", "all"}
    assert set(CYCLE_COUNTS) <= set(got.columns)

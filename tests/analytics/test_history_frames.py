"""The as-of transforms on small literal frames: ratings and overdue items at a moment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandas.testing as pdt

from analytics.asof import (
    _CASE_OVERDUE_COLS,
    _FOLLOW_UP_COLS,
    _REVISION_COLS,
    _WO_OVERDUE_COLS,
    follow_up_at,
    overdue_at,
    ratings_at,
)
from analytics.frames import frame
from analytics.load import _CORE_COLS, _HASH_COLS

T = 1_000_000


def test_ratings_at_a_moment() -> None:
    core = frame(
        [
            (1, 7, 3, 1, 10, 0, "attitude"),  # bad, case with history: 误评 found later
            (2, 7, 3, 5, 11, 0, None),  # amended after the moment: was 2 then
            (3, 7, 3, 1, 12, 1, "other"),  # invalidated, stored before the history
            (4, 7, 3, 4, 13, 0, None),  # good, no case
        ],
        _CORE_COLS,
    )
    follow = follow_up_at(
        frame(
            [
                # rating, has_history, found, h_* (6), c_* (6)
                (1, 1, 1, 500, "reached", None, None, None, None)
                + (900_000_000, "reached", "mistaken_malicious", None, None, None),
                (2, 1, 0, None, None, None, None, None, None)
                + (None, None, None, None, None, None),
                (3, 0, 0, None, None, None, None, None, None)
                + (600, "reached", "mistaken_malicious", None, None, None),
            ],
            _FOLLOW_UP_COLS,
        )
    )
    revisions = frame([(2, 2, "efficiency", T + 5, 1), (2, 1, "conduct", T + 9, 2)], _REVISION_COLS)
    hashes = frame([(4, "d", None)], _HASH_COLS)
    got = ratings_at(core, follow, revisions, hashes)
    expected = pd.DataFrame(
        {
            "rating_id": np.array([1, 2, 3, 4], dtype=np.int64),
            "level": np.array([1, 2, 1, 4], dtype=np.int8),
            "reasons": pd.Categorical(["attitude", "efficiency", "other", np.nan]),
            "device_hash": np.array([np.nan, np.nan, np.nan, "d"], dtype=object),
            "invalidated": [False, False, True, False],
            "callback_at": pd.array([500, pd.NA, 600, pd.NA], dtype="Int64"),
            "verification": pd.Categorical(
                [np.nan, np.nan, "mistaken_malicious", np.nan],
                categories=["mistaken_malicious"],
            ),
        }
    )
    cols = list(expected.columns)
    pdt.assert_frame_equal(got[cols], expected, check_categorical=False)


def test_overdue_at_a_moment() -> None:
    cases = frame(
        [
            # id, ref, unit, officer, opened, has_history, found, h_* (9), c_* (9)
            (1, "R1", 3, 1, 10, 1, 1, "called_back", "unreachable", None, 100, 0, T - 1, 1)
            + (None, 0, "closed", "reached", None, 100, 0, None, 0, None, 0),
            (2, "R2", 3, 1, 10, 1, 1, "rectifying", "reached", "substantiated", 100, 0)
            + (None, 0, T + 1, 0, "closed", None, None, 100, 0, None, 0, None, 0),
            (3, "R3", 3, 1, 10, 1, 0, None, None, None, None, 0, None, 0, None, 0)
            + ("open", None, None, 100, 0, None, 0, None, 0),  # opened after the moment
            (4, "R4", 3, 1, 10, 0, 0, None, None, None, None, 0, None, 0, None, 0)
            + ("verified", "reached", "unsubstantiated", 100, 0, T - 5, 0, None, 0),
        ],
        _CASE_OVERDUE_COLS,
    )
    wos = frame(
        [
            (8, "12345:A8", None, None, 10, T - 2, None),  # open, past due
            (9, "12345:A9", 3, None, 10, T - 2, T + 5),  # closed only after the moment
            (10, "12345:A10", 3, None, 10, T - 2, T - 3),  # closed before
            (11, "12345:A11", 3, None, 10, T + 2, None),  # not due yet
        ],
        _WO_OVERDUE_COLS,
    )
    got = overdue_at(cases, wos, T)
    assert got[["item", "item_id", "stage", "due_at", "provisional"]].values.tolist() == [
        ["case", 1, "retry", T - 1, True],
        ["case", 4, "close", T - 5, False],
        ["workorder", 8, "closure", T - 2, False],
        ["workorder", 9, "closure", T - 2, False],
    ]
    assert got["unit_id"].isna().tolist() == [False, False, True, False]

"""Loading reads the window it is asked for, with the follow-up state of each rating."""

from __future__ import annotations

import time

import pandas as pd
import pytest

from analytics.load import load_report_data
from analytics.metrics import count_items, rating_items
from tests.analytics.conftest import Seeded
from tests.analytics.helpers import ms
from tests.conftest import Web


async def test_load_reads_only_the_window_with_case_state(seeded: Seeded) -> None:
    start, end = ms("2026-11-16 00:00"), ms("2026-11-23 00:00")
    seeded.rating(0, 5, start - 1, device_hash="dev-before")
    top = seeded.rating(0, 5, start, device_hash="dev-a", network_hash="net-a")
    bad = seeded.rating(1, 1, start + 10, device_hash="dev-b", reasons="attitude")
    seeded.rating(2, 4, end)
    seeded.case(bad, start + 10, callback_at=start + 20, callback_outcome="reached")
    seeded.execute("UPDATE ratings SET invalidated = 'mistaken_malicious' WHERE id = ?", (bad,))
    seeded.workorder("W1", start + 5, due_at=start + 100)
    seeded.workorder("W2", end)

    data = await load_report_data(seeded.store, start, end, as_of_ms=end + 1)

    r = data.ratings.set_index("rating_id")
    assert sorted(r.index) == [top, bad]
    assert r.loc[top, "device_hash"] == "dev-a" and r.loc[top, "network_hash"] == "net-a"
    # Hashes are read for top ratings only (the burst check); reasons for bad ones.
    assert pd.isna(r.loc[bad, "device_hash"])
    assert r.loc[bad, "reasons"] == "attitude"
    assert bool(r.loc[bad, "invalidated"]) and not bool(r.loc[top, "invalidated"])
    assert r.loc[bad, "callback_outcome"] == "reached"
    assert r.loc[bad, "callback_at"] == start + 20 and pd.isna(r.loc[top, "callback_at"])
    assert str(r["level"].dtype) == "int8" and str(r["callback_at"].dtype) == "Int64"
    assert isinstance(r["callback_outcome"].dtype, pd.CategoricalDtype)
    assert data.workorders["received_at"].tolist() == [start + 5]
    assert len(data.officers) == 3 and set(data.units["depth"]) == {1, 2, 3}

    # Hashes only from `detail_from_ms` on: the burst check looks at the report week only.
    later = await load_report_data(seeded.store, start, end, end + 1, detail_from_ms=start + 1)
    assert later.ratings["device_hash"].isna().all()
    assert later.ratings["level"].tolist() == [5, 1]


async def test_overdue_is_taken_at_the_report_moment(seeded: Seeded) -> None:
    t = ms("2026-11-16 09:00")
    late = seeded.rating(0, 2, t)
    seeded.case(late, t, callback_due_at=t + 1000)
    done = seeded.rating(1, 2, t)
    seeded.case(done, t, callback_due_at=t + 1000, state="called_back", callback_at=t + 10)
    fixing = seeded.rating(2, 1, t)
    seeded.case(fixing, t, state="rectifying", rectify_due_at=t + 5000, rectify_due_provisional=1)
    seeded.workorder("W9", t, due_at=t + 1000)

    early = await load_report_data(seeded.store, t, t + 1, as_of_ms=t + 999)
    assert early.overdue.empty
    later = await load_report_data(seeded.store, t, t + 1, as_of_ms=t + 6000)
    got = later.overdue.sort_values(["item", "stage"])
    assert got[["item", "stage"]].values.tolist() == [
        ["case", "callback"],
        ["case", "rectify"],
        ["workorder", "closure"],
    ]
    assert got["provisional"].tolist() == [False, True, False]


async def test_amended_rating_counts_once_at_its_latest_level(web: Web) -> None:
    # Through the real amend path: a 非常满意 changed to 不满意 from the same phone.
    first = await web.client.post("/api/v1/ratings", json=web.rating(level=5))
    assert first.status_code == 201
    second = await web.client.post("/api/v1/ratings", json=web.rating(level=2))
    assert second.json()["amended"] is True
    now = int(time.time() * 1000)
    data = await load_report_data(web.store, now - 3_600_000, now + 1, as_of_ms=now + 1)
    counts = count_items(rating_items(data.ratings, 0, now + 1, True), ["officer_id"])
    got = counts.iloc[0]
    assert (got["ratings"], got["valid"], got["bad"], got["good"], got["cb_due"]) == (1, 1, 1, 0, 1)


@pytest.mark.parametrize(
    "values", [["b", None, "a", "b", "", "c,a"], [None, "a"], ["x"], ["中", "b", None, "a"]]
)
def test_columnar_categorical_as_pandas_makes_it(values: list[str | None]) -> None:
    import pyarrow as pa

    from analytics.fastread import _categorical

    column = pa.chunked_array(
        [pa.array(values[:1], pa.string()), pa.array(values[1:], pa.string())]
    )
    expected = pd.Categorical(column.to_pandas())  # sorted categories, NULL missing
    pd.testing.assert_extension_array_equal(_categorical(column), expected)

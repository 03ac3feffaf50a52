"""One matter, one rating without a device index: SQLite's writer keeps each device's
recent ratings in memory (sqlite.DeviceLog). What a citizen would notice if it were wrong:
a second rating within the window stored twice instead of amending the first, or the
device limit not holding, after a restart, beside a CLI command, or in a flood."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from rating.store.models import Outcome, RateLimits, RosterRow
from rating.store.sqlite import SqliteStore
from rating.store.sqlite_cache import DeviceLog
from tests.conftest import ROSTER
from tests.store.conftest import Stores, rating


async def test_the_window_survives_a_restart(stores: Stores) -> None:
    store = await stores.open()
    await store.import_roster(ROSTER)
    token = (await store.list_officers())[0].token
    first = await store.submit_rating(rating(token, 2, device="phone-1"))
    await store.close()
    stores.opened.remove(store)
    again = await stores.open()
    second = await again.submit_rating(rating(token, 4, device="phone-1"))
    assert second.outcome is Outcome.AMENDED and second.receipt == first.receipt
    assert await again.count_ratings() == 1


async def test_ratings_stored_by_another_connection_count(stores: Stores) -> None:
    """A rating stored by another process on the same database (a CLI command, another
    instance) is amended, and counts against the device limit."""
    one = await stores.open(device_per_hour=3)
    fourth = RosterRow(5, "100004", "赵六", ROSTER[0].unit, "police")
    await one.import_roster([*ROSTER, fourth])
    officers = await one.list_officers()
    other = await stores.open(device_per_hour=3)
    first = await other.submit_rating(rating(officers[0].token, 2, device="phone-1"))
    amended = await one.submit_rating(rating(officers[0].token, 3, device="phone-1"))
    assert amended.outcome is Outcome.AMENDED and amended.receipt == first.receipt
    await other.submit_rating(rating(officers[1].token, 5, device="phone-1"))
    await other.submit_rating(rating(officers[2].token, 5, device="phone-1"))
    # Three ratings stored from this device in the hour, two of them by the other store.
    limited = await one.submit_rating(rating(officers[1].token, 5, device="phone-2"))
    assert limited.outcome is Outcome.CREATED
    over = await one.submit_rating(rating(officers[3].token, 1, device="phone-1"))
    assert over.outcome is Outcome.RATE_LIMITED and over.limited_by == "device"
    # Amending one of the three is not a new rating: the limit neither refuses nor counts
    # it (issue 14, item 4).
    again = await one.submit_rating(rating(officers[2].token, 1, device="phone-1"))
    assert again.outcome is Outcome.AMENDED


async def test_two_ratings_of_one_device_in_one_batch(stores: Stores) -> None:
    """Submitted together they share a transaction: the second amends the first."""
    store = await stores.open()
    await store.import_roster(ROSTER)
    token = (await store.list_officers())[0].token
    results = await asyncio.gather(
        store.submit_rating(rating(token, 2, device="phone-1", comment="第一次")),
        store.submit_rating(rating(token, 1, device="phone-1", comment="第二次")),
    )
    assert [r.outcome for r in results] == [Outcome.CREATED, Outcome.AMENDED]
    assert results[0].receipt == results[1].receipt
    assert await store.count_ratings() == 1
    view = await store.rating_by_receipt(results[0].receipt or "")
    assert view is not None and view.comment == "第二次" and view.level == 1


async def test_a_flood_beyond_the_memory_bound_keeps_storing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Past MAX_ENTRIES the oldest entries are forgotten, with a warning: ratings keep
    being stored, recent devices still amend, and a spamming device is still limited."""
    monkeypatch.setattr(DeviceLog, "MAX_ENTRIES", 3)
    limits = RateLimits(device_per_hour=2, network_per_hour=3000, amend_window_ms=30 * 60_000)
    store = SqliteStore(str(tmp_path / "flood.db"), limits, writer="thread")  # in-process
    await store.open()
    try:
        await store.import_roster(ROSTER)
        officers = await store.list_officers()
        token = officers[0].token
        for i in range(6):
            await store.submit_rating(rating(token, 5, device=f"phone-{i}"))
        assert "device log full" in caplog.text
        recent = await store.submit_rating(rating(token, 2, device="phone-5"))
        assert recent.outcome is Outcome.AMENDED
        spam = [
            await store.submit_rating(rating(officer.token, 5, device="spammer"))
            for officer in officers
        ]
        assert [r.outcome for r in spam] == [Outcome.CREATED, Outcome.CREATED, Outcome.RATE_LIMITED]
        assert await store.count_ratings() == 6 + 2
    finally:
        await store.close()


def test_the_log_forgets_what_is_older_than_its_span() -> None:
    log = DeviceLog()
    log.max_id, log.floor = 0, 1_000
    log.add("d", 1, 7, 1_000)
    log.add("d", 2, 8, 1_000 + DeviceLog.SPAN_MS)
    log.add("e", 3, 7, 5_000)
    assert log.recent("d", 0) == [(1, 7, 1_000), (2, 8, 1_000 + DeviceLog.SPAN_MS)]
    log.sync(None, 2_000 + DeviceLog.SPAN_MS)  # type: ignore[arg-type]  # loaded: no SQL
    assert log.recent("d", 0) == [(2, 8, 1_000 + DeviceLog.SPAN_MS)]
    assert log.recent("e", 0) == [(3, 7, 5_000)]
    assert not log.covers(1_999) and log.covers(2_000)
    log.add("f", 4, 7, 1_500)  # back-dated below the floor: left to the table
    assert log.recent("f", 0) == [] and log.max_id == 4

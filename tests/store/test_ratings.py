"""Store contract: submitting ratings (SQLite and PostgreSQL).

Outcomes, unique receipts, the amend-within-window rule, rate limits, idempotency keys,
and the same rules holding for two stores (two app instances) on one database.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from rating.store import Store, StoreUnavailable, logic
from rating.store.base import RatingFailed
from rating.store.models import Officer, Outcome
from tests.conftest import ROSTER
from tests.shifted_clock import hold_mid_hour
from tests.store.conftest import LIMITS, Stores, rating


async def roster(store: Store) -> list[Officer]:
    await store.import_roster(ROSTER)
    return await store.list_officers()


async def revisions(store: Store, receipt: str) -> list[tuple[object, ...]]:
    return await store.read(
        lambda tx: tx.all(
            "SELECT v.level, v.comment FROM rating_revisions v "
            "JOIN ratings r ON r.id = v.rating_id WHERE r.receipt = ? ORDER BY v.id",
            (receipt,),
        )
    )


async def test_a_rating_is_stored_and_shown_by_its_receipt(store: Store) -> None:
    zhang = (await roster(store))[0]
    result = await store.submit_rating(
        rating(
            zhang.token,
            2,
            reasons=("attitude", "efficiency"),
            comment="等了很久",
            phone_enc="enc",
            phone_hash="hash",
            phone_mask="138****5678",
            channel="kiosk",
        )
    )
    assert result.outcome is Outcome.CREATED and result.receipt and result.rating_id
    view = await store.rating_by_receipt(result.receipt)
    assert view is not None
    assert (view.level, view.reasons, view.comment, view.channel) == (
        2,
        ("attitude", "efficiency"),
        "等了很久",
        "kiosk",
    )
    assert (view.officer_name, view.badge_no, view.unit_name, view.token) == (
        "张伟",
        "100001",
        "胜利路派出所",
        zhang.token,
    )
    assert view.has_phone and view.amend_count == 0
    assert await store.count_ratings() == 1
    assert await store.rating_by_receipt("ZZZZZZZZZZZZ") is None


async def test_codes_that_rate_nobody_store_nothing(store: Store) -> None:
    officers = await roster(store)
    old_token = officers[0].token
    await store.reissue_token(officers[0].badge_no)
    await store.import_roster(ROSTER[:2], retire_missing=True)

    unknown = await store.submit_rating(rating("ZZZZZZZZZZZZ"))
    revoked = await store.submit_rating(rating(old_token, device="d2"))
    retired = await store.submit_rating(rating(officers[2].token, device="d3"))
    assert unknown.outcome is Outcome.UNKNOWN_TOKEN
    assert revoked.outcome is Outcome.REVOKED_TOKEN
    assert retired.outcome is Outcome.RETIRED_OFFICER
    assert unknown.receipt is revoked.receipt is retired.receipt is None
    assert await store.count_ratings() == 0


async def test_concurrent_ratings_get_unique_receipts(store: Store) -> None:
    officers = await roster(store)
    results = await asyncio.gather(
        *(store.submit_rating(rating(officers[i % 3].token, device=f"dev-{i}")) for i in range(60))
    )
    assert {r.outcome for r in results} == {Outcome.CREATED}
    assert len({r.receipt for r in results}) == 60
    assert len({r.rating_id for r in results}) == 60
    assert await store.count_ratings() == 60


async def test_second_rating_within_the_window_amends_the_first(store: Store) -> None:
    zhang, li, _ = await roster(store)
    first = await store.submit_rating(
        rating(zhang.token, 1, reasons=("attitude",), comment="态度差", phone_enc="enc")
    )
    second = await store.submit_rating(
        rating(zhang.token, 2, reasons=("efficiency",), comment="其实是太慢")
    )
    assert first.outcome is Outcome.CREATED and second.outcome is Outcome.AMENDED
    assert second.receipt == first.receipt and second.rating_id == first.rating_id
    assert first.receipt is not None
    view = await store.rating_by_receipt(first.receipt)
    assert view is not None
    assert (view.level, view.reasons, view.comment, view.amend_count) == (
        2,
        ("efficiency",),
        "其实是太慢",
        1,
    )
    assert view.has_phone  # an amendment without a phone keeps the one given
    assert await revisions(store, first.receipt) == [(1, "态度差")]

    other_officer = await store.submit_rating(rating(li.token))
    other_device = await store.submit_rating(rating(zhang.token, device="device-2"))
    assert other_officer.outcome is other_device.outcome is Outcome.CREATED
    assert len({first.receipt, other_officer.receipt, other_device.receipt}) == 3
    assert await store.count_ratings() == 3


async def test_a_rating_after_the_window_is_a_new_rating(store: Store) -> None:
    zhang = (await roster(store))[0]
    long_ago = int(time.time() * 1000) - LIMITS.amend_window_ms - 60_000
    first = await store.submit_rating(rating(zhang.token, 3, at_ms=long_ago))
    second = await store.submit_rating(rating(zhang.token, 5))
    assert first.outcome is second.outcome is Outcome.CREATED
    assert first.receipt != second.receipt
    assert await store.count_ratings() == 2


async def test_a_receipt_amends_its_own_officers_rating_from_any_device(store: Store) -> None:
    zhang, li, _ = await roster(store)
    first = await store.submit_rating(rating(zhang.token, 2, reasons=("other",)))
    by_receipt = await store.submit_rating(
        rating(zhang.token, 5, device="new-phone", receipt=first.receipt)
    )
    assert by_receipt.outcome is Outcome.AMENDED and by_receipt.receipt == first.receipt
    not_his = await store.submit_rating(
        rating(li.token, 5, device="new-phone", receipt=first.receipt)
    )
    assert not_his.outcome is Outcome.CREATED and not_his.receipt != first.receipt


async def test_idempotency_key_replays_instead_of_storing_twice(store: Store) -> None:
    zhang = (await roster(store))[0]
    first = await store.submit_rating(rating(zhang.token, idempotency_key="kiosk-7:42"))
    again = await store.submit_rating(
        rating(zhang.token, 1, device="another", idempotency_key="kiosk-7:42")
    )
    assert first.outcome is Outcome.CREATED and again.outcome is Outcome.REPLAYED
    assert again.receipt == first.receipt and again.rating_id == first.rating_id
    assert first.receipt is not None
    view = await store.rating_by_receipt(first.receipt)
    assert view is not None and view.level == 5  # the replay changed nothing
    assert await store.count_ratings() == 1


async def test_device_limit_refuses_new_ratings_past_it(stores: Stores) -> None:
    store = await stores.open(device_per_hour=2)
    officers = await roster(store)
    results = [await store.submit_rating(rating(o.token, device="busy")) for o in officers]
    assert [r.outcome for r in results] == [
        Outcome.CREATED,
        Outcome.CREATED,
        Outcome.RATE_LIMITED,
    ]
    assert results[2].limited_by == "device" and results[2].receipt is None
    other = await store.submit_rating(rating(officers[2].token, device="quiet"))
    assert other.outcome is Outcome.CREATED
    assert await store.count_ratings() == 3


async def test_network_limit_counts_across_devices(stores: Stores) -> None:
    store = await stores.open(network_per_hour=3)
    hold_mid_hour(store)  # the network limit counts per clock hour
    zhang = (await roster(store))[0]
    results = [
        await store.submit_rating(rating(zhang.token, device=f"phone-{i}", network="nat-1"))
        for i in range(5)
    ]
    assert [r.outcome for r in results].count(Outcome.CREATED) == 3
    assert [r.limited_by for r in results[3:]] == ["network", "network"]
    elsewhere = await store.submit_rating(rating(zhang.token, device="phone-9", network="nat-2"))
    assert elsewhere.outcome is Outcome.CREATED
    assert await store.count_ratings() == 4


async def test_network_limit_holds_across_batches_and_ignores_failed_items(
    stores: Stores,
) -> None:
    store = await stores.open(network_per_hour=3)
    hold_mid_hour(store)  # the network limit counts per clock hour
    zhang, li, wang = await roster(store)
    # One batch: the middle item fails (level 9 breaks a CHECK) and is undone, hit and all.
    first = await asyncio.gather(
        store.submit_rating(rating(zhang.token, device="a", network="nat")),
        store.submit_rating(rating(li.token, 9, device="b", network="nat")),
        store.submit_rating(rating(wang.token, device="c", network="nat")),
        return_exceptions=True,
    )
    # Its own failure, not "database unavailable, try again" (issue 14, item 1).
    assert isinstance(first[1], RatingFailed) and first[1].status == 500
    assert [r.outcome for r in (first[0], first[2])] == [Outcome.CREATED] * 2  # type: ignore[union-attr]
    # Later batches see the two hits that stood: one more fits, the next does not.
    third = await store.submit_rating(rating(zhang.token, device="d", network="nat"))
    fourth = await store.submit_rating(rating(li.token, device="e", network="nat"))
    assert third.outcome is Outcome.CREATED
    assert fourth.outcome is Outcome.RATE_LIMITED and fourth.limited_by == "network"
    assert await store.count_ratings() == 3


def _bump_twice(tx: logic.Tx, bucket: str, at: int) -> tuple[int, int]:
    return logic.bump_counter(tx, bucket, at), logic.bump_counter(tx, bucket, at)


async def test_old_rate_limit_counters_are_pruned(store: Store) -> None:
    now = int(time.time() * 1000)
    old = now - 3 * logic.HOUR_MS

    assert await store.write(_bump_twice, "n:old", old) == (1, 2)
    await store.write(logic.bump_counter, "n:new", now)
    assert await store.write(logic.prune_counters, now) == 1
    left = await store.read(lambda tx: tx.all("SELECT bucket FROM rate_limits"))
    assert [r[0] for r in left] == ["n:new"]


async def test_a_bad_item_fails_alone_in_its_batch(store: Store) -> None:
    zhang, li, wang = await roster(store)
    good1, bad, good2 = await asyncio.gather(
        store.submit_rating(rating(zhang.token, device="a")),
        store.submit_rating(rating(li.token, 9, device="b")),  # violates CHECK (level)
        store.submit_rating(rating(wang.token, device="c")),
        return_exceptions=True,
    )
    assert isinstance(bad, RatingFailed) and bad.status == 500
    assert not isinstance(good1, BaseException) and not isinstance(good2, BaseException)
    assert good1.outcome is good2.outcome is Outcome.CREATED
    assert await store.count_ratings() == 2
    assert store.healthy()


async def test_closed_store_refuses_ratings(stores: Stores) -> None:
    store = await stores.open()
    assert store.healthy()
    await store.close()
    stores.opened.remove(store)
    assert not store.healthy()
    with pytest.raises(StoreUnavailable):
        await store.submit_rating(rating("ZZZZZZZZZZZZ"))


async def test_two_instances_on_one_database_keep_one_rating_per_matter(
    stores: Stores,
) -> None:
    first, second = await stores.open(), await stores.open()
    zhang, li, wang = await roster(first)
    same_matter = await asyncio.gather(
        *(
            (first if i % 2 else second).submit_rating(
                rating(zhang.token, 1 + i % 5, network=f"net-{i}")
            )
            for i in range(10)
        )
    )
    outcomes = [r.outcome for r in same_matter]
    assert outcomes.count(Outcome.CREATED) == 1 and outcomes.count(Outcome.AMENDED) == 9
    assert len({r.receipt for r in same_matter}) == 1
    assert await second.count_ratings() == 1
    receipt = same_matter[0].receipt
    assert receipt is not None
    view = await first.rating_by_receipt(receipt)
    assert view is not None and view.amend_count == 9
    assert len(await revisions(second, receipt)) == 9


async def test_two_instances_on_one_database_share_the_device_limit(stores: Stores) -> None:
    first = await stores.open(device_per_hour=1)
    second = await stores.open(device_per_hour=1)
    zhang, li, wang = await roster(first)
    # Different networks, so no shared counter row serialises them by accident.
    results = await asyncio.gather(
        first.submit_rating(rating(li.token, device="solo", network="n1")),
        second.submit_rating(rating(wang.token, device="solo", network="n2")),
        first.submit_rating(rating(zhang.token, device="solo", network="n3")),
        second.submit_rating(rating(zhang.token, device="solo", network="n4")),
    )
    assert [r.outcome for r in results].count(Outcome.CREATED) == 1
    assert {r.limited_by for r in results if r.outcome is Outcome.RATE_LIMITED} == {"device"}
    assert await first.count_ratings() == 1

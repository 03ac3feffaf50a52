"""PostgreSQL rating batches: one call of `rating_batch`, and one bad rating failing alone.

The contract suite (test_ratings.py and the rest) runs every rule on PostgreSQL through
the batch function; test_pg_function.py compares it with logic.apply_rating row for row.
These tests pin what the store adds: a batch of many ratings really goes through the
function, and a rating the database refuses (a NUL in text, which PostgreSQL cannot
store) fails on its own while every other rating of its batch commits.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from rating.store.base import RatingFailed
from rating.store.models import Outcome, RatingResult, RosterRow
from rating.store.postgres import PostgresStore
from tests.store.conftest import Stores, empty_tables, rating


@pytest.fixture
async def pg_stores(pg_url: str) -> Stores:
    empty_tables(pg_url)
    factory = Stores("postgresql", pg_url)
    yield factory  # type: ignore[misc]
    for store in reversed(factory.opened):
        await store.close()


async def _tokens(store: PostgresStore, n: int) -> list[str]:
    rows = [
        RosterRow(i + 2, f"{700000 + i}", f"民警{i}", "某市公安局/某分局", "police")
        for i in range(n)
    ]
    result = await store.import_roster(rows)
    assert not result.errors
    return [o.token for o in await store.list_officers() if o.token]


async def _gather(store: PostgresStore, subs: list) -> list[RatingResult | BaseException]:  # type: ignore[type-arg]
    # All queued before the writers wake: they land in a few large batches.
    return await asyncio.gather(*(store.submit_rating(s) for s in subs), return_exceptions=True)


async def test_a_large_batch_goes_through_the_function_with_every_rule(
    pg_stores: Stores, caplog: pytest.LogCaptureFixture
) -> None:
    store = await pg_stores.open()
    assert isinstance(store, PostgresStore)
    tokens = await _tokens(store, 5)
    subs = [rating(tokens[i % 5], 5 if i % 10 else 1, device=f"dev-{i}") for i in range(120)]
    # The same device rates the same officer again: an amendment, in the same batch.
    subs += [rating(tokens[0], 2, device="dev-0"), rating(tokens[1], 4, device="dev-1")]
    with caplog.at_level(logging.INFO, logger="pingjing.store"):
        results = await _gather(store, subs)
    assert not [r for r in caplog.records if "one by one" in r.getMessage()]
    assert all(isinstance(r, RatingResult) for r in results)
    outcomes = [r.outcome for r in results]  # type: ignore[union-attr]
    assert outcomes[:120] == [Outcome.CREATED] * 120
    assert outcomes[120] == Outcome.AMENDED and results[120].receipt == results[0].receipt  # type: ignore[union-attr]
    assert outcomes[121] == Outcome.AMENDED and results[121].receipt == results[1].receipt  # type: ignore[union-attr]
    assert await store.count_ratings() == 120
    # Each dissatisfied rating opened its case in the same transaction (12 at level 1);
    # dev-0's amendment to level 2 kept its rating's case, no second one.
    assert await store.read(_count_cases) == 12


@pytest.mark.parametrize("poison", ["坏\x00数据", "\ud800"], ids=["nul", "lone-surrogate"])
async def test_a_poisoned_rating_fails_alone(pg_stores: Stores, poison: str) -> None:
    store = await pg_stores.open()
    assert isinstance(store, PostgresStore)
    tokens = await _tokens(store, 4)
    subs = [rating(tokens[i % 4], 2, device=f"d{i}", comment="排队太久") for i in range(40)]
    # Below the validation layer: PostgreSQL refuses NUL in text, UTF-8 a lone surrogate.
    subs[17] = rating(tokens[1], 1, device="poison", comment=poison)
    results = await _gather(store, subs)
    failed = [i for i, r in enumerate(results) if isinstance(r, BaseException)]
    assert failed == [17]
    # Its own refusal (a 400: the data, not the database), never "try again later".
    assert isinstance(results[17], RatingFailed)
    assert results[17].status == 400
    assert await store.count_ratings() == 39
    assert store.healthy()
    assert await store.read(_count_cases) == 39  # the poisoned rating left no case behind


def _count_cases(tx: object) -> int:
    row = tx.one("SELECT COUNT(*) FROM cases")  # type: ignore[attr-defined]
    return int(row[0])

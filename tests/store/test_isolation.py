"""One rating the database refuses fails alone (issue 14, item 1).

A comment holding a lone surrogate once passed validation and made the writer's whole
batch fail: every other rating of the batch got 503 and /healthz turned. The views now
refuse such text, but the writer must not depend on that: a batch that fails for a
reason other than the database being unavailable is applied again item by item.

SQLite here (writer process and writer thread); PostgreSQL's writer has its own test.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from rating.store.base import RatingFailed, StoreUnavailable, run_isolated
from rating.store.models import Outcome
from rating.store.sqlite import SqliteStore
from tests.conftest import ROSTER
from tests.store.conftest import LIMITS, rating

ORDINARY = 40


@pytest.fixture(params=["process", "thread"])
async def sqlite_store(request: pytest.FixtureRequest, tmp_path: Path) -> SqliteStore:
    store = SqliteStore(str(tmp_path / "store.db"), LIMITS, writer=request.param)
    await store.open()
    await store.import_roster(ROSTER)
    yield store  # type: ignore[misc]
    await store.close()


async def test_a_poisoned_rating_fails_alone_and_the_rest_of_its_batch_is_stored(
    sqlite_store: SqliteStore,
) -> None:
    token = (await sqlite_store.list_officers())[0].token
    assert token is not None
    subs = [
        rating(token, 4, device=f"device-{i}", comment=f"ordinary {i}") for i in range(ORDINARY)
    ]
    poisoned = rating(token, 1, device="device-bad", comment="bad \ud800 text")
    subs.insert(ORDINARY // 2, poisoned)
    # Submitted in one turn of the event loop: they reach the writer as one batch.
    results = await asyncio.gather(
        *(sqlite_store.submit_rating(s) for s in subs), return_exceptions=True
    )
    bad = results.pop(ORDINARY // 2)
    assert isinstance(bad, RatingFailed) and bad.status == 400, bad
    assert not any(isinstance(r, BaseException) for r in results), results
    assert all(r.outcome is Outcome.CREATED for r in results)  # type: ignore[union-attr]
    assert await sqlite_store.count_ratings() == ORDINARY
    stored = {
        row[0] for row in await sqlite_store.read(lambda tx: tx.all("SELECT comment FROM ratings"))
    }
    assert stored == {f"ordinary {i}" for i in range(ORDINARY)}
    # One bad rating is not an outage.
    assert sqlite_store.healthy()
    # The writer carries on: the next batch is stored as usual.
    again = await sqlite_store.submit_rating(rating(token, 5, device="device-later"))
    assert again.outcome is Outcome.CREATED


def test_run_isolated_retries_items_one_by_one_only_when_the_batch_itself_is_at_fault() -> None:
    calls: list[list[int]] = []

    def run(items: list[int]) -> list[int | BaseException]:
        calls.append(items)
        if 13 in items:
            raise UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")
        return [i * 2 for i in items]

    out = run_isolated(run, [1, 13, 3], lambda exc: isinstance(exc, OSError))
    assert out[0] == 2 and out[2] == 6
    assert isinstance(out[1], RatingFailed) and out[1].status == 400
    assert calls == [[1, 13, 3], [1], [13], [3]]

    def down(items: list[int]) -> list[int | BaseException]:
        raise OSError("disk I/O error")

    # Unavailability fails the whole batch at once (nothing stored, retry later)...
    with pytest.raises(OSError):
        run_isolated(down, [1, 2], lambda exc: isinstance(exc, OSError))

    # ...and an item that meets an outage while retried alone hears "try again".
    def flaky(items: list[int]) -> list[int | BaseException]:
        if len(items) > 1:
            raise RuntimeError("one of these is bad")
        if items == [2]:
            raise OSError("disk full")
        return items  # type: ignore[return-value]

    out = run_isolated(flaky, [1, 2], lambda exc: isinstance(exc, OSError))
    assert out[0] == 1 and isinstance(out[1], StoreUnavailable)

"""One page load, one matter (issue 14, item 3): a form stamp creates at most one rating.

Replaying one page's stamp without the device cookie once stored 300 ratings and opened
300 cases. Now a second rating from the same stamp amends the first, whatever device or
network it claims, on both databases and across two stores (app instances) on one.
"""

from __future__ import annotations

import asyncio

from rating.store import Store
from rating.store.models import Outcome
from tests.conftest import ROSTER
from tests.store.conftest import Stores, rating

STAMP = "1796187727804.0123456789abcdef"


async def _cases(store: Store) -> int:
    row = await store.read(lambda tx: tx.one("SELECT COUNT(*) FROM cases"))
    return int(row[0])


async def test_a_replayed_stamp_amends_its_rating_across_instances(stores: Stores) -> None:
    first, second = await stores.open(), await stores.open()
    await first.import_roster(ROSTER)
    token = (await first.list_officers())[0].token
    assert token is not None
    # Twenty replays, each from a "new device" and another address, spread over both
    # instances and sent at once.
    replays = [
        (first if i % 2 else second).submit_rating(
            rating(
                token,
                1,
                device=f"fresh-{i}",
                network=f"net-{i}",
                stamp=STAMP,
                comment=f"replay {i}",
            )
        )  # fmt: skip
        for i in range(20)
    ]
    results = await asyncio.gather(*replays)
    assert await first.count_ratings() == 1
    assert await _cases(first) == 1
    assert len({r.receipt for r in results}) == 1
    assert sorted(r.outcome.value for r in results) == sorted(["created"] + ["amended"] * 19)
    # Another page of the same officer is another matter.
    other = await second.submit_rating(rating(token, 4, device="fresh-x", stamp=STAMP + "0"))
    assert other.outcome is Outcome.CREATED
    assert await first.count_ratings() == 2

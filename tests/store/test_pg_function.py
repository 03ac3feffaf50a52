"""`rating_batch` (migration 0016) against `logic.apply_rating`, row for row.

The PL/pgSQL function is the rating rules written a second time, for speed. Each scripted
batch here runs twice on the same database state, each time in a transaction rolled back
afterwards: once through the function, once rating by rating through
`logic.apply_rating` (the unit of work every other path runs), given the same new ids.
The results and every row either writes (ratings, revisions, cases, the audit log, case
history, rate-limit counters) must be the same. The scripts hit what a batch makes
particular: ratings of one batch that see each other.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator, Sequence
from typing import Any

import psycopg
import pytest

from rating.store import logic, pg_batch
from rating.store.base import RatingFailed
from rating.store.models import Outcome, RateLimits, RatingResult, RatingSubmission, RosterRow
from rating.store.postgres import PgTx, PostgresStore, lock_id
from tests.store.conftest import LIMITS, Stores, empty_tables, rating

NOW = 1_780_000_000_000  # a fixed moment: both runs see the same clock

# Every row a rating can write, without the serial ids the two runs draw differently.
SNAPSHOT = {
    "ratings": "SELECT * FROM ratings ORDER BY id",
    "revisions": "SELECT rating_id, level, reasons, comment, replaced_at FROM rating_revisions "
    "ORDER BY rating_id, replaced_at, level, reasons, comment",
    "cases": "SELECT rating_id, unit_id, officer_id, state, opened_at, callback_due_at, "
    "callback_due_provisional, callback_at, closed_at, reopen_count, notify_state, "
    "notify_next_at, updated_at FROM cases ORDER BY rating_id",
    "audit": "SELECT a.at, a.actor_id, a.actor_name, a.action, c.rating_id, a.from_state, "
    "a.to_state, a.note, a.items FROM audit_log a LEFT JOIN cases c ON c.id = a.case_id "
    "ORDER BY a.id",
    "history": "SELECT c.rating_id, h.at, h.state, h.callback_due_at, h.closed_at "
    "FROM case_history h JOIN cases c ON c.id = h.case_id ORDER BY h.id",
    "counters": "SELECT bucket, window_start, hits FROM rate_limits ORDER BY bucket",
}


class _SameIds(PgTx):
    """PgTx whose next new rating takes the id the function was given for this item."""

    __slots__ = ("new_id", "key")

    def new_rating_id(self) -> tuple[int, str | None]:
        return self.new_id, self.key


@pytest.fixture
async def pg(pg_url: str) -> Iterator[tuple[psycopg.Connection[Any], list[str]]]:
    """A connection to a migrated, empty database, and five officers' tokens."""
    empty_tables(pg_url)
    store = PostgresStore(pg_url, LIMITS, pool_max=2)
    await store.open()
    try:
        rows = [
            RosterRow(i + 2, f"{800000 + i}", f"民警{i}", "某市公安局/某分局", "police")
            for i in range(5)
        ]
        assert not (await store.import_roster(rows)).errors
        tokens = [o.token for o in await store.list_officers() if o.token]
    finally:
        await store.close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        yield conn, tokens  # type: ignore[misc]


def _snapshot(conn: psycopg.Connection[Any]) -> dict[str, list[tuple[Any, ...]]]:
    return {name: conn.execute(sql).fetchall() for name, sql in SNAPSHOT.items()}


def _both(
    conn: psycopg.Connection[Any], subs: Sequence[RatingSubmission], limits: RateLimits = LIMITS
) -> list[RatingResult]:
    """Run `subs` both ways, each rolled back; assert they agree; the function's results."""
    params = pg_batch.call_params(conn, subs, limits, NOW, lock_id)
    items = json.loads(params[0])
    conn.execute("BEGIN")
    try:
        rows = conn.execute(pg_batch.CALL_SQL, params).fetchall()
        by_function = (pg_batch.results_of(rows, len(subs)), _snapshot(conn))
    finally:
        conn.execute("ROLLBACK")
    key = conn.execute(pg_batch.RECEIPT_KEY_SQL).fetchone()[0]  # type: ignore[index]
    conn.execute("BEGIN")
    try:
        tx = _SameIds(conn)
        tx.key = key
        out = []
        for item, sub in zip(items, subs, strict=True):
            tx.new_id = item["new_id"]
            out.append(logic.apply_rating(tx, sub, limits, NOW))
        by_python = (out, _snapshot(conn))
    finally:
        conn.execute("ROLLBACK")
    assert by_function[0] == by_python[0]
    for name in SNAPSHOT:
        assert by_function[1][name] == by_python[1][name], name
    return by_function[0]


def _commit(conn: psycopg.Connection[Any], subs: Sequence[RatingSubmission]) -> list[RatingResult]:
    """Store `subs` for the next batch to build on (through the function)."""
    return pg_batch.apply_batch(conn, subs, LIMITS, 5000, NOW - 60_000, lock_id)


def test_a_repeated_idempotency_key_replays_within_the_batch(pg: Any) -> None:
    conn, tokens = pg
    subs = [
        rating(tokens[0], 4, device="a", idempotency_key="k1", at_ms=0),
        rating(tokens[1], 1, device="b", idempotency_key="k1", at_ms=0),
        rating(tokens[2], 2, device="c", idempotency_key="k2", at_ms=0),
    ]
    got = _both(conn, subs)
    assert [r.outcome for r in got] == [Outcome.CREATED, Outcome.REPLAYED, Outcome.CREATED]
    assert got[1].receipt == got[0].receipt and got[1].rating_id == got[0].rating_id


def test_an_amendment_follows_its_original_within_the_batch(pg: Any) -> None:
    conn, tokens = pg
    subs = [
        # The same device rates the same officer again: amends, and the case follows.
        rating(tokens[0], 1, device="a", at_ms=0, comment="态度差", phone_enc="e", phone_hash="h"),
        rating(tokens[0], 5, device="a", at_ms=0),  # up to satisfied: closes the case
        rating(tokens[0], 2, device="a", at_ms=0, comment="还是不行"),  # down: re-opens it
        # One page load, one matter: the second post of a stamp amends the first.
        rating(tokens[1], 3, device="b", stamp="s-1", at_ms=0),
        rating(tokens[1], 2, device="other", stamp="s-1", at_ms=0, reasons=("attitude",)),
        # Another officer on the same device: a rating of its own.
        rating(tokens[2], 5, device="a", at_ms=0),
    ]
    got = _both(conn, subs)
    assert [r.outcome for r in got] == [
        Outcome.CREATED,
        Outcome.AMENDED,
        Outcome.AMENDED,
        Outcome.CREATED,
        Outcome.AMENDED,
        Outcome.CREATED,
    ]
    assert got[1].receipt == got[2].receipt == got[0].receipt
    assert got[4].receipt == got[3].receipt


def test_a_receipt_amends_a_rating_of_an_earlier_batch(pg: Any) -> None:
    conn, tokens = pg
    first = _commit(
        conn, [rating(tokens[0], 2, device="a", at_ms=0), rating(tokens[1], 1, device="b", at_ms=0)]
    )
    assert [r.outcome for r in first] == [Outcome.CREATED, Outcome.CREATED]
    subs = [
        rating(tokens[0], 4, device="x", receipt=first[0].receipt, at_ms=0),
        rating(tokens[1], 2, device="y", receipt=first[0].receipt, at_ms=0),  # not its officer
        rating(tokens[1], 1, device="b", network="n2", at_ms=0),  # device window: amends
    ]
    got = _both(conn, subs)
    assert [r.outcome for r in got] == [Outcome.AMENDED, Outcome.CREATED, Outcome.AMENDED]
    assert got[0].receipt == first[0].receipt and got[2].receipt == first[1].receipt


def test_a_rate_limit_reached_mid_batch(pg: Any) -> None:
    conn, tokens = pg
    limits = RateLimits(device_per_hour=2, network_per_hour=4, amend_window_ms=600_000)
    subs = [rating(tokens[i], 5, device="d", network=f"n{i}", at_ms=0) for i in range(4)]
    subs.append(rating(tokens[0], 3, device="d", network="n9", at_ms=0))  # an amendment
    subs += [rating(tokens[i], 4, device=f"e{i}", network="shared", at_ms=0) for i in range(5)]
    got = _both(conn, subs, limits)
    assert [r.outcome for r in got[:5]] == [Outcome.CREATED] * 2 + [Outcome.RATE_LIMITED] * 2 + [
        Outcome.AMENDED
    ]
    assert got[2].limited_by == got[3].limited_by == "device"
    assert [r.outcome for r in got[5:]] == [Outcome.CREATED] * 4 + [Outcome.RATE_LIMITED]
    assert got[9].limited_by == "network"


def test_tokens_that_cannot_rate(pg: Any) -> None:
    conn, tokens = pg
    conn.execute("UPDATE badge_tokens SET revoked_at = 1 WHERE token = %s", (tokens[1],))
    conn.execute(
        "UPDATE officers SET status = 'retired' WHERE id = "
        "(SELECT officer_id FROM badge_tokens WHERE token = %s)",
        (tokens[2],),
    )
    subs = [
        rating("NOSUCHTOKEN", 1, device="a", at_ms=0),
        rating(tokens[1], 1, device="a", at_ms=0),
        rating(tokens[2], 1, device="a", at_ms=0),
        rating(tokens[0], 1, device="a", at_ms=0),
    ]
    got = _both(conn, subs)
    assert [r.outcome for r in got] == [
        Outcome.UNKNOWN_TOKEN,
        Outcome.REVOKED_TOKEN,
        Outcome.RETIRED_OFFICER,
        Outcome.CREATED,
    ]


def test_a_calendar_changed_since_the_deadline_was_made_is_refused(pg: Any) -> None:
    conn, tokens = pg
    params = list(pg_batch.call_params(conn, [rating(tokens[0], 1)], LIMITS, NOW, lock_id))
    conn.execute(
        "INSERT INTO calendar_overrides (cal_date, kind, created_at) "
        "VALUES ('2026-10-09', 'holiday', 0)"
    )
    conn.execute("BEGIN")
    try:
        with pytest.raises(psycopg.Error) as err:
            conn.execute(pg_batch.CALL_SQL, params)
        assert err.value.sqlstate == "PJ001"
    finally:
        conn.execute("ROLLBACK")


# ---------------------------------------------------------------- through the store


@pytest.fixture
async def pg_stores(pg_url: str) -> Stores:
    empty_tables(pg_url)
    factory = Stores("postgresql", pg_url)
    yield factory  # type: ignore[misc]
    for store in reversed(factory.opened):
        await store.close()


async def test_one_bad_rating_in_a_batch_spares_the_others(
    pg_stores: Stores, caplog: pytest.LogCaptureFixture
) -> None:
    store = await pg_stores.open()
    assert isinstance(store, PostgresStore)
    await store.import_roster([RosterRow(2, "900001", "民警", "某市公安局/某分局", "police")])
    token = (await store.list_officers())[0].token
    subs = [rating(token, 1, device=f"d{i}", idempotency_key=f"k{i % 7}") for i in range(30)]
    subs[11] = rating(token, 1, device="bad", comment="坏\x00")
    with caplog.at_level(logging.INFO, logger="pingjing.store"):
        results = await asyncio.gather(
            *(store.submit_rating(s) for s in subs), return_exceptions=True
        )
    assert isinstance(results[11], RatingFailed) and results[11].status == 400
    assert any("one by one" in r.getMessage() for r in caplog.records)
    ok = [r for i, r in enumerate(results) if i != 11]
    assert all(isinstance(r, RatingResult) for r in ok)
    created = [r for r in ok if r.outcome is Outcome.CREATED]  # type: ignore[union-attr]
    assert len(created) == 7  # one per idempotency key; the rest replay them
    assert await store.count_ratings() == 7

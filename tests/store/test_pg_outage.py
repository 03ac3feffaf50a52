"""A PostgreSQL outage: ratings get a prompt 503, /healthz follows the database both ways.

The shared server is never stopped (other work uses it): the store reaches it through a
TCP proxy started here on 127.0.0.1, which the test cuts (every connection closed, new
ones refused, as when the server goes down) and restores on the same port.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from rating.store.base import StoreUnavailable
from rating.store.models import Outcome, RosterRow
from rating.store.postgres import PostgresStore
from tests.conftest import make_settings, opened
from tests.polling import until
from tests.store.conftest import LIMITS, empty_tables, rating
from tests.tcp_proxy import Proxy

# Generous bounds for a busy machine: a hang (the bug: 57 s) still fails the test.
PROMPT_S = 15.0


@pytest.fixture
async def proxied(pg_url: str) -> AsyncIterator[tuple[Proxy, PostgresStore]]:
    empty_tables(pg_url)
    parts = urlsplit(pg_url)
    proxy = Proxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    proxy.start()
    url = urlunsplit(parts._replace(netloc=f"{parts.username}@127.0.0.1:{proxy.port}"))
    store = PostgresStore(url, LIMITS, pool_max=4, timeout=1.0, probe_every=0.1)
    await store.open()
    try:
        yield proxy, store
    finally:
        await store.close()
        if proxy.listening:
            proxy.cut()


async def test_an_outage_gives_a_prompt_503_and_health_follows_the_database(
    proxied: tuple[Proxy, PostgresStore],
) -> None:
    proxy, store = proxied
    result = await store.import_roster(
        [RosterRow(2, "800001", "民警", "某市公安局/某分局", "police")]
    )
    assert not result.errors
    (officer,) = await store.list_officers()
    first = await store.submit_rating(rating(officer.token, device="before"))
    assert first.outcome is Outcome.CREATED and store.healthy()

    proxy.cut()
    # The rating in flight when the database goes fails within the timeout, not minutes.
    with pytest.raises(StoreUnavailable):
        await asyncio.wait_for(
            store.submit_rating(rating(officer.token, device="during")), PROMPT_S
        )
    await until(lambda: not store.healthy(), "/healthz turning 503", PROMPT_S, every=0.05)
    with pytest.raises(StoreUnavailable):  # and every rating after it, at once
        await asyncio.wait_for(store.submit_rating(rating(officer.token, device="dur2")), PROMPT_S)

    proxy.restore()
    await until(store.healthy, "/healthz turning 200 again", PROMPT_S, every=0.05)
    after = await asyncio.wait_for(
        store.submit_rating(rating(officer.token, device="after")), PROMPT_S
    )
    assert after.outcome is Outcome.CREATED
    assert await store.count_ratings() == 2  # nothing half-stored from the outage


async def test_ratings_queued_behind_a_stuck_batch_fail_when_the_outage_is_found(
    pg_url: str,
) -> None:
    """A batch that waits for a connection holds the writer up to the timeout; ratings
    queued behind it are answered 503 as soon as the probe finds the database gone, not
    after that batch's timeout and then their own (measured: twice the timeout)."""
    empty_tables(pg_url)
    parts = urlsplit(pg_url)
    proxy = Proxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    proxy.start()
    url = urlunsplit(parts._replace(netloc=f"{parts.username}@127.0.0.1:{proxy.port}"))
    # A long timeout, so the first batch is still waiting when the others are answered.
    store = PostgresStore(url, LIMITS, pool_max=2, writers=1, timeout=5.0, probe_every=0.1)
    await store.open()
    try:
        await store.import_roster([RosterRow(2, "800002", "民警", "某市公安局/某分局", "police")])
        (officer,) = await store.list_officers()
        proxy.cut()
        first = asyncio.ensure_future(store.submit_rating(rating(officer.token, device="a")))
        await asyncio.sleep(0)  # the task runs up to putting its rating in the queue
        await until(store._queue.empty, "the writer taking the first rating", PROMPT_S)
        queued = [
            asyncio.ensure_future(store.submit_rating(rating(officer.token, device=f"q{i}")))
            for i in range(4)
        ]
        await until(lambda: all(q.done() for q in queued), "queued ratings answered", PROMPT_S)
        assert not first.done()  # still waiting for a connection: the others did not wait
        for q in queued:
            assert isinstance(q.exception(), StoreUnavailable)
        with pytest.raises(StoreUnavailable):
            await asyncio.wait_for(first, PROMPT_S)
    finally:
        await store.close()
        if proxy.listening:
            proxy.cut()
    assert not store.healthy()


async def test_the_api_answers_503_and_healthz_follows_through_an_outage(
    pg_url: str, tmp_path: Path
) -> None:
    """The same through the app: POST /api/v1/ratings and GET /healthz."""
    empty_tables(pg_url)
    parts = urlsplit(pg_url)
    proxy = Proxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    proxy.start()
    url = urlunsplit(parts._replace(netloc=f"{parts.username}@127.0.0.1:{proxy.port}"))
    settings = make_settings(tmp_path, database=url, database_timeout_seconds=1)
    try:
        async with opened(settings) as web:
            assert (await web.client.get("/healthz")).status_code == 200
            proxy.cut()
            reply = await asyncio.wait_for(
                web.client.post("/api/v1/ratings", json=web.rating(0)), PROMPT_S
            )
            assert reply.status_code == 503 and reply.json()["status"] == 503

            async def healthz_is(want: int) -> bool:
                return (await web.client.get("/healthz")).status_code == want

            # wait_for as well: a /healthz that hangs must not outlast the deadline.
            await asyncio.wait_for(
                until(lambda: healthz_is(503), "/healthz 503", PROMPT_S, every=0.05), PROMPT_S
            )
            proxy.restore()
            await asyncio.wait_for(
                until(lambda: healthz_is(200), "/healthz 200", PROMPT_S, every=0.05), PROMPT_S
            )
            reply = await web.client.post("/api/v1/ratings", json=web.rating(1))
            assert reply.status_code == 201, reply.text
    finally:
        if proxy.listening:
            proxy.cut()

"""A store of either backend with the shared test roster, for service tests that run
on SQLite and PostgreSQL (PostgreSQL: a fresh database, dropped afterwards)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from rating.store import Store
from rating.store.models import RateLimits
from rating.store.postgres import PostgresStore
from rating.store.sqlite import SqliteStore
from tests.conftest import ROSTER
from tests.store.conftest import fresh_database

BACKENDS = ["sqlite", "postgresql"]
LIMITS = RateLimits(device_per_hour=30, network_per_hour=3000, amend_window_ms=30 * 60_000)


@contextlib.asynccontextmanager
async def roster_store(backend: str, tmp_path: Path) -> AsyncIterator[Store]:
    with contextlib.ExitStack() as stack:
        store: Store
        if backend == "sqlite":
            store = SqliteStore(str(tmp_path / "store.db"), LIMITS)
        else:
            store = PostgresStore(stack.enter_context(fresh_database()), LIMITS, pool_max=4)
        await store.open()
        try:
            await store.import_roster(ROSTER)
            yield store
        finally:
            await store.close()

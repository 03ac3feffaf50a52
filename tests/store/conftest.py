"""Store contract fixtures: every test here runs against SQLite (with its writer in a
process of its own, as the server runs it, and on a thread, as CLI commands do) and
against PostgreSQL.

PostgreSQL: this test run creates its own database and drops it at the end. The server is
named by PINGJING_TEST_POSTGRES (a maintenance database URL, default
postgresql://postgres@127.0.0.1:5432/postgres). Each test starts from empty tables. If no
server answers, the PostgreSQL cases are skipped, except in CI (CI set), where they fail.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from rating.store import Store
from rating.store.models import RateLimits, RatingSubmission
from rating.store.postgres import PostgresStore
from rating.store.sqlite import SqliteStore

ADMIN_URL = os.environ.get(
    "PINGJING_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
LIMITS = RateLimits(device_per_hour=30, network_per_hour=3000, amend_window_ms=30 * 60_000)


def admin_connect() -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5)


def database_url(name: str) -> str:
    parts = urlsplit(ADMIN_URL)
    return urlunsplit(parts._replace(path="/" + name))


_reachable: str | None = None


def require_pg_tools(*tools: str) -> None:
    """Skip (or fail in CI, whose set-up installs them) when PostgreSQL's client tools are
    missing: `pingjing backup` on PostgreSQL runs pg_dump."""
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        message = (
            f"{', '.join(missing)} not installed (Debian: apt-get install postgresql-client, "
            "or run scripts/setup-system)"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def require_postgres() -> None:
    """Skip (or fail in CI) when the PostgreSQL server cannot be reached."""
    global _reachable
    if _reachable is None:
        try:
            with admin_connect():
                _reachable = ""
        except psycopg.OperationalError as exc:
            _reachable = str(exc).strip() or "connection failed"
    if _reachable:
        message = f"PostgreSQL not reachable at {ADMIN_URL}: {_reachable}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@contextmanager
def fresh_database() -> Iterator[str]:
    """A new, empty database (byte-order collation, as SQLite sorts); dropped afterwards."""
    require_postgres()
    # Named by the pytest-xdist worker (gw0, gw1; none without xdist) and process, so that a
    # database left by a killed run says whose it was; each worker creates and drops its own.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"pingjing_test_{worker}_{os.getpid()}_{secrets.token_hex(4)}"
    with admin_connect() as conn:
        conn.execute(
            sql.SQL(
                "CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
            ).format(sql.Identifier(name))
        )
    try:
        yield database_url(name)
    finally:
        with admin_connect() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """This run's PostgreSQL database (the first store opened on it migrates it)."""
    with fresh_database() as url:
        yield url


def empty_tables(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                # Reference data the migrations seed (the SLA table) stays too.
                "AND tablename NOT IN ('schema_migrations', 'store_keys', 'sla_classes', "
                "'sla_categories', 'letter_categories')"
            )
        ]
        if names:
            conn.execute(
                sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(
                    sql.SQL(", ").join(sql.Identifier(n) for n in names)
                )
            )


@dataclass
class Stores:
    """Opens stores of one backend on one database; closes them after the test."""

    backend: str
    database: str
    opened: list[Store] = field(default_factory=list)

    async def open(self, **limits: int) -> Store:
        lim = RateLimits(**{**LIMITS.__dict__, **limits})
        store: Store
        if self.backend == "sqlite":
            store = SqliteStore(self.database, lim)  # the writer in its own process
        elif self.backend == "sqlite-thread":
            store = SqliteStore(self.database, lim, writer="thread")  # as CLI commands use it
        else:
            store = PostgresStore(self.database, lim, pool_max=4)
        await store.open()
        self.opened.append(store)
        return store


@pytest.fixture(params=["sqlite", "sqlite-thread", "postgresql"])
async def stores(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Stores]:
    if request.param.startswith("sqlite"):
        database = str(tmp_path / "store.db")
    else:
        database = request.getfixturevalue("pg_url")
        empty_tables(database)
    factory = Stores(request.param, database)
    try:
        yield factory
    finally:
        for store in reversed(factory.opened):
            await store.close()


@pytest.fixture
async def store(stores: Stores) -> Store:
    return await stores.open()


def rating(
    token: str | None,
    level: int = 5,
    *,
    device: str | None = "device-1",
    network: str | None = "network-1",
    **fields: object,
) -> RatingSubmission:
    """A submission as the views build it (hashes are opaque strings to the store)."""
    values: dict[str, object] = {
        "token": token or "",
        "level": level,
        "channel": "web",
        "device_hash": device,
        "network_hash": network,
        "at_ms": int(time.time() * 1000),
    }
    values.update(fields)
    return RatingSubmission(**values)  # type: ignore[arg-type]

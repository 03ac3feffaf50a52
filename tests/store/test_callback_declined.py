"""Migration 0017: a work order's declined callback (拒绝回访) was stored as `refused`; it
reads `declined` afterwards, on both databases, as cases always said, and the database
takes only the new word."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from rating.store.base import Store, migration_files, split_sql
from rating.store.postgres import PostgresStore
from rating.store.sqlite import SqliteStore
from tests.store.conftest import LIMITS, fresh_database

BEFORE = 17
MIGRATIONS = (
    "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
    "applied_at BIGINT NOT NULL)"
)
IMPORT = (
    "INSERT INTO workorder_imports (id, channel, profile, file_name, file_sha256, rows_total, "
    "rows_new, rows_updated, rows_unchanged, rows_rejected, units_unmatched, "
    "officers_unmatched, imported_at) VALUES (1, '12345', '12345', 'a.csv', 'x', 3, 3, 0, 0, "
    "0, 0, 0, 0)"
)


def orders(outcomes: list[str | None]) -> list[str]:
    out = []
    for i, outcome in enumerate(outcomes, 1):
        value = "NULL" if outcome is None else f"'{outcome}'"
        out.append(
            "INSERT INTO workorders (channel, order_no, received_at, callback_outcome, "
            "first_import_id, last_import_id, created_at, updated_at) "
            f"VALUES ('12345', 'GD{i}', 0, {value}, 1, 1, 0, 0)"
        )
    out.append(
        "INSERT INTO workorder_revisions (workorder_id, replaced_at, received_at, "
        "callback_outcome, updated_at) VALUES (1, 0, 0, 'refused', 0)"
    )
    return out


def old_database(dialect: str, execute: Callable[[str], Any]) -> None:
    """The schema as it stood before 0017, holding work orders with every answer."""
    execute(MIGRATIONS)
    for version, name, script in migration_files(dialect):
        if version >= BEFORE:
            continue
        for stmt in split_sql(script):
            execute(stmt)
        execute(f"INSERT INTO schema_migrations VALUES ({version}, '{name}', 0)")
    for stmt in [IMPORT, *orders(["refused", "reached", "unreachable", None])]:
        execute(stmt)


def read(tx: Any) -> tuple[list[Any], list[Any]]:
    return (
        [r[0] for r in tx.all("SELECT callback_outcome FROM workorders ORDER BY id")],
        [r[0] for r in tx.all("SELECT callback_outcome FROM workorder_revisions")],
    )


def new_order(tx: Any, outcome: str) -> None:
    tx.run(
        "INSERT INTO workorders (channel, order_no, received_at, callback_outcome, "
        "first_import_id, last_import_id, created_at, updated_at) "
        "VALUES ('12345', ?, 0, ?, 1, 1, 0, 0)",
        (f"N-{outcome}", outcome),
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def migrated(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Store]]:
    if request.param == "sqlite":
        path = str(tmp_path / "old.db")
        conn = sqlite3.connect(path, isolation_level=None)
        old_database("sqlite", conn.execute)
        conn.close()
        yield lambda: SqliteStore(path, LIMITS, writer="thread")
        return
    with fresh_database() as url:
        with psycopg.connect(url, autocommit=True) as pg:
            old_database("postgres", pg.execute)
        yield lambda: PostgresStore(url, LIMITS, pool_max=2)


async def test_stored_refused_answers_read_declined(migrated: Callable[[], Store]) -> None:
    store = migrated()
    await store.open()
    try:
        assert await store.read(read) == (
            ["declined", "reached", "unreachable", None],
            ["declined"],
        )
        await store.write(new_order, "declined")
        with pytest.raises(Exception, match="(?i)check"):
            await store.write(new_order, "refused")
    finally:
        await store.close()

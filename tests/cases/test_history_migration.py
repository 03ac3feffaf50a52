"""Migration 0028 on a database with a letter's case worked through the loop before it, on
SQLite and PostgreSQL: the case history gains the loop's columns, and the snapshots taken
before it get their acceptance, dispatch and reply times from the audit log, each as it
stood at the snapshot (so an as-of report reads them as they were)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from rating.store import base
from rating.store import postgres as pg_store
from rating.store import sqlite as sqlite_store
from tests.store.conftest import fresh_database

HISTORY = 28
Run = Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]
STEPS = (("open", "received", 10), ("accept", "accepted", 20), ("dispatch", "dispatched", 30),
         ("reply", "replied", 40))  # fmt: skip


def _seed(run: Run) -> None:
    run("INSERT INTO units (id, code, name, parent_id, path, depth, created_at) "
        "VALUES (1, 'U1', '分局', NULL, '分局', 0, 1)", ())  # fmt: skip
    run("INSERT INTO cases (id, source, source_id, unit_id, state, opened_at, callback_due_at, "
        "category, sla_class, sla_due_at, accepted_at, dispatch_unit_id, dispatched_at, "
        "dispatch_count, reply, replied_at, updated_at) VALUES (1, 'letter', 7, 1, 'replied', "
        "10, 99, '投诉', 'other', 99, 20, 1, 30, 1, '已答复', 40, 40)", ())  # fmt: skip
    for action, state, at in STEPS:
        run("INSERT INTO audit_log (at, actor_name, action, case_id, to_state, note) "
            "VALUES (?, 'admin', ?, 1, ?, '')", (at, action, state))  # fmt: skip
        run("INSERT INTO case_history (case_id, at, state, callback_due_at, "
            "callback_due_provisional, rectify_due_provisional, step_due_provisional) "
            "VALUES (1, ?, ?, 99, 0, 0, 0)", (at, state))  # fmt: skip


def _check(run: Run) -> None:
    got = run(
        "SELECT at, category, accepted_at, dispatch_unit_id, dispatched_at, dispatch_count, "
        "replied_at FROM case_history ORDER BY at",
        (),
    )
    assert [tuple(r) for r in got] == [
        (10, "投诉", None, None, None, 0, None),
        (20, "投诉", 20, None, None, 0, None),
        (30, "投诉", 20, 1, 30, 1, None),
        (40, "投诉", 20, 1, 30, 1, 40),
    ]


@pytest.fixture
def before_history(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[bool], None]]:
    real = base.migration_files

    def before(dialect: str = "sqlite") -> list[tuple[int, str, str]]:
        return [m for m in real(dialect) if m[0] < HISTORY]

    def switch(on: bool) -> None:
        # Both stores take their pending migrations from base.pending_migrations.
        monkeypatch.setattr(base, "migration_files", before if on else real)

    yield switch


def test_sqlite_history_gets_the_loops_times(
    tmp_path: Path, before_history: Callable[[bool], None]
) -> None:
    conn = sqlite3.connect(tmp_path / "old.db", isolation_level=None)
    before_history(True)
    sqlite_store._migrate(conn)

    def run(sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        return conn.execute(sql, params).fetchall()

    _seed(run)
    before_history(False)
    sqlite_store._migrate(conn)
    _check(run)


def test_postgres_history_gets_the_loops_times(before_history: Callable[[bool], None]) -> None:
    with fresh_database() as url, psycopg.connect(url, autocommit=True) as conn:
        before_history(True)
        pg_store.migrate(conn)

        def run(sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
            cur = conn.execute(sql.replace("?", "%s"), params)  # type: ignore[arg-type]
            return cur.fetchall() if cur.description else []

        _seed(run)
        before_history(False)
        pg_store.migrate(conn)
        _check(run)

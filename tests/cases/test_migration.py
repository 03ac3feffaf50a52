"""Migration 0021 (the case loop) on a database with cases in every old state, on SQLite
(a table rebuild) and PostgreSQL (ALTERs): every row and every column survives, the old
cases become bad-rating cases with their states, every index is back, and the relaxed
constraints take a letter's case."""

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

LOOP = 21
OLD_STATES = ("open", "called_back", "verified", "rectifying", "closed")
INDEXES = {
    "cases_state_callback_due", "cases_rectify_due", "cases_unit_opened", "cases_officer_opened",
    "cases_closed", "cases_notify", "cases_source", "cases_dispatch_unit",
}  # fmt: skip


class Db:
    """Just enough of a connection for the test, on either database."""

    def __init__(self, run: Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]) -> None:
        self.run = run


def _seed(db: Db) -> None:
    db.run(
        "INSERT INTO units (id, code, name, parent_id, path, depth, created_at) "
        "VALUES (1, 'U1', '分局', NULL, '分局', 0, 1)",
        (),
    )
    db.run(
        "INSERT INTO officers (id, badge_no, name, unit_id, kind, created_at, updated_at) "
        "VALUES (1, '100001', '张伟', 1, 'police', 1, 1)",
        (),
    )
    db.run(
        "INSERT INTO admin_users (id, name, password_hash, role, created_at, updated_at) "
        "VALUES (1, 'admin', 'x', 'admin', 1, 1)",
        (),
    )
    for i, state in enumerate(OLD_STATES, start=1):
        db.run(
            "INSERT INTO ratings (id, receipt, officer_id, unit_id, token, channel, level, "
            "created_at, updated_at) VALUES (?, ?, 1, 1, 'T', 'web', 1, ?, ?)",
            (i, f"R{i:011d}", 1000 * i, 1000 * i),
        )
        db.run(
            "INSERT INTO cases (id, rating_id, unit_id, officer_id, state, handler_id, "
            "opened_at, callback_due_at, callback_due_provisional, callback_at, "
            "callback_outcome, verified_at, verification, rectify_started_at, "
            "rectify_measures, rectify_due_at, rectify_due_provisional, rectified_at, "
            "closed_at, fix_rating, fix_rated_at, reopen_count, notify_state, "
            "notify_attempts, notify_next_at, updated_at, step_due_at, step_due_provisional) "
            "VALUES (?, ?, 1, 1, ?, 1, ?, ?, 1, ?, 'reached', ?, 'substantiated', ?, 'm', ?, "
            "1, ?, ?, 'satisfied', ?, 2, 'sent', 3, ?, ?, ?, 1)",
            (i, i, state, *(1000 * i + k for k in range(12))),
        )
        db.run(
            "INSERT INTO audit_log (at, actor_id, actor_name, action, case_id, note) "
            "VALUES (?, 1, 'admin', 'open', ?, '')",
            (1000 * i, i),
        )


def _check(db: Db, before: list[tuple[Any, ...]], columns: list[str]) -> None:
    after = db.run(f"SELECT {', '.join(columns)} FROM cases ORDER BY id", ())
    assert after == before
    rows = db.run("SELECT source, source_id, category FROM cases ORDER BY id", ())
    assert rows == [("rating", None, "差评")] * len(OLD_STATES)
    assert db.run("SELECT COUNT(*) FROM audit_log WHERE case_id IS NOT NULL", ()) == [(5,)]
    # A letter's case: no rating, officer or unit, a new state.
    db.run(
        "INSERT INTO cases (id, source, source_id, state, opened_at, callback_due_at, updated_at) "
        "VALUES (99, 'letter', 7, 'received', 1, 2, 1)",
        (),
    )


def _columns_sqlite(conn: sqlite3.Connection) -> list[str]:
    return [r[1] for r in conn.execute("PRAGMA table_info(cases)")]


@pytest.fixture
def only_before_loop(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[bool], None]]:
    real = base.migration_files

    def before(dialect: str = "sqlite") -> list[tuple[int, str, str]]:
        return [m for m in real(dialect) if m[0] < LOOP]

    def switch(on: bool) -> None:
        # Both stores take their pending migrations from base.pending_migrations.
        monkeypatch.setattr(base, "migration_files", before if on else real)

    yield switch


def test_sqlite_rebuild_keeps_every_case_and_column(
    tmp_path: Path, only_before_loop: Callable[[bool], None]
) -> None:
    conn = sqlite3.connect(tmp_path / "old.db", isolation_level=None)
    only_before_loop(True)
    sqlite_store._migrate(conn)
    old_columns = _columns_sqlite(conn)

    def run(sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        return conn.execute(sql, params).fetchall()

    db = Db(run)
    _seed(db)
    before = run(f"SELECT {', '.join(old_columns)} FROM cases ORDER BY id", ())
    only_before_loop(False)
    assert sqlite_store._migrate(conn) == [
        name for version, name, _ in base.migration_files("sqlite") if version >= LOOP
    ]
    assert set(old_columns) <= set(_columns_sqlite(conn)), "the rebuild lost a column"
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'cases'")}
    assert names >= INDEXES
    conn.execute("PRAGMA foreign_keys=ON")
    _check(db, before, old_columns)
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    with pytest.raises(sqlite3.IntegrityError):
        run("UPDATE cases SET state = 'lost' WHERE id = 1", ())


def test_postgres_alters_keep_every_case_and_column(
    only_before_loop: Callable[[bool], None],
) -> None:
    with fresh_database() as url, psycopg.connect(url, autocommit=True) as conn:
        only_before_loop(True)
        pg_store.migrate(conn)

        def run(sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
            cur = conn.execute(sql.replace("?", "%s"), params)  # type: ignore[arg-type]
            return cur.fetchall() if cur.description else []

        def columns() -> list[str]:
            rows = run(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'cases' "
                "ORDER BY ordinal_position",
                (),
            )
            return [str(r[0]) for r in rows]

        db = Db(run)
        old_columns = columns()
        _seed(db)
        before = run(f"SELECT {', '.join(old_columns)} FROM cases ORDER BY id", ())
        only_before_loop(False)
        pg_store.migrate(conn)
        assert set(old_columns) <= set(columns())
        names = {
            str(r[0]) for r in run("SELECT indexname FROM pg_indexes WHERE tablename = 'cases'", ())
        }
        assert names >= INDEXES
        _check(db, before, old_columns)
        with pytest.raises(psycopg.errors.CheckViolation):
            run("UPDATE cases SET state = 'lost' WHERE id = 1", ())

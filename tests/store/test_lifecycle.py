"""Store contract: migrations at start-up, reopening, and backups (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
from pathlib import Path

import psycopg
import pytest

from rating.cli import main
from rating.store import Store, StoreUnavailable
from rating.store.base import migration_files
from rating.store.models import Outcome
from rating.store.postgres import PostgresStore, pg_dump_command
from tests.conftest import ROSTER
from tests.store.conftest import (
    LIMITS,
    Stores,
    database_url,
    fresh_database,
    rating,
    require_pg_tools,
    require_postgres,
)


async def test_reopening_keeps_data_and_applies_nothing_twice(stores: Stores) -> None:
    store = await stores.open()
    await store.import_roster(ROSTER)
    await store.close()
    stores.opened.remove(store)
    again = await stores.open()
    assert len(await again.list_officers()) == 3
    versions = await again.read(lambda tx: tx.all("SELECT version FROM schema_migrations"))
    assert sorted(v[0] for v in versions) == [v for v, _, _ in migration_files()]


async def test_instances_starting_together_migrate_once() -> None:
    with fresh_database() as url:
        stores = [PostgresStore(url, LIMITS, pool_max=2) for _ in range(3)]
        await asyncio.gather(*(s.open() for s in stores))
        try:
            names = [name for _, name, _ in migration_files()]
            assert sorted((s.applied for s in stores), key=len) == [[], [], names]
            assert await stores[0].count_ratings() == 0
        finally:
            for s in stores:
                await s.close()


async def test_unreachable_database_is_a_clear_error() -> None:
    require_postgres()
    store = PostgresStore(database_url("pingjing_no_such_database"), LIMITS)
    with pytest.raises(StoreUnavailable, match="cannot connect to PostgreSQL"):
        await store.open()
    assert not store.healthy()


async def rated(store: Store) -> str:
    await store.import_roster(ROSTER)
    officer = (await store.list_officers())[0]
    result = await store.submit_rating(rating(officer.token, 2, comment="备份前"))
    assert result.outcome is Outcome.CREATED and result.receipt
    return result.receipt


async def test_backup_can_be_restored(stores: Stores, tmp_path: Path) -> None:
    store = await stores.open()
    receipt = await rated(store)
    if stores.backend.startswith("sqlite"):
        dest = tmp_path / "copy.db"
        await store.backup(str(dest))
        with sqlite3.connect(dest) as conn:
            rows = conn.execute("SELECT receipt, comment FROM ratings").fetchall()
        conn.close()
        assert rows == [(receipt, "备份前")]
        return
    require_pg_tools("pg_dump", "pg_restore")
    dest = tmp_path / "pingjing.dump"
    await store.backup(str(dest))
    assert dest.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    with fresh_database() as target:
        subprocess.run(
            ["pg_restore", "--no-owner", f"--dbname={target}", str(dest)],
            check=True,
            capture_output=True,
        )
        with psycopg.connect(target) as pg:
            rows = pg.execute("SELECT receipt, comment FROM ratings").fetchall()
        assert rows == [(receipt, "备份前")]


async def test_pg_backup_without_pg_dump_says_what_to_run(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = PostgresStore(pg_url, LIMITS, pool_max=1)
    await store.open()
    try:
        monkeypatch.setenv("PATH", str(tmp_path))
        with pytest.raises(StoreUnavailable, match="pg_dump --format=custom") as err:
            await store.backup(str(tmp_path / "x.dump"))
    finally:
        await store.close()
    assert "pg_dump is not installed" in str(err.value)
    assert not (tmp_path / "x.dump").exists()


def test_pg_dump_command_keeps_the_password_off_the_command_line() -> None:
    argv, env = pg_dump_command("postgresql://pj:s3cret@db.internal:5433/pingjing", "/b/x.dump")
    assert argv[:2] == ["pg_dump", "--format=custom"] and "--file=/b/x.dump" in argv
    assert not any("s3cret" in a for a in argv)
    assert env == {"PGPASSWORD": "s3cret"}
    dbname = next(a for a in argv if a.startswith("--dbname="))
    assert "host=db.internal" in dbname and "port=5433" in dbname and "dbname=pingjing" in dbname


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_cli_backup(
    backend: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if backend == "sqlite":
        database = str(tmp_path / "live.db")
    else:
        require_pg_tools("pg_dump")
        database = request.getfixturevalue("pg_url")
    dest = tmp_path / "cli.backup"
    assert main(["--database", database, "backup", str(dest)]) == 0
    assert f"backup written to {dest}" in capsys.readouterr().out
    if backend == "postgresql":
        assert dest.read_bytes()[:5] == b"PGDMP"
    else:
        with sqlite3.connect(dest) as conn:
            assert conn.execute("SELECT COUNT(*) FROM officers").fetchone() == (0,)
        conn.close()

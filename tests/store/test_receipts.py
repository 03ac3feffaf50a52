"""Receipt codes made from rating ids (migration 0006), and receipts issued before it.

A citizen who was given a receipt before the upgrade must still find their rating and its
case; a new code must never shadow an old one; a code that merely decodes to an existing
rating shows nothing unless it is that rating's code.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from rating.cases import queries
from rating.crypto import ReceiptCodec, random_code
from rating.store import Store
from rating.store.base import migration_files, split_sql
from rating.store.models import Outcome
from rating.store.postgres import PostgresStore, to_pg
from rating.store.receipts import receipt_codec
from rating.store.sqlite import SqliteStore
from tests.conftest import ROSTER
from tests.store.conftest import LIMITS, Stores, fresh_database, rating

DAY_MS = 86_400_000


async def codec_of(store: Store) -> ReceiptCodec:
    return await store.read(receipt_codec)


async def test_new_receipts_decode_to_their_rating(stores: Stores) -> None:
    store = await stores.open()
    await store.import_roster(ROSTER)
    token = (await store.list_officers())[0].token
    first = await store.submit_rating(rating(token, 5, device="d1"))
    second = await store.submit_rating(rating(token, 4, device="d2"))
    codec = await codec_of(store)
    for result in (first, second):
        assert result.outcome is Outcome.CREATED and result.receipt and result.rating_id
        assert codec.rating_id(result.receipt) == result.rating_id
        view = await store.rating_by_receipt(result.receipt)
        assert view is not None and view.receipt == result.receipt
    assert first.receipt != second.receipt
    # Neighbouring ratings, unrelated codes: nothing to count up from.
    assert first.receipt[:4] != second.receipt[:4]


async def test_a_code_must_be_the_ratings_own(stores: Stores) -> None:
    store = await stores.open()
    await store.import_roster(ROSTER)
    token = (await store.list_officers())[0].token
    result = await store.submit_rating(rating(token, 2, comment="排队太久"))
    assert result.rating_id
    codec = await codec_of(store)
    # Decodes to the same rating, but is not the code it was given.
    assert await store.rating_by_receipt(codec.encode(result.rating_id, 1)) is None
    # A code of another database's key, and codes of ratings that do not exist.
    assert await store.rating_by_receipt(ReceiptCodec(b"x" * 32).encode(result.rating_id)) is None
    assert await store.rating_by_receipt(codec.encode(result.rating_id + 1)) is None
    assert await store.rating_by_receipt(random_code(12)) is None
    # The case page finds the case by the real code only.
    assert await store.read(queries.progress_by_receipt, result.receipt) is not None
    assert await store.read(queries.progress_by_receipt, codec.encode(result.rating_id, 1)) is None


def make_it_old(tx: Any, receipt: str, rating_id: int) -> None:
    """As if the rating had been given `receipt` before receipts came from ids."""
    tx.run("UPDATE ratings SET receipt = ? WHERE id = ?", (receipt, rating_id))
    tx.run("INSERT INTO legacy_receipts (receipt, rating_id) VALUES (?, ?)", (receipt, rating_id))


async def test_a_new_code_never_shadows_an_old_receipt(stores: Stores) -> None:
    """If the next rating's code equals a receipt issued before 0006, it takes another."""
    store = await stores.open()
    await store.import_roster(ROSTER)
    token = (await store.list_officers())[0].token
    old = await store.submit_rating(rating(token, 5, device="d1", comment="旧回执"))
    assert old.rating_id
    codec = await codec_of(store)
    taken = codec.encode(old.rating_id + 1)  # what the next rating would be given

    await store.write(make_it_old, taken, old.rating_id)
    new = await store.submit_rating(rating(token, 4, device="d2", comment="新评价"))
    assert new.rating_id == old.rating_id + 1
    assert new.receipt == codec.encode(new.rating_id, 1) != taken
    old_view = await store.rating_by_receipt(taken)
    new_view = await store.rating_by_receipt(new.receipt)
    assert old_view is not None and old_view.comment == "旧回执"
    assert new_view is not None and new_view.comment == "新评价"


async def test_officer_page_shows_the_last_90_days(stores: Stores) -> None:
    store = await stores.open()
    await store.import_roster(ROSTER)
    officers = await store.list_officers()
    now = int(time.time() * 1000)
    await store.submit_rating(rating(officers[0].token, 5, device="d1"))
    await store.submit_rating(rating(officers[1].token, 1, device="d2"))
    await store.submit_rating(rating(officers[0].token, 3, device="d3", at_ms=now - 100 * DAY_MS))
    shown = await store.read(queries.officer_ratings, officers[0].id, now)
    assert [r[1] for r in shown] == [5]  # not the other officer's, not the old one


# ---------------------------------------------------------------- upgrading a 0005 database

OLD_RECEIPTS = [random_code(12) for _ in range(3)]


def old_schema_statements(dialect: str) -> list[str]:
    return [
        stmt
        for version, _, sql in migration_files(dialect)
        if version <= 5
        for stmt in split_sql(sql)
    ]


def old_rows(now: int) -> list[tuple[str, tuple[Any, ...]]]:
    """A 0005 database's content: an officer, three ratings with random receipts, and the
    case of the dissatisfied one."""
    rating_sql = (
        "INSERT INTO ratings (id, receipt, officer_id, unit_id, token, channel, level, "
        "reasons, comment, created_at, updated_at) VALUES (?, ?, 1, 1, 'TOKEN0000000', 'web', "
        "?, ?, ?, ?, ?)"
    )
    return [
        (
            "INSERT INTO units (id, code, name, parent_id, path, depth, created_at) "
            "VALUES (1, 'U1', '胜利路派出所', NULL, '胜利路派出所', 0, ?)",
            (now,),
        ),
        (
            "INSERT INTO officers (id, badge_no, name, unit_id, kind, status, created_at, "
            "updated_at) VALUES (1, '100001', '张伟', 1, 'police', 'active', ?, ?)",
            (now, now),
        ),
        (
            "INSERT INTO badge_tokens (token, officer_id, issued_at) VALUES ('TOKEN0000000', 1, ?)",
            (now,),
        ),
        (rating_sql, (1, OLD_RECEIPTS[0], 5, "", "很好", now - 3000, now - 3000)),
        (rating_sql, (2, OLD_RECEIPTS[1], 1, "attitude", "态度差", now - 2000, now - 2000)),
        (rating_sql, (3, OLD_RECEIPTS[2], 4, "", "", now - 1000, now - 1000)),
        (
            "INSERT INTO cases (rating_id, unit_id, officer_id, opened_at, callback_due_at, "
            "updated_at) VALUES (2, 1, 1, ?, ?, ?)",
            (now - 2000, now + DAY_MS, now - 2000),
        ),
    ]


async def check_upgraded(store: Store) -> None:
    for code, comment in zip(OLD_RECEIPTS, ["很好", "态度差", ""], strict=True):
        view = await store.rating_by_receipt(code)
        assert view is not None and view.comment == comment and view.receipt == code
    progress = await store.read(queries.progress_by_receipt, OLD_RECEIPTS[1])
    assert progress is not None
    assert await store.count_ratings() == 3
    # A new rating after the upgrade: a code made from its id, and nothing shadowed.
    token = (await store.list_officers())[0].token
    assert token == "TOKEN0000000"
    new = await store.submit_rating(rating(token, 2, device="d9", comment="升级后"))
    assert new.outcome is Outcome.CREATED and new.rating_id == 4 and new.receipt
    assert new.receipt not in OLD_RECEIPTS
    assert (await codec_of(store)).rating_id(new.receipt) == 4
    view = await store.rating_by_receipt(new.receipt)
    assert view is not None and view.comment == "升级后"
    # The amend-by-receipt path (details sent from the receipt page) finds old receipts.
    amended = await store.submit_rating(
        rating(token, 2, device="other", receipt=OLD_RECEIPTS[1], comment="补充说明")
    )
    assert amended.outcome is Outcome.AMENDED and amended.receipt == OLD_RECEIPTS[1]


async def test_sqlite_upgrade_keeps_old_receipts(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    now = int(time.time() * 1000)
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "applied_at BIGINT NOT NULL)"
    )
    for stmt in old_schema_statements("sqlite"):
        conn.execute(stmt)
    for version, name, _ in migration_files("sqlite"):
        if version <= 5:
            conn.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", (version, name, now))
    for stmt, params in old_rows(now):
        conn.execute(stmt, params)
    conn.commit()
    conn.close()

    store = SqliteStore(str(path), LIMITS)
    await store.open()
    try:
        await check_upgraded(store)
    finally:
        await store.close()
    conn = sqlite3.connect(path)
    try:
        indexes = {r[1] for r in conn.execute("PRAGMA index_list(ratings)")}
        # 0007: no device index on SQLite (the writer keeps recent devices in memory).
        # 0009: one rating per form stamp. 0024: the dashboard's week counts.
        assert indexes == {
            "ratings_created_unit_level",
            "ratings_device_unpurged",
            "ratings_created",
            "ratings_idempotency",
            "ratings_stamp",
        }
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        conn.close()


async def test_postgres_upgrade_keeps_old_receipts() -> None:
    now = int(time.time() * 1000)
    with fresh_database() as url:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
                "name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
            )
            with conn.transaction():
                for stmt in old_schema_statements("postgres"):
                    conn.execute(stmt)
                for version, name, _ in migration_files("postgres"):
                    if version <= 5:
                        conn.execute(
                            "INSERT INTO schema_migrations VALUES (%s, %s, %s)",
                            (version, name, now),
                        )
                for stmt, params in old_rows(now):
                    conn.execute(to_pg(stmt), params)
                # Explicit ids above: move the identity past them, as real inserts would.
                for table in ("units", "officers", "ratings", "cases"):
                    conn.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
        store = PostgresStore(url, LIMITS, pool_max=2)
        await store.open()
        try:
            await check_upgraded(store)
        finally:
            await store.close()
        with psycopg.connect(url) as conn:
            indexes = {
                r[0]
                for r in conn.execute(
                    "SELECT indexname FROM pg_indexes WHERE tablename = 'ratings'"
                )
            }
        assert indexes == {
            "ratings_pkey",
            "ratings_device",
            "ratings_device_unpurged",
            "ratings_created",
            "ratings_created_unit_level",
            "ratings_idempotency",
            "ratings_stamp",
        }


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
def test_each_database_takes_its_own_version_of_a_migration(dialect: str) -> None:
    files = migration_files(dialect)
    names = [name for _, name, _ in files]
    assert names.count("0006_receipts") == 1 and len(set(names)) == len(names)
    sql = dict((name, text) for _, name, text in files)["0006_receipts"]
    assert ("randomblob" in sql) == (dialect == "sqlite")
    with pytest.raises(ValueError):
        migration_files("mysql")

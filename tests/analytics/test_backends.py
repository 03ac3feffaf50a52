"""The report's queries are portable: PostgreSQL loads the same frames as SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pandas as pd
import pandas.testing as pdt
import pytest

from analytics.load import ReportData, load_levels, load_report_data
from rating.store import Store
from rating.store.logic import Tx
from rating.store.postgres import PostgresStore
from rating.store.sqlite import SqliteStore
from tests.analytics.helpers import ms
from tests.conftest import ROSTER
from tests.store.conftest import LIMITS, empty_tables, fresh_database

T = ms("2026-11-17 10:00")
START, END, AS_OF = ms("2026-11-16 00:00"), ms("2026-11-23 00:00"), ms("2026-11-24 09:00")


def seed(tx: Tx) -> None:
    officer, unit = tx.one("SELECT id, unit_id FROM officers ORDER BY badge_no") or (0, 0)
    ratings: list[tuple[Any, ...]] = [
        (5, "", "dev", "net", None),
        (4, "", None, None, None),
        (1, "attitude,other", None, None, None),
        (2, "", None, None, "mistaken_malicious"),
    ]
    ids = []
    for i, (level, reasons, dev, net, invalid) in enumerate(ratings):
        ids.append(
            tx.insert(
                "INSERT INTO ratings (receipt, officer_id, unit_id, token, channel, level, "
                "reasons, device_hash, network_hash, created_at, updated_at, invalidated) "
                "VALUES (?, ?, ?, 't', 'badge', ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (f"R{i}", officer, unit, level, reasons, dev, net, T + i, T + i, invalid),
            )
        )
    tx.insert(
        "INSERT INTO cases (rating_id, unit_id, officer_id, state, opened_at, callback_due_at, "
        "callback_at, callback_outcome, verification, rectify_due_at, updated_at) "
        "VALUES (?, ?, ?, 'rectifying', ?, ?, ?, 'reached', 'substantiated', ?, ?) RETURNING id",
        (ids[2], unit, officer, T, T + 1000, T + 10, T + 2000, T),
    )
    # A place rating and a letter (the report's intake tables read them too).
    tx.run("INSERT INTO unit_tokens (token, unit_id, issued_at) VALUES ('u', ?, ?)", (unit, T))
    tx.run(
        "INSERT INTO unit_ratings (unit_id, token, level, created_at) VALUES (?, 'u', 4, ?)",
        (unit, T),
    )
    tx.run(
        "INSERT INTO letters (receipt, unit_id, category, body, replied_at, created_at, "
        "updated_at) VALUES ('L1', NULL, '建议', 'x', ?, ?, ?)",
        (T + 5, T, T),
    )
    imp = tx.insert(
        "INSERT INTO workorder_imports (channel, profile, file_name, file_sha256, rows_total, "
        "rows_new, rows_updated, rows_unchanged, rows_rejected, units_unmatched, "
        "officers_unmatched, imported_at) VALUES ('12345', 'p', 'f', 'x', 1, 1, 0, 0, 0, 0, 0, ?) "
        "RETURNING id",
        (T,),
    )
    tx.insert(
        "INSERT INTO workorders (channel, order_no, received_at, unit_id, due_at, "
        "callback_outcome, first_import_id, last_import_id, created_at, updated_at) "
        "VALUES ('12345', 'GD1', ?, ?, ?, 'reached', ?, ?, ?, ?) RETURNING id",
        (T, unit, T + 1000, imp, imp, T, T),
    )


async def loaded(store: Store) -> tuple[ReportData, dict[str, pd.DataFrame]]:
    await store.import_roster(ROSTER)
    await store.write(seed)
    data = await load_report_data(store, START, END, AS_OF)
    return data, await load_levels(store, START, END)


@pytest.fixture
async def both(tmp_path: Path) -> AsyncIterator[tuple[Store, Store]]:
    sqlite = SqliteStore(str(tmp_path / "a.db"), LIMITS)
    with fresh_database() as url:
        empty_tables(url)
        pg = PostgresStore(url, LIMITS, pool_max=2)
        await sqlite.open()
        await pg.open()
        try:
            yield sqlite, pg
        finally:
            await pg.close()
            await sqlite.close()


def normal(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """Row order and categories are not part of the contract."""
    out = frame.sort_values(key, ignore_index=True)
    cats = {
        c: out[c].astype(object)
        for c in out.columns
        if isinstance(out[c].dtype, pd.CategoricalDtype)
    }
    return out.assign(**cats)


async def test_postgres_loads_what_sqlite_loads(both: tuple[Store, Store]) -> None:
    (a, a_levels), (b, b_levels) = [await loaded(store) for store in both]
    assert len(a.ratings) == 4 and len(a.workorders) == 1 and len(a.overdue) == 2
    assert (len(a.cases), len(a.unit_ratings), len(a.letters)) == (1, 1, 1)
    for name, key in (
        ("cases", "case_id"),
        ("unit_ratings", "created_at"),
        ("letters", "created_at"),
        ("ratings", "rating_id"),
        ("workorders", "workorder_id"),
        ("officers", "officer_id"),
        ("units", "unit_id"),
        ("overdue", "due_at"),
    ):
        # The roster's own times are each store's import time.
        drop = ["created_at", "updated_at"] if name == "officers" else []
        pdt.assert_frame_equal(
            normal(getattr(b, name).drop(columns=drop), key),
            normal(getattr(a, name).drop(columns=drop), key),
        )
    pdt.assert_frame_equal(
        normal(b_levels["ratings"], "created_at"), normal(a_levels["ratings"], "created_at")
    )

"""A store with the shared test roster, and a way to put ratings, cases and work orders
straight into its SQLite file at chosen times."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from rating.settings import Settings
from rating.store import Store, make_store
from rating.store.models import Officer
from tests.conftest import ROSTER


@dataclass
class Seeded:
    settings: Settings
    store: Store
    officers: list[Officer]

    def rating(self, officer: int, level: int, at: int, **cols: Any) -> int:
        o = self.officers[officer]
        values: dict[str, Any] = {
            "receipt": f"R{at}{officer}{level}{len(cols)}{id(cols)}",
            "officer_id": o.id,
            "unit_id": o.unit_id,
            "token": "t",
            "channel": "badge",
            "level": level,
            "created_at": at,
            "updated_at": at,
            **cols,
        }
        return self._insert("ratings", values)

    def case(self, rating_id: int, at: int, **cols: Any) -> int:
        (unit_id, officer_id) = self._one(
            "SELECT unit_id, officer_id FROM ratings WHERE id = ?", (rating_id,)
        )
        values: dict[str, Any] = {
            "rating_id": rating_id,
            "unit_id": unit_id,
            "officer_id": officer_id,
            "opened_at": at,
            "callback_due_at": at + 86_400_000,
            "updated_at": at,
            **cols,
        }
        return self._insert("cases", values)

    def workorder(self, order_no: str, at: int, **cols: Any) -> int:
        with contextlib.closing(sqlite3.connect(self.settings.database)) as conn, conn:
            imp = conn.execute(
                "INSERT INTO workorder_imports (channel, profile, file_name, file_sha256, "
                "rows_total, rows_new, rows_updated, rows_unchanged, rows_rejected, "
                "units_unmatched, officers_unmatched, imported_at) "
                "VALUES ('12345', 'p', 'f.csv', 'x', 1, 1, 0, 0, 0, 0, 0, ?)",
                (at,),
            ).lastrowid
        values: dict[str, Any] = {
            "channel": "12345",
            "order_no": order_no,
            "received_at": at,
            "unit_id": self.officers[0].unit_id,
            "first_import_id": imp,
            "last_import_id": imp,
            "created_at": at,
            "updated_at": at,
            **cols,
        }
        return self._insert("workorders", values)

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        with contextlib.closing(sqlite3.connect(self.settings.database)) as conn, conn:
            conn.execute(sql, params)

    def _one(self, sql: str, params: tuple[Any, ...]) -> tuple[Any, ...]:
        with contextlib.closing(sqlite3.connect(self.settings.database)) as conn:
            row: tuple[Any, ...] = conn.execute(sql, params).fetchone()
            return row

    def _insert(self, table: str, values: dict[str, Any]) -> int:
        cols = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        with contextlib.closing(sqlite3.connect(self.settings.database)) as conn, conn:
            cur = conn.execute(
                f"INSERT INTO {table} ({cols}) VALUES ({marks})", tuple(values.values())
            )
            assert cur.lastrowid is not None
            return cur.lastrowid


@pytest.fixture
async def seeded(settings: Settings) -> AsyncIterator[Seeded]:
    store = make_store(settings)
    await store.open()
    try:
        await store.import_roster(ROSTER)
        yield Seeded(settings, store, await store.list_officers())
    finally:
        await store.close()


@pytest.fixture
def seeded_file(settings: Settings) -> Seeded:
    """The roster in a closed database file, for synchronous CLI tests."""

    async def setup() -> list[Officer]:
        store = make_store(settings)
        await store.open()
        try:
            await store.import_roster(ROSTER)
            return await store.list_officers()
        finally:
            await store.close()

    officers = asyncio.run(setup())
    return Seeded(settings, make_store(settings), officers)

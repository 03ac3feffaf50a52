"""The transaction every unit of work runs on, shared by every store backend.

Its own module so that the units of work (rating/store/logic.py, rating/cases/*, the
kiosk, work orders, accounts) all depend on it without depending on each other: the
rating unit of work opens a case in the same transaction, so `store.logic` imports
`cases.logic`, and the cases must not import `store.logic` back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, Protocol, TypeVar

T = TypeVar("T")

__all__ = ["RollBack", "Tx", "named", "select_list"]


class Tx(Protocol):
    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None: ...
    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...
    def run(self, sql: str, params: Sequence[Any] = ()) -> int: ...
    def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a plain one-row `INSERT ... RETURNING id` (no ON CONFLICT, no OR IGNORE):
        the new row's id. SQLite answers it from the cursor's lastrowid, so the table's
        `id` must be its INTEGER PRIMARY KEY (every table of ours declares it so)."""

    def lock(self, key: str) -> None:
        """Hold a lock on `key` until the transaction ends (a no-op where one writer
        already serialises every write transaction)."""

    def one_cached(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        """`one`, for a read of what ratings never change (officers, tokens): the store
        may answer a found row from a cache it drops whenever anything else writes."""

    def all_cached(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """`all`, for a read of settings a grouped unit of work never changes (the SLA
        table, the working-day calendar, the letter categories): inside a group of
        `Store.write_grouped` the store may answer from the cache `one_cached` uses
        (SQLite's writer), which any other write drops. Elsewhere it reads."""

    def count_hit(self, bucket: str, window_start: int) -> int:
        """Count one hit in a fixed-window rate-limit counter, undone with the transaction
        (or its savepoint), and return the window's total: `bump_counter` where the
        counters are rows, the writer's memory on SQLite (see sqlite.HitCounts)."""

    def recent_by_device(self, device_hash: str, since: int) -> list[tuple[int, int, int]]:
        """The device's ratings created since `since`, this transaction's included:
        (id, officer_id, created_at), newest first. `device_ratings` where the database
        has a device index; SQLite's one writer keeps the last hours in memory instead
        (see sqlite.DeviceLog)."""

    def note_rating(self, device_hash: str, rating_id: int, officer_id: int, at: int) -> None:
        """A rating was just inserted for this device (for `recent_by_device`)."""

    def new_rating_id(self) -> tuple[int, str | None]:
        """An id for a rating about to be inserted, and the database's receipt key (None
        if it has none): the receipt is made from the id, so both come before the insert.
        An id whose insert is rolled back is not handed out again in the transaction."""


class RollBack(Exception):
    """Raised inside a unit of work to undo it while still returning a result."""

    def __init__(self, result: Any) -> None:
        super().__init__("rolled back")
        self.result = result


def select_list(columns: Mapping[str, str]) -> str:
    """The `expr AS name, ...` list of a SELECT whose rows `named` reads by name.

    `columns` maps each name (a field of the dataclass the row becomes) to its SQL
    expression, in order. The names are declared once, beside the SQL: a row is never
    read by position, so a column added or moved cannot shift the others."""
    return ", ".join(f"{expr} AS {name}" for name, expr in columns.items())


def named(columns: Mapping[str, str], row: Sequence[Any]) -> dict[str, Any]:
    """A row of a `select_list(columns)` SELECT as {name: value} (the same on SQLite and
    PostgreSQL, whose drivers both hand rows over as tuples)."""
    return dict(zip(columns, row, strict=True))


class MadeFromRows(Generic[T]):
    """A value made from the rows of some settings queries (read with `Tx.all_cached`),
    kept with those rows: the same rows make the same value, which is then not made
    again (the SLA table, the working-day calendar)."""

    def __init__(self, make: Callable[..., T], *queries: str) -> None:
        self._make = make
        self._queries = queries
        self._last: tuple[list[list[tuple[Any, ...]]], T] | None = None

    def __call__(self, tx: Tx) -> T:
        rows = [tx.all_cached(sql) for sql in self._queries]
        last = self._last
        if last is not None and last[0] == rows:
            return last[1]
        value = self._make(*rows)
        self._last = (rows, value)
        return value

"""Tx.insert answers the new row's id on every backend (SQLite takes it from the cursor
instead of running RETURNING, which SQLite runs as a trigger: twice the insert's time on
the cases table)."""

from __future__ import annotations

from rating.store import Store
from rating.store.sqlite import _without_returning
from rating.store.tx import Tx

NOTE = (
    "INSERT INTO audit_log (at, actor_name, action, note) "
    "VALUES (1, 't', 'id-test', ?) RETURNING id"
)


def two_notes(tx: Tx) -> tuple[int, int, list[tuple[int, str]]]:
    first = tx.insert(NOTE, ("first",))
    second = tx.insert(NOTE, ("second",))
    rows = tx.all("SELECT id, note FROM audit_log WHERE action = 'id-test' ORDER BY id")
    return first, second, [(int(r[0]), str(r[1])) for r in rows]


async def test_insert_answers_the_new_rows_id(store: Store) -> None:
    first, second, rows = await store.write(two_notes)
    assert rows == [(first, "first"), (second, "second")]
    again, _, rows = await store.write(two_notes)
    assert again > second and (again, "first") in rows


def test_only_a_plain_one_row_insert_drops_its_returning() -> None:
    assert _without_returning(NOTE) == NOTE.removesuffix(" RETURNING id")
    for kept in (
        "INSERT INTO t (a) VALUES (?) ON CONFLICT (a) DO NOTHING RETURNING id",
        "INSERT INTO t (a) SELECT a FROM u RETURNING id",
        "INSERT INTO t (a) VALUES (?), (?) RETURNING id",
        "INSERT INTO t (a) VALUES (?) RETURNING hits",
        "UPDATE t SET a = 1 RETURNING id",
    ):
        assert _without_returning(kept) == "", kept

"""The import's units of work on every store backend (SQLite and PostgreSQL).

Uses the store contract fixtures of tests/store: PostgreSQL cases are skipped when no server
answers (and fail in CI).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rating.crypto import Keys
from rating.store import Store
from rating.workorders import store as wo_store
from rating.workorders.parse import OrderRow, ParsedFile, parse_file
from rating.workorders.profiles import load_profile
from rating.workorders.store import (
    FETCH_CHUNK,
    WRITE_CHUNK,
    add_alias,
    import_parsed,
    list_imports,
    stored_orders,
)
from tests.conftest import ROSTER
from tests.store.conftest import pg_url, store, stores  # noqa: F401 - fixtures
from tests.workorders.conftest import ms, order, write_csv

KEYS = Keys("test-secret-not-for-production")
SHENGLI = "张家口市公安局/桥东分局/胜利路派出所"


async def import_file(into: Store, path: Path, skip_bad: bool = False) -> tuple[int, ...]:
    parsed = parse_file(path, load_profile("12345"), KEYS)
    result = await import_parsed(into, parsed, "12345", skip_bad=skip_bad)
    return result.new, result.updated, result.unchanged, result.rejected


async def test_upsert_counts_and_values_agree_on_every_backend(
    store: Store,  # noqa: F811
    tmp_path: Path,
) -> None:
    await store.import_roster(ROSTER)
    many = FETCH_CHUNK + WRITE_CHUNK + 7  # several existence queries and upsert statements
    rows = [order(f"GD{i:05d}") for i in range(many)]
    rows[1] = order("GD00001", 承办单位="胜利路所", 涉及民警警号="999999")
    rows[2] = order("GD00002", 来电号码="138****5678")
    assert await import_file(store, write_csv(tmp_path / "w1.csv", rows)) == (many, 0, 0, 0)

    later = list(rows)
    later[0] = order("GD00000", 办结时间="2026-11-05 10:00", 满意度="满意", 回访结果="已回访")
    later[2] = order("GD00002", 来电号码="138****5678", 满意度="不满意")
    later[-1] = order("GD00000", 来电时间="bad")  # a duplicate and a bad date: rejected
    later.append(order("GD99999"))
    path = write_csv(tmp_path / "w2.csv", later)
    assert await import_file(store, path) == (0, 0, 0, 1)  # bad rows: nothing stored
    assert await import_file(store, path, skip_bad=True) == (1, 2, many - 3, 1)
    assert await import_file(store, path, skip_bad=True) == (0, 0, many, 1)

    orders = {o["order_no"]: o for o in await stored_orders(store, "12345")}
    assert len(orders) == many + 1
    gd0 = orders["GD00000"]
    assert gd0["closed_at"] == ms(2026, 11, 5, 10, 0)
    assert (gd0["satisfaction"], gd0["callback_outcome"]) == ("satisfied", "reached")
    assert KEYS.decrypt_phone(gd0["phone_enc"]) == "13812345678"
    assert orders["GD00002"]["phone_mask"] == "138****5678"
    assert orders["GD00002"]["phone_enc"] is None
    assert orders["GD00001"]["unit_id"] is None and orders["GD00001"]["officer_id"] is None
    unit = next(u for u in await store.list_units() if u.path == SHENGLI)
    assert orders["GD00003"]["unit_id"] == unit.id

    path_, moved = await store.write(add_alias, "胜利路所", SHENGLI, 1)
    assert (path_, moved) == (SHENGLI, 1)
    orders = {o["order_no"]: o for o in await stored_orders(store, "12345")}
    assert orders["GD00001"]["unit_id"] == unit.id

    log = await store.read(list_imports, 10)
    assert [(r.file_name, r.new, r.updated, r.unchanged, r.rejected) for r in log] == [
        ("w2.csv", 0, 0, many, 1),
        ("w2.csv", 1, 2, many - 3, 1),
        ("w1.csv", many, 0, 0, 0),
    ]
    assert log[2].units_unmatched == 1 and log[2].officers_unmatched == 1


async def test_an_import_commits_in_short_transactions(
    store: Store,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 14, item 12: the rows go in transactions of IMPORT_CHUNK rows, so the write
    lock is never held for a whole file and ratings commit between them; the counts and
    unmatched names still add up over the whole file."""
    await store.import_roster(ROSTER)
    monkeypatch.setattr(wo_store, "IMPORT_CHUNK", 3)
    monkeypatch.setattr(wo_store, "IMPORT_CHUNK_IDLE", 3)
    rows = [order(f"GD{i:02d}") for i in range(10)]
    rows[1] = order("GD01", 承办单位="无名所")
    rows[8] = order("GD08", 承办单位="无名所")  # the same unmatched unit in another chunk
    writes: list[str] = []
    real_write = store.write

    async def counting_write(fn: Any, *args: Any) -> Any:
        writes.append(getattr(fn, "__name__", repr(fn)))
        return await real_write(fn, *args)

    monkeypatch.setattr(store, "write", counting_write)
    parsed = parse_file(write_csv(tmp_path / "w.csv", rows), load_profile("12345"), KEYS)
    result = await import_parsed(store, parsed, "12345", skip_bad=False)
    assert writes == ["begin_import", *["write_rows"] * 4, "finish_import"]
    assert (result.new, result.updated, result.unchanged) == (10, 0, 0)
    assert [(u.value, u.rows, u.first_line) for u in result.unmatched_units] == [("无名所", 2, 4)]
    log = await store.read(list_imports, 1)
    assert (log[0].new, log[0].units_unmatched) == (10, 2)


async def test_a_streamed_import_writes_while_it_reads(
    store: Store,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 14, item 12: the CLI and the upload check the file in a first pass that keeps
    no rows, then read it again straight into the database a chunk at a time: rows are
    stored while the file is still being read, and the result is that of import_parsed."""
    await store.import_roster(ROSTER)
    monkeypatch.setattr(wo_store, "IMPORT_CHUNK", 3)
    monkeypatch.setattr(wo_store, "IMPORT_CHUNK_IDLE", 3)
    path = write_csv(tmp_path / "w.csv", [order(f"GD{i:02d}") for i in range(8)])
    profile = load_profile("12345")
    events: list[str] = []

    def scan(rows_to: Callable[[OrderRow], None]) -> ParsedFile:
        def sink(row: OrderRow) -> None:
            events.append("read")
            rows_to(row)

        return parse_file(path, profile, KEYS, rows_to=sink)

    first = scan(lambda row: None)
    assert first.rows == [] and first.data_rows == 8  # the first pass keeps no rows
    events.clear()
    real_write = store.write

    async def noting_write(fn: Any, *args: Any) -> Any:
        events.append(getattr(fn, "__name__", "?"))
        return await real_write(fn, *args)

    monkeypatch.setattr(store, "write", noting_write)
    result = await wo_store.import_streamed(store, first, scan, "12345", skip_bad=False)
    assert events == [
        "begin_import",
        *["read"] * 3, "write_rows",
        *["read"] * 3, "write_rows",
        *["read"] * 2, "write_rows",
        "finish_import",
    ]  # fmt: skip
    assert (result.new, result.updated, result.unchanged) == (8, 0, 0)
    assert len(await stored_orders(store, "12345")) == 8

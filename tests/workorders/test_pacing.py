"""How an import shares the machine with citizens (issue 14): its parsing and matching
run at a lower CPU priority on a thread of their own, and its write transactions are
spaced so that the server's writer gets the write lock between them."""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from rating.crypto import Keys
from rating.settings import Settings
from rating.store import make_store
from rating.store.tx import Tx
from rating.workorders import cli
from rating.workorders import store as wo_store
from rating.workorders.parse import parse_file
from rating.workorders.profiles import load_profile
from rating.workorders.store import (
    IDLE_AFTER_S,
    IMPORT_CHUNK,
    IMPORT_CHUNK_IDLE,
    IMPORT_NICE,
    IMPORT_PAUSE_S,
    Checkpointer,
    Pacer,
    at_low_priority,
    import_parsed,
)
from tests.conftest import ROSTER
from tests.workorders.conftest import Env, order, write_csv

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="per-thread nice is Linux's")


def thread_nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@linux_only
def test_the_heavy_part_runs_at_a_lower_priority_and_the_caller_keeps_its_own() -> None:
    before = thread_nice()
    seen = at_low_priority(lambda: (thread_nice(), threading.get_native_id()))
    assert seen[0] == max(IMPORT_NICE, before)
    assert seen[1] != threading.get_native_id()  # a thread of its own
    assert thread_nice() == before  # the CLI runs inside the tests' process: not reniced


def test_an_error_of_the_heavy_part_reaches_the_caller() -> None:
    def fail() -> None:
        raise ValueError("bad sheet")

    with pytest.raises(ValueError, match="bad sheet"):
        at_low_priority(fail)


def test_the_pause_between_transactions_is_what_the_work_has_not_filled() -> None:
    now = [100.0]
    pacer = Pacer(clock=lambda: now[0])
    assert pacer.wait_s() == 0.0  # nothing committed yet: no pause before the first
    pacer.committed()
    assert pacer.wait_s() == pytest.approx(IMPORT_PAUSE_S)
    now[0] += IMPORT_PAUSE_S / 3  # preparing the next chunk took a third of the pause
    assert pacer.wait_s() == pytest.approx(IMPORT_PAUSE_S * 2 / 3)
    now[0] += IMPORT_PAUSE_S  # it took longer than the pause: no sleep at all
    assert pacer.wait_s() == 0.0


def test_while_citizens_rate_the_lock_is_left_free_as_long_as_it_was_held() -> None:
    now = [100.0]
    pacer = Pacer(clock=lambda: now[0])

    def transaction(held_s: float, last_rating: int) -> None:
        now[0] += pacer.wait_s()  # the sleep before it
        now[0] += held_s
        pacer.committed(last_rating)

    transaction(0.005, 1)
    transaction(0.040, 2)  # a slow transaction (a busy machine); a citizen rated
    assert pacer.citizens_rate()
    assert pacer.wait_s() == pytest.approx(0.040)
    now[0] += IDLE_AFTER_S  # nobody rates for a while: the plain pause again
    pacer.committed(2)
    transaction(0.040, 2)
    assert not pacer.citizens_rate()
    assert pacer.wait_s() == pytest.approx(IMPORT_PAUSE_S)


def test_transactions_stay_small_while_citizens_rate_and_grow_when_none_do() -> None:
    now = [0.0]
    pacer = Pacer(clock=lambda: now[0])
    assert pacer.chunk_size() == IMPORT_CHUNK  # nothing known: citizens may be rating
    pacer.committed(last_rating=40)
    assert pacer.chunk_size() == IMPORT_CHUNK_IDLE  # nobody rated since the import began
    now[0] += 0.1
    pacer.committed(last_rating=41)  # a rating went in between two transactions
    assert pacer.chunk_size() == IMPORT_CHUNK
    now[0] += IDLE_AFTER_S / 2
    pacer.committed(last_rating=41)
    assert pacer.chunk_size() == IMPORT_CHUNK  # still within IDLE_AFTER_S of that rating
    now[0] += IDLE_AFTER_S
    pacer.committed(last_rating=41)
    assert pacer.chunk_size() == IMPORT_CHUNK_IDLE


def test_a_file_within_keep_rows_is_read_once_and_a_larger_one_twice(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[str] = []
    real = cli.read_export

    def counting(*args: Any, **kwargs: Any) -> Any:
        reads.append("read")
        return real(*args, **kwargs)

    monkeypatch.setattr(cli, "read_export", counting)
    small = write_csv(env.tmp / "small.csv", [order(f"GD{i}") for i in range(3)])
    assert env.run("workorders", "import", str(small), "--channel", "12345").code == 0
    assert reads == ["read"]  # the check kept the rows: no second reading
    reads.clear()
    monkeypatch.setattr(wo_store, "KEEP_ROWS", 2)
    large = write_csv(env.tmp / "large.csv", [order(f"GE{i}") for i in range(3)])
    done = env.run("workorders", "import", str(large), "--channel", "12345")
    assert done.code == 0 and "3 new" in done.out
    assert reads == ["read", "read"]  # past KEEP_ROWS: checked, then read again to store
    assert set(env.orders()) == {*(f"GD{i}" for i in range(3)), *(f"GE{i}" for i in range(3))}


def _rate(tx: Tx, receipt: str) -> None:
    """A citizen's rating, as the server's writer would store one."""
    tx.run(
        "INSERT INTO ratings (receipt, officer_id, unit_id, token, channel, level, "
        "created_at, updated_at) SELECT ?, id, unit_id, 't', 'qr', 5, 1, 1 FROM officers "
        "LIMIT 1",
        (receipt,),
    )


async def test_while_citizens_rate_the_import_copies_its_rows_into_the_database_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its own checkpoints (`Checkpointer`): the rows are in the main file, not only in
    the WAL, where the server's writer would have to copy them inside a commit."""
    monkeypatch.setattr(wo_store, "IMPORT_CHUNK", 2)
    settings = Settings.load(env={}, database=str(tmp_path / "c.db"), secret="s" * 32)
    path = write_csv(tmp_path / "w.csv", [order(f"GD{i}") for i in range(5)])
    parsed = parse_file(path, load_profile("12345"), Keys(settings.secret))
    store = make_store(settings, one_shot=True)
    await store.open()
    try:
        await store.import_roster(ROSTER)
        real_write = store.write
        receipts = iter(range(100))

        async def citizens_between(fn: Any, *args: Any) -> Any:
            if fn is wo_store.write_rows:  # a rating comes before each transaction
                await real_write(_rate, f"R{next(receipts)}")
            return await real_write(fn, *args)

        monkeypatch.setattr(store, "write", citizens_between)
        result = await import_parsed(store, parsed, "12345", skip_bad=False)
        assert result.new == 5
        # immutable=1 reads the main file as it is, without the WAL (the store is open:
        # closing it would checkpoint).
        uri = f"file:{settings.database}?immutable=1"
        with closing(sqlite3.connect(uri, uri=True)) as conn:
            assert conn.execute("SELECT COUNT(*) FROM workorders").fetchone() == (5,)
    finally:
        await store.close()


def _touch(tx: Tx) -> None:
    tx.run("CREATE TABLE IF NOT EXISTS probe (x TEXT)")
    tx.run("INSERT INTO probe VALUES ('x')")


async def test_a_checkpoint_moves_what_the_wal_holds_into_the_file(tmp_path: Path) -> None:
    settings = Settings.load(env={}, database=str(tmp_path / "c.db"), secret="s" * 32)
    store = make_store(settings, one_shot=True)
    await store.open()
    try:
        db = Path(settings.database)
        await store.write(lambda tx: None)  # starts the WAL afresh after the migrations'
        Checkpointer(store)()
        before = db.read_bytes()
        await store.write(_touch)
        assert db.read_bytes() == before  # the change is in the WAL only
        Checkpointer(store)()
        assert db.read_bytes() != before
    finally:
        await store.close()

"""SQLite's writer in a process of its own: what crosses the process boundary, and what
happens when the writer dies."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from rating.admin import auth
from rating.store import StoreUnavailable
from rating.store.models import Outcome
from rating.store.sqlite import SqliteStore
from tests.conftest import ROSTER
from tests.polling import until
from tests.store.conftest import LIMITS, rating


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    s = SqliteStore(str(tmp_path / "w.db"), LIMITS)
    await s.open()
    try:
        yield s
    finally:
        await s.close()


def _writer_pid(store: SqliteStore) -> int:
    assert store._process is not None and store._process._pid is not None
    return store._process._pid


async def _gone(pid: int) -> None:
    def gone() -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False

    await until(gone, f"writer {pid} to exit", timeout=5, every=0.01)


async def test_the_writer_runs_in_another_process(store: SqliteStore) -> None:
    pid = _writer_pid(store)
    assert pid != os.getpid()
    await store.import_roster(ROSTER)
    zhang = (await store.list_officers())[0]
    result = await store.submit_rating(rating(zhang.token, 1, comment="慢"))
    assert result.outcome is Outcome.CREATED
    # The rating and the case it opened were written by that process, in one transaction.
    rows = await store.read(
        lambda tx: tx.all(
            "SELECT r.comment, c.state FROM ratings r JOIN cases c ON c.rating_id = r.id"
        )
    )
    assert rows == [("慢", "open")]


async def test_a_dead_writer_is_replaced_and_nothing_is_lost(store: SqliteStore) -> None:
    await store.import_roster(ROSTER)
    zhang = (await store.list_officers())[0]
    first = await store.submit_rating(rating(zhang.token, 5, device="d1"))
    assert first.outcome is Outcome.CREATED
    old = _writer_pid(store)
    os.kill(old, signal.SIGKILL)
    await _gone(old)
    assert not store.healthy()  # /healthz says so until the next write starts a new one
    second = await store.submit_rating(rating(zhang.token, 4, device="d2"))
    assert second.outcome is Outcome.CREATED
    assert _writer_pid(store) != old
    assert store.healthy()
    assert await store.count_ratings() == 2
    assert (await store.rating_by_receipt(first.receipt or "")) is not None


async def test_ratings_in_flight_when_the_writer_dies_fail_loudly(store: SqliteStore) -> None:
    await store.import_roster(ROSTER)
    zhang = (await store.list_officers())[0]
    # Stop the writer (SIGSTOP), queue ratings, then kill it: none may report success.
    pid = _writer_pid(store)
    os.kill(pid, signal.SIGSTOP)
    pending = [
        asyncio.ensure_future(store.submit_rating(rating(zhang.token, 5, device=f"x{i}")))
        for i in range(5)
    ]
    await asyncio.sleep(0.2)
    assert not any(p.done() for p in pending)
    os.kill(pid, signal.SIGKILL)
    results = await asyncio.gather(*pending, return_exceptions=True)
    assert all(isinstance(r, StoreUnavailable) for r in results), results
    assert await store.count_ratings() == 0
    # The next rating is stored by a new writer.
    again = await store.submit_rating(rating(zhang.token, 5, device="y"))
    assert again.outcome is Outcome.CREATED


async def test_exceptions_keep_their_type_across_the_process(store: SqliteStore) -> None:
    with pytest.raises(auth.AccountError, match="role must be one of"):
        await store.write(auth.add_user, "u1", "superuser", None, "hash", 0)


async def test_a_lambda_is_refused_with_a_clear_error(store: SqliteStore) -> None:
    with pytest.raises(TypeError, match="module-level function"):
        await store.write(lambda tx: tx.run("DELETE FROM officers"))
    # Nothing was sent, and the writer still works.
    await store.import_roster(ROSTER)
    assert len(await store.list_officers()) == len(ROSTER)


async def test_a_relative_path_means_the_same_file_after_a_chdir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The fork server keeps the working directory it started with; the writer must still
    # open the file this process means.
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    monkeypatch.chdir(tmp_path / "b")
    first = SqliteStore("first.db", LIMITS)  # starts the fork server here, if not yet
    await first.open()
    await first.close()
    monkeypatch.chdir(tmp_path / "a")
    s = SqliteStore("rel.db", LIMITS)
    await s.open()
    try:
        await s.import_roster(ROSTER)
        assert len(await s.list_officers()) == len(ROSTER)
    finally:
        await s.close()
    assert (tmp_path / "a" / "rel.db").exists() and not (tmp_path / "b" / "rel.db").exists()

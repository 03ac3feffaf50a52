"""A sqlite3 connection on a thread of its own, run one unit of work at a time.

A unit of work runs as one function on the connection's thread: a hop between threads
costs tens of microseconds, and a rating needs about six statements, so one hop per unit
of work (not per statement) makes a batch of ratings one hop and one fsync. aiosqlite
offers this only through its private `_execute`/`_conn`; owning the thread here keeps the
store on public APIs. The thread takes work from a plain queue and answers through
`call_soon_threadsafe`, as aiosqlite does: a ThreadPoolExecutor's hop costs about three
times as much (measured in the same run).
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_Work = tuple[Callable[[], Any], asyncio.Future[Any]] | None


def _answer(future: asyncio.Future[Any], result: Any, exc: BaseException | None) -> None:
    if future.cancelled():
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(result)


def _serve(work: queue.SimpleQueue[_Work]) -> None:
    while (item := work.get()) is not None:
        fn, future = item
        try:
            result, exc = fn(), None
        except BaseException as error:  # handed to the awaiting coroutine
            result, exc = None, error
        # RuntimeError: the event loop is closed, nobody waits for this answer.
        with contextlib.suppress(RuntimeError):
            future.get_loop().call_soon_threadsafe(_answer, future, result, exc)


class ThreadConnection:
    """One sqlite3 connection, used only from its one thread."""

    def __init__(self) -> None:
        self._work: queue.SimpleQueue[_Work] = queue.SimpleQueue()
        self._thread = threading.Thread(
            target=_serve, args=(self._work,), name="pingjing-sqlite", daemon=True
        )
        self._conn: sqlite3.Connection | None = None
        self._thread.start()

    @classmethod
    async def connect(
        cls, path: str, *, timeout: float, factory: type[sqlite3.Connection]
    ) -> ThreadConnection:
        """Open `path` in autocommit mode (transactions are begun explicitly)."""
        self = cls()
        try:
            self._conn = await self._call(
                lambda: sqlite3.connect(
                    path, timeout=timeout, isolation_level=None, factory=factory
                )
            )
        except BaseException:
            self._work.put(None)
            raise
        return self

    def _call(self, fn: Callable[[], T]) -> asyncio.Future[T]:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._work.put((fn, future))
        return future

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(connection, *args)` on the connection's thread."""
        conn = self._conn
        if conn is None:
            raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
        return await self._call(lambda: fn(conn, *args))

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await self._call(conn.close)
            self._work.put(None)

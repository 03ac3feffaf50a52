"""A sqlite3 connection on a thread of its own, run one unit of work at a time.

A unit of work runs as one function on the connection's thread: a hop between threads
costs tens of microseconds, and a rating needs about six statements, so one hop per unit
of work (not per statement) makes a batch of ratings one hop and one fsync. aiosqlite
offers this only through its private `_execute`/`_conn`; owning the thread here keeps the
store on public APIs (sqlite3 and concurrent.futures) alone.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


class ThreadConnection:
    """One sqlite3 connection, used only from its one worker thread."""

    def __init__(self, executor: ThreadPoolExecutor, conn: sqlite3.Connection) -> None:
        self._executor = executor
        self._conn: sqlite3.Connection | None = conn

    @classmethod
    async def connect(
        cls, path: str, *, timeout: float, factory: type[sqlite3.Connection]
    ) -> ThreadConnection:
        """Open `path` in autocommit mode (transactions are begun explicitly)."""
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pingjing-sqlite")
        opener = functools.partial(
            sqlite3.connect, path, timeout=timeout, isolation_level=None, factory=factory
        )
        try:
            conn = await asyncio.get_running_loop().run_in_executor(executor, opener)
        except BaseException:
            executor.shutdown(wait=False)
            raise
        return cls(executor, conn)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(connection, *args)` on the connection's thread."""
        conn = self._conn
        if conn is None:
            raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
        call = functools.partial(fn, conn, *args)
        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await asyncio.get_running_loop().run_in_executor(self._executor, conn.close)
        self._executor.shutdown(wait=True)

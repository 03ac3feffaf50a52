"""The embedded SQLite store: WAL, one writer connection, batched commits.

The one writer runs either in a process of its own (`writer="process"`, what the server
uses: see sqlite_writer.py for why) or on a thread of this process (`writer="thread"`, for
one-shot CLI commands, which would only pay for starting a process). Both run the same
functions: `rating_batch` for a batch of ratings, `in_transaction` for any other write.

A unit of work runs as one function on its connection's thread (sqlite_thread.py): one
hop and, for a batch of ratings, one fsync. Reads always run on such a thread, on a
connection of their own. The writer's memory (hit counters, device log, row cache) is in
sqlite_cache.py; the batch writer both stores share is in batching.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from rating import metrics
from rating.clock import now_ms
from rating.store import logic
from rating.store.base import (
    Pending,
    Store,
    StoreUnavailable,
    fail_all,
    pending_migrations,
    run_isolated,
)
from rating.store.batching import BatchWriter
from rating.store.models import RateLimits, RatingResult, RatingSubmission
from rating.store.receipts import RECEIPT_KEY_SQL
from rating.store.sqlite_cache import DeviceLog, WriterConnection
from rating.store.sqlite_thread import ThreadConnection
from rating.store.sqlite_writer import WriterProcess, configure, settle

log = logging.getLogger("pingjing.store")
T = TypeVar("T")


class SqliteTx:
    """`logic.Tx` over a sqlite3 connection."""

    __slots__ = ("conn", "_pending", "_hit_log", "_next_id", "_devices", "grouped")

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._next_id = 0  # read from the table at the first new_rating_id
        # This transaction's hits: they count at once and reach the writer's HitCounts
        # only when it commits (a transaction rolled back leaves no trace).
        self._pending: dict[tuple[int, str], int] = {}
        self._hit_log: list[tuple[int, str]] = []  # the keys counted, in order (undo_to)
        # This transaction's new ratings with a device (device_hash, id, officer, created):
        # seen at once by its later items, in the writer's DeviceLog once it commits.
        self._devices: list[tuple[str, int, int, int]] = []
        # In a group of write_grouped units, which change no settings: all_cached may
        # answer from the writer's cache.
        self.grouped = False

    def one_cached(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        conn = self.conn
        if not isinstance(conn, WriterConnection):
            return self.one(sql, params)
        key = (sql, tuple(params))
        row = conn.cache.get(key)
        if row is None:
            row = self.one(sql, params)
            if row is not None:
                if len(conn.cache) >= conn.CACHE_MAX:
                    conn.cache.clear()
                conn.cache[key] = row
        return row

    def all_cached(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        conn = self.conn
        if not self.grouped or not isinstance(conn, WriterConnection):
            return self.all(sql, params)
        key = ("all:" + sql, tuple(params))
        rows = conn.cache.get(key)
        if rows is None:
            rows = conn.cache[key] = tuple(self.all(sql, params))
        return list(rows)

    def count_hit(self, bucket: str, window_start: int) -> int:
        if not isinstance(self.conn, WriterConnection):
            raise TypeError("rate-limit counters live on the writer's connection")
        key = (window_start, bucket)
        pending = self._pending[key] = self._pending.get(key, 0) + 1
        self._hit_log.append(key)
        return self.conn.hits.hits.get(key, 0) + pending

    def new_rating_id(self) -> tuple[int, str | None]:
        # Every write transaction holds the database's write lock (BEGIN IMMEDIATE), so
        # nobody else inserts ratings until it ends: the next id is the table's largest
        # plus one, read once a transaction and counted on from there.
        if not self._next_id:
            row = self.one("SELECT COALESCE(MAX(id), 0) + 1 FROM ratings")
            assert row is not None
            self._next_id = int(row[0])
        rating_id, self._next_id = self._next_id, self._next_id + 1
        key = self.one_cached(RECEIPT_KEY_SQL)
        return rating_id, None if key is None else str(key[0])

    def recent_by_device(self, device_hash: str, since: int) -> list[tuple[int, int, int]]:
        conn = self.conn
        if not isinstance(conn, WriterConnection):
            raise TypeError("recent device ratings live on the writer's connection")
        log = conn.devices
        if not log.covers(since):
            return logic.device_ratings(self, device_hash, since)  # sees this transaction
        found = log.recent(device_hash, since) + [
            (d[1], d[2], d[3]) for d in self._devices if d[0] == device_hash and d[3] >= since
        ]
        return sorted(found, key=lambda e: e[2], reverse=True)

    def note_rating(self, device_hash: str, rating_id: int, officer_id: int, at: int) -> None:
        self._devices.append((device_hash, rating_id, officer_id, at))

    def mark(self) -> tuple[int, int]:
        """How much this transaction has counted so far (for `undo_to`, at a savepoint)."""
        return len(self._hit_log), len(self._devices)

    def undo_to(self, mark: tuple[int, int]) -> None:
        """Forget the hits and ratings counted since `mark` (rolled back to a savepoint)."""
        hits, devices = mark
        for key in self._hit_log[hits:]:
            self._pending[key] -= 1
        del self._hit_log[hits:]
        del self._devices[devices:]

    def committed(self) -> None:
        """The transaction committed: its hits count from now on, and its ratings are in
        the device log."""
        if isinstance(self.conn, WriterConnection):
            hits = self.conn.hits.hits
            for key, n in self._pending.items():
                hits[key] = hits.get(key, 0) + n
            for device_hash, rating_id, officer_id, at in self._devices:
                self.conn.devices.add(device_hash, rating_id, officer_id, at)
        self._pending.clear()
        self._hit_log.clear()
        self._devices.clear()

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = self.conn.execute(sql, params).fetchone()
        return row

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.conn.execute(sql, params).fetchall()

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self.conn.execute(sql, params).rowcount

    def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        # SQLite runs RETURNING as a temporary trigger that buffers the rows: on the
        # cases table (a dozen indexes) it doubled the insert's time (measured, 48 against
        # 96 us). A plain one-row INSERT's id is the cursor's lastrowid.
        plain = _PLAIN_INSERTS.get(sql)
        if plain is None:
            plain = _PLAIN_INSERTS[sql] = _without_returning(sql)
        if plain:
            lastrowid = self.conn.execute(plain, params).lastrowid
            assert lastrowid is not None
            return lastrowid
        row = self.conn.execute(sql, params).fetchone()
        return int(row[0])

    def lock(self, key: str) -> None:
        # Every write transaction here is BEGIN IMMEDIATE on the one writer connection, so
        # it already holds the database's write lock.
        return None


_PLAIN_INSERTS: dict[str, str] = {}
_RETURNING_ID = " RETURNING id"


def _without_returning(sql: str) -> str:
    """`sql` without its trailing RETURNING id if it is a plain one-row INSERT (whose id
    the cursor's lastrowid gives), else "" (the statement runs as written)."""
    upper = sql.upper()
    if (
        upper.startswith("INSERT INTO ")
        and upper.endswith(_RETURNING_ID.upper())
        and upper.count("RETURNING") == 1
        and " ON CONFLICT " not in upper
        and " SELECT " not in upper
        and upper.count("VALUES (") == 1
        and "), (" not in sql
    ):
        return sql[: -len(_RETURNING_ID)]
    return ""


def in_transaction(conn: WriterConnection, fn: Callable[..., T], *args: Any) -> T:
    tx = SqliteTx(conn)
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.check_cache()
        result = fn(tx, *args)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    tx.committed()
    conn.cache.clear()  # any write may have changed what the cache holds
    return result


class _UnitFailed(Exception):
    """A unit of a group raised: the group is run again, a savepoint per unit."""


def grouped(
    conn: WriterConnection, works: Sequence[tuple[Callable[..., Any], tuple[Any, ...]]]
) -> list[tuple[bool, Any]]:
    """Run each `fn(tx, *args)` of `works` in one transaction and commit them together:
    one fsync for the group (Store.write_grouped).

    Returns (True, result) or (False, exception) per work, in order. A work that raises
    is undone alone and answers its exception; the others commit: the group runs first
    without savepoints (a unit raising is rare), and if one raises, again with a
    savepoint per unit, rolled back (with its rate-limit hits) for the one that raises.
    Raises only if the group as a whole could not commit (the database unavailable):
    then nothing of it is stored.

    A grouped unit adds rows (a letter and its case, a unit rating) and changes none of
    what the writer caches (officers, tokens, the settings `Tx.all_cached` reads): the
    cache is kept through the group, and dropped by every other write.
    """
    try:
        return _grouped(conn, works, savepoints=False)
    except _UnitFailed:
        return _grouped(conn, works, savepoints=True)


def _grouped(
    conn: WriterConnection,
    works: Sequence[tuple[Callable[..., Any], tuple[Any, ...]]],
    *,
    savepoints: bool,
) -> list[tuple[bool, Any]]:
    tx = SqliteTx(conn)
    tx.grouped = True
    out: list[tuple[bool, Any]] = []
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.check_cache()
        for fn, args in works:
            if not savepoints:
                try:
                    out.append((True, fn(tx, *args)))
                except Exception as exc:
                    if unavailable(exc):
                        raise
                    raise _UnitFailed() from exc
                continue
            mark = tx.mark()
            conn.execute("SAVEPOINT pj_work")
            try:
                result = fn(tx, *args)
            except Exception as exc:
                if unavailable(exc):
                    raise  # the transaction itself is in doubt: undo the whole group
                conn.execute("ROLLBACK TO pj_work")
                conn.execute("RELEASE pj_work")
                tx.undo_to(mark)
                out.append((False, exc))
            else:
                conn.execute("RELEASE pj_work")
                out.append((True, result))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        conn.cache.clear()
        raise
    tx.committed()
    return out


def _read(conn: sqlite3.Connection, fn: Callable[..., T], *args: Any) -> T:
    # A read transaction keeps multi-statement reads on one snapshot.
    conn.execute("BEGIN")
    try:
        return fn(SqliteTx(conn), *args)
    finally:
        conn.execute("COMMIT")


def unavailable(exc: BaseException) -> bool:
    """Whether `exc` means the database cannot take writes now (locked, full, I/O error,
    the writer gone) rather than something wrong with one item."""
    return isinstance(exc, (sqlite3.OperationalError, StoreUnavailable, OSError))


def rating_batch(
    conn: WriterConnection,
    subs: list[RatingSubmission],
    limits: RateLimits,
    prune: bool,
    now: int,
) -> list[RatingResult | BaseException]:
    """Apply a batch of ratings in one transaction (one fsync for the whole batch), at
    `now` (the store's clock, read where the batch was sent: see BatchWriter.clock).

    If the batch fails for a reason other than unavailability (one item the database
    refuses), each item is applied again on its own, so only the bad one fails.
    """
    first = [prune]

    def run(items: list[RatingSubmission]) -> list[RatingResult | BaseException]:
        results: list[RatingResult | BaseException] = []
        results += _apply_batch(conn, items, limits, first.pop() if first else False, now)
        return results

    return run_isolated(run, subs, unavailable)


def _apply_batch(
    conn: WriterConnection,
    subs: list[RatingSubmission],
    limits: RateLimits,
    prune: bool,
    now: int,
) -> list[RatingResult]:
    tx = SqliteTx(conn)
    out: list[RatingResult] = []
    # The device log must reach back over the amend window (a few minutes' margin for
    # ratings that carry their own time).
    conn.devices.span_ms = max(DeviceLog.SPAN_MS, limits.amend_window_ms + 600_000)
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.check_cache()
        for sub in subs:
            out.append(logic.apply_rating(tx, sub, limits, now))
        if prune:
            logic.prune_counters(tx, now)  # rows left by versions that counted in the table
            conn.hits.prune(now)
        conn.execute("COMMIT")
        tx.committed()
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return out


def create_private(path: str) -> None:
    """Create the database file owner-only (0600) if it does not exist yet. SQLite gives
    its -wal and -shm files the database file's permissions, so they follow."""
    if path == ":memory:" or path.startswith("file:"):
        return
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _migrate(conn: sqlite3.Connection) -> list[str]:
    applied: list[str] = []
    # A migration that rebuilds a table drops the old one while other tables still refer
    # to it (SQLite's documented way to change a constraint): foreign keys are off while
    # migrations run, and checked before they commit. The pragma is a no-op inside a
    # transaction, hence here.
    conn.execute("PRAGMA foreign_keys=OFF")
    # BEGIN IMMEDIATE takes the write lock, so two processes starting at once apply each
    # migration exactly once.
    conn.execute("BEGIN IMMEDIATE")
    try:
        for name, stmts in pending_migrations(conn, "sqlite", now_ms()):
            for stmt in stmts:
                conn.execute(stmt)
            applied.append(name)
        # Only after a migration ran: the check reads every row of every table (seconds
        # at city scale, under the write lock), and each report worker opens the store.
        broken = conn.execute("PRAGMA foreign_key_check").fetchall() if applied else []
        if broken:
            raise sqlite3.IntegrityError(
                f"migrations left {len(broken)} broken foreign keys, e.g. {broken[0]}"
            )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    finally:
        conn.execute("PRAGMA foreign_keys=ON")
    return applied


class SqliteStore(BatchWriter, Store):
    def __init__(
        self,
        path: str,
        limits: RateLimits,
        *,
        synchronous: str = "FULL",
        batch_max: int = 512,
        writer: str = "process",
    ) -> None:
        if writer not in ("process", "thread"):
            raise ValueError("writer must be 'process' or 'thread'")
        self.path = path
        self.writer_mode = writer
        self._process: WriterProcess | None = None
        self._restart = asyncio.Lock()
        self._pending: list[Pending] = []
        self._grouped: list[tuple[Any, asyncio.Future[Any]]] = []  # write_grouped's
        self._restarts: set[asyncio.Task[None]] = set()
        self._closing = True
        self.limits = limits
        self.synchronous = synchronous.upper()
        self.batch_max = batch_max
        self._writer: ThreadConnection | None = None
        self._reader: ThreadConnection | None = None
        self._queue: asyncio.Queue[Pending | None]
        self._task: asyncio.Task[None] | None = None
        self._last_prune = 0
        self._failed = False
        self.clock = now_ms

    async def _connect(self, writer: bool = False) -> ThreadConnection:
        conn = await ThreadConnection.connect(
            self.path, timeout=10.0, factory=WriterConnection if writer else sqlite3.Connection
        )
        await conn.run(configure, self.synchronous)
        return conn

    async def open(self) -> None:
        create_private(self.path)
        self._writer = await self._connect(writer=True)
        await self._writer.run(_migrate)
        if self.writer_mode == "process":
            # The migrations ran above; from here on the process is the one writer.
            await self._writer.close()
            self._writer = None
            self._process = WriterProcess(self.path, self.synchronous)
            await self._process.start()
            self._closing = False
        self._reader = await self._connect()
        if self._process is None:
            self._queue = asyncio.Queue()
            self._task = asyncio.create_task(self._write_loop(), name="pingjing-writer")

    async def close(self) -> None:
        self._closing = True
        self._flush()  # ratings submitted in this loop iteration still go out
        self._flush_grouped()
        if self._restarts:
            await asyncio.gather(*self._restarts, return_exceptions=True)
        if self._task is not None:
            await self._queue.put(None)
            await self._task
            self._task = None
        if self._process is not None:
            await self._process.stop()
            self._process = None
        for conn in (self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._reader = self._writer = None

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        assert self._reader is not None, "store is not open"
        return await self._reader.run(_read, fn, *args)

    async def _live(self) -> WriterProcess:
        """The writer process, started again if it has died (what was in flight failed)."""
        assert self._process is not None
        if not self._process.alive():
            async with self._restart:
                if not self._process.alive():
                    log.warning("the database writer process stopped; starting a new one")
                    await self._process.stop()
                    process = WriterProcess(self.path, self.synchronous)
                    await process.start()
                    self._process = process
        return self._process

    async def write(self, fn: Callable[..., T], *args: Any) -> T:
        if self._process is not None:
            result: T = await (await self._live()).call(("write", fn, args))
            return result
        assert self._writer is not None, "store is not open"
        return await self._writer.run(in_transaction, fn, *args)

    async def write_grouped(self, fn: Callable[..., T], *args: Any) -> T:
        # As ratings: every unit submitted during one turn of the event loop goes to the
        # writer process as one request at the end of that turn, and the writer runs
        # consecutive group requests in one transaction (sqlite.grouped), so letters
        # posted together share one fsync. The thread writer (one-shot CLI commands)
        # has no such stream: one transaction each.
        if self._process is None:
            return await self.write(fn, *args)
        if self._closing:
            raise StoreUnavailable("the store is closing")
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[T] = loop.create_future()
        self._grouped.append(((fn, args), fut))
        if len(self._grouped) == 1:
            loop.call_soon(self._flush_grouped)
        return await fut

    def _flush_grouped(self) -> None:
        """Send the units submitted so far as one group request (see write_grouped)."""
        pending, self._grouped = self._grouped, []
        if pending:
            task = asyncio.ensure_future(self._send_group(pending))
            self._restarts.add(task)
            task.add_done_callback(self._restarts.discard)

    async def _send_group(self, pending: list[tuple[Any, asyncio.Future[Any]]]) -> None:
        try:
            replies = await (await self._live()).send(("group", [work for work, _ in pending]))
        except Exception as exc:  # the group could not commit: nothing of it is stored
            self._failed = isinstance(exc, StoreUnavailable) or unavailable(exc)
            for _, fut in pending:
                if not fut.done():
                    fut.set_exception(exc)
            return
        self._failed = False
        for (_, fut), (ok, value) in zip(pending, replies, strict=True):
            settle(fut, ok, value)

    async def submit_rating(self, sub: RatingSubmission) -> RatingResult:
        loop = asyncio.get_running_loop()
        if self._process is not None:
            # Every rating submitted during one turn of the event loop goes to the writer
            # as one batch at the end of that turn: no queue, no task in between.
            if self._closing:
                raise StoreUnavailable("the store is closing")
            fut: asyncio.Future[RatingResult] = loop.create_future()
            self._pending.append((sub, fut))
            if len(self._pending) == 1:
                loop.call_soon(self._flush)
            return await fut
        if self._task is None or self._task.done():
            raise StoreUnavailable("the writer is not running")
        queued: asyncio.Future[RatingResult] = loop.create_future()
        self._queue.put_nowait((sub, queued))
        return await queued

    def _flush(self) -> None:
        """Send the ratings submitted so far to the writer process (see submit_rating)."""
        pending, self._pending = self._pending, []
        if not pending or self._process is None:
            return
        prune = self._prune_due()
        for i in range(0, len(pending), self.batch_max):
            batch = pending[i : i + self.batch_max]
            if self._process.alive():
                self._send(self._process, batch, prune)
                continue
            task = asyncio.ensure_future(self._send_after_restart(batch, prune))
            self._restarts.add(task)
            task.add_done_callback(self._restarts.discard)

    def _send(self, process: WriterProcess, batch: list[Pending], prune: bool) -> None:
        done = process.send(
            ("ratings", [sub for sub, _ in batch], self.limits, prune, self.clock())
        )
        metrics.batch_sent(len(batch), done)
        done.add_done_callback(functools.partial(self._settle, batch))

    async def _send_after_restart(self, batch: list[Pending], prune: bool) -> None:
        try:
            self._send(await self._live(), batch, prune)
        except Exception as exc:  # no writer could be started: nothing is stored
            log.error("rating batch of %d not sent: %s", len(batch), exc)
            self._failed = True
            fail_all(batch, exc)

    async def _commit_batch(
        self, subs: list[RatingSubmission]
    ) -> list[RatingResult | BaseException]:
        """The thread writer's batch, on the writer connection's thread."""
        assert self._writer is not None, "store is not open"
        return await self._writer.run(
            rating_batch, subs, self.limits, self._prune_due(), self.clock()
        )

    def healthy(self) -> bool:
        if self._process is not None:
            # A dead writer process is started again by the next write; until then, no.
            return self._process.alive() and not self._closing and not self._failed
        return self._task is not None and not self._task.done() and not self._failed

    async def backup(self, dest: str) -> None:
        assert self._reader is not None

        def copy(conn: sqlite3.Connection) -> None:
            target = sqlite3.connect(dest)
            try:
                conn.backup(target)
            finally:
                target.close()

        await self._reader.run(copy)

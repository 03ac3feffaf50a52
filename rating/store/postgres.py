"""The PostgreSQL store: several app instances sharing one database.

The rules are not written again here. Every unit of work is a plain function from
`logic.py` over a `Tx`; this store runs it on a worker thread with a pooled psycopg 3
connection (the same shape as the SQLite store, which runs it on its connection's thread).

What holds across instances is enforced by the database, never by process memory:
rate-limit counters are atomic upserts, receipts and idempotency keys are UNIQUE, and the
amend window takes a transaction-scoped advisory lock per (device, officer) before it
looks for an earlier rating (`PgTx.lock`). Ratings are committed in batches like on
SQLite, ``synchronous_commit = on`` so a 2xx reply means the commit is on disk: one call
of the `rating_batch` function per batch (pg_batch.py: the one exception to the first
paragraph, apply_rating written again in PL/pgSQL and tested against it), or, when that
fails, one transaction with a savepoint per item. An item that lost a race with another instance
(deadlock, or a unique key another instance just took) is retried in a fresh transaction
after its batch commits, where it sees the winner's row.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
import math
import os
import shlex
import shutil
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import ConnectionPool

from rating.clock import now_ms
from rating.store import logic, pg_batch
from rating.store.base import (
    Pending,
    Store,
    StoreUnavailable,
    pending_migrations,
)
from rating.store.batching import BatchWriter
from rating.store.models import RateLimits, RatingResult, RatingSubmission
from rating.store.receipts import RECEIPT_KEY_SQL

log = logging.getLogger("pingjing.store")
T = TypeVar("T")

# Session advisory lock held while migrating, so instances starting together take turns.
MIGRATION_LOCK = 0x504A_4D49_4752_4154
# Lost races worth running again in a fresh transaction: serialization failure, deadlock,
# and a unique key (receipt, idempotency key) that another instance committed first.
RETRY_SQLSTATES = frozenset({"40001", "40P01", "23505"})
ATTEMPTS = 3


@functools.lru_cache(maxsize=1024)
def to_pg(sql: str) -> str:
    """`?` placeholders as psycopg's ``%s`` (our SQL has no `?` or `%` inside literals)."""
    return sql.replace("%", "%%").replace("?", "%s")


def lock_id(key: str) -> int:
    """A signed 64-bit advisory lock id for `key` (stable across instances and versions)."""
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def redact(url: str) -> str:
    """The database URL or conninfo without its password, for messages."""
    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "(unparseable database URL)"
    if "password" in params:
        params["password"] = "***"
    return make_conninfo("", **params)


class PgTx:
    """`logic.Tx` over a psycopg connection that is inside a transaction."""

    __slots__ = ("cur",)

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.cur = conn.cursor()

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        return self.cur.execute(to_pg(sql), tuple(params)).fetchone()

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.cur.execute(to_pg(sql), tuple(params)).fetchall()

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self.cur.execute(to_pg(sql), tuple(params)).rowcount

    def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        row = self.cur.execute(to_pg(sql), tuple(params)).fetchone()
        assert row is not None
        return int(row[0])

    def lock(self, key: str) -> None:
        # Held until the transaction ends, so a second instance waits here and then sees
        # the first instance's committed rating.
        self.cur.execute("SELECT pg_advisory_xact_lock(%s)", (lock_id(key),))

    def one_cached(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        return self.one(sql, params)  # other instances write too: no cache to trust

    def all_cached(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.all(sql, params)

    def count_hit(self, bucket: str, window_start: int) -> int:
        # Rows: every app instance on the database shares them.
        return logic.bump_counter(self, bucket, window_start)

    def recent_by_device(self, device_hash: str, since: int) -> list[tuple[int, int, int]]:
        return logic.device_ratings(self, device_hash, since)  # the device index

    def note_rating(self, device_hash: str, rating_id: int, officer_id: int, at: int) -> None:
        return None  # the row itself is what other instances see

    def new_rating_id(self) -> tuple[int, str | None]:
        # One round trip for both: the sequence (shared by every instance) and the key.
        row = self.one(
            f"SELECT nextval(pg_get_serial_sequence('ratings', 'id')), ({RECEIPT_KEY_SQL})"
        )
        assert row is not None
        return int(row[0]), row[1]


def _quiet_rollback(conn: psycopg.Connection[Any]) -> None:
    # The original error matters more than a failed rollback on a broken connection; the
    # pool discards broken connections when they come back.
    try:
        if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            conn.execute("ROLLBACK")
    except psycopg.Error:
        pass


def _retryable(exc: object) -> bool:
    return isinstance(exc, psycopg.Error) and exc.sqlstate in RETRY_SQLSTATES


def _in_transaction(conn: psycopg.Connection[Any], fn: Callable[..., T], *args: Any) -> T:
    for attempt in range(1, ATTEMPTS + 1):
        conn.execute("BEGIN")
        try:
            result = fn(PgTx(conn), *args)
            conn.execute("COMMIT")
        except BaseException as exc:
            _quiet_rollback(conn)
            if attempt < ATTEMPTS and _retryable(exc):
                continue
            raise
        return result
    raise AssertionError("unreachable")


def _read(conn: psycopg.Connection[Any], fn: Callable[..., T], *args: Any) -> T:
    # One snapshot for multi-statement reads, as on SQLite.
    conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    try:
        result = fn(PgTx(conn), *args)
    except BaseException:
        _quiet_rollback(conn)
        raise
    conn.execute("COMMIT")
    return result


def _unavailable(conn: psycopg.Connection[Any], exc: BaseException) -> bool:
    """Whether `exc` means the database cannot be reached (or stopped answering in time),
    rather than one rating that it refused: then retrying one by one cannot help."""
    if conn.closed or conn.broken:
        return True
    return isinstance(exc, psycopg.OperationalError) and not _retryable(exc)


def _begin(timeout_ms: int) -> str:
    # A rating waits no longer than the timeout for a lock or a statement: the citizen
    # gets a prompt 503 rather than a hung request.
    return f"BEGIN; SET LOCAL statement_timeout = {int(timeout_ms)}"


def _rating_batch(
    conn: psycopg.Connection[Any],
    subs: Sequence[RatingSubmission],
    limits: RateLimits,
    timeout_ms: int,
    now: int,
) -> list[RatingResult | BaseException]:
    """Apply ratings one by one in one transaction; one item's failure spares the rest."""
    tx = PgTx(conn)
    out: list[RatingResult | BaseException] = []
    # Savepoint statements ride along with BEGIN/RELEASE: one round trip per item.
    conn.execute(_begin(timeout_ms) + "; SAVEPOINT item")
    try:
        for i, sub in enumerate(subs):
            if i:
                conn.execute("RELEASE SAVEPOINT item; SAVEPOINT item")
            try:
                out.append(logic.apply_rating(tx, sub, limits, now))
            except Exception as exc:
                # A value the database refuses (NUL in text, say) fails this rating only;
                # a lost connection fails the batch.
                if _unavailable(conn, exc):
                    raise
                conn.execute("ROLLBACK TO SAVEPOINT item")
                out.append(exc)
        conn.execute("COMMIT")
    except BaseException:
        _quiet_rollback(conn)
        raise
    return out


def _apply_ratings(
    conn: psycopg.Connection[Any],
    subs: Sequence[RatingSubmission],
    limits: RateLimits,
    timeout_ms: int,
    now: int,
) -> list[RatingResult | BaseException]:
    try:
        return list(pg_batch.apply_batch(conn, subs, limits, timeout_ms, now, lock_id))
    except Exception as exc:
        _quiet_rollback(conn)
        if _unavailable(conn, exc):
            raise
        # A poisoned rating, a lost race or a calendar changed meanwhile: one by one,
        # with a savepoint each, so that only a bad rating fails.
        # The type and SQLSTATE only: a message may quote the row (a comment, say).
        log.info(
            "rating batch of %d goes one by one: %s %s",
            len(subs),
            type(exc).__name__,
            getattr(exc, "sqlstate", None) or "",
        )
    results: list[RatingResult | BaseException | None] = [None] * len(subs)
    pending = list(range(len(subs)))
    for attempt in range(1, ATTEMPTS + 1):
        got = _rating_batch(conn, [subs[i] for i in pending], limits, timeout_ms, now)
        retry = []
        for i, res in zip(pending, got, strict=True):
            if attempt < ATTEMPTS and _retryable(res):
                retry.append(i)
            else:
                results[i] = res
        if not retry:
            break
        pending = retry
    assert all(r is not None for r in results)
    return results  # type: ignore[return-value]


def _prune(conn: psycopg.Connection[Any]) -> None:
    try:
        _in_transaction(conn, logic.prune_counters, now_ms())
    except psycopg.Error as exc:  # counters are pruned again on the next round
        log.warning("pruning rate-limit counters failed: %s", exc)


def migrate(conn: psycopg.Connection[Any]) -> list[str]:
    """Apply missing migrations under a session advisory lock; return the names applied."""
    applied: list[str] = []
    conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
    try:
        for name, stmts in pending_migrations(conn, "postgres", now_ms()):
            with conn.transaction():
                for stmt in stmts:
                    conn.execute(stmt)
            applied.append(name)
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
    return applied


def _configure(conn: psycopg.Connection[Any]) -> None:
    # Durability must not depend on the server's default: a 2xx means flushed to disk.
    conn.execute("SET synchronous_commit TO on")


def pg_dump_command(url: str, dest: str) -> tuple[list[str], dict[str, str]]:
    """argv and extra environment for a custom-format pg_dump of `url` into `dest`.

    The password goes into PGPASSWORD, never onto the command line where `ps` shows it.
    """
    params = conninfo_to_dict(url)
    env = {}
    password = params.pop("password", None)
    if password:
        env["PGPASSWORD"] = str(password)
    argv = [
        "pg_dump",
        "--format=custom",
        "--no-owner",
        f"--file={dest}",
        f"--dbname={make_conninfo('', **params)}",
    ]
    return argv, env


class PostgresStore(BatchWriter, Store):
    def __init__(
        self,
        url: str,
        limits: RateLimits,
        *,
        batch_max: int = 512,
        pool_min: int = 1,
        pool_max: int = 8,
        writers: int = 2,
        timeout: float = 5.0,
        probe_every: float = 1.0,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.probe_every = probe_every
        self.limits = limits
        self.batch_max = batch_max
        self.pool_min = pool_min
        self.pool_max = max(pool_max, writers + 1)
        self.writers = writers
        self.applied: list[str] = []
        self._pool: ConnectionPool[Any] | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._queue: asyncio.Queue[Pending | None]
        self._tasks: list[asyncio.Task[None]] = []
        self._last_prune = 0
        self._failed = False
        self.clock = now_ms
        # The health probe: its own connection and thread, so that a database that stopped
        # answering shows within seconds, busy writers or not.
        self._probe_executor: ThreadPoolExecutor | None = None
        self._probe_conn: psycopg.Connection[Any] | None = None
        self._last_ok = 0.0  # time.monotonic() of the last answer from the database
        self._down = False
        self._probe_task: asyncio.Task[None] | None = None

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        assert self._executor is not None, "store is not open"
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args))

    def _with_conn(self, fn: Callable[..., T], *args: Any) -> T:
        assert self._pool is not None, "store is not open"
        with self._pool.connection() as conn:
            return fn(conn, *args)

    def _conn_kwargs(self) -> dict[str, Any]:
        """Connection parameters that bound every wait on the network."""
        return {
            "autocommit": True,
            "application_name": "pingjing",
            "connect_timeout": max(2, math.ceil(self.timeout)),
            # A host that vanished without closing the connection: give up on data it
            # never acknowledged, and notice an idle connection's peer is gone.
            "tcp_user_timeout": max(1000, int(self.timeout * 1000)),
            "keepalives": 1,
            "keepalives_idle": max(1, int(self.timeout)),
            "keepalives_interval": 1,
            "keepalives_count": 3,
        }

    def _new_pool(self) -> ConnectionPool[Any]:
        return ConnectionPool(
            self.url,
            min_size=self.pool_min,
            max_size=self.pool_max,
            open=False,
            kwargs=self._conn_kwargs(),
            configure=_configure,
            check=ConnectionPool.check_connection,
            name="pingjing",
            timeout=self.timeout,  # the longest wait for a connection from the pool
        )

    def _probe(self) -> bool:
        """Whether the database answers a trivial query within the timeout."""
        try:
            if self._probe_conn is None or self._probe_conn.closed:
                self._probe_conn = psycopg.connect(
                    self.url,
                    **self._conn_kwargs(),
                    options=f"-c statement_timeout={int(self.timeout * 1000)}",
                )
            self._probe_conn.execute("SELECT 1")
            return True
        except Exception:  # psycopg.Error, or an OSError: either way, no answer
            if self._probe_conn is not None:
                self._probe_conn.close()
                self._probe_conn = None
            return False

    async def _probe_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            assert self._probe_executor is not None
            ok = await loop.run_in_executor(self._probe_executor, self._probe)
            if ok:
                if self._down:
                    # Back: a fresh pool, without the old one's growing reconnect delays.
                    log.warning("PostgreSQL answers again")
                    try:
                        await self._renew_pool()
                    except Exception as exc:  # the old pool goes on serving, backing off
                        log.warning("renewing the connection pool failed: %s", exc)
                self._down, self._failed = False, False
                self._last_ok = time.monotonic()
            elif not self._down:
                self._down = True
                log.error("PostgreSQL does not answer (%s)", redact(self.url))
                self._fail_queued("the database does not answer")
            await asyncio.sleep(self.probe_every)

    async def _renew_pool(self) -> None:
        fresh = self._new_pool()
        try:
            await self._call(fresh.open, False)
        except psycopg.Error as exc:
            log.warning("opening a fresh connection pool failed: %s", exc)
            return
        old, self._pool = self._pool, fresh
        if old is not None:
            await self._call(old.close, self.timeout)

    def _migrate(self) -> list[str]:
        try:
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as exc:
            reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc)
            raise StoreUnavailable(
                f"cannot connect to PostgreSQL ({redact(self.url)}): {reason}"
            ) from None
        with conn:
            return migrate(conn)

    async def open(self) -> None:
        self._executor = ThreadPoolExecutor(
            max_workers=self.pool_max, thread_name_prefix="pingjing-pg"
        )
        try:
            self.applied = await self._call(self._migrate)
            self._pool = self._new_pool()
            await self._call(self._pool.open, True, max(10.0, self.timeout))
        except BaseException:
            await self._shutdown()
            raise
        self._queue = asyncio.Queue()
        self._tasks = [
            asyncio.create_task(self._write_loop(), name=f"pingjing-pg-writer-{i}")
            for i in range(self.writers)
        ]
        self._last_ok = time.monotonic()
        self._probe_executor = ThreadPoolExecutor(1, thread_name_prefix="pingjing-pg-probe")
        self._probe_task = asyncio.create_task(self._probe_loop(), name="pingjing-pg-probe")

    async def close(self) -> None:
        if self._probe_task is not None:
            self._probe_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._probe_task
            self._probe_task = None
        if self._probe_executor is not None:
            self._probe_executor.shutdown(wait=True)
            self._probe_executor = None
        if self._probe_conn is not None:
            self._probe_conn.close()
            self._probe_conn = None
        if self._tasks:
            for _ in self._tasks:
                await self._queue.put(None)
            await asyncio.gather(*self._tasks)
            self._tasks = []
        await self._shutdown()

    async def _shutdown(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await self._call(pool.close)
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        return await self._call(self._with_conn, _read, fn, *args)

    async def write(self, fn: Callable[..., T], *args: Any) -> T:
        return await self._call(self._with_conn, _in_transaction, fn, *args)

    async def submit_rating(self, sub: RatingSubmission) -> RatingResult:
        if not self._running():
            raise StoreUnavailable("the writer is not running")
        if self._down:  # the probe found the database gone: answer now, not after a wait
            raise StoreUnavailable("the database does not answer")
        fut: asyncio.Future[RatingResult] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((sub, fut))
        return await fut

    async def _commit_batch(
        self, subs: list[RatingSubmission]
    ) -> list[RatingResult | BaseException]:
        timeout_ms = int(self.timeout * 1000)
        return await self._call(
            self._with_conn, _apply_ratings, subs, self.limits, timeout_ms, self.clock()
        )

    async def _after_batch(self) -> None:
        # Not while the database is known gone: the prune would hold this writer for the
        # timeout waiting for a connection, with the next batch queued behind it.
        if not self._down and self._prune_due():
            try:
                await self._call(self._with_conn, _prune)
            except Exception as exc:  # e.g. no connection; try again next round
                log.warning("pruning rate-limit counters failed: %s", exc)

    def _running(self) -> bool:
        return bool(self._tasks) and not any(t.done() for t in self._tasks)

    def healthy(self) -> bool:
        answered = time.monotonic() - self._last_ok < self.timeout + self.probe_every
        return self._running() and not self._failed and not self._down and answered

    async def backup(self, dest: str) -> None:
        """A custom-format pg_dump archive (restore with pg_restore); needs pg_dump."""
        argv, extra_env = pg_dump_command(self.url, dest)
        if shutil.which(argv[0]) is None:
            password = " (with the password in PGPASSWORD)" if extra_env else ""
            raise StoreUnavailable(
                "pg_dump is not installed here; install PostgreSQL's client tools "
                f"(same major version as the server) or run elsewhere{password}: "
                f"{shlex.join(argv)}"
            )
        proc = await asyncio.create_subprocess_exec(
            *argv,
            env={**os.environ, **extra_env},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await proc.communicate()
        if proc.returncode != 0:
            Path(dest).unlink(missing_ok=True)
            message = err.decode("utf-8", "replace").strip().replace("\n", " ")
            raise StoreUnavailable(f"pg_dump failed (exit {proc.returncode}): {message}")

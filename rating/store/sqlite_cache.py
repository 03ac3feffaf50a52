"""The memory of SQLite's one writer: rate-limit hits, recent ratings per device, and
the cache of rows ratings read but never change, all carried by its connection.

They exist because SQLite has one writer that sees every write (see sqlite.py); the
PostgreSQL store, which several app instances share, keeps the same facts as rows.
"""

from __future__ import annotations

import collections
import logging
import sqlite3
from typing import Any

from rating.clock import now_ms
from rating.store import logic

log = logging.getLogger("pingjing.store")


class HitCounts:
    """The rate-limit counters of SQLite's one writer, kept in its memory.

    On SQLite every write goes through the one writer, so its memory sees every hit.
    Counting there instead of in rate_limits spares each rating an upsert into a random
    page of that table and of its index, written to the WAL at every commit: about a
    third of the writer's work per rating, measured (docs/performance.md). The counters
    start afresh when the writer does (a restart, or after a crash). PostgreSQL, which
    several app instances share, keeps them as rows.
    """

    __slots__ = ("hits",)

    def __init__(self) -> None:
        self.hits: dict[tuple[int, str], int] = {}

    def prune(self, now: int) -> None:
        """Forget windows that ended long ago (as logic.prune_counters does for rows)."""
        old = now - 2 * logic.HOUR_MS
        for key in [k for k in self.hits if k[0] < old]:
            del self.hits[key]


class DeviceLog:
    """Each device's ratings of the last hours, kept in the memory of SQLite's writer, in
    place of an index on ratings(device_hash).

    A device's cookie is random, so each new rating's entry in such an index landed on a
    leaf page of its own, written to the WAL at every commit: under load the index grew
    with every new device and slowed the writer more each minute (docs/performance.md).
    The device limit and the amend window only look back an hour or so, and every rating
    goes through the writer, so it keeps those entries itself: loaded from the table when
    it starts, extended with its own inserts after they commit, and with rows another
    connection committed (a CLI command, a second worker), read by id once SQLite's
    data_version shows one. A look further back than it keeps (`span_ms`: two hours, or
    the amend window if longer) is answered by the table, through the index of ratings
    whose hashes the purge has not yet cleared.

    In a flood of new devices it keeps at most MAX_ENTRIES (about 440 bytes each) and
    forgets the oldest beyond that: for the devices it forgot, a second rating within the
    window is then stored as a new one instead of amending the first. Asking the table
    instead would cost every rating a scan of the flood. A warning says when it happens.
    """

    SPAN_MS = 2 * logic.HOUR_MS
    MAX_ENTRIES = 500_000

    __slots__ = (
        "by_device",
        "order",
        "max_id",
        "floor",
        "stale",
        "span_ms",
        "forgotten",
        "warned_at",
    )

    def __init__(self) -> None:
        # Tuples of tuples of ints, not lists: the garbage collector stops tracking them,
        # so its full collections do not walk a flood's worth of entries (a pause that
        # showed in the p99).
        self.by_device: dict[str, tuple[tuple[int, int, int], ...]] = {}
        self.order: collections.deque[tuple[int, str]] = collections.deque()
        self.max_id = -1  # the largest rating id accounted for; -1: not loaded yet
        self.floor = 0  # entries created before this are not kept (too old)
        self.stale = False  # another connection has committed since the last look
        self.span_ms = self.SPAN_MS
        self.forgotten = 0  # entries dropped for MAX_ENTRIES since the last warning
        self.warned_at = -logic.HOUR_MS  # at most one warning a minute

    def covers(self, since: int) -> bool:
        return self.max_id >= 0 and since >= self.floor

    def sync(self, conn: sqlite3.Connection, now: int) -> None:
        """Load or catch up with the table, and forget what is older than `span_ms`.
        Called as a write transaction begins, before it has inserted anything."""
        if self.max_id < 0:
            self.floor = now - self.span_ms
            self.max_id = int(
                conn.execute("SELECT COALESCE(MAX(id), 0) FROM ratings").fetchone()[0]
            )
            rows = conn.execute(
                "SELECT id, device_hash, officer_id, created_at FROM ratings "
                "WHERE device_hash IS NOT NULL AND created_at >= ? ORDER BY created_at",
                (self.floor,),
            ).fetchall()
        elif self.stale:
            rows = conn.execute(
                "SELECT id, device_hash, officer_id, created_at FROM ratings WHERE id > ? "
                "ORDER BY id",
                (self.max_id,),
            ).fetchall()
        else:
            rows = []
        self.stale = False
        for rating_id, device_hash, officer_id, created_at in rows:
            if device_hash is None:
                self.max_id = max(self.max_id, int(rating_id))
            else:
                self.add(device_hash, int(rating_id), int(officer_id), int(created_at))
        cutoff = now - self.span_ms
        if self.floor < cutoff:
            self.floor = cutoff
            while self.order and self.order[0][0] < cutoff:
                self._forget_oldest()
        if self.forgotten and now - self.warned_at >= 60_000:
            self.warned_at = now
            log.warning(
                "device log full (%d entries): forgot the %d oldest; their devices' next "
                "ratings within the amend window are stored as new ones",
                self.MAX_ENTRIES,
                self.forgotten,
            )
            self.forgotten = 0

    def add(self, device_hash: str, rating_id: int, officer_id: int, created_at: int) -> None:
        self.max_id = max(self.max_id, rating_id)
        if created_at < self.floor:
            return  # older than what is kept (a back-dated rating): the table answers
        self.by_device[device_hash] = self.by_device.get(device_hash, ()) + (
            (rating_id, officer_id, created_at),
        )
        self.order.append((created_at, device_hash))
        if len(self.order) > self.MAX_ENTRIES:
            self.forgotten += 1
            self._forget_oldest()

    def _forget_oldest(self) -> None:
        created_at, device_hash = self.order.popleft()
        entries = self.by_device.get(device_hash)
        if entries is None:
            return
        k = next((k for k, e in enumerate(entries) if e[2] == created_at), 0)
        rest = entries[:k] + entries[k + 1 :]
        if rest:
            self.by_device[device_hash] = rest
        else:
            del self.by_device[device_hash]

    def recent(self, device_hash: str, since: int) -> list[tuple[int, int, int]]:
        return [e for e in self.by_device.get(device_hash, ()) if e[2] >= since]


class WriterConnection(sqlite3.Connection):
    """The writer's connection: it carries the writer's hit counters, and a cache of the
    rows ratings read but never change (a badge token's officer), valid while nothing
    else writes: any other write on this connection drops it, and so does a commit by
    any other connection (a CLI command), which SQLite's data_version shows."""

    CACHE_MAX = 200_000  # found rows only, so about the officers of a province

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hits = HitCounts()
        self.devices = DeviceLog()
        self.cache: dict[tuple[str, tuple[Any, ...]], tuple[Any, ...]] = {}
        self._data_version: int | None = None

    def check_cache(self) -> None:
        """At the start of a write transaction: drop the cache if another connection has
        committed since the last look, and bring the device log up to date."""
        version = self.execute("PRAGMA data_version").fetchone()[0]
        if version != self._data_version:
            self.cache.clear()
            self.devices.stale = True
            self._data_version = version
        self.devices.sync(self, now_ms())

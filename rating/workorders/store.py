"""Units of work for work orders: the import upsert, unit aliases and the import log.

Like `rating.store.logic`, each function runs inside one transaction on a `Tx` with
portable SQL, so the SQLite and PostgreSQL stores share them. The async helpers at the
bottom run them through a `Store`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from rating.cases.calendar import WorkCalendar
from rating.cases.deadlines import load_calendar
from rating.cases.history import keep_workorder_revisions
from rating.cases.sla import SlaTable, load_sla
from rating.clock import now_ms
from rating.store import Store
from rating.store.sqlite import SqliteStore
from rating.store.tx import Tx
from rating.workorders.loop import apply_rules
from rating.workorders.parse import OrderRow, ParsedFile, rejects_csv
from rating.workorders.profiles import norm_header
from rating.workorders.reader import ImportFileError
from rating.workorders.schema import DB_COLUMNS, FIELDS

FETCH_CHUNK = 500  # order numbers per existence query
WRITE_CHUNK = 250  # rows per multi-row upsert (x ~28 columns, under every backend's limit)
IMPORT_CHUNK = 250  # rows per transaction while citizens rate: the lock is held a few ms
# Rows per transaction while no citizen has rated for IDLE_AFTER_S: fewer transactions and
# pauses (a 60,000-row import spent ~1.8 s in pauses). The first rating to come then waits
# for one such transaction at most; from then on the import is back at IMPORT_CHUNK.
IMPORT_CHUNK_IDLE = 2000
IDLE_AFTER_S = 2.0
# The least time between two of an import's transactions, so that the server's writer,
# waiting in SQLite's busy handler (which sleeps 1, 2, 5, 10, 15 ms ... between tries),
# gets the lock before the import takes it again (without it, it can miss every gap for a
# while: a citizen's rating then waits hundreds of milliseconds). The import prepares its
# next chunk in that time (`Pacer`), so only what its own work does not fill is a sleep.
IMPORT_PAUSE_S = 0.015
# The CPU priority (nice) of an import's parsing and matching: citizens' requests come
# first. Its write transactions keep the caller's priority: a thread that is descheduled
# while it holds the write lock would keep the server's writer waiting.
IMPORT_NICE = 10
# The first pass over a file (the check) keeps up to this many good rows, so that a file
# of that size is read once, not twice (`RowKeeper`); a larger one is read again, a chunk
# at a time, into the database (`import_streamed`), so memory does not grow with it.
KEEP_ROWS = 100_000

T = TypeVar("T")


def lower_thread_priority(nice: int) -> None:
    """Lower the calling thread's CPU priority to `nice` (Linux, where setpriority takes a
    thread id and a thread's nice value is its own); elsewhere do nothing."""
    if sys.platform != "linux":
        return
    tid = threading.get_native_id()
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, tid, max(nice, os.getpriority(os.PRIO_PROCESS, tid)))


def at_low_priority(fn: Callable[[], T]) -> T:
    """`fn()` on a new thread at IMPORT_NICE; its result or exception. A thread of its own,
    so the caller keeps its priority (the CLI runs inside the tests' process, and an
    unprivileged thread cannot raise its priority back)."""
    box: dict[str, Any] = {}

    def run() -> None:
        lower_thread_priority(IMPORT_NICE)
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=run, name="pingjing-import")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    value: T = box["value"]
    return value


class RowKeeper:
    """The good rows of a file's first pass, up to `limit` (KEEP_ROWS); past that it lets
    them all go and says so (`overflow`): the import then reads the file again."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = KEEP_ROWS if limit is None else limit
        self.rows: list[OrderRow] = []
        self.overflow = False

    def __call__(self, row: OrderRow) -> None:
        if self.overflow:
            return
        if len(self.rows) >= self.limit:
            self.overflow = True
            self.rows = []
            return
        self.rows.append(row)


class Pacer:
    """Keeps IMPORT_PAUSE_S between an import's write transactions, or while citizens
    rate as long as the last transaction took if that is longer (`wait_s` is what is
    left of the pause after the work done since the last commit) and chooses the size of
    the next one: IMPORT_CHUNK while citizens rate (a rating was added between two of
    the import's transactions within IDLE_AFTER_S), IMPORT_CHUNK_IDLE otherwise."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.last: float | None = None
        self.slept_s = 0.0  # the pauses' share of the import's time (the benchmark prints it)
        self.last_rating: int | None = None
        self.rated_at: float | None = None  # when the import last saw a new rating
        self.started: float | None = None  # when the last transaction was sent
        self.held_s = 0.0  # how long it took, to its commit

    def citizens_rate(self) -> bool:
        if self.last_rating is None:  # nothing known yet: assume citizens are about
            return True
        return self.rated_at is not None and self.clock() - self.rated_at < IDLE_AFTER_S

    def chunk_size(self) -> int:
        return IMPORT_CHUNK if self.citizens_rate() else IMPORT_CHUNK_IDLE

    def wait_s(self) -> float:
        """Called just before a transaction: how long to sleep first."""
        if self.last is None:
            self.started = self.clock()
            return 0.0
        # While citizens rate, the import leaves the lock free at least as long as it held
        # it the last time: on a busy machine a 500-row transaction can take 30-40 ms,
        # and with only IMPORT_PAUSE_S between them (an import whose rows are all parsed
        # has little else to do in the pause) it held the lock most of the time.
        pause = max(IMPORT_PAUSE_S, self.held_s) if self.citizens_rate() else IMPORT_PAUSE_S
        wait = max(0.0, pause - (self.clock() - self.last))
        self.slept_s += wait
        self.started = self.clock() + wait
        return wait

    def committed(self, last_rating: int = 0) -> None:
        """A transaction committed; `last_rating` is the newest rating's id it saw."""
        self.last = self.clock()
        if self.started is not None:
            self.held_s = self.last - self.started
        if self.last_rating is not None and last_rating != self.last_rating:
            self.rated_at = self.last
        self.last_rating = last_rating


class Checkpointer:
    """Copies the WAL into the database file after each of an import's transactions, on
    the import's own connection and outside the write lock (`PRAGMA wal_checkpoint
    (PASSIVE)`; SQLite stores only: PostgreSQL has no such step).

    Left to SQLite, a checkpoint is run by whichever connection commits while the WAL
    holds more than 1,000 pages. An import fills it with its own pages, but the server's
    writer commits far more often, so it was mostly the server's writer that ran it:
    copying the import's pages and syncing the database file inside the COMMIT of a batch
    of citizens' ratings. Checkpointed at once by the import, the WAL is fully copied
    when the server's writer begins its next transaction, which then starts the WAL
    afresh (SQLite does so when nothing in it is still needed), and its commits stay
    small. Only while citizens rate (`Pacer.citizens_rate`): otherwise the import is the
    one committer and SQLite's own checkpoints, once per 1,000 pages, cost it fewer syncs
    than one per transaction."""

    def __init__(self, store: Store) -> None:
        self.path = store.path if isinstance(store, SqliteStore) else None
        self._conn: sqlite3.Connection | None = None

    def __call__(self) -> None:
        if self.path is None:
            return
        if self._conn is None:
            self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        # Busy (another checkpoint running) is a result row, not an error; any other
        # failure only leaves the checkpoint to SQLite's own.
        with contextlib.suppress(sqlite3.Error):
            self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def norm_unit(name: str) -> str:
    """A unit name as compared: no spaces, ASCII parentheses, case-insensitive."""
    return norm_header(name)


@dataclass(frozen=True)
class Unmatched:
    """A unit name or badge number of the file that matched nothing."""

    value: str
    rows: int
    first_line: int
    reason: str


@dataclass
class ImportResult:
    import_id: int | None = None
    paused_s: float = 0.0  # time spent waiting between transactions (see IMPORT_PAUSE_S)
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    unmatched_units: list[Unmatched] = field(default_factory=list)
    unmatched_badges: list[Unmatched] = field(default_factory=list)
    previous: tuple[int, int] | None = None  # (import id, time) of the same file before
    taken_in: int = 0  # orders the rules took into the case loop (rating/workorders/loop.py)


@dataclass(frozen=True)
class ImportRecord:
    id: int
    channel: str
    profile: str
    file_name: str
    file_sha256: str
    rows_total: int
    new: int
    updated: int
    unchanged: int
    rejected: int
    units_unmatched: int
    officers_unmatched: int
    imported_at: int
    has_rejects: bool = False  # the rejected rows are stored (see `import_rejects`)


class AliasError(Exception):
    """An alias cannot be added (unknown unit); the message says why."""


# ---------------------------------------------------------------- matching


class UnitMatcher:
    """Unit by code, then alias, then full path, name or a trailing part of the path
    written with or without separators (桥东分局胜利路派出所)."""

    def __init__(self, tx: Tx) -> None:
        self.paths: dict[int, str] = {}
        self.codes: dict[str, int] = {}
        self.names: dict[str, set[int]] = {}
        for uid, code, path in tx.all("SELECT id, code, path FROM units"):
            uid = int(uid)
            self.paths[uid] = path
            self.codes[code] = uid
            parts = path.split("/")
            for i in range(len(parts)):
                for joiner in ("", "/"):
                    self.names.setdefault(norm_unit(joiner.join(parts[i:])), set()).add(uid)
        self.aliases = {
            norm_unit(alias): int(uid)
            for alias, uid in tx.all("SELECT alias, unit_id FROM unit_aliases")
        }
        self._cache: dict[str, int | str] = {}

    def match(self, raw: str) -> int | str:
        """The unit id, or why there is none."""
        hit = self._cache.get(raw)
        if hit is None:
            hit = self._match(raw)
            self._cache[raw] = hit
        return hit

    def _match(self, raw: str) -> int | str:
        if raw in self.codes:
            return self.codes[raw]
        key = norm_unit(raw)
        if key in self.aliases:
            return self.aliases[key]
        ids = self.names.get(key, set())
        if len(ids) == 1:
            return next(iter(ids))
        if ids:
            paths = sorted(self.paths[i] for i in ids)
            return f"ambiguous: {len(ids)} units match ({'; '.join(paths[:3])}); add an alias"
        return "no unit has this code, name, path or alias"


class OfficerMatcher:
    def __init__(self, tx: Tx) -> None:
        self.ids = {b: int(i) for i, b in tx.all("SELECT id, badge_no FROM officers")}

    def match(self, badges: str) -> int | None:
        for badge in badges.split(","):
            if badge in self.ids:
                return self.ids[badge]
        return None


def _note(seen: dict[str, list[Any]], value: str, line: int, reason: str) -> None:
    entry = seen.get(value)
    if entry is None:
        seen[value] = [1, line, reason]
    else:
        entry[0] += 1


def _unmatched(seen: dict[str, list[Any]]) -> list[Unmatched]:
    out = [Unmatched(v, n, line, reason) for v, (n, line, reason) in seen.items()]
    return sorted(out, key=lambda u: (-u.rows, u.first_line))


@dataclass
class Lookup:
    """What matching and due times read from the database, read once per import
    (`load_lookup`), so that the work on each row happens outside the write transaction.
    An import matches against the units, aliases, roster and SLA as they stood when it
    began."""

    units: UnitMatcher | None
    officers: OfficerMatcher | None
    sla: SlaTable
    cal: WorkCalendar


def load_lookup(tx: Tx, db_columns: tuple[str, ...]) -> Lookup:
    return Lookup(
        UnitMatcher(tx) if "unit_name" in db_columns else None,
        OfficerMatcher(tx) if "badge_no" in db_columns else None,
        load_sla(tx),
        load_calendar(tx),
    )


def _matched_rows(
    lookup: Lookup,
    db_columns: tuple[str, ...],
    rows: list[OrderRow],
    bad_units: dict[str, list[Any]],
    bad_badges: dict[str, list[Any]],
) -> list[tuple[Any, ...]]:
    """Each row's values with unit_id / officer_id appended (when the file has the column);
    unmatched names and badges are noted in `bad_units` / `bad_badges`."""
    cols = db_columns
    unit_at = cols.index("unit_name") if "unit_name" in cols else None
    badge_at = cols.index("badge_no") if "badge_no" in cols else None
    units, officers = lookup.units, lookup.officers
    out = []
    for row in rows:
        extra: list[Any] = []
        if units is not None and unit_at is not None:
            name = row.values[unit_at]
            unit_id = None
            if name is not None:
                hit = units.match(name)
                if isinstance(hit, int):
                    unit_id = hit
                else:
                    _note(bad_units, name, row.line, hit)
            extra.append(unit_id)
        if officers is not None and badge_at is not None:
            badges = row.values[badge_at]
            officer_id = officers.match(badges) if badges is not None else None
            if badges is not None and officer_id is None:
                _note(bad_badges, badges, row.line, "no officer has this badge number")
            extra.append(officer_id)
        out.append(row.values + tuple(extra))
    return out


def preview_matches(tx: Tx, parsed: ParsedFile) -> ImportResult:
    """Matching only (read-only): what an import of `parsed` would leave unmatched."""
    result = ImportResult(rejected=parsed.bad_lines)
    units: dict[str, list[Any]] = {}
    badges: dict[str, list[Any]] = {}
    _matched_rows(load_lookup(tx, parsed.db_columns), parsed.db_columns, parsed.rows, units,
                  badges)  # fmt: skip
    result.unmatched_units = _unmatched(units)
    result.unmatched_badges = _unmatched(badges)
    return result


# ---------------------------------------------------------------- import


def _columns(db_columns: tuple[str, ...]) -> list[str]:
    cols = list(db_columns)
    if "unit_name" in cols:
        cols.append("unit_id")
    if "badge_no" in cols:
        cols.append("officer_id")
    return cols


def _with_due(
    lookup: Lookup, rows: list[tuple[Any, ...]], cols: list[str], channel: str
) -> tuple[list[tuple[Any, ...]], list[str]]:
    """Every row with a due time: the file's, else its category's SLA (`due_source` says
    which), so on-time closure can judge every order."""
    sla, cal = lookup.sla, lookup.cal
    at = {c: i for i, c in enumerate(cols)}
    due_at = at.get("due_at")
    out = []
    for values in rows:
        due = values[due_at] if due_at is not None else None
        source = "source"
        if due is None:
            due, _ = sla.due_at(
                cal,
                channel,
                values[at["category"]] if "category" in at else None,
                values[at["order_type"]] if "order_type" in at else None,
                int(values[at["received_at"]]),
            )
            source = "sla"
        if due_at is None:
            out.append((*values, due, source))
        else:
            out.append((*values[:due_at], due, *values[due_at + 1 :], source))
    new_cols = [*cols, "due_at", "due_source"] if due_at is None else [*cols, "due_source"]
    return out, new_cols


_DUE_COLS = ("due_at", "due_source")


def _upsert_sql(cols: list[str], rows: int, keep_due: bool = False) -> str:
    all_cols = ["channel", *cols, "first_import_id", "last_import_id", "created_at", "updated_at"]
    placeholders = "(" + ", ".join("?" * len(all_cols)) + ")"
    sets = []
    for col in [*cols, "last_import_id", "updated_at"]:
        if col == "order_no":
            continue
        if col in ("phone_enc", "phone_hash"):
            # A hotline that masks numbers (138****5678) must not erase the number an
            # earlier, unmasked export gave for the same caller.
            sets.append(
                f"{col} = CASE WHEN excluded.phone_hash IS NULL AND "
                f"excluded.phone_mask = workorders.phone_mask THEN workorders.{col} "
                f"ELSE excluded.{col} END"
            )
        elif keep_due and col in _DUE_COLS:
            sets.append(
                f"{col} = CASE WHEN workorders.due_at IS NULL THEN excluded.{col} "
                f"ELSE workorders.{col} END"
            )
        else:
            sets.append(f"{col} = excluded.{col}")
    return (
        f"INSERT INTO workorders ({', '.join(all_cols)}) VALUES "
        + ", ".join([placeholders] * rows)
        + " ON CONFLICT (channel, order_no) DO UPDATE SET "
        + ", ".join(sets)
    )


@dataclass(frozen=True)
class ImportMeta:
    """What the import log records of a file (no rows: it travels to the writer)."""

    channel: str
    profile: str
    file_name: str
    sha256: str
    data_rows: int
    rejected: int
    rejects_csv: str | None


def import_meta(parsed: ParsedFile, channel: str) -> ImportMeta:
    return ImportMeta(
        channel,
        parsed.profile.name,
        parsed.path.name,
        parsed.sha256,
        parsed.data_rows,
        parsed.bad_lines,
        rejects_csv(parsed) if parsed.rejects is not None else None,
    )


def begin_import(tx: Tx, meta: ImportMeta, now: int) -> ImportResult:
    """Log the import (counts filled in by `finish_import`) and keep its rejected rows."""
    result = ImportResult(rejected=meta.rejected)
    prev = tx.one(
        "SELECT id, imported_at FROM workorder_imports WHERE channel = ? AND file_sha256 = ? "
        "ORDER BY id DESC LIMIT 1",
        (meta.channel, meta.sha256),
    )
    if prev is not None:
        result.previous = (int(prev[0]), int(prev[1]))
    result.import_id = tx.insert(
        "INSERT INTO workorder_imports (channel, profile, file_name, file_sha256, rows_total, "
        "rows_new, rows_updated, rows_unchanged, rows_rejected, units_unmatched, "
        "officers_unmatched, imported_at) VALUES (?, ?, ?, ?, ?, 0, 0, 0, ?, 0, 0, ?) "
        "RETURNING id",
        (meta.channel, meta.profile, meta.file_name, meta.sha256, meta.data_rows,
         meta.rejected, now),
    )  # fmt: skip
    if meta.rejects_csv is not None:
        tx.run(
            "INSERT INTO workorder_import_rejects (import_id, csv_text) VALUES (?, ?)",
            (result.import_id, meta.rejects_csv),
        )
    return result


@dataclass
class ChunkResult:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    bad_units: dict[str, list[Any]] = field(default_factory=dict)
    bad_badges: dict[str, list[Any]] = field(default_factory=dict)
    last_rating: int = 0  # the newest rating's id when the chunk was written (`Pacer`)


@dataclass
class PreparedRows:
    """Some rows of an import matched and given due times (`prepare_rows`), ready for
    `write_rows`: plain values, so they can travel to a writer process."""

    cols: list[str]
    rows: list[tuple[Any, ...]]
    file_due: bool
    bad_units: dict[str, list[Any]] = field(default_factory=dict)
    bad_badges: dict[str, list[Any]] = field(default_factory=dict)


def prepare_rows(
    lookup: Lookup, channel: str, db_columns: tuple[str, ...], rows: list[OrderRow]
) -> PreparedRows:
    """Match units and officers and work out due times: the per-row work of an import,
    done before its write transaction so the write lock is held only for the SQL."""
    bad_units: dict[str, list[Any]] = {}
    bad_badges: dict[str, list[Any]] = {}
    matched, cols = _with_due(
        lookup,
        _matched_rows(lookup, db_columns, rows, bad_units, bad_badges),
        _columns(db_columns),
        channel,
    )
    return PreparedRows(cols, matched, "due_at" in db_columns, bad_units, bad_badges)


def apply_rows(
    tx: Tx,
    channel: str,
    db_columns: tuple[str, ...],
    rows: list[OrderRow],
    import_id: int,
    now: int,
) -> ChunkResult:
    """Upsert some good rows of an import by (channel, order number): `prepare_rows` and
    `write_rows` in one transaction."""
    prepared = prepare_rows(load_lookup(tx, db_columns), channel, db_columns, rows)
    return write_rows(tx, channel, prepared, import_id, now)


def write_rows(
    tx: Tx, channel: str, prepared: PreparedRows, import_id: int, now: int
) -> ChunkResult:
    """Upsert prepared rows by (channel, order number). Rows identical to what is stored
    are left alone and counted as unchanged."""
    out = ChunkResult(bad_units=prepared.bad_units, bad_badges=prepared.bad_badges)
    newest = tx.one("SELECT MAX(id) FROM ratings")  # the end of an index: cheap
    out.last_rating = int(newest[0] or 0) if newest else 0
    file_due, matched, cols = prepared.file_due, prepared.rows, prepared.cols
    # Compare on everything but the ciphertext (a fresh nonce each time) and order_no.
    # A file without a due-time column leaves stored due times alone (new orders get
    # their SLA's), so it does not compare them either.
    skip = ("phone_enc", "order_no") if file_due else ("phone_enc", "order_no", *_DUE_COLS)
    cmp_at = [i for i, c in enumerate(cols) if c not in skip]
    hash_at = cols.index("phone_hash") if "phone_hash" in cols else None
    mask_at = cols.index("phone_mask") if "phone_mask" in cols else None
    cmp_cols = [cols[i] for i in cmp_at]
    changed: list[tuple[Any, ...]] = []
    replaced: list[str] = []  # order numbers of stored orders this import changes
    for start in range(0, len(matched), FETCH_CHUNK):
        chunk = matched[start : start + FETCH_CHUNK]
        stored = {
            r[0]: r[1:]
            for r in tx.all(
                f"SELECT order_no, {', '.join(cmp_cols)} FROM workorders WHERE channel = ? "
                f"AND order_no IN ({', '.join('?' * len(chunk))})",
                [channel, *(r[0] for r in chunk)],
            )
        }
        for values in chunk:
            old = stored.get(values[0])
            if old is None:
                out.new += 1
                changed.append(values)
                continue
            new = [values[i] for i in cmp_at]
            if hash_at is not None and mask_at is not None and values[hash_at] is None:
                old_hash = old[cmp_at.index(hash_at)]
                if values[mask_at] == old[cmp_at.index(mask_at)]:
                    new[cmp_at.index(hash_at)] = old_hash  # masked copy of the same number
            if tuple(new) == tuple(old):
                out.unchanged += 1
            else:
                out.updated += 1
                changed.append(values)
                replaced.append(values[0])
    # Keep what the import overwrites: a report for an earlier moment reads it.
    for start in range(0, len(replaced), FETCH_CHUNK):
        nos = replaced[start : start + FETCH_CHUNK]
        keep_workorder_revisions(
            tx,
            f"channel = ? AND order_no IN ({', '.join('?' * len(nos))})",
            [channel, *nos],
            now,
            import_id,
        )
    tail = (import_id, import_id, now, now)
    for start in range(0, len(changed), WRITE_CHUNK):
        part = changed[start : start + WRITE_CHUNK]
        params: list[Any] = []
        for values in part:
            params.append(channel)
            params.extend(values)
            params.extend(tail)
        tx.run(_upsert_sql(cols, len(part), keep_due=not file_due), params)
    return out


def _merge(into: ImportResult, seen: tuple[dict[str, list[Any]], dict[str, list[Any]]],
           part: ChunkResult) -> None:  # fmt: skip
    into.new += part.new
    into.updated += part.updated
    into.unchanged += part.unchanged
    for mine, theirs in zip(seen, (part.bad_units, part.bad_badges), strict=True):
        for value, (n, line, reason) in theirs.items():
            entry = mine.get(value)
            if entry is None:
                mine[value] = [n, line, reason]
            else:
                entry[0] += n
                if line < entry[1]:
                    entry[1], entry[2] = line, reason


def preview_rows(lookup: Lookup, db_columns: tuple[str, ...], rows: list[OrderRow]) -> ChunkResult:
    """Matching only for some rows: what an import would leave unmatched."""
    out = ChunkResult()
    _matched_rows(lookup, db_columns, rows, out.bad_units, out.bad_badges)
    return out


def finish_import(tx: Tx, result: ImportResult) -> None:
    tx.run(
        "UPDATE workorder_imports SET rows_new = ?, rows_updated = ?, rows_unchanged = ?, "
        "units_unmatched = ?, officers_unmatched = ? WHERE id = ?",
        (
            result.new,
            result.updated,
            result.unchanged,
            sum(u.rows for u in result.unmatched_units),
            sum(u.rows for u in result.unmatched_badges),
            result.import_id,
        ),
    )


def apply_import(tx: Tx, parsed: ParsedFile, channel: str, now: int) -> ImportResult:
    """The whole import in one transaction (`import_parsed` splits it instead)."""
    result = begin_import(tx, import_meta(parsed, channel), now)
    assert result.import_id is not None
    seen: tuple[dict[str, list[Any]], dict[str, list[Any]]] = ({}, {})
    _merge(result, seen, apply_rows(tx, channel, parsed.db_columns, parsed.rows,
                                    result.import_id, now))  # fmt: skip
    result.unmatched_units, result.unmatched_badges = _unmatched(seen[0]), _unmatched(seen[1])
    finish_import(tx, result)
    return result


def list_imports(tx: Tx, limit: int = 20) -> list[ImportRecord]:
    rows = tx.all(
        "SELECT i.id, i.channel, i.profile, i.file_name, i.file_sha256, i.rows_total, "
        "i.rows_new, i.rows_updated, i.rows_unchanged, i.rows_rejected, i.units_unmatched, "
        "i.officers_unmatched, i.imported_at, CASE WHEN r.import_id IS NULL THEN 0 ELSE 1 END "
        "FROM workorder_imports i LEFT JOIN workorder_import_rejects r ON r.import_id = i.id "
        "ORDER BY i.id DESC LIMIT ?",
        (limit,),
    )
    return [
        ImportRecord(
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            int(r[5]),
            int(r[6]),
            int(r[7]),
            int(r[8]),
            int(r[9]),
            int(r[10]),
            int(r[11]),
            int(r[12]),
            has_rejects=bool(r[13]),
        )  # fmt: skip
        for r in rows
    ]


def import_rejects(tx: Tx, import_id: int) -> tuple[str, str] | None:
    """(file name, rejects CSV text) of an import that skipped bad rows; None if it has none."""
    row = tx.one(
        "SELECT i.file_name, r.csv_text FROM workorder_import_rejects r "
        "JOIN workorder_imports i ON i.id = r.import_id WHERE r.import_id = ?",
        (import_id,),
    )
    return (str(row[0]), str(row[1])) if row else None


# ---------------------------------------------------------------- aliases


def _unit_for_alias(tx: Tx, ref: str) -> tuple[int, str, str]:
    ref = ref.strip().strip("/")
    row = tx.one("SELECT id, code, path FROM units WHERE code = ? OR path = ?", (ref, ref))
    if row is None:
        named = tx.all("SELECT id, code, path FROM units WHERE name = ?", (ref,))
        if len(named) > 1:
            raise AliasError(
                f"{len(named)} units are named {ref!r}; give the unit code or full path"
            )
        row = named[0] if named else None
    if row is None:
        raise AliasError(f"unknown unit {ref!r}: give a unit code, full path or unique name")
    return int(row[0]), row[1], row[2]


def add_alias(tx: Tx, alias: str, unit_ref: str, now: int) -> tuple[str, int]:
    """Point `alias` (a name hotlines use) at a unit; re-match stored work orders that
    carry that name. Returns (unit path, work orders re-matched)."""
    alias = alias.strip()
    if not alias:
        raise AliasError("the alias is empty")
    unit_id, _, path = _unit_for_alias(tx, unit_ref)
    key = norm_unit(alias)
    for (other,) in tx.all("SELECT alias FROM unit_aliases"):
        if other != alias and norm_unit(other) == key:  # the same alias spelled apart
            tx.run("DELETE FROM unit_aliases WHERE alias = ?", (other,))
    tx.run(
        "INSERT INTO unit_aliases (alias, unit_id, created_at) VALUES (?, ?, ?) "
        "ON CONFLICT (alias) DO UPDATE SET unit_id = excluded.unit_id",
        (alias, unit_id, now),
    )
    names = [
        r[0]
        for r in tx.all("SELECT DISTINCT unit_name FROM workorders WHERE unit_name IS NOT NULL")
        if norm_unit(r[0]) == key
    ]
    moved = 0
    for name in names:
        keep_workorder_revisions(
            tx, "unit_name = ? AND (unit_id IS NULL OR unit_id <> ?)", (name, unit_id), now, None
        )
        moved += tx.run(
            "UPDATE workorders SET unit_id = ?, updated_at = ? "
            "WHERE unit_name = ? AND (unit_id IS NULL OR unit_id <> ?)",
            (unit_id, now, name, unit_id),
        )
    return path, moved


def remove_alias(tx: Tx, alias: str) -> bool:
    return tx.run("DELETE FROM unit_aliases WHERE alias = ?", (alias.strip(),)) > 0


def list_aliases(tx: Tx) -> list[tuple[str, str, str]]:
    """(alias, unit code, unit path), by alias."""
    rows = tx.all(
        "SELECT a.alias, u.code, u.path FROM unit_aliases a JOIN units u ON u.id = a.unit_id "
        "ORDER BY a.alias"
    )
    return [(r[0], r[1], r[2]) for r in rows]


# ---------------------------------------------------------------- through a Store


async def import_parsed(
    store: Store, parsed: ParsedFile, channel: str, *, skip_bad: bool
) -> ImportResult:
    """Store the file's good rows; with bad rows and not `skip_bad`, store nothing and only
    report what matching would find.

    The file is checked whole before anything is written. The rows then go in
    transactions of IMPORT_CHUNK rows each, so the database's write lock is never held
    for long and citizens' ratings are committed between them; each chunk is matched
    before its transaction, in the pause after the one before (`Pacer`). The import log
    entry gets its counts last. An import cut off half-way (a crash) leaves some rows
    stored: importing the file again completes it, since rows are upserted by order
    number.
    """
    if parsed.errors and not skip_bad:
        return await store.read(preview_matches, parsed)
    now = now_ms()
    result = await store.write(begin_import, import_meta(parsed, channel), now)
    assert result.import_id is not None
    lookup = await store.read(load_lookup, parsed.db_columns)
    pacer = Pacer()
    checkpoint = Checkpointer(store)
    seen: tuple[dict[str, list[Any]], dict[str, list[Any]]] = ({}, {})
    start = 0
    try:
        while start < len(parsed.rows):
            rows = parsed.rows[start : start + pacer.chunk_size()]
            start += len(rows)
            prepared = prepare_rows(lookup, channel, parsed.db_columns, rows)
            wait = pacer.wait_s()
            if wait:
                await asyncio.sleep(wait)
            part = await store.write(write_rows, channel, prepared, result.import_id, now)
            pacer.committed(part.last_rating)
            if pacer.citizens_rate():  # in the pause, outside the write lock
                await asyncio.to_thread(checkpoint)
            _merge(result, seen, part)
    finally:
        checkpoint.close()
    result.unmatched_units, result.unmatched_badges = _unmatched(seen[0]), _unmatched(seen[1])
    result.paused_s = pacer.slept_s
    await store.write(finish_import, result)
    return result


async def stored_orders(store: Store, channel: str) -> list[dict[str, Any]]:
    """Every stored work order of a channel as a dict of its columns, by order number."""
    cols = [
        *(c for f in FIELDS for c in DB_COLUMNS[f.name]),
        "unit_id",
        "officer_id",
        "first_import_id",
        "last_import_id",
    ]

    def work(tx: Tx) -> list[dict[str, Any]]:
        rows = tx.all(
            f"SELECT {', '.join(cols)} FROM workorders WHERE channel = ? ORDER BY order_no",
            (channel,),
        )
        return [dict(zip(cols, r, strict=True)) for r in rows]

    return await store.read(work)


async def import_streamed(
    store: Store,
    parsed: ParsedFile,
    rescan: Callable[[Callable[[OrderRow], None]], ParsedFile],
    channel: str,
    *,
    skip_bad: bool,
) -> ImportResult:
    """`import_parsed` for a file whose rows were not kept: `parsed` is the first pass
    (header, errors, rejected rows, counts) and `rescan(sink)` reads the file again,
    handing each good row to `sink`. Rows go to the database IMPORT_CHUNK at a time as they
    are read, so memory holds one chunk, not the file. The scan (reading, matching) runs
    on a thread of its own at IMPORT_NICE; the write transactions on the store's."""
    loop = asyncio.get_running_loop()
    preview = bool(parsed.errors) and not skip_bad
    now = now_ms()
    if preview:
        result = ImportResult(rejected=parsed.bad_lines)
    else:
        result = await store.write(begin_import, import_meta(parsed, channel), now)
    import_id = result.import_id or 0
    lookup = await store.read(load_lookup, parsed.db_columns)
    pacer = Pacer()
    seen: tuple[dict[str, list[Any]], dict[str, list[Any]]] = ({}, {})
    chunk: list[OrderRow] = []

    def flush() -> None:  # on the scanning thread: wait for the chunk to be stored
        rows = list(chunk)
        chunk.clear()
        if preview:
            _merge(result, seen, preview_rows(lookup, parsed.db_columns, rows))
            return
        prepared = prepare_rows(lookup, channel, parsed.db_columns, rows)
        time.sleep(pacer.wait_s())  # what reading and matching left of the pause
        work = store.write(write_rows, channel, prepared, import_id, now)
        part = asyncio.run_coroutine_threadsafe(work, loop).result()
        pacer.committed(part.last_rating)
        if pacer.citizens_rate():  # in the pause, outside the write lock
            checkpoint()
        _merge(result, seen, part)

    def sink(row: OrderRow) -> None:
        chunk.append(row)
        if len(chunk) >= (IMPORT_CHUNK if preview else pacer.chunk_size()):
            flush()

    def scan() -> ParsedFile:
        again = rescan(sink)
        if chunk:
            flush()
        return again

    # Reading and matching at IMPORT_NICE; the writes on the store's own thread.
    checkpoint = Checkpointer(store)
    try:
        again = await asyncio.to_thread(at_low_priority, scan)
    finally:
        checkpoint.close()
    again.close()  # only its hash is wanted: its rejects are the first pass's
    if again.sha256 != parsed.sha256:
        raise ImportFileError("changed_during_import")
    result.unmatched_units, result.unmatched_badges = _unmatched(seen[0]), _unmatched(seen[1])
    result.paused_s = pacer.slept_s
    if not preview:
        await store.write(finish_import, result)
    return result


async def import_checked(
    store: Store,
    parsed: ParsedFile,
    kept: RowKeeper,
    rescan: Callable[[Callable[[OrderRow], None]], ParsedFile],
    channel: str,
    *,
    skip_bad: bool,
) -> ImportResult:
    """Import a file whose first pass (`parsed`, the check) handed its good rows to `kept`:
    from those rows if it kept them all (one reading of the file: a 60,000-row XLSX is
    parsed in about 3.5 s), else by reading it again (`import_streamed`). The rules of
    rating/workorders/loop.py then take the import's orders into the case loop."""
    if kept.overflow:
        result = await import_streamed(store, parsed, rescan, channel, skip_bad=skip_bad)
    else:
        parsed.rows = kept.rows
        result = await import_parsed(store, parsed, channel, skip_bad=skip_bad)
    if result.import_id is not None:  # stored: the rules take its orders into the loop
        result.taken_in = await apply_rules(store, result.import_id)
    return result

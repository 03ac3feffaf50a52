"""A batch of ratings on PostgreSQL in a handful of round trips, with the rules unchanged.

`logic.apply_rating` reads, decides and writes statement by statement: run rating after
rating, a batch of 200 costs some 1,400 round trips, and the wait for them is what made
PostgreSQL several times slower than SQLite. Here every rating of the batch runs the same
`apply_rating` in a greenlet of its own, over a `Tx` whose calls hand their statement to
this driver and wait. The driver sends the statements of all waiting ratings together
(psycopg pipeline mode: one network round trip, prepared statements after a few uses),
hands each rating its own result and goes on, so a batch takes as many round trips as the
longest rating has statements (about seven), not that many per rating. The transaction,
the advisory locks and the SQL are exactly those of the one-by-one path, so what holds
across instances still holds.

Ratings of one batch that touch the same matter are not interleaved: the batch is split
into waves in which no two ratings share a device, an idempotency key or a receipt, and a
lock that two ratings of one wave ask for (a rule added later, say) abandons the fast path
for the batch. Any error does the same: the transaction is rolled back and the caller runs
the batch one rating at a time, where each rating's failure is its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from typing import Any

import psycopg
from greenlet import greenlet

from rating.store import logic
from rating.store.models import RateLimits, RatingResult, RatingSubmission

# Statements that only read: two ratings of a wave asking the same one share the answer.
_SHARED_READS = frozenset({"cached"})

# `logic.bump_counter` for every rating of a wave in one statement (rows in a fixed
# order, as other instances take them); each asker gets the count it would have got one
# by one: the k-th of n hits on a row whose total is now T saw T - n + k.
HITS_SQL = (
    "INSERT INTO rate_limits AS r (bucket, window_start, hits) "
    "SELECT b, w, count(*) FROM unnest(%s::text[], %s::bigint[]) AS x(b, w) "
    "GROUP BY b, w ORDER BY b, w "
    "ON CONFLICT (bucket, window_start) DO UPDATE SET hits = r.hits + excluded.hits "
    "RETURNING bucket, window_start, hits"
)
# `logic.device_ratings` for every rating of a wave in one statement (the device index
# once per device), newest first per device.
RECENT_SQL = (
    "SELECT x.i, r.id, r.officer_id, r.created_at "
    "FROM unnest(%s::text[], %s::bigint[]) WITH ORDINALITY AS x(h, since, i) "
    "JOIN ratings r ON r.device_hash = x.h AND r.created_at >= x.since "
    "ORDER BY x.i, r.created_at DESC"
)


class Interleaving(Exception):
    """Two ratings of one wave asked for the same lock: run the batch one by one."""


class _Done:
    __slots__ = ("result",)

    def __init__(self, result: RatingResult) -> None:
        self.result = result


def _ask(req: tuple[Any, ...]) -> Any:
    parent = greenlet.getcurrent().parent
    assert parent is not None, "a wave Tx runs inside its rating's greenlet"
    return parent.switch(req)


class WaveTx:
    """`logic.Tx` for one rating of a wave: each call waits for the driver's answer.

    Built from the same primitives as `postgres.PgTx` (whose store-specific methods call
    `one`/`all`/`run`), so a rule added to either runs here unchanged.
    """

    __slots__ = ()

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        return _ask(("one", sql, tuple(params)))

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return _ask(("all", sql, tuple(params)))

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        return _ask(("run", sql, tuple(params)))

    def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        row = self.one(sql, params)
        assert row is not None
        return int(row[0])

    def lock(self, key: str) -> None:
        _ask(("lock", key))

    def one_cached(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        return _ask(("cached", sql, tuple(params)))

    def count_hit(self, bucket: str, window_start: int) -> int:
        return _ask(("hit", bucket, window_start))

    def recent_by_device(self, device_hash: str, since: int) -> list[tuple[int, int, int]]:
        return _ask(("recent", device_hash, since))

    def note_rating(self, device_hash: str, rating_id: int, officer_id: int, at: int) -> None:
        return None

    def new_rating_id(self) -> tuple[int, str | None]:
        return _ask(("newid",))


def _lateral(sql: str, width: int, count: int) -> str:
    """One statement answering `count` runs of the read `sql` (with `width` ``?``
    parameters each): row i is the first row run i would give, after the run's number
    and a found-flag (NULL when it found nothing)."""
    parts = sql.split("?")
    assert len(parts) == width + 1, "one ? per parameter"
    body = parts[0] + "".join(f"v.p{k}" + parts[k + 1] for k in range(width))
    cols = ", ".join(["i"] + [f"p{k}" for k in range(width)])
    row = "(" + ", ".join(["%s"] * (width + 1)) + ")"
    values = ", ".join([row] * count)
    return (
        f"SELECT v.i, q.* FROM (VALUES {values}) AS v({cols}) LEFT JOIN LATERAL "
        f"(SELECT 1 AS found, s.* FROM ({body.replace('%', '%%')}) AS s LIMIT 1) AS q ON true "
        "ORDER BY v.i"
    )


def waves(subs: Sequence[RatingSubmission]) -> list[list[int]]:
    """Indexes of `subs` in waves, in order, no two of a wave sharing a matter's key."""
    out: list[list[int]] = []
    taken: list[set[str]] = []
    for i, sub in enumerate(subs):
        keys = {
            k
            for k in (
                sub.device_hash and "d:" + sub.device_hash,
                sub.idempotency_key and "k:" + sub.idempotency_key,
                sub.receipt and "r:" + sub.receipt,
            )
            if k
        }
        # The first wave after the last one holding any of these keys keeps their order.
        w = 0
        for j in range(len(out) - 1, -1, -1):
            if keys & taken[j]:
                w = j + 1
                break
        if w == len(out):
            out.append([])
            taken.append(set())
        out[w].append(i)
        taken[w] |= keys
    return out


def _start(tx: WaveTx, sub: RatingSubmission, limits: RateLimits, now: int) -> _Done:
    return _Done(logic.apply_rating(tx, sub, limits, now))


class Driver:
    """Runs waves of ratings on one connection inside an open pipeline and transaction."""

    def __init__(
        self,
        conn: psycopg.Connection[Any],
        pipeline: psycopg.Pipeline,
        to_pg: Any,
        lock_id: Any,
        new_id_sql: str,
    ) -> None:
        self.conn = conn
        self.pipeline = pipeline
        self.to_pg = to_pg
        self.lock_id = lock_id
        self.new_id_sql = new_id_sql

    def run_wave(
        self,
        subs: Sequence[RatingSubmission],
        limits: RateLimits,
        now: int,
    ) -> list[RatingResult]:
        tx = WaveTx()
        results: list[RatingResult | None] = [None] * len(subs)
        live: dict[int, tuple[greenlet, tuple[Any, ...]]] = {}
        locks: dict[int, int] = {}  # lock id -> the rating of this wave that holds it
        try:
            for i, sub in enumerate(subs):
                g = greenlet(_start)
                self._settle(i, g, g.switch(tx, sub, limits, now), live, results)
            while live:
                answers = self._step(live, locks)
                for i, answer in answers.items():
                    g = live.pop(i)[0]
                    self._settle(i, g, g.switch(answer), live, results)
        finally:
            for g, _ in live.values():  # the batch was abandoned: end the waiting ratings
                g.throw()
        return results  # type: ignore[return-value]

    @staticmethod
    def _settle(
        i: int,
        g: greenlet,
        out: Any,
        live: dict[int, tuple[greenlet, tuple[Any, ...]]],
        results: list[RatingResult | None],
    ) -> None:
        if isinstance(out, _Done):
            results[i] = out.result
        else:
            live[i] = (g, out)

    def _step(
        self, live: dict[int, tuple[greenlet, tuple[Any, ...]]], locks: dict[int, int]
    ) -> dict[int, Any]:
        """Send every waiting rating's statement in one round trip; their answers.

        Statements with the same SQL go as one `executemany` (the server still runs each
        on its own, in order; psycopg's per-statement cost is what shrinks)."""
        conn = self.conn
        lock_ids: list[int] = []
        new_ids: list[int] = []
        hits: list[tuple[int, str, int]] = []
        recent: list[tuple[int, str, int]] = []
        answers: dict[int, Any] = {}
        # (kind, sql) -> the distinct parameter tuples, and for each asker which one
        groups: dict[tuple[str, str], tuple[list[tuple[Any, ...]], list[tuple[int, int]]]] = {}
        for i, (_, req) in live.items():
            kind = req[0]
            if kind == "lock":
                lid = self.lock_id(req[1])
                if locks.setdefault(lid, i) != i:
                    raise Interleaving(req[1])
                lock_ids.append(lid)
                answers[i] = None
            elif kind == "newid":
                new_ids.append(i)
            elif kind == "hit":
                hits.append((i, req[1], req[2]))
            elif kind == "recent":
                recent.append((i, req[1], req[2]))
            else:
                params, askers = groups.setdefault((kind, req[1]), ([], []))
                if kind in _SHARED_READS and req[2] in params:
                    askers.append((i, params.index(req[2])))
                else:
                    askers.append((i, len(params)))
                    params.append(req[2])
        if lock_ids:
            # One statement for the wave's locks, in a fixed order (fewer deadlocks between
            # instances that lock several devices in one transaction).
            conn.execute(
                "SELECT count(pg_advisory_xact_lock(x)) FROM unnest(%s::bigint[]) AS x",
                (sorted(set(lock_ids)),),
            )
            if not (groups or new_ids or hits or recent):
                # A lock's answer is known (None): the ratings go on at once, and their next
                # statements follow it in the pipeline, so the lock holds before they run.
                # A wave's first step is all locks: one round trip less per batch.
                return answers
        sent = []
        for (kind, sql), (params, askers) in groups.items():
            cur = conn.cursor()
            if kind in _SHARED_READS and len(params) > 1 and params[0]:
                flat = list(chain.from_iterable((n, *p) for n, p in enumerate(params)))
                cur.execute(_lateral(sql, len(params[0]), len(params)), flat)
                kind = "lateral"
            else:
                cur.executemany(self.to_pg(sql), params, returning=True)
            sent.append((kind, cur, len(params), askers))
        ids_cur = hits_cur = recent_cur = None
        if new_ids:
            ids_cur = conn.cursor()
            ids_cur.execute(self.new_id_sql, (len(new_ids),))
        if hits:
            hits_cur = conn.cursor()
            hits_cur.execute(HITS_SQL, ([h[1] for h in hits], [h[2] for h in hits]))
        if recent:
            recent_cur = conn.cursor()
            recent_cur.execute(RECENT_SQL, ([r[1] for r in recent], [r[2] for r in recent]))
        self.pipeline.sync()
        for kind, cur, count, askers in sent:
            got: list[Any] = []
            if kind == "lateral":
                got = [tuple(r[2:]) if r[1] is not None else None for r in cur.fetchall()]
                count = 0
            for n in range(count):
                if n:
                    cur.nextset()
                if kind == "run":
                    got.append(cur.rowcount)
                elif kind == "all":
                    got.append(cur.fetchall())
                else:  # "one", "cached"
                    got.append(cur.fetchone())
            for i, n in askers:
                answers[i] = list(got[n]) if kind == "all" else got[n]
        if ids_cur is not None:
            for i, row in zip(new_ids, ids_cur.fetchall(), strict=True):
                answers[i] = (int(row[0]), row[1])
        if hits_cur is not None:
            totals = {(b, int(w)): int(n) for b, w, n in hits_cur.fetchall()}
            asked: dict[tuple[str, int], int] = {}
            for _, b, w in hits:
                asked[b, w] = asked.get((b, w), 0) + 1
            seen: dict[tuple[str, int], int] = {}
            for i, b, w in hits:
                k = seen[b, w] = seen.get((b, w), 0) + 1
                answers[i] = totals[b, w] - asked[b, w] + k
        if recent_cur is not None:
            found: list[list[tuple[int, int, int]]] = [[] for _ in recent]
            for pos, rid, officer_id, created_at in recent_cur.fetchall():
                found[int(pos) - 1].append((int(rid), int(officer_id), int(created_at)))
            for (i, _, _), rows in zip(recent, found, strict=True):
                answers[i] = rows
        return answers

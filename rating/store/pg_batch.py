"""A batch of ratings on PostgreSQL in one call to the database, with the rules unchanged.

`logic.apply_rating` reads, decides and writes statement by statement: about seven round
trips a rating, and on PostgreSQL the wait for them, not the database's work, was what
made it several times slower than SQLite. (Pipelining the statements of all ratings of a
batch side by side still cost as many round trips per batch as a rating has statements.)
Here the whole batch goes to `rating_batch` (migration 0016), a PL/pgSQL function that
runs the same unit of work for each rating in order, in one transaction, and returns one
row per rating: BEGIN, the call and COMMIT go in one pipeline, one round trip, plus one
beforehand for what only Python can make:

- the ids of the new ratings and their receipt codes (a keyed BLAKE2b Feistel network,
  crypto.ReceiptCodec; PostgreSQL has no BLAKE2b), and the id a receipt sent to amend
  decodes to (a code that belongs to a receipt issued before codes came from ids makes
  the function refuse with PJ002, naming the rating: it is sent again with that
  rating's next code, as `logic.apply_rating` takes the next variant);
- the advisory lock ids of the batch's devices (the same as `PgTx.lock`'s, so a rating
  taken one by one elsewhere and one in a batch here still exclude each other), taken
  in a fixed order at the start;
- the case deadline for the batch's moment, from the working-day calendar, with the
  calendar's signature: if the calendar changed in between, the function refuses
  (PJ001) rather than use a stale deadline.

Ratings of one batch are applied one after another, each seeing the ones before (two with
one idempotency key: the second replays the first; an amendment after its original:
amends it), exactly as one by one. Any error rolls the whole call back and the caller
runs the batch one rating at a time through `logic.apply_rating`, where each rating's
failure is its own and lost races are retried.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import psycopg

from rating.cases.calendar import WorkCalendar
from rating.cases.deadlines import load_calendar
from rating.store import logic
from rating.store.models import Outcome, RateLimits, RatingResult, RatingSubmission
from rating.store.receipts import RECEIPT_KEY_SQL, codec_for

# The first round trip: the calendar's signature, the receipt key, and `n` new ids.
PREPARE_SQL = (
    "SELECT rating_calendar_sig(), "
    f"({RECEIPT_KEY_SQL}), "
    "array(SELECT nextval(pg_get_serial_sequence('ratings', 'id')) "
    "FROM generate_series(1, %s))"
)
CALL_SQL = "SELECT * FROM rating_batch(%s::jsonb, %s, %s, %s, %s, %s, %s, %s, %s, %s)"

# Working-day calendars by signature: read again only when the bureau changes it.
_CALENDARS: dict[str, WorkCalendar] = {}


def _calendar(conn: psycopg.Connection[Any], sig: str) -> WorkCalendar:
    cal = _CALENDARS.get(sig)
    if cal is None:
        from rating.store.postgres import PgTx  # postgres.py imports this module

        # Read and signed in one snapshot, so the calendar is the one the signature names.
        with conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            tx = PgTx(conn)
            row = tx.one("SELECT rating_calendar_sig()")
            cal = load_calendar(tx)
        assert row is not None
        if len(_CALENDARS) > 8:
            _CALENDARS.clear()
        _CALENDARS[sig := str(row[0])] = cal
    return cal


def _item(i: int, sub: RatingSubmission, now: int, new_id: int, codec: Any) -> dict[str, Any]:
    # Python tests these for truth ("if sub.stamp:"): an empty string is no value there.
    return {
        "i": i,
        "token": sub.token,
        "level": sub.level,
        "channel": sub.channel,
        "reasons": ",".join(sub.reasons),
        "comment": sub.comment,
        "phone_enc": sub.phone_enc,
        "phone_hash": sub.phone_hash,
        "phone_mask": sub.phone_mask,
        "device_hash": sub.device_hash or None,
        "network_hash": sub.network_hash or None,
        "receipt": sub.receipt or None,
        "receipt_id": codec.rating_id(sub.receipt) if sub.receipt else None,
        "idempotency_key": sub.idempotency_key or None,
        "lang": sub.lang,
        "at": sub.at_ms or now,
        "stamp": sub.stamp or None,
        "fast": 1 if sub.fast else 0,
        "new_id": new_id,
        "new_receipt": codec.encode(new_id, 0),
    }


class BatchCall:
    """The arguments of `rating_batch` (CALL_SQL) for a batch: one round trip for the new
    ids, the receipt key and the calendar's signature (and, rarely, one to read the
    calendar)."""

    def __init__(
        self,
        conn: psycopg.Connection[Any],
        subs: Sequence[RatingSubmission],
        limits: RateLimits,
        now: int,
        lock_id: Callable[[str], int],
    ) -> None:
        row = conn.execute(PREPARE_SQL, (len(subs),)).fetchone()
        assert row is not None
        sig, self.codec, ids = str(row[0]), codec_for(row[1]), row[2]
        due: int | None = None
        provisional = 0
        if any(sub.level <= 2 for sub in subs):  # only these open or re-open a case
            due, prov = _calendar(conn, sig).due_at(now, limits.deadlines.callback_workdays)
            provisional = int(prov)
        self.items = [_item(i, sub, now, ids[i], self.codec) for i, sub in enumerate(subs)]
        self.variants = [0] * len(subs)
        # The devices' locks are `PgTx.lock`'s. The networks' are taken only here: two
        # batches that count hits on the same networks' counter rows then queue in one
        # order instead of deadlocking on the rows (each counts them in its batch order).
        keys = {"device:" + s.device_hash for s in subs if s.device_hash}
        keys |= {"network:" + s.network_hash for s in subs if s.network_hash}
        locks = sorted({lock_id(k) for k in keys})
        self.rest = (
            locks,
            now,
            limits.device_per_hour,
            limits.network_per_hour,
            limits.amend_window_ms,
            logic.RECEIPT_AMEND_MS,
            due,
            provisional,
            sig,
        )

    def params(self) -> tuple[Any, ...]:
        return (json.dumps(self.items, ensure_ascii=False), *self.rest)

    def next_variant(self, i: int) -> None:
        """Item `i`'s receipt code belongs to an old receipt (PJ002): take the next one, as
        `logic.apply_rating` does, keeping its id."""
        self.variants[i] += 1
        item = self.items[i]
        item["new_receipt"] = self.codec.encode(item["new_id"], self.variants[i])


def call_params(
    conn: psycopg.Connection[Any],
    subs: Sequence[RatingSubmission],
    limits: RateLimits,
    now: int,
    lock_id: Callable[[str], int],
) -> tuple[Any, ...]:
    return BatchCall(conn, subs, limits, now, lock_id).params()


def results_of(rows: Sequence[tuple[Any, ...]], count: int) -> list[RatingResult]:
    results: list[RatingResult | None] = [None] * count
    for i, outcome, receipt, rating_id, limited_by in rows:
        results[i] = RatingResult(Outcome(outcome), receipt, rating_id, limited_by)
    assert all(r is not None for r in results), "rating_batch answers every rating"
    return results  # type: ignore[return-value]


def apply_batch(
    conn: psycopg.Connection[Any],
    subs: Sequence[RatingSubmission],
    limits: RateLimits,
    timeout_ms: int,
    now: int,
    lock_id: Callable[[str], int],
) -> list[RatingResult]:
    """Apply `subs` in one transaction through `rating_batch`; raises on any error (the
    transaction is then rolled back, or was never begun)."""
    call = BatchCall(conn, subs, limits, now, lock_id)
    while True:
        try:
            with conn.pipeline():
                conn.execute("BEGIN")
                conn.execute(f"SET LOCAL statement_timeout = {int(timeout_ms)}")
                cur = conn.execute(CALL_SQL, call.params())
                conn.execute("COMMIT")
        except psycopg.Error as exc:
            if exc.sqlstate != "PJ002" or exc.diag.message_detail is None:
                raise
            conn.execute("ROLLBACK")
            call.next_variant(int(exc.diag.message_detail))
            continue
        return results_of(cur.fetchall(), len(subs))

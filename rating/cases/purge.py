"""Retention: phone numbers some days after their case closes, device data after its window.

Runs from `pingjing purge`, at server start-up and daily. Each run writes what it purged
to the audit log (action `purge`, the count in `items`). Work is done in chunks so the
single writer is never held for long.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rating.cases.audit import audit
from rating.cases.model import CaseState

if TYPE_CHECKING:
    from rating.store.tx import Tx

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
CHUNK = 5000
PHONE_NOTE = "phone numbers"


@dataclass(frozen=True)
class PurgeResult:
    phones: int
    devices: int
    sessions: int
    workorder_phones: int = 0


def _ids(tx: Tx, sql: str, params: tuple[object, ...]) -> list[int]:
    """The ids a one-column SELECT finds."""
    return [int(r[0]) for r in tx.all(sql, params)]


def _update_each(tx: Tx, sql: str, ids: list[int]) -> int:
    """Run `sql` (its one parameter: the id) for each of `ids`; the rows it changed.
    One row at a time, by primary key: each statement holds the writer only briefly."""
    return sum(tx.run(sql, (i,)) for i in ids)


def phone_cutoff(now: int, retention_days: int) -> int:
    return now - retention_days * DAY_MS


def last_phone_cutoff(tx: Tx) -> int:
    """The cutoff of the last recorded phone purge (0 if none): everything older is gone,
    so a run only needs to look at rows from there on (the ratings table is large)."""
    row = tx.one(
        "SELECT note FROM audit_log WHERE action = 'purge' AND note LIKE ? "
        "ORDER BY id DESC LIMIT 1",
        (PHONE_NOTE + "%",),
    )
    if row is None:
        return 0
    digits = "".join(ch for ch in str(row[0]).rsplit(" ", 1)[-1] if ch.isdigit())
    return max(0, int(digits) - DAY_MS) if digits else 0


def purge_phones(tx: Tx, cutoff: int, since: int) -> int:
    """Delete phone numbers of ratings whose case closed before `cutoff`, and of ratings
    without a case created before `cutoff` (looking only at times from `since` on)."""
    closed = _ids(
        tx,
        "SELECT r.id FROM cases c JOIN ratings r ON r.id = c.rating_id "
        "WHERE c.state = ? AND c.closed_at < ? AND c.closed_at >= ? "
        "AND r.phone_enc IS NOT NULL LIMIT ?",
        (str(CaseState.CLOSED), cutoff, since, CHUNK),
    )
    caseless = _ids(
        tx,
        "SELECT r.id FROM ratings r WHERE r.created_at < ? AND r.created_at >= ? "
        "AND r.phone_enc IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.rating_id = r.id) LIMIT ?",
        (cutoff, since, CHUNK),
    )
    return _update_each(
        tx,
        "UPDATE ratings SET phone_enc = NULL, phone_hash = NULL, phone_mask = NULL WHERE id = ?",
        closed + caseless,
    )


def purge_workorder_phones(tx: Tx, cutoff: int) -> int:
    """Delete caller phone numbers of work orders closed before `cutoff` (an order still
    open keeps its number, as a rating's open case does; so does an order taken into the
    case loop until its case has been closed as long)."""
    ids = _ids(
        tx,
        "SELECT w.id FROM workorders w WHERE w.phone_enc IS NOT NULL AND w.closed_at < ? "
        "AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.source = 'workorder' "
        "AND c.source_id = w.id AND (c.closed_at IS NULL OR c.closed_at >= ?)) LIMIT ?",
        (cutoff, cutoff, CHUNK),
    )
    return _update_each(
        tx,
        "UPDATE workorders SET phone_enc = NULL, phone_hash = NULL, phone_mask = NULL WHERE id = ?",
        ids,
    )


def purge_devices(tx: Tx, now: int, window_ms: int) -> int:
    """Clear device and network hashes of ratings older than `window_ms` (the amend and
    rate-limit windows no longer need them)."""
    ids = _ids(
        tx,
        # ratings_device_unpurged holds only the (few, recent) rows that still have a
        # hash, in time order.
        "SELECT id FROM ratings WHERE device_hash IS NOT NULL AND created_at < ? LIMIT ?",
        (now - window_ms, CHUNK),
    )
    return _update_each(
        tx, "UPDATE ratings SET device_hash = NULL, network_hash = NULL WHERE id = ?", ids
    )


def purge_sessions(tx: Tx, now: int) -> int:
    return tx.run("DELETE FROM admin_sessions WHERE expires_at < ?", (now,))


def record(tx: Tx, now: int, result: PurgeResult, cutoff: int) -> None:
    audit(tx, now, None, "purge", note=f"{PHONE_NOTE} before {cutoff}", items=result.phones)
    audit(tx, now, None, "purge", note="device data", items=result.devices)
    audit(tx, now, None, "purge", note="work-order phone numbers", items=result.workorder_phones)

"""Webhook: a signed JSON POST for every new case, sent from the background, retried.

The rating request never waits for it: the case row (committed with the rating) is the
outbox. A background task picks pending cases, POSTs them, and on failure schedules the
next attempt with exponential backoff, giving up after `webhook_max_attempts`.

Signature: ``X-Pingjing-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>``
with the timestamp (epoch seconds) in ``X-Pingjing-Timestamp``; receivers should reject
old timestamps and compare in constant time.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rating import metrics

if TYPE_CHECKING:
    from rating.store.tx import Tx

log = logging.getLogger("pingjing.webhook")
# Cases older than this when first seen are not sent (e.g. the URL was configured later).
MAX_AGE_MS = 86_400_000
BATCH = 20
# A claimed delivery is retried after this if its instance died mid-attempt.
LEASE_MS = 120_000


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


@dataclass(frozen=True)
class Pending:
    case_id: int
    attempts: int
    payload: dict[str, Any]


def due_deliveries(tx: Tx, now: int) -> list[Pending]:
    """Pending cases whose next attempt is due (older ones are marked skipped)."""
    tx.run(
        "UPDATE cases SET notify_state = 'skipped' WHERE notify_state = 'pending' "
        "AND opened_at < ? AND notify_attempts = 0",
        (now - MAX_AGE_MS,),
    )
    rows = tx.all(
        "SELECT c.id, c.notify_attempts, r.receipt, r.level, r.reasons, r.channel, "
        "r.created_at, c.opened_at, c.callback_due_at, c.callback_due_provisional, "
        "u.code, u.path, o.badge_no, c.notify_next_at "
        "FROM cases c JOIN ratings r ON r.id = c.rating_id "
        "JOIN units u ON u.id = c.unit_id JOIN officers o ON o.id = c.officer_id "
        "WHERE c.notify_state = 'pending' AND c.notify_next_at <= ? "
        "ORDER BY c.notify_next_at, c.id LIMIT ?",
        (now, BATCH),
    )
    # Claim each row (compare-and-set on its next attempt time), so that several app
    # instances on one database never send the same case at the same time.
    rows = [
        r
        for r in rows
        if tx.run(
            "UPDATE cases SET notify_next_at = ? WHERE id = ? AND notify_state = 'pending' "
            "AND notify_next_at = ?",
            (now + LEASE_MS, r[0], r[13]),
        )
        == 1
    ]
    return [
        Pending(
            int(r[0]),
            int(r[1]),
            {
                "event": "case.opened",
                "case_id": int(r[0]),
                "level": int(r[3]),
                "reasons": [x for x in (r[4] or "").split(",") if x],
                "channel": r[5],
                "rated_at": int(r[6]),
                "opened_at": int(r[7]),
                "callback_due_at": int(r[8]),
                "callback_due_provisional": bool(r[9]),
                "unit_code": r[10],
                "unit": r[11],
                "badge_no": r[12],
            },
        )
        for r in rows
    ]


def backoff(ok: bool, attempts: int, now: int, max_attempts: int, base_ms: int) -> tuple[str, int]:
    """After attempt number `attempts`: ("sent" | "failed" | "pending", next attempt time).

    Exponential backoff (base, 2x base, 4x base, ...) until `max_attempts`; the
    notification outbox (rating/notify) schedules its deliveries with the same rule."""
    if ok:
        return "sent", now
    if attempts >= max_attempts:
        return "failed", now
    return "pending", now + base_ms * 2 ** (attempts - 1)


def mark(
    tx: Tx, case_id: int, ok: bool, attempts: int, now: int, max_attempts: int, base_ms: int
) -> None:
    state, next_at = backoff(ok, attempts, now, max_attempts, base_ms)
    tx.run(
        "UPDATE cases SET notify_state = ?, notify_attempts = ?, notify_next_at = ? WHERE id = ?",
        (state, attempts, next_at, case_id),
    )


def post(url: str, secret: str, payload: dict[str, Any], now: int, timeout: float = 10.0) -> bool:
    """One delivery attempt (blocking; run it in a thread). True on a 2xx answer."""
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
    ts = now // 1000
    req = urllib.request.Request(  # noqa: S310 - the URL is the operator's setting
        url,
        data=body,
        method="POST",
        headers={
            "content-type": "application/json; charset=utf-8",
            "user-agent": "pingjing-webhook/1",
            "x-pingjing-event": str(payload["event"]),
            "x-pingjing-delivery": f"case-{payload['case_id']}",
            "x-pingjing-timestamp": str(ts),
            "x-pingjing-signature": sign(secret, ts, body),
        },
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310
            status: int = resp.status
            return 200 <= status < 300
    except (urllib.error.URLError, OSError, ValueError) as exc:
        log.warning("webhook for case %s failed: %s", payload["case_id"], exc)
        return False


async def deliver_due(
    store: Any, url: str, secret: str, now: int, max_attempts: int, base_ms: int
) -> int:
    """Send every due delivery once; returns how many were sent successfully."""
    sent = 0
    for item in await store.write(due_deliveries, now):
        ok = await asyncio.to_thread(post, url, secret, item.payload, now)
        metrics.WEBHOOK.labels("ok" if ok else "failed").inc()
        await store.write(mark, item.case_id, ok, item.attempts + 1, now, max_attempts, base_ms)
        sent += int(ok)
    return sent

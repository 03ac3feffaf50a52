"""Named operations behind the kiosks page: the kiosk units of work of rating.kiosk.store,
each audited under the admin who acted, and what the kiosk store records of each tablet's
health (its last upload and how late its queued taps arrived).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rating.cases.audit import audit
from rating.cases.model import Actor
from rating.clock import now_ms
from rating.kiosk import service as kiosk_service
from rating.kiosk import store as ks
from rating.store import Store

if TYPE_CHECKING:
    from rating.store.tx import Tx

DAY_MS = 86_400_000


@dataclass(frozen=True)
class KioskHealth:
    kiosk: ks.Kiosk
    last_seen: int | None  # the last upload of a tap (the store keeps no heartbeat)
    taps_day: int  # taps received in the last 24 hours
    late_day: int  # of those, taps that waited in the tablet's queue over 5 minutes


LATE_MS = 5 * 60_000


def kiosk_health_tx(tx: Tx, now: int) -> list[KioskHealth]:
    out = []
    for k in ks.list_kiosks(tx):
        row = tx.one(
            "SELECT (SELECT MAX(received_at) FROM kiosk_ratings WHERE kiosk_id = k.id), "
            "(SELECT COUNT(*) FROM kiosk_ratings WHERE kiosk_id = k.id AND received_at >= ?), "
            "(SELECT COUNT(*) FROM kiosk_ratings WHERE kiosk_id = k.id AND received_at >= ? "
            "AND received_at - tapped_at > ?) FROM kiosks k WHERE k.id = ?",
            (now - DAY_MS, now - DAY_MS, LATE_MS, k.id),
        )
        assert row is not None
        out.append(KioskHealth(k, row[0], int(row[1] or 0), int(row[2] or 0)))
    return out


def add_kiosk_tx(tx: Tx, name: str, unit_ref: str, now: int, actor: Actor) -> str:
    if not name.strip():
        raise ValueError("the kiosk name is empty")
    code = ks.add_kiosk(tx, name.strip(), unit_ref, now)
    audit(tx, now, actor, "kiosk_add", note=f"{name.strip()} {unit_ref}")
    return code


def reenroll_kiosk_tx(tx: Tx, name: str, now: int, actor: Actor) -> str | None:
    code = ks.reenroll_kiosk(tx, name, now)
    if code is not None:
        audit(tx, now, actor, "kiosk_reenroll", note=name)
    return code


def revoke_kiosk_tx(tx: Tx, name: str, now: int, actor: Actor) -> bool:
    done = ks.revoke_kiosk(tx, name, now)
    if done:
        audit(tx, now, actor, "kiosk_revoke", note=name)
    return done


def set_pin_tx(tx: Tx, badge_no: str, pin_hash: str, now: int, actor: Actor) -> bool:
    done = ks.set_pin(tx, badge_no, pin_hash, now)
    if done:
        # The badge number only: a PIN, even hashed, never goes into the log.
        audit(tx, now, actor, "kiosk_pin", note=badge_no)
    return done


# ---------------------------------------------------------------- named async operations


async def kiosk_health(store: Store, now: int | None = None) -> list[KioskHealth]:
    return await store.read(kiosk_health_tx, now_ms() if now is None else now)


async def add_kiosk(store: Store, actor: Actor, name: str, unit_ref: str) -> str:
    """The new kiosk's one-time enrolment code. ValueError: empty or duplicate name,
    unknown unit."""
    return await store.write(add_kiosk_tx, name, unit_ref, now_ms(), actor)


async def reenroll_kiosk(store: Store, actor: Actor, name: str) -> str | None:
    return await store.write(reenroll_kiosk_tx, name, now_ms(), actor)


async def revoke_kiosk(store: Store, actor: Actor, name: str) -> bool:
    return await store.write(revoke_kiosk_tx, name, now_ms(), actor)


async def set_pin(store: Store, actor: Actor, badge_no: str, pin: str) -> bool:
    """Set an officer's kiosk PIN (4-12 digits). ValueError for a PIN of another shape;
    False when there is no such officer."""
    if not kiosk_service.PIN_FORMAT.match(pin):
        raise ValueError("the PIN must be 4 to 12 digits")
    hashed = await asyncio.to_thread(ks.hash_pin, pin)
    return await store.write(set_pin_tx, badge_no, hashed, now_ms(), actor)

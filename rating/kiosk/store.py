"""Kiosk units of work: registration, officer sign-in, kiosk ratings.

Plain functions over a `logic.Tx`, so the SQLite and PostgreSQL stores share them; the
named async operations of rating.kiosk.service run them (views and the CLI call those).
Device tokens and enrolment codes are long random strings, so an unkeyed SHA-256 is
enough to store them; PINs are short and get scrypt.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from rating import hashing
from rating.hashing import ScryptCost, token_hash
from rating.store import logic
from rating.store.models import Outcome, RateLimits, RatingSubmission
from rating.store.tx import Tx
from rating.subtree import unit_name

ENROLL_TTL_MS = 7 * 86_400_000
PIN_MAX_FAILURES = 5
PIN_LOCK_MS = 15 * 60_000
# A queued tap is matched to the officer's sign-in session with this much slack: the tap
# time is corrected for the tablet's clock, but only to within the upload's latency.
SESSION_SLACK_MS = 120_000
PIN_COST = ScryptCost(2**14, 8, 1)


def new_secret() -> str:
    return secrets.token_urlsafe(24)


def hash_pin(pin: str) -> str:
    return hashing.hash_secret(pin, PIN_COST)


def verify_pin(pin: str, stored: str) -> bool:
    return hashing.check_secret(pin, stored)


@dataclass(frozen=True)
class OnDuty:
    badge_no: str
    name: str
    kind: str
    unit_name: str


@dataclass(frozen=True)
class Kiosk:
    id: int
    name: str
    unit_path: str
    enrolled: bool
    revoked: bool
    officer: OnDuty | None = None

    @property
    def unit_name(self) -> str:
        return unit_name(self.unit_path)


_KIOSK_SELECT = (
    "SELECT k.id, k.name, u.path, k.token_hash IS NOT NULL, k.revoked_at IS NOT NULL "
    "FROM kiosks k JOIN units u ON u.id = k.unit_id"
)


def _on_duty(tx: Tx, kiosk_id: int) -> OnDuty | None:
    row = tx.one(
        "SELECT o.badge_no, o.name, o.kind, u.path FROM kiosk_sessions s "
        "JOIN officers o ON o.id = s.officer_id JOIN units u ON u.id = o.unit_id "
        "WHERE s.kiosk_id = ? AND s.ended_at IS NULL AND o.status = 'active' "
        "ORDER BY s.started_at DESC LIMIT 1",
        (kiosk_id,),
    )
    if row is None:
        return None
    return OnDuty(row[0], row[1], row[2], unit_name(row[3]))


def _kiosk(tx: Tx, row: tuple[Any, ...] | None) -> Kiosk | None:
    if row is None:
        return None
    kid = int(row[0])
    return Kiosk(kid, row[1], row[2], bool(row[3]), bool(row[4]), _on_duty(tx, kid))


def kiosk_by_name(tx: Tx, name: str) -> Kiosk | None:
    return _kiosk(tx, tx.one(_KIOSK_SELECT + " WHERE k.name = ?", (name,)))


def kiosk_by_token(tx: Tx, token: str) -> Kiosk | None:
    """The kiosk holding this device token (revoked ones too: the caller says why not)."""
    return _kiosk(tx, tx.one(_KIOSK_SELECT + " WHERE k.token_hash = ?", (token_hash(token),)))


def list_kiosks(tx: Tx) -> list[Kiosk]:
    rows = tx.all(_KIOSK_SELECT + " ORDER BY k.name")
    return [k for k in (_kiosk(tx, r) for r in rows) if k is not None]


def _unit_id(tx: Tx, ref: str) -> int | None:
    ref = ref.strip().strip("/")
    unit = logic.unit_by_code(tx, ref)
    if unit is not None:
        return unit.id
    row = tx.one("SELECT id FROM units WHERE path = ?", (ref,))
    return int(row[0]) if row else None


def add_kiosk(tx: Tx, name: str, unit_ref: str, now: int) -> str:
    """Register a kiosk; returns its one-time enrolment code. Raises ValueError on a
    duplicate name or an unknown unit."""
    unit_id = _unit_id(tx, unit_ref)
    if unit_id is None:
        raise ValueError(f"unknown unit {unit_ref!r} (give a unit code or its full path)")
    if tx.one("SELECT 1 FROM kiosks WHERE name = ?", (name,)):
        raise ValueError(f"a kiosk named {name!r} already exists")
    code = new_secret()
    tx.run(
        "INSERT INTO kiosks (name, unit_id, enroll_hash, enroll_expires_at, created_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (name, unit_id, token_hash(code), now + ENROLL_TTL_MS, now),
    )
    return code


def reenroll_kiosk(tx: Tx, name: str, now: int) -> str | None:
    """A new one-time enrolment code for a kiosk (a replaced tablet); the old device
    token stops working at once. None if there is no such kiosk."""
    code = new_secret()
    changed = tx.run(
        "UPDATE kiosks SET token_hash = NULL, enroll_hash = ?, enroll_expires_at = ?, "
        "revoked_at = NULL WHERE name = ?",
        (token_hash(code), now + ENROLL_TTL_MS, name),
    )
    # The new tablet starts with nobody on duty: re-enrolment is how an administrator
    # signs out an officer who cannot (the kiosk asks for the officer's own PIN).
    tx.run(
        "UPDATE kiosk_sessions SET ended_at = ? WHERE ended_at IS NULL "
        "AND kiosk_id = (SELECT id FROM kiosks WHERE name = ?)",
        (now, name),
    )
    return code if changed else None


def enroll(tx: Tx, code: str, now: int) -> tuple[Kiosk, str] | None:
    """Exchange a one-time enrolment code for the kiosk's device token."""
    row = tx.one(
        "SELECT id FROM kiosks WHERE enroll_hash = ? AND enroll_expires_at > ? "
        "AND revoked_at IS NULL",
        (token_hash(code), now),
    )
    if row is None:
        return None
    token = new_secret()
    tx.run(
        "UPDATE kiosks SET token_hash = ?, enroll_hash = NULL, enroll_expires_at = NULL, "
        "enrolled_at = ? WHERE id = ?",
        (token_hash(token), now, row[0]),
    )
    kiosk = _kiosk(tx, tx.one(_KIOSK_SELECT + " WHERE k.id = ?", (row[0],)))
    assert kiosk is not None
    return kiosk, token


def revoke_kiosk(tx: Tx, name: str, now: int) -> bool:
    kiosk = kiosk_by_name(tx, name)
    if kiosk is None:
        return False
    tx.run(
        "UPDATE kiosks SET revoked_at = ?, enroll_hash = NULL WHERE id = ? AND revoked_at IS NULL",
        (now, kiosk.id),
    )
    tx.run(
        "UPDATE kiosk_sessions SET ended_at = ? WHERE kiosk_id = ? AND ended_at IS NULL",
        (now, kiosk.id),
    )
    return True


# ---------------------------------------------------------------- officers on duty


def set_pin(tx: Tx, badge_no: str, pin_hash: str, now: int) -> bool:
    officer = logic.officer_by_badge(tx, badge_no)
    if officer is None:
        return False
    tx.run(
        "INSERT INTO officer_pins (officer_id, pin_hash, failed, locked_until, updated_at) "
        "VALUES (?, ?, 0, NULL, ?) ON CONFLICT (officer_id) DO UPDATE SET "
        "pin_hash = excluded.pin_hash, failed = 0, locked_until = NULL, "
        "updated_at = excluded.updated_at",
        (officer.id, pin_hash, now),
    )
    return True


@dataclass(frozen=True)
class PinRecord:
    officer_id: int
    pin_hash: str
    locked_until: int | None


def pin_record(tx: Tx, badge_no: str) -> PinRecord | None:
    row = tx.one(
        "SELECT o.id, p.pin_hash, p.locked_until FROM officers o "
        "JOIN officer_pins p ON p.officer_id = o.id "
        "WHERE o.badge_no = ? AND o.status = 'active'",
        (badge_no,),
    )
    return PinRecord(int(row[0]), row[1], row[2]) if row else None


def pin_failed(tx: Tx, officer_id: int, now: int) -> None:
    """Count a wrong PIN; the fifth in a row locks PIN sign-in for a while."""
    tx.run(
        "UPDATE officer_pins SET failed = failed + 1, "
        "locked_until = CASE WHEN failed + 1 >= ? THEN ? ELSE locked_until END, "
        "updated_at = ? WHERE officer_id = ?",
        (PIN_MAX_FAILURES, now + PIN_LOCK_MS, now, officer_id),
    )


def start_session(tx: Tx, kiosk_id: int, officer_id: int, by: str, now: int) -> None:
    """Put the officer on duty at the kiosk, ending whoever was there and any other
    kiosk session of this officer (one window at a time)."""
    if by == "pin":
        tx.run(
            "UPDATE officer_pins SET failed = 0, locked_until = NULL WHERE officer_id = ?",
            (officer_id,),
        )
    tx.run(
        "UPDATE kiosk_sessions SET ended_at = ? WHERE ended_at IS NULL "
        "AND (kiosk_id = ? OR officer_id = ?)",
        (now, kiosk_id, officer_id),
    )
    tx.run(
        "INSERT INTO kiosk_sessions (kiosk_id, officer_id, started_by, started_at) "
        "VALUES (?, ?, ?, ?)",
        (kiosk_id, officer_id, by, now),
    )


def assign_officer(tx: Tx, kiosk_name: str, badge_no: str, now: int) -> str | None:
    """Admin sign-in of an officer at a kiosk; the reason it failed, or None."""
    kiosk = kiosk_by_name(tx, kiosk_name)
    if kiosk is None or kiosk.revoked:
        return f"no active kiosk named {kiosk_name!r}"
    officer = logic.officer_by_badge(tx, badge_no)
    if officer is None or officer.status != "active":
        return f"no active officer with badge number {badge_no!r}"
    start_session(tx, kiosk.id, officer.id, "admin", now)
    return None


def end_session(tx: Tx, kiosk_id: int, now: int) -> None:
    tx.run(
        "UPDATE kiosk_sessions SET ended_at = ? WHERE kiosk_id = ? AND ended_at IS NULL",
        (now, kiosk_id),
    )


# ---------------------------------------------------------------- ratings


@dataclass(frozen=True)
class KioskTap:
    kiosk_id: int
    key: str
    badge_no: str
    level: int
    lang: str
    tapped_at: int  # server time of the tap


class KioskOutcome(StrEnum):
    """What became of one queued kiosk tap."""

    CREATED = "created"
    REPLAYED = "replayed"  # its idempotency key was stored before: the same receipt
    NOT_ON_DUTY = "not_on_duty"  # the officer was not signed in here at the tap time
    RETIRED = "retired"  # the officer can no longer be rated
    RATE_LIMITED = "rate_limited"  # another tap within the kiosk's minimum interval


@dataclass(frozen=True)
class KioskResult:
    outcome: KioskOutcome
    receipt: str | None = None


def submit_kiosk_rating(
    tx: Tx, tap: KioskTap, limits: RateLimits, min_interval_ms: int, now: int
) -> KioskResult:
    """Store one kiosk tap exactly once (by its idempotency key) at its tap time."""
    tx.lock(f"kiosk:{tap.kiosk_id}")
    # Keys are scoped to the kiosk: another kiosk cannot replay one to read a receipt.
    key = f"k{tap.kiosk_id}:{tap.key}"
    row = tx.one("SELECT receipt FROM ratings WHERE idempotency_key = ?", (key,))
    if row:
        return KioskResult(KioskOutcome.REPLAYED, row[0])
    row = tx.one(
        "SELECT o.id, o.status, t.token FROM officers o LEFT JOIN badge_tokens t "
        "ON t.officer_id = o.id AND t.revoked_at IS NULL WHERE o.badge_no = ?",
        (tap.badge_no,),
    )
    if row is None or not tx.one(
        "SELECT 1 FROM kiosk_sessions WHERE kiosk_id = ? AND officer_id = ? "
        "AND started_at <= ? AND (ended_at IS NULL OR ended_at >= ?)",
        (tap.kiosk_id, row[0], tap.tapped_at + SESSION_SLACK_MS, tap.tapped_at - SESSION_SLACK_MS),
    ):
        return KioskResult(KioskOutcome.NOT_ON_DUTY)
    if row[1] != "active" or row[2] is None:
        return KioskResult(KioskOutcome.RETIRED)
    if min_interval_ms > 0 and tx.one(
        "SELECT 1 FROM kiosk_ratings WHERE kiosk_id = ? AND tapped_at > ? AND tapped_at < ?",
        (tap.kiosk_id, tap.tapped_at - min_interval_ms, tap.tapped_at + min_interval_ms),
    ):
        return KioskResult(KioskOutcome.RATE_LIMITED)
    # No device or network hash: a kiosk serves many citizens, so the phone rules (amend
    # the same device's earlier rating, per-device and per-address limits) must not apply.
    sub = RatingSubmission(
        token=row[2],
        level=tap.level,
        channel="kiosk",
        idempotency_key=key,
        lang=tap.lang,
        at_ms=tap.tapped_at,
    )
    result = logic.apply_rating(tx, sub, limits, now)
    if result.outcome is not Outcome.CREATED:
        return KioskResult(KioskOutcome.RETIRED)
    tx.run(
        "INSERT INTO kiosk_ratings (rating_id, kiosk_id, tapped_at, received_at) "
        "VALUES (?, ?, ?, ?)",
        (result.rating_id, tap.kiosk_id, tap.tapped_at, now),
    )
    return KioskResult(KioskOutcome.CREATED, result.receipt)

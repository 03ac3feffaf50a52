"""Named async operations on kiosks over any store (the kiosk API and the CLI call these).

The rules live here and in the units of work of rating.kiosk.store: an officer's PIN
sign-in with its lockout, the one-time enrolment, a queued tap stored once. Time is a
parameter (`now`, epoch ms; the wall clock when not given), so tests need not wait.
"""

from __future__ import annotations

import asyncio
import functools
import re
from dataclasses import dataclass
from enum import StrEnum

from rating.clock import now_ms
from rating.kiosk import store as ks
from rating.kiosk.store import Kiosk, KioskResult, KioskTap
from rating.store import Store

# What a kiosk PIN looks like; anything else is a wrong PIN (and counts as one).
PIN_FORMAT = re.compile(r"^[0-9]{4,12}$")


class PinCheck(StrEnum):
    OK = "ok"
    WRONG = "wrong"  # unknown badge, no PIN, or not the officer's PIN
    LOCKED = "locked"  # too many wrong PINs in a row: refused even the right one


@dataclass(frozen=True)
class PinResult:
    check: PinCheck
    officer_id: int | None = None  # set when the check is OK


@functools.cache
def _dummy_hash() -> str:
    return ks.hash_pin("000000")


def _at(now: int | None) -> int:
    return now_ms() if now is None else now


async def check_pin(store: Store, badge_no: str, pin: str, now: int | None = None) -> PinResult:
    """Whether `pin` is the kiosk PIN of the active officer `badge_no`.

    The lockout rule: each wrong PIN counts; the PIN_MAX_FAILURES-th in a row locks PIN
    sign-in (and sign-out) for PIN_LOCK_MS, during which even the right PIN is refused.
    A right PIN clears the count when the officer goes on duty (`sign_in`).
    """
    at = _at(now)
    record = await store.read(ks.pin_record, badge_no)
    if record is None:
        # Spend the same time as a wrong PIN, so timing does not reveal who has a PIN.
        await asyncio.to_thread(ks.verify_pin, pin, _dummy_hash())
        return PinResult(PinCheck.WRONG)
    if record.locked_until and record.locked_until > at:
        return PinResult(PinCheck.LOCKED)
    # scrypt takes tens of milliseconds: keep it off the event loop.
    ok = PIN_FORMAT.match(pin) is not None and await asyncio.to_thread(
        ks.verify_pin, pin, record.pin_hash
    )
    if not ok:
        await store.write(ks.pin_failed, record.officer_id, at)
        return PinResult(PinCheck.WRONG)
    return PinResult(PinCheck.OK, record.officer_id)


async def sign_in(
    store: Store, kiosk: Kiosk, badge_no: str, pin: str, now: int | None = None
) -> PinCheck:
    """Put the officer on duty at the kiosk if the PIN is theirs (see `check_pin`)."""
    at = _at(now)
    result = await check_pin(store, badge_no, pin, at)
    if result.officer_id is not None:
        await store.write(ks.start_session, kiosk.id, result.officer_id, "pin", at)
    return result.check


async def sign_out(store: Store, kiosk: Kiosk, pin: str, now: int | None = None) -> PinCheck:
    """Take the officer on duty off duty, with their own PIN (the same lockout applies).
    A kiosk with nobody on duty has nothing to do: OK."""
    if kiosk.officer is None:
        return PinCheck.OK
    at = _at(now)
    result = await check_pin(store, kiosk.officer.badge_no, pin, at)
    if result.check is PinCheck.OK:
        await store.write(ks.end_session, kiosk.id, at)
    return result.check


async def by_token(store: Store, token: str) -> Kiosk | None:
    """The kiosk holding this device token (revoked ones too: the caller says why not)."""
    return await store.read(ks.kiosk_by_token, token)


async def enroll(store: Store, code: str, now: int | None = None) -> tuple[Kiosk, str] | None:
    """Exchange a one-time enrolment code for the kiosk and its device token."""
    return await store.write(ks.enroll, code, _at(now))


async def submit_tap(
    store: Store, tap: KioskTap, min_interval_ms: int, now: int | None = None
) -> KioskResult:
    """Store one queued tap once (by its idempotency key); the outcome says what happened."""
    return await store.write(ks.submit_kiosk_rating, tap, store.limits, min_interval_ms, _at(now))


# ---------------------------------------------------------------- administration (CLI)


async def add_kiosk(store: Store, name: str, unit_ref: str) -> str:
    """Register a kiosk; its one-time enrolment code. ValueError: duplicate, unknown unit."""
    return await store.write(ks.add_kiosk, name, unit_ref, now_ms())


async def reenroll_kiosk(store: Store, name: str) -> str | None:
    return await store.write(ks.reenroll_kiosk, name, now_ms())


async def list_kiosks(store: Store) -> list[Kiosk]:
    return await store.read(ks.list_kiosks)


async def revoke_kiosk(store: Store, name: str) -> bool:
    return await store.write(ks.revoke_kiosk, name, now_ms())


async def set_pin(store: Store, badge_no: str, pin_hash: str) -> bool:
    return await store.write(ks.set_pin, badge_no, pin_hash, now_ms())


async def assign_officer(store: Store, kiosk_name: str, badge_no: str) -> str | None:
    """Put an officer on duty without a PIN; the reason it failed, or None."""
    return await store.write(ks.assign_officer, kiosk_name, badge_no, now_ms())

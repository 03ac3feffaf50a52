"""The kiosk service on both store backends: the PIN lockout rule with an injected clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from rating.kiosk import service
from rating.kiosk import store as ks
from rating.kiosk.service import PinCheck
from rating.kiosk.store import Kiosk
from rating.store import Store
from tests.backends import BACKENDS, roster_store

UNIT = "张家口市公安局/桥东分局/胜利路派出所"
T0 = 1_800_000_000_000  # a fixed moment: the rule is checked on the clock given, not the wall's


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with roster_store(request.param, tmp_path) as opened:
        yield opened


async def _kiosk(store: Store) -> Kiosk:
    code = await service.add_kiosk(store, "窗口1", UNIT)
    found = await service.enroll(store, code)
    assert found is not None
    return found[0]


async def _on_duty(store: Store) -> str | None:
    kiosk = await store.read(ks.kiosk_by_name, "窗口1")
    assert kiosk is not None
    return kiosk.officer.badge_no if kiosk.officer else None


async def test_wrong_pins_lock_sign_in_until_the_lock_ends(store: Store) -> None:
    kiosk = await _kiosk(store)
    assert await service.set_pin(store, "100001", ks.hash_pin("135790"))
    for i in range(ks.PIN_MAX_FAILURES - 1):
        assert await service.sign_in(store, kiosk, "100001", "000000", T0 + i) is PinCheck.WRONG
    # One short of the limit: the right PIN still works, and clears the count.
    assert await service.sign_in(store, kiosk, "100001", "135790", T0 + 10) is PinCheck.OK
    assert await _on_duty(store) == "100001"
    for i in range(ks.PIN_MAX_FAILURES - 1):
        assert await service.sign_in(store, kiosk, "100001", "000000", T0 + 20 + i) is (
            PinCheck.WRONG
        )
    # A malformed PIN counts as a wrong one: this is the fifth in a row.
    assert await service.sign_in(store, kiosk, "100001", "12", T0 + 30) is PinCheck.WRONG
    locked_at = T0 + 30
    # Locked: even the right PIN is refused, with nobody put on duty or taken off.
    assert await service.sign_in(store, kiosk, "100001", "135790", T0 + 40) is PinCheck.LOCKED
    refreshed = await store.read(ks.kiosk_by_name, "窗口1")
    assert refreshed is not None
    assert await service.sign_out(store, refreshed, "135790", T0 + 41) is PinCheck.LOCKED
    assert await _on_duty(store) == "100001"
    last = locked_at + ks.PIN_LOCK_MS - 1
    assert await service.sign_in(store, kiosk, "100001", "135790", last) is PinCheck.LOCKED
    # The lock has run out: the right PIN works again.
    ended = locked_at + ks.PIN_LOCK_MS + 1
    assert await service.sign_out(store, refreshed, "135790", ended) is PinCheck.OK
    assert await _on_duty(store) is None


async def test_a_lock_is_per_officer_and_an_unknown_badge_is_only_wrong(store: Store) -> None:
    kiosk = await _kiosk(store)
    await service.set_pin(store, "100001", ks.hash_pin("135790"))
    await service.set_pin(store, "100002", ks.hash_pin("246810"))
    for i in range(ks.PIN_MAX_FAILURES):
        assert await service.sign_in(store, kiosk, "100001", "000000", T0 + i) is PinCheck.WRONG
    assert await service.sign_in(store, kiosk, "100001", "135790", T0 + 9) is PinCheck.LOCKED
    assert await service.sign_in(store, kiosk, "100002", "246810", T0 + 9) is PinCheck.OK
    assert await _on_duty(store) == "100002"
    # No such badge, or an officer with no PIN: wrong however often, never locked.
    for i in range(ks.PIN_MAX_FAILURES + 1):
        assert await service.sign_in(store, kiosk, "999999", "135790", T0 + i) is PinCheck.WRONG
        assert await service.sign_in(store, kiosk, "100003", "135790", T0 + i) is PinCheck.WRONG
    # Setting a new PIN lifts the lock.
    await service.set_pin(store, "100001", ks.hash_pin("112233"))
    assert await service.sign_in(store, kiosk, "100001", "112233", T0 + 10) is PinCheck.OK
    assert await _on_duty(store) == "100001"

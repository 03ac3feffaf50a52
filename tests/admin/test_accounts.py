"""The admin account service on both store backends: rows read by column name."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from rating.admin import accounts, auth
from rating.admin.accounts import LoginOutcome, LoginPolicy
from rating.store import Store
from tests.backends import BACKENDS, roster_store

POLICY = LoginPolicy(client_failures=100, max_failures=3, lock_ms=600_000, session_ms=3_600_000)
EAST = "张家口市公安局/桥东分局"
T0 = 1_800_000_000_000


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with roster_store(request.param, tmp_path) as opened:
        yield opened


async def _log_in(store: Store, name: str, password: str, now: int) -> accounts.Login:
    return await accounts.log_in(
        store, name, password, bucket="login:net", policy=POLICY,
        known_device=lambda user_id: False, now=now,
    )  # fmt: skip


async def test_users_read_by_name_on_both_databases(store: Store) -> None:
    east = await accounts.add_user(
        store, "east", "unit_manager", EAST, auth.hash_password("pw-east-123")
    )
    boss = await accounts.add_user(store, "boss", "admin", None, auth.hash_password("pw-boss-123"))
    assert (east.name, east.role, east.unit_path, east.failed_logins) == (
        "east",
        "unit_manager",
        EAST,
        0,
    )
    assert east.locked_until is None and east.disabled is False and isinstance(east.id, int)
    assert (boss.unit_path, boss.role) == (None, "admin")
    assert [u.name for u in await accounts.list_users(store)] == ["boss", "east"]

    assert (await _log_in(store, "east", "wrong", T0)).outcome is LoginOutcome.FAILED
    row = await store.read(auth.user_by_name, "east")
    assert row is not None and row.failed_logins == 1 and row.locked_until is None
    for i in range(POLICY.max_failures - 1):
        await _log_in(store, "east", "wrong", T0 + 1 + i)
    row = await store.read(auth.user_by_name, "east")
    assert row is not None and row.locked_until == T0 + 2 + POLICY.lock_ms
    assert (await _log_in(store, "east", "pw-east-123", T0 + 3)).outcome is LoginOutcome.FAILED
    assert await accounts.unlock_user(store, "east")

    done = await _log_in(store, "east", "pw-east-123", T0 + 4)
    assert done.outcome is LoginOutcome.OK and done.user_id == east.id and done.session
    found = await accounts.session(store, done.session, T0 + 5)
    assert found is not None and found.actor.name == "east" and found.actor.unit_path == EAST
    assert (
        found.csrf
        and await accounts.session(store, done.session, T0 + POLICY.session_ms + 4) is None
    )

    token = await accounts.new_api_token(store, "boss", "script")
    actor = await accounts.token_actor(store, token)
    assert actor is not None and (actor.name, actor.role, actor.unit_path) == (
        "boss",
        "admin",
        None,
    )
    assert await accounts.disable_user(store, "boss")
    assert await accounts.token_actor(store, token) is None
    disabled = await store.read(auth.user_by_name, "boss")
    assert disabled is not None and disabled.disabled is True


async def test_client_throttle_refuses_before_hashing(store: Store) -> None:
    await accounts.add_user(store, "east", "unit_manager", EAST, auth.hash_password("pw-east-123"))
    tight = LoginPolicy(client_failures=2, max_failures=10, lock_ms=1, session_ms=1)
    for i in range(2):
        result = await accounts.log_in(
            store, f"nobody{i}", "x", bucket="login:net", policy=tight,
            known_device=lambda user_id: False, now=T0 + i,
        )  # fmt: skip
        assert result.outcome is LoginOutcome.FAILED
    again = await accounts.log_in(
        store, "east", "pw-east-123", bucket="login:net", policy=tight,
        known_device=lambda user_id: False, now=T0 + 3,
    )  # fmt: skip
    assert again.outcome is LoginOutcome.THROTTLED and again.session is None

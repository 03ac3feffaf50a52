"""Named async operations on admin accounts over any store (the views and the CLI call these).

The units of work they run live in rating.admin.auth; nothing else picks one to run.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from rating.admin import auth
from rating.cases.model import Actor
from rating.clock import now_ms
from rating.settings import Settings
from rating.store import Store


@dataclass(frozen=True)
class LoginPolicy:
    """How many failures a client network and an account may have, and for how long."""

    client_failures: int
    max_failures: int
    lock_ms: int
    session_ms: int

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginPolicy:
        return cls(
            client_failures=settings.admin_login_client_failures,
            max_failures=settings.admin_lockout_attempts,
            lock_ms=settings.admin_lockout_minutes * 60_000,
            session_ms=settings.admin_session_hours * 3_600_000,
        )


class LoginOutcome(StrEnum):
    OK = "ok"
    FAILED = "failed"  # wrong name or password, locked or disabled: all answer alike
    THROTTLED = "throttled"  # too many failures from this client network


@dataclass(frozen=True)
class Login:
    outcome: LoginOutcome
    session: str | None = None  # the session cookie's value (only its hash is stored)
    user_id: int | None = None


async def log_in(
    store: Store,
    name: str,
    password: str,
    *,
    bucket: str,
    policy: LoginPolicy,
    known_device: Callable[[int], bool],
    now: int | None = None,
) -> Login:
    """Check a password and open a session.

    Failures per client network (`bucket`) are checked before any hashing, so a flood
    costs no scrypt; an unknown name is hashed too, so timing does not tell which names
    exist. `known_device(user_id)` says whether this browser logged in as the user before
    (a lock others can trigger must not keep the owner out).
    """
    at = now_ms() if now is None else now
    if await store.read(auth.client_failures, bucket, at) >= policy.client_failures:
        return Login(LoginOutcome.THROTTLED)
    user = await store.read(auth.user_by_name, name)
    stored = user.password_hash if user else auth.dummy_hash()
    ok = await asyncio.to_thread(auth.check_password, password, stored)
    new_hash = None
    if ok and user is not None and auth.needs_rehash(stored):
        new_hash = await asyncio.to_thread(auth.hash_password, password)
    known = user is not None and known_device(user.id)
    result = await store.write(
        functools.partial(
            auth.record_login,
            max_failures=policy.max_failures,
            lock_ms=policy.lock_ms,
            session_ms=policy.session_ms,
            known_device=known,
            new_hash=new_hash,
            bucket=bucket,
        ),
        name,
        ok and user is not None,
        at,
    )
    if not result.ok or result.session is None or user is None:
        return Login(LoginOutcome.FAILED)
    return Login(LoginOutcome.OK, result.session, user.id)


async def session(store: Store, cookie: str, now: int | None = None) -> auth.SessionInfo | None:
    """The user signed in with this session cookie (None: unknown, expired or disabled)."""
    return await store.read(auth.session_user, cookie, now_ms() if now is None else now)


async def log_out(store: Store, cookie: str) -> None:
    await store.write(auth.end_session, cookie)


async def token_actor(store: Store, token: str) -> Actor | None:
    """The user of an API token (None: unknown or revoked, or the user is disabled)."""
    return await store.read(auth.token_user, token)


async def list_users(store: Store) -> list[auth.UserRow]:
    return await store.read(auth.list_users)


async def add_user(
    store: Store, name: str, role: str, unit_code: str | None, password_hash: str
) -> auth.UserRow:
    """Raises auth.AccountError on a duplicate name, an unknown unit or a bad role."""
    return await store.write(auth.add_user, name, role, unit_code, password_hash, now_ms())


async def set_password(store: Store, name: str, password_hash: str) -> bool:
    return await store.write(auth.set_password, name, password_hash, now_ms())


async def unlock_user(store: Store, name: str) -> bool:
    return await store.write(auth.unlock_user, name, now_ms())


async def disable_user(store: Store, name: str) -> bool:
    return await store.write(auth.disable_user, name, now_ms())


async def new_api_token(store: Store, name: str, label: str) -> str:
    """Raises auth.AccountError for an unknown user."""
    return await store.write(auth.new_api_token, name, label, now_ms())

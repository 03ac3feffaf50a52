"""Named operations behind the users-and-access page (admins only): accounts, their role
and unit scope, passwords, API tokens. Every change is audited under the admin who made it.

The units of work for adding, disabling, passwords and new tokens are rating.admin.auth's,
the CLI's own; the ones the CLI lacks (change role and scope, list and revoke tokens) are
here. The web layer checks the role; these functions check the input.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rating.admin import auth
from rating.cases.audit import audit
from rating.cases.model import ROLES, Actor
from rating.clock import now_ms
from rating.store import Store

if TYPE_CHECKING:
    from rating.store.tx import Tx

MIN_PASSWORD = 10


@dataclass(frozen=True)
class TokenRow:
    id: int
    user_name: str
    label: str
    created_at: int
    last_used_at: int | None
    revoked_at: int | None


def _unit_id(tx: Tx, unit_ref: str | None, role: str) -> int | None:
    if role not in ROLES:
        raise auth.AccountError(f"role must be one of {', '.join(ROLES)}")
    if not unit_ref:
        if role == "unit_manager":
            raise auth.AccountError("a unit manager needs a unit")
        return None
    row = tx.one("SELECT id FROM units WHERE code = ? OR path = ?", (unit_ref, unit_ref))
    if row is None:
        raise auth.AccountError(f"unknown unit {unit_ref!r} (give a unit code or full path)")
    return int(row[0])


def change_access_tx(
    tx: Tx, name: str, role: str, unit_ref: str | None, now: int, actor: Actor
) -> bool:
    """Set a user's role and unit scope; their open sessions see it at the next request."""
    unit_id = _unit_id(tx, unit_ref, role)
    if name == actor.name and role != "admin":
        # The last word on access must not lock its own author out by a slip of the select.
        raise auth.AccountError("you cannot take the administrator role from yourself")
    n = tx.run(
        "UPDATE admin_users SET role = ?, unit_id = ?, updated_at = ? WHERE name = ?",
        (role, unit_id, now, name),
    )
    if n:
        audit(tx, now, actor, "user_access", note=f"{name} {role} {unit_ref or ''}".strip())
    return n > 0


def list_tokens_tx(tx: Tx) -> list[TokenRow]:
    rows = tx.all(
        "SELECT t.id, a.name, t.label, t.created_at, t.last_used_at, t.revoked_at "
        "FROM api_tokens t JOIN admin_users a ON a.id = t.user_id ORDER BY t.id DESC"
    )
    return [TokenRow(int(r[0]), str(r[1]), str(r[2]), int(r[3]), r[4], r[5]) for r in rows]


def revoke_token_tx(tx: Tx, token_id: int, now: int, actor: Actor) -> bool:
    row = tx.one(
        "SELECT a.name, t.label FROM api_tokens t JOIN admin_users a ON a.id = t.user_id "
        "WHERE t.id = ? AND t.revoked_at IS NULL",
        (token_id,),
    )
    if row is None:
        return False
    tx.run("UPDATE api_tokens SET revoked_at = ? WHERE id = ?", (now, token_id))
    audit(tx, now, actor, "token_revoke", note=f"{row[0]} {row[1]}".strip())
    return True


# ---------------------------------------------------------------- named async operations


def new_password() -> str:
    """A password to read out once: 16 URL-safe characters (about 96 bits)."""
    return secrets.token_urlsafe(12)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise auth.AccountError(f"the password must have at least {MIN_PASSWORD} characters")


async def list_users(store: Store) -> list[auth.UserRow]:
    return await store.read(auth.list_users)


async def add_user(
    store: Store, actor: Actor, name: str, role: str, unit_ref: str | None, password: str
) -> str | None:
    """Add an account; the generated password to show once (None when one was given).
    Raises auth.AccountError (duplicate name, unknown unit, bad role, short password)."""
    shown = None
    if not password:
        password = shown = new_password()
    _check_password(password)
    hashed = await asyncio.to_thread(auth.hash_password, password)
    await store.write(auth.add_user, name, role, unit_ref or None, hashed, now_ms(), actor)
    return shown


async def reset_password(store: Store, actor: Actor, name: str, password: str) -> str | None:
    """A new password (generated when empty: returned to show once); ends the user's
    sessions and tokens. Raises auth.AccountError for a short password or no such user."""
    shown = None
    if not password:
        password = shown = new_password()
    _check_password(password)
    hashed = await asyncio.to_thread(auth.hash_password, password)
    if not await store.write(auth.set_password, name, hashed, now_ms(), actor):
        raise auth.AccountError(f"no user {name!r}")
    return shown


async def disable_user(store: Store, actor: Actor, name: str) -> None:
    if name == actor.name:
        raise auth.AccountError("you cannot disable your own account")
    if not await store.write(auth.disable_user, name, now_ms(), actor):
        raise auth.AccountError(f"no user {name!r}")


async def change_access(
    store: Store, actor: Actor, name: str, role: str, unit_ref: str | None
) -> None:
    if not await store.write(change_access_tx, name, role, unit_ref or None, now_ms(), actor):
        raise auth.AccountError(f"no user {name!r}")


async def new_token(store: Store, actor: Actor, name: str, label: str) -> str:
    """A new API token for `name`, to show once (only its hash is stored)."""
    return await store.write(auth.new_api_token, name, label, now_ms(), actor)


async def list_tokens(store: Store) -> list[TokenRow]:
    return await store.read(list_tokens_tx)


async def revoke_token(store: Store, actor: Actor, token_id: int) -> bool:
    return await store.write(revoke_token_tx, token_id, now_ms(), actor)

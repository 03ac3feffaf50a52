"""Accounts, passwords (scrypt), sessions with CSRF tokens, lockout, API tokens.

Session cookies and API tokens are random strings the server stores only as SHA-256
hashes, so a copy of the database lets nobody log in.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rating import hashing
from rating.cases.audit import audit
from rating.cases.model import ROLES, Actor
from rating.hashing import ScryptCost, token_hash
from rating.store import logic

if TYPE_CHECKING:
    from rating.store.tx import Tx


# OWASP's current recommendation for scrypt: N=2**17, r=8, p=1 (128 MiB and a few hundred
# milliseconds per check). Hashes made at a lower cost are upgraded at the next login.
# Tests lower it (tests/conftest.py); one test checks this value.
OWASP_COST = ScryptCost(2**17, 8, 1)
COST = OWASP_COST
# At most two checks at once: each holds 128 MiB, and a login flood must not take the
# server's memory (the per-client throttle refuses most of it before any hashing).
_HASHING = threading.BoundedSemaphore(2)
TOKEN_PREFIX = "pjt_"


def hash_password(password: str) -> str:
    with _HASHING:
        return hashing.hash_secret(password, COST)


def check_password(password: str, stored: str) -> bool:
    with _HASHING:
        return hashing.check_secret(password, stored)


def needs_rehash(stored: str) -> bool:
    """Whether a stored hash is below the current cost (upgrade it at the next login)."""
    parsed = hashing.parse(stored)
    return parsed is not None and parsed.cost != COST


def dummy_hash() -> str:
    """Checked against when the user name is unknown, so every attempt costs one scrypt at
    the current cost (timing does not tell which names exist)."""
    return hashing.dummy_hash(COST)


@dataclass(frozen=True)
class UserRow:
    id: int
    name: str
    role: str
    unit_path: str | None
    password_hash: str
    failed_logins: int
    locked_until: int | None
    disabled: bool

    def actor(self) -> Actor:
        return Actor(self.id, self.name, self.role, self.unit_path)


# UserRow's fields and the SQL each is read from: the SELECT names every column after its
# field, and a row becomes a UserRow by those names, on SQLite and PostgreSQL alike.
_USER_COLUMNS = {
    "id": "a.id",
    "name": "a.name",
    "role": "a.role",
    "unit_path": "u.path",
    "password_hash": "a.password_hash",
    "failed_logins": "a.failed_logins",
    "locked_until": "a.locked_until",
    "disabled": "a.disabled",
}
_USER_SELECT = (
    "SELECT "
    + ", ".join(f"{sql} AS {name}" for name, sql in _USER_COLUMNS.items())
    + " FROM admin_users a LEFT JOIN units u ON u.id = a.unit_id"
)


def _user(row: Sequence[Any]) -> UserRow:
    col = dict(zip(_USER_COLUMNS, row, strict=True))
    locked = col["locked_until"]
    return UserRow(
        id=int(col["id"]),
        name=str(col["name"]),
        role=str(col["role"]),
        unit_path=None if col["unit_path"] is None else str(col["unit_path"]),
        password_hash=str(col["password_hash"]),
        failed_logins=int(col["failed_logins"]),
        locked_until=None if locked is None else int(locked),
        disabled=bool(col["disabled"]),
    )


def user_by_name(tx: Tx, name: str) -> UserRow | None:
    row = tx.one(_USER_SELECT + " WHERE a.name = ?", (name,))
    return _user(row) if row else None


def list_users(tx: Tx) -> list[UserRow]:
    return [_user(r) for r in tx.all(_USER_SELECT + " ORDER BY a.name")]


class AccountError(ValueError):
    """A mistake in an account command (unknown unit, duplicate name, bad role)."""


def add_user(
    tx: Tx,
    name: str,
    role: str,
    unit_code: str | None,
    password_hash: str,
    now: int,
    actor: Actor | None = None,
) -> UserRow:
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if not name.strip():
        raise AccountError("the user name is empty")
    unit_id = None
    if unit_code:
        row = tx.one("SELECT id FROM units WHERE code = ? OR path = ?", (unit_code, unit_code))
        if row is None:
            raise AccountError(f"unknown unit {unit_code!r} (give a unit code or full path)")
        unit_id = int(row[0])
    elif role == "unit_manager":
        raise AccountError("a unit manager needs --unit")
    created = tx.one(
        "INSERT INTO admin_users (name, password_hash, role, unit_id, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING RETURNING id",
        (name.strip(), password_hash, role, unit_id, now, now),
    )
    if created is None:
        raise AccountError(f"user {name!r} already exists")
    audit(tx, now, actor, "user_add", note=f"{name} {role} {unit_code or ''}".strip())
    user = user_by_name(tx, name.strip())
    assert user is not None
    return user


def unlock_user(tx: Tx, name: str, now: int) -> bool:
    n = tx.run(
        "UPDATE admin_users SET failed_logins = 0, locked_until = NULL, updated_at = ? "
        "WHERE name = ?",
        (now, name),
    )
    if n:
        audit(tx, now, None, "user_unlock", note=name)
    return n > 0


def set_password(
    tx: Tx, name: str, password_hash: str, now: int, actor: Actor | None = None
) -> bool:
    n = tx.run(
        "UPDATE admin_users SET password_hash = ?, failed_logins = 0, locked_until = NULL, "
        "updated_at = ? WHERE name = ?",
        (password_hash, now, name),
    )
    if n:
        # A new password ends every session and API token made under the old one.
        tx.run(
            "DELETE FROM admin_sessions WHERE user_id = (SELECT id FROM admin_users "
            "WHERE name = ?)",
            (name,),
        )
        tx.run(
            "UPDATE api_tokens SET revoked_at = ? WHERE revoked_at IS NULL AND user_id = "
            "(SELECT id FROM admin_users WHERE name = ?)",
            (now, name),
        )
        audit(tx, now, actor, "user_password", note=name)
    return n > 0


# ---------------------------------------------------------------- login and sessions


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    locked: bool = False  # for the audit log and tests; the page answers as for any failure
    session: str | None = None  # the cookie value (only its hash is stored)
    csrf: str | None = None


CLIENT_WINDOW_MS = 15 * 60_000


def client_bucket(network_hash: str) -> str:
    return "login:" + network_hash


def client_failures(tx: Tx, bucket: str, now: int) -> int:
    """Failed logins from one client (network) in the current 15-minute window."""
    row = tx.one(
        "SELECT hits FROM rate_limits WHERE bucket = ? AND window_start = ?",
        (bucket, now - now % CLIENT_WINDOW_MS),
    )
    return int(row[0]) if row else 0


def record_login(
    tx: Tx,
    name: str,
    password_ok: bool,
    now: int,
    *,
    max_failures: int,
    lock_ms: int,
    session_ms: int,
    known_device: bool = False,
    new_hash: str | None = None,
    bucket: str | None = None,
) -> LoginResult:
    """Count a login attempt whose password was already checked (outside the write path).

    `max_failures` failed attempts in a row lock the account for `lock_ms`; a locked
    account refuses even the right password until the lock ends, except from a device
    its owner logged in from before (`known_device`): a lock others can trigger must not
    keep the owner out. A failure counts toward the client's throttle (`bucket`); a
    success stores `new_hash` (the password at the current scrypt cost) if given.
    """
    user = user_by_name(tx, name)
    if user is None or user.disabled:
        if bucket is not None:
            logic.bump_counter(tx, bucket, now - now % CLIENT_WINDOW_MS)
        return LoginResult(False)
    if user.locked_until is not None and user.locked_until > now and not known_device:
        audit(tx, now, user.actor(), "login_locked")
        if bucket is not None:
            logic.bump_counter(tx, bucket, now - now % CLIENT_WINDOW_MS)
        return LoginResult(False, locked=True)
    if not password_ok:
        if bucket is not None:
            logic.bump_counter(tx, bucket, now - now % CLIENT_WINDOW_MS)
        failures = user.failed_logins + 1
        locked_until = now + lock_ms if failures >= max_failures else None
        tx.run(
            "UPDATE admin_users SET failed_logins = ?, locked_until = ? WHERE id = ?",
            (0 if locked_until else failures, locked_until, user.id),
        )
        audit(
            tx, now, user.actor(), "login_failed" if locked_until is None else "lockout",
            note=f"attempt {failures}",
        )  # fmt: skip
        return LoginResult(False, locked=locked_until is not None)
    tx.run("UPDATE admin_users SET failed_logins = 0, locked_until = NULL WHERE id = ?", (user.id,))
    if new_hash is not None:
        tx.run("UPDATE admin_users SET password_hash = ? WHERE id = ?", (new_hash, user.id))
    session = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    tx.run(
        "INSERT INTO admin_sessions (token_hash, user_id, csrf, created_at, expires_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (token_hash(session), user.id, csrf, now, now + session_ms),
    )
    tx.run("DELETE FROM admin_sessions WHERE expires_at < ?", (now,))
    audit(tx, now, user.actor(), "login")
    return LoginResult(True, session=session, csrf=csrf)


@dataclass(frozen=True)
class SessionInfo:
    actor: Actor
    csrf: str


def session_user(tx: Tx, session: str, now: int) -> SessionInfo | None:
    row = tx.one(
        "SELECT s.user_id, s.csrf, s.expires_at FROM admin_sessions s WHERE s.token_hash = ?",
        (token_hash(session),),
    )
    if row is None:
        return None
    user_id, csrf, expires_at = row
    if int(expires_at) <= now:
        return None
    user = tx.one(_USER_SELECT + " WHERE a.id = ?", (user_id,))
    if user is None:
        return None
    u = _user(user)
    if u.disabled:
        return None
    return SessionInfo(u.actor(), str(csrf))


def end_session(tx: Tx, session: str) -> None:
    tx.run("DELETE FROM admin_sessions WHERE token_hash = ?", (token_hash(session),))


# ---------------------------------------------------------------- API tokens


def new_api_token(tx: Tx, name: str, label: str, now: int, actor: Actor | None = None) -> str:
    user = user_by_name(tx, name)
    if user is None:
        raise AccountError(f"no user {name!r}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    tx.run(
        "INSERT INTO api_tokens (user_id, token_hash, label, created_at) VALUES (?, ?, ?, ?)",
        (user.id, token_hash(token), label, now),
    )
    audit(tx, now, actor, "token_add", note=f"{name} {label}".strip())
    return token


def token_user(tx: Tx, token: str) -> Actor | None:
    row = tx.one(
        "SELECT t.user_id FROM api_tokens t WHERE t.token_hash = ? AND t.revoked_at IS NULL",
        (token_hash(token),),
    )
    if row is None:
        return None
    user = tx.one(_USER_SELECT + " WHERE a.id = ?", (row[0],))
    if user is None:
        return None
    u = _user(user)
    return None if u.disabled else u.actor()


def disable_user(tx: Tx, name: str, now: int, actor: Actor | None = None) -> bool:
    """Disable an account: its sessions end and its API tokens are revoked."""
    user = user_by_name(tx, name)
    if user is None:
        return False
    tx.run("UPDATE admin_users SET disabled = 1, updated_at = ? WHERE id = ?", (now, user.id))
    tx.run("DELETE FROM admin_sessions WHERE user_id = ?", (user.id,))
    tx.run(
        "UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
        (now, user.id),
    )
    audit(tx, now, actor, "user_disable", note=name)
    return True

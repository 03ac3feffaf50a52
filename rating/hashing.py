"""Stored secrets: SHA-256 for long random tokens, scrypt for what people choose.

Session cookies, API tokens, kiosk device tokens and enrolment codes are long random
strings, so an unkeyed SHA-256 is enough to store them (`token_hash`). Passwords and
kiosk PINs are guessable and get scrypt, stored in one format,
``scrypt$N$r$p$salt$digest`` (salt and digest in base64), so the cost travels with the
hash and can be raised later. PIN hashes written before the format was shared read
``scrypt$N$salt$digest`` (r=8, p=1); they are still checked.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

# The largest cost a stored hash may ask for: a forged row must not make a check take
# gigabytes of memory.
MAX_N = 2**20


@dataclass(frozen=True)
class ScryptCost:
    n: int
    r: int
    p: int

    @property
    def memory(self) -> int:
        return 128 * self.n * self.r * self.p


@dataclass(frozen=True)
class ScryptHash:
    cost: ScryptCost
    salt: bytes
    digest: bytes


def token_hash(token: str) -> str:
    """What is stored of a long random token: its SHA-256, in hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def scrypt(secret: str, salt: bytes, cost: ScryptCost, dklen: int = 32) -> bytes:
    return hashlib.scrypt(
        secret.encode("utf-8"),
        salt=salt,
        n=cost.n,
        r=cost.r,
        p=cost.p,
        maxmem=cost.memory + (1 << 20),
        dklen=dklen,
    )


def encode(cost: ScryptCost, salt: bytes, digest: bytes) -> str:
    b64 = base64.b64encode
    return f"scrypt${cost.n}${cost.r}${cost.p}${b64(salt).decode()}${b64(digest).decode()}"


def hash_secret(secret: str, cost: ScryptCost) -> str:
    """A new salted scrypt hash of `secret` at `cost`, in the stored format."""
    salt = secrets.token_bytes(16)
    return encode(cost, salt, scrypt(secret, salt, cost))


def parse(stored: str) -> ScryptHash | None:
    """A stored hash, or None if it is not one this code would check."""
    try:
        parts = stored.split("$")
        if len(parts) == 4:  # the PIN format before it was shared: r=8, p=1
            parts = [parts[0], parts[1], "8", "1", parts[2], parts[3]]
        scheme, n, r, p, salt, digest = parts
        cost = ScryptCost(int(n), int(r), int(p))
        if scheme != "scrypt" or not (1 < cost.n <= MAX_N and 0 < cost.r <= 32 and cost.p == 1):
            return None
        return ScryptHash(cost, base64.b64decode(salt), base64.b64decode(digest))
    except (ValueError, TypeError):
        return None


def check_secret(secret: str, stored: str) -> bool:
    """Whether `secret` is what `stored` was made from (constant-time comparison)."""
    parsed = parse(stored)
    if parsed is None or not parsed.digest:
        return False
    try:
        got = scrypt(secret, parsed.salt, parsed.cost, len(parsed.digest))
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(got, parsed.digest)


def dummy_hash(cost: ScryptCost) -> str:
    """A well-formed hash nothing matches, checked when there is no stored hash so that
    every attempt costs one scrypt (timing does not tell which names exist)."""
    return encode(cost, bytes(16), bytes(32))

"""One format for stored scrypt hashes (passwords and kiosk PINs); hashes stored before it
was shared still check."""

from __future__ import annotations

import base64
import hashlib

from rating import hashing
from rating.admin import auth
from rating.kiosk import store as ks


def old_pin_hash(pin: str, salt: bytes) -> str:
    """A kiosk PIN hash as it was stored before the format was shared: scrypt$N$salt$digest."""
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"scrypt${2**14}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def test_a_pin_hash_stored_in_the_old_format_still_checks() -> None:
    stored = old_pin_hash("2468", b"k" * 16)
    assert ks.verify_pin("2468", stored)
    assert not ks.verify_pin("2469", stored)


def test_pins_and_passwords_share_one_format() -> None:
    pin = ks.hash_pin("135790")
    password = auth.hash_password("correct horse")
    assert pin.startswith("scrypt$16384$8$1$") and len(pin.split("$")) == 6
    assert password.startswith(f"scrypt${auth.COST.n}$8$1$") and len(password.split("$")) == 6
    assert ks.verify_pin("135790", pin) and not ks.verify_pin("135791", pin)
    assert auth.check_password("correct horse", password)
    assert not auth.check_password("correct horse!", password)


def test_a_password_hash_stored_before_the_shared_helper_still_checks() -> None:
    # Written as auth.hash_password wrote it: scrypt$N$r$p$salt$digest, dklen 32.
    salt = b"s" * 16
    digest = hashlib.scrypt(b"pw", salt=salt, n=2**9, r=8, p=1, dklen=32)
    b64 = base64.b64encode
    stored = f"scrypt$512$8$1${b64(salt).decode()}${b64(digest).decode()}"
    assert auth.check_password("pw", stored) and not auth.check_password("pW", stored)
    assert auth.needs_rehash(stored)


def test_malformed_or_costly_hashes_never_match() -> None:
    for stored in ("", "scrypt$", "bcrypt$1$2$3$4$5", "scrypt$x$8$1$AA==$AA==",
                   f"scrypt${2**21}$8$1$AAAA$AAAA", "scrypt$1024$8$2$AAAA$AAAA"):  # fmt: skip
        assert not hashing.check_secret("pw", stored)
        assert not ks.verify_pin("pw", stored)
    assert not auth.check_password("pw", auth.dummy_hash())


def test_tokens_are_stored_as_their_sha256() -> None:
    assert hashing.token_hash("abc") == hashlib.sha256(b"abc").hexdigest()

"""Keys, keyed hashes, phone encryption, badge tokens and receipt codes.

One master secret feeds HKDF to give each purpose its own key, so a leaked device hash
key says nothing about phone numbers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac  # compare_digest
import ipaddress
import re
import secrets
import unicodedata
from typing import TypedDict

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# Crockford base32: digits and upper-case letters without I, L, O, U, so a code typed
# from a printed badge survives 0/O and 1/I/L mix-ups.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_TYPO = str.maketrans({"O": "0", "I": "1", "L": "1"})
TOKEN_LENGTH = 12  # 12 x 5 bits = 60 bits of randomness
RECEIPT_LENGTH = 12
_CODE_RE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{12}$")


_FROM_RFC4648 = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", ALPHABET.encode())


def random_code(length: int) -> str:
    """`length` Crockford base32 characters carrying 5 x length random bits."""
    # Base32 of random bytes (each character 5 of their bits), spelled in Crockford's
    # alphabet: a few times faster than picking characters one by one, on the rating path.
    raw = base64.b32encode(secrets.token_bytes((5 * length + 7) // 8))
    return raw[:length].translate(_FROM_RFC4648).decode()


def new_badge_token() -> str:
    """A fresh badge token: 12 Crockford base32 characters, 60 random bits."""
    return random_code(TOKEN_LENGTH)


class ReceiptCodec:
    """Receipt codes made from rating ids: a keyed permutation of 60-bit numbers, spelled
    as 12 Crockford base32 characters.

    Without the key a code is as hard to guess as 60 random bits, yet the store needs no
    index on it: the code decodes to the rating's id. (A random code needed a unique
    index, and each new rating wrote a random page of it to the WAL at every commit.)
    The permutation is a balanced Feistel network on 30-bit halves with keyed BLAKE2b
    as its round function. The bits above `ID_BITS` are a variant number: a code that
    collides with a receipt issued before codes came from ids takes the next variant.
    """

    ROUNDS = 8
    ID_BITS = 40
    _HALF = 30
    _MASK = (1 << 30) - 1

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("receipt key too short")
        # One keyed hash state per round, copied for each use: keying costs more than
        # hashing four bytes.
        self._rounds = [
            hashlib.blake2b(bytes((i,)), key=key[:64], digest_size=4) for i in range(self.ROUNDS)
        ]

    def _round(self, i: int, half: int) -> int:
        h = self._rounds[i].copy()
        h.update(half.to_bytes(4, "big"))
        return int.from_bytes(h.digest(), "big") & self._MASK

    def encode(self, rating_id: int, variant: int = 0) -> str:
        if not 0 < rating_id < 1 << self.ID_BITS or not 0 <= variant < 1 << 20:
            raise ValueError("rating id or variant out of range")
        n = variant << self.ID_BITS | rating_id
        left, right = n >> self._HALF, n & self._MASK
        # `_round` inlined: this runs once per rating in the SQLite writer.
        mask, from_bytes = self._MASK, int.from_bytes
        for state in self._rounds:
            h = state.copy()
            h.update(right.to_bytes(4, "big"))
            left, right = right, left ^ (from_bytes(h.digest(), "big") & mask)
        # 60 bits, shifted to fill 8 bytes: base32's first 12 characters are exactly them.
        raw = base64.b32encode(((left << self._HALF | right) << 4).to_bytes(8, "big"))
        return raw[:RECEIPT_LENGTH].translate(_FROM_RFC4648).decode()

    def rating_id(self, code: str) -> int:
        """The rating id a normalized code stands for (0 if it is not a code)."""
        if not _CODE_RE.match(code):
            return 0
        n = 0
        for ch in code:
            n = n << 5 | ALPHABET.index(ch)
        left, right = n >> self._HALF, n & self._MASK
        for i in reversed(range(self.ROUNDS)):
            left, right = right ^ self._round(i, left), left
        return (left << self._HALF | right) & ((1 << self.ID_BITS) - 1)


def normalize_code(raw: str) -> str | None:
    """Canonical form of a typed token or receipt code, or None if it cannot be one."""
    # NFKC: full-width letters and digits typed with a Chinese input method.
    code = unicodedata.normalize("NFKC", raw).strip().upper()
    code = code.replace("-", "").replace(" ", "").translate(_TYPO)
    return code if _CODE_RE.match(code) else None


def format_receipt(code: str) -> str:
    """Receipt as printed for people: ABCD-EFGH-JKMN."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


_PHONE_STRIP = re.compile(r"[\s\-()]")
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_LANDLINE = re.compile(r"^0[0-9]{9,11}$")


def normalize_phone(raw: str) -> str | None:
    """Digits of a mainland mobile or landline number, or None if malformed."""
    phone = _PHONE_STRIP.sub("", raw)
    if phone.startswith("+86"):
        phone = phone[3:]
    elif phone.startswith("0086"):
        phone = phone[4:]
    if _MOBILE.match(phone) or _LANDLINE.match(phone):
        return phone
    return None


def mask_phone(phone: str) -> str:
    """138****5678: first three and last four digits, the rest hidden."""
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


STAMP_NONCE_BYTES = 4


class PhoneColumns(TypedDict):
    """A citizen's phone number as a rating or a letter stores it (all None without one):
    sealed, keyed hash to match it, masked to show it."""

    phone_enc: str | None
    phone_hash: str | None
    phone_mask: str | None


class Keys:
    """Purpose-specific keys derived from the master secret."""

    def __init__(self, master: str) -> None:
        if not master:
            raise ValueError("empty master secret")
        self._phone_key = self._derive(master, b"pingjing phone encryption v1")
        self._phone_hash = self._derive(master, b"pingjing phone hash v1")
        self._device = self._derive(master, b"pingjing device hash v1")
        self._network = self._derive(master, b"pingjing network hash v1")
        self._stamp = self._derive(master, b"pingjing form stamp v1")
        self._aead = AESGCM(self._phone_key)

    @staticmethod
    def _derive(master: str, info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(
            master.encode("utf-8")
        )

    @staticmethod
    def _mac(key: bytes, value: str) -> str:
        # Keyed BLAKE2b is a MAC in its own right and several times cheaper than HMAC.
        return hashlib.blake2b(value.encode("utf-8"), key=key, digest_size=16).hexdigest()

    def phone_hash(self, phone: str) -> str:
        return self._mac(self._phone_hash, phone)

    def device_hash(self, device_id: str) -> str:
        return self._mac(self._device, device_id)

    def network_hash(self, address: str) -> str:
        return self._mac(self._network, address)

    def encrypt_phone(self, phone: str) -> str:
        nonce = secrets.token_bytes(12)
        sealed = self._aead.encrypt(nonce, phone.encode("utf-8"), b"phone")
        return base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def phone_columns(self, phone: str | None) -> PhoneColumns:
        """`PhoneColumns` of a phone number given (None or "": none)."""
        if not phone:
            return PhoneColumns(phone_enc=None, phone_hash=None, phone_mask=None)
        return PhoneColumns(
            phone_enc=self.encrypt_phone(phone),
            phone_hash=self.phone_hash(phone),
            phone_mask=mask_phone(phone),
        )

    def decrypt_phone(self, blob: str) -> str:
        raw = base64.urlsafe_b64decode(blob.encode("ascii"))
        return self._aead.decrypt(raw[:12], raw[12:], b"phone").decode("utf-8")

    def stamp(self, issued_ms: int, token: str, nonce: str | None = None) -> str:
        """A form stamp proving when the rating page for `token` was served.

        Each page load gets its own (a random nonce), so two people loading one officer's
        page in the same millisecond never share one: a stamp creates one rating."""
        nonce = nonce if nonce is not None else secrets.token_hex(STAMP_NONCE_BYTES)
        mac = self._mac(self._stamp, f"{issued_ms}:{nonce}:{token}")[:16]
        return f"{issued_ms}.{nonce}{mac}"

    def stamp_time(self, stamp: str, token: str) -> int | None:
        """The issue time in a genuine stamp for `token`, else None."""
        issued, _, rest = stamp.partition(".")
        # ASCII first: str.isdigit() takes "²" and "٣", and compare_digest refuses
        # non-ASCII text with a TypeError (a 500 for any stamp with an accent in it).
        if not (stamp.isascii() and issued.isdigit() and len(issued) <= 16):
            return None
        if len(rest) == 16:  # made before stamps had a nonce: still valid until they expire
            mac, expected = rest, self._mac(self._stamp, f"{issued}:{token}")[:16]
        elif len(rest) == 2 * STAMP_NONCE_BYTES + 16:
            nonce, mac = rest[:-16], rest[-16:]
            expected = self._mac(self._stamp, f"{issued}:{nonce}:{token}")[:16]
        else:
            return None
        return int(issued) if hmac.compare_digest(mac, expected) else None


def network_key(address: str) -> str:
    """What one subscriber controls: the address for IPv4, the /64 for IPv6."""
    if ":" not in address:
        return address  # IPv4 (or an unknown peer): the address itself, no parsing needed
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        if ip.ipv4_mapped is not None:  # a dual-stack socket reports IPv4 as ::ffff:a.b.c.d
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)

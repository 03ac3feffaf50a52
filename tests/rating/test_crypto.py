"""Badge tokens, receipt codes, phone numbers and keyed hashes (rating/crypto.py)."""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag

from rating.crypto import (
    ALPHABET,
    Keys,
    ReceiptCodec,
    format_receipt,
    mask_phone,
    new_badge_token,
    normalize_code,
    normalize_phone,
)


def test_badge_tokens_are_short_url_safe_and_distinct() -> None:
    tokens = {new_badge_token() for _ in range(2000)}
    assert len(tokens) == 2000  # 60 random bits: no collisions in a few thousand
    for token in tokens:
        assert len(token) <= 12
        assert set(token) <= set(ALPHABET)
        # Only letters and digits: safe in a URL path and easy to read off a badge.
        assert token.isalnum() and token.isascii()
    # Characters that look alike on print are never issued.
    assert not set("ILOU") & set("".join(tokens))


def test_tokens_use_the_whole_alphabet() -> None:
    # A token that used only part of the alphabet would carry fewer random bits.
    seen = set("".join(new_badge_token() for _ in range(500)))
    assert seen == set(ALPHABET)
    assert len(ALPHABET) == 32  # 5 bits a character, 12 characters: 60 bits


def test_receipts_are_codes_and_print_in_groups() -> None:
    receipt = ReceiptCodec(b"k" * 32).encode(1)
    assert normalize_code(receipt) == receipt
    shown = format_receipt(receipt)
    assert shown.replace("-", "") == receipt
    assert [len(g) for g in shown.split("-")] == [4, 4, 4]


def test_receipt_codes_decode_to_their_rating_and_reveal_no_order() -> None:
    codec = ReceiptCodec(bytes(range(32)))
    ids = [1, 2, 3, 4, 999, 1000, 2**31, 2**40 - 1]
    codes = [codec.encode(i) for i in ids]
    for rating_id, code in zip(ids, codes, strict=True):
        assert normalize_code(code) == code
        assert codec.rating_id(code) == rating_id
    # A variant is another code for the same rating.
    assert codec.encode(5, 1) != codec.encode(5)
    assert codec.rating_id(codec.encode(5, 1)) == 5
    # Neighbouring ids give unrelated codes: no shared prefix, no order to walk.
    consecutive = [codec.encode(i) for i in range(1, 2001)]
    assert len(set(consecutive)) == 2000
    assert len({c[:2] for c in consecutive}) > 500
    assert consecutive != sorted(consecutive)
    # The whole alphabet in every position: all 60 bits are used.
    for pos in range(12):
        assert {c[pos] for c in consecutive} == set(ALPHABET)
    # Another key, other codes; a code of one database means nothing in another.
    other = ReceiptCodec(bytes(range(1, 33)))
    assert {other.encode(i) for i in range(1, 2001)}.isdisjoint(consecutive)
    # Not a code at all: id 0, which no rating has.
    assert codec.rating_id("not a code") == 0


def test_receipt_codec_refuses_ids_it_cannot_carry() -> None:
    codec = ReceiptCodec(b"k" * 32)
    for bad in (0, -1, 2**40):
        with pytest.raises(ValueError):
            codec.encode(bad)
    with pytest.raises(ValueError):
        ReceiptCodec(b"short")


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("0A1B2C3D4E5F", "0A1B2C3D4E5F"),
        ("0a1b2c3d4e5f", "0A1B2C3D4E5F"),
        ("oa1b-2c3d-4e5f", "0A1B2C3D4E5F"),  # letter O for zero, dashes as printed
        ("OAIB 2C3D 4E5F", "0A1B2C3D4E5F"),  # I for one, spaces
        (" 0ALB2C3D4E5F\n", "0A1B2C3D4E5F"),  # L for one, stray whitespace
    ],
)
def test_typed_codes_are_forgiven(typed: str, canonical: str) -> None:
    assert normalize_code(typed) == canonical


@pytest.mark.parametrize(
    "typed",
    ["", "0A1B2C3D4E5", "0A1B2C3D4E5F0", "0A1B2C3D4E5U", "0A1B2C3D4E5!", "../etc/passwd"],
)
def test_impossible_codes_are_refused(typed: str) -> None:
    assert normalize_code(typed) is None


@pytest.mark.parametrize(
    ("typed", "digits"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("008613812345678", "13812345678"),
        ("0313-1234567", "03131234567"),  # landline with area code
        ("(010) 12345678", "01012345678"),
    ],
)
def test_phone_numbers_normalize(typed: str, digits: str) -> None:
    assert normalize_phone(typed) == digits


@pytest.mark.parametrize(
    "typed",
    ["", "12345", "12812345678", "1381234567", "138123456789", "1381234567x", "abc", "110"],
)
def test_malformed_phone_numbers_are_refused(typed: str) -> None:
    assert normalize_phone(typed) is None


def test_phone_mask_shows_only_the_ends() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("03131234567") == "031****4567"
    assert "1234" not in mask_phone("13812345678")


def test_phone_encryption_round_trips_and_is_not_the_number() -> None:
    keys = Keys("secret-a")
    sealed = keys.encrypt_phone("13812345678")
    assert "13812345678" not in sealed
    assert keys.decrypt_phone(sealed) == "13812345678"
    # A fresh nonce each time: the same number does not give the same ciphertext.
    assert keys.encrypt_phone("13812345678") != sealed
    with pytest.raises(InvalidTag):
        Keys("secret-b").decrypt_phone(sealed)


def test_keyed_hashes_depend_on_the_secret_and_the_purpose() -> None:
    a, b = Keys("secret-a"), Keys("secret-b")
    assert a.phone_hash("13812345678") == a.phone_hash("13812345678")
    assert a.phone_hash("13812345678") != b.phone_hash("13812345678")
    # The same value hashed for different purposes does not link across tables.
    assert a.device_hash("203.0.113.7") != a.network_hash("203.0.113.7")
    assert "203.0.113.7" not in a.network_hash("203.0.113.7")


def test_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError):
        Keys("")


def test_form_stamp_is_bound_to_token_and_secret() -> None:
    keys = Keys("secret-a")
    stamp = keys.stamp(1_700_000_000_000, "0A1B2C3D4E5F")
    assert keys.stamp_time(stamp, "0A1B2C3D4E5F") == 1_700_000_000_000
    assert keys.stamp_time(stamp, "0A1B2C3D4E5G") is None  # another officer's page
    assert Keys("secret-b").stamp_time(stamp, "0A1B2C3D4E5F") is None
    issued, mac = stamp.split(".")
    assert keys.stamp_time(f"{int(issued) - 60_000}.{mac}", "0A1B2C3D4E5F") is None
    for junk in ("", ".", "abc", "1700000000000", "1700000000000.", "x." + mac):
        assert keys.stamp_time(junk, "0A1B2C3D4E5F") is None
    # Each page load its own stamp, even in the same millisecond (one stamp, one rating).
    assert keys.stamp(1_700_000_000_000, "0A1B2C3D4E5F") != stamp
    # A stamp made before stamps had a nonce stays valid until it expires.
    legacy = "1700000000000." + keys._mac(keys._stamp, "1700000000000:0A1B2C3D4E5F")[:16]
    assert keys.stamp_time(legacy, "0A1B2C3D4E5F") == 1_700_000_000_000
    # Non-ASCII (issue 14, item 2): once a TypeError from compare_digest, a 500.
    for junk in ("1796187727804." + "é" * 16, "1796187727804." + mac[:15] + "é", "¹²³." + mac):
        assert keys.stamp_time(junk, "0A1B2C3D4E5F") is None


def test_network_key_groups_ipv6_by_64_and_unwraps_mapped_ipv4() -> None:
    from rating.intake import network_key

    assert network_key("203.0.113.7") == "203.0.113.7"
    assert network_key("2001:db8:1:2::1") == network_key("2001:db8:1:2:ffff::9")
    assert network_key("2001:db8:1:2::1") != network_key("2001:db8:1:3::1")
    # IPv4 clients seen through a dual-stack socket stay separate addresses.
    assert network_key("::ffff:203.0.113.7") == "203.0.113.7"
    assert network_key("::ffff:203.0.113.7") != network_key("::ffff:203.0.113.8")

"""The fast encoder gives exactly qrcode's symbols (same mask choice) and they scan."""

from __future__ import annotations

import random

import numpy as np
import pytest
import qrcode
import qrcode.util
from PIL import Image

from qr.encode import ECC_LEVELS, encode, encode_many, penalties, with_quiet_zone
from tests.qr.conftest import decode_one

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def sample_urls(count: int, seed: int) -> list[str]:
    """Badge URLs, plus longer ones that reach versions 7-11 and mixed segment modes."""
    rng = random.Random(seed)
    bases = ("https://pj.example.cn", "http://10.1.2.3:8000", "HTTPS://PJ.EXAMPLE.CN/X")
    extras = (0, 0, 3, 8, 20, 40, 60, 90, 130, 180, 240)
    urls = []
    for i in range(count):
        token = "".join(rng.choice(ALPHABET) for _ in range(12))
        extra = "".join(rng.choice("abcxyz/-") for _ in range(extras[i % len(extras)]))
        digits = str(rng.randrange(10**25, 10**26)) if i % 4 == 3 else ""
        urls.append(f"{bases[i % 3]}/{extra}{digits}/r/{token}")
    return urls


def reference(url: str, ecc: str) -> qrcode.QRCode:
    code: qrcode.QRCode = qrcode.QRCode(error_correction=ECC_LEVELS[ecc], border=0)
    code.add_data(url)
    code.make()
    return code


@pytest.mark.parametrize("ecc", ["L", "M", "Q", "H"])
def test_symbols_and_mask_choice_equal_qrcodes(ecc: str) -> None:
    refs = {url: reference(url, ecc) for url in sample_urls(16, seed=ord(ecc))}
    refs = {u: r for u, r in refs.items() if r.version <= 11}  # larger: refused, see below
    # One at a time, and as the batch job does it (a page at once, versions mixed).
    batch = encode_many(list(refs), ecc)
    versions, masks = set(), set()
    for (url, ref), batched in zip(refs.items(), batch, strict=True):
        ours = encode(url, ecc)
        assert np.array_equal(batched.modules, ours.modules) and batched.mask == ours.mask
        versions.add(ours.version)
        masks.add(ours.mask)
        assert ours.version == ref.version
        # Equal matrices include equal format information, i.e. the same mask pattern.
        assert np.array_equal(ours.modules, np.array(ref.modules, dtype=bool)), url
    assert min(versions) <= 5 and max(versions) >= 7  # badge-sized and version-info codes
    assert len(masks) >= 4  # the choice really varies, so the comparison means something


def test_penalty_scores_equal_qrcodes_lost_point() -> None:
    rng = np.random.default_rng(18004)
    for size in (21, 25, 33, 37, 45, 61):
        for share in (0.2, 0.5, 0.8):
            candidates = rng.random((8, size, size)) < share
            expected = [qrcode.util.lost_point(c.tolist()) for c in candidates]
            assert penalties(candidates).tolist() == expected


@pytest.mark.parametrize("ecc", ["Q", "H"])
def test_codes_scan_back_to_their_url_at_the_requested_level(ecc: str) -> None:
    import zxingcpp

    for url in sample_urls(6, seed=7):
        modules = with_quiet_zone(encode(url, ecc).modules)
        image = Image.fromarray(~np.kron(modules, np.ones((6, 6), dtype=bool)))
        assert decode_one(image) == url
        (found,) = zxingcpp.read_barcodes(image.convert("L"))
        assert found.ec_level == ecc


def test_quiet_zone_is_four_light_modules() -> None:
    modules = with_quiet_zone(encode("https://pj.example.cn/r/ABCDEFGH1234").modules)
    assert not modules[:4].any() and not modules[-4:].any()
    assert not modules[:, :4].any() and not modules[:, -4:].any()
    assert modules[4, 4]  # the finder pattern starts right after it


def test_data_too_long_for_a_badge_code_is_refused() -> None:
    with pytest.raises(ValueError, match="too large for a badge"):
        encode("https://pj.example.cn/r/" + "x" * 400)

"""QR Code symbols (ISO/IEC 18004) as numpy module matrices.

The `qrcode` package is the reference: we take its segmentation, its RS block and
BCH tables, and choose the same mask it would. What we replace is its pure-Python
matrix building and mask search (about 80% of its time per code): the function
patterns and the data-module placement order are computed once per version, and the
eight masked candidates are scored together with vectorised penalty rules.

qrcode scores candidates with the format and version areas left light (the standard
adds format information after masking); we do the same, so the chosen mask — and the
whole symbol — is identical to qrcode's. tests/qr/test_encode.py checks this.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
from qrcode import base as qr_base
from qrcode import constants
from qrcode import util as qr_util

QUIET_ZONE = 4  # modules of light margin on every side (the standard's minimum)

ECC_LEVELS = {
    "L": constants.ERROR_CORRECT_L,
    "M": constants.ERROR_CORRECT_M,
    "Q": constants.ERROR_CORRECT_Q,
    "H": constants.ERROR_CORRECT_H,
}

_PAD = (0xEC, 0x11)
_FINDER_LIKE = (0b10111010000, 0b00001011101)  # 1:1:3:1:1 with 4 light modules

# ------------------------------------------------------------------ Reed-Solomon

_EXP = [0] * 512
_LOG = [0] * 256
_x = 1
for _i in range(255):
    _EXP[_i] = _x
    _LOG[_x] = _i
    _x <<= 1
    if _x & 0x100:
        _x ^= 0x11D
for _i in range(255, 512):
    _EXP[_i] = _EXP[_i - 255]


def _gf_mul(a: int, b: int) -> int:
    return 0 if a == 0 or b == 0 else _EXP[_LOG[a] + _LOG[b]]


@cache
def _rs_table(ec_count: int) -> tuple[int, ...]:
    """For each feedback byte, generator x feedback as one big integer of `ec_count` bytes."""
    gen = [1]
    for i in range(ec_count):
        nxt = [0] * (len(gen) + 1)
        for j, c in enumerate(gen):
            nxt[j] ^= c
            nxt[j + 1] ^= _gf_mul(c, _EXP[i])
        gen = nxt
    return tuple(int.from_bytes(bytes(_gf_mul(fb, g) for g in gen[1:]), "big") for fb in range(256))


def _rs_remainder(data: bytes, ec_count: int) -> bytes:
    # Polynomial division as a shift register held in one Python int: one shift, one
    # XOR and one table look-up per data byte.
    table = _rs_table(ec_count)
    shift = 8 * (ec_count - 1)
    keep = (1 << (8 * ec_count)) - 1
    rem = 0
    for byte in data:
        rem = ((rem << 8) & keep) ^ table[(rem >> shift) ^ byte]
    return rem.to_bytes(ec_count, "big")


# ------------------------------------------------------------------ data codewords


def _segments(data: str) -> list[qr_util.QRData]:
    # qrcode's own segmentation (QRCode.add_data's default), so versions match.
    return list(qr_util.optimal_data_chunks(data, minimum=20))


def _segment_bits(seg: qr_util.QRData, version: int) -> tuple[int, int]:
    """(value, bit length) of one segment: mode indicator, count, payload."""
    raw: bytes = seg.data
    value, nbits = seg.mode, 4
    count_bits = qr_util.mode_sizes_for_version(version)[seg.mode]
    value, nbits = (value << count_bits) | len(raw), nbits + count_bits
    if seg.mode == qr_util.MODE_NUMBER:
        for i in range(0, len(raw), 3):
            chunk = raw[i : i + 3]
            width = qr_util.NUMBER_LENGTH[len(chunk)]
            value, nbits = (value << width) | int(chunk), nbits + width
    elif seg.mode == qr_util.MODE_ALPHA_NUM:
        table = qr_util.ALPHA_NUM
        for i in range(0, len(raw), 2):
            chunk = raw[i : i + 2]
            if len(chunk) == 2:
                v, width = table.index(chunk[0]) * 45 + table.index(chunk[1]), 11
            else:
                v, width = table.index(chunk[0]), 6
            value, nbits = (value << width) | v, nbits + width
    else:
        value, nbits = (value << 8 * len(raw)) | int.from_bytes(raw, "big"), nbits + 8 * len(raw)
    return value, nbits


def _capacity_bits(version: int, ecc: int) -> int:
    return sum(b.data_count * 8 for b in qr_base.rs_blocks(version, ecc))


def _bit_length(segments: list[qr_util.QRData], version: int) -> int:
    total = 0
    for seg in segments:
        count_bits = qr_util.mode_sizes_for_version(version)[seg.mode]
        n = len(seg.data)
        if seg.mode == qr_util.MODE_NUMBER:
            payload = 10 * (n // 3) + (0, 4, 7)[n % 3]
        elif seg.mode == qr_util.MODE_ALPHA_NUM:
            payload = 11 * (n // 2) + 6 * (n % 2)
        else:
            payload = 8 * n
        total += 4 + count_bits + payload
    return total


@cache
def _version_for(shape: tuple[tuple[int, int], ...], ecc: int) -> int:
    # Every badge URL has the same shape, so this runs once per batch.
    fake = [qr_util.QRData(b"0" * n, mode=mode, check_data=False) for mode, n in shape]
    for version in range(1, 41):
        if _bit_length(fake, version) <= _capacity_bits(version, ecc):
            return version
    raise ValueError("data too long for a QR code")


def fit_version(data: str, ecc: str = "Q") -> int:
    """The smallest QR version that holds `data` at error-correction level `ecc`."""
    segments = _segments(data)
    return _version_for(tuple((s.mode, len(s.data)) for s in segments), ECC_LEVELS[ecc])


def codewords(data: str, version: int, ecc: str) -> bytes:
    """Final codeword sequence (data + error correction, interleaved) for `data`."""
    level = ECC_LEVELS[ecc]
    value, nbits = 0, 0
    for seg in _segments(data):
        v, n = _segment_bits(seg, version)
        value, nbits = (value << n) | v, nbits + n
    blocks = qr_base.rs_blocks(version, level)
    limit = sum(b.data_count for b in blocks) * 8
    if nbits > limit:
        raise ValueError(f"data does not fit version {version}-{ecc}")
    term = min(4, limit - nbits)
    value, nbits = value << term, nbits + term
    if nbits % 8:
        value, nbits = value << (8 - nbits % 8), nbits + (8 - nbits % 8)
    stream = value.to_bytes(nbits // 8, "big") if nbits else b""
    stream += bytes(_PAD[i % 2] for i in range(limit // 8 - len(stream)))

    ec_parts, offset = [], 0
    for block in blocks:
        chunk = stream[offset : offset + block.data_count]
        offset += block.data_count
        ec_parts.append(_rs_remainder(chunk, block.total_count - block.data_count))
    blocks_in_order = np.frombuffer(stream + b"".join(ec_parts), dtype=np.uint8)
    out: bytes = blocks_in_order[_interleaving(version, level)].tobytes()
    return out


@cache
def _interleaving(version: int, level: int) -> np.ndarray:
    """Positions, in the block-by-block byte sequence, of each interleaved codeword."""
    blocks = qr_base.rs_blocks(version, level)
    data_at, ec_at, pos = [], [], 0
    for block in blocks:
        data_at.append(range(pos, pos + block.data_count))
        pos += block.data_count
    for block in blocks:
        count = block.total_count - block.data_count
        ec_at.append(range(pos, pos + count))
        pos += count
    order: list[int] = []
    for group in (data_at, ec_at):
        for i in range(max(len(r) for r in group)):
            order.extend(r[i] for r in group if i < len(r))
    return np.array(order, dtype=np.intp)


# ------------------------------------------------------------------ symbol layout


@dataclass(frozen=True)
class Template:
    """Everything about a (version, level) symbol that does not depend on the data."""

    version: int
    size: int
    base: np.ndarray  # function patterns + version info + dark module, as finally printed
    probe: np.ndarray  # the same with format/version areas light (what masks are scored on)
    data_rows: np.ndarray
    data_cols: np.ndarray
    masks: np.ndarray  # (8, size, size) bool, True where mask k flips a data module
    mask_rows: np.ndarray  # the masks as packed rows (8, size) uint64
    mask_cols: np.ndarray  # ... and as packed columns
    format_rows: np.ndarray
    format_cols: np.ndarray
    format_bits: np.ndarray  # (8, 30) bool: format information for each mask


def _finder(mat: np.ndarray, used: np.ndarray, row: int, col: int) -> None:
    n = mat.shape[0]
    for r in range(-1, 8):
        for c in range(-1, 8):
            rr, cc = row + r, col + c
            if 0 <= rr < n and 0 <= cc < n:
                dark = (0 <= r <= 6 and c in (0, 6)) or (0 <= c <= 6 and r in (0, 6))
                dark = dark or (2 <= r <= 4 and 2 <= c <= 4)
                mat[rr, cc], used[rr, cc] = dark, True


def _format_positions(n: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Positions of format bit i (LSB first) in its two copies."""
    first, second = [], []
    for i in range(15):
        first.append((i, 8) if i < 6 else (i + 1, 8) if i < 8 else (n - 15 + i, 8))
        second.append((8, n - i - 1) if i < 8 else (8, 15 - i) if i < 9 else (8, 14 - i))
    return first, second


@cache
def template(version: int, ecc: str) -> Template:
    """The function patterns, data placement order and masks of one symbol version."""
    n = version * 4 + 17
    if n > MAX_SIZE:
        raise ValueError(f"QR version {version} is too large for a badge (at most 11)")
    mat = np.zeros((n, n), dtype=bool)
    used = np.zeros((n, n), dtype=bool)
    _finder(mat, used, 0, 0)
    _finder(mat, used, n - 7, 0)
    _finder(mat, used, 0, n - 7)
    centres = qr_util.pattern_position(version)
    for row in centres:
        for col in centres:
            if used[row, col]:
                continue
            for r in range(-2, 3):
                for c in range(-2, 3):
                    dark = r in (-2, 2) or c in (-2, 2) or (r == 0 and c == 0)
                    mat[row + r, col + c], used[row + r, col + c] = dark, True
    for i in range(8, n - 8):
        if not used[i, 6]:
            mat[i, 6], used[i, 6] = i % 2 == 0, True
        if not used[6, i]:
            mat[6, i], used[6, i] = i % 2 == 0, True

    first, second = _format_positions(n)
    fmt = first + second
    for r, c in fmt:
        used[r, c] = True
    used[n - 8, 8] = True
    probe = mat.copy()  # format/version areas and the dark module stay light here
    mat[n - 8, 8] = True
    if version >= 7:
        bits = qr_util.BCH_type_number(version)
        for i in range(18):
            dark = bool((bits >> i) & 1)
            for r, c in ((i // 3, i % 3 + n - 11), (i % 3 + n - 11, i // 3)):
                mat[r, c], used[r, c] = dark, True
                probe[r, c] = False

    order: list[tuple[int, int]] = []
    upward = True
    col = n - 1
    while col > 0:
        if col == 6:
            col -= 1
        rows = range(n - 1, -1, -1) if upward else range(n)
        for r in rows:
            for c in (col, col - 1):
                if not used[r, c]:
                    order.append((r, c))
        upward = not upward
        col -= 2

    r_, c_ = np.indices((n, n))
    formulas = (
        (r_ + c_) % 2 == 0,
        r_ % 2 == 0,
        c_ % 3 == 0,
        (r_ + c_) % 3 == 0,
        (r_ // 2 + c_ // 3) % 2 == 0,
        (r_ * c_) % 2 + (r_ * c_) % 3 == 0,
        ((r_ * c_) % 2 + (r_ * c_) % 3) % 2 == 0,
        ((r_ * c_) % 3 + (r_ + c_) % 2) % 2 == 0,
    )
    masks = np.stack(formulas) & ~used
    level = ECC_LEVELS[ecc]
    format_bits = np.zeros((8, 30), dtype=bool)
    for k in range(8):
        bits = qr_util.BCH_type_info((level << 3) | k)
        row = [bool((bits >> b) & 1) for b in range(15)]
        format_bits[k] = row + row
    rows_cols = np.array(order, dtype=np.intp)
    fmt_arr = np.array(fmt, dtype=np.intp)
    return Template(
        version=version,
        size=n,
        base=mat,
        probe=probe,
        data_rows=rows_cols[:, 0],
        data_cols=rows_cols[:, 1],
        masks=masks,
        mask_rows=pack_lines(masks),
        mask_cols=pack_lines(masks.transpose(0, 2, 1)),
        format_rows=fmt_arr[:, 0],
        format_cols=fmt_arr[:, 1],
        format_bits=format_bits,
    )


# ------------------------------------------------------------------ mask choice
#
# Each row and column of a candidate is packed into one uint64 (column c at bit 63 - c),
# so every penalty rule is a handful of shifts, ANDs and popcounts over (8, size) arrays.

MAX_SIZE = 64  # modules per side that fit a uint64 line: versions 1-11


def _valid(width: int) -> np.uint64:
    """Bits of columns 0 .. width-1."""
    return np.uint64(((1 << width) - 1) << (64 - width)) if width > 0 else np.uint64(0)


def pack_lines(matrix: np.ndarray) -> np.ndarray:
    """(..., n, n) bool -> (..., n) uint64, one integer per row (column c at bit 63 - c)."""
    packed = np.packbits(matrix, axis=-1)
    padded = np.zeros(packed.shape[:-1] + (8,), dtype=np.uint8)
    padded[..., : packed.shape[-1]] = packed
    return padded.view(">u8")[..., 0].astype(np.uint64)


def packed_penalties(rows: np.ndarray, cols: np.ndarray, n: int) -> np.ndarray:
    """ISO 18004 penalty N1+N2+N3+N4 of each candidate, counted the way qrcode counts.

    `rows` and `cols` are (k, n) packed lines of k candidate symbols of n x n modules.
    """
    lines = np.concatenate([rows, cols], axis=1)
    light = ~lines
    # N1: a run of 5+ same-coloured modules scores 3 + (length - 5). A run of length L
    # holds L - 4 all-equal windows of five; add 2 per run, counted where it starts.
    eq = ~(lines ^ (lines << 1)) & _valid(n - 1)
    five = eq & (eq << 1) & (eq << 2) & (eq << 3)
    starts = five & ~(eq >> 1)
    n1 = np.bitwise_count(five).sum(axis=1) + 2 * np.bitwise_count(starts).sum(axis=1)
    # N2: 3 for every 2x2 block of one colour (overlapping blocks all count).
    row_eq = eq[:, :n]
    block = row_eq[:, :-1] & row_eq[:, 1:] & ~(rows[:, :-1] ^ rows[:, 1:])
    n2 = 3 * np.bitwise_count(block).sum(axis=1)
    # N3: 40 for each 1011101 with four light modules before or after it.
    core = lines & (light << 1) & (lines << 2) & (lines << 3) & (lines << 4)
    core &= (light << 5) & (lines << 6)
    four = light & (light << 1) & (light << 2) & (light << 3)
    windows = _valid(n - 10)
    finder_like = np.bitwise_count(core & (four << 7) & windows) + np.bitwise_count(
        four & (core << 4) & windows
    )
    n3 = 40 * finder_like.sum(axis=1)
    # N4: 10 per whole 5% that the dark share departs from 50% (qrcode's float steps).
    dark = np.bitwise_count(rows).sum(axis=1)
    n4 = [int(abs(float(d) / (n * n) * 100 - 50) / 5) * 10 for d in dark.tolist()]
    scores: np.ndarray = (n1 + n2 + n3).astype(np.int64) + np.array(n4, dtype=np.int64)
    return scores


def penalties(candidates: np.ndarray) -> np.ndarray:
    """Penalty score of each (k, n, n) bool candidate (see `packed_penalties`)."""
    n = candidates.shape[-1]
    if n > MAX_SIZE:
        raise ValueError(f"symbols above {MAX_SIZE} modules per side are not supported")
    return packed_penalties(pack_lines(candidates), pack_lines(candidates.transpose(0, 2, 1)), n)


@dataclass(frozen=True)
class Symbol:
    """A finished QR symbol: `modules[r, c]` is True for a dark module (no quiet zone)."""

    modules: np.ndarray
    version: int
    ecc: str
    mask: int


def encode(data: str, ecc: str = "Q", version: int | None = None) -> Symbol:
    """Encode `data` (a URL) as a QR symbol with the standard's best mask."""
    if version is None:
        return encode_many([data], ecc)[0]
    return _encode_batch([data], version, ecc)[0]


def encode_many(data: Sequence[str], ecc: str = "Q") -> list[Symbol]:
    """Encode several URLs, scoring the masks of all same-version symbols together."""
    if ecc not in ECC_LEVELS:
        raise ValueError(f"error correction level must be one of {', '.join(ECC_LEVELS)}")
    versions = [fit_version(d, ecc) for d in data]
    found: dict[int, Symbol] = {}
    for version in sorted(set(versions)):
        chosen = [i for i, v in enumerate(versions) if v == version]
        symbols = _encode_batch([data[i] for i in chosen], version, ecc)
        found.update(zip(chosen, symbols, strict=True))
    return [found[i] for i in range(len(data))]


def _encode_batch(data: Sequence[str], version: int, ecc: str) -> list[Symbol]:
    tpl = template(version, ecc)
    n, count = tpl.size, len(data)
    words = b"".join(codewords(d, version, ecc) for d in data)
    bits = np.unpackbits(np.frombuffer(words, dtype=np.uint8)).reshape(count, -1)
    used = bits.shape[1]
    placed = np.zeros((count, n, n), dtype=bool)
    placed[:, tpl.data_rows[:used], tpl.data_cols[:used]] = bits.astype(bool)
    probe = tpl.probe | placed
    rows = (pack_lines(probe)[:, None, :] ^ tpl.mask_rows).reshape(-1, n)
    cols = (pack_lines(probe.transpose(0, 2, 1))[:, None, :] ^ tpl.mask_cols).reshape(-1, n)
    # The first lowest score wins, as in qrcode.
    best = packed_penalties(rows, cols, n).reshape(count, 8).argmin(axis=1)
    modules = (tpl.base | placed) ^ tpl.masks[best]
    modules[:, tpl.format_rows, tpl.format_cols] = tpl.format_bits[best]
    return [Symbol(modules[k], version, ecc, int(best[k])) for k in range(count)]


def with_quiet_zone(modules: np.ndarray, border: int = QUIET_ZONE) -> np.ndarray:
    """The module matrix padded with `border` light modules on every side."""
    return np.pad(modules, border, constant_values=False)

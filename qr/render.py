"""Badge artwork from a layout: a bilevel PNG at a given DPI and a vector SVG.

The PNG is 1-bit line art (how print shops take 600 dpi artwork) and is encoded here
rather than by Pillow: Pillow spends about 4 ms packing and filtering each bilevel
badge; packing rows with numpy and deflating with ISA-L (`isal`, about 10x zlib's speed
at a smaller size than zlib level 6) takes a tenth of that. Pillow still rasterises
the glyphs.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

import numpy as np
from isal import isal_zlib
from PIL import Image, ImageDraw, ImageFont

from qr.fonts import BadgeFont, num
from qr.layout import MM_PER_INCH, Badge

PNG_DEFLATE_LEVEL = 1  # ISA-L's level 1 already beats zlib level 6 on size for line art


# ------------------------------------------------------------------ runs of dark modules


def module_runs(modules: np.ndarray) -> np.ndarray:
    """(k, 3) array of (row, first column, length): the horizontal runs of dark modules."""
    n = modules.shape[1]
    padded = np.zeros((modules.shape[0], n + 2), dtype=np.int8)
    padded[:, 1:-1] = modules
    edges = np.diff(padded, axis=1)
    rows, starts = np.nonzero(edges == 1)
    _, ends = np.nonzero(edges == -1)
    return np.stack([rows, starts, ends - starts], axis=1)


def format_runs(runs: np.ndarray, template: str, order: tuple[int, ...]) -> str:
    """Every run through one %-template (one C-level call, not one per run)."""
    if not len(runs):
        return ""
    return (template * len(runs)) % tuple(runs[:, order].ravel().tolist())


# ------------------------------------------------------------------ PNG


def png_file(raw: np.ndarray, width: int, dpi: int) -> bytes:
    """A 1-bit greyscale PNG from its filtered scanlines (filter byte + packed row each)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    per_metre = round(dpi / MM_PER_INCH * 1000)
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            chunk(b"IHDR", struct.pack(">IIBBBBB", width, raw.shape[0], 1, 0, 0, 0, 0)),
            chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),
            chunk(b"IDAT", isal_zlib.compress(raw, PNG_DEFLATE_LEVEL)),
            chunk(b"IEND", b""),
        )
    )


@dataclass
class Rasteriser:
    """Badges as printer-resolution bitmaps; glyph bitmaps cached per character and size."""

    font: BadgeFont
    dpi: int
    _faces: dict[int, ImageFont.FreeTypeFont] = field(default_factory=dict)
    _glyphs: dict[tuple[str, int], tuple[int, int, np.ndarray]] = field(default_factory=dict)
    _scratch_key: tuple[int, int] = (0, 0)
    _scratch: tuple[np.ndarray, np.ndarray] = field(default=(np.zeros(0), np.zeros(0)))

    def glyph(self, ch: str, px: int) -> tuple[int, int, np.ndarray]:
        """(left, top, bitmap) of `ch` relative to its pen position on the baseline."""
        key = (ch, px)
        found = self._glyphs.get(key)
        if found is None:
            face = self._faces.get(px)
            if face is None:
                face = ImageFont.truetype(
                    self.font.path, px, index=self.font.index, layout_engine=ImageFont.Layout.BASIC
                )
                self._faces[px] = face
            left, top, right, bottom = (int(v) for v in face.getbbox(ch, anchor="ls"))
            if right <= left or bottom <= top:
                found = (0, 0, np.zeros((0, 0), dtype=bool))
            else:
                image = Image.new("1", (right - left, bottom - top), 0)
                ImageDraw.Draw(image).text((-left, -top), ch, font=face, fill=1, anchor="ls")
                found = (left, top, np.array(image, dtype=bool))
            self._glyphs[key] = found
        return found

    def size_px(self, badge: Badge) -> tuple[int, int]:
        scale = self.dpi / MM_PER_INCH
        return round(badge.width_mm * scale), round(badge.height_mm * scale)

    def _buffers(self, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
        # Reused from badge to badge: fresh 0.2-0.4 MB arrays each time cost page faults.
        key = (width, height)
        if self._scratch_key != key:
            self._scratch = (
                np.zeros((height, (width + 7) // 8 + 1), dtype=np.uint8),  # PNG scanlines
                np.zeros((height, width), dtype=bool),  # the text area's pixels
            )
            self._scratch_key = key
        return self._scratch

    def png(self, badge: Badge) -> bytes:
        """The badge as a 1-bit PNG at `dpi` (black on white, resolution recorded)."""
        scale = self.dpi / MM_PER_INCH
        width, height = self.size_px(badge)
        raw, canvas = self._buffers(width, height)
        count = badge.modules.shape[0]
        dots = width // count  # whole printer dots per module keeps every module equal
        offset = (width - dots * count) // 2
        top = offset + dots * count  # the text area starts below the code's quiet zone
        # In a 1-bit greyscale PNG, 1 is white: scanlines hold inverted packed bits, each
        # after its filter byte (0, no filter: bilevel rows gain little from filtering).
        raw[:offset, 1:] = 0xFF
        module_rows = np.zeros((count, width), dtype=bool)
        module_rows[:, offset : offset + dots * count] = np.repeat(badge.modules, dots, axis=1)
        code = raw[offset:top, 1:].reshape(count, dots, -1)
        code[:] = np.invert(np.packbits(module_rows, axis=1))[:, None, :]  # one row, `dots` times
        text = canvas[: height - top]
        text.fill(False)
        text_h = height - top
        for run in badge.runs:
            px = max(1, round(run.em_mm * scale))
            baseline = round(run.baseline_mm * scale) - top
            for ch, x_mm in zip(run.text, run.xs_mm, strict=True):
                left, glyph_top, bitmap = self.glyph(ch, px)
                x, y = round(x_mm * scale) + left, baseline + glyph_top
                h, w = bitmap.shape
                if x >= 0 and y >= 0 and x + w <= width and y + h <= text_h:
                    text[y : y + h, x : x + w] |= bitmap
                elif bitmap.size:
                    _paste(text, bitmap, x, y)
        np.invert(np.packbits(text, axis=1), out=raw[top:, 1:])
        return png_file(raw, width, self.dpi)


def _paste(image: np.ndarray, bitmap: np.ndarray, x: int, y: int) -> None:
    h, w = bitmap.shape
    height, width = image.shape
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, width), min(y + h, height)
    if x1 > x0 and y1 > y0:
        image[y0:y1, x0:x1] |= bitmap[y0 - y : y1 - y, x0 - x : x1 - x]


# ------------------------------------------------------------------ SVG


def svg_bytes(badge: Badge, font: BadgeFont) -> bytes:
    """The badge as a standalone SVG in millimetres, text as outlines."""
    w, h = num(badge.width_mm, 4), num(badge.height_mm, 4)
    m = num(badge.module_mm, 6)
    qr = format_runs(module_runs(badge.modules), "M%d %dh%dv1h-%dz", (1, 0, 2, 2))
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{w}mm" height="{h}mm" '
        f'viewBox="0 0 {w} {h}">\n',
        f"<title>{escape(badge.text.name)} {escape(badge.text.badge_no)}</title>\n",
        f'<rect width="{w}" height="{h}" fill="#fff"/>\n',
        f'<path fill="#000" shape-rendering="crispEdges" transform="scale({m})" d="{qr}"/>\n',
        '<g fill="#000">\n',
    ]
    upm = font.units_per_em
    for run in badge.runs:
        s = num(run.em_mm / upm, 7)
        y = num(run.baseline_mm, 4)
        for ch, x_mm in zip(run.text, run.xs_mm, strict=True):
            outline = font.outline(ch)
            if outline.svg:
                x = num(x_mm, 4)
                parts.append(
                    f'<path transform="matrix({s} 0 0 -{s} {x} {y})" d="{outline.svg}"/>\n'
                )
    parts.append("</g>\n</svg>\n")
    return "".join(parts).encode("utf-8")

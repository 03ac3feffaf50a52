"""A4 print sheets: badges imposed N-up with crop marks, as a vector PDF.

The PDF needed here is a small subset of the format — pages of filled paths, glyphs as
reusable form XObjects — so it is written directly: a library's per-shape calls cost
several times the rest of the badge, and the output must be byte-identical on every run
(no timestamps). Tests parse it with pypdf and render it with PDFium.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from typing import BinaryIO

from isal import isal_zlib

from qr.fonts import BadgeFont, Outline, num
from qr.layout import Badge, LayoutError
from qr.render import format_runs, module_runs

A4_MM = (210.0, 297.0)
PT_PER_MM = 72 / 25.4
SHEET_MARGIN_MM = 8.0
GUTTER_MM = 6.0  # between badges; crop marks live here
MARK_OFFSET_MM = 1.0  # gap between the trim line and its crop mark
MARK_LENGTH_MM = 2.0
MARK_WIDTH_MM = 0.1
FOOTER_EM_MM = 2.2
PDF_DEFLATE_LEVEL = 2


@dataclass(frozen=True)
class Imposition:
    """Where the badge slots sit on an A4 page (mm from the top-left corner)."""

    badge_w: float
    badge_h: float
    cols: int
    rows: int
    left: float
    top: float

    @cached_property
    def marks(self) -> list[str]:
        """Crop-mark path operators for each slot."""
        out = []
        for i in range(self.per_page):
            x, y = self.slot(i)
            out.append("\n".join(_crop_marks(x, y, self.badge_w, self.badge_h)))
        return out

    @property
    def per_page(self) -> int:
        return self.cols * self.rows

    def slot(self, i: int) -> tuple[float, float]:
        row, col = divmod(i, self.cols)
        return (
            self.left + col * (self.badge_w + GUTTER_MM),
            self.top + row * (self.badge_h + GUTTER_MM),
        )


def impose(badge_w: float, badge_h: float) -> Imposition:
    """As many badges as fit an A4 page with gutters for crop marks, centred."""
    room_w = A4_MM[0] - 2 * SHEET_MARGIN_MM
    room_h = A4_MM[1] - 2 * SHEET_MARGIN_MM - FOOTER_EM_MM * 2
    cols = int((room_w + GUTTER_MM) // (badge_w + GUTTER_MM))
    rows = int((room_h + GUTTER_MM) // (badge_h + GUTTER_MM))
    if cols < 1 or rows < 1:
        widest = min(room_w, room_h * badge_w / badge_h)
        raise LayoutError(
            f"a {badge_w:g} x {badge_h:.1f} mm badge does not fit an A4 sheet; "
            f"the maximum --size is {int(widest)} mm"
        )
    used_w = cols * badge_w + (cols - 1) * GUTTER_MM
    used_h = rows * badge_h + (rows - 1) * GUTTER_MM
    return Imposition(
        badge_w,
        badge_h,
        cols,
        rows,
        (A4_MM[0] - used_w) / 2,
        SHEET_MARGIN_MM + (room_h - used_h) / 2,
    )


def _crop_marks(x: float, y: float, w: float, h: float) -> list[str]:
    o, n = MARK_OFFSET_MM, MARK_OFFSET_MM + MARK_LENGTH_MM
    out = []
    for cx, sx in ((x, -1), (x + w, 1)):
        for cy, sy in ((y, -1), (y + h, 1)):
            out.append(f"{num(cx + sx * o, 3)} {num(cy, 3)} m {num(cx + sx * n, 3)} {num(cy, 3)} l")
            out.append(f"{num(cx, 3)} {num(cy + sy * o, 3)} m {num(cx, 3)} {num(cy + sy * n, 3)} l")
    return out


_GLYPH_OPS: dict[tuple[str, int, str], str] = {}


def _glyph_op(font: BadgeFont, ch: str) -> str:
    """Draw `ch` at the pen (one em = one unit), then move the pen by its advance."""
    key = (font.path, font.index, ch)
    op = _GLYPH_OPS.get(key)
    if op is None:
        outline = font.outline(ch)
        move = f"1 0 0 1 {num(outline.advance / font.units_per_em, 5)} 0 cm"
        op = _GLYPH_OPS[key] = f"/G{outline.gid} Do {move}" if outline.pdf else move
    return op


def _text_ops(
    text: str, em: float, x: float, baseline: float, font: BadgeFont, used: set[str]
) -> str:
    # One transform per line; each glyph then advances the pen (same positions as the
    # layout, which also adds up advances).
    ops = [f"q {em:.4f} 0 0 {-em:.4f} {x:.3f} {baseline:.3f} cm"]
    ops += [_glyph_op(font, ch) for ch in text]
    ops.append("Q")
    used.update(text)
    return " ".join(ops)


def badge_ops(badge: Badge, x: float, y: float, font: BadgeFont, used: set[str]) -> str:
    """Content-stream operators drawing `badge` with its top-left corner at (x, y) mm."""
    m = num(badge.module_mm, 6)
    ops = [f"q 1 0 0 1 {num(x, 4)} {num(y, 4)} cm", f"q {m} 0 0 {m} 0 0 cm"]
    ops.append(format_runs(module_runs(badge.modules), "%d %d %d 1 re\n", (1, 0, 2)) + "f Q")
    for run in badge.runs:
        if run.text:
            ops.append(_text_ops(run.text, run.em_mm, run.xs_mm[0], run.baseline_mm, font, used))
    ops.append("Q")
    return "\n".join(ops)


def page_content(
    badges: list[Badge], imposition: Imposition, footer: str, font: BadgeFont
) -> tuple[bytes, set[str]]:
    """One page's compressed content stream and the characters it draws."""
    used: set[str] = set()
    # From here on, user space is millimetres from the top-left corner, y down.
    ops = [f"{num(PT_PER_MM, 6)} 0 0 -{num(PT_PER_MM, 6)} 0 {num(A4_MM[1] * PT_PER_MM, 4)} cm"]
    for i, badge in enumerate(badges):
        x, y = imposition.slot(i)
        ops.append(badge_ops(badge, x, y, font, used))
    ops.append(f"{num(MARK_WIDTH_MM, 3)} w 0 G")
    ops += imposition.marks[: len(badges)]
    ops.append("S")
    ops.append(
        _text_ops(footer, FOOTER_EM_MM, SHEET_MARGIN_MM, A4_MM[1] - SHEET_MARGIN_MM / 2, font, used)
    )
    content = "\n".join(ops).encode("ascii")
    return isal_zlib.compress(content, PDF_DEFLATE_LEVEL), used


def glyph_form(outline: Outline, units_per_em: int) -> bytes:
    """The body of a glyph's form XObject dictionary + stream (scaled to one em)."""
    stream = isal_zlib.compress(outline.pdf, PDF_DEFLATE_LEVEL)
    x0, y0, x1, y1 = (num(v) for v in outline.bbox)
    scale = num(1 / units_per_em, 8)
    head = (
        f"<< /Type /XObject /Subtype /Form /BBox [{x0} {y0} {x1} {y1}] "
        f"/Matrix [{scale} 0 0 {scale} 0 0] /Filter /FlateDecode /Length {len(stream)} >>"
    )
    return head.encode("ascii") + b"\nstream\n" + stream + b"\nendstream"


class SheetWriter:
    """Streams pages into a PDF file; glyph forms and the page tree are written last."""

    CATALOG, PAGES, RESOURCES = 1, 2, 3

    def __init__(self, out: BinaryIO, title: str) -> None:
        self._out = out
        self._hash = hashlib.sha256()
        self._offsets: dict[int, int] = {}
        self._pos = 0
        self._next = 4
        self._pages: list[int] = []
        self._title = title
        self._write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")

    def _write(self, data: bytes) -> None:
        self._out.write(data)
        self._hash.update(data)
        self._pos += len(data)

    def _object(self, number: int, body: bytes) -> None:
        self._offsets[number] = self._pos
        self._write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")

    def _new(self) -> int:
        self._next += 1
        return self._next - 1

    def add_page(self, compressed_content: bytes) -> None:
        content, page = self._new(), self._new()
        head = f"<< /Filter /FlateDecode /Length {len(compressed_content)} >>\nstream\n"
        self._object(content, head.encode() + compressed_content + b"\nendstream")
        w, h = num(A4_MM[0] * PT_PER_MM, 4), num(A4_MM[1] * PT_PER_MM, 4)
        self._object(
            page,
            f"<< /Type /Page /Parent {self.PAGES} 0 R /MediaBox [0 0 {w} {h}] "
            f"/Resources {self.RESOURCES} 0 R /Contents {content} 0 R >>".encode(),
        )
        self._pages.append(page)

    def finish(self, forms: dict[int, bytes]) -> str:
        """Write glyph forms (gid -> `glyph_form` bytes), page tree and trailer; sha256 hex."""
        names = []
        for gid in sorted(forms):
            number = self._new()
            self._object(number, forms[gid])
            names.append(f"/G{gid} {number} 0 R")
        self._object(self.RESOURCES, f"<< /XObject << {' '.join(names)} >> >>".encode("ascii"))
        kids = " ".join(f"{p} 0 R" for p in self._pages)
        self._object(
            self.PAGES, f"<< /Type /Pages /Kids [{kids}] /Count {len(self._pages)} >>".encode()
        )
        self._object(self.CATALOG, f"<< /Type /Catalog /Pages {self.PAGES} 0 R >>".encode())
        info = self._new()
        title = self._title.encode("utf-16-be").hex().upper()
        self._object(info, f"<< /Title <FEFF{title}> /Producer (Pingjing) >>".encode("ascii"))
        xref_at = self._pos
        lines = [f"xref\n0 {self._next}\n", "0000000000 65535 f \n"]
        lines += [f"{self._offsets[i]:010d} 00000 n \n" for i in range(1, self._next)]
        doc_id = self._hash.copy().hexdigest()[:32]
        lines.append(
            f"trailer\n<< /Size {self._next} /Root {self.CATALOG} 0 R /Info {info} 0 R "
            f"/ID [<{doc_id}> <{doc_id}>] >>\nstartxref\n{xref_at}\n%%EOF\n"
        )
        self._write("".join(lines).encode("ascii"))
        return self._hash.hexdigest()

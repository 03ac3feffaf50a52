"""The CJK font badges are printed in: finding it, checking coverage, glyph outlines.

Text goes into the vector outputs (SVG, PDF) as glyph outlines rather than as text in
a font, because print shops convert text to outlines anyway and a badge must not
depend on which fonts the shop's machine has.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from fontTools.pens.basePen import BasePen
from fontTools.ttLib import TTCollection, TTFont, TTLibError

# Tried in order; the first that exists and has Chinese glyphs wins.
SYSTEM_FONTS: tuple[str, ...] = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # Debian fonts-noto-cjk
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",  # Fedora, Arch
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/source-han-sans/SourceHanSans-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)
INSTALL_HINT = (
    "install Debian's fonts-noto-cjk (apt-get install fonts-noto-cjk) or pass --font PATH"
)
_PROBE = "中国警号"


class FontError(Exception):
    """No usable font: the message says what to install or pass."""


def _fc_list() -> list[str]:
    """Chinese-capable font files fontconfig knows about (empty without fontconfig)."""
    exe = shutil.which("fc-list")
    if exe is None:
        return []
    try:
        out = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            [exe, ":lang=zh-cn", "file"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    files = sorted({line.split(":", 1)[0].strip() for line in out.splitlines() if line.strip()})
    # Prefer sans-serif regular faces: they stay legible when small.
    return sorted(files, key=lambda f: ("Sans" not in f, "Regular" not in f, f))


def _pick_face(path: str) -> int:
    """The face of a collection to use: a Simplified Chinese sans face if there is one."""
    if not path.lower().endswith((".ttc", ".otc")):
        return 0
    collection = TTCollection(path, lazy=True)
    try:
        faces = collection.fonts
        names = [str(face["name"].getDebugName(1) or "") for face in faces]
        for i, name in enumerate(names):
            if name.endswith(" SC") and "Mono" not in name:
                return i
        for i, face in enumerate(faces):
            cmap = face.getBestCmap() or {}
            if all(ord(c) in cmap for c in _PROBE):
                return i
        return 0
    finally:
        collection.close()


def find_font(explicit: str | None = None, search: Sequence[str] | None = None) -> tuple[str, int]:
    """(path, face index) of the font to print with: `explicit`, else a system CJK font."""
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise FontError(f"font file {explicit} does not exist")
        return str(path), _pick_face(str(path))
    candidates = list(SYSTEM_FONTS if search is None else search)
    if search is None:
        candidates += _fc_list()
    for candidate in candidates:
        if Path(candidate).is_file():
            try:
                return candidate, _pick_face(candidate)
            except (TTLibError, OSError):
                continue
    raise FontError(f"no Chinese (CJK) font found: {INSTALL_HINT}")


# ------------------------------------------------------------------ outlines

Op = tuple[str, tuple[float, ...]]


class _OutlinePen(BasePen):
    """Records an outline as moveto/lineto/cubic/close (quadratics raised to cubics)."""

    def __init__(self, glyph_set: Any) -> None:
        super().__init__(glyph_set)
        self.ops: list[Op] = []

    def _moveTo(self, pt: tuple[float, float]) -> None:
        self.ops.append(("M", pt))

    def _lineTo(self, pt: tuple[float, float]) -> None:
        self.ops.append(("L", pt))

    def _curveToOne(self, p1: Any, p2: Any, p3: Any) -> None:
        self.ops.append(("C", (*p1, *p2, *p3)))

    def _qCurveToOne(self, p1: Any, p2: Any) -> None:
        x0, y0 = self._getCurrentPoint()
        c1 = (x0 + 2 * (p1[0] - x0) / 3, y0 + 2 * (p1[1] - y0) / 3)
        c2 = (p2[0] + 2 * (p1[0] - p2[0]) / 3, p2[1] + 2 * (p1[1] - p2[1]) / 3)
        self.ops.append(("C", (*c1, *c2, *p2)))

    def _closePath(self) -> None:
        self.ops.append(("Z", ()))

    def _endPath(self) -> None:  # open contours do not occur in text glyphs; close them
        self.ops.append(("Z", ()))


def num(value: float, places: int = 2) -> str:
    """A compact, deterministic decimal for path data and coordinates."""
    text = f"{value:.{places}f}".rstrip("0").rstrip(".") if places else f"{value:.0f}"
    return "0" if text in ("-0", "") else text


@dataclass(frozen=True)
class Outline:
    """One glyph in font units (y up): its id, advance, bounding box and path data."""

    gid: int
    advance: int
    bbox: tuple[float, float, float, float]
    svg: str  # SVG path data
    pdf: bytes  # PDF path operators, ending in a fill


def _render_ops(ops: Iterable[Op]) -> tuple[str, bytes, tuple[float, float, float, float]]:
    svg: list[str] = []
    pdf: list[str] = []
    xs: list[float] = []
    ys: list[float] = []
    for op, pts in ops:
        coords = [num(v) for v in pts]
        xs += pts[0::2]
        ys += pts[1::2]
        if op == "Z":
            svg.append("Z")
            pdf.append("h")
        else:
            svg.append(op + " ".join(coords))
            pdf.append(" ".join(coords) + {"M": " m", "L": " l", "C": " c"}[op])
    bbox = (min(xs), min(ys), max(xs), max(ys)) if xs else (0.0, 0.0, 0.0, 0.0)
    body = "\n".join(pdf) + ("\nf" if pdf else "")
    return "".join(svg), body.encode("ascii"), bbox


@dataclass
class BadgeFont:
    """A font face opened for badge text. Cheap to share with forked worker processes."""

    path: str
    index: int = 0
    _font: Any = field(default=None, repr=False)
    _cmap: dict[int, str] = field(default_factory=dict, repr=False)
    _outlines: dict[str, Outline] = field(default_factory=dict, repr=False)
    _advances: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        try:
            self._font = TTFont(self.path, fontNumber=self.index, lazy=True)
        except (TTLibError, OSError, AssertionError) as exc:
            raise FontError(f"cannot read font {self.path}: {exc}") from None
        try:
            self._cmap = dict(self._font.getBestCmap() or {})
        except (TTLibError, OSError, AssertionError) as exc:
            self._font.close()
            raise FontError(f"cannot read font {self.path}: {exc}") from None
        if not all(ord(c) in self._cmap for c in _PROBE):
            self._font.close()
            raise FontError(
                f"{self.path} has no Chinese characters; {INSTALL_HINT} with a CJK font"
            )
        self.units_per_em = int(self._font["head"].unitsPerEm)
        self.family = str(self._font["name"].getDebugName(1) or Path(self.path).stem)
        self._hmtx = self._font["hmtx"]
        self._glyphs = self._font.getGlyphSet()

    def missing(self, text: str) -> list[str]:
        """Characters of `text` this font has no glyph for (each once, in order)."""
        out: list[str] = []
        for ch in text:
            if ord(ch) not in self._cmap and ch not in out:
                out.append(ch)
        return out

    def advance(self, ch: str) -> int:
        """Advance width of `ch` in font units."""
        found = self._advances.get(ch)
        if found is None:
            found = self._advances[ch] = int(self._hmtx[self._cmap[ord(ch)]][0])
        return found

    def width(self, text: str) -> int:
        return sum(self.advance(ch) for ch in text)

    def outline(self, ch: str) -> Outline:
        found = self._outlines.get(ch)
        if found is None:
            name = self._cmap[ord(ch)]
            pen = _OutlinePen(self._glyphs)
            self._glyphs[name].draw(pen)
            svg, pdf, bbox = _render_ops(pen.ops)
            found = Outline(self._font.getGlyphID(name), self.advance(ch), bbox, svg, pdf)
            self._outlines[ch] = found
        return found


@cache
def load_font(path: str, index: int = 0) -> BadgeFont:
    """A `BadgeFont`, parsed once per process (a CJK font's tables take ~0.5 s to read)."""
    return BadgeFont(path, index)

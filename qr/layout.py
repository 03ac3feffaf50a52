"""Badge layout in millimetres: the QR code on top, then name, number, unit and the
typed fallback address. Every renderer (PNG, SVG, PDF) draws from the same layout.

Coordinates are millimetres from the badge's top-left corner, y downwards.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from urllib.parse import urlsplit

import numpy as np

from qr.defaults import DEFAULT_DPI, DEFAULT_SIZE_MM  # noqa: F401  (re-exported)
from qr.encode import QUIET_ZONE
from qr.fonts import BadgeFont

MM_PER_INCH = 25.4

# A module under 0.5 mm stops scanning reliably from a badge at arm's length on cheap
# phone cameras; under 4 printer dots per module, dot gain blurs modules together.
MIN_MODULE_MM = 0.5
MIN_MODULE_DOTS = 4
MAX_DPI = 2400

KIND_LABELS = {"police": "警号", "auxiliary": "辅警编号"}

# (line, type size as a share of the badge width, space above the line as a share).
# The call to action sits right under the code's quiet zone; the bureau's name above the
# typed address. Together they fit the badge height the four earlier lines had (1.45x
# the width), so badge holders and print sheets stay the same.
_LINES = (
    ("cta", 0.055, 0.005),
    ("name", 0.10, 0.012),
    ("number", 0.055, 0.018),
    ("unit", 0.055, 0.008),
    ("bureau", 0.045, 0.008),
    ("fallback", 0.045, 0.012),
)
_BOTTOM = 0.032  # share of width below the last line
_SIDE = 0.06  # side margin of the text, share of width
_ASCENT, _DESCENT = 0.88, 0.12  # CJK ideographic box around the baseline, in ems


class LayoutError(Exception):
    """The requested size or resolution cannot give a scannable badge."""


def typed_fallback(url: str, token: str) -> str:
    """What a citizen can type when the code will not scan: host/r/ABCD-EFGH-JKMN."""
    parts = urlsplit(url)
    base = (parts.netloc + parts.path).rsplit("/", 1)[0]
    groups = "-".join(token[i : i + 4] for i in range(0, len(token), 4))
    return f"{base}/{groups}"


@dataclass(frozen=True)
class BadgeText:
    """Everything printed on one badge, plus what the manifest needs."""

    badge_no: str
    name: str
    kind: str
    unit_path: str
    unit_name: str
    token: str
    url: str
    cta: str = ""  # the call to action under the code (setting badge_call_to_action)
    bureau: str = ""  # the bureau's name (setting bureau_name)

    def lines(self) -> dict[str, str]:
        return {
            "cta": self.cta,
            "name": self.name,
            "number": f"{KIND_LABELS.get(self.kind, '编号')} {self.badge_no}",
            "unit": self.unit_name,
            "bureau": self.bureau,
            "fallback": typed_fallback(self.url, self.token),
        }


@dataclass(frozen=True)
class TextRun:
    """One line of text: each character with its pen position (mm)."""

    text: str
    em_mm: float
    baseline_mm: float
    xs_mm: tuple[float, ...]


@dataclass(frozen=True)
class Badge:
    text: BadgeText
    width_mm: float
    height_mm: float
    modules: np.ndarray  # QR modules including the quiet zone, True = dark
    module_mm: float
    runs: tuple[TextRun, ...]


def badge_height(width_mm: float) -> float:
    return width_mm * (1 + sum(em + gap for _, em, gap in _LINES) + _BOTTOM)


def _dots_per_module(width_mm: float, dpi: int, modules: int) -> int:
    return round(width_mm / MM_PER_INCH * dpi) // modules


def check_printable(width_mm: float, dpi: int, modules: int) -> None:
    """Refuse a badge whose code would be too small to scan, naming the minimum."""
    if not math.isfinite(width_mm) or width_mm <= 0:
        raise LayoutError("--size must be a positive number of millimetres")
    if dpi <= 0 or dpi > MAX_DPI:
        raise LayoutError(f"--dpi must be between 1 and {MAX_DPI}")
    module_mm = width_mm / modules
    if module_mm < MIN_MODULE_MM:
        minimum = math.ceil(modules * MIN_MODULE_MM)
        raise LayoutError(
            f"--size {width_mm:g} mm makes each QR module {module_mm:.2f} mm, too small to "
            f"scan; the minimum --size for this code ({modules} modules across) is {minimum} mm"
        )
    if _dots_per_module(width_mm, dpi, modules) < MIN_MODULE_DOTS:
        minimum = math.ceil(MIN_MODULE_DOTS * modules * MM_PER_INCH / width_mm)
        while _dots_per_module(width_mm, minimum, modules) < MIN_MODULE_DOTS:
            minimum += 1
        while minimum > 1 and _dots_per_module(width_mm, minimum - 1, modules) >= MIN_MODULE_DOTS:
            minimum -= 1  # pixel rounding can let a slightly lower DPI through
        raise LayoutError(
            f"--dpi {dpi} gives {_dots_per_module(width_mm, dpi, modules)} dots per QR module "
            f"at --size {width_mm:g} mm, too few to print sharply; the minimum --dpi is {minimum}"
        )


def layout_badge(text: BadgeText, modules: np.ndarray, width_mm: float, font: BadgeFont) -> Badge:
    """Place the code and the text lines on a badge `width_mm` wide."""
    count = modules.shape[0]
    assert count == modules.shape[1] and count > 2 * QUIET_ZONE
    upm = font.units_per_em
    usable = width_mm * (1 - 2 * _SIDE)
    lines = text.lines()
    runs = []
    y = width_mm  # the code (with its quiet zone) is a square as wide as the badge
    for key, share, gap in _LINES:
        em = share * width_mm
        y += gap * width_mm
        baseline = y + _ASCENT * em
        y = baseline + _DESCENT * em
        line = lines[key]
        advances = [font.advance(ch) for ch in line]
        units = sum(advances)
        if units * em / upm > usable:  # shrink a long line to fit, keep it on one line
            em = usable * upm / units
        x = (width_mm - units * em / upm) / 2
        xs = []
        for advance in advances:
            xs.append(x)
            x += advance * em / upm
        runs.append(TextRun(line, em, baseline, tuple(xs)))
    return Badge(
        text=text,
        width_mm=width_mm,
        height_mm=badge_height(width_mm),
        modules=modules,
        module_mm=width_mm / count,
        runs=tuple(runs),
    )

"""Unit-code posters: an A4 sheet for a station's hall or a service window (issue 18).

One poster per unit: the unit's name, "扫码评价 · 局长信箱", a large QR code for
`/u/<token>`, and the address to type when the code will not scan. Written as a PNG and
as a one-page A4 PDF holding that image at print resolution. The QR code comes from our
own encoder (qr/encode.py) and is drawn module by module, so every module is a whole
number of pixels; the Chinese text is drawn with the same system CJK font the badges use
(qr/fonts.py finds it).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from qr.encode import encode, with_quiet_zone
from qr.layout import typed_fallback
from qr.output import write_atomic

A4_MM = (210.0, 297.0)
DPI = 200
TAGLINE = "扫码评价 · 局长信箱"
TAGLINE_EN = "Scan to rate this place or write to the chief"


@dataclass(frozen=True)
class PosterText:
    unit_code: str
    unit_name: str
    unit_path: str
    url: str
    token: str


def _px(mm: float) -> int:
    return round(mm / 25.4 * DPI)


def _centered(
    draw: ImageDraw.ImageDraw, y: int, text: str, font: ImageFont.FreeTypeFont, width: int
) -> int:
    """Draw `text` centred at `y`; the y below it."""
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    draw.text(((width - (right - left)) // 2 - left, y - top), text, font=font, fill=0)
    return y + int(bottom - top)


def _fit(
    text: str, font_path: str, index: int, size: int, max_width: int
) -> ImageFont.FreeTypeFont:
    """The font at `size`, shrunk until `text` fits `max_width` (long unit names)."""
    while True:
        font = ImageFont.truetype(font_path, size, index=index)
        if font.getlength(text) <= max_width or size <= 24:
            return font
        size = int(size * 0.9)


def render_poster(poster: PosterText, font_path: str, font_index: int = 0) -> Image.Image:
    """The poster as a 1-bit-clean grayscale A4 image at DPI."""
    width, height = _px(A4_MM[0]), _px(A4_MM[1])
    img = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(img)
    margin = _px(15)
    inner = width - 2 * margin
    y = _px(25)
    y = _centered(
        draw,
        y,
        poster.unit_name,
        _fit(poster.unit_name, font_path, font_index, _px(16), inner),
        width,
    )
    parts = poster.unit_path.split("/")
    above = " · ".join(parts[:-1]) if len(parts) > 1 else ""
    if above:
        y += _px(5)
        y = _centered(draw, y, above, _fit(above, font_path, font_index, _px(7), inner), width)
    y += _px(10)
    y = _centered(draw, y, TAGLINE, _fit(TAGLINE, font_path, font_index, _px(13), inner), width)
    y += _px(4)
    y = _centered(
        draw, y, TAGLINE_EN, _fit(TAGLINE_EN, font_path, font_index, _px(6), inner), width
    )
    # The code: about 120 mm wide, whole pixels per module.
    modules = with_quiet_zone(encode(poster.url, "Q").modules)
    scale = max(1, _px(120) // modules.shape[0])
    code = Image.fromarray(((~modules) * 255).astype("uint8"), "L").resize(
        (modules.shape[1] * scale, modules.shape[0] * scale), Image.Resampling.NEAREST
    )
    y += _px(10)
    img.paste(code, ((width - code.width) // 2, y))
    y += code.height + _px(8)
    typed = typed_fallback(poster.url, poster.token)
    _centered(draw, y, typed, _fit(typed, font_path, font_index, _px(8), inner), width)
    return img


def poster_files(img: Image.Image) -> tuple[bytes, bytes]:
    """(PNG bytes, A4 PDF bytes) of a rendered poster."""
    png = io.BytesIO()
    img.save(png, "PNG", optimize=True, dpi=(DPI, DPI))
    pdf = io.BytesIO()
    img.save(pdf, "PDF", resolution=float(DPI))
    return png.getvalue(), pdf.getvalue()


def write_posters(
    posters: list[PosterText], out: Path, font_path: str, font_index: int = 0
) -> list[Path]:
    """Write `<unit code>.png` and `.pdf` for each poster into `out`; the paths. (The unit
    code, not its name: names are Chinese and file systems on print shops' PCs vary.)"""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for poster in posters:
        png, pdf = poster_files(render_poster(poster, font_path, font_index))
        stem = poster.unit_code
        for suffix, data in ((".png", png), (".pdf", pdf)):
            path = out / (stem + suffix)
            write_atomic(path, data)
            written.append(path)
    return written

"""Photos attached to a letter: checked, decoded and re-encoded before anything is stored.

Only what Pillow decodes as a real JPEG, PNG or (with pillow-heif) HEIC/HEIF image is
taken; the file's name and its declared type count for nothing. Every photo is re-encoded
as a JPEG from its pixels, so no EXIF (GPS position, camera serial), comment or trailing
data of the upload survives. A decompression bomb (a small file that decodes to a huge
image) is refused from its header, before its pixels are decoded.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from rating.mailbox.models import MAX_PHOTO_BYTES, Photo

try:  # HEIC is what iPhones take; pillow-heif is a dependency, but decode without it too.
    from pillow_heif import register_heif_opener

    register_heif_opener()
    HEIF = True
except ImportError:  # pragma: no cover - pillow-heif is installed with the package
    HEIF = False

# About 40 megapixels: more than any phone camera; a bomb is far above it.
MAX_PIXELS = 40_000_000
# What is kept: enough to read a number plate or a document, a few hundred KB.
MAX_SIDE = 2048
JPEG_QUALITY = 85
ACCEPTED = {"JPEG", "PNG", "HEIF"} if HEIF else {"JPEG", "PNG"}


class PhotoRefused(Exception):
    """A photo that cannot be taken; `status` is 413 (too big) or 415 (not an image)."""

    def __init__(self, status: int, en: str, zh: str) -> None:
        super().__init__(en)
        self.status = status
        self.en = en
        self.zh = zh


def too_big(n: int) -> PhotoRefused:
    mb = MAX_PHOTO_BYTES // (1024 * 1024)
    return PhotoRefused(413, f"photo {n} is larger than {mb} MB", f"第 {n} 张照片超过 {mb} MB")


def clean_photo(raw: bytes, n: int) -> Photo:
    """The photo re-encoded as a JPEG without metadata, or PhotoRefused. `n` (from 1) names
    the photo in the message."""
    if len(raw) > MAX_PHOTO_BYTES:
        raise too_big(n)
    not_image = PhotoRefused(
        415,
        f"photo {n} is not a JPEG or PNG{' or HEIC' if HEIF else ''} image",
        f"第 {n} 张照片不是 JPEG、PNG{'、HEIC' if HEIF else ''} 格式的图片",
    )
    try:
        with warnings.catch_warnings():
            # Pillow warns between MAX_IMAGE_PIXELS and twice that, and raises above;
            # the size check below decides instead, for both.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img: Image.Image = Image.open(io.BytesIO(raw))
            if img.format not in ACCEPTED:
                if img.format in ("HEIF", "AVIF"):
                    raise PhotoRefused(
                        415,
                        f"photo {n} is HEIC, which this server cannot read; send a JPEG",
                        f"第 {n} 张照片是 HEIC 格式，本系统无法读取，请改用 JPEG",
                    )
                raise not_image
            width, height = img.size
            if width * height > MAX_PIXELS:
                raise PhotoRefused(
                    413,
                    f"photo {n} is {width}x{height} pixels; at most {MAX_PIXELS} pixels",
                    f"第 {n} 张照片像素过多（{width}x{height}）",
                )
            img.load()
            # Turn the picture as the camera meant it, since the EXIF saying so is dropped.
            img = ImageOps.exif_transpose(img)
    except PhotoRefused:
        raise
    except Image.DecompressionBombError:  # over twice Image.MAX_IMAGE_PIXELS: Pillow's own
        raise PhotoRefused(
            413, f"photo {n} has too many pixels", f"第 {n} 张照片像素过多"
        ) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise not_image from None
    if img.mode not in ("RGB", "L"):
        background = Image.new("RGB", img.size, (255, 255, 255))
        rgba = img.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        img = background
    img.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    # No exif=, no icc_profile=: a fresh file with the pixels only.
    img.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return Photo(out.getvalue(), "image/jpeg", img.width, img.height)

"""Texts of a letter's photos on the case page (rating/admin/letter_photos.py)."""

from __future__ import annotations

from rating.bilingual import by_lang
from rating.i18n import LANGS

_TEXT: dict[str, tuple[str, str]] = {
    "photos": ("来信照片", "Photos"),
    "photo_alt": ("来信照片 {n}（{width}×{height}）", "Photo {n} ({width}×{height})"),
    "photo_hint": ("点击照片查看原图", "Tap a photo to see it full size"),
    "photos_removed": (
        "{n} 张照片已在保存期满后删除",
        "{n} photos removed after the retention period",
    ),
    "photos_removed_one": (
        "{n} 张照片已在保存期满后删除",
        "{n} photo removed after the retention period",
    ),
}
_TEXTS = by_lang(_TEXT)


def photo_texts(lang: str) -> dict[str, str]:
    return _TEXTS[lang if lang in LANGS else "en"]

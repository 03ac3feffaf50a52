"""Texts of a letter's photos on the case page (rating/admin/letter_photos.py): the
`[photos]` table of rating/locale/admin.toml."""

from __future__ import annotations

from rating.i18n import table

photo_texts = table("admin.photos")

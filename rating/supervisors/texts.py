"""Texts of the supervisor's own page (report form and progress): the `[pages]` table of
rating/locale/supervisors.toml."""

from __future__ import annotations

from rating.i18n import table

stexts = table("supervisors.pages")

"""Texts of the mailbox and unit-code pages: rating/locale/mailbox.toml."""

from __future__ import annotations

from rating.i18n import table

mtexts = table("mailbox.pages")

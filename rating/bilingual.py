"""The one shape of a bilingual table: {key: (Chinese, English)}, turned into one text dict
per language where a page or a file needs them.

Kept apart from rating.i18n (which picks a request's language and so imports starlette)
so that domain modules such as rating.cases.model can declare their labels this way."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

K = TypeVar("K")

LANGS = ("zh", "en")


def by_lang(table: Mapping[K, tuple[str, str]]) -> dict[str, dict[K, str]]:
    """A table of (Chinese, English) pairs as one read-only text dict per language."""
    return {lang: {k: pair[i] for k, pair in table.items()} for i, lang in enumerate(LANGS)}


def zh_en(table: Mapping[K, tuple[str, str]]) -> tuple[dict[K, str], dict[K, str]]:
    """The Chinese and the English dict of a table (for names such as X_LABELS, X_LABELS_EN)."""
    langs = by_lang(table)
    return langs["zh"], langs["en"]


def add_to(table_of: Callable[[str], dict[str, str]], table: Mapping[str, tuple[str, str]]) -> None:
    """Add a part's texts to a shared per-language text dict (`table_of(lang)`), keeping a
    key the dict already has: a part's texts registered at import, idempotently."""
    for i, lang in enumerate(LANGS):
        shared = table_of(lang)
        for key, pair in table.items():
            shared.setdefault(key, pair[i])

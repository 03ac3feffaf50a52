"""Page texts in Simplified Chinese (default) and English: the one catalog loader, and
picking a request's language.

Every text lives in a TOML catalog, rating/locale/<catalog>.toml, one table per page area:

    [pages]
    submit.zh = "提交评价"
    submit.en = "Submit"

A module names the tables it reads once, `t = table("citizen.pages")`, and looks texts up
as `t(lang)["submit"]` (any language but zh and en gets English) or `t["zh"]`. Several
tables may make one (`table("admin.pages", "spotcheck.admin")`); a key in two of them is an
error. A catalog is read on the first lookup of one of its tables, not at import, so that
a process reads only the catalogs of the pages it shows. tests/rating/test_catalog.py checks
that every key has both languages with the same `{name}` placeholders and that every
table loads. To add a text, add its two lines to the catalog: nothing else changes.

No web framework here (starlette only in annotations), so that the domain code and the
reports can declare their labels the same way.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

LANGS = ("zh", "en")
LANG_COOKIE = "pj_lang"
LOCALE = Path(__file__).with_name("locale")


class CatalogError(ValueError):
    """A catalog file that is not {table: {key: {zh, en}}}, or a key in two merged tables."""


@functools.cache
def catalog(name: str) -> dict[str, dict[str, dict[str, str]]]:
    """rating/locale/<name>.toml as {table: {key: {"zh": ..., "en": ...}}}, checked."""
    path = LOCALE / f"{name}.toml"
    with path.open("rb") as f:
        data = tomllib.load(f)
    for table_name, entries in data.items():
        if not isinstance(entries, dict):
            raise CatalogError(f"{path}: {table_name} is not a table")
        for key, entry in entries.items():
            ok = isinstance(entry, dict) and sorted(entry) == sorted(LANGS)
            if not ok or not all(isinstance(v, str) for v in entry.values()):
                raise CatalogError(f"{path}: [{table_name}] {key} needs a zh and an en string")
    return data


class Table(Mapping[str, dict[str, str]]):
    """Texts by language, {lang: {key: text}}, from one or more catalog tables
    ("catalog.table"), read on first use. The dicts are shared: do not modify them."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names
        self._langs: dict[str, dict[str, str]] | None = None

    def _load(self) -> dict[str, dict[str, str]]:
        if self._langs is None:
            langs: dict[str, dict[str, str]] = {lang: {} for lang in LANGS}
            for name in self.names:
                file, _, part = name.partition(".")
                entries = catalog(file).get(part)
                if entries is None:
                    raise CatalogError(f"{name}: no table [{part}] in {LOCALE / file}.toml")
                for key, entry in entries.items():
                    if key in langs["zh"]:
                        raise CatalogError(f"{name}: {key} is in two tables of {self.names}")
                    for lang in LANGS:
                        langs[lang][key] = entry[lang]
            self._langs = langs
        return self._langs

    def __call__(self, lang: str) -> dict[str, str]:
        """The texts in `lang`; any language but zh and en gets English."""
        return self._load()[lang if lang in LANGS else "en"]

    def __getitem__(self, lang: str) -> dict[str, str]:
        return self._load()[lang]

    def __iter__(self) -> Iterator[str]:
        return iter(LANGS)

    def __len__(self) -> int:
        return len(LANGS)


TABLES: list[Table] = []  # every table made, so that a test can load them all


def table(*names: str) -> Table:
    """The texts of the catalog tables `names` ("catalog.table"), merged in that order."""
    made = Table(names)
    TABLES.append(made)
    return made


# The citizen pages (and the spot-check offer on a satisfied rating's receipt).
texts = table("citizen.pages", "spotcheck.citizen")


def pick_lang(request: Request, chosen: str | None = None) -> str:
    """`chosen` (a posted form's `lang`) beats ?lang=, which beats the language cookie,
    which beats Accept-Language; default Chinese. A value not in LANGS counts as none."""
    if chosen in LANGS:
        return chosen
    q = request.query_params.get("lang")
    if q in LANGS:
        return q
    c = request.cookies.get(LANG_COOKIE)
    if c in LANGS:
        return c
    accept = request.headers.get("accept-language", "")
    best, best_q = "zh", -1.0
    for part in accept.split(","):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower()
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        primary = tag.split("-", 1)[0]
        # q=0 means "not acceptable" (RFC 9110), not "least preferred".
        if primary in LANGS and weight > 0 and weight > best_q:
            best, best_q = primary, weight
    return best


def other_lang_href(path: str, query: Mapping[str, str], lang: str) -> str:
    """The link that shows the same page in the other language (`?lang=` also sets the cookie)."""
    params = {k: v for k, v in query.items() if k != "lang"}
    params["lang"] = "en" if lang == "zh" else "zh"
    return path + "?" + urlencode(params)


def remember_lang(request: Request, response: Response, secure: bool) -> None:
    """Keep a `?lang=` choice in the language cookie, as the citizen pages do."""
    chosen = request.query_params.get("lang")
    if chosen in LANGS:
        response.set_cookie(
            LANG_COOKIE,
            chosen,
            max_age=365 * 86400,
            httponly=True,
            samesite="lax",
            secure=secure,
        )

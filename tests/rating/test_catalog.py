"""The text catalogs (rating/locale/*.toml) and their one loader (rating/i18n.py): every key
has a Chinese and an English text with the same placeholders, no key is in two tables a page
reads as one, every table the code names exists and every table is read, and the catalogs
ship with the package."""

from __future__ import annotations

import importlib
import pkgutil
import tomllib
from pathlib import Path
from string import Formatter

import pytest

import rating
from rating import i18n
from rating.i18n import LANGS, LOCALE, CatalogError, catalog, table

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = sorted(p.stem for p in LOCALE.glob("*.toml"))


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name is not None}


def every_table() -> list[i18n.Table]:
    """The tables the code makes, once every module of rating/ is imported."""
    for module in pkgutil.walk_packages(rating.__path__, "rating."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    return i18n.TABLES


def test_there_are_catalogs() -> None:
    assert {"citizen", "admin", "cases", "labels"} <= set(CATALOGS)


@pytest.mark.parametrize("name", CATALOGS)
def test_every_key_has_both_languages_with_the_same_placeholders(name: str) -> None:
    for table_name, entries in catalog(name).items():
        assert entries, f"{name}.{table_name} is empty"
        for key, texts in entries.items():
            where = f"{name}.{table_name}.{key}"
            assert set(texts) == set(LANGS), where
            assert all(t.strip() for t in texts.values()), where
            assert placeholders(texts["zh"]) == placeholders(texts["en"]), where


def test_every_table_the_code_names_loads_and_every_table_is_read() -> None:
    named = set()
    for made in every_table():
        assert set(made) == set(LANGS)
        assert made["zh"].keys() == made["en"].keys(), made.names  # no key in two tables
        named.update(made.names)
    in_files = {f"{name}.{part}" for name in CATALOGS for part in catalog(name)}
    assert sorted(in_files - named) == [], "tables no code reads"
    assert sorted(named - in_files) == [], "tables the code names that no catalog has"


def test_a_lookup_in_another_language_gets_english() -> None:
    texts = table("citizen.pages")
    assert texts("zh")["submit"] == texts["zh"]["submit"] == "提交评价"
    assert texts("fr") == texts("en") == texts["en"]
    assert texts("en")["submit"] == "Submit"
    with pytest.raises(KeyError):
        texts["fr"]


@pytest.fixture
def locale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(i18n, "LOCALE", tmp_path)
    catalog.cache_clear()
    yield tmp_path
    catalog.cache_clear()


def test_an_entry_without_both_languages_is_refused(locale: Path) -> None:
    (locale / "bad.toml").write_text('[pages]\nok.zh = "好"\nok.en = "OK"\nback.zh = "返回"\n')
    with pytest.raises(CatalogError, match=r"\[pages\] back needs a zh and an en string"):
        catalog("bad")
    (locale / "typo.toml").write_text('[pages]\nok.zh = "好"\nok.eng = "OK"\n')
    with pytest.raises(CatalogError, match="ok needs"):
        catalog("typo")


def test_a_key_twice_is_refused(locale: Path) -> None:
    (locale / "twice.toml").write_text('[pages]\nok.zh = "好"\nok.en = "OK"\nok.zh = "行"\n')
    with pytest.raises(tomllib.TOMLDecodeError):
        catalog("twice")
    (locale / "two.toml").write_text(
        '[a]\nok.zh = "好"\nok.en = "OK"\n\n[b]\nok.zh = "行"\nok.en = "Fine"\n'
    )
    merged = i18n.Table(("two.a", "two.b"))  # as table() makes it, without registering it
    with pytest.raises(CatalogError, match="ok is in two tables"):
        merged("zh")


def test_the_catalogs_are_package_data() -> None:
    """pip install (editable or not) ships rating/locale/*.toml: pyproject names them."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = pyproject["tool"]["setuptools"]["package-data"]["rating"]
    shipped = {p for g in globs for p in (ROOT / "rating").glob(g)}
    assert sorted(p.name for p in LOCALE.glob("*.toml") if p not in shipped) == []

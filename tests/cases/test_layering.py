"""The cases package is domain code: it raises domain errors and never reaches up into the
web layer, and it does not import the store's rating rules back (rating/store/logic.py
imports rating/cases/logic.py to open a case in the rating's transaction)."""

from __future__ import annotations

import ast
from pathlib import Path

import rating.cases

FORBIDDEN = ("starlette", "rating.errors", "rating.admin", "rating.public", "rating.store.logic")


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_cases_import_neither_the_web_layer_nor_the_store_rules() -> None:
    package = Path(rating.cases.__file__).parent
    modules = sorted(package.glob("*.py"))
    assert len(modules) > 10
    bad = {
        f"{path.name}: {name}"
        for path in modules
        for name in _imports(path)
        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)
    }
    assert not bad, sorted(bad)


def test_every_cases_module_imports_first_without_a_cycle() -> None:
    """Each module of rating/cases (and rating/store/tx.py) as the first import of a fresh
    interpreter: a cycle through rating/store/__init__.py fails it half-initialised."""
    import subprocess
    import sys

    package = Path(rating.cases.__file__).parent
    names = ["rating.store.tx", "rating.store.logic"] + [
        f"rating.cases.{p.stem}" for p in sorted(package.glob("*.py")) if p.stem != "__init__"
    ]
    runs = {
        name: subprocess.Popen(
            [sys.executable, "-c", f"import {name}"], stderr=subprocess.PIPE, text=True
        )
        for name in names
    }
    errors = {name: run.communicate()[1] for name, run in runs.items()}
    failed = {name: errors[name] for name, run in runs.items() if run.returncode != 0}
    assert not failed, failed

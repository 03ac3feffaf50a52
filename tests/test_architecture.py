"""docs/architecture.md against the real import graph: every module of rating/, analytics/
and qr/ belongs to one part of the document's table, every import between parts is an
arrow the table allows, every arrow it allows exists, and the allowed arrows have no cycle.

The table is the one source: this test parses it (docs/architecture.md, "Parts and
arrows"). Imports are read with ast, including those inside functions (a deferred import
is an arrow all the same); imports under `if TYPE_CHECKING:` are not (they never run).
"""

from __future__ import annotations

import ast
import fnmatch
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
PACKAGES = ("rating", "analytics", "qr")
SECTION = "## Parts and arrows"


@dataclass(frozen=True)
class Part:
    name: str
    patterns: tuple[str, ...]
    may_import: frozenset[str]
    external: bool  # a third-party package the table restricts (starlette, pandas)


def parse_table(text: str) -> list[Part]:
    """The rows of the table under SECTION: | part | modules | may import | ... |."""
    body = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    parts = []
    for line in body.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) < 3 or set(cells[0]) <= {"-", " "}:
            continue
        name = cells[0].strip("*")
        if name == "part":
            continue
        patterns = tuple(re.findall(r"`([^`]+)`", cells[1]))
        allowed = frozenset(re.findall(r"\*\*([^*]+)\*\*", cells[2]))
        parts.append(Part(name, patterns, allowed, "third party" in cells[1]))
    return parts


def matches(module: str, pattern: str) -> bool:
    # `a.b.*` names the package a.b and everything under it.
    if pattern.endswith(".*") and module == pattern[:-2]:
        return True
    return fnmatch.fnmatchcase(module, pattern)


def part_of(module: str, parts: list[Part]) -> str | None:
    """The first row whose pattern matches (the table lists narrow rows first)."""
    for part in parts:
        if any(matches(module, p) for p in part.patterns):
            return part.name
    return None


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            names = list(path.relative_to(ROOT).with_suffix("").parts)
            if names[-1] == "__init__":
                names.pop()
            found[".".join(names)] = path
    return found


def _type_checking_only(tree: ast.Module) -> set[int]:
    """ids of the import nodes under `if TYPE_CHECKING:`."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                skip.update(id(n) for n in ast.walk(inner))
    return skip


def imported(module: str, path: Path, known: dict[str, Path]) -> Iterator[str]:
    """The modules `module` imports: ours resolved to the deepest known module, others
    as written."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_only(tree)
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                here = module.split(".")
                if path.name != "__init__.py":
                    here.pop()
                here = here[: len(here) - (node.level - 1)]
                base = ".".join([*here, base] if base else here)
            # `from pkg import mod` imports the module pkg.mod.
            names = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in known]
            names = names or [base]
        else:
            continue
        for name in names:
            probe = name
            while probe and probe not in known:
                probe = probe.rpartition(".")[0]
            yield probe or name


def arrows(parts: list[Part]) -> dict[tuple[str, str], list[str]]:
    """(from part, to part) -> the imports that draw that arrow."""
    known = modules()
    external = [p for p in parts if p.external]
    out: dict[tuple[str, str], list[str]] = {}
    for module, path in known.items():
        source = part_of(module, parts)
        assert source is not None, f"{module} belongs to no part of {DOC.name}"
        for target_module in imported(module, path, known):
            if target_module in known:
                target = part_of(target_module, parts)
            else:
                target = next(
                    (p.name for p in external if part_of(target_module, [p]) is not None), None
                )
            if target is not None and target != source:
                out.setdefault((source, target), []).append(f"{module} -> {target_module}")
    return out


@pytest.fixture(scope="module")
def parts() -> list[Part]:
    found = parse_table(DOC.read_text(encoding="utf-8"))
    assert len(found) >= 10, "the table in docs/architecture.md did not parse"
    return found


def test_every_module_is_in_a_part(parts: list[Part]) -> None:
    missing = [m for m in modules() if part_of(m, parts) is None]
    assert not missing, f"add these modules to a part in {DOC.name}: {missing}"


def test_every_import_is_an_allowed_arrow(parts: list[Part]) -> None:
    allowed = {p.name: p.may_import for p in parts}
    bad = {
        f"{a} -> {b}": via[:5]
        for (a, b), via in sorted(arrows(parts).items())
        if b not in allowed[a]
    }
    assert not bad, f"imports {DOC.name} does not allow: {bad}"


def test_every_allowed_arrow_exists(parts: list[Part]) -> None:
    real = set(arrows(parts))
    unused = [
        f"{p.name} -> {t}" for p in parts for t in sorted(p.may_import) if (p.name, t) not in real
    ]
    assert not unused, f"{DOC.name} allows arrows no import draws (remove them): {unused}"


def test_the_allowed_arrows_have_no_cycle(parts: list[Part]) -> None:
    graph = {p.name: set(p.may_import) for p in parts}
    assert all(t in graph for targets in graph.values() for t in targets), "unknown part"
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            raise AssertionError("cycle: " + " -> ".join([*path[path.index(node) :], node]))
        if node in done:
            return
        for target in sorted(graph[node]):
            visit(target, [*path, node])
        done.add(node)

    for name in graph:
        visit(name, [])


def test_the_checker_sees_a_forbidden_arrow(parts: list[Part], tmp_path: Path) -> None:
    # The rules the document states in words, checked on the parsed table itself.
    allowed = {p.name: p.may_import for p in parts}
    assert "starlette" not in allowed["cases"] and "analytics" not in allowed["store"]
    assert {n for n, may in allowed.items() if "analytics" in may} == {"admin", "cli"}
    assert {n for n, may in allowed.items() if "qr" in may} == {"admin", "cli"}
    # ...and a deferred import inside a function counts.
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    import starlette.requests\n", encoding="utf-8")
    assert list(imported("rating.cases.probe", probe, {})) == ["starlette.requests"]
    assert part_of("rating.cases.probe", parts) == "cases"

"""The docs cannot drift from the code: docs/cli.md is the parser's own --help, every
`pingjing …` line in README.md and docs/ parses with the real parser, and every route the
app serves is named in the docs."""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.routing import Mount

from rating import clidoc
from rating.app import create_app
from rating.cli import build_parser
from rating.openapi.markdown import splice
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# An upper-case word (FILE, NAME, N, YYYY-Www) or an ellipsis stands for a value in a
# synopsis: any argument, of any type or choice list, accepts it.
PLACEHOLDER = re.compile(r"[A-Z][A-Z0-9_-]*|…")
SHELL_STOP = {"&&", "||", ";", "|", ">", ">>", "<", "2>", "2>&1", "&"}


def test_docs_cli_md_is_generated_from_the_parser() -> None:
    """Regenerate with: python -m rating.clidoc (or make docs)."""
    text = clidoc.DOC.read_text(encoding="utf-8")
    assert clidoc.BEGIN in text
    assert clidoc.render_into(text) == text


def test_a_generated_section_is_replaced_in_place_or_appended() -> None:
    """The one splice both generated docs use: the text around the markers is kept as it
    is, the section between them replaced, and a file without markers gets it appended."""
    section = "<!-- B -->\nnew\n<!-- E -->\n"
    doc = "# Title\n\nintro\n<!-- B -->\nold\nlines\n<!-- E -->\n\n## After\ntail\n"
    assert splice(doc, section, "<!-- B -->", "<!-- E -->") == (
        "# Title\n\nintro\n<!-- B -->\nnew\n<!-- E -->\n\n## After\ntail\n"
    )
    assert splice("# Title\n\n", section, "<!-- B -->", "<!-- E -->") == (
        "# Title\n\n<!-- B -->\nnew\n<!-- E -->\n"
    )
    # A section at the very end keeps no trailing blank lines.
    assert splice("x\n<!-- B -->\nold\n<!-- E -->\n\n", section, "<!-- B -->", "<!-- E -->") == (
        "x\n" + section
    )


def test_clidoc_check_fails_on_a_stale_file_and_the_rewrite_fixes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`python -m rating.clidoc [--check] [FILE]` as `make docs` and CI run it."""
    doc = tmp_path / "cli.md"
    doc.write_text(f"# CLI\n\n{clidoc.BEGIN}\n## `pingjing gone`\n{clidoc.END}\n", "utf-8")
    assert clidoc.main(["--check", str(doc)]) == 1
    assert "is out of date" in capsys.readouterr().out
    assert clidoc.main([str(doc)]) == 0
    assert doc.read_text(encoding="utf-8") == "# CLI\n\n" + clidoc.markdown()
    assert clidoc.main(["--check", str(doc)]) == 0
    missing = tmp_path / "new.md"  # no file yet: written from nothing
    assert clidoc.main([str(missing)]) == 0
    assert missing.read_text(encoding="utf-8").strip() == clidoc.markdown().strip()


def test_cli_reference_has_every_command() -> None:
    text = clidoc.DOC.read_text(encoding="utf-8")
    names = [" ".join(("pingjing", *path)) for path, _ in clidoc.commands(build_parser())]
    assert len(names) > 40  # the plugins' commands are there too
    assert [n for n in names if f"## `{n}`\n" not in text] == []


# ------------------------------------------------------------------ doc lines


class _AnyPlaceholder(tuple):  # type: ignore[type-arg]
    """A choices list that also accepts a placeholder."""

    def __contains__(self, value: object) -> bool:
        return (isinstance(value, str) and bool(PLACEHOLDER.fullmatch(value))) or (
            super().__contains__(value)
        )


def _lenient(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The real parser, letting placeholders through wherever a value goes."""
    for _, sub in clidoc.commands(parser):
        for action in sub._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue
            if action.type is not None and callable(action.type):
                convert = action.type
                action.type = lambda v, c=convert: v if PLACEHOLDER.fullmatch(v) else c(v)
            if action.choices is not None:
                action.choices = _AnyPlaceholder(action.choices)
    return parser


def _command_paths(parser: argparse.ArgumentParser) -> set[tuple[str, ...]]:
    return {path for path, _ in clidoc.commands(parser)}


def _synopsis(token: str) -> str:
    """`[--unit` → `--unit`, `admin|viewer` → `admin`: one concrete spelling of a synopsis."""
    token = token.strip("[]()")
    if "|" in token and not token.startswith(("http", "/")):
        token = token.split("|", 1)[0]
    return token


def _invocations(text: str) -> Iterator[list[str]]:
    """The argument lists after `pingjing` (or `…/bin/pingjing`) in one shell line."""
    # A command substitution is one value: `$(date +%F)` would split into two otherwise.
    text = re.sub(r"\$\([^()]*\)", "SUBST", text)
    # A synopsis's `(--month M | --year Y)`: the first alternative.
    text = re.sub(r"\(([^()|]*)\|[^()]*\)", r"\1", text)
    try:
        tokens = shlex.split(text, comments=True)
    except ValueError:
        tokens = text.split()
    for i, token in enumerate(tokens):
        if " " in token and "pingjing" in token:  # sh -c '… pingjing …'
            yield from _invocations(token)
            continue
        bare = token == "pingjing"
        if not (bare or token.endswith("bin/pingjing")):
            continue
        args: list[str] = []
        for arg in tokens[i + 1 :]:
            if arg in SHELL_STOP:
                break
            args.append(arg)
        # A bare `pingjing` followed by an upper-case word, a path, `{` or nothing is the
        # system user or nginx upstream of that name, not the command.
        if bare and not (args and re.match(r"[a-z-]", args[0])):
            continue
        yield [_synopsis(a) for a in args if _synopsis(a)]


def doc_lines() -> Iterator[tuple[str, str]]:
    """(where, text) of each shell line and inline code span that may run `pingjing`."""
    for path in DOCS:
        fence = False
        logical: list[tuple[str, str]] = []  # a code block's lines, continuations joined
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            where = f"{path.relative_to(ROOT)}:{number}"
            if line.lstrip().startswith("```"):
                fence = not fence
                yield from ((w, t) for w, t in logical if "pingjing" in t)
                logical = []
                continue
            if fence:
                # `\` at the end, or an indented line under a synopsis, continues a line.
                last = logical[-1][1] if logical else ""
                if last.endswith("\\") or (last.startswith("pingjing ") and line[:1] == " "):
                    w, t = logical[-1]
                    logical[-1] = (w, t.removesuffix("\\") + " " + line.strip())
                else:
                    logical.append((where, line))
                continue
            for span in re.findall(r"`([^`]*pingjing[^`]*)`", line):
                yield where, span


def _check(args: list[str]) -> str:
    """'' if the real parser accepts `args`, else its message. A trailing `…` stands for
    the rest of the arguments: only missing ones are forgiven then."""
    parser = _lenient(build_parser())
    rest = bool(args) and args[-1] == "…"
    args = args[:-1] if rest else args
    if tuple(args) in _command_paths(parser):
        return ""  # a command (group) named in prose: `pingjing users`
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            parser.parse_args(args)
        except SystemExit as exc:
            message = err.getvalue().strip().splitlines()[-1:] or [""]
            if exc.code not in (0, None) and not (rest and "are required" in message[0]):
                return message[0]
    return ""


def _cases() -> list[Any]:
    return [
        pytest.param(args, id=f"{where} pingjing {' '.join(args)}")
        for where, text in doc_lines()
        for args in _invocations(text)
    ]


def test_the_docs_name_many_commands() -> None:
    assert len(_cases()) > 100


@pytest.mark.parametrize("args", _cases())
def test_every_documented_command_parses(args: list[str]) -> None:
    assert _check(args) == ""


@pytest.mark.parametrize(
    "line",
    [
        "pingjing officer import roster.csv",  # no such command
        "pingjing officers import roster.csv --skipbad",  # no such flag
        "pingjing workorders profiles NAME",  # a subcommand, not a name, goes here
        "pingjing serve --workers many",  # not a number
        "pingjing report weekly --week 2026-W47",  # --out is required
    ],
)
def test_a_wrong_doc_line_fails(line: str) -> None:
    (args,) = list(_invocations(line))
    assert _check(args) != ""


# ------------------------------------------------------------------ routes


def _route_paths(tmp_path: Path) -> list[str]:
    app = create_app(make_settings(tmp_path))
    return [r.path + ("/" if isinstance(r, Mount) else "") for r in app.routes]


def test_every_route_is_documented(tmp_path: Path) -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in DOCS)
    paths = _route_paths(tmp_path)
    assert "/admin/cases/{case_id}" in paths and "/static/" in paths
    missing = [
        p
        for p in paths
        # the path as written, not a prefix of a longer one (`/admin` in `/admin/cases`)
        if not re.search(re.escape(p.rstrip("/")) + r"/?(?![\w{/.-])", text)
    ]
    assert missing == []

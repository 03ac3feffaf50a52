"""docs/cli.md from the real parser: `python -m rating.clidoc` (or `make docs`) rewrites the
generated section; tests/test_cli_docs.py fails when the file and the parser disagree, as
datasette's `cog --check` does for its CLI reference."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

from rating.cli import build_parser
from rating.openapi.markdown import splice

BEGIN = "<!-- BEGIN GENERATED: python -m rating.clidoc -->"
END = "<!-- END GENERATED -->"
DOC = Path(__file__).resolve().parent.parent / "docs" / "cli.md"
# A fixed width: argparse otherwise wraps at the terminal's, and the check would depend on it.
WIDTH = 100


def commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every parser under `parser`, depth first in declaration order, with its command path."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from commands(sub, (*path, name))


def help_text(parser: argparse.ArgumentParser) -> str:
    """`parser`'s --help output at the fixed width."""
    original = parser.formatter_class

    def fixed(*, prog: str) -> argparse.HelpFormatter:
        formatter: argparse.HelpFormatter = cast(Any, original)(prog=prog, width=WIDTH)
        return formatter

    parser.formatter_class = fixed
    try:
        return parser.format_help().rstrip("\n")
    finally:
        parser.formatter_class = original


def markdown(parser: argparse.ArgumentParser | None = None) -> str:
    """The generated section: one heading and one --help block per command."""
    parser = parser or build_parser()
    out = [BEGIN, ""]
    for path, sub in commands(parser):
        name = " ".join(("pingjing", *path))
        out += [f"## `{name}`", "", "```text", help_text(sub), "```", ""]
    out.append(END)
    return "\n".join(out) + "\n"


def render_into(text: str) -> str:
    """`text` (docs/cli.md) with its generated section replaced by today's."""
    return splice(text, markdown(), BEGIN, END)


def main(argv: list[str] | None = None) -> int:
    cli = argparse.ArgumentParser(description="Rewrite docs/cli.md's generated section.")
    cli.add_argument("--check", action="store_true", help="exit 1 if the file is out of date")
    cli.add_argument("file", nargs="?", default=str(DOC), help="default: docs/cli.md")
    args = cli.parse_args(argv)
    path = Path(args.file)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    new = render_into(text)
    if args.check:
        if new != text:
            print(f"{path} is out of date: run python -m rating.clidoc")
            return 1
        return 0
    path.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

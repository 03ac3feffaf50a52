"""Every `pingjing topics|services` command shown in the docs is one the CLI accepts."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from rating.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
DOCS = ("README.md", "docs/integrity.md", "docs/import-formats.md")


def commands() -> list[tuple[str, str]]:
    found = []
    for name in DOCS:
        text = (ROOT / name).read_text(encoding="utf-8")
        for block in re.findall(r"```(?:sh)?\n(.*?)```", text, flags=re.S):
            for line in block.splitlines():
                if not line.startswith("pingjing "):
                    continue
                code = " ".join(shlex.split(line, comments=True))
                for part in code.split("&&"):
                    part = part.strip()
                    if part.startswith(
                        ("pingjing topics", "pingjing services", "pingjing spotcheck")
                    ):
                        found.append((name, part))
    return found


def test_the_docs_show_the_commands() -> None:
    shown = {c.split()[2] for _, c in commands() if c.startswith("pingjing topics")}
    assert {"list", "set", "add", "categories", "map", "evaluate", "train", "apply"} <= shown
    assert any(c.startswith("pingjing services import") for _, c in commands())
    assert any(c.startswith("pingjing spotcheck sample --day") for _, c in commands())


@pytest.mark.parametrize(("doc", "command"), commands())
def test_documented_command_parses(doc: str, command: str) -> None:
    args = build_parser().parse_args(shlex.split(command)[1:])
    assert callable(args.func), (doc, command)

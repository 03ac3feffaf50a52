"""`pingjing mailbox categories [--set …]`: the bureau's list of letter categories."""

from __future__ import annotations

import argparse
from typing import Any

from rating.cli import CliError, command, command_group, load_settings, with_store
from rating.store import Store


def register(sub: Any) -> None:
    msub = command_group(sub, "mailbox", help="the chief's mailbox (局长信箱)")
    p = command(
        msub,
        "categories",
        cmd_categories,
        help="show or replace the letter categories",
        description="Without --set, print the categories in order. With --set, replace the "
        "list: names in order, separated by commas, each optionally name=English name "
        "(e.g. --set '投诉=Complaint,建议=Suggestion'). Letters already written keep theirs.",
    )
    p.add_argument("--set", dest="categories", help="the new list, comma-separated")


def parse_categories(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for item in text.replace("，", ",").split(","):
        name, _, name_en = item.partition("=")
        name, name_en = name.strip(), name_en.strip()
        if not name:
            continue
        if len(name) > 20 or len(name_en) > 40:
            raise CliError(f"category {name!r} is too long (20 characters, English 40)")
        if name in (n for n, _ in out):
            raise CliError(f"category {name!r} is listed twice")
        out.append((name, name_en))
    if not out:
        raise CliError("--set needs at least one category")
    return out


def cmd_categories(args: argparse.Namespace) -> None:
    from rating.mailbox import service

    settings = load_settings(args)
    new = parse_categories(args.categories) if args.categories is not None else None

    async def run(store: Store) -> list[tuple[str, str]]:
        if new is not None:
            await service.set_categories(store, new)
        return await service.list_categories(store)

    for name, name_en in with_store(settings, run):
        print(f"{name}\t{name_en}" if name_en else name)

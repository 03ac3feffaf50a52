"""`pingjing sla`: list and edit the due times by category (docs/sla.md)."""

from __future__ import annotations

import argparse
from typing import Any

from rating.cases import sla
from rating.cli import command, command_group, found_in_store, with_store
from rating.cli import load_settings as _settings
from rating.clock import now_ms
from rating.store import Store


def cmd_sla_list(args: argparse.Namespace) -> None:
    classes, mapping = with_store(_settings(args), lambda store: store.read(sla.list_sla))
    print("class\tlabel\tdue")
    for c in classes:
        print(f"{c.sla_class}\t{c.label}\t{c.describe()}")
    print()
    print("channel\tcategory\tclass")
    for channel, category, cls in mapping:
        print(f"{channel}\t{category}\t{cls}")
    print(f"anything unmapped: {sla.DEFAULT_CLASS}")


def cmd_sla_set(args: argparse.Namespace) -> None:
    if args.same_day:
        kind, amount = "same_day", 0
    elif args.hours is not None:
        kind, amount = "hours", args.hours
    else:
        kind, amount = "workdays", args.workdays

    async def run(store: Store) -> sla.SlaClass:
        return await store.write(sla.set_class, args.sla_class, kind, amount, now_ms())

    cls = with_store(_settings(args), run)  # an SlaError is a ValueError: one line
    print(f"{cls.sla_class} ({cls.label}): {cls.describe()}")
    print("applies to work orders imported from now on; stored due times are kept")


def cmd_sla_map(args: argparse.Namespace) -> None:
    async def run(store: Store) -> None:
        await store.write(sla.map_category, args.channel, args.category, args.sla_class, now_ms())

    with_store(_settings(args), run)
    print(f"{args.channel} / {args.category} -> {args.sla_class}")


def cmd_sla_unmap(args: argparse.Namespace) -> None:
    async def run(store: Store) -> bool:
        return await store.write(sla.unmap_category, args.channel, args.category)

    found_in_store(
        args, run, f"no mapping for channel {args.channel!r}, category {args.category!r}"
    )
    print(f"{args.channel} / {args.category}: mapping removed")


def cmd_sla_fill(args: argparse.Namespace) -> None:
    async def run(store: Store) -> int:
        return await store.write(sla.fill_missing_due, now_ms())

    n = with_store(_settings(args), run)
    print(f"{n} work order(s) without a due time got their category's")


def register(sub: Any) -> None:
    """Add `sla list|set|map|unmap|fill` to the `pingjing` command's subparsers."""
    ssub = command_group(sub, "sla", help="due times by category for items without their own")
    command(ssub, "list", cmd_sla_list, help="the classes and each channel's category mapping")
    q = command(ssub, "set", cmd_sla_set, help="change how a class's due time is counted")
    q.add_argument("sla_class", help="urgent, consultation, public_service, other")
    how = q.add_mutually_exclusive_group(required=True)
    how.add_argument("--hours", type=int, help="due this many hours after receipt")
    how.add_argument("--same-day", action="store_true", help="due at the end of the day")
    how.add_argument("--workdays", type=int, help="due after this many working days")
    q = command(ssub, "map", cmd_sla_map, help="map a channel's category (or '*': every channel)")
    q.add_argument("channel", help="12345, 12389, 12123, sunshine, ... or '*'")
    q.add_argument("category", help="the channel's 诉求分类 text, or an order type code")
    q.add_argument("sla_class")
    command(
        ssub,
        "fill",
        cmd_sla_fill,
        help="give stored work orders without a due time their category's",
    )
    command(ssub, "unmap", cmd_sla_unmap, "channel", "category", help="remove a category mapping")

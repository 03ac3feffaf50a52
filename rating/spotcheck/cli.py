"""`pingjing spotcheck sample --day YYYY-MM-DD`: make a day's spot-check tasks (the server
does it each day for the day before; this is for a day it missed, or a first run)."""

from __future__ import annotations

import argparse
from typing import Any

from rating.cli import command, command_group, load_settings, with_store
from rating.spotcheck import service
from rating.spotcheck.model import SampleResult
from rating.spotcheck.store import parse_day
from rating.store import Store


def cmd_sample(args: argparse.Namespace) -> None:
    settings = load_settings(args)
    day = parse_day(args.day)  # an Invalid day is printed as one line by `pingjing`

    async def run(store: Store) -> SampleResult:
        return await service.sample(store, settings, day)

    result = with_store(settings, run)
    if result.new:
        print(
            f"{result.day}: {result.tasks} spot-check task(s) from {result.candidates} "
            f"candidate(s) (share {settings.spotcheck_share}, "
            f"at least {settings.spotcheck_min_per_unit} per unit and channel)"
        )
    else:
        print(f"{result.day}: sampled before, {result.tasks} task(s); nothing added")


def register(sub: Any) -> None:
    """Add the `spotcheck` command group to the `pingjing` parser."""
    gsub = command_group(sub, "spotcheck", help="spot-check callbacks (抽查回访)")
    p = command(
        gsub,
        "sample",
        cmd_sample,
        help="turn a day's random sample into spot-check tasks (once per day)",
        description="Stratified by unit and channel, seeded by the day and the bureau's "
        "secret (docs/integrity.md). Running it again for the same day adds nothing.",
    )
    p.add_argument("--day", required=True, help="the day, YYYY-MM-DD (Asia/Shanghai)")

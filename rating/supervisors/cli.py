"""`pingjing supervisors add|list|end|revoke|reissue`: the citizen supervisors' roll from the
command line (the same operations as /admin/supervisors, audited as the command line's)."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from typing import Any

from rating.cli import command, command_group, load_settings, with_store
from rating.clock import now_ms
from rating.crypto import Keys
from rating.settings import Settings
from rating.store import Store
from rating.supervisors import service
from rating.supervisors.model import Supervisor


def _line(settings: Settings, x: Supervisor, today: str) -> str:
    link = service.link(settings.public_base_url, x.token) if x.token else "-"
    phone = x.phone_mask or "-"
    return (
        f"{x.id}\t{x.name}\t{phone}\t{x.term_start}..{x.term_end}\t{x.state_on(today)}\t"
        f"{x.reports}\t{link}"
    )


Op = Callable[[Store, Settings], Awaitable[list[Supervisor]]]


def _run(args: argparse.Namespace, fn: Op) -> list[Supervisor]:
    settings = load_settings(args)
    rows = with_store(settings, lambda store: fn(store, settings))
    today = service.local_day(now_ms())
    for x in rows:
        print(_line(settings, x, today))
    return rows


def cmd_add(args: argparse.Namespace) -> None:
    async def fn(store: Store, settings: Settings) -> list[Supervisor]:
        keys = Keys(settings.resolved_secret())
        return [await service.add(store, keys, None, args.name, args.phone or "",
                                  args.term_start, args.term_end)]  # fmt: skip

    _run(args, fn)


def cmd_list(args: argparse.Namespace) -> None:
    async def fn(store: Store, settings: Settings) -> list[Supervisor]:
        return await service.roll(store)

    _run(args, fn)


def _by_id(action: str) -> Callable[[argparse.Namespace], None]:
    def cmd(args: argparse.Namespace) -> None:
        async def fn(store: Store, settings: Settings) -> list[Supervisor]:
            op = {"end": service.end_term, "revoke": service.revoke, "reissue": service.reissue}
            return [await op[action](store, args.id, None)]

        _run(args, fn)

    return cmd


def register(sub: Any) -> None:
    """Add the `supervisors` command group to the `pingjing` parser."""
    gsub = command_group(
        sub,
        "supervisors",
        help="citizen supervisors (警风监督员): appoint, list, end a term, revoke or reissue links",
        description="Each line printed: id, name, masked phone, term, state, reports, personal "
        "link. See docs/supervisors.md.",
    )
    p = command(gsub, "add", cmd_add, help="appoint a supervisor and print the personal link")
    p.add_argument("--name", required=True, help="the supervisor's name")
    p.add_argument("--phone", help="mobile or landline (stored encrypted, shown masked)")
    p.add_argument("--from", dest="term_start", required=True, help="first day, YYYY-MM-DD")
    p.add_argument("--to", dest="term_end", required=True, help="last day, YYYY-MM-DD")
    command(gsub, "list", cmd_list, help="every supervisor, current terms first")
    for action, text in (
        ("end", "end a term now (the link takes no more reports)"),
        ("revoke", "revoke a supervisor's link (a lost phone)"),
        ("reissue", "issue a new link; the old one stops working"),
    ):
        p = command(gsub, action, _by_id(action), help=text)
        p.add_argument("id", type=int, help="the supervisor's id (from `list`)")

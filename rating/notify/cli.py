"""`pingjing notify ...`: subscriptions, one round of sending, warnings, dead letters.

The server's background task scans and sends on its own; `notify warnings` computes the
analytics warnings (baseline jumps, bursts) of a week and enqueues the new ones: pandas
runs in this command, never in the server, so run it from cron (docs/notifications.md).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from rating.cli import CliError, command, command_group, found, run_store
from rating.clock import now_ms
from rating.notify import deliver, service
from rating.notify import store as nstore
from rating.store import Store


def register(sub: Any) -> None:
    nsub = command_group(sub, "notify", help="notifications to WeCom/DingTalk robots and e-mail")
    p = command(
        nsub,
        "add",
        cmd_add,
        help="subscribe a robot or an e-mail address to a unit's events",
        description="The unit's subtree (or, without --unit, the whole bureau) sends the "
        "chosen events to the target: a WeCom or DingTalk group robot's webhook URL, or an "
        "e-mail address (one digest per PINGJING_NOTIFY_DIGEST_MINUTES).",
    )
    p.add_argument("sender", choices=nstore.SENDERS)
    p.add_argument("target", help="webhook URL, or e-mail address")
    p.add_argument("--unit", help="unit code or full path (default: the whole bureau)")
    p.add_argument("--secret", default="", help="DingTalk signing secret (SEC...)")
    p.add_argument(
        "--events",
        default=",".join(nstore.KINDS),
        help="comma-separated: " + ", ".join(nstore.KINDS),
    )
    p.add_argument("--label", default="", help="a name shown in the list")
    command(nsub, "list", cmd_list, help="list subscriptions (targets masked)")
    p = command(nsub, "remove", cmd_remove, help="stop a subscription (its history stays)")
    p.add_argument("id", type=int)
    command(nsub, "send", cmd_send, help="scan for new events and send what is due, once")
    p = command(nsub, "warnings", cmd_warnings, help="enqueue this week's new analytics warnings")
    p.add_argument("--week", help="ISO week such as 2026-W47 (default: the current week)")
    command(nsub, "dead", cmd_dead, help="list the dead letters (deliveries that gave up)")
    p = command(nsub, "retry", cmd_retry, help="send dead letters again")
    p.add_argument("id", nargs="?", type=int, help="one dead letter (default: all)")


def cmd_add(args: argparse.Namespace) -> None:
    async def run(store: Store, _: Any) -> int:
        return await service.add_subscription(
            store, args.unit, args.sender, args.target, args.secret, args.events, args.label
        )

    sub_id = run_store(args, run)
    print(f"subscription {sub_id} added")


def cmd_list(args: argparse.Namespace) -> None:
    async def run(store: Store, _: Any) -> list[nstore.Subscription]:
        return await service.list_subscriptions(store)

    for s in run_store(args, run):
        state = "disabled" if s.disabled else "active"
        print(
            f"{s.id}\t{s.sender}\t{s.target_masked}\t{s.unit_path or '(bureau)'}\t"
            f"{','.join(s.events)}\t{state}\tpending {s.pending}\tdead {s.dead}\t{s.label}"
        )


def cmd_remove(args: argparse.Namespace) -> None:
    async def run(store: Store, _: Any) -> bool:
        return await service.remove_subscription(store, args.id)

    found(run_store(args, run), f"no active subscription {args.id}")
    print(f"subscription {args.id} stopped")


def cmd_send(args: argparse.Namespace) -> None:
    async def run(store: Store, settings: Any) -> deliver.Round:
        return await deliver.run_once(store, deliver.Config.from_settings(settings), now_ms())

    r = run_store(args, run)
    print(f"notify: {r.enqueued} new events, {r.sent} deliveries sent, {r.failed} failed")


WARNING_KINDS = {"差评率高于基线": "baseline", "集中好评": "burst"}


def cmd_warnings(args: argparse.Namespace) -> None:
    from analytics.periods import local_date, week_of_day, weekday_index
    from analytics.weekly import ReportError, weekly_report

    async def run(store: Store, settings: Any) -> tuple[str, int, int]:
        now = now_ms()
        week = (
            args.week
            or week_of_day(local_date(now), weekday_index(settings.report_week_start)).label
        )
        try:
            report = await weekly_report(store, settings, week=week, now_ms=now)
        except ReportError as exc:
            raise CliError(str(exc)) from None
        digest_ms = deliver.Config.from_settings(settings).digest_ms
        found = new = 0
        for row in report.warnings.itertuples(index=False):
            kind = WARNING_KINDS.get(str(row.kind))
            if kind is None:  # 逾期: the overdue scan announces each case itself
                continue
            found += 1
            payload = {
                "warning": kind,
                "unit": row.unit,
                "detail": f"{row.who}：{row.detail}",
                "week": week,
            }
            key = f"{week}:{kind}:{row.level}:{row.who}"
            unit = None if row.unit is None or row.unit != row.unit else str(row.unit)
            new += await service.enqueue_warning(store, unit, key, payload, digest_ms)
        return week, found, new

    week, found, new = run_store(args, run)
    print(f"notify: {found} warnings in {week}, {new} new enqueued")


def cmd_dead(args: argparse.Namespace) -> None:
    async def run(store: Store, _: Any) -> list[nstore.DeadLetter]:
        return await service.dead_letters(store)

    letters = run_store(args, run)
    for d in letters:
        print(
            f"{d.id}\t{d.kind}\t{d.summary}\t{d.sender}\t{d.target_masked}\t"
            f"attempts {d.attempts}\t{d.last_error}"
        )
    if not letters:
        print("no dead letters", file=sys.stderr)


def cmd_retry(args: argparse.Namespace) -> None:
    async def run(store: Store, _: Any) -> int:
        return await service.retry_dead(store, args.id)

    print(f"notify: {run_store(args, run)} dead letters queued again")

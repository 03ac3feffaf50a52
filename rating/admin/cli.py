"""CLI commands of the closed loop: users, cases overdue, calendar, purge."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from rating.admin import accounts, auth
from rating.admin.render import fmt_ts
from rating.cases import service
from rating.cases.calendar import package_years
from rating.cases.model import ROLES, STATE_LABELS
from rating.cli import CliError, command, command_group, found_in_store, load_settings, with_store
from rating.clock import now_ms


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise CliError("the passwords differ")
    if len(password) < 10:
        raise CliError("the password must have at least 10 characters")
    return password


def cmd_users_add(args: argparse.Namespace) -> None:
    settings = load_settings(args)
    hashed = auth.hash_password(_password(args))
    # An auth.AccountError is a ValueError: `pingjing` prints it as one line.
    user = with_store(
        settings, lambda store: accounts.add_user(store, args.name, args.role, args.unit, hashed)
    )
    print(
        f"user {user.name} added: {user.role}" + (f" of {user.unit_path}" if user.unit_path else "")
    )


def cmd_users_list(args: argparse.Namespace) -> None:
    users = with_store(load_settings(args), accounts.list_users)
    for u in users:
        locked = " (locked)" if u.locked_until and u.locked_until > now_ms() else ""
        print(f"{u.name}\t{u.role}\t{u.unit_path or '(all units)'}{locked}")


def _change_user(args: argparse.Namespace, fn: Callable[..., Awaitable[bool]], *extra: Any) -> None:
    """Run `fn(store, name, *extra)`; a False answer means there is no such user."""
    found_in_store(args, lambda store: fn(store, args.name, *extra), f"no user {args.name!r}")


def cmd_users_password(args: argparse.Namespace) -> None:
    _change_user(args, accounts.set_password, auth.hash_password(_password(args)))
    print(f"password of {args.name} changed; their sessions ended")


def cmd_users_unlock(args: argparse.Namespace) -> None:
    _change_user(args, accounts.unlock_user)
    print(f"{args.name} unlocked")


def cmd_users_disable(args: argparse.Namespace) -> None:
    _change_user(args, accounts.disable_user)
    print(f"{args.name} disabled: sessions ended, API tokens revoked")


def cmd_users_token(args: argparse.Namespace) -> None:
    token = with_store(
        load_settings(args), lambda store: accounts.new_api_token(store, args.name, args.label)
    )
    print(token)
    print("keep this token now: only its hash is stored", file=sys.stderr)


def cmd_cases_overdue(args: argparse.Namespace) -> None:
    settings = load_settings(args)
    rows = with_store(settings, service.overdue)
    for c in rows:
        # The step the case waits for: callback, retry, verify, rectify_start, close, rectify
        what, due, prov = c.overdue or "", c.due_at, c.due_provisional
        mark = " (provisional)" if prov else ""
        print(
            f"#{c.id}\t{c.unit_path}\t{c.officer_name} {c.badge_no}\t{STATE_LABELS[c.state]}\t"
            f"{what} due {fmt_ts(due - 1 if due else None, False)}{mark}\t{c.handler_name or '-'}"
        )
    print(f"{len(rows)} overdue case(s)", file=sys.stderr)


def cmd_calendar(args: argparse.Namespace) -> None:
    settings = load_settings(args)
    action = getattr(args, "calendar_command", None)
    if action == "add":
        try:
            day = dt.date.fromisoformat(args.date).isoformat()
        except ValueError:
            raise CliError(f"bad date {args.date!r}: use YYYY-MM-DD") from None
        changed = with_store(
            settings, lambda store: service.add_override(store, day, args.kind, args.note)
        )
        print(f"{day} is now a {args.kind}; {changed} provisional deadline(s) recomputed")
        return
    if action == "publish":
        changed = with_store(
            settings, lambda store: service.publish_year(store, args.year, args.note)
        )
        print(f"{args.year} marked complete; {changed} provisional deadline(s) recomputed")
        return
    overrides, years = with_store(settings, service.calendar_rows)
    pkg = sorted(package_years())
    print(f"chinesecalendar package: {pkg[0]}-{pkg[-1]}")
    print("published by the bureau: " + (", ".join(map(str, years)) or "none"))
    print("other years: provisional (Mon-Fri minus known statutory holidays and overrides)")
    for day, kind, note in overrides:
        print(f"{day}\t{kind}\t{note}")


def cmd_purge(args: argparse.Namespace) -> None:
    settings = load_settings(args)
    result = with_store(settings, lambda store: service.run_purge(store, settings))
    print(
        f"purged: {result.phones} phone number(s), {result.devices} rating device record(s), "
        f"{result.workorder_phones} work-order phone number(s), "
        f"{result.sessions} expired session(s)"
    )


def register(sub: Any) -> None:
    usub = command_group(sub, "users", help="admin accounts and API tokens")
    p = command(
        usub,
        "add",
        cmd_users_add,
        "name",
        help="add an account (password from the terminal or stdin)",
    )
    p.add_argument("--role", required=True, choices=ROLES)
    p.add_argument("--unit", help="unit code or full path (required for unit_manager)")
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    command(usub, "list", cmd_users_list, help="list accounts")
    p = command(
        usub,
        "password",
        cmd_users_password,
        "name",
        help="set a new password (ends the user's sessions)",
    )
    p.add_argument("--password-stdin", action="store_true")
    command(usub, "unlock", cmd_users_unlock, "name", help="lift a lockout after failed logins")
    command(
        usub,
        "disable",
        cmd_users_disable,
        "name",
        help="disable an account, end its sessions, revoke tokens",
    )
    p = command(
        usub,
        "token",
        cmd_users_token,
        "name",
        help="create an API token for scripts (printed once)",
    )
    p.add_argument("--label", default="")

    csub = command_group(sub, "cases", help="follow-up cases")
    command(
        csub,
        "overdue",
        cmd_cases_overdue,
        help="list cases whose current step (callback, retry, verification, start of "
        "rectification or closing, rectification) is overdue",
    )

    calsub = command_group(
        sub, "calendar", cmd_calendar, help="working-day calendar: known years and overrides"
    )
    p = command(calsub, "add", cmd_calendar, help="add a holiday or make-up working day")
    p.add_argument("date", help="YYYY-MM-DD")
    p.add_argument("kind", choices=("holiday", "workday"))
    p.add_argument("--note", default="")
    p = command(
        calsub, "publish", cmd_calendar, help="mark a year's schedule as completely entered"
    )
    p.add_argument("year", type=int)
    p.add_argument("--note", default="")

    command(sub, "purge", cmd_purge, help="delete phone numbers and device data past retention")

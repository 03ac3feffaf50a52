"""The `pingjing` command. Each command parses arguments and calls library functions;
user mistakes end with a one-line message and exit status 1 (2 for usage errors)."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import importlib
import logging
import os
import re
import sqlite3
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

from rating import logs
from rating.domain_errors import DomainError
from rating.safecell import SafeWriter
from rating.settings import SETTINGS, Settings, public_url_problem
from rating.store import Store, StoreUnavailable, make_store
from rating.store.models import Unit

T = TypeVar("T")

# Packages that add their own commands (they may use the store; the store never uses them).
PLUGINS = (
    "qr.cli",
    "analytics.cli",
    "rating.workorders.cli",
    "rating.kiosk.cli",
    "rating.admin.cli",
    "rating.cases.sla_cli",
    "analytics.topics_cli",
    "rating.services.cli",
    "rating.mailbox.cli",
    "qr.units_cli",
    "rating.notify.cli",
    "rating.spotcheck.cli",
    "rating.supervisors.cli",
)


MAX_LISTED = 50  # badge numbers printed inline before "... and N more"


class CliError(Exception):
    """A user mistake: printed as one line, exit status 1."""


def load_settings(args: argparse.Namespace, **extra: Any) -> Settings:
    """The settings of a command: the environment, and its --database if it has one."""
    return Settings.load(database=getattr(args, "database", None), **extra)


_settings = load_settings  # the short name this module's own commands use


def found(value: T | None, message: str) -> T:
    """`value`, or the one-line CliError `message` when the store found nothing there
    (None, False or 0)."""
    if not value:
        raise CliError(message)
    return value


def found_in_store(
    args: argparse.Namespace, fn: Callable[[Store], Awaitable[T | None]], message: str
) -> T:
    """`fn(store)` on the command's store (`with_store`), or the one-line CliError `message`
    when it found nothing there (`found`)."""
    return found(with_store(load_settings(args), fn), message)


def command(
    sub: Any, name: str, func: Callable[[argparse.Namespace], None], *positionals: str, **kw: Any
) -> argparse.ArgumentParser:
    """Add the subcommand `name` (keywords as `add_parser`'s) that runs `func`, with the
    plain positional arguments named; the caller adds any others to the parser returned."""
    p: argparse.ArgumentParser = sub.add_parser(name, **kw)
    for arg in positionals:
        p.add_argument(arg)
    p.set_defaults(func=func)
    return p


def command_group(
    sub: Any,
    name: str,
    func: Callable[[argparse.Namespace], None] | None = None,
    **kw: Any,
) -> Any:
    """Add the command group `name` and return its subcommands (in `args.NAME_command`);
    with `func`, the group alone runs it, else a subcommand is required."""
    group = sub.add_parser(name, **kw)
    if func is None:
        return group.add_subparsers(dest=f"{name}_command", required=True)
    group.set_defaults(func=func)
    return group.add_subparsers(dest=f"{name}_command")


def with_store(settings: Settings, fn: Callable[[Store], Awaitable[T]]) -> T:
    async def run() -> T:
        store = make_store(settings, one_shot=True)
        await store.open()
        try:
            return await fn(store)
        finally:
            await store.close()

    return asyncio.run(run())


def run_store(args: argparse.Namespace, fn: Callable[[Store, Settings], Awaitable[T]]) -> T:
    """Run `fn(store, settings)` on the command's settings and an opened store."""
    settings = load_settings(args)
    return with_store(settings, lambda store: fn(store, settings))


def rating_url(settings: Settings, token: str | None) -> str:
    """An officer's rating URL, on the same public base URL as the printed badges."""
    return f"{settings.public_base_url.rstrip('/')}/r/{token}" if token else ""


def warn_if_local(settings: Settings) -> None:
    """Say on stderr when printed URLs would not reach citizens (badges refuse outright)."""
    problem = public_url_problem(settings.public_base_url)
    if problem:
        print(
            f"pingjing: note: PINGJING_PUBLIC_BASE_URL {problem}; citizens' phones cannot "
            "open these URLs",
            file=sys.stderr,
        )


# ------------------------------------------------------------------ commands


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from rating.app import create_app

    settings = _settings(args, host=args.host, port=args.port)
    workers = getattr(args, "workers", 1) or 1
    # No access log: it would store raw client addresses. Forwarded addresses are handled
    # by the app itself (PINGJING_TRUSTED_PROXIES), not by uvicorn.
    options: dict[str, Any] = dict(
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level=settings.log_level,
        # Our own handlers and format (rating.logs), for uvicorn's records too.
        log_config=None,
        proxy_headers=False,
    )
    logs.configure(settings)
    if workers > 1:
        if not settings.is_postgres:
            print(
                "pingjing: warning: several workers on one SQLite file fight for its write "
                "lock; use one worker, or PostgreSQL",
                file=sys.stderr,
            )
        # Each worker process reads its settings from the environment.
        os.environ["PINGJING_DATABASE"] = settings.database
        uvicorn.run("rating.app:serve_app", factory=True, workers=workers, **options)
        return
    uvicorn.run(create_app(settings), **options)


def cmd_demo(args: argparse.Namespace) -> None:
    from rating.clock import now_ms
    from rating.crypto import Keys
    from rating.demo import ACCOUNTS, DemoResult, run_demo

    # The demo is read by a person at a terminal: readable log lines unless asked otherwise.
    os.environ.setdefault("PINGJING_LOG_FORMAT", "text")
    settings = _settings(args, host=args.host, port=args.port)
    if public_url_problem(settings.public_base_url):
        # Unset or local: every URL the demo prints points at the port it serves on. (A
        # public address, e.g. a tunnel in front of the demo, is kept.)
        base_url = f"http://{settings.host}:{settings.port}"
        settings = dataclasses.replace(settings, public_base_url=base_url)
    secret = settings.resolved_secret()

    async def seed(store: Store) -> tuple[list[Any], DemoResult]:
        result = await run_demo(store, Keys(secret), secret, now_ms(), settings.supervisor_unit)
        return await store.list_officers(), result

    officers, result = with_store(settings, seed)
    for line in result.created:
        print(f"demo: created {line} in {settings.database}")
    for line in result.reused:
        print(f"demo: reused {line} in {settings.database}")
    base = settings.public_base_url.rstrip("/")
    print("Open an officer's rating page:")
    for officer in officers[:5]:
        print(
            f"  {rating_url(settings, officer.token)}   {officer.name} ({officer.badge_no}) "
            f"{officer.unit_name}"
        )
    for name, role, unit in ACCOUNTS:
        password = result.passwords.get(name)
        who = f"user {name}, password {password}" if password else f"user {name} (password "
        who += "" if password else "changed since; not shown)"
        reused = name in result.accounts_reused
        print(
            f"Admin pages: {base}/admin/  {who}  [{role}{' ' + unit if unit else ''}]"
            + (" (reused: password and sessions unchanged)" if reused else "")
        )
    if result.kiosk_code:
        print(f"Kiosk enrolment (one-time): {base}/kiosk/#enroll={result.kiosk_code}")
    if result.unit_code:
        print(f"Unit code page: {base}/u/{result.unit_code}")
    if result.supervisor_token:
        print(
            f"Citizen supervisor's page (警风监督员): {base}/supervisor/{result.supervisor_token}"
        )
        print(
            f"  their reports' cases: {base}/admin/cases?source=supervisor  "
            f"the roll: {base}/admin/supervisors"
        )
    print(
        f"Hotline orders in the case loop: {base}/admin/cases?source=workorder  "
        f"take-in rules: {base}/admin/workorders/orders#rules"
    )
    print(
        f"Badges for these pages: PINGJING_PUBLIC_BASE_URL={base} pingjing --database "
        f"{settings.database} badges print --allow-local --out demo-badges"
    )
    if args.no_serve:
        return
    cmd_serve(args)


def cmd_officers_import(args: argparse.Namespace) -> None:
    from rating.roster import RosterFileError, read_roster
    from rating.store.models import RosterResult

    settings = _settings(args)
    try:
        parsed = read_roster(Path(args.file))
    except RosterFileError as exc:
        raise CliError(f"{args.file}: {exc}") from None

    async def run(store: Store) -> tuple[RosterResult, bool]:
        if not (args.skip_bad and args.retire_missing):
            result = await store.import_roster(
                parsed.rows,
                skip_bad=args.skip_bad,
                retire_missing=args.retire_missing,
                prior_errors=parsed.errors,
            )
            return result, args.retire_missing
        # An officer on a bad row is in the file, not missing: retire only when every row
        # is good. Otherwise import the good rows and retire no one.
        whole = await store.import_roster(
            parsed.rows, retire_missing=True, prior_errors=parsed.errors
        )
        if not whole.errors:
            return whole, True
        result = await store.import_roster(parsed.rows, skip_bad=True, prior_errors=parsed.errors)
        return result, False

    result, retired = with_store(settings, run)
    for line, reason in result.errors:
        print(f"{args.file}:{line}: {reason}", file=sys.stderr)
    if result.errors and not args.skip_bad:
        raise CliError(
            f"{len(result.errors)} bad row(s); nothing imported "
            "(fix them, or use --skip-bad to import the good rows)"
        )
    print(
        f"imported: {len(result.created)} new, {len(result.updated)} updated, "
        f"{len(result.unchanged)} unchanged, {len(result.errors)} skipped; "
        f"{len(result.units_created)} new units"
    )
    if result.missing:
        if retired:
            verb = "retired"
        elif args.retire_missing:
            verb = "not in this file, NOT retired because of the bad rows (fix them first)"
        else:
            verb = "not in this file (use --retire-missing)"
        shown = ", ".join(result.missing[:MAX_LISTED])
        more = len(result.missing) - MAX_LISTED
        if more > 0:
            shown += f" … and {more} more (see `pingjing officers list --all`)"
        print(f"{len(result.missing)} officer(s) {verb}: {shown}")


async def resolve_unit(store: Store, ref: str) -> Unit:
    """The unit a command line names by code or full path; a clear error if none."""
    # Deferred: the ratings service brings the web side with it, which most commands skip.
    from rating.service import unit_by_ref

    unit = await unit_by_ref(store, ref)
    if unit is None:
        raise CliError(f"unknown unit {ref!r} (give a unit code or full path)")
    return unit


def cmd_officers_list(args: argparse.Namespace) -> None:
    settings = _settings(args)

    async def run(store: Store) -> list[Any]:
        unit_path = None
        if args.unit:
            unit_path = (await resolve_unit(store, args.unit)).path
        return await store.list_officers(unit_path, include_retired=args.all)

    officers = with_store(settings, run)
    warn_if_local(settings)
    cols = ("badge_no", "name", "kind", "status", "unit", "url")
    rows = [
        (o.badge_no, o.name, o.kind, o.status, o.unit_path, rating_url(settings, o.token))
        for o in officers
    ]
    if args.format == "csv":
        writer = SafeWriter(sys.stdout)
        writer.writerow(cols)
        writer.writerows(rows)
        return
    for r in rows:
        print("\t".join(r))
    print(f"{len(rows)} officer(s)", file=sys.stderr)


def cmd_officers_reissue(args: argparse.Namespace) -> None:
    settings = _settings(args)
    officer = found(
        with_store(settings, lambda store: store.reissue_token(args.badge_no)),
        f"no officer with badge number {args.badge_no!r}",
    )
    print(f"{officer.name} ({officer.badge_no}): the old code no longer works.")
    print(f"new rating URL: {rating_url(settings, officer.token)}")
    warn_if_local(settings)


def cmd_backup(args: argparse.Namespace) -> None:
    settings = _settings(args)
    dest = Path(args.dest)
    if dest.exists():
        raise CliError(f"{dest} already exists; choose a new file name")
    if not dest.parent.exists():
        raise CliError(f"folder {dest.parent} does not exist")
    # Owner-only from the first byte: a backup holds everything the database does.
    os.close(os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        with_store(settings, lambda store: store.backup(str(dest)))
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    print(f"backup written to {dest}")


def cmd_settings(args: argparse.Namespace) -> None:
    settings = _settings(args)
    for s in SETTINGS:
        value = getattr(settings, s.name)
        if s.name == "secret":
            value = "(set)" if value else "(generated file beside the database)"
        elif s.name == "webhook_secret":
            value = "(set)" if value else ""
        elif isinstance(value, str):
            value = mask_password(value)
        print(f"PINGJING_{s.name.upper()}={value}")


def mask_password(value: str) -> str:
    """A URL (or libpq conninfo) with its password as ***: `pingjing settings` output ends
    up in tickets and chat."""
    if "://" in value:
        try:
            parts = urlsplit(value)
            password = parts.password
        except ValueError:
            return value
        if password:
            user = parts.username or ""
            host = parts.netloc.rpartition("@")[2]
            value = urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))
        return re.sub(r"(?i)([?&]password=)[^&]*", r"\1***", value)
    return re.sub(r"(?i)(\bpassword\s*=\s*)('[^']*'|\S+)", r"\1***", value)


# ------------------------------------------------------------------ parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pingjing", description="Pingjing (评警) service")
    parser.add_argument(
        "--database", help="SQLite file or postgresql:// URL (default: PINGJING_DATABASE)"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = command(sub, "serve", cmd_serve, help="run the web service")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--workers", type=int, default=1, help="worker processes (PostgreSQL)")
    p = command(sub, "demo", cmd_demo, help="create demo data (if the database is empty) and serve")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--no-serve", action="store_true", help="seed and print URLs only")

    osub = command_group(sub, "officers", help="officer roster and badge tokens")
    p = command(osub, "import", cmd_officers_import, "file", help="import a roster (CSV or XLSX)")
    p.add_argument("--skip-bad", action="store_true", help="import good rows despite bad ones")
    p.add_argument("--retire-missing", action="store_true", help="retire officers not in file")
    p = command(osub, "list", cmd_officers_list, help="list officers with their rating URLs")
    p.add_argument("--unit", help="unit code or full path (includes sub-units)")
    p.add_argument("--format", choices=("table", "csv"), default="table")
    p.add_argument("--all", action="store_true", help="include retired officers")
    command(
        osub,
        "reissue",
        cmd_officers_reissue,
        "badge_no",
        help="revoke an officer's code and issue a new one",
    )
    command(
        sub,
        "backup",
        cmd_backup,
        "dest",
        help="online backup (SQLite: a database file; PostgreSQL: a pg_dump custom archive)",
    )
    command(sub, "settings", cmd_settings, help="show the effective settings")

    for name in PLUGINS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        args.func(args)
    except (CliError, DomainError) as exc:  # a user mistake, or a rule the domain refused
        print(f"pingjing: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:  # settings mistakes
        print(f"pingjing: {exc}", file=sys.stderr)
        return 1
    except StoreUnavailable as exc:  # database unreachable, pg_dump missing or failing
        print(f"pingjing: {exc}", file=sys.stderr)
        return 1
    except sqlite3.OperationalError as exc:  # e.g. locked past the busy timeout, read-only
        print(f"pingjing: database: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    # Run the imported module's main, not this __main__ copy: plugins raise
    # rating.cli.CliError, which this copy's `except CliError` would not catch.
    from rating.cli import main as _main

    sys.exit(_main())

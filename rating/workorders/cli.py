"""`pingjing workorders ...`: import hotline exports, manage unit aliases, list imports.

The admin upload page (rating.admin.workorders) calls the same `read_export` and
`import_streamed`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rating.cli import CliError, command, command_group, found_in_store, load_settings, with_store
from rating.crypto import Keys
from rating.store import Store
from rating.tabular import ImportFileError
from rating.workorders import CHANNELS, service
from rating.workorders.loop import Rule
from rating.workorders.parse import (
    OrderRow,
    ParsedFile,
    read_export,
    rejects_path,
    write_rejects,
)
from rating.workorders.profiles import ProfileError, builtin_names, load_profile, profile_path
from rating.workorders.store import (
    AliasError,
    ImportResult,
    RowKeeper,
    Unmatched,
    at_low_priority,
    import_checked,
)

SHOW_UNMATCHED = 20


def local_time(ms: int) -> str:
    """Epoch ms as Asia/Shanghai wall time, to the minute."""
    shanghai = datetime.fromtimestamp(ms / 1000, UTC) + timedelta(hours=8)
    return shanghai.strftime("%Y-%m-%d %H:%M")


def _print_unmatched(what: str, items: list[Unmatched], kept: str, hint: str, stored: bool) -> None:
    if not items:
        return
    total = sum(u.rows for u in items)
    verb = "kept" if stored else "would be kept"
    print(f"{len(items)} {what} matched nothing; {total} work order(s) {verb} {kept}:")
    for u in items[:SHOW_UNMATCHED]:
        print(f"  {u.value}  ({u.rows} row(s), first on line {u.first_line}): {u.reason}")
    if len(items) > SHOW_UNMATCHED:
        print(f"  ... and {len(items) - SHOW_UNMATCHED} more")
    print(f"  {hint}")


def _print_matching(result: ImportResult, stored: bool = True) -> None:
    _print_unmatched(
        "unit name(s)",
        result.unmatched_units,
        "with the unit unknown",
        "add an alias: pingjing workorders aliases add NAME UNIT_CODE_OR_PATH",
        stored,
    )
    _print_unmatched(
        "badge number(s)",
        result.unmatched_badges,
        "without an officer",
        "import the officer roster first (pingjing officers import), then import again",
        stored,
    )


def _describe(parsed: ParsedFile) -> str:
    fmt = f"CSV {parsed.encoding}" if parsed.kind == "csv" else parsed.kind.upper()
    return (
        f"{parsed.path.name}: {fmt}, profile {parsed.profile.name}, header on line "
        f"{parsed.header_line}, {parsed.data_rows} row(s)"
    )


def cmd_import(args: argparse.Namespace) -> None:
    settings = load_settings(args)
    path = Path(args.file)
    keys = Keys(settings.resolved_secret())

    def scan(rows_to: Callable[[OrderRow], None]) -> ParsedFile:
        return read_export(path, args.channel, args.profile, keys, rows_to=rows_to)

    kept = RowKeeper()
    try:
        # First pass: check every row, keeping the good ones up to KEEP_ROWS; a larger
        # file stays on disk and import_checked reads its good rows again into the
        # database, chunk by chunk. At a lower CPU priority, on a thread of its own (see
        # IMPORT_NICE).
        parsed = at_low_priority(lambda: scan(kept))
    except ProfileError as exc:
        raise CliError(str(exc)) from None
    except ImportFileError as exc:
        raise CliError(f"{args.file}: {exc}") from None
    print(_describe(parsed))
    if parsed.ignored:
        print(f"columns not imported: {', '.join(parsed.ignored)}")
    sys.stdout.flush()
    for err in parsed.errors:
        print(f"{args.file}: {err}", file=sys.stderr)
    if parsed.error_count > len(parsed.errors):
        more = parsed.error_count - len(parsed.errors)
        print(f"{args.file}: ... and {more} more error(s)", file=sys.stderr)
    if parsed.errors and args.skip_bad:
        # Written before the import commits: rejected rows are never only on screen.
        dest = rejects_path(path)
        try:
            write_rejects(parsed, dest)
        except OSError as exc:
            raise CliError(f"cannot write {dest}: {exc.strerror}; nothing imported") from None
    try:
        result = with_store(
            settings,
            lambda store: import_checked(
                store, parsed, kept, scan, args.channel, skip_bad=args.skip_bad
            ),
        )
    except ImportFileError as exc:
        raise CliError(f"{args.file}: {exc}") from None
    finally:
        parsed.close()
    if parsed.errors and not args.skip_bad:
        _print_matching(result, stored=False)
        raise CliError(
            f"{parsed.bad_lines} bad row(s) in {path.name}; nothing imported "
            "(fix them, or use --skip-bad to import the good rows)"
        )
    if parsed.errors:
        print(f"{parsed.bad_lines} rejected row(s) with reasons written to {rejects_path(path)}")
    if result.previous is not None:
        pid, at = result.previous
        print(f"note: this same file was imported before (import #{pid}, {local_time(at)})")
    print(
        f"imported ({args.channel}, import #{result.import_id}): {result.new} new, "
        f"{result.updated} updated, {result.unchanged} unchanged, {result.rejected} rejected"
    )
    if result.taken_in:
        print(f"{result.taken_in} work order(s) taken into the case loop by the rules")
    _print_matching(result)


def cmd_imports(args: argparse.Namespace) -> None:
    records = with_store(load_settings(args), lambda store: service.list_imports(store, args.limit))
    if not records:
        print("no work-order imports yet")
        return
    print(
        "#\ttime\tchannel\tprofile\tfile\tsha256\trows\tnew\tupdated\tunchanged\trejected"
        "\tno_unit\tno_officer"
    )
    for r in records:
        print(
            "\t".join(
                str(v)
                for v in (
                    r.id,
                    local_time(r.imported_at),
                    r.channel,
                    r.profile,
                    r.file_name,
                    r.file_sha256[:12],
                    r.rows_total,
                    r.new,
                    r.updated,
                    r.unchanged,
                    r.rejected,
                    r.units_unmatched,
                    r.officers_unmatched,
                )
            )
        )


def cmd_alias_add(args: argparse.Namespace) -> None:
    async def run(store: Store) -> tuple[str, int]:
        return await service.add_alias(store, args.name, args.unit)

    try:
        path, moved = with_store(load_settings(args), run)
    except AliasError as exc:
        raise CliError(str(exc)) from None
    print(f"alias {args.name.strip()} -> {path}; {moved} stored work order(s) re-matched")


def cmd_alias_remove(args: argparse.Namespace) -> None:
    found_in_store(
        args, lambda store: service.remove_alias(store, args.name), f"no alias {args.name!r}"
    )
    print(f"alias {args.name.strip()} removed (work orders already matched keep their unit)")


def cmd_alias_list(args: argparse.Namespace) -> None:
    aliases = with_store(load_settings(args), service.list_aliases)
    for alias, code, path in aliases:
        print(f"{alias}\t{code}\t{path}")
    print(f"{len(aliases)} alias(es)", file=sys.stderr)


def _rule_text(rule: Rule) -> str:
    return f"{rule.id}\t{rule.channel}\t{rule.order_type or '*'}\t{rule.category or '*'}"


def cmd_rules_list(args: argparse.Namespace) -> None:
    rules = with_store(load_settings(args), service.list_rules)
    print("#\tchannel\ttype\tcategory")
    for rule in rules:
        print(_rule_text(rule))
    print(f"{len(rules)} rule(s)", file=sys.stderr)


def cmd_rules_add(args: argparse.Namespace) -> None:
    async def run(store: Store) -> tuple[Rule, bool]:
        return await service.add_rule(store, args.channel, args.type, args.category)

    rule, new = with_store(load_settings(args), run)
    print(("added rule " if new else "rule already there: ") + _rule_text(rule))
    print(
        "orders imported from now on are taken into the case loop when they match; "
        "`pingjing workorders rules apply` takes in the stored ones"
    )


def cmd_rules_remove(args: argparse.Namespace) -> None:
    found_in_store(args, lambda store: service.remove_rule(store, args.id), f"no rule #{args.id}")
    print(f"rule #{args.id} removed (orders already taken in stay in the loop)")


def cmd_rules_apply(args: argparse.Namespace) -> None:
    n = with_store(load_settings(args), service.apply_rules)
    print(f"{n} work order(s) taken into the case loop")


def cmd_profiles(args: argparse.Namespace) -> None:
    if args.name:
        try:
            print(profile_path(args.name).read_text(encoding="utf-8"), end="")
        except ProfileError as exc:
            raise CliError(str(exc)) from None
        return
    for name in builtin_names():
        profile = load_profile(name)
        print(f"{name}\t{profile.title}\t{profile.source}")


def register(sub: Any) -> None:
    """Add the `workorders` command group to the `pingjing` parser."""
    wsub = command_group(
        sub, "workorders", help="hotline work orders (12345, 12389, 12123, 阳光理政)"
    )

    p = command(
        wsub, "import", cmd_import, "file", help="import a hotline export (CSV, XLSX, XLS or ODS)"
    )
    p.add_argument("--channel", required=True, choices=CHANNELS, help="where the file came from")
    p.add_argument(
        "--profile", help="column profile: a built-in name or a .toml file (default: channel)"
    )
    p.add_argument(
        "--skip-bad",
        action="store_true",
        help="import the good rows; write the bad ones beside FILE (a.xlsx: a.rejected.csv)",
    )

    p = command(wsub, "imports", cmd_imports, help="list recorded imports, newest first")
    p.add_argument("--limit", type=int, default=20)

    asub = command_group(wsub, "aliases", help="names hotlines use for units")
    command(
        asub,
        "add",
        cmd_alias_add,
        "name",
        "unit",
        help="map a name to a unit (code, full path or unique name)",
    )
    command(asub, "remove", cmd_alias_remove, "name", help="remove an alias")
    command(asub, "list", cmd_alias_list, help="list aliases")

    rsub = command_group(
        wsub,
        "rules",
        help="rules that take work orders into the case loop (per channel, type, category)",
    )
    command(rsub, "list", cmd_rules_list, help="list the rules")
    p = command(
        rsub,
        "add",
        cmd_rules_add,
        help="take every open order of CHANNEL (of --type, --category) into the loop",
    )
    p.add_argument("channel", choices=CHANNELS)
    p.add_argument(
        "--type", default="", help="order type: a code (complaint, report, ...) or 投诉, 举报, ..."
    )
    p.add_argument("--category", default="", help="the hotline's category (诉求分类), exactly")
    p = command(rsub, "remove", cmd_rules_remove, help="remove a rule (its cases stay)")
    p.add_argument("id", type=int)
    command(rsub, "apply", cmd_rules_apply, help="apply the rules to every stored open order now")

    p = wsub.add_parser("profiles", help="list column profiles, or print one to copy")
    p.set_defaults(func=cmd_profiles, name=None)
    psub = p.add_subparsers(dest="profiles_command")
    psub.add_parser("list", help="list the built-in profiles")
    p = psub.add_parser("show", help="print a profile (to copy and edit)")
    p.add_argument("name", help="a built-in profile name or a .toml file")

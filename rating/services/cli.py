"""`pingjing services import FILE`: service volumes per unit and day (participation)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rating.cli import CliError, command, command_group, load_settings, with_store
from rating.services import service
from rating.services.parse import ServiceFileError, read_services, rejects_csv, rejects_path
from rating.services.store import ServiceImport
from rating.store import Store
from rating.tabular import ImportFileError


def cmd_import(args: argparse.Namespace) -> None:
    settings = load_settings(args)
    path = Path(args.file)
    try:
        parsed = read_services(path)
    except (ServiceFileError, ImportFileError) as exc:
        raise CliError(f"{args.file}: {exc}") from None
    fmt = f"CSV {parsed.encoding}" if parsed.kind == "csv" else "XLSX"
    print(
        f"{path.name}: {fmt}, header on line {parsed.header_line}, {len(parsed.rows)} good row(s)"
    )

    async def run(store: Store) -> ServiceImport:
        if args.skip_bad:
            # Written before the import commits: rejected rows are never only on screen.
            errors = await service.preview_errors(store, parsed)
            if errors:
                dest = rejects_path(path)
                try:
                    dest.write_text(rejects_csv(parsed, errors), encoding="utf-8-sig")
                except OSError as exc:
                    raise CliError(
                        f"cannot write {dest}: {exc.strerror}; nothing imported"
                    ) from None
        return await service.import_services(store, parsed, args.skip_bad)

    result = with_store(settings, run)
    for err in result.errors:
        print(f"{args.file}: {err}", file=sys.stderr)
    if result.import_id is None:
        lines = len({e.line for e in result.errors})
        raise CliError(
            f"{lines} bad row(s) in {path.name}; nothing imported "
            "(fix them, or use --skip-bad to import the good rows)"
        )
    if result.errors:
        print(f"rejected row(s) with reasons written to {rejects_path(path)}")
    print(
        f"imported (services import #{result.import_id}): {result.new} new, "
        f"{result.updated} updated, {result.unchanged} unchanged, "
        f"{len({e.line for e in result.errors})} rejected"
    )


def register(sub: Any) -> None:
    """Add the `services` command group to the `pingjing` parser."""
    ssub = command_group(
        sub, "services", help="service volumes per unit and day (for participation)"
    )
    p = command(
        ssub,
        "import",
        cmd_import,
        "file",
        help="import counts from a business system (CSV or XLSX)",
        description="Columns: 单位/unit, 日期/date, 服务量/services, optional 业务系统/system "
        "(docs/import-formats.md). A unit, day and system already stored is replaced.",
    )
    p.add_argument(
        "--skip-bad",
        action="store_true",
        help="import the good rows; write the bad ones beside FILE (a.xlsx: a.rejected.csv)",
    )

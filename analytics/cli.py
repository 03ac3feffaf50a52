"""`pingjing report weekly`: the weekly report on the command line."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from analytics import FORMATS  # light: pandas is imported only when a report runs
from rating.cli import CliError, with_store
from rating.settings import Settings


def register(sub: Any) -> None:
    """Add `report weekly` to the `pingjing` command's subparsers."""
    report = sub.add_parser("report", help="reports on ratings, cases and work orders")
    rsub = report.add_subparsers(dest="report_command", required=True)
    p = rsub.add_parser(
        "weekly",
        help="the weekly report: report.xlsx, report.html and CSV files",
        description="Satisfaction, callback and rectification rates per unit and officer "
        "for one week (definitions: docs/metrics.md).",
    )
    p.add_argument("--week", help="ISO week such as 2026-W47 (default: the last full week)")
    p.add_argument("--unit", help="only this unit (code or full path), sub-units included")
    p.add_argument(
        "--as-of",
        help="report as it stood at this earlier moment, e.g. '2026-11-24 09:00' "
        "(Asia/Shanghai; default now): follow-up states, imports and ratings as known then",
    )
    p.add_argument("--out", required=True, help="output folder (created if missing)")
    p.add_argument(
        "--formats",
        default=",".join(FORMATS),
        help=f"comma-separated outputs (default {','.join(FORMATS)})",
    )
    p.set_defaults(func=cmd_report_weekly)


def cmd_report_weekly(args: argparse.Namespace) -> None:
    from analytics.weekly import ReportError, render, weekly_report

    settings = Settings.load(database=getattr(args, "database", None))
    formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise CliError(f"unknown format {','.join(unknown)!r}; choose from {', '.join(FORMATS)}")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise CliError(f"{out} is not a folder")
    try:
        report = with_store(
            settings,
            lambda store: weekly_report(
                store, settings, week=args.week, unit=args.unit, as_of=args.as_of
            ),
        )
        written = render(report, out, formats, processes=min(2, os.cpu_count() or 1))
    except ReportError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:  # the folder cannot be created or written
        raise CliError(f"cannot write the report into {out}: {exc.strerror or exc}") from None
    print(f"weekly report {report.week.describe()}, {report.scope}")
    print(f"generated at {report.generated_at} (Asia/Shanghai); follow-up states as of then")
    for path in written:
        print(f"  {path}")

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
    p.add_argument("--out", required=True, help="output folder (created if missing)")
    p.add_argument(
        "--formats",
        default=",".join(FORMATS),
        help=f"comma-separated outputs (default {','.join(FORMATS)})",
    )
    p.set_defaults(func=cmd_report_weekly)
    _register_period(rsub)


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
            settings, lambda store: weekly_report(store, settings, week=args.week, unit=args.unit)
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


def _register_period(rsub: Any) -> None:
    p = rsub.add_parser(
        "period",
        help="the report over a month, quarter, year or range of days, with the assessment",
        description="The weekly report's tables over any period, compared with the period "
        "before, plus the 巨好办 assessment per unit (reply rate, closure rate, satisfaction, "
        "rank among units of the same level).",
    )
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument("--from", dest="date_from", help="first day, such as 2026-11-01 (with --to)")
    when.add_argument("--month", help="a calendar month, such as 2026-11")
    when.add_argument("--quarter", help="a calendar quarter, such as 2026-Q4")
    when.add_argument("--year", help="a calendar year, such as 2026")
    p.add_argument("--to", dest="date_to", help="last day, included (with --from)")
    p.add_argument("--unit", help="only this unit (code or full path), sub-units included")
    p.add_argument("--out", required=True, help="output folder (created if missing)")
    p.add_argument(
        "--formats",
        default=",".join(FORMATS),
        help=f"comma-separated outputs (default {','.join(FORMATS)})",
    )
    p.set_defaults(func=cmd_report_period)


def cmd_report_period(args: argparse.Namespace) -> None:
    from analytics.period import parse_period
    from analytics.period_report import period_report
    from analytics.weekly import ReportError, render

    settings = Settings.load(database=getattr(args, "database", None))
    formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise CliError(f"unknown format {','.join(unknown)!r}; choose from {', '.join(FORMATS)}")
    if args.date_to and not args.date_from:
        raise CliError("--to goes with --from (dates such as 2026-11-30)")
    try:
        period = parse_period(
            date_from=args.date_from,
            date_to=args.date_to,
            month=args.month,
            quarter=args.quarter,
            year=args.year,
        )
    except ValueError as exc:
        raise CliError(str(exc)) from None
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise CliError(f"{out} is not a folder")
    try:
        report = with_store(
            settings, lambda store: period_report(store, settings, period, unit=args.unit)
        )
        written = render(report, out, formats, processes=min(2, os.cpu_count() or 1))
    except ReportError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"cannot write the report into {out}: {exc.strerror or exc}") from None
    print(f"{report.kind_name} {report.week.describe()}, {report.scope}")
    print(f"generated at {report.generated_at} (Asia/Shanghai); follow-up states as of then")
    for path in written:
        print(f"  {path}")

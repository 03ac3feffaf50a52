"""`pingjing report weekly`: the weekly report on the command line."""

from __future__ import annotations

import argparse
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from analytics import FORMATS  # light: pandas is imported only when a report runs
from rating import clock
from rating.cli import CliError, with_store
from rating.settings import Settings

if TYPE_CHECKING:
    from analytics.report import WeeklyReport
    from rating.store import Store

R = TypeVar("R", bound="WeeklyReport")


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
    _add_output_options(p)
    p.add_argument(
        "--no-archive",
        action="store_true",
        help="do not keep a copy in the report archive (PINGJING_REPORT_ARCHIVE_DIR)",
    )
    p.set_defaults(func=cmd_report_weekly)
    _register_period(rsub)
    _register_schedule(rsub)


def _add_output_options(p: Any) -> None:
    p.add_argument("--out", required=True, help="output folder (created if missing)")
    p.add_argument(
        "--formats",
        default=",".join(FORMATS),
        help=f"comma-separated outputs (default {','.join(FORMATS)})",
    )


def cmd_report_weekly(args: argparse.Namespace) -> None:
    settings = _report_settings(args)
    from analytics.weekly import weekly_report

    formats = _formats(args)
    out = _out_folder(args)
    report, written = _build_and_render(
        settings,
        lambda store: weekly_report(
            store,
            settings,
            week=args.week,
            unit=args.unit,
            as_of=args.as_of,
            prepare_render=True,
        ),
        out,
        formats,
    )
    _print_written(f"weekly report {report.week.describe()}, {report.scope}", report, written)
    if not getattr(args, "no_archive", False):
        _archive(settings, report, written, args.unit, "cli")


def _report_settings(args: argparse.Namespace) -> Settings:
    """The settings; on SQLite a column reader starts now, so that its imports run beside
    the report's own (`colread.prestart`)."""
    settings = Settings.load(database=getattr(args, "database", None))
    if not settings.is_postgres:
        from analytics import colread

        colread.prestart()  # its imports run beside ours
    return settings


def _formats(args: argparse.Namespace) -> tuple[str, ...]:
    formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise CliError(f"unknown format {','.join(unknown)!r}; choose from {', '.join(FORMATS)}")
    return formats


def _out_folder(args: argparse.Namespace) -> Path:
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise CliError(f"{out} is not a folder")
    return out


def _build_and_render(
    settings: Settings,
    build: Callable[[Store], Awaitable[R]],
    out: Path,
    formats: tuple[str, ...],
) -> tuple[R, list[Path]]:
    """The report `build` makes, and the files it is rendered into in `out`."""
    from analytics.weekly import ReportError, render

    try:
        report = with_store(settings, build)
        written = render(report, out, formats, processes=min(2, os.cpu_count() or 1))
    except ReportError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:  # the folder cannot be created or written
        raise CliError(f"cannot write the report into {out}: {exc.strerror or exc}") from None
    return report, written


def _print_written(heading: str, report: WeeklyReport, written: list[Path]) -> None:
    print(heading)
    print(f"generated at {report.generated_at} (Asia/Shanghai); follow-up states as of then")
    for path in written:
        print(f"  {path}")


def _archive(
    settings: Settings, report: Any, written: list[Path], unit: str | None, source: str
) -> None:
    """Keep a copy of a weekly report in the archive (CSV and xlsx/html as written)."""
    from analytics.archive import archive_root
    from analytics.job import keep, unit_of

    unit_code, unit_path = with_store(settings, lambda store: unit_of(store, unit))
    try:
        entry = keep(settings, report, written, unit_code, unit_path, source)
    except OSError as exc:
        raise CliError(f"cannot write the report archive: {exc.strerror or exc}") from None
    print(f"archived in {archive_root(settings) / 'weekly' / entry.key}")


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
    _add_output_options(p)
    p.set_defaults(func=cmd_report_period)


def cmd_report_period(args: argparse.Namespace) -> None:
    settings = _report_settings(args)
    from analytics.period import parse_period
    from analytics.period_report import period_report

    formats = _formats(args)
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
    out = _out_folder(args)
    report, written = _build_and_render(
        settings, lambda store: period_report(store, settings, period, unit=args.unit), out, formats
    )
    _print_written(f"{report.kind_name} {report.week.describe()}, {report.scope}", report, written)


def _register_schedule(rsub: Any) -> None:
    p = rsub.add_parser(
        "schedule",
        help="the Monday job: last week's report for the bureau (and given units), archived",
        description="Builds the weekly report of the last full week (or --week) for the whole "
        "bureau and for each --unit, and keeps each in the report archive, where the admin "
        "reports page lists it. Run it from cron or a systemd timer (docs/reports.md).",
    )
    p.add_argument("--week", help="ISO week such as 2026-W47 (default: the last full week)")
    p.add_argument(
        "--unit",
        action="append",
        default=[],
        help="also a report for this unit (code or full path); repeatable",
    )
    p.add_argument(
        "--branches",
        action="store_true",
        help="also a report for every unit directly under the bureau (每个分局)",
    )
    p.set_defaults(func=cmd_report_schedule)


def cmd_report_schedule(args: argparse.Namespace) -> None:
    import asyncio

    from analytics.archive import archive_root
    from analytics.job import build_and_archive
    from analytics.weekly import ReportError

    settings = Settings.load(database=getattr(args, "database", None))
    units: list[str | None] = [None, *args.unit]
    if args.branches:
        listed = with_store(settings, lambda store: store.list_units())
        roots = [u for u in listed if u.parent_id is None]
        units += [u.code for u in listed if any(u.parent_id == r.id for r in roots)]
    now_ms = clock.now_ms()  # one moment for every report of this run
    for unit in units:
        try:
            entry = asyncio.run(
                build_and_archive(
                    settings, week=args.week, unit=unit, as_of_ms=now_ms, source="schedule"
                )
            )
        except ReportError as exc:
            raise CliError(str(exc)) from None
        except OSError as exc:
            raise CliError(f"cannot write the report archive: {exc.strerror or exc}") from None
        print(f"{entry.meta['week_describe']}  {entry.meta['scope_name']}")
        print(f"  archived in {archive_root(settings) / 'weekly' / entry.key}")

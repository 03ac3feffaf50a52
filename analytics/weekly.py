"""One call that loads, computes and renders the weekly report (CLI and admin use it)."""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from analytics import FORMATS  # noqa: F401  (kept here for importers; the CLI reads it cheaply)
from analytics.load import ReportData, load_report_data, subtree_ids
from analytics.periods import Week, last_full_week, parse_moment, parse_week, weekday_index
from analytics.report import ReportOptions, WeeklyReport, build_weekly, load_window
from rating import clock
from rating.settings import Settings
from rating.store import Store


class ReportError(ValueError):
    """A user mistake in the report request (unknown unit, malformed week)."""


@dataclass
class Timings:
    load_s: float = 0.0
    compute_s: float = 0.0
    render_s: dict[str, float] = field(default_factory=dict)


def resolve_week(settings: Settings, week: str | None, now_ms: int) -> tuple[Week, int]:
    try:
        start = weekday_index(settings.report_week_start)
        chosen = parse_week(week, start) if week else last_full_week(now_ms, start)
    except ValueError as exc:
        raise ReportError(str(exc)) from None
    return chosen, start


def resolve_unit(data: ReportData, ref: str | None) -> int | None:
    """A unit code or full path → its id (None: every unit)."""
    if ref is None:
        return None
    units = data.units
    hit = units[(units["code"] == ref) | (units["path"] == ref.strip("/"))]
    if hit.empty:
        raise ReportError(f"unknown unit {ref!r} (give a unit code or full path)")
    return int(hit["unit_id"].iloc[0])


async def weekly_report(
    store: Store,
    settings: Settings,
    *,
    week: str | None = None,
    unit: str | None = None,
    now_ms: int | None = None,
    as_of: str | None = None,
    timings: Timings | None = None,
) -> WeeklyReport:
    """Load and compute the weekly report; follow-up states as of `now_ms` (default now),
    or as of the earlier moment `as_of` ('2026-11-24 09:00', Asia/Shanghai)."""
    now_ms = clock.now_ms() if now_ms is None else now_ms
    if as_of:
        try:
            now_ms = parse_moment(as_of, now_ms)
        except ValueError as exc:
            raise ReportError(str(exc)) from None
    chosen, week_start = resolve_week(settings, week, now_ms)
    t0 = time.perf_counter()
    start_ms, end_ms = load_window(chosen)
    scope = await subtree_ids(store, unit)  # a unit's report reads only its ratings
    from analytics.integrity import add_integrity, load_integrity

    # One after the other, not side by side: the columnar reader (ADBC) links its own copy
    # of SQLite, and two SQLite libraries in one process share POSIX locks on the file (one
    # closing its descriptor drops the other's locks: "two copies of SQLite in one
    # process", sqlite.org/howtocorrupt.html). Read concurrently, the store's reader then
    # saw "database disk image is malformed" under a writer in the same process.
    data = await load_report_data(
        store, start_ms, end_ms, now_ms, chosen.start_ms, scope, cycle_from_ms=chosen.start_ms
    )
    texts = await load_integrity(store, start_ms, end_ms, now_ms)
    t1 = time.perf_counter()
    options = ReportOptions(
        week=chosen,
        week_start=week_start,
        basic_counts_satisfied=settings.report_basic_counts_satisfied,
        root_unit_id=resolve_unit(data, unit),
    )
    # CPU work off the event loop (the admin pages serve other requests meanwhile).
    report = await asyncio.to_thread(build_weekly, data, options)
    await add_integrity(store, report, data, options, texts)
    from analytics.spotcheck import add_spotchecks

    await add_spotchecks(store, report, data, options)
    from analytics.supervisors import add_supervisors

    await add_supervisors(store, report, data, options)
    if timings is not None:
        timings.load_s = t1 - t0
        timings.compute_s = time.perf_counter() - t1
    return report


def render_one(report: WeeklyReport, out: Path, fmt: str) -> tuple[list[Path], float]:
    """Write one format into `out`; (paths written, seconds taken)."""
    from analytics.render_tables import write_csv, write_xlsx

    t0 = time.perf_counter()
    if fmt == "xlsx":
        write_xlsx(report, out / "report.xlsx")
        paths = [out / "report.xlsx"]
    elif fmt == "csv":
        paths = write_csv(report, out)
    elif fmt == "html":
        from analytics.render_html import write_html

        write_html(report, out / "report.html")
        paths = [out / "report.html"]
    else:
        raise ReportError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    return paths, time.perf_counter() - t0


def render(
    report: WeeklyReport,
    out: Path,
    formats: tuple[str, ...] = FORMATS,
    timings: Timings | None = None,
    processes: int = 1,
) -> list[Path]:
    """Write the chosen formats into `out` (created if missing); the paths written.

    With `processes` > 1 the formats render side by side in forked worker processes (the
    workbook alone takes about as long as the page and the CSV files together). Only for
    single-threaded callers such as the CLI: forking a threaded server is unsafe.
    """
    for fmt in formats:
        if fmt not in FORMATS:
            raise ReportError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    out.mkdir(parents=True, exist_ok=True)
    if processes > 1 and len(formats) > 1:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(min(processes, len(formats)), mp_context=context) as pool:
            futures = [pool.submit(render_one, report, out, fmt) for fmt in formats]
            results = [f.result() for f in futures]
    else:
        results = [render_one(report, out, fmt) for fmt in formats]
    written: list[Path] = []
    for fmt, (paths, seconds) in zip(formats, results, strict=True):
        written.extend(paths)
        if timings is not None:
            timings.render_s[fmt] = seconds
    return written

"""One call that loads, computes and renders the weekly report (CLI and admin use it)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from analytics import (
    FORMATS,  # noqa: F401  (kept here for importers; the CLI reads it cheaply)
    colread,
)
from analytics.load import ReportData, integrity_frames, load_report_data, subtree_ids
from analytics.periods import Week, last_full_week, parse_moment, parse_week, weekday_index
from analytics.report import (
    ReportOptions,
    WeeklyReport,
    build_weekly,
    load_window,
    scope_frames,
)
from rating import clock
from rating.settings import Settings
from rating.store import Store

if TYPE_CHECKING:
    import pandas as pd

    from analytics.integrity import IntegrityData

log = logging.getLogger("pingjing.report")


class ReportError(ValueError):
    """A user mistake in the report request (unknown unit, malformed week)."""


@dataclass
class Timings:
    load_s: float = 0.0
    compute_s: float = 0.0
    # CPU seconds of this process (every thread) in each phase.
    load_cpu_s: float = 0.0
    compute_cpu_s: float = 0.0
    render_s: dict[str, float] = field(default_factory=dict)
    render_cpu_s: dict[str, float] = field(default_factory=dict)


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
    prepare_render: bool = False,
) -> WeeklyReport:
    """Load and compute the weekly report; follow-up states as of `now_ms` (default now),
    or as of the earlier moment `as_of` ('2026-11-24 09:00', Asia/Shanghai).
    `prepare_render`: the caller renders it afterwards, so the renderers' imports (and the
    charts' font) are done while the frames are read (see `warm_renderers`)."""
    now_ms = clock.now_ms() if now_ms is None else now_ms
    if as_of:
        try:
            now_ms = parse_moment(as_of, now_ms)
        except ValueError as exc:
            raise ReportError(str(exc)) from None
    chosen, week_start = resolve_week(settings, week, now_ms)
    t0, c0 = time.perf_counter(), time.process_time()
    start_ms, end_ms = load_window(chosen)
    scope = await subtree_ids(store, unit)  # a unit's report reads only its ratings
    # On a SQLite file the report's frames are read by a process of its own (the columnar
    # reader's SQLite library never shares this process's locks: analytics.colread), which
    # keeps them and later computes the integrity tables while this process computes the
    # rest. Meanwhile this process reads the integrity tables' texts and the spot checks
    # through the store. Each read has its own transaction.
    reader = colread.Reader()
    try:
        data_task = asyncio.create_task(
            load_report_data(
                store,
                start_ms,
                end_ms,
                now_ms,
                chosen.start_ms,
                scope,
                cycle_from_ms=chosen.start_ms,
                reader=reader,
                keep=integrity_frames,
            )
        )
        await asyncio.sleep(0)  # the read starts; the imports below run beside it
        try:
            from analytics.integrity import apply_integrity, integrity_tables, load_integrity
            from analytics.spotcheck import add_spotchecks, read_spotchecks

            texts = await load_integrity(store, start_ms, end_ms, now_ms)
            spot = await read_spotchecks(store, chosen, now_ms)
            if prepare_render:
                warm_renderers()
        except BaseException:
            data_task.cancel()
            raise
        data = await data_task
        t1, c1 = time.perf_counter(), time.process_time()
        options = ReportOptions(
            week=chosen,
            week_start=week_start,
            basic_counts_satisfied=settings.report_basic_counts_satisfied,
            root_unit_id=resolve_unit(data, unit),
        )
        scope_name = scope_frames(data, options.root_unit_id)[2]
        # CPU work off the event loop (the admin pages serve other requests meanwhile). The
        # integrity tables in the reader process if it holds the frames, meanwhile.
        integrity = asyncio.create_task(
            asyncio.to_thread(_integrity_in_reader, reader, data, texts, options, scope_name)
        )
        try:
            report = await asyncio.to_thread(build_weekly, data, options)
        except BaseException:
            with contextlib.suppress(Exception):
                await integrity
            raise
        made = await integrity
        if made is None:  # no reader process (PostgreSQL), or it failed: here, after
            made = await asyncio.to_thread(integrity_tables, texts, data, options, scope_name)
        apply_integrity(report, *made)
    finally:
        await asyncio.to_thread(reader.close)
    await add_spotchecks(store, report, data, options, spot)
    from analytics.supervisors import add_supervisors

    await add_supervisors(store, report, data, options)
    if timings is not None:
        timings.load_s = t1 - t0
        timings.compute_s = time.perf_counter() - t1
        timings.load_cpu_s = c1 - c0
        timings.compute_cpu_s = time.process_time() - c1
    return report


def _integrity_in_reader(
    reader: colread.Reader,
    data: ReportData,
    texts: IntegrityData,
    options: ReportOptions,
    scope_name: str,
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame] | None:
    """The integrity tables made in the reader process, which holds the same frames as
    `data`; None if it holds none or failed (the caller makes them itself)."""
    from analytics.integrity import tables_for
    from analytics.load import report_data_from

    if not reader.holding:
        return None
    try:
        made: tuple[dict[str, pd.DataFrame], pd.DataFrame] = reader.call(
            report_data_from,
            data.as_of_ms,
            data.start_ms,
            data.end_ms,
            tables_for,
            texts,
            options,
            scope_name,
        )
    except Exception as exc:  # noqa: BLE001 (made here instead: a real error shows again)
        log.warning("integrity tables in the reader process failed (%s); made here", exc)
        return None
    finally:
        # Nothing more to ask of it: its memory goes now, not when this process has done
        # its own part of the computation (the two processes' peaks would add up).
        reader.close()
    return made


def warm_renderers() -> None:
    """Import the renderers (matplotlib is about half a second of CPU) and load the charts'
    font now: a report process does this while its reader process reads, and the render
    processes it forks later start with it done."""
    import analytics.render_tables  # noqa: F401
    from analytics import render_html

    render_html.warm()


def render_one(
    report: WeeklyReport, out: Path, fmt: str, tables: dict[str, pd.DataFrame] | None = None
) -> tuple[list[Path], float, float]:
    """Write one format into `out`; (paths written, seconds taken, CPU seconds taken).
    `tables`: the report's display_tables, if made already (formats rendered in one process
    share them)."""
    from analytics.render_tables import write_csv, write_xlsx

    t0, c0 = time.perf_counter(), time.process_time()
    if fmt == "xlsx":
        write_xlsx(report, out / "report.xlsx", tables)
        paths = [out / "report.xlsx"]
    elif fmt == "csv":
        paths = write_csv(report, out, tables)
    elif fmt == "html":
        from analytics.render_html import write_html

        write_html(report, out / "report.html", tables)
        paths = [out / "report.html"]
    else:
        raise ReportError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    return paths, time.perf_counter() - t0, time.process_time() - c0


def _shared_tables(
    report: WeeklyReport, formats: tuple[str, ...]
) -> dict[str, pd.DataFrame] | None:
    """The display tables, made once for several formats rendered in one process."""
    from analytics.render_tables import display_tables

    return display_tables(report) if len(formats) > 1 else None


def _give_back() -> None:
    """Return freed memory to the system (the C heap keeps it otherwise)."""
    import ctypes
    import gc

    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def render(
    report: WeeklyReport,
    out: Path,
    formats: tuple[str, ...] = FORMATS,
    timings: Timings | None = None,
    processes: int = 1,
) -> list[Path]:
    """Write the chosen formats into `out` (created if missing); the paths written.

    With `processes` > 1 the formats render side by side: the first `processes` - 1 of them
    (the workbook first: it alone takes about as long as the page and the CSV files
    together) each in a forked worker process, the rest in this process meanwhile. Each
    forked process starts with this process's memory, so this process returns what it freed
    before forking, and renders itself rather than wait beside a third copy. Only for
    single-threaded callers such as the CLI: forking a threaded server is unsafe.
    """
    for fmt in formats:
        if fmt not in FORMATS:
            raise ReportError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    out.mkdir(parents=True, exist_ok=True)
    if processes > 1 and len(formats) > 1:
        forked = formats[: min(processes, len(formats)) - 1]
        _give_back()
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(len(forked), mp_context=context) as pool:
            futures = [pool.submit(render_one, report, out, fmt) for fmt in forked]
            rest = formats[len(forked) :]
            tables = _shared_tables(report, rest)
            here = [render_one(report, out, fmt, tables) for fmt in rest]
            results = [f.result() for f in futures] + here
    else:
        tables = _shared_tables(report, formats)
        results = [render_one(report, out, fmt, tables) for fmt in formats]
    written: list[Path] = []
    for fmt, (paths, seconds, cpu) in zip(formats, results, strict=True):
        written.extend(paths)
        if timings is not None:
            timings.render_s[fmt] = seconds
            timings.render_cpu_s[fmt] = cpu
    return written

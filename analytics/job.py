"""One weekly report, built in a process of its own: `python -m analytics.job`.

The server starts this (analytics.worker) for every report it is asked for, so pandas,
matplotlib and the report's frames never live in the server process: the report reads
through its own database connection, runs at a lower CPU priority than the pages citizens
wait for, and gives all its memory back when it exits.

Input: one JSON object on stdin (the settings, week, unit, as-of moment and source; the
settings travel on stdin, not the command line, because they hold the secret). Output: one
JSON line on stdout, `{"ok": true, "entry": "2026-W47/ALL/20261124T090000"}` or
`{"ok": false, "error": "..."}` for a mistake in the request (exit status 2).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import sys
import time
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analytics import archive
from rating.settings import Settings
from rating.store import Store, make_store

if TYPE_CHECKING:
    from analytics.report import WeeklyReport

NICENESS = 19  # the lowest priority: a citizen's page is served first


async def build_and_archive(
    settings: Settings,
    *,
    week: str | None,
    unit: str | None,
    as_of_ms: int | None,
    source: str,
) -> archive.Entry:
    """Build the weekly report as of `as_of_ms` (default now), render every format and a
    zip of them, and keep it in the archive. ReportError for a mistake in the request."""
    if not settings.is_postgres:
        from analytics import colread

        colread.prestart()  # its imports run beside ours
    from analytics.weekly import weekly_report

    as_of = int(time.time() * 1000) if as_of_ms is None else as_of_ms
    store = make_store(settings, one_shot=True)
    await store.open()
    try:
        report = await weekly_report(
            store, settings, week=week, unit=unit, now_ms=as_of, prepare_render=True
        )
        unit_code, unit_path = await unit_of(store, unit)
    finally:
        await store.close()
    return keep(settings, report, None, unit_code, unit_path, source)


def keep(
    settings: Settings,
    report: WeeklyReport,
    rendered: list[Path] | None,
    unit_code: str | None,
    unit_path: str | None,
    source: str,
) -> archive.Entry:
    """Put a weekly report in the archive: the files already `rendered` (copied), or
    rendered here; plus a zip of them and the moment it used."""
    from analytics.weekly import render

    root = archive.archive_root(settings)
    staging = archive.staging_dir(root)
    try:
        if rendered is None:
            files = render(report, staging)
        else:
            files = [Path(shutil.copy2(f, staging / f.name)) for f in rendered]
        with zipfile.ZipFile(staging / "report.zip", "w", zipfile.ZIP_DEFLATED) as zf:
            for f in files:
                zf.write(f, f.name)
        meta: dict[str, object] = {
            "kind": archive.KIND,
            "week": report.week.label,
            "week_describe": report.week.describe(),
            "scope": archive.scope_key(unit_code),
            "unit_code": unit_code,
            "unit_path": unit_path,
            "scope_name": report.scope,
            "moment": archive.stamp(report.generated_at_ms),
            "as_of_ms": report.generated_at_ms,
            "as_of": report.generated_at,
            "made_at_ms": int(time.time() * 1000),
            "source": source,
            "worker_pid": os.getpid(),
        }
        return archive.commit(root, staging, meta)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


async def unit_of(store: Store, ref: str | None) -> tuple[str | None, str | None]:
    """(code, path) of the unit a report is scoped to (None, None: every unit)."""
    if ref is None:
        return None, None
    for u in await store.list_units():
        if ref in (u.code, u.path, u.path.strip("/")) or ref.strip("/") == u.path:
            return u.code, u.path
    return None, None


def main() -> int:
    from analytics.weekly import ReportError

    with contextlib.suppress(OSError):  # not permitted here: same priority then
        os.nice(NICENESS)
    # SCHED_BATCH: a CPU-bound job that never preempts a waking process (the server
    # answering a citizen); Linux only.
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
    request: dict[str, Any] = json.loads(sys.stdin.read())
    settings = Settings(**request["settings"])
    try:
        entry = asyncio.run(
            build_and_archive(
                settings,
                week=request.get("week"),
                unit=request.get("unit"),
                as_of_ms=request.get("as_of_ms"),
                source=str(request.get("source", "admin")),
            )
        )
    except ReportError as exc:
        print(json.dumps({"ok": False, "error": str(exc)}, ensure_ascii=False))
        return 2
    print(json.dumps({"ok": True, "entry": entry.key}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

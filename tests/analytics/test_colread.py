"""The columnar reader runs in a process of its own: the ADBC driver's copy of SQLite never
shares a process (and so its POSIX locks) with the store's."""

from __future__ import annotations

import dataclasses
import json
import operator
import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest

from analytics import colread, fastread
from analytics.load import _read_levels, load_report_data
from tests.analytics.conftest import Seeded
from tests.analytics.helpers import ms

START, END = ms("2026-11-16 00:00"), ms("2026-11-23 00:00")
ROOT = Path(__file__).resolve().parents[2]

# A fresh interpreter (pytest's own may have loaded the driver for another test): make a
# weekly report from the file with the store open, then look at this process's mapped
# libraries.
SCRIPT = """
import asyncio, json, sys
from analytics import colread, fastread
from analytics.weekly import weekly_report
from rating.settings import Settings
from rating.store import make_store

settings = Settings(**json.loads(sys.argv[1]))

async def main():
    store = make_store(settings, one_shot=True)
    await store.open()
    try:
        report = await weekly_report(store, settings, week="2026-W47", now_ms=int(sys.argv[2]))
    finally:
        await store.close()
    maps = open("/proc/self/maps").read()
    print(json.dumps({
        "driver_here": "adbc_driver_sqlite" in maps or "libadbc" in maps,
        "sqlite_here": "_sqlite3" in maps,
        "reader_cpu_s": colread.last.cpu_s,
        "reader_call_cpu_s": colread.last.call_cpu_s,
        "valid": int(report.summary["valid"].iloc[0]) if "valid" in report.summary else None,
        "officers": len(report.officers),
    }))

asyncio.run(main())
"""


def test_report_reads_columns_in_another_process(seeded_file: Seeded) -> None:
    for i, level in enumerate((5, 4, 1)):
        seeded_file.rating(i, level, START + 1000 * i)
    settings = json.dumps(dataclasses.asdict(seeded_file.settings))
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, settings, str(ms("2026-11-24 09:00"))],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    # The store's SQLite is in this process; the driver's never was, though the report's
    # frames came through it (the reader process used CPU time).
    assert got["sqlite_here"] is True
    assert got["driver_here"] is False
    assert got["reader_cpu_s"] > 0
    # ...and the integrity tables were made there, on the frames it kept (a failure there
    # would have them made here instead, leaving no call time).
    assert got["reader_call_cpu_s"] > 0
    assert got["officers"] == 3


async def test_reader_keeps_its_frames_for_later_calls(seeded: Seeded) -> None:
    ids = [seeded.rating(i, level, START + i) for i, level in enumerate((5, 2))]
    path = seeded.settings.database
    reader = colread.Reader()
    try:
        frames = reader.read(path, _read_levels, START, END)
        assert reader.holding
        assert len(frames["ratings"]) == len(ids)
        # The process answers on what it holds: the same frame comes back.
        again = reader.call(operator.getitem, "ratings")
        pd.testing.assert_frame_equal(again, frames["ratings"])
        # A failure there is an error here, and the process still answers afterwards.
        with pytest.raises(colread.ChildReadError, match="KeyError"):
            reader.call(operator.getitem, "no such frame")
        assert len(reader.call(operator.getitem, "units")) == len(frames["units"])
    finally:
        reader.close()
    assert not reader.holding


async def test_load_gives_the_reader_process_back(seeded: Seeded) -> None:
    seeded.rating(0, 5, START)
    reader = colread.Reader()
    try:
        data = await load_report_data(seeded.store, START, END, END + 1, reader=reader)
        assert len(data.ratings) == 1 and reader.holding
        pid = reader._child.proc.pid if reader._child else None
    finally:
        reader.close()
    assert pid is not None and not Path(f"/proc/{pid}").exists()
    # Without a reader the process ends as soon as it has answered.
    data = await load_report_data(seeded.store, START, END, END + 1)
    assert len(data.ratings) == 1


async def test_a_failed_reader_process_leaves_the_rows_path(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader process exits without answering (as if killed): the report's frames are
    read through the store instead, the same frames."""
    seeded.rating(0, 5, START)
    seeded.rating(1, 1, START + 1)
    expected = await load_report_data(seeded.store, START, END, END + 1)
    # A Python that ends at once stands in for a reader process that dies.
    monkeypatch.setattr(colread.sys, "executable", "/bin/true")
    got = await load_report_data(seeded.store, START, END, END + 1)
    cols = ["rating_id", "officer_id", "unit_id", "level", "created_at", "invalidated"]
    pd.testing.assert_frame_equal(
        got.ratings[cols].sort_values("rating_id", ignore_index=True),
        expected.ratings[cols].sort_values("rating_id", ignore_index=True),
    )


def _thread_name(query: object) -> str:
    return threading.current_thread().name


def _aside_thread(query: fastread.ColumnReader) -> str:
    """Where the reader process runs what a report reads `aside` (in the reader process)."""
    return query.aside(_thread_name)()


async def test_ratings_read_aside_match_the_rows_path(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader process reads the ratings on a second connection, in a thread of its own,
    beside the other queries: the frames are those the store's rows give, amendments, cases
    as of the moment and hashes included."""
    moment = END + 1000
    good = seeded.rating(0, 5, START, device_hash="d1", network_hash="n1")
    seeded.rating(1, 4, START + 1)
    bad = seeded.rating(2, 1, START + 2, reasons="attitude")
    amended = seeded.rating(0, 5, START + 3)
    seeded.execute(
        "INSERT INTO rating_revisions (rating_id, level, reasons, comment, replaced_at) "
        "VALUES (?, 2, 'efficiency', '', ?)",
        (amended, moment + 5),
    )
    case = seeded.case(bad, START + 10, state="closed", callback_at=START + 20)
    seeded.execute(
        "INSERT INTO case_history (case_id, at, state, callback_due_at, callback_at, "
        "callback_outcome, callback_due_provisional, rectify_due_provisional, "
        "step_due_provisional) VALUES (?, ?, 'called_back', ?, ?, 'reached', 0, 0, 0)",
        (case, START + 20, START + 10 + 86_400_000, START + 20),
    )
    path = seeded.settings.database
    assert colread.read_in_child(path, _aside_thread).startswith("pj-aside")
    columns = await load_report_data(seeded.store, START, END, moment)
    monkeypatch.setattr(fastread, "sqlite_path", lambda store: None)
    rows = await load_report_data(seeded.store, START, END, moment)
    got = columns.ratings.sort_values("rating_id", ignore_index=True)
    expected = rows.ratings.sort_values("rating_id", ignore_index=True)
    pd.testing.assert_frame_equal(got, expected, check_categorical=False, check_dtype=False)
    by_id = got.set_index("rating_id")
    assert by_id.loc[amended, "level"] == 2  # as it stood at the moment
    assert by_id.loc[bad, "callback_outcome"] == "reached"
    assert by_id.loc[good, "device_hash"] == "d1"

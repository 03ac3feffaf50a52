"""Weekly report and full-year aggregation on a city's year of data (or several cities').

Generates (once per scale; reused while the file exists) a SQLite store with the schema of
the migrations and a city bureau's year 2026: 12,000 officers in ~110 units, 2.3 million
ratings (70% 非常满意, 18% 满意, 6% 基本满意, 4% 不满意, 2% 非常不满意), a case for each bad
rating with callback, verification and rectification (and its history), and 60,000 hotline
work orders; `--scale 3` triples officers, branches, ratings and work orders (a province's
largest cities). Rows are drawn with numpy and inserted with executemany in large
transactions, with the indexes dropped during the load and rebuilt after.

Then, each in a fresh process (so peak memory is that phase's own):
  1. the weekly report of 2026-W47, rendered as xlsx + html + csv: load, compute and
     render times and peak RSS; then the same for one branch (`--unit`);
  2. a full-year aggregation in pandas: per week × unit (rolled up the tree) and per week ×
     officer, valid ratings and satisfaction / good / bad rates over every rating, loaded
     through analytics.load;
  3. the same aggregation in DuckDB reading the same SQLite file (through the ADBC Arrow
     stream: DuckDB's own SQLite extension is downloaded at run time, not possible here);
     the ratio of 2 to 3, both including the read of the file.

Usage: python bench/report.py [--scale N] [--database PATH] [--regenerate] [--only weekly|year]
(without --database the data is generated in a temporary folder and removed afterwards; a
file named by --database (or --db) is kept and reused)
Prints figures; it is not a pass/fail test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analytics.periods import DAY_MS, parse_week  # noqa: E402
from rating.settings import Settings  # noqa: E402
from rating.store import make_store  # noqa: E402

# City scale; --scale 3 multiplies ratings, officers, work orders and branches (a
# province's largest cities).
N_RATINGS = 2_300_000
N_OFFICERS = 12_000
N_WORKORDERS = 60_000
BRANCHES = 12


def set_scale(scale: float) -> None:
    """Times a city; below 1 for a quick look (0.1: 230,000 ratings, one branch)."""
    global N_RATINGS, N_OFFICERS, N_WORKORDERS, BRANCHES
    N_RATINGS, N_OFFICERS = int(2_300_000 * scale), int(12_000 * scale)
    N_WORKORDERS, BRANCHES = int(60_000 * scale), max(1, round(12 * scale))


STATIONS = 8
YEAR_START = 1767196800000  # 2026-01-01 00:00 Asia/Shanghai
YEAR_END = 1798732800000  # 2027-01-01 00:00 Asia/Shanghai
WEEK = "2026-W47"
AS_OF = 1795482000000  # 2026-11-24 09:00 Asia/Shanghai, the Tuesday after the week
HOUR = 3_600_000
CHUNK = 200_000
SECRET = "bench-secret-not-for-production"
REASONS = ("attitude", "efficiency", "conduct", "integrity", "buck_passing", "other")


def chunks(rows: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def insert(conn: sqlite3.Connection, table: str, columns: dict[str, Any]) -> None:
    names = list(columns)
    lists = [c.tolist() if isinstance(c, np.ndarray) else c for c in columns.values()]
    rows = list(zip(*lists, strict=True))
    sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    for part in chunks(rows):
        conn.execute("BEGIN")
        conn.executemany(sql, part)
        conn.execute("COMMIT")


def nullable(values: np.ndarray, mask: np.ndarray) -> list[Any]:
    """values where mask, else None (a SQL NULL)."""
    out: list[Any] = np.where(mask, values.astype(object), np.array(None)).tolist()
    return out


def pick(rng: np.random.Generator, options: Sequence[str], p: Sequence[float], n: int) -> Any:
    return np.array(options, dtype=object)[rng.choice(len(options), size=n, p=p)]


def generate(path: Path) -> None:
    t0 = time.perf_counter()
    settings = Settings.load(env={}, database=str(path), secret=SECRET)

    async def migrate() -> None:
        store = make_store(settings)
        await store.open()
        await store.close()

    asyncio.run(migrate())
    rng = np.random.default_rng(2026)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name IN ('ratings', 'cases', 'workorders')"
    ).fetchall()
    for name, _ in indexes:
        conn.execute(f"DROP INDEX {name}")

    # Units: bureau → branches → stations.
    units: list[tuple[Any, ...]] = [(1, "U000", "张家口市公安局", None, "张家口市公安局", 1, 0)]
    leaves = []
    for b in range(BRANCHES):
        bid = len(units) + 1
        bname = f"第{b + 1}分局"
        units.append((bid, f"U{bid:03d}", bname, 1, f"张家口市公安局/{bname}", 2, 0))
        for s in range(STATIONS):
            sid = len(units) + 1
            sname = f"{bname}第{s + 1}派出所"
            path_ = f"张家口市公安局/{bname}/{sname}"
            units.append((sid, f"U{sid:03d}", sname, bid, path_, 3, 0))
            leaves.append(sid)
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO units VALUES (?, ?, ?, ?, ?, ?, ?)", units)
    conn.execute("COMMIT")
    leaf = np.array(leaves, dtype=np.int64)
    officer_unit = leaf[rng.integers(0, len(leaf), N_OFFICERS)]
    officer_ids = np.arange(1, N_OFFICERS + 1)
    insert(
        conn,
        "officers",
        {
            "id": officer_ids,
            "badge_no": [f"{100000 + i}" for i in officer_ids.tolist()],
            "name": [f"民警{i}" for i in officer_ids.tolist()],
            "unit_id": officer_unit,
            "kind": pick(rng, ("police", "auxiliary"), (0.6, 0.4), N_OFFICERS),
            "status": pick(rng, ("active", "retired"), (0.97, 0.03), N_OFFICERS),
            "created_at": np.zeros(N_OFFICERS, dtype=np.int64),
            "updated_at": np.zeros(N_OFFICERS, dtype=np.int64),
        },
    )

    # Ratings, in time order; busier officers get more.
    n = N_RATINGS
    days = rng.integers(0, (YEAR_END - YEAR_START) // DAY_MS, n)
    created = np.sort(YEAR_START + days * DAY_MS + rng.integers(8 * HOUR, 20 * HOUR, n))
    weight = rng.lognormal(0, 0.7, N_OFFICERS)
    officer = rng.choice(officer_ids, size=n, p=weight / weight.sum())
    level = rng.choice(
        np.array([5, 4, 3, 2, 1], dtype=np.int64), size=n, p=(0.70, 0.18, 0.06, 0.04, 0.02)
    )
    bad = level <= 2
    invalid = bad & (rng.random(n) < 0.03)
    reasons = np.where(bad, np.array(REASONS, dtype=object)[rng.integers(0, 6, n)], "")
    week = parse_week(WEEK, 0)
    in_week = (created >= week.start_ms) & (created < week.end_ms)
    # Hashes only where the purge would not have cleared them yet: the report week.
    devices = np.array([f"{d:032x}" for d in rng.integers(0, 2**62, 50_000)], dtype=object)
    device = devices[rng.integers(0, len(devices), n)]
    ids = np.arange(1, n + 1)
    insert(
        conn,
        "ratings",
        {
            "id": ids,
            "receipt": [f"R{i:09d}" for i in ids.tolist()],
            "officer_id": officer,
            "unit_id": officer_unit[officer - 1],
            "token": ["t"] * n,
            "channel": pick(rng, ("badge", "kiosk"), (0.85, 0.15), n),
            "level": level,
            "reasons": reasons,
            "device_hash": nullable(device, in_week),
            "network_hash": nullable(device, in_week),
            "amend_count": (rng.random(n) < 0.01).astype(np.int64),
            "created_at": created,
            "updated_at": created,
            "invalidated": nullable(np.full(n, "mistaken_malicious", dtype=object), invalid),
        },
    )

    # One case per bad rating.
    rid = ids[bad]
    m = len(rid)
    opened = created[bad]
    # Called back: none of the last 3 days yet, 90% of the 2 weeks before, 99.8% of older
    # cases (a bureau whose callbacks mostly happen; a few dozen overdue at a time).
    age = AS_OF - opened
    share = np.where(age < 3 * DAY_MS, 0.0, np.where(age < 17 * DAY_MS, 0.9, 0.998))
    called = rng.random(m) < share
    callback_at = opened + rng.integers(HOUR, 30 * HOUR, m)
    verification = np.where(
        invalid[bad],
        "mistaken_malicious",
        pick(
            rng,
            ("substantiated", "partly_substantiated", "unsubstantiated"),
            (0.2, 0.1, 0.7),
            m,
        ),
    )
    subst = called & np.isin(verification, ("substantiated", "partly_substantiated"))
    rectify_due = callback_at + 21 * DAY_MS
    rectified_at = callback_at + rng.integers(DAY_MS, 25 * DAY_MS, m)
    rectified = subst & (rectified_at < AS_OF)
    state = np.where(~called, "open", np.where(subst & ~rectified, "rectifying", "closed")).astype(
        object
    )
    insert(
        conn,
        "cases",
        {
            "rating_id": rid,
            "unit_id": officer_unit[officer[bad] - 1],
            "officer_id": officer[bad],
            "state": state,
            "opened_at": opened,
            "callback_due_at": opened + DAY_MS,
            "callback_at": nullable(callback_at, called),
            "callback_outcome": nullable(
                pick(rng, ("reached", "unreachable", "declined"), (0.85, 0.1, 0.05), m), called
            ),
            "verified_at": nullable(callback_at + HOUR, called),
            "verification": nullable(verification, called),
            "rectify_due_at": nullable(rectify_due, subst),
            "rectified_at": nullable(rectified_at, rectified),
            "fix_rating": nullable(
                pick(rng, ("satisfied", "basically_satisfied", "dissatisfied"), (0.6, 0.3, 0.1), m),
                rectified & (rng.random(m) < 0.5),
            ),
            "updated_at": opened,
        },
    )
    # The case history the report reads as of its moment: each case as opened, and as it
    # stands after its last step.
    last_step = "COALESCE(rectified_at, verified_at, opened_at)"
    conn.execute("BEGIN")
    conn.execute(f"UPDATE cases SET updated_at = {last_step}")
    conn.execute(
        "INSERT INTO case_history (case_id, at, state, callback_due_at, "
        "callback_due_provisional, rectify_due_provisional, step_due_provisional) "
        "SELECT id, opened_at, 'open', callback_due_at, 0, 0, 0 FROM cases"
    )
    fields = (
        "state, callback_due_at, callback_due_provisional, callback_at, callback_outcome, "
        "verified_at, verification, rectify_due_at, rectify_due_provisional, step_due_at, "
        "step_due_provisional, rectified_at, closed_at, fix_rating"
    )
    conn.execute(
        f"INSERT INTO case_history (case_id, at, {fields}) "
        f"SELECT id, updated_at, {fields} FROM cases WHERE state <> 'open'"
    )
    conn.execute("COMMIT")

    # Work orders.
    w = N_WORKORDERS
    conn.execute(
        "INSERT INTO workorder_imports VALUES (1, '12345', 'bench', 'bench.csv', 'x', "
        f"{w}, {w}, 0, 0, 0, 0, 0, 0)"
    )
    received = np.sort(YEAR_START + rng.integers(0, YEAR_END - YEAR_START, w))
    closed_at = received + rng.integers(HOUR, 8 * DAY_MS, w)
    closed = closed_at < AS_OF
    has_unit = rng.random(w) < 0.95
    wo_unit = leaf[rng.integers(0, len(leaf), w)]
    has_officer = rng.random(w) < 0.3
    reached = closed & (rng.random(w) < 0.8)
    wsubst = rng.random(w) < 0.25
    insert(
        conn,
        "workorders",
        {
            "channel": pick(rng, ("12345", "12389", "12123", "sunshine"), (0.6, 0.1, 0.2, 0.1), w),
            "order_no": [f"GD{i:08d}" for i in range(w)],
            "received_at": received,
            "order_type": pick(rng, ("complaint", "consultation", "help"), (0.5, 0.3, 0.2), w),
            "unit_id": nullable(wo_unit, has_unit),
            "officer_id": nullable(officer_ids[rng.integers(0, N_OFFICERS, w)], has_officer),
            "due_at": received + 5 * DAY_MS,
            "due_source": pick(rng, ("source", "sla"), (0.8, 0.2), w),
            "closed_at": nullable(closed_at, closed),
            "callback_at": nullable(closed_at + HOUR, reached),
            "callback_outcome": nullable(np.full(w, "reached", dtype=object), reached),
            "satisfaction": nullable(
                pick(rng, ("satisfied", "basically_satisfied", "dissatisfied"), (0.7, 0.2, 0.1), w),
                reached,
            ),
            "verification": nullable(np.full(w, "substantiated", dtype=object), wsubst & closed),
            "rectification": nullable(np.full(w, "done", dtype=object), wsubst & closed),
            "first_import_id": np.ones(w, dtype=np.int64),
            "last_import_id": np.ones(w, dtype=np.int64),
            "created_at": received,
            "updated_at": received,
        },
    )
    t1 = time.perf_counter()
    for _, sql in indexes:
        conn.execute(sql)
    conn.execute("ANALYZE")
    conn.close()
    print(
        f"generated {path} in {time.perf_counter() - t0:.1f} s (rows {t1 - t0:.1f} s, "
        f"indexes {time.perf_counter() - t1:.1f} s), {path.stat().st_size / 1e6:.0f} MB: "
        f"{N_RATINGS:,} ratings, {m:,} cases, {N_WORKORDERS:,} work orders, "
        f"{N_OFFICERS:,} officers, {len(units)} units"
    )


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM). Not ru_maxrss: Linux carries that over
    from the parent across fork and exec, so it would report the generator's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase_weekly(db: str, unit: str | None = None) -> dict[str, Any]:
    # As `pingjing report weekly` and the report job do: the columnar reader process starts
    # first, its imports beside this process's.
    from analytics import colread

    colread.prestart()
    from analytics.weekly import Timings, render, weekly_report
    from rating.cli import with_store

    settings = Settings.load(env={}, database=db, secret=SECRET)
    timings = Timings()
    cpu = 0.0

    async def build(store: Any) -> Any:
        # CPU seconds of load + compute (every thread of this process): on a machine
        # shared with other work, closer to the idle-machine time than the wall clock.
        nonlocal cpu
        c0 = time.process_time()
        out = await weekly_report(
            store,
            settings,
            week=WEEK,
            unit=unit,
            now_ms=AS_OF,
            timings=timings,
            prepare_render=True,  # as `pingjing report weekly` and the report job do
        )
        cpu = time.process_time() - c0
        return out

    report = with_store(settings, build)

    def children_cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    with tempfile.TemporaryDirectory(prefix="pj-report-") as out:
        t0, c0, p0 = time.perf_counter(), children_cpu(), time.process_time()
        render(report, Path(out), timings=timings, processes=2)
        render_wall = time.perf_counter() - t0
        # The render's CPU seconds (the forked process and this one together): what the
        # wall clock would approach on an idle machine, times 1/2 for the two side by side.
        render_cpu = children_cpu() - c0 + time.process_time() - p0
    return {
        "reader_cpu_s": colread.last.cpu_s,
        "reader_import_cpu_s": colread.last.import_cpu_s,
        "reader_read_cpu_s": colread.last.read_cpu_s,
        "reader_call_cpu_s": colread.last.call_cpu_s,
        "reader_peak_mb": colread.last.peak_mb,
        "render_cpu_s": render_cpu,
        "load_s": timings.load_s,
        "compute_s": timings.compute_s,
        "load_cpu_s": timings.load_cpu_s,
        "compute_cpu_s": timings.compute_cpu_s,
        "cpu_s": cpu,
        "render_s": timings.render_s,
        "render_format_cpu_s": timings.render_cpu_s,
        "render_wall_s": render_wall,
        "children_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "units": len(report.units),
        "officers": len(report.officers),
        "warnings": len(report.warnings),
        "overdue": len(report.overdue),
        "peak_mb": peak_mb(),
    }


def phase_branch(db: str) -> dict[str, Any]:
    return phase_weekly(db, unit="U002")  # 第1分局 and its stations


def _load_year(db: str) -> tuple[dict[str, Any], float]:
    from analytics import colread

    colread.prestart()  # as the report commands do
    from analytics.load import load_levels
    from rating.cli import with_store

    settings = Settings.load(env={}, database=db, secret=SECRET)
    seconds = 0.0

    async def timed(store: Any) -> dict[str, Any]:
        # The store is open already, as in the server; the DuckDB phase's setup is not
        # timed either.
        nonlocal seconds
        t0 = time.perf_counter()
        frames = await load_levels(store, YEAR_START, YEAR_END)
        seconds = time.perf_counter() - t0
        return frames

    frames = with_store(settings, timed)
    return frames, seconds


def phase_year_pandas(db: str) -> dict[str, Any]:
    from analytics.metrics import (
        LEVEL_COUNTS,
        LEVEL_RATES,
        add_rates,
        ancestors,
        level_counts,
        rollup,
    )

    frames, load_s = _load_year(db)
    t0 = time.perf_counter()
    ratings = frames["ratings"]
    per_unit = level_counts(ratings, ["week", "unit_id"], 0, True)
    tree = ancestors(frames["units"])
    units = add_rates(rollup(per_unit, tree, ["week"], LEVEL_COUNTS), LEVEL_RATES)
    officers = add_rates(level_counts(ratings, ["week", "officer_id"], 0, True), LEVEL_RATES)
    compute_s = time.perf_counter() - t0
    return {
        "rows": len(ratings),
        "load_s": load_s,
        "compute_s": compute_s,
        "unit_weeks": len(units),
        "officer_weeks": len(officers),
        "checksum": int(units["valid"].sum() + officers["bad"].sum()),
        "peak_mb": peak_mb(),
    }


DUCK_SQL = """
WITH r AS (
  SELECT officer_id, unit_id, level, NOT invalidated AS valid,
         ((created_at + 28800000) // 86400000) AS d
  FROM ratings
), w AS (
  SELECT officer_id, unit_id, d - ((d + 3) % 7) AS week,
         valid::INT AS valid, (valid AND level >= 3)::INT AS satisfied,
         (valid AND level >= 4)::INT AS good, (valid AND level <= 2)::INT AS bad
  FROM r
)
SELECT {key}, week, count(*) AS ratings, sum(valid) AS valid, sum(satisfied) AS satisfied,
       sum(good) AS good, sum(bad) AS bad,
       sum(satisfied) / nullif(sum(valid), 0) AS satisfaction_rate,
       sum(good) / nullif(sum(valid), 0) AS good_rate,
       sum(bad) / nullif(sum(valid), 0) AS bad_rate
FROM w {join}
GROUP BY ALL
"""


def phase_year_duckdb(db: str) -> dict[str, Any]:
    """The same aggregation in DuckDB, reading the same SQLite file: DuckDB's own SQLite
    scanner is an extension downloaded at run time (not possible here), so it reads the
    rows through the ADBC SQLite driver's Arrow stream, its fastest path to the file."""
    import adbc_driver_sqlite.dbapi as adbc
    import duckdb

    from analytics.fastread import ColumnReader
    from analytics.load import UNIT_COLS
    from analytics.metrics import ancestors

    # Everything through the driver: this process never opens the store (two copies of
    # SQLite in one process share its POSIX locks; see analytics/colread.py).
    with adbc.connect(Path(db).resolve().as_uri() + "?mode=ro") as conn:
        units = ColumnReader(conn).query(
            "SELECT id, code, name, parent_id, path, depth FROM units", (), UNIT_COLS
        )
        conn.rollback()
    tree = ancestors(units)
    t0 = time.perf_counter()
    with adbc.connect(Path(db).resolve().as_uri() + "?mode=ro") as conn:
        cur = conn.cursor()
        cur.execute(
            "SELECT officer_id, unit_id, level, created_at, "
            "CASE WHEN invalidated IS NULL THEN 0 ELSE 1 END AS invalidated FROM ratings "
            "WHERE +created_at >= ? AND +created_at < ?",
            (YEAR_START, YEAR_END),
        )
        table = cur.fetch_arrow_table()
        cur.close()
    con = duckdb.connect()
    con.register("arrow_rows", table)
    con.register("tree", tree)
    con.execute(
        "CREATE TABLE t AS SELECT officer_id, unit_id, level, created_at, "
        "invalidated::BOOLEAN AS invalidated FROM arrow_rows"
    )
    load_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    unit_rows = con.execute(
        DUCK_SQL.replace("FROM ratings", "FROM t").format(
            key="tree.ancestor_id", join="JOIN tree USING (unit_id)"
        )
    ).fetchnumpy()
    officer_rows = con.execute(
        DUCK_SQL.replace("FROM ratings", "FROM t").format(key="officer_id", join="")
    ).fetchnumpy()
    query_s = time.perf_counter() - t1
    return {
        "rows": table.num_rows,
        "load_s": load_s,
        "compute_s": query_s,
        "unit_weeks": len(unit_rows["week"]),
        "officer_weeks": len(officer_rows["week"]),
        "checksum": int(np.sum(unit_rows["valid"]) + np.sum(officer_rows["bad"])),
        "peak_mb": peak_mb(),
    }


PHASES = {
    "weekly": phase_weekly,
    "branch": phase_branch,
    "year-pandas": phase_year_pandas,
    "year-duckdb": phase_year_duckdb,
}


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _tree(pid: int) -> list[int]:
    """`pid` and its descendants."""
    try:
        kids = [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return [pid]
    return [pid, *[d for k in kids for d in _tree(k)]]


def run_phase(name: str, db: str, scale: float) -> dict[str, Any]:
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(
            [sys.executable, __file__, "--phase", name, "--db", db, "--scale", str(scale)],
            stdout=out,
            stderr=err,
            text=True,
        )
        # The phase's processes together (the report, its reader, its render processes),
        # sampled every 20 ms: an upper bound, forked processes share pages RSS counts twice.
        together = 0.0
        while proc.poll() is None:
            together = max(together, sum(_rss_mb(p) for p in _tree(proc.pid)))
            time.sleep(0.02)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        raise SystemExit(f"{name} failed:\n{stderr}")
    result: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    result["process_wall_s"] = time.perf_counter() - t0  # start-up and imports too
    result["together_peak_mb"] = together
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale", type=float, default=1, help="times a city (default 1; 0.1 for a quick look)"
    )
    parser.add_argument(
        "--database",
        "--db",
        dest="db",
        metavar="PATH",
        help="SQLite file for the year's data: generated if missing and kept, so later runs "
        "reuse it (default: generated in a temporary folder and removed afterwards)",
    )
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument(
        "--only",
        choices=("weekly", "year"),
        help="run only the weekly and one-branch reports, or only the year aggregation "
        "(on a shared machine, to repeat one measurement quickly)",
    )
    parser.add_argument("--phase", choices=PHASES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    set_scale(args.scale)
    if args.phase:
        print(json.dumps(PHASES[args.phase](args.db)))
        return
    if args.db is None:
        with tempfile.TemporaryDirectory(prefix="pj-bench-report-") as tmp:
            run(args, str(Path(tmp) / "report.db"))
        return
    run(args, args.db)


def run(args: argparse.Namespace, db: str) -> None:
    path = Path(db)
    if args.regenerate or not path.exists():
        for suffix in ("", "-wal", "-shm", ".secret"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        generate(path)
    print(
        f"{args.scale}x city scale; load average before: "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} cores"
    )
    reports = (("weekly", "weekly report"), ("branch", "one-branch report"))
    for name, title in reports if args.only != "year" else ():
        w = run_phase(name, db, args.scale)
        total = w["load_s"] + w["compute_s"] + w["render_wall_s"]
        cpu = w["render_format_cpu_s"]
        renders = ", ".join(f"{k} {v:.2f} s, {cpu[k]:.2f} s CPU" for k, v in w["render_s"].items())
        print(
            f"{title} {WEEK}: load {w['load_s']:.2f} s, compute {w['compute_s']:.2f} s "
            f"(load + compute {w['load_s'] + w['compute_s']:.2f} s wall; CPU: load "
            f"{w['load_cpu_s']:.2f} s here beside {w['reader_read_cpu_s']:.2f} s in the reader "
            f"process, compute {w['compute_cpu_s']:.2f} s here beside "
            f"{w['reader_call_cpu_s']:.2f} s there; the reader's imports "
            f"{w['reader_import_cpu_s']:.2f} s before; it peaked at {w['reader_peak_mb']:.0f} "
            "MB), "
            f"render {w['render_wall_s']:.2f} s wall, {w['render_cpu_s']:.2f} s CPU in 2 "
            f"processes ({renders}); total "
            f"{total:.2f} s (target ≤ 5 s; the process from its start "
            f"{w['process_wall_s']:.2f} s); peak RSS {w['peak_mb']:.0f} MB, largest child "
            f"process {w['children_peak_mb']:.0f} MB (target ≤ 1024 MB), all its processes "
            f"together at most {w['together_peak_mb']:.0f} MB; {w['units']} units, "
            f"{w['officers']} officers, {w['warnings']} warnings, {w['overdue']} overdue"
        )
    if args.only == "weekly":
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        return
    p = run_phase("year-pandas", db, args.scale)
    ours = p["load_s"] + p["compute_s"]
    print(
        f"full year, pandas: {p['rows']:,} ratings; load {p['load_s']:.2f} s, compute "
        f"{p['compute_s']:.2f} s, total {ours:.2f} s, peak RSS {p['peak_mb']:.0f} MB; "
        f"{p['unit_weeks']:,} unit-weeks, {p['officer_weeks']:,} officer-weeks"
    )
    d = run_phase("year-duckdb", db, args.scale)
    theirs = d["load_s"] + d["compute_s"]
    print(
        f"full year, DuckDB on the same file: read {d['load_s']:.2f} s, query "
        f"{d['compute_s']:.2f} s, total {theirs:.2f} s, peak RSS {d['peak_mb']:.0f} MB; "
        f"totals {'agree' if d['checksum'] == p['checksum'] else 'DIFFER'}"
    )
    print(f"year aggregation, pandas / DuckDB: {ours / theirs:.2f}x (target ≤ 2x)")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()

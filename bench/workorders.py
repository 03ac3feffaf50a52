"""Work-order import throughput: 60,000 synthetic 12345 work orders from CSV and XLSX.

Builds a unit tree and roster, writes a GBK CSV and an XLSX export (title row above the
header, Chinese dates, Excel date cells, masked and plain phone numbers, a few unit names
that need an alias), then imports each file in a fresh child process on a copy of the
same database and prints, per run: rows/s, parse time, the write transaction's time (how
long the SQLite write lock is held), the process's CPU time (steadier than wall time on a
shared machine) and the child's peak memory (max RSS). It also times
re-importing the same CSV (every row unchanged) and an updated export (10% of the rows
changed state).

Usage: python bench/workorders.py [--rows 60000] [--keep DIR] [--openpyxl] [--database PATH]
Prints figures; it is not a pass/fail test. Targets: 60,000 CSV rows in <= 10 s, the same
rows as XLSX in <= 5 s end to end (read with python-calamine; --openpyxl also times the
reader it replaced).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ratings import add_database_option, sqlite_file  # noqa: E402

from rating.crypto import Keys  # noqa: E402
from rating.settings import Settings  # noqa: E402
from rating.store import make_store  # noqa: E402
from rating.store.models import RosterRow  # noqa: E402
from rating.workorders.parse import parse_file  # noqa: E402
from rating.workorders.profiles import load_profile  # noqa: E402
from rating.workorders.store import import_parsed  # noqa: E402

SECRET = "bench-secret-not-for-production"
BUREAU = "张家口市公安局"
BRANCHES = ("桥东分局", "桥西分局", "经开分局", "宣化分局", "万全分局", "崇礼分局")
STATIONS = ("胜利路", "东门外", "新华街", "堡子里", "五一路", "工业街")
HEADER = [
    "工单编号", "来电时间", "诉求类型", "诉求分类", "诉求内容", "承办单位", "涉及民警警号",
    "派单时间", "办理时限", "办结时间", "解决情况", "回访时间", "回访结果", "满意度",
    "核实结论", "整改状态", "整改完成时间", "来电号码", "来电人",
]  # fmt: skip
TYPES = ("投诉", "咨询", "求助", "建议", "举报", "表扬")
CATEGORIES = ("户政管理", "交通管理", "治安管理", "出入境", "执法监督", "服务态度")
TEXT = (
    "市民来电反映在派出所办理户口迁移业务时窗口排队时间较长工作人员解释不够耐心希望尽快处理并改进"
)


def unit_paths() -> list[str]:
    return [f"{BUREAU}/{b}/{s}派出所" for b in BRANCHES for s in STATIONS]


def roster() -> list[RosterRow]:
    paths = unit_paths()
    return [
        RosterRow(i + 2, str(130000 + i), f"民警{i}", paths[i % len(paths)], "police")
        for i in range(600)
    ]


def fmt(t: datetime, style: int) -> str:
    if style == 0:
        return f"{t.year}年{t.month}月{t.day}日 {t.hour:02d}:{t.minute:02d}"
    if style == 1:
        return f"{t.year}/{t.month}/{t.day} {t.hour}:{t.minute:02d}:{t.second:02d}"
    return t.strftime("%Y-%m-%d %H:%M:%S")


def later_export(rows: list[list[Any]], share: float = 0.1, seed: int = 2) -> list[list[Any]]:
    """The same orders a week later: `share` of them closed and called back since."""
    rng = random.Random(seed)
    out = []
    for row in rows:
        row = list(row)
        if rng.random() < share:
            row[9] = row[1] + timedelta(days=3)
            row[10] = "已解决"
            row[11] = row[1] + timedelta(days=4)
            row[12] = "已回访"
            row[13] = rng.choice(("满意", "基本满意", "不满意"))
        out.append(row)
    return out


def synthetic_rows(n: int, seed: int = 1) -> list[list[Any]]:
    """`n` work orders as cell values (datetimes left as datetime objects)."""
    rng = random.Random(seed)
    names = [p.rsplit("/", 1)[1] for p in unit_paths()] + ["胜利路所", "市局户政科"]
    start = datetime(2026, 1, 1, 8, 0)
    out = []
    for i in range(n):
        received = start + timedelta(minutes=i * 8 + rng.randint(0, 7))
        closed = rng.random() < 0.8
        called = closed and rng.random() < 0.9
        substantiated = rng.random() < 0.2
        out.append(
            [
                f"GD2026{i:07d}",
                received,
                rng.choice(TYPES),
                rng.choice(CATEGORIES),
                TEXT[: rng.randint(20, len(TEXT))],
                rng.choice(names),
                str(130000 + rng.randrange(650)) if rng.random() < 0.6 else "",
                received + timedelta(minutes=30),
                (received + timedelta(days=5)).date(),
                received + timedelta(days=rng.randint(1, 7)) if closed else None,
                rng.choice(("已解决", "部分解决", "未解决", "已答复")) if closed else "",
                received + timedelta(days=8) if called else None,
                rng.choice(("已回访", "已回访", "已回访", "无法联系")) if called else "",
                rng.choice(("满意", "满意", "基本满意", "不满意")) if called else "",
                rng.choice(("属实", "部分属实")) if substantiated else "不属实",
                "已整改" if substantiated else "",
                received + timedelta(days=12) if substantiated else None,
                f"1{rng.randint(3, 9)}{rng.randrange(10**9):09d}"
                if rng.random() < 0.9
                else "138****5678",
                "张先生",
            ]
        )
    return out


def write_csv(path: Path, rows: list[list[Any]]) -> None:
    with path.open("w", encoding="gb18030", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["12345热线工单明细（2026年）"])
        w.writerow(HEADER)
        for i, row in enumerate(rows):
            w.writerow(
                [fmt(v, i % 3) if isinstance(v, datetime) else "" if v is None else v for v in row]
            )


def write_xlsx(path: Path, rows: list[list[Any]]) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("工单")
    ws.append(["12345热线工单明细（2026年）"])
    ws.append(HEADER)
    for row in rows:
        ws.append(["" if v is None else v for v in row])
    wb.save(path)


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM, not ru_maxrss: after fork+exec Linux
    reports the parent's peak in ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(file: str, database: str) -> None:
    """Import one file into `database` and print the figures as JSON."""
    settings = Settings.load(env={}, database=database, secret=SECRET)
    base_rss = peak_rss_mb()
    c0, t0 = time.process_time(), time.perf_counter()
    parsed = parse_file(Path(file), load_profile("12345"), Keys(SECRET))
    t1 = time.perf_counter()

    async def run() -> tuple[Any, float]:
        store = make_store(settings)
        await store.open()
        try:
            start = time.perf_counter()
            result = await import_parsed(store, parsed, "12345", skip_bad=False)
            return result, time.perf_counter() - start
        finally:
            await store.close()

    result, write_s = asyncio.run(run())
    t2, c2 = t1 + write_s, time.process_time()  # wall: parse + write, without store open
    print(
        json.dumps(
            {
                "rows": parsed.data_rows,
                "errors": len(parsed.errors),
                "new": result.new,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "parse_s": t1 - t0,
                "write_s": t2 - t1,
                "total_s": t2 - t0,
                "cpu_s": c2 - c0,
                "paused_s": getattr(result, "paused_s", float("nan")),
                "base_rss_mb": base_rss,
                "peak_rss_mb": peak_rss_mb(),
            }
        )
    )


def openpyxl_rows(path: Path) -> int:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        return sum(1 for _ in wb.worksheets[0].iter_rows(values_only=True))
    finally:
        wb.close()


def run_child(file: Path, database: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(file), str(database)],
        check=True,
        capture_output=True,
        text=True,
        env=None if env is None else {**os.environ, **env},
    )
    figures: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def cli_import(label: str, path: Path, db: Path, rows: int) -> None:
    """`pingjing workorders import` as an operator runs it, from interpreter start to exit:
    wall time and the CPU time of the command (children's rusage: it writes on a thread
    of its own process)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(
        [str(Path(sys.executable).parent / "pingjing"), "--database", str(db),
         "workorders", "import", str(path), "--channel", "12345"],
        check=True,
        capture_output=True,
        env={**os.environ, "PINGJING_SECRET": SECRET},
    )  # fmt: skip
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    print(
        f"{label + ' via the pingjing command':<32} {rows:>6} rows {wall:6.2f} s end to end "
        f"(interpreter start to exit; CPU {cpu:.2f} s, wall ÷ CPU {wall / cpu:.1f})"
    )


def report(label: str, f: dict[str, Any]) -> None:
    print(
        f"{label:<32} {f['rows']:>6} rows {f['total_s']:6.2f} s "
        f"{f['rows'] / f['total_s']:>7,.0f} rows/s  (parse {f['parse_s']:.2f} s, "
        f"write {f['write_s']:.2f} s of which paused {f['paused_s']:.2f} s, CPU "
        f"{f['cpu_s']:.2f} s, wall ÷ CPU {f['total_s'] / f['cpu_s']:.1f})  "
        f"peak RSS {f['peak_rss_mb']:.0f} MB (at start {f['base_rss_mb']:.0f} MB)  new/upd/same "
        f"{f['new']}/{f['updated']}/{f['unchanged']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=60_000)
    parser.add_argument("--keep", help="keep the generated files in this folder")
    parser.add_argument(
        "--openpyxl",
        action="store_true",
        help="also time openpyxl parsing the XLSX (the reader before python-calamine)",
    )
    add_database_option(
        parser,
        " (the seeded roster; each import runs on a copy beside it, PATH-csv, PATH-cli "
        "and PATH-xlsx, removed as well)",
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    base = args.database
    with (
        sqlite_file(base) as seed_db,
        sqlite_file(base and base + "-csv") as csv_db,
        sqlite_file(base and base + "-cli") as cli_db,
        sqlite_file(base and base + "-xlsx") as xlsx_db,
    ):
        run(args, Path(seed_db), Path(csv_db), Path(cli_db), Path(xlsx_db))


def run(args: argparse.Namespace, seed_db: Path, csv_db: Path, cli_db: Path, xlsx_db: Path) -> None:
    work = Path(args.keep or tempfile.mkdtemp(prefix="pj-bench-wo-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        settings = Settings.load(env={}, database=str(seed_db), secret=SECRET)

        async def seed() -> None:
            store = make_store(settings)
            await store.open()
            await store.import_roster(roster())
            await store.close()

        asyncio.run(seed())
        t = time.perf_counter()
        rows = synthetic_rows(args.rows)
        csv_path, xlsx_path = work / "orders-12345.csv", work / "orders-12345.xlsx"
        write_csv(csv_path, rows)
        write_xlsx(xlsx_path, rows)
        updated_path = work / "orders-12345-later.csv"
        write_csv(updated_path, later_export(rows))
        print(
            f"generated {args.rows} work orders as GBK CSV and XLSX in "
            f"{time.perf_counter() - t:.1f} s ({csv_path.stat().st_size / 1e6:.1f} MB CSV, "
            f"{xlsx_path.stat().st_size / 1e6:.1f} MB XLSX)"
        )
        db = csv_db
        shutil.copy(seed_db, db)
        csv_first = run_child(csv_path, db)
        report("CSV, empty database", csv_first)
        report("CSV again (same file)", run_child(csv_path, db))
        report("CSV, later export", run_child(updated_path, db))
        for label, path in (("CSV", csv_path), ("XLSX", xlsx_path)):
            db = cli_db
            shutil.copy(seed_db, db)
            cli_import(label, path, db, args.rows)
        db = xlsx_db
        shutil.copy(seed_db, db)
        xlsx = run_child(xlsx_path, db)
        report("XLSX, empty database", xlsx)
        print(
            f"XLSX ÷ CSV (same rows, empty database): {xlsx['total_s'] / csv_first['total_s']:.2f} "
            f"wall, {xlsx['cpu_s'] / csv_first['cpu_s']:.2f} CPU (before python-calamine: "
            "about 5.7 wall, 10 CPU)"
        )
        if args.openpyxl:
            # The reader before python-calamine, for a ratio in the same run.
            t, c = time.perf_counter(), time.process_time()
            n = openpyxl_rows(xlsx_path)
            print(
                f"{'XLSX parsed by openpyxl alone':<32} {n:>6} rows "
                f"{time.perf_counter() - t:6.2f} s (CPU {time.process_time() - c:.2f} s); "
                f"python-calamine's whole import: {xlsx['total_s']:.2f} s"
            )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

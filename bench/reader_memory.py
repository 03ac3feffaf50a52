"""Memory of reading a large CSV export: peak RSS of checking every row (issue 14).

Writes synthetic 12345 exports (GBK CSV, as bench/workorders.py does) of each --rows size,
then in a fresh child process per file parses it as the import worker's first pass does
(every row checked, none kept) and prints the child's peak RSS, the peak above its RSS
before reading (what the file costs), and the file's size. With --before REV the same is
measured with the file reader (rating/tabular.py, before that rating/workorders/reader.py)
as it was at git revision REV (for a before/after in the same run).

Usage: python bench/reader_memory.py [--rows 100000 500000] [--before REV]
Prints figures; it is not a pass/fail test.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _load(name: str, path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def child(file: str, reader: str | None) -> None:
    if reader:  # an older reader in place of ours, before anything imports parse
        _load("rating.tabular", Path(reader))
    workorders = _load("bench_workorders", ROOT / "bench" / "workorders.py")
    from rating.crypto import Keys
    from rating.workorders import parse
    from rating.workorders.parse import parse_file

    assert parse.open_sheet.__module__ == "rating.tabular"
    assert not reader or parse.open_sheet.__code__.co_filename == reader
    from rating.workorders.profiles import load_profile

    before = workorders.peak_rss_mb()
    t0 = time.perf_counter()
    parsed = parse_file(Path(file), load_profile("12345"), Keys("bench"), rows_to=lambda r: None)
    took = time.perf_counter() - t0
    peak = workorders.peak_rss_mb()
    print(json.dumps({"rows": parsed.data_rows, "before": before, "peak": peak, "s": took}))


def measure(file: Path, reader: Path | None) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", str(file)]
    if reader:
        cmd += ["--reader", str(reader)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000])
    parser.add_argument("--before", help="also measure the reader of this git revision")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--reader", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.reader)
        return
    workorders = _load("bench_workorders", ROOT / "bench" / "workorders.py")
    with tempfile.TemporaryDirectory() as tmp:
        old: Path | None = None
        if args.before:
            old = Path(tmp) / "old_reader.py"
            for where in ("rating/tabular.py", "rating/workorders/reader.py"):
                shown = subprocess.run(
                    ["git", "show", f"{args.before}:{where}"],
                    cwd=ROOT, capture_output=True, text=True,
                )  # fmt: skip
                if shown.returncode == 0:
                    break
            shown.check_returncode()
            text = shown.stdout
            old.write_text(text, encoding="utf-8")
        for n in args.rows:
            file = Path(tmp) / f"export-{n}.csv"
            workorders.write_csv(file, workorders.synthetic_rows(n))
            mb = file.stat().st_size / 2**20
            for label, reader in (("before", old), ("now", None)):
                if label == "before" and old is None:
                    continue
                f = measure(file, reader)
                print(
                    f"{n} rows ({mb:.0f} MB GBK CSV), reader {label}: peak RSS {f['peak']:.0f} MB, "
                    f"{f['peak'] - f['before']:.0f} MB above the {f['before']:.0f} MB before "
                    f"reading; {f['s']:.1f} s"
                )


if __name__ == "__main__":
    main()

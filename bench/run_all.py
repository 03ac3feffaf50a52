"""Run the benchmarks in bench/ one after another; each prints its own figures.

Each benchmark takes its own options (run it with --help); this runner starts each with
its defaults, or with --short the options that make it a quick look (seconds, not
minutes). Name benchmarks to run only those (e.g. `ratings pg_ratings`)."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Options for a quick look: short runs on small data. Every bench has an entry (a test
# checks it, and that each option is one the bench takes).
SHORT = {
    "badges.py": ["--officers", "500"],
    "dashboard.py": ["--scale", "0.1", "--requests", "10"],
    "citizens_under_load.py": [
        "--rows",
        "5000",
        "--bad-rows",
        "2000",
        "--seconds",
        "2",
        "--poisoned",
        "20",
    ],
    "dispatch.py": ["--scale", "0.02", "--requests", "100"],
    "letters.py": ["--seconds", "2", "--photo-seconds", "4"],
    "login_memory.py": [],
    "observability.py": ["--seconds", "2", "--rounds", "1", "--preload", "5000"],
    "page.py": ["--seconds", "2", "--rounds", "1", "--officers", "20"],
    "pg_ratings.py": ["--seconds", "3", "--rounds", "1", "--preload", "20000"],
    "pg_outage.py": ["--seconds", "1", "--outage", "3", "--timeout", "1"],
    "ratings.py": ["--seconds", "3", "--rounds", "1", "--preload", "20000"],
    "reader_memory.py": ["--rows", "5000"],
    "report.py": ["--scale", "0.1"],
    "report_isolation.py": ["--scale", "0.1", "--seconds", "2"],
    "tap.py": ["--taps", "3"],
    "topics.py": ["--orders", "3000", "--classify", "2000"],
    "workorders.py": ["--rows", "6000"],
}


def benchmarks() -> list[Path]:
    return [
        p
        for p in sorted(HERE.glob("*.py"))
        if p.name not in ("run_all.py", "__init__.py") and not p.name.startswith("_")
    ]


def main(argv: list[str] | None = None) -> int:
    names = [p.stem for p in benchmarks()]
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"any of: {', '.join(names)}")
    parser.add_argument("--short", action="store_true", help="quick runs on small data")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(names))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    failed = []
    for script in benchmarks():
        if args.names and script.stem not in args.names:
            continue
        print(f"== {script.name}", flush=True)
        extra = SHORT.get(script.name, []) if args.short else []
        if subprocess.run([sys.executable, str(script), *extra], check=False).returncode != 0:
            failed.append(script.name)
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

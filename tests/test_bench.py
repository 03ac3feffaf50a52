"""Benchmarks behave: each prints its help and exits (none starts measuring on --help),
and the runner lists them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
SCRIPTS = sorted(p.name for p in BENCH.glob("*.py") if not p.name.startswith("_"))


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_bench_prints_help_and_exits(script: str) -> None:
    out = subprocess.run(
        [sys.executable, str(BENCH / script), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("usage:")
    if script in ("ratings.py", "pg_ratings.py"):
        for option in ("--host", "--port", "--database", "--rounds", "--preload"):
            assert option in out.stdout


def test_the_runner_names_every_bench() -> None:
    out = subprocess.run(
        [sys.executable, str(BENCH / "run_all.py"), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    for script in SCRIPTS:
        if script != "run_all.py":
            assert script.removesuffix(".py") in out.stdout

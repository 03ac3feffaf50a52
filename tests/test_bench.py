"""Benchmarks behave: each prints its help and exits (none starts measuring on --help),
takes --host/--port when it starts a server and --database when it builds a database, the
runner lists them and has quick settings for each, and a run leaves nothing behind."""

from __future__ import annotations

import functools
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
SCRIPTS = sorted(p.name for p in BENCH.glob("*.py") if not p.name.startswith("_"))
BENCHES = [s for s in SCRIPTS if s != "run_all.py"]

# What in a bench's source shows that it starts `pingjing serve` or builds a database.
STARTS_SERVER = re.compile(r"start_server\(|serving\(|\"serve\"")
USES_DATABASE = re.compile(r"Settings\.load\(|make_store\(|sqlite3\.connect\(|psycopg\.connect\(")


@functools.cache  # each bench's help is asked for by two tests: run it once
def help_of(script: str) -> str:
    out = subprocess.run(
        [sys.executable, str(BENCH / script), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("usage:")
    return out.stdout


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_bench_prints_help_and_exits(script: str) -> None:
    text = help_of(script)
    source = (BENCH / script).read_text(encoding="utf-8")
    if STARTS_SERVER.search(source):
        assert "--host" in text and "--port" in text, f"{script} starts a server"
    if USES_DATABASE.search(source):
        assert "--database" in text, f"{script} builds a database"
    if script in ("ratings.py", "pg_ratings.py"):
        for option in ("--host", "--port", "--database", "--rounds", "--preload"):
            assert option in text


def test_the_detection_sees_the_servers_and_databases() -> None:
    """The patterns above find what they look for (else the test above checks nothing)."""
    servers = {s for s in BENCHES if STARTS_SERVER.search((BENCH / s).read_text("utf-8"))}
    databases = {s for s in BENCHES if USES_DATABASE.search((BENCH / s).read_text("utf-8"))}
    assert {"ratings.py", "pg_ratings.py", "page.py", "tap.py", "observability.py"} <= servers
    assert "report_isolation.py" in servers and "badges.py" not in servers
    assert {"report.py", "badges.py", "workorders.py", "login_memory.py"} <= databases


def test_the_runner_names_every_bench() -> None:
    text = help_of("run_all.py")
    for script in BENCHES:
        assert script.removesuffix(".py") in text


def test_the_runner_has_quick_settings_each_bench_takes() -> None:
    sys.path.insert(0, str(BENCH))
    try:
        import run_all
    finally:
        sys.path.remove(str(BENCH))
    assert set(run_all.SHORT) == set(BENCHES)
    for script, options in run_all.SHORT.items():
        text = help_of(script)
        for option in (o for o in options if o.startswith("--")):
            assert option in text, (script, option)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_bench_serves_where_told_and_leaves_nothing_behind(tmp_path: Path) -> None:
    """bench/page.py on the port and database file given, with the system temp folder
    pointed at an empty one: it measures, then the database and every folder are gone."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    database = tmp_path / "given" / "page.db"
    database.parent.mkdir()
    port = free_port()
    out = subprocess.run(
        [
            sys.executable,
            str(BENCH / "page.py"),
            *("--seconds", "1", "--rounds", "1", "--officers", "3", "--connections", "4"),
            *("--host", "127.0.0.1", "--port", str(port), "--database", str(database)),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "TMPDIR": str(temp)},
    )
    assert out.returncode == 0, out.stderr
    assert f"server at http://127.0.0.1:{port}, database {database}" in out.stdout
    assert "pages/s" in out.stdout
    assert list(temp.iterdir()) == []
    assert list(database.parent.iterdir()) == []


def test_a_bench_refuses_to_overwrite_a_database(tmp_path: Path) -> None:
    existing = tmp_path / "mine.db"
    existing.write_bytes(b"precious")
    out = subprocess.run(
        [sys.executable, str(BENCH / "login_memory.py"), "--database", str(existing)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode != 0
    assert "exists" in out.stderr
    assert existing.read_bytes() == b"precious"

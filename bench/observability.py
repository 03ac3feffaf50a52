"""What metrics and the access log cost the rating path: the same server with both off
and with both on, measured alternately in one run.

Two `pingjing serve` processes on two copies of one seeded SQLite file (synchronous=FULL),
one with PINGJING_METRICS=false PINGJING_ACCESS_LOG=false, one with both on and the log at
info level, as in production (JSON lines to a file). wrk posts ratings at 64 connections
to one, then the other, --rounds times; each round's ratio (on ÷ off) compares two runs a
few seconds apart, and the median ratio is quoted, because this machine's speed drifts.
It also times the per-request work itself (metric updates and one access event) in
process, which the noise of a shared machine does not blur.

Usage: python bench/observability.py [--seconds 5] [--rounds 3] [--connections 64]
                                     [--preload 50000] [--host 127.0.0.1] [--port N]
                                     [--database PATH]
(with --port N the servers listen on N (off) and N+1 (on); --database PATH names the
'off' server's file, the 'on' server gets a copy beside it, PATH-on; both are removed)
Prints figures; it is not a pass/fail test.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rating import logs, metrics  # noqa: E402
from rating.settings import Settings  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_ratings", ROOT / "bench" / "ratings.py")
assert _spec and _spec.loader
ratings: Any = importlib.util.module_from_spec(_spec)
sys.modules["bench_ratings"] = ratings  # dataclasses look their module up there
_spec.loader.exec_module(ratings)

CONFIGS = {
    "off": {"PINGJING_METRICS": "false", "PINGJING_ACCESS_LOG": "false"},
    "on": {"PINGJING_METRICS": "true", "PINGJING_ACCESS_LOG": "true"},
}


def start(
    database: str, extra: dict[str, str], log: Path, host: str, port: int
) -> tuple[subprocess.Popen[bytes], str]:
    env = {
        **os.environ,
        "PINGJING_DATABASE": database,
        "PINGJING_SECRET": ratings.SECRET,
        "PINGJING_TRUSTED_PROXIES": "127.0.0.1",
        "PINGJING_LOG_LEVEL": "info",
        **extra,
    }
    exe = shutil.which("pingjing", path=str(Path(sys.executable).parent)) or "pingjing"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [exe, "serve", "--host", host, "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://{host}:{port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as r:  # noqa: S310
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.1)
    proc.kill()
    proc.wait()
    raise SystemExit("server did not start: " + log.read_text(errors="replace")[-2000:])


def in_process(n: int = 100_000) -> tuple[float, float]:
    """Microseconds per request: the metric updates of one rating, one access event."""
    started = time.perf_counter()
    for _ in range(n):
        metrics.observe_request("/api/v1/ratings", "POST", 201, 0.003)
        metrics.observe_rating(5, "web", False)
        metrics.IN_FLIGHT.inc()
        metrics.IN_FLIGHT.dec()
    per_metrics = (time.perf_counter() - started) / n * 1e6
    with open(os.devnull, "w", encoding="utf-8") as sink:
        handler = logs.configure(Settings.load(env={}), sink)
        started = time.perf_counter()
        for _ in range(n):
            logs.access("0123456789abcdef", "/api/v1/ratings", "POST", 201, 0.003)
        per_log = (time.perf_counter() - started) / n * 1e6
        logging.getLogger().removeHandler(handler)
    return per_metrics, per_log


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--preload", type=int, default=50_000)
    ratings.add_server_options(parser, servers=2)
    ratings.add_database_option(parser, " (the 'off' server's; the 'on' server's is PATH-on)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: run scripts/setup-system (apt-get install wrk)")
    with (
        ratings.sqlite_file(args.database) as first,
        ratings.sqlite_file(args.database and args.database + "-on") as second,
    ):
        measure(args, {"off": first, "on": second})
    per_metrics, per_log = in_process()
    print(
        f"in process: metric updates {per_metrics:.1f} µs per rating, one access event "
        f"{per_log:.1f} µs per request"
    )


def measure(args: argparse.Namespace, databases: dict[str, str]) -> None:
    work = Path(tempfile.mkdtemp(prefix="pj-bench-obs-"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        first = databases["off"]
        settings = Settings.load(env={}, database=first, secret=ratings.SECRET)
        tokens = asyncio.run(ratings.seed(settings, 500))
        if args.preload:
            ratings.preload(first, args.preload)
        shutil.copyfile(first, databases["on"])
        script = work / "ratings.lua"
        ratings.write_lua(script, tokens)
        urls = {}
        for (name, extra), port in zip(CONFIGS.items(), ratings.ports(args, 2), strict=True):
            db, log = databases[name], work / f"{name}.log"
            proc, urls[name] = start(db, extra, log, args.host, port)
            procs.append(proc)
            ratings.run_wrk(urls[name] + "/healthz", 1, args.connections)  # warm up
        ratios, rps = [], {"off": [], "on": []}
        for i in range(1, args.rounds + 1):
            got = {}
            for name in ("off", "on") if i % 2 else ("on", "off"):
                ratings.write_stamps(script, tokens, args.seconds)
                r = ratings.run_wrk(
                    urls[name] + "/api/v1/ratings", args.seconds, args.connections, script
                )
                got[name] = r
                rps[name].append(r.requests_per_s)
            ratio = got["on"].requests_per_s / got["off"].requests_per_s
            ratios.append(ratio)
            print(
                f"round {i}: off {got['off'].requests_per_s:,.0f} ratings/s "
                f"(p99 {got['off'].p99_ms:.1f} ms), on {got['on'].requests_per_s:,.0f} "
                f"ratings/s (p99 {got['on'].p99_ms:.1f} ms); on ÷ off {ratio:.2f}",
                flush=True,
            )
        print(
            f"POST /api/v1/ratings, metrics and access log off: "
            f"{statistics.median(rps['off']):,.0f} ratings/s; on: "
            f"{statistics.median(rps['on']):,.0f} ratings/s; on ÷ off = "
            f"{statistics.median(ratios):.2f} (median of {args.rounds} round(s))"
        )
        lines = sum(1 for _ in (work / "on.log").open(encoding="utf-8"))
        print(f"the 'on' server wrote {lines:,} JSON log lines")
    finally:
        for proc in procs:
            ratings.stop_server(proc)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

"""The citizen rating page under load: GET /r/{token} against the same server's no-op GET.

Starts `pingjing serve` (one process, uvicorn + httptools + uvloop) on a fresh SQLite file
with --officers officers, then in each of --rounds rounds runs wrk at --connections
connections for --seconds seconds on
  1. the no-op GET (/healthz), the reference measured in the same run, and
  2. GET /r/{token}, each request for one of the officers in turn, as a phone sends it
     (Accept-Encoding: gzip, a Chinese Accept-Language, the device cookie already set).
Prints pages/s, the ratio to the no-op GET and p50/p99, each the median over the rounds.

Usage: python bench/page.py [--seconds 5] [--connections 64] [--rounds 3] [--officers 200]
                           [--host 127.0.0.1] [--port N] [--database PATH]
Prints figures; it is not a pass/fail test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ratings import (  # noqa: E402
    SECRET,
    add_database_option,
    add_server_options,
    ports,
    run_wrk,
    seed,
    sqlite_file,
    start_server,
    stop_server,
)

from rating.settings import Settings  # noqa: E402

LUA = r"""
local tokens = {TOKENS}
local i = 0
request = function()
  i = i % #tokens + 1
  return wrk.format("GET", "/r/" .. tokens[i], {
    ["Accept-Encoding"] = "gzip, deflate",
    ["Accept-Language"] = "zh-CN,zh;q=0.9",
    ["Cookie"] = "pj_dev=benchdevice0123456789",
  })
end
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--officers", type=int, default=200)
    add_server_options(parser)
    add_database_option(parser)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: run scripts/setup-system (apt-get install wrk)")
    with sqlite_file(args.database) as db:
        run(args, db)


def run(args: argparse.Namespace, db: str) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="pj-bench-page-"))
    try:
        settings = Settings.load(env={}, database=db, secret=SECRET)
        tokens = asyncio.run(seed(settings, args.officers))
        script = tmp / "page.lua"
        script.write_text(LUA.replace("{TOKENS}", "{" + ",".join(map(json.dumps, tokens)) + "}"))
        (port,) = ports(args)
        env = dict(os.environ, PINGJING_DATABASE=db, PINGJING_SECRET=SECRET)
        env["PINGJING_LOG_LEVEL"] = "warning"
        proc = start_server(env, port, host=args.host)
        base = f"http://{args.host}:{port}"
        print(f"server at {base}, database {db}", flush=True)
        try:
            run_wrk(base + "/healthz", 1, args.connections)  # warm up
            run_wrk(base + "/", 1, args.connections, script)
            gets, pages = [], []
            for i in range(1, args.rounds + 1):
                get = run_wrk(base + "/healthz", args.seconds, args.connections)
                page = run_wrk(base + "/", args.seconds, args.connections, script)
                gets.append(get)
                pages.append(page)
                bad = f", {page.non_2xx} non-2xx" if page.non_2xx else ""
                print(
                    f"round {i}: no-op GET {get.requests_per_s:,.0f}/s; GET /r/{{token}} "
                    f"{page.requests_per_s:,.0f} pages/s = "
                    f"{page.requests_per_s / get.requests_per_s:.2f}x, "
                    f"p50 {page.p50_ms:.1f} ms, p99 {page.p99_ms:.1f} ms{bad} {page.errors}"
                )
        finally:
            stop_server(proc)
        get_rps = statistics.median(g.requests_per_s for g in gets)
        page_rps = statistics.median(p.requests_per_s for p in pages)
        ratio = statistics.median(
            p.requests_per_s / g.requests_per_s for g, p in zip(gets, pages, strict=True)
        )
        print(
            f"median of {args.rounds} rounds at {args.connections} connections, "
            f"{args.officers} officers:\n"
            f"  no-op GET /healthz: {get_rps:,.0f} req/s\n"
            f"  GET /r/{{token}}: {page_rps:,.0f} pages/s = {ratio:.2f}x the no-op GET, "
            f"p50 {statistics.median(p.p50_ms for p in pages):.1f} ms, "
            f"p99 {statistics.median(p.p99_ms for p in pages):.1f} ms"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Citizens' ratings through a PostgreSQL outage (issue 14, item 9).

Starts the real `pingjing serve` on 127.0.0.1 against a fresh PostgreSQL database reached
through a TCP proxy (tests/tcp_proxy.py; the shared server itself is never stopped) and
keeps a steady citizen load on POST /api/v1/ratings (--concurrency clients, each rating
from its own new device and page), one phase after another:
  1. reference: the database up (p50 / p99);
  2. outage: the proxy cut (every connection closed, new ones refused) for --outage
     seconds: the replies' p50 / p99 / max and their statuses (goal: a prompt 503 within
     the database timeout, p99 < 50 ms once the outage is known), and how long /healthz
     (polled every 50 ms) took to turn 503;
  3. restored: the proxy back on the same port: how long /healthz took to turn 200 and
     the first rating to be stored again, then the citizen load for --seconds.
Afterwards the 201 replies are checked against the ratings in the database.

Usage: python bench/pg_outage.py [--seconds 5] [--outage 10] [--concurrency 8]
       [--timeout SECONDS (PINGJING_DATABASE_TIMEOUT_SECONDS; default: the setting's)]
       [--database NAME] [--host 127.0.0.1] [--port 0 (a free one)]
Needs PostgreSQL at PINGJING_BENCH_POSTGRES (default postgresql://postgres@127.0.0.1:5432/
postgres). Prints figures; it is not a pass/fail test.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rating.settings import Settings  # noqa: E402
from tests.tcp_proxy import Proxy  # noqa: E402


def _load(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


ratings = _load("ratings")
pg_ratings = _load("pg_ratings")
under_load = _load("citizens_under_load")


def figures(latencies: list[float]) -> str:
    if not latencies:
        return "no replies"
    lat = sorted(latencies)
    p50 = lat[len(lat) // 2]
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    return f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {lat[-1]:.1f} ms"


async def health_turns(client: httpx.AsyncClient, url: str, want: int, limit: float) -> float:
    """Seconds until GET /healthz answers `want` (polled every 50 ms), or nan past `limit`."""
    start = time.perf_counter()
    while time.perf_counter() - start < limit:
        try:
            status = (await client.get(url + "/healthz", timeout=limit)).status_code
        except httpx.HTTPError:
            status = 0
        if status == want:
            return time.perf_counter() - start
        await asyncio.sleep(0.05)
    return float("nan")


async def run(args: argparse.Namespace, url: str) -> None:
    settings = Settings.load(env={}, database=url, secret=ratings.SECRET)
    tokens = await ratings.seed(settings, 300)
    parts = urlsplit(url)
    proxy = Proxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    proxy.start()
    proxied = urlunsplit(parts._replace(netloc=f"{parts.username}@127.0.0.1:{proxy.port}"))
    (port,) = ratings.ports(args)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PINGJING_")}
    env.update(
        PINGJING_DATABASE=proxied,
        PINGJING_SECRET=ratings.SECRET,
        PINGJING_TRUSTED_PROXIES="127.0.0.1",
        PINGJING_RATE_LIMIT_NETWORK_PER_HOUR="1000000",
        PINGJING_RATE_LIMIT_DEVICE_PER_HOUR="1000000",
        PINGJING_LOG_LEVEL="error",
    )
    if args.timeout is not None:
        env["PINGJING_DATABASE_TIMEOUT_SECONDS"] = str(args.timeout)
    proc = ratings.start_server(env, port, host=args.host)
    server = f"http://{args.host}:{port}"
    limit = 60.0  # a hang (the bug: 57 s) shows as nan, not as a stuck bench
    try:

        async def idle(client: httpx.AsyncClient, c: Any) -> None:
            await asyncio.sleep(args.seconds)

        ref, _ = await under_load.phase(server, tokens, args.concurrency, idle)
        print(f"reference: {len(ref.latencies)} ratings, {figures(ref.latencies)}")

        async def outage(client: httpx.AsyncClient, c: Any) -> tuple[float, float]:
            cut = time.perf_counter()
            proxy.cut()
            turned = await health_turns(client, server, 503, limit)
            await asyncio.sleep(max(0.0, args.outage - turned))
            return cut, cut + turned

        during, (cut, knew) = await under_load.phase(server, tokens, args.concurrency, outage)
        turned = knew - cut
        sent = list(zip(during.started, during.latencies, strict=True))
        in_flight = [ms for t0, ms in sent if t0 < cut and t0 + ms / 1000 > cut]
        between = [ms for t0, ms in sent if cut <= t0 < knew]
        later = [ms for t0, ms in sent if t0 >= knew]
        statuses: dict[int, int] = {}
        for code in during.failed:
            statuses[code] = statuses.get(code, 0) + 1
        if during.ok:
            statuses[201] = during.ok
        print(
            f"outage ({args.outage:.0f} s): /healthz 503 after {turned:.2f} s; "
            f"{len(during.latencies)} replies {statuses}; in flight at the cut: "
            f"{len(in_flight)}, {figures(in_flight)}; sent before /healthz knew: {len(between)}, "
            f"{figures(between)}; sent once it knew: {len(later)}, "
            f"{figures(later)}"
        )

        async with httpx.AsyncClient() as client:
            proxy.restore()
            back = await health_turns(client, server, 200, limit)
        after, _ = await under_load.phase(server, tokens, args.concurrency, idle)
        print(
            f"restored: /healthz 200 after {back:.2f} s; then {after.ok} ratings stored, "
            f"{len(after.failed)} failed, {figures(after.latencies)}"
        )
        stored = await ratings.count_ratings(settings)
        created = ref.ok + during.ok + after.ok
        print(f"201 replies {created}, ratings stored {stored} (must be equal)")
    finally:
        ratings.stop_server(proc)
        if proxy.listening:
            proxy.cut()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="reference phases (5)")
    parser.add_argument("--outage", type=float, default=10.0, help="outage length (10)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--timeout", type=float, help="database timeout (the setting's default)")
    parser.add_argument(
        "--database",
        metavar="NAME",
        default=f"pingjing_bench_outage_{os.getpid()}",
        help="PostgreSQL database to create for the run and drop afterwards",
    )
    ratings.add_server_options(parser)
    args = parser.parse_args()
    with pg_ratings.fresh_database(pg_ratings.DEFAULT_ADMIN_URL, args.database) as url:
        asyncio.run(run(args, url))


if __name__ == "__main__":
    main()

"""The admin dashboard and case list at city scale: server time per page, and page weight.

Builds (or reuses, with --database) the city-scale SQLite file of bench/report.py (12,000
officers, 2.3 million ratings, a case per bad rating, 60,000 work orders; --scale 0.1 for a
quick look), moves this process's clock to Sunday 20:00 of its report week (the dearest
moment: a whole week of ratings is counted live), and runs the real app in this process
(ASGI, no network) as a signed-in admin and a branch's unit manager. For each page,
--requests requests one after another:
  - GET /healthz, the no-op reference measured in the same run;
  - GET /admin, the dashboard (first the cold request, which fills the per-week counts);
  - GET /admin/cases and /admin/cases?overdue=1, the case list (100 rows a page).
Prints p50/p99 of the time spent in the app per request, the ratio of each p50 to the
no-op GET's, and the case list's page weight (bytes, and gzip-compressed).

Usage: python bench/dashboard.py [--scale 1] [--requests 50] [--database PATH]
Prints figures; it is not a pass/fail test.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import importlib.util
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _report_bench():  # type: ignore[no-untyped-def]
    """bench/report.py, whose generator builds the city's year (imported by path)."""
    spec = importlib.util.spec_from_file_location("bench_report", ROOT / "bench" / "report.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PASSWORD = "bench dashboard password"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def measure(db: str, requests: int, secret: str) -> None:
    import httpx
    from asgi_lifespan import LifespanManager

    from rating.admin import auth
    from rating.app import create_app
    from rating.clock import now_ms
    from rating.settings import Settings
    from rating.store import make_store

    settings = Settings.load(env={}, database=db, secret=secret)
    store = make_store(settings)
    await store.open()
    try:
        hashed = auth.hash_password(PASSWORD)
        branch = (await store.list_units())[1].path
        for name, role, unit in (("bench-admin", "admin", None),
                                 ("bench-branch", "unit_manager", branch)):  # fmt: skip
            users = {u.name for u in await store.read(auth.list_users)}
            if name not in users:
                await store.write(auth.add_user, name, role, unit, hashed, now_ms())
    finally:
        await store.close()

    app = create_app(settings)
    started = time.perf_counter()
    async with LifespanManager(app) as manager:
        # The server reads the past weeks' counts at start-up (dashboard.warm): wait for
        # that, as an admin signing in some time after a start would find it done.
        from rating.admin import dashboard

        store = manager._state["svc"].store
        basic = settings.report_basic_counts_satisfied
        while not dashboard.warmed(store, basic, now_ms()):
            await asyncio.sleep(0.02)
        print(f"start-up warm-up of the past weeks' counts: {time.perf_counter() - started:.2f} s")
        transport = httpx.ASGITransport(app=manager.app)
        for name in ("bench-admin", "bench-branch"):
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as c:
                login = await c.get("/admin/login")
                csrf = re.search(r'name="csrf" value="([^"]*)"', login.text)
                assert csrf is not None
                r = await c.post(
                    "/admin/login",
                    data={"csrf": csrf.group(1), "name": name, "password": PASSWORD},
                )
                assert r.status_code == 303, r.text
                await run_pages(c, name, requests)


async def timed(c: object, path: str, n: int) -> tuple[list[float], bytes]:
    times: list[float] = []
    body = b""
    for _ in range(n):
        t0 = time.perf_counter()
        r = await c.get(path)  # type: ignore[attr-defined]
        times.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, (path, r.status_code)
        body = r.content
    return times, body


async def run_pages(c: object, who: str, n: int) -> None:
    noop, _ = await timed(c, "/healthz", n)
    base = statistics.median(noop)
    t0 = time.perf_counter()
    await timed(c, "/admin", 1)
    cold = (time.perf_counter() - t0) * 1000
    print(f"{who}: no-op GET /healthz p50 {base:.2f} ms, p99 {pct(noop, 0.99):.2f} ms")
    print(f"{who}: dashboard, first request after start-up {cold:.0f} ms")
    for path in ("/admin", "/admin/cases", "/admin/cases?overdue=1"):
        times, body = await timed(c, path, n)
        p50 = statistics.median(times)
        print(
            f"{who}: GET {path}: p50 {p50:.1f} ms, p99 {pct(times, 0.99):.1f} ms over {n} "
            f"requests ({p50 / base:.0f}x the no-op GET); page {len(body) / 1024:.1f} KB, "
            f"{len(gzip.compress(body)) / 1024:.1f} KB gzip"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1, help="times a city (default 1)")
    parser.add_argument("--requests", type=int, default=50, help="requests per page (50)")
    parser.add_argument(
        "--database",
        "--db",
        dest="db",
        metavar="PATH",
        help="the city's SQLite file: generated if missing and kept (default: a temporary "
        "file, removed afterwards); the same file as bench/report.py --database",
    )
    args = parser.parse_args()
    report = _report_bench()
    report.set_scale(args.scale)
    if args.db is None:
        with tempfile.TemporaryDirectory(prefix="pj-bench-dashboard-") as tmp:
            run(args, report, str(Path(tmp) / "city.db"))
        return
    run(args, report, args.db)


def run(args: argparse.Namespace, report: object, db: str) -> None:
    if not Path(db).exists():
        report.generate(Path(db))  # type: ignore[attr-defined]
    # The data's "now": Sunday 20:00 of its report week, the dearest moment (the whole
    # week's ratings are the live part), moved to as tests/shifted_clock does.
    from tests.shifted_clock import shift

    week = report.parse_week(report.WEEK, 0)  # type: ignore[attr-defined]
    shift((week.end_ms - 4 * 3_600_000) / 1000 - time.time())
    print(
        f"{args.scale}x city scale, {db}; load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} cores"
    )
    asyncio.run(measure(db, args.requests, report.SECRET))  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()

"""A citizen's page while four city-scale weekly reports download at once.

Uses the city database of bench/report.py (2.3M ratings, generated in about a minute: in a
temporary folder that goes afterwards, or at --database PATH, kept and reused while it
exists). Starts `pingjing serve` (on --host/--port, default a free port of 127.0.0.1) with
an admin account and badge tokens added to that database, then:

  1. baseline: 8 simulated citizens load `/r/<token>` (each: request, 50 ms pause, again)
     for a few seconds: latency p50 / p99, and the server's RSS before;
  2. during: the same citizens while four admins download `/admin/report/weekly?format=xlsx`
     (2026-W47, the whole bureau) at once: citizen p50 / p99 until the last download ends,
     the server's peak RSS and the peak RSS of its report workers;
  3. after: the server's RSS a few seconds after the downloads, and the citizens alone again
     (a second reference).

Figures are printed as ratios to the baseline measured in the same run (the machine is
shared). `--code DIR` runs the server from another checkout (for a before/after comparison).

Usage: python bench/report_isolation.py [--database PATH] [--seconds 5] [--code DIR]
                                        [--scale 1] [--host 127.0.0.1] [--port N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ratings import add_server_options, ports  # noqa: E402
from report import AS_OF, SECRET, WEEK, generate, set_scale  # noqa: E402

from rating.admin import auth  # noqa: E402
from rating.settings import Settings  # noqa: E402
from rating.store import logic, make_store  # noqa: E402

ADMIN, PASSWORD = "bench-admin", "bench-password-123"
CITIZENS = 8
DOWNLOADS = 4
PAUSE_S = 0.05


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    kids = [int(p) for p in text.split()]
    return kids + [g for k in kids for g in children(k)]


async def prepare(db: str) -> list[str]:
    """An admin account and live badge tokens for 50 officers (kept between runs)."""
    settings = Settings.load(env={}, database=db, secret=SECRET)
    store = make_store(settings)
    await store.open()
    try:
        now = int(time.time() * 1000)
        users = await store.read(lambda tx: tx.all("SELECT name FROM admin_users"))
        if (ADMIN,) not in [tuple(u) for u in users]:
            hashed = auth.hash_password(PASSWORD)
            await store.write(auth.add_user, ADMIN, "admin", None, hashed, now)
        rows = await store.read(
            lambda tx: tx.all(
                "SELECT b.token FROM badge_tokens b JOIN officers o ON o.id = b.officer_id "
                "WHERE b.revoked_at IS NULL AND o.status = 'active' LIMIT 50"
            )
        )
        tokens = [str(r[0]) for r in rows]
        if len(tokens) < 50:
            ids = await store.read(
                lambda tx: tx.all("SELECT id FROM officers WHERE status = 'active' LIMIT 50")
            )
            tokens = [await store.write(logic.issue_token, int(r[0]), now) for r in ids]
        return tokens
    finally:
        await store.close()


def start_server(
    db: str, host: str, port: int, code: Path, archive: str
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PINGJING_DATABASE": db,
        "PINGJING_SECRET": SECRET,
        "PINGJING_REPORT_ARCHIVE_DIR": archive,
        "PINGJING_LOG_LEVEL": "warning",
        "PYTHONPATH": str(code),
    }
    cmd = [
        sys.executable,
        "-c",
        "import sys; from rating.cli import main; sys.exit(main(sys.argv[1:]))",
        "serve",
        "--host",
        host,
        "--port",
        str(port),
    ]
    proc = subprocess.Popen(cmd, env=env, cwd=code, stdout=subprocess.DEVNULL)
    # Opening the store checks foreign keys over the whole file (seconds at city scale,
    # far longer on a busy machine).
    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            if httpx.get(f"http://{host}:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start")


async def citizens(base: str, tokens: list[str], stop: asyncio.Event) -> list[float]:
    """Latencies (ms) of citizens loading rating pages until `stop` is set."""
    times: list[float] = []

    async def one(i: int) -> None:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            n = i
            while not stop.is_set():
                t0 = time.perf_counter()
                r = await client.get(f"/r/{tokens[n % len(tokens)]}")
                times.append((time.perf_counter() - t0) * 1000)
                assert r.status_code == 200, r.status_code
                n += CITIZENS
                await asyncio.sleep(PAUSE_S)

    await asyncio.gather(*(one(i) for i in range(CITIZENS)), return_exceptions=False)
    return times


async def citizens_for(base: str, tokens: list[str], seconds: float) -> list[float]:
    stop = asyncio.Event()
    task = asyncio.create_task(citizens(base, tokens, stop))
    await asyncio.sleep(seconds)
    stop.set()
    return await task


async def login(base: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base, timeout=900)
    page = await client.get("/admin/login")
    csrf = re.search(r'name="csrf" value="([^"]*)"', page.text)
    assert csrf, "no login form"
    r = await client.post(
        "/admin/login", data={"csrf": csrf.group(1), "name": ADMIN, "password": PASSWORD}
    )
    assert r.status_code in (200, 303), r.status_code
    return client


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(base: str, tokens: list[str], server_pid: int, seconds: float) -> None:
    # Warm-up: the admins log in and open an admin page (templates, password hashing, the
    # session) before the baseline, so "before" is the memory of a server in use.
    admins = [await login(base) for _ in range(DOWNLOADS)]
    for c in admins:
        assert (await c.get("/admin/cases")).status_code == 200
    await citizens_for(base, tokens, 1.0)

    # 1. baseline
    base_times = await citizens_for(base, tokens, seconds)
    rss_before = rss_mb(server_pid)

    # 2. four downloads at once, citizens meanwhile
    stop = asyncio.Event()
    task = asyncio.create_task(citizens(base, tokens, stop))
    peak = {"server": rss_before, "workers": 0.0}

    async def sample() -> None:
        while not stop.is_set():
            peak["server"] = max(peak["server"], rss_mb(server_pid))
            peak["workers"] = max(peak["workers"], sum(rss_mb(k) for k in children(server_pid)))
            await asyncio.sleep(0.1)

    sampler = asyncio.create_task(sample())

    async def download(i: int, client: httpx.AsyncClient) -> tuple[float, int]:
        t0 = time.perf_counter()
        params = {"format": "xlsx", "week": WEEK}
        # Distinct moments (seconds apart), so each is a report of its own.
        moment = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(AS_OF / 1000 + 8 * 3600 + i))
        params["as_of"] = moment
        r = await client.get("/admin/report/weekly", params=params)
        assert r.status_code == 200, (r.status_code, r.text[:300])
        return time.perf_counter() - t0, len(r.content)

    t0 = time.perf_counter()
    results = await asyncio.gather(*(download(i, c) for i, c in enumerate(admins)))
    wall = time.perf_counter() - t0
    stop.set()
    during_times = await task
    await sampler
    for c in admins:
        await c.aclose()

    # 3. after: memory, and the citizens alone again (a second reference: this machine's
    # speed drifts within a minute)
    await asyncio.sleep(3)
    rss_after = rss_mb(server_pid)
    after_times = await citizens_for(base, tokens, seconds)

    p99_ref = max(pct(base_times, 0.99), pct(after_times, 0.99))
    p99 = pct(during_times, 0.99)
    print(f"citizen page, {CITIZENS} citizens ({PAUSE_S * 1000:.0f} ms pause):")
    print(
        f"  baseline: {len(base_times)} requests, p50 {pct(base_times, 0.5):.1f} ms, "
        f"p99 {p99_ref:.1f} ms"
    )
    print(
        f"  after: {len(after_times)} requests, p50 {pct(after_times, 0.5):.1f} ms, "
        f"p99 {pct(after_times, 0.99):.1f} ms"
    )
    print(
        f"  during {DOWNLOADS} downloads: {len(during_times)} requests, "
        f"p50 {pct(during_times, 0.5):.1f} ms, p99 {p99:.1f} ms, max {max(during_times):.0f} ms "
        f"(p99 {p99 / p99_ref:.1f}x the worse reference)"
    )
    sizes = ", ".join(f"{s:.1f} s" for s, _ in results)
    print(
        f"downloads: all {DOWNLOADS} done in {wall:.1f} s (each {sizes}), "
        f"{statistics.mean(n for _, n in results) / 1e6:.1f} MB each"
    )
    print(
        f"server RSS: before {rss_before:.0f} MB, peak during {peak['server']:.0f} MB, "
        f"after {rss_after:.0f} MB (after/before {rss_after / rss_before:.2f}); "
        f"report workers peak {peak['workers']:.0f} MB together"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database",
        "--db",
        metavar="PATH",
        help="SQLite file of bench/report.py's city data: generated if missing and kept, so "
        "later runs reuse it (default: generated in a temporary folder, removed afterwards)",
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="baseline length")
    parser.add_argument("--code", default=str(ROOT), help="checkout the server runs from")
    parser.add_argument(
        "--scale", type=float, default=1, help="times a city's data when generated (default 1)"
    )
    add_server_options(parser)
    args = parser.parse_args()
    set_scale(args.scale)
    work = Path(tempfile.mkdtemp(prefix="pj-bench-isolation-"))
    try:
        db = args.database or str(work / "report.db")
        if not Path(db).exists():
            generate(Path(db))
        tokens = asyncio.run(prepare(db))
        (port,) = ports(args)
        archive = work / "archive"
        archive.mkdir()
        proc = start_server(db, args.host, port, Path(args.code), str(archive))
        try:
            asyncio.run(run(f"http://{args.host}:{port}", tokens, proc.pid, args.seconds))
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

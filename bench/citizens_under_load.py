"""Citizens' ratings while others misbehave or admins work (issue 14).

Starts the real `pingjing serve` on 127.0.0.1 on a fresh SQLite file (synchronous=FULL)
and keeps a steady citizen load on POST /api/v1/ratings (--concurrency clients, each
rating from its own new device and forwarded address, each with its own page stamp).
It measures, one phase after another:
  1. reference: the citizen load alone (p50 / p99);
  2. poisoned: the same load while --poisoned requests carry a comment with a lone
     surrogate ("\\ud800") or NUL: how many ORDINARY ratings fail (goal 0), what the
     poisoned ones get, and whether /healthz ever reads 503;
  3. import: the same load while `pingjing workorders import` loads a --rows-row export
     into the same database: citizen p50 / p99, as a ratio to the reference (goal: p99
     under 50 ms), and the import process's peak RSS. The command is started as an
     operator would, without `nice`: it lowers the priority of its parsing itself. With
     --import-check the export's last row is bad and --skip-bad is not given, so the
     command reads and matches every row twice but writes nothing: the citizens then see
     the import's CPU load without its write transactions (to tell the two apart);
  4. upload: the same load while an admin uploads a --bad-rows-row export in which every
     row is bad through the admin page (POST /admin/workorders/import, "skip bad rows"
     ticked, so the rejects CSV is built and stored): citizen p50 / p99 and ratios, the
     import worker's peak RSS, and the server's RSS before, during (peak) and after;
  5. reference again: the citizen load alone after all that (the machine is shared, so
     the ratios are given to both references).
Afterwards the 2xx replies are checked against the ratings in the database.

Usage: python bench/citizens_under_load.py [--rows 100000] [--bad-rows 211000] [--seconds 5]
       [--concurrency 8] [--import-check] [--only-import] [--host 127.0.0.1]
       [--port 0 (a free one)]
Prints figures; it is not a pass/fail test.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import importlib.util
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rating.admin import auth  # noqa: E402
from rating.crypto import Keys  # noqa: E402
from rating.settings import Settings  # noqa: E402
from rating.store import make_store  # noqa: E402


def _load(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


ratings = _load("ratings")
workorders = _load("workorders")
SECRET = ratings.SECRET


ADMIN, PASSWORD = "bench-admin", "bench-password-123"
PAGE_LOADS = iter(range(10**9))  # one page load per rating, over all phases
PAGES_FROM = int(time.time() * 1000) - 120_000


class Citizens:
    """A steady citizen load; each request is one new person on one page load."""

    def __init__(self, url: str, tokens: list[str]) -> None:
        self.url, self.tokens, self.keys = url, tokens, Keys(SECRET)
        self.n = 0
        self.latencies: list[float] = []
        self.started: list[float] = []  # perf_counter at each request's start, in step
        self.failed: list[int] = []
        self.ok = 0
        self.amended = 0

    def body(self, comment: str = "") -> bytes:
        self.n = next(PAGE_LOADS)
        token = self.tokens[self.n % len(self.tokens)]
        stamp = self.keys.stamp(PAGES_FROM - self.n, token)
        body = {"token": token, "level": 5 if self.n % 10 else 1, "t": stamp}
        if comment:
            body["comment"] = comment
        return json.dumps(body).encode()

    async def one(self, client: httpx.AsyncClient, body: bytes) -> httpx.Response:
        client.cookies.clear()  # each rating from a new device: no amending
        headers = {
            "content-type": "application/json",
            "x-forwarded-for": f"10.{self.n % 250}.{(self.n // 250) % 250}.{self.n % 199 + 1}",
        }
        return await client.post(self.url + "/api/v1/ratings", content=body, headers=headers)

    async def run(self, client: httpx.AsyncClient, stop: asyncio.Event) -> None:
        while not stop.is_set():
            t0 = time.perf_counter()
            r = await self.one(client, self.body())
            self.latencies.append((time.perf_counter() - t0) * 1000)
            self.started.append(t0)
            if r.status_code == 201:
                self.ok += 1
            elif r.status_code == 200:
                self.amended += 1
            else:
                self.failed.append(r.status_code)
            await asyncio.sleep(0.01)

    def figures(self) -> tuple[float, float, int]:
        lat = sorted(self.latencies)
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else float("nan")
        return statistics.median(lat) if lat else float("nan"), p99, len(lat)


def _status(pid: int, key: str) -> float:
    """A memory figure of a process from /proc (MB), 0 once it has gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _children(pid: int) -> list[int]:
    try:
        kids = [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
    return kids + [g for k in kids for g in _children(k)]


class Memory:
    """Samples, every 50 ms, a process's RSS and the peak RSS (VmHWM) of its descendants
    (the server's import worker, or the import command itself)."""

    def __init__(self, pid: int) -> None:
        self.pid, self.rss_peak, self.child_peak = pid, 0.0, 0.0
        self.stop = asyncio.Event()

    async def run(self) -> None:
        while not self.stop.is_set():
            self.rss_peak = max(self.rss_peak, _status(self.pid, "VmRSS"))
            for kid in _children(self.pid):
                self.child_peak = max(self.child_peak, _status(kid, "VmHWM"))
            await asyncio.sleep(0.05)


async def add_admin(settings: Settings) -> None:
    store = make_store(settings)
    await store.open()
    try:
        hashed = auth.hash_password(PASSWORD)
        await store.write(auth.add_user, ADMIN, "admin", None, hashed, int(time.time() * 1000))
    finally:
        await store.close()


def write_bad_export(path: Path, n: int) -> None:
    """`n` work orders (GBK CSV, as a hotline system exports) whose every received time is
    impossible: each row is rejected with one error."""
    with path.open("w", encoding="gb18030", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["工单编号", "来电时间", "诉求类型", "诉求分类", "承办单位", "来电号码"])
        for i in range(n):
            w.writerow([f"GD2026{i:07d}", "2026年13月45日", "投诉", "户政管理", "胜利路派出所",
                        f"138{i:08d}"])  # fmt: skip


async def admin_login(admin: httpx.AsyncClient) -> str:
    """Log in as the admin; the upload form's CSRF token. (Before the measured phase: a
    login's scrypt takes 128 MiB of the server's memory for a moment, by design.)"""
    page = await admin.get("/admin/login")
    csrf = re.search(r'name="csrf" value="([^"]*)"', page.text)
    assert csrf, "no login form"
    r = await admin.post(
        "/admin/login", data={"csrf": csrf.group(1), "name": ADMIN, "password": PASSWORD}
    )
    assert r.status_code in (200, 303), r.status_code
    page = await admin.get("/admin/workorders")
    csrf = re.search(r'name="csrf" value="([^"]*)"', page.text)
    assert csrf, "no upload form"
    return csrf.group(1)


async def upload_bad(admin: httpx.AsyncClient, csrf: str, export: Path) -> tuple[int, str]:
    """Upload `export` with "skip bad rows" ticked: (status, errors the page did not list)."""
    with export.open("rb") as fh:
        r = await admin.post(
            "/admin/workorders/import",
            data={"csrf": csrf, "channel": "12345", "skip_bad": "1"},
            files={"file": (export.name, fh, "text/csv")},
        )
    found = re.search(r"另有 (\d+) 条错误未列出", r.text)
    return r.status_code, found.group(1) if found else "?"


async def phase(url: str, tokens: list[str], concurrency: int, during: Any) -> tuple[Citizens, Any]:
    citizens = Citizens(url, tokens)
    stop = asyncio.Event()
    limits = httpx.Limits(max_connections=concurrency + 8)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        workers = [asyncio.create_task(citizens.run(client, stop)) for _ in range(concurrency)]
        try:
            extra = await during(client, citizens)
        finally:
            stop.set()
            await asyncio.gather(*workers)
    return citizens, extra


async def main_async(args: argparse.Namespace, tmp: Path) -> None:
    database = Path(args.database) if args.database else tmp / "bench.db"
    settings = Settings.load(env={}, database=str(database), secret=SECRET)
    tokens = await ratings.seed(settings, 300)
    await add_admin(settings)
    (port,) = ratings.ports(args)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PINGJING_")}
    env.update(
        PINGJING_DATABASE=str(database),
        PINGJING_SECRET=SECRET,
        PINGJING_TRUSTED_PROXIES="127.0.0.1",
        PINGJING_RATE_LIMIT_NETWORK_PER_HOUR="1000000",
        PINGJING_RATE_LIMIT_DEVICE_PER_HOUR="1000000",
        PINGJING_LOG_LEVEL="error",
    )
    proc = ratings.start_server(env, port, host=args.host)
    url = f"http://{args.host}:{port}"
    try:

        async def idle(client: httpx.AsyncClient, c: Citizens) -> None:
            await asyncio.sleep(args.seconds)

        ref, _ = await phase(url, tokens, args.concurrency, idle)
        p50, p99, n = ref.figures()
        print(
            f"reference: {n} ratings, p50 {p50:.1f} ms, p99 {p99:.1f} ms, failed {len(ref.failed)}"
        )

        async def poison(client: httpx.AsyncClient, c: Citizens) -> dict[str, Any]:
            answers: dict[int, int] = {}
            health: dict[int, int] = {}
            end = time.perf_counter() + args.seconds
            sent = 0
            while time.perf_counter() < end or sent < args.poisoned:
                if sent < args.poisoned:
                    bad = "bad \ud800 text" if sent % 2 else "bad \x00 text"
                    r = await c.one(client, c.body(bad))
                    answers[r.status_code] = answers.get(r.status_code, 0) + 1
                    sent += 1
                h = await client.get(url + "/healthz")
                health[h.status_code] = health.get(h.status_code, 0) + 1
                await asyncio.sleep(0.005)
            return {"poisoned_answers": answers, "healthz": health}

        poisoned = Citizens(url, tokens)
        if not args.only_import:
            poisoned, extra = await phase(url, tokens, args.concurrency, poison)
            p50b, p99b, nb = poisoned.figures()
            print(
                f"poisoned: {nb} ordinary ratings, {len(poisoned.failed)} failed (goal 0); "
                f"poisoned requests answered {extra['poisoned_answers']}; "
                f"/healthz answered {extra['healthz']}; p99 {p99b:.1f} ms "
                f"({p99b / p99:.2f} x reference)"
            )

        export = tmp / "export.csv"
        t0 = time.perf_counter()
        rows = workorders.synthetic_rows(args.rows)
        if args.import_check:
            rows[-1][1] = "2026年13月45日"  # one impossible received time: nothing is stored
        workorders.write_csv(export, rows)
        del rows
        print(f"(export of {args.rows} rows written in {time.perf_counter() - t0:.1f} s)")

        async def import_(client: httpx.AsyncClient, c: Citizens) -> tuple[float, float]:
            # No `nice`: the command lowers the priority of its own parsing.
            exe = [sys.executable, "-m", "rating.cli"]
            skip = [] if args.import_check else ["--skip-bad"]
            start = time.perf_counter()
            log = tmp / "import.err"
            with log.open("wb") as errors:  # a file: a pipe left unread could fill up
                child = await asyncio.create_subprocess_exec(
                    *exe, "--database", str(database), "workorders", "import", str(export),
                    "--channel", "12345", *skip,
                    env=env, stdout=subprocess.DEVNULL, stderr=errors,
                )  # fmt: skip
            peak = 0.0
            while child.returncode is None:  # the command's own peak (VmHWM), while it runs
                peak = max(peak, _status(child.pid, "VmHWM"))
                await asyncio.sleep(0.05)
            await child.wait()
            err = log.read_bytes()
            if child.returncode != (1 if args.import_check else 0):
                print("import failed:", err.decode()[-500:])
            return time.perf_counter() - start, peak

        during, (took, peak) = await phase(url, tokens, args.concurrency, import_)
        p50c, p99c, nc = during.figures()
        what = "check (nothing written)" if args.import_check else "import"
        print(
            f"during a {args.rows}-row {what} ({took:.1f} s): {nc} ratings, p50 {p50c:.1f} ms "
            f"({p50c / p50:.2f} x reference), p99 {p99c:.1f} ms ({p99c / p99:.2f} x "
            f"reference), failed {len(during.failed)}; import process peak RSS {peak:.0f} MB"
        )

        up = Citizens(url, tokens)
        p99d = float("nan")
        if not args.only_import:
            up, p99d = await upload_phase(args, url, tokens, tmp, proc.pid, p50, p99)
        # The machine is shared: the citizens alone again, a second reference taken after.
        again, _ = await phase(url, tokens, args.concurrency, idle)
        p50e, p99e, ne = again.figures()
        print(
            f"reference again, after: {ne} ratings, p50 {p50e:.1f} ms, p99 {p99e:.1f} ms, failed "
            f"{len(again.failed)} (import p99 {p99c / p99e:.2f} x, upload p99 {p99d / p99e:.2f} x "
            "this one)"
        )
        stored = await ratings.count_ratings(settings)
        created = ref.ok + poisoned.ok + during.ok + up.ok + again.ok
        amended = ref.amended + poisoned.amended + during.amended + up.amended + again.amended
        print(f"201 replies {created}, ratings stored {stored} (must be equal); 200 {amended}")
    finally:
        ratings.stop_server(proc)


async def upload_phase(
    args: argparse.Namespace, url: str, tokens: list[str], tmp: Path, pid: int, p50: float,
    p99: float,
) -> tuple[Citizens, float]:  # fmt: skip
    """Phase 4: the citizens while an admin uploads --bad-rows bad rows."""
    bad = tmp / "bad-export.csv"
    write_bad_export(bad, args.bad_rows)
    mb = bad.stat().st_size / 2**20
    admin = httpx.AsyncClient(base_url=url, timeout=600)
    csrf = await admin_login(admin)
    await asyncio.sleep(2)
    before = _status(pid, "VmRSS")

    async def upload_(client: httpx.AsyncClient, c: Citizens) -> tuple[Any, ...]:
        memory = Memory(pid)
        sampler = asyncio.create_task(memory.run())
        start = time.perf_counter()
        status, more = await upload_bad(admin, csrf, bad)
        took = time.perf_counter() - start
        memory.stop.set()
        await sampler
        return status, more, took, memory

    up, (status, more, took, memory) = await phase(url, tokens, args.concurrency, upload_)
    await admin.aclose()
    await asyncio.sleep(2)
    after = _status(pid, "VmRSS")
    p50d, p99d, nd = up.figures()
    print(
        f"during the upload of {args.bad_rows} bad rows ({mb:.1f} MB, answered {status} "
        f"in {took:.1f} s, errors not listed: {more}): {nd} ratings, p50 {p50d:.1f} ms "
        f"({p50d / p50:.2f} x reference), p99 {p99d:.1f} ms ({p99d / p99:.2f} x "
        f"reference), failed {len(up.failed)}; import worker peak RSS "
        f"{memory.child_peak:.0f} MB; server RSS {before:.0f} MB before, "
        f"{memory.rss_peak:.0f} MB peak during, {after:.0f} MB 2 s after"
    )
    return up, p99d


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--poisoned", type=int, default=80)
    parser.add_argument("--bad-rows", type=int, default=211_000)
    parser.add_argument(
        "--import-check",
        action="store_true",
        help="the import phase reads and matches every row but writes none (its CPU alone)",
    )
    parser.add_argument(
        "--only-import",
        action="store_true",
        help="skip the poisoned and upload phases (reference, import, reference again)",
    )
    ratings.add_server_options(parser)
    ratings.add_database_option(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, ratings.sqlite_file(args.database):
        asyncio.run(main_async(args, Path(tmp)))


if __name__ == "__main__":
    main()

"""Rating throughput: the real server on 127.0.0.1 under wrk at 64 connections.

Starts `pingjing serve` (uvicorn + httptools + uvloop, one process) on a fresh SQLite
file with synchronous=FULL, then measures, in each of --rounds rounds (the figures quoted
are the medians; each round's ratio compares its own two runs),
  1. a no-op GET (/healthz) for comparison,
  2. POST /api/v1/ratings with every check on the path: JSON validation, form stamp and
     minimum human time, device cookie, keyed address hash, per-device and per-network
     rate limits, the amend window lookup, and a durable (fsync'd) batched commit.
Each request comes from its own device cookie, forwarded address and page load (a form
stamp of its own: a stamp sent twice would amend, not add) (the server trusts 127.0.0.1 as
its proxy, as behind nginx), so rate limits are counted but not hit. Levels
follow a realistic mix (70% 非常满意, 18% 满意, 6% 基本满意, 4% 不满意, 2% 非常不满意);
each dissatisfied rating also opens its follow-up case in the same transaction.
Afterwards the ratings in the database are counted and compared with the 2xx replies.

Usage: python bench/ratings.py [--seconds 10] [--connections 64] [--rounds 3]
                              [--preload 300000] [--host 127.0.0.1] [--port N]
                              [--database PATH]
Prints figures; it is not a pass/fail test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rating.crypto import Keys  # noqa: E402
from rating.settings import Settings  # noqa: E402
from rating.store import make_store  # noqa: E402
from rating.store.models import RosterRow  # noqa: E402
from rating.store.receipts import RECEIPT_KEY_SQL, codec_for  # noqa: E402

SECRET = "bench-secret-not-for-production"

LUA = r"""
-- (token, form stamp) pairs, one per request: each request is a page load of its own, as
-- each citizen's is (a stamp makes one rating; the same stamp again would amend it).
local pairs_ = {}
for line in io.lines({STAMPS}) do
  local token, stamp = line:match("^(%S+) (%S+)$")
  pairs_[#pairs_ + 1] = {token, stamp}
end
local chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
math.randomseed(os.time() + math.floor(os.clock() * 1000000))
local function rnd(n)
  local t = {}
  for i = 1, n do local k = math.random(1, #chars); t[i] = chars:sub(k, k) end
  return table.concat(t)
end
-- Every request is a new device: a random prefix for this run and a counter. Cheaper for
-- wrk than drawing 22 random characters per request (wrk shares the cores with the
-- server), and just as new to the server, which stores only a keyed hash of the cookie.
local device_prefix = "pj_dev=" .. rnd(12)
local n = 0
request = function()
  n = n + 1
  local p = pairs_[(n - 1) % #pairs_ + 1]
  -- A realistic mix (about 6% dissatisfied, each opening a case), not uniform levels.
  local x = math.random(1, 100)
  local level = 5
  if x > 70 then level = 4 end
  if x > 88 then level = 3 end
  if x > 94 then level = 2 end
  if x > 98 then level = 1 end
  local body = '{"token":"' .. p[1] .. '","t":"' .. p[2] .. '","level":' .. level
  if level <= 2 then body = body .. ',"reasons":["attitude"],"comment":"等了很久"' end
  body = body .. '}'
  local r = math.random
  local ip = "10." .. r(0, 255) .. "." .. r(0, 255) .. "." .. r(1, 254)
  local headers = {}
  headers["Content-Type"] = "application/json"
  headers["Cookie"] = device_prefix .. string.format("%010d", n)
  headers["X-Forwarded-For"] = ip
  return wrk.format("POST", "/api/v1/ratings", headers, body)
end
"""


@dataclass
class WrkResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    errors: str


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ms(value: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", value)
    if not m:
        return float("nan")
    n = float(m.group(1))
    return {"us": n / 1000, "ms": n, "s": n * 1000}[m.group(2)]


def run_wrk(url: str, seconds: int, connections: int, script: Path | None = None) -> WrkResult:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    if script:
        cmd += ["-s", str(script)]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    # Anchor at line start: "87.50%" in the Stdev column also contains "50%".
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errs = re.search(r"Socket errors:.*", out)
    return WrkResult(
        rps, p50, p99, total, int(non.group(1)) if non else 0, errs.group(0) if errs else ""
    )


async def seed(settings: Settings, officers: int) -> list[str]:
    store = make_store(settings)
    await store.open()
    try:
        rows = [
            RosterRow(
                i + 2,
                f"{300000 + i}",
                f"民警{i}",
                f"张家口市公安局/分局{i % 8}/派出所{i % 40}",
                "police",
            )
            for i in range(officers)
        ]
        result = await store.import_roster(rows)
        assert not result.errors, result.errors
        return [o.token for o in await store.list_officers() if o.token]
    finally:
        await store.close()


def _past_ratings(
    count: int, officers: list[tuple[int, int, str]], codec: Any, first: int
) -> list[tuple[Any, ...]]:
    rng = random.Random(7)
    now = int(time.time() * 1000)
    day = 86_400_000
    rows = []
    for i in range(count):
        officer_id, unit_id, token = rng.choice(officers)
        at = now - 3_600_000 - rng.randrange(60 * day)
        level = rng.choices((5, 4, 3, 2, 1), (70, 18, 6, 4, 2))[0]
        recent = at > now - day
        rows.append(
            (
                first + i,
                codec.encode(first + i),
                officer_id,
                unit_id,
                token,
                "badge",
                level,
                "attitude" if level <= 2 else "",
                "",
                f"{rng.getrandbits(128):032x}" if recent else None,
                f"{rng.getrandbits(128):032x}" if recent else None,
                "zh",
                at,
                at,
            )
        )
    return rows


_PRELOAD_COLUMNS = (
    "id, receipt, officer_id, unit_id, token, channel, level, reasons, comment, device_hash, "
    "network_hash, lang, created_at, updated_at"
)
_OFFICERS_SQL = (
    "SELECT o.id, o.unit_id, t.token FROM officers o JOIN badge_tokens t ON t.officer_id = o.id"
)


def preload(database: str, count: int) -> None:
    """Fill the database (a SQLite file or a postgresql:// URL) with `count` past ratings
    (the last 60 days, none in the last hour), as a city's database holds: inserts into
    big indexes cost more than into the empty ones of a fresh file. Ratings older than a
    day carry no device or network hash, as the purge leaves them."""
    if database.startswith(("postgresql://", "postgres://")):
        import psycopg

        with psycopg.connect(database) as pg:
            officers = pg.execute(_OFFICERS_SQL).fetchall()
            key = pg.execute(RECEIPT_KEY_SQL).fetchone()
            first = pg.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM ratings").fetchone()
            assert key is not None and first is not None
            rows = _past_ratings(count, officers, codec_for(key[0]), int(first[0]))
            with pg.cursor().copy(f"COPY ratings ({_PRELOAD_COLUMNS}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            # Move the identity past the ids given here, as real inserts would.
            pg.execute(
                "SELECT setval(pg_get_serial_sequence('ratings', 'id'), "
                "(SELECT MAX(id) FROM ratings))"
            )
            pg.execute("ANALYZE ratings")
        return
    conn = sqlite3.connect(database)
    try:
        officers = conn.execute(_OFFICERS_SQL).fetchall()
        codec = codec_for(conn.execute(RECEIPT_KEY_SQL).fetchone()[0])
        first = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM ratings").fetchone()[0]
        rows = _past_ratings(count, officers, codec, first)
        with conn:
            conn.executemany(
                f"INSERT INTO ratings ({_PRELOAD_COLUMNS}) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


async def count_ratings(settings: Settings) -> int:
    store = make_store(settings)
    await store.open()
    try:
        return await store.count_ratings()
    finally:
        await store.close()


def start_server(
    env: dict[str, str], port: int, workers: int = 1, host: str = "127.0.0.1"
) -> subprocess.Popen[bytes]:
    exe = shutil.which("pingjing", path=str(Path(sys.executable).parent)) or "pingjing"
    cmd = [exe, "serve", "--host", host, "--port", str(port)]
    if workers > 1:
        cmd += ["--workers", str(workers)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=1) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(
        "server did not start: " + (proc.stderr.read().decode() if proc.stderr else "")
    )


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# Fresh stamps written for each wrk run: more than any server here answers in a second, so
# no stamp is sent twice (which would measure amendments of a few rows, not new ratings).
STAMPS_PER_SECOND = 15_000


def stamps_of(script: Path) -> Path:
    return script.with_suffix(".stamps")


def write_stamps(script: Path, tokens: list[str], seconds: float) -> None:
    """A fresh (token, stamp) line for each request of a `seconds` run of `script`."""
    keys = Keys(SECRET)
    count = max(1000, int(seconds * STAMPS_PER_SECOND))
    # Pages loaded one after another over the two minutes before the run, as people's
    # are: stamps begin with the page's time, so they go into the stamp index in about
    # time order, as in life (one shared time would scatter them over the index).
    first_ms = int((time.time() - 180) * 1000)
    rng = random.Random()
    with stamps_of(script).open("w", encoding="ascii") as out:
        for i in range(count):
            token = rng.choice(tokens)
            out.write(f"{token} {keys.stamp(first_ms + i * 120_000 // count, token)}\n")


def write_lua(path: Path, tokens: list[str], seconds: float = 1) -> None:
    """The wrk script posting ratings, with stamps for a `seconds` run (call
    `write_stamps` again before each further run)."""
    write_stamps(path, tokens, seconds)
    path.write_text(LUA.replace("{STAMPS}", json.dumps(str(stamps_of(path)))), encoding="utf-8")


def prepare(database: str, label: str, preloaded: int = 0) -> list[str]:
    """Seed officers (and `preloaded` past ratings) into `database`; the badge tokens."""
    settings = Settings.load(env={}, database=database, secret=SECRET)
    tokens = asyncio.run(seed(settings, 500))
    if preloaded:
        started = time.perf_counter()
        preload(database, preloaded)
        print(
            f"[{label}] preloaded {preloaded:,} past ratings in "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )
    return tokens


@dataclass
class Serving:
    """A running `pingjing serve` with its wrk script, and what it answered so far."""

    database: str
    label: str
    base: str
    script: Path
    tokens: list[str]
    before: int
    rounds: list[tuple[WrkResult, WrkResult]]

    def measure(self, seconds: int, connections: int) -> tuple[WrkResult, WrkResult]:
        """One round: the no-op GET, then the rating POST, a few seconds apart."""
        write_stamps(self.script, self.tokens, seconds)
        get = run_wrk(self.base + "/healthz", seconds, connections)
        post = run_wrk(self.base + "/api/v1/ratings", seconds, connections, self.script)
        self.rounds.append((get, post))
        print(
            f"[{self.label}] round {len(self.rounds)}: no-op GET /healthz "
            f"{get.requests_per_s:,.0f} req/s (p99 {get.p99_ms:.2f} ms); POST /api/v1/ratings "
            f"{post.requests_per_s:,.0f} ratings/s (p50 {post.p50_ms:.2f} ms, "
            f"p99 {post.p99_ms:.2f} ms), {post.non_2xx} non-2xx {post.errors}; "
            f"ratio {post.requests_per_s / get.requests_per_s:.2f}",
            flush=True,
        )
        return get, post


@contextmanager
def serving(
    database: str,
    tokens: list[str],
    env_extra: dict[str, str],
    *,
    label: str,
    workers: int = 1,
    host: str = "127.0.0.1",
    port: int = 0,
) -> Iterator[Serving]:
    """`pingjing serve` on `database` at host:port (a free port if 0), warmed up."""
    work = Path(tempfile.mkdtemp(prefix="pj-bench-"))
    try:
        script = work / "ratings.lua"
        write_lua(script, tokens)
        port = port or free_port()
        env = dict(os.environ)
        env.update(
            {
                "PINGJING_DATABASE": database,
                "PINGJING_SECRET": SECRET,
                "PINGJING_TRUSTED_PROXIES": "127.0.0.1",
                "PINGJING_LOG_LEVEL": "warning",
                **env_extra,
            }
        )
        settings = Settings.load(env={}, database=database, secret=SECRET)
        before = asyncio.run(count_ratings(settings))
        proc = start_server(env, port, workers, host)
        try:
            base = f"http://{host}:{port}"
            run_wrk(base + "/healthz", 2, 64)  # warm up
            yield Serving(database, label, base, script, tokens, before, [])
        finally:
            stop_server(proc)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def summarise(run: Serving) -> dict[str, float]:
    """The median figures of a server's rounds, checked against the rows stored."""
    settings = Settings.load(env={}, database=run.database, secret=SECRET)
    stored = asyncio.run(count_ratings(settings)) - run.before
    rounds_ = run.rounds
    ok = sum(post.requests - post.non_2xx for _, post in rounds_)
    figures = {
        "get_rps": statistics.median(g.requests_per_s for g, _ in rounds_),
        "post_rps": statistics.median(p.requests_per_s for _, p in rounds_),
        "ratio": statistics.median(p.requests_per_s / g.requests_per_s for g, p in rounds_),
        "p50_ms": statistics.median(p.p50_ms for _, p in rounds_),
        "p99_ms": statistics.median(p.p99_ms for _, p in rounds_),
        "stored": stored,
        "ok": ok,
    }
    n = len(rounds_)
    of = f"median of {n} rounds" if n > 1 else "1 round"
    tag = f"[{run.label}]"
    print(f"{tag} no-op GET /healthz: {figures['get_rps']:,.0f} req/s ({of})")
    print(
        f"{tag} POST /api/v1/ratings: {figures['post_rps']:,.0f} ratings/s "
        f"(p50 {figures['p50_ms']:.2f} ms, p99 {figures['p99_ms']:.2f} ms; {of}); "
        f"{ok:,} answered 2xx, {stored:,} rows stored"
    )
    print(f"{tag} ratings/s ÷ GET/s = {figures['ratio']:.2f} ({of})")
    if stored < ok:
        print(f"!! {ok - stored} ratings answered 2xx but not stored", file=sys.stderr)
    return figures


def bench_server(
    database: str,
    env_extra: dict[str, str],
    seconds: int,
    connections: int,
    workers: int = 1,
    label: str = "sqlite",
    rounds: int = 1,
    preloaded: int = 0,
    host: str = "127.0.0.1",
    port: int = 0,
) -> dict[str, float]:
    """Seed, serve, measure GET and rating POST `rounds` times; return the median figures."""
    tokens = prepare(database, label, preloaded)
    label = f"{label}, {workers} worker(s)"
    with serving(
        database, tokens, env_extra, label=label, workers=workers, host=host, port=port
    ) as run:
        for _ in range(rounds):
            run.measure(seconds, connections)
    return summarise(run)


def add_server_options(parser: argparse.ArgumentParser, servers: int = 1) -> None:
    """--host and --port, as every benchmark that starts `pingjing serve` takes them."""
    parser.add_argument("--host", default="127.0.0.1", help="address the server listens on")
    more = f" (its {servers} servers: PORT to PORT+{servers - 1})" if servers > 1 else ""
    parser.add_argument(
        "--port",
        type=int,
        default=0,
        help=f"port the server listens on{more} (default: a free one)",
    )


def ports(args: argparse.Namespace, count: int = 1) -> list[int]:
    """`count` consecutive ports from --port, or free ones."""
    if args.port:
        return [args.port + i for i in range(count)]
    return [free_port() for _ in range(count)]


def add_database_option(parser: argparse.ArgumentParser, what: str = "") -> None:
    """--database, as every benchmark that builds a SQLite database takes it."""
    parser.add_argument(
        "--database",
        metavar="PATH",
        help=f"SQLite file to create for the run{what}; it must not exist yet and is removed "
        "afterwards (default: a temporary one)",
    )


def parse_args(
    doc: str, extra: Sequence[tuple[str, str]] = (), argv: Sequence[str] | None = None
) -> argparse.Namespace:
    """The load options every rating benchmark takes (and `extra` (name, help) string
    options); stops early without wrk."""
    parser = argparse.ArgumentParser(
        description=doc.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument(
        "--rounds", type=int, default=3, help="GET + POST measurements on one server (median)"
    )
    parser.add_argument(
        "--preload",
        type=int,
        default=300_000,
        help="past ratings in each database before measuring (a city's 7 weeks)",
    )
    add_server_options(parser)
    for name, help_ in extra:
        parser.add_argument(name, help=help_)
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: run scripts/setup-system (apt-get install wrk)")
    return args


@contextmanager
def sqlite_file(path: str | None) -> Iterator[str]:
    """`path` if given (a fresh file there: it must not exist yet), else a file in a
    folder of our own that goes afterwards."""
    if path:
        if Path(path).exists():
            raise SystemExit(f"{path} exists: give a new file for the benchmark database")
        try:
            yield path
        finally:
            for suffix in ("", "-wal", "-shm", ".secret"):
                Path(path + suffix).unlink(missing_ok=True)
        return
    tmp = Path(tempfile.mkdtemp(prefix="pj-bench-db-"))
    try:
        yield str(tmp / "bench.db")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    args = parse_args(
        __doc__ or "",
        [("--database", "SQLite file to create for the run (default: a temporary one)")],
    )
    with sqlite_file(args.database) as path:
        bench_server(
            path,
            {"PINGJING_SQLITE_SYNCHRONOUS": "FULL"},
            args.seconds,
            args.connections,
            rounds=args.rounds,
            preloaded=args.preload,
            host=args.host,
            port=args.port,
        )


if __name__ == "__main__":
    main()

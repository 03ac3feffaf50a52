"""一键派发 at city scale: the dispatch action's latency on the real server (SQLite).

Builds a database the size of a city bureau's year (12,000 officers, 2.3 million ratings,
60,000 cases of which a share are letters waiting to be dispatched; --scale shrinks it),
starts `pingjing serve` on 127.0.0.1 and measures, one request at a time from one client:
  1. GET /healthz (a no-op) for reference, and
  2. POST /api/v1/cases/{id}/dispatch with an API token: the state table, the unit and
     scope checks, the SLA due time, the audit entry and history snapshot, the letter's
     status, and the durable commit;
printed as p50/p99 in ms and the p99 as a ratio to the no-op GET's p99 in the same run.
Then the same for a bulk dispatch of 50 cases (POST /api/v1/dispatch).

Usage: python bench/dispatch.py [--scale 1.0] [--requests 400]
Prints figures; it is not a pass/fail test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ratings import (  # noqa: E402
    SECRET,
    add_database_option,
    add_server_options,
    ports,
    sqlite_file,
    start_server,
    stop_server,
)

from rating.admin import auth  # noqa: E402
from rating.clock import now_ms  # noqa: E402
from rating.settings import Settings  # noqa: E402
from rating.store import make_store  # noqa: E402

DAY = 86_400_000


def build(database: str, scale: float, waiting: int) -> None:
    """The city's year in SQL: units, officers, ratings, cases (a few states each)."""
    officers = max(100, int(12_000 * scale))
    ratings = max(1000, int(2_300_000 * scale))
    cases = max(waiting, int(60_000 * scale))
    now = now_ms()
    conn = sqlite3.connect(database)
    with conn:
        conn.execute(
            "INSERT INTO units (id, code, name, parent_id, path, depth, created_at) "
            "VALUES (1, 'CITY', '市局', NULL, '市局', 0, 0)"
        )
        conn.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 120) "
            "INSERT INTO units (id, code, name, parent_id, path, depth, created_at) "
            "SELECT 1 + i, 'U' || i, '所' || i, 1, '市局/所' || i, 1, 0 FROM n"
        )
        conn.execute(
            f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {officers}) "
            "INSERT INTO officers (id, badge_no, name, unit_id, kind, created_at, updated_at) "
            "SELECT i, printf('%06d', i), '警' || i, 2 + i % 120, 'police', 0, 0 FROM n"
        )
        conn.execute(
            f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {ratings}) "
            "INSERT INTO ratings (id, receipt, officer_id, unit_id, token, channel, level, "
            "created_at, updated_at) SELECT i, printf('R%011d', i), 1 + i % ?, "
            "2 + (1 + i % ?) % 120, 'T', 'web', 1 + i % 5, ? - i * 13, ? - i * 13 FROM n",
            (officers, officers, now, now),
        )
        # Letters and their cases: `waiting` accepted (to dispatch), the rest spread over
        # the later states; every case has a step clock.
        conn.execute(
            f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {cases}) "
            "INSERT INTO letters (id, receipt, unit_id, category, body, status, created_at, "
            "updated_at) SELECT i, printf('L%011d', i), 2 + i % 120, '投诉', '来信内容', "
            "'accepted', ? - i * 500, ? - i * 500 FROM n",
            (now, now),
        )
        conn.execute(
            f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {cases}) "
            "INSERT INTO cases (id, source, source_id, unit_id, state, opened_at, "
            "callback_due_at, category, sla_class, sla_due_at, accepted_at, step_due_at, "
            "notify_state, updated_at) SELECT i, 'letter', i, 2 + i % 120, "
            "CASE WHEN i <= ? THEN 'accepted' ELSE "
            "(CASE i % 4 WHEN 0 THEN 'dispatched' WHEN 1 THEN 'replied' WHEN 2 THEN 'closed' "
            "ELSE 'called_back' END) END, ? - i * 500, ? + 7 * ?, '投诉', 'other', "
            "? + 7 * ?, ? - i * 500, ? + ?, 'skipped', ? FROM n",
            (waiting, now, now, DAY, now, DAY, now, now, DAY, now),
        )
    conn.close()


async def prepare(database: str) -> str:
    """Migrate, add the centre's admin and its API token."""
    store = make_store(Settings.load(env={}, database=database, secret=SECRET), one_shot=True)
    await store.open()
    try:
        pw = auth.hash_password("bench-password-long-enough")
        await store.write(auth.add_user, "centre", "admin", None, pw, now_ms())
        token: str = await store.write(auth.new_api_token, "centre", "bench", now_ms())
        return token
    finally:
        await store.close()


async def migrate(database: str) -> None:
    store = make_store(Settings.load(env={}, database=database, secret=SECRET), one_shot=True)
    await store.open()
    await store.close()


def timed(request: urllib.request.Request) -> float:
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as r:  # noqa: S310 - http://127.0.0.1
        r.read()
        assert r.status == 200, r.status
    return (time.perf_counter() - start) * 1000


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="share of a city's year")
    parser.add_argument("--requests", type=int, default=400, help="single dispatches timed")
    add_server_options(parser)
    add_database_option(parser)
    args = parser.parse_args(argv)
    bulk, rounds = 50, 10
    with sqlite_file(args.database) as db:
        asyncio.run(migrate(db))
        started = time.perf_counter()
        build(db, args.scale, args.requests + bulk * rounds)
        token = asyncio.run(prepare(db))
        print(f"database built in {time.perf_counter() - started:.0f} s (scale {args.scale})")
        env = dict(os.environ)
        env.update({"PINGJING_SECRET": SECRET, "PINGJING_LOG_LEVEL": "warning",
                    "PINGJING_DATABASE": db})  # fmt: skip
        [port] = ports(args)
        proc = start_server(env, port, host=args.host)
        try:
            base = f"http://{args.host}:{port}"
            headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}

            def post(path: str, body: dict[str, object]) -> urllib.request.Request:
                data = json.dumps(body).encode()
                return urllib.request.Request(base + path, data, headers, method="POST")  # noqa: S310

            health = urllib.request.Request(base + "/healthz")  # noqa: S310 - http://127.0.0.1
            for _ in range(50):  # warm up
                timed(health)
            noop, single, many = [], [], []
            for i in range(1, args.requests + 1):
                noop.append(timed(health))
                single.append(
                    timed(post(f"/api/v1/cases/{i}/dispatch", {"unit": f"U{i % 120 + 1}"}))
                )
            for r in range(rounds):
                first = args.requests + 1 + r * bulk
                ids = list(range(first, first + bulk))
                many.append(timed(post("/api/v1/dispatch", {"ids": ids, "unit": "U7"})))
        finally:
            stop_server(proc)
        with sqlite3.connect(db) as conn:
            done = conn.execute("SELECT COUNT(*) FROM cases WHERE state = 'dispatched' "
                                "AND dispatched_at IS NOT NULL").fetchone()[0]  # fmt: skip
    ref = pct(noop, 0.99)
    print(f"no-op GET /healthz: p50 {pct(noop, 0.5):.1f} ms, p99 {ref:.1f} ms")
    print(
        f"dispatch (one case): p50 {pct(single, 0.5):.1f} ms, p99 {pct(single, 0.99):.1f} ms "
        f"= {pct(single, 0.99) / ref:.1f} x the no-op GET's p99 ({len(single)} requests)"
    )
    print(
        f"dispatch ({bulk} cases at once): p50 {pct(many, 0.5):.1f} ms, "
        f"max {max(many):.1f} ms ({len(many)} requests); {done} cases dispatched in all"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

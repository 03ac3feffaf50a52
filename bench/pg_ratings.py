"""Rating throughput on PostgreSQL with 1 and 2 worker processes, beside SQLite, in one run.

The measurement is bench/ratings.py's (`pingjing serve` on 127.0.0.1, wrk with a Lua script
at 64 connections posting to /api/v1/ratings, every check on the path, each request from
its own device cookie and forwarded address); this script only runs it three times:
  1. SQLite (synchronous=FULL), one process: the default deployment;
  2. PostgreSQL, `pingjing serve --workers 1`;
  3. PostgreSQL, `pingjing serve --workers 2` (two processes, one port, one database:
     what several instances behind nginx do, on one machine).
Each PostgreSQL run gets a database of its own, created here and dropped afterwards. The
server is named by PINGJING_BENCH_POSTGRES (a maintenance database URL, default
postgresql://postgres@127.0.0.1:5432/postgres).

Usage: python bench/pg_ratings.py [--seconds 10] [--connections 64]
Prints figures; it is not a pass/fail test. On a 2-core machine wrk, the app and the
database server share the cores, so the figures are lower bounds.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import psycopg  # noqa: E402
import ratings  # noqa: E402  (bench/ratings.py: the SQLite benchmark and its driver)
from psycopg import sql  # noqa: E402

ADMIN_URL = os.environ.get(
    "PINGJING_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def fresh_database() -> Iterator[str]:
    name = f"pingjing_bench_{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(
            sql.SQL(
                "CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
            ).format(sql.Identifier(name))
        )
    try:
        yield urlunsplit(urlsplit(ADMIN_URL)._replace(path="/" + name))
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def main() -> int:
    args = ratings.parse_args(__doc__ or "")
    try:
        with psycopg.connect(ADMIN_URL, connect_timeout=5):
            pass
    except psycopg.OperationalError as exc:
        print(f"PostgreSQL not reachable at {ADMIN_URL}: {exc}", file=sys.stderr)
        return 1

    figures: list[tuple[str, dict[str, float]]] = []
    tmp = Path(tempfile.mkdtemp(prefix="pj-bench-db-"))
    try:
        sqlite_run = ratings.bench_server(
            str(tmp / "bench.db"),
            {"PINGJING_SQLITE_SYNCHRONOUS": "FULL"},
            args.seconds,
            args.connections,
            label="sqlite",
        )
        figures.append(("SQLite (FULL), 1 process", sqlite_run))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for workers in (1, 2):
        with fresh_database() as url:
            run = ratings.bench_server(
                url, {}, args.seconds, args.connections, workers=workers, label="postgresql"
            )
        figures.append((f"PostgreSQL, {workers} worker process{'es' if workers > 1 else ''}", run))

    print()
    print(
        f"Rating throughput: POST /api/v1/ratings, {args.connections} connections, "
        f"{args.seconds} s each; every 2xx durably committed"
    )
    print(f"{'':34} {'ratings/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'GET/s':>9} {'stored':>8}")
    for label, f in figures:
        print(
            f"{label:34} {f['post_rps']:>10,.0f} {f['p50_ms']:>8.2f} {f['p99_ms']:>8.2f} "
            f"{f['get_rps']:>9,.0f} {int(f['stored']):>8,}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

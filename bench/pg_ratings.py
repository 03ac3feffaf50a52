"""Rating throughput on PostgreSQL (1 and 2 worker processes) beside SQLite and a pgbench
reference, measured round by round in one run.

The measurement is bench/ratings.py's (`pingjing serve`, wrk with a Lua script at 64
connections posting to /api/v1/ratings, every check on the path, each request from its own
device cookie and forwarded address). Three servers run side by side:
  1. SQLite (synchronous=FULL), one process: the default deployment;
  2. PostgreSQL, `pingjing serve --workers 1`;
  3. PostgreSQL, `pingjing serve --workers 2` (two processes, one port, one database:
     what several instances behind nginx do, on one machine);
and the reference: `pgbench` inserting single-row transactions (synchronous_commit on) at
the same number of clients into a table of its own, the database's own speed on this box.
Each round measures all four back to back, so each round's ratios (PostgreSQL ÷ SQLite,
PostgreSQL ÷ pgbench) compare runs seconds apart on a machine whose speed drifts; the
figures quoted are the medians of the rounds.

Each PostgreSQL server gets a database of its own, created here and dropped afterwards
(named from --database); the SQLite file lives in a temporary folder unless --sqlite names
one. The PostgreSQL server is named by --postgres (a maintenance database URL; default
PINGJING_BENCH_POSTGRES or postgresql://postgres@127.0.0.1:5432/postgres). With --port N
the servers listen on N, N+1 and N+2.

Prints figures; it is not a pass/fail test. On a 2-core machine wrk, the app and the
database server share the cores, so the figures are lower bounds.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import psycopg  # noqa: E402
import ratings  # noqa: E402  (bench/ratings.py: the SQLite benchmark and its driver)
from psycopg import sql  # noqa: E402

DEFAULT_ADMIN_URL = os.environ.get(
    "PINGJING_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
PGBENCH_SCRIPT = "\\set v random(1, 1000000)\nINSERT INTO bench_ref (v, at) VALUES (:v, now());\n"


@contextmanager
def fresh_database(admin_url: str, name: str) -> Iterator[str]:
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(
            sql.SQL(
                "CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
            ).format(sql.Identifier(name))
        )
    try:
        yield urlunsplit(urlsplit(admin_url)._replace(path="/" + name))
    finally:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def pgbench(url: str, seconds: int, clients: int, script: Path) -> float:
    """Single-row insert transactions per second, as pgbench reports them."""
    cmd = ["pgbench", "-n", "-c", str(clients), "-j", "2", "-T", str(seconds), "-f", str(script)]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    m = re.search(r"tps = ([\d.]+)", out)
    if not m:
        raise SystemExit(f"cannot read pgbench's output:\n{out}")
    return float(m.group(1))


def main() -> int:
    args = ratings.parse_args(
        __doc__ or "",
        [
            ("--postgres", "maintenance database URL of the PostgreSQL server"),
            ("--database", "base name of the PostgreSQL databases to create (and drop)"),
            ("--sqlite", "SQLite file to create for the run (default: a temporary one)"),
        ],
    )
    admin_url = args.postgres or DEFAULT_ADMIN_URL
    if not shutil.which("pgbench"):
        print("pgbench is not installed (Debian: postgresql-contrib)", file=sys.stderr)
        return 1
    try:
        with psycopg.connect(admin_url, connect_timeout=5):
            pass
    except psycopg.OperationalError as exc:
        print(f"PostgreSQL not reachable at {admin_url}: {exc}", file=sys.stderr)
        return 1
    base = args.database or f"pingjing_bench_{os.getpid()}_{secrets.token_hex(3)}"
    port = args.port
    with ExitStack() as stack:
        sqlite_path = stack.enter_context(ratings.sqlite_file(args.sqlite))
        pg_urls = [stack.enter_context(fresh_database(admin_url, f"{base}_w{n}")) for n in (1, 2)]
        tokens = ratings.prepare(sqlite_path, "sqlite", args.preload)
        pg_tokens = [ratings.prepare(url, "postgresql", args.preload) for url in pg_urls]
        with psycopg.connect(pg_urls[0], autocommit=True) as conn:
            conn.execute("CREATE TABLE bench_ref (id BIGSERIAL PRIMARY KEY, v INT, at TIMESTAMPTZ)")
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pj-bench-")))
        script = work / "insert.sql"
        script.write_text(PGBENCH_SCRIPT, encoding="utf-8")

        def serve(database: str, toks: list[str], label: str, workers: int, env: dict[str, str]):  # type: ignore[no-untyped-def]
            nonlocal port
            run = stack.enter_context(
                ratings.serving(
                    database, toks, env, label=label, workers=workers, host=args.host, port=port
                )
            )
            port = port + 1 if port else 0
            return run

        sqlite_run = serve(sqlite_path, tokens, "SQLite (FULL), 1 process", 1, {
            "PINGJING_SQLITE_SYNCHRONOUS": "FULL"
        })  # fmt: skip
        pg_runs = [
            serve(url, toks, f"PostgreSQL, {n} worker process{'es' if n > 1 else ''}", n, {})
            for n, url, toks in zip((1, 2), pg_urls, pg_tokens, strict=True)
        ]
        refs: list[float] = []
        for i in range(1, args.rounds + 1):
            sqlite_run.measure(args.seconds, args.connections)
            for run in pg_runs:
                run.measure(args.seconds, args.connections)
            refs.append(pgbench(pg_urls[0], args.seconds, args.connections, script))
            print(f"[pgbench] round {i}: {refs[-1]:,.0f} single-row inserts/s", flush=True)
        figures = [(r.label, ratings.summarise(r), r) for r in (sqlite_run, *pg_runs)]

    def per_round(run: ratings.Serving, ref: list[float]) -> list[float]:
        return [post.requests_per_s / r for (_, post), r in zip(run.rounds, ref, strict=True)]

    sqlite_rps = [post.requests_per_s for _, post in sqlite_run.rounds]
    n = args.rounds
    of = f"median of {n} rounds" if n > 1 else "1 round"
    print()
    print(
        f"Rating throughput: POST /api/v1/ratings, {args.connections} connections, "
        f"{args.seconds} s each, {args.preload:,} past ratings preloaded; every 2xx durably "
        f"committed ({of})"
    )
    print(
        f"{'':34} {'ratings/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'GET/s':>9} {'stored':>8} "
        f"{'÷ SQLite':>9} {'÷ pgbench':>10}"
    )
    for label, f, run in figures:
        vs_sqlite = statistics.median(per_round(run, sqlite_rps))
        vs_ref = statistics.median(per_round(run, refs))
        print(
            f"{label:34} {f['post_rps']:>10,.0f} {f['p50_ms']:>8.2f} {f['p99_ms']:>8.2f} "
            f"{f['get_rps']:>9,.0f} {int(f['stored']):>8,} {vs_sqlite:>9.2f} {vs_ref:>10.3f}"
        )
    print(
        f"{'pgbench, single-row inserts':34} {statistics.median(refs):>10,.0f} "
        f"{'':>8} {'':>8} {'':>9} {'':>8} {'':>9} {1:>10.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

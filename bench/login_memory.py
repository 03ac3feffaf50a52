"""Memory of one worst-case login request (issue 14, item 5).

Before the body caps, `POST /admin/login` with 990 fields of 1 MB each raised the server's
memory by about 1 GB per request (Starlette caps a field, not the form). Here the app runs
in this process behind httpx's ASGI transport and the flood is streamed (the client never
holds it); tracemalloc records the peak of Python allocations while the server handles
it, next to the peak of an ordinary login measured in the same run.

Run: .venv/bin/python bench/login_memory.py
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ratings import add_database_option, sqlite_file  # noqa: E402

from rating.app import create_app  # noqa: E402
from rating.settings import Settings  # noqa: E402

MB = 1024 * 1024
FIELDS = 990


async def flood() -> AsyncIterator[bytes]:
    chunk = b"x" * MB
    for i in range(FIELDS):
        yield f"f{i}=".encode() + chunk + b"&"


async def peak_of(client: httpx.AsyncClient, **request: object) -> tuple[int, int]:
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    r = await client.post("/admin/login", **request)  # type: ignore[arg-type]
    return r.status_code, tracemalloc.get_traced_memory()[1] - base


async def main(database: str | None) -> None:
    with sqlite_file(database) as path:
        settings = Settings.load(
            env={},
            database=path,
            secret="bench-secret-not-for-prod",  # noqa: S106 (a throwaway database)
        )
        app = create_app(settings)
        async with LifespanManager(app) as manager:
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as c:
                tracemalloc.start()
                form = {"content-type": "application/x-www-form-urlencoded"}
                ok_status, ordinary = await peak_of(
                    c, content=b"csrf=x&name=admin&password=wrong", headers=form
                )
                status, worst = await peak_of(c, content=flood(), headers=form)
                tracemalloc.stop()
    print(f"ordinary login ({ok_status}): peak {ordinary / 1024:.0f} KiB (reference)")
    print(
        f"worst-case login, {FIELDS} fields x 1 MB streamed ({status}): peak "
        f"{worst / 1024:.0f} KiB = {worst / max(ordinary, 1):.2f} x the ordinary login "
        f"(the body offered: {FIELDS * (MB + 6) / MB:.0f} MB)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="The app runs in this process (no server, no port).",
    )
    add_database_option(parser)
    asyncio.run(main(parser.parse_args().database))

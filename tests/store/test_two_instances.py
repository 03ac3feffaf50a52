"""Two real `pingjing serve` processes on one fresh PostgreSQL database.

They start together (so they race to migrate), share PINGJING_SECRET, and are driven
concurrently over HTTP. One matter gets one rating however the requests are spread, the
device and network limits hold across both, and receipts are unique: the database
enforces it, not either process's memory.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from rating.crypto import Keys
from rating.store.models import RosterRow
from rating.store.postgres import PostgresStore
from tests import polling
from tests.shifted_clock import seconds_to_next_hour
from tests.store.conftest import LIMITS, fresh_database

ROOT = Path(__file__).resolve().parent.parent.parent

SECRET = "two-instances-test-secret"
DEVICE_LIMIT = 8
NETWORK_LIMIT = 40
OFFICERS = 12
MATTERS = 10  # devices in the race of step 1; each rates officer k (k < OFFICERS)
START_TIMEOUT_S = 60


@dataclass
class Server:
    name: str
    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return f"--- {self.name} (pid {self.proc.pid}) log ---\n{text[-3000:]}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(name: str, database: str, workdir: Path, shift_s: float) -> Server:
    """`pingjing serve` with its clock `shift_s` ahead (tests/shifted_clock.py)."""
    cmd = [sys.executable, "-m", "tests.shifted_clock", str(shift_s)]
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PINGJING_")}
    env.update(
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        PINGJING_DATABASE=database,
        PINGJING_SECRET=SECRET,
        PINGJING_RATE_LIMIT_DEVICE_PER_HOUR=str(DEVICE_LIMIT),
        PINGJING_RATE_LIMIT_NETWORK_PER_HOUR=str(NETWORK_LIMIT),
        PINGJING_LOG_LEVEL="warning",
        # As behind nginx: the client address comes from X-Forwarded-For.
        PINGJING_TRUSTED_PROXIES="127.0.0.1",
    )
    log = workdir / f"{name}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*cmd, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Server(name, port, proc, log)


def stop(server: Server) -> None:
    if server.proc.poll() is None:
        server.proc.terminate()
        try:
            server.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait(timeout=15)


def wait_healthy(servers: list[Server]) -> None:
    for server in servers:
        polling.wait_healthy(server.url, server.proc, server.log, START_TIMEOUT_S)


@pytest.fixture
def two_servers(tmp_path: Path) -> Iterator[tuple[str, list[Server], float]]:
    # The network limit counts per clock hour: both servers' clocks start just past one,
    # so the test never straddles two hours (and never waits for one to begin).
    shift_s = seconds_to_next_hour()
    with fresh_database() as url:
        servers: list[Server] = []
        try:
            servers = [start("A", url, tmp_path, shift_s), start("B", url, tmp_path, shift_s)]
            wait_healthy(servers)
            yield url, servers, shift_s
        finally:
            for server in servers:
                stop(server)


class Driver:
    def __init__(self, client: httpx.AsyncClient, tokens: list[str], shift_s: float) -> None:
        self.client = client
        self.tokens = tokens
        self.keys = Keys(SECRET)
        self.hosts = itertools.count()
        # Page loads ten seconds ago and before (past the minimum human time), each one a
        # millisecond earlier than the last: one stamp per page load, never two alike.
        # (On the servers' clock.)
        self.pages = itertools.count(int((time.time() + shift_s - 10) * 1000), -1)

    async def rate(
        self,
        server: Server,
        officer: int,
        device: str,
        level: int = 5,
        address: str = "",
        stamp: str = "",
    ) -> Any:
        token = self.tokens[officer]
        if not address:
            # Each request from its own address unless one is given, so no shared network
            # counter row serialises the requests by accident.
            n = next(self.hosts)
            address = f"10.0.{n // 250}.{n % 250 + 1}"
        # Each request its own page load unless a stamp is given: one stamp, one rating.
        stamp = stamp or self.keys.stamp(next(self.pages), token)
        r = await self.client.post(
            server.url + "/api/v1/ratings",
            json={"token": token, "level": level, "t": stamp},
            headers={
                "X-Forwarded-For": address,
                **({"Cookie": f"pj_dev={device}"} if device else {}),
            },
        )
        body = r.json()
        return r.status_code, body.get("receipt"), body


def counted(results: list[Any], status: int) -> int:
    return sum(1 for s, _, _ in results if s == status)


async def test_two_instances_share_one_matter_limits_and_receipts(
    two_servers: tuple[str, list[Server], float],
) -> None:
    url, (a, b), shift_s = two_servers
    store = PostgresStore(url, LIMITS, pool_max=1)
    await store.open()
    try:
        rows = [
            RosterRow(i + 2, f"20{i:04d}", f"民警{i}", "某市公安局/某分局/某派出所", "police")
            for i in range(OFFICERS)
        ]
        assert not (await store.import_roster(rows)).errors
        tokens = [o.token or "" for o in await store.list_officers()]
    finally:
        await store.close()

    def device() -> str:
        return secrets.token_urlsafe(16)

    async with httpx.AsyncClient(timeout=30) as client:
        drive = Driver(client, tokens, shift_s)

        # 0. Rated on A, then re-rated on B: B amends A's rating.
        d0 = device()
        first = await drive.rate(a, 11, d0, 2)
        again = await drive.rate(b, 11, d0, 4)
        assert (first[0], again[0]) == (201, 200), a.log_tail() + b.log_tail()
        assert again[2]["amended"] is True and again[1] == first[1]

        # 1. Many devices, each rating one officer six times at once across both instances.
        devices = [device() for _ in range(MATTERS)]
        race = await asyncio.gather(
            *(
                drive.rate((a, b)[i % 2], k, d, 1 + i % 5)
                for k, d in enumerate(devices)
                for i in range(6)
            )
        )
        for k in range(MATTERS):
            matter = race[6 * k : 6 * k + 6]
            assert counted(matter, 201) == 1 and counted(matter, 200) == 5, matter
            assert len({receipt for _, receipt, _ in matter}) == 1

        # 2. One device rating eleven officers at once: the device limit holds across both.
        d2 = device()
        spree = await asyncio.gather(*(drive.rate((a, b)[i % 2], i, d2) for i in range(11)))
        assert counted(spree, 201) == DEVICE_LIMIT and counted(spree, 429) == 11 - DEVICE_LIMIT
        assert len({r for s, r, _ in spree if s == 201}) == DEVICE_LIMIT

        # 3. Many devices behind one address: the network limit holds across both.
        crowd = await asyncio.gather(
            *(
                drive.rate((a, b)[i % 2], i % OFFICERS, device(), address="198.51.100.7")
                for i in range(NETWORK_LIMIT + 10)
            )
        )
        assert counted(crowd, 201) == NETWORK_LIMIT and counted(crowd, 429) == 10, crowd
        refused = [body for s, _, body in crowd if s == 429]
        assert all(body["ok"] is False and body["status"] == 429 for body in refused)

        # 4. One page's stamp replayed without the device cookie, at once on both
        # instances (issue 14): one rating, amended by every replay.
        page = drive.keys.stamp(next(drive.pages), tokens[5])
        replay = await asyncio.gather(
            *(drive.rate((a, b)[i % 2], 5, "", 1, stamp=page) for i in range(12))
        )
        assert counted(replay, 201) == 1 and counted(replay, 200) == 11, replay
        assert len({receipt for _, receipt, _ in replay}) == 1

    created = [
        r for batch in ([first], race, spree, crowd, replay) for s, r, _ in batch if s == 201
    ]
    assert len(created) == len(set(created)) == 2 + MATTERS + DEVICE_LIMIT + NETWORK_LIMIT
    with psycopg.connect(url) as conn:
        stored = conn.execute("SELECT receipt, amend_count FROM ratings").fetchall()
        revisions = conn.execute("SELECT COUNT(*) FROM rating_revisions").fetchone()
    assert sorted(r for r, _ in stored) == sorted(created)
    amends = {r: n for r, n in stored}
    assert amends[first[1]] == 1
    assert [amends[race[6 * k][1]] for k in range(MATTERS)] == [5] * MATTERS
    assert revisions == (1 + MATTERS * 5 + 11,)
    assert a.proc.poll() is None and b.proc.poll() is None  # both served to the end

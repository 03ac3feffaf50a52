"""A real `pingjing serve` on 127.0.0.1 (a free port), on a seeded SQLite file or PostgreSQL.

Used by the contract fuzzing (schemathesis) and the log tests: they talk to the server
over TCP as a client would, and read what the server wrote to its standard error.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rating.admin import auth
from rating.crypto import Keys
from rating.kiosk import store as ks
from rating.settings import Settings
from rating.store import make_store
from tests.conftest import ROSTER
from tests.polling import wait_healthy

SECRET = "test-secret-not-for-production"
UNIT = "张家口市公安局/桥东分局/胜利路派出所"


@dataclass
class Live:
    url: str
    settings: Settings
    tokens: list[str]  # officers' badge tokens, roster order
    api_token: str
    kiosk_token: str
    log_path: Path
    proc: subprocess.Popen[bytes]

    def stamp(self, token: str, age_s: float = 10.0) -> str:
        return Keys(SECRET).stamp(int((time.time() - age_s) * 1000), token)

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _seed(settings: Settings) -> tuple[list[str], str, str]:
    store = make_store(settings)
    await store.open()
    try:
        await store.import_roster(ROSTER)
        now = int(time.time() * 1000)
        hashed = auth.hash_password("correct horse battery staple")
        await store.write(auth.add_user, "ops", "admin", None, hashed, now)
        api_token = await store.write(auth.new_api_token, "ops", "tests", now)
        code = await store.write(ks.add_kiosk, "户籍窗口1", UNIT, now)
        enrolled = await store.write(ks.enroll, code, now)
        assert enrolled is not None
        await store.write(ks.assign_officer, "户籍窗口1", "100001", now)
        await store.write(ks.set_pin, "100001", ks.hash_pin("2468"), now)
        tokens = [o.token or "" for o in await store.list_officers()]
        return tokens, api_token, enrolled[1]
    finally:
        await store.close()


@contextlib.contextmanager
def live_server(tmp_path: Path, database: str | None = None, **env: str) -> Iterator[Live]:
    """Seed the database, start the server, yield it; stop it (by its own PID) afterwards."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    database = database or str(tmp_path / "live.db")
    settings = Settings.load(env={}, database=database, secret=SECRET)
    tokens, api_token, kiosk_token = asyncio.run(_seed(settings))
    port = free_port()
    log_path = tmp_path / "server.log"
    full_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PINGJING_")},
        "PINGJING_DATABASE": database,
        "PINGJING_SECRET": SECRET,
        "PINGJING_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        **env,
    }
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "rating.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, proc, log_path)
        yield Live(url, settings, tokens, api_token, kiosk_token, log_path, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

"""Shared fixtures: a fresh SQLite file per test, the real app behind an httpx client."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from xdist.scheduler import LoadScopeScheduling

from rating.admin import auth
from rating.app import create_app
from rating.crypto import Keys
from rating.service import Services
from rating.settings import Settings
from rating.store import Store
from rating.store.models import Officer, RosterRow

ROSTER = [
    RosterRow(2, "100001", "张伟", "张家口市公安局/桥东分局/胜利路派出所", "police"),
    RosterRow(3, "100002", "李娜", "张家口市公安局/桥东分局/胜利路派出所", "auxiliary"),
    RosterRow(4, "100003", "王强", "张家口市公安局/桥西分局/新华街派出所", "police"),
]


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database": str(tmp_path / "pingjing.db"),
        "secret": "test-secret-not-for-production",
        "public_base_url": "https://pj.example.cn",
    }
    values.update(overrides)
    return Settings.load(env={}, **values)


@dataclass
class Web:
    client: httpx.AsyncClient
    svc: Services
    officers: list[Officer]

    @property
    def store(self) -> Store:
        return self.svc.store

    @property
    def keys(self) -> Keys:
        return self.svc.keys

    def token(self, i: int = 0) -> str:
        token = self.officers[i].token
        assert token is not None
        return token

    def stamp(self, token: str, age_s: float = 10.0) -> str:
        """A genuine form stamp, as if the page had been loaded `age_s` seconds ago."""
        return self.keys.stamp(int((time.time() - age_s) * 1000), token)

    def rating(self, i: int = 0, **fields: object) -> dict[str, object]:
        token = self.token(i)
        body: dict[str, object] = {"token": token, "level": 5, "t": self.stamp(token)}
        body.update(fields)
        return body


async def open_web(settings: Settings) -> AsyncGenerator[Web, None]:
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        svc: Services = manager._state["svc"]
        transport = httpx.ASGITransport(app=manager.app, client=("203.0.113.7", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            if not await svc.store.list_officers(include_retired=True):
                await svc.store.import_roster(ROSTER)
            yield Web(c, svc, await svc.store.list_officers())


class BrowserTogether(LoadScopeScheduling):
    """`make test` runs pytest-xdist with --dist loadgroup: tests/browser goes to one worker
    as a whole, in file order, as without xdist (those tests share the worker's server and
    its database, and some pages cache for a minute, the dashboard's figures: a test must
    not meet a state that no serial run leaves); every other test is a unit of its own, for
    the best balance (the largest unit, the browser tests, is handed out first).

    By path, not by xdist_group marks: pytest-xdist 3.8 passes a test's group in its node
    id, which pytest 9.2 no longer lets a plugin change, so the marks are silently ignored
    (pytest-dev/pytest-xdist#1386)."""

    def _split_scope(self, nodeid: str) -> str:
        return "tests/browser" if nodeid.startswith("tests/browser/") else nodeid


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getoption("dist") != "loadgroup":
        return None
    return BrowserTogether(config, log)


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """scrypt at OWASP's cost takes 128 MiB and a few hundred milliseconds per password:
    tests hash at a tiny cost instead (tests/admin/test_login_hardening.py checks the
    real one)."""
    monkeypatch.setattr(auth, "COST", auth.ScryptCost(2**8, 8, 1))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
async def web(settings: Settings) -> AsyncIterator[Web]:
    async for w in open_web(settings):
        yield w


@contextlib.asynccontextmanager
async def opened(settings: Settings) -> AsyncIterator[Web]:
    """The app on `settings`' database, opened and closed around a block (restart tests)."""
    agen = open_web(settings)
    try:
        yield await anext(agen)
    finally:
        await agen.aclose()


def rows(settings: Settings, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Read the SQLite file directly, as an auditor would."""
    with contextlib.closing(sqlite3.connect(settings.database)) as conn:
        return conn.execute(sql, params).fetchall()

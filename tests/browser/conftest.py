"""Real-browser fixtures: `pingjing serve` on a free port with a fresh database, and
Debian's Chromium driven by Playwright.

Playwright's own browser download does not work here; the tests use /usr/bin/chromium
(`scripts/setup-system` installs it, with a CJK font for the screenshots). The server is
a separate process, as in production, and is ended by its PID.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from rating.kiosk import store as ks
from rating.settings import Settings
from rating.store import make_store
from rating.store.base import now_ms
from rating.store.logic import unit_code_for_path
from rating.store.models import RosterRow
from tests.conftest import ROSTER
from tests.polling import wait_healthy

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these Chromium calls Google's servers, which a closed network refuses.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SECRET = "browser-test-secret"
KIOSK_PIN = "246810"
KIOSK_PIN_4 = "135790"  # officer 100004's PIN (the kiosk sign-out test)
EXTRA_OFFICER = RosterRow(5, "100004", "赵敏", "张家口市公安局/桥东分局/胜利路派出所", "police")

_screens: list[Path] = []


@dataclass
class Server:
    base: str
    db: Path
    tokens: dict[str, str]  # badge number -> live rating token
    revoked_token: str
    kiosk_codes: dict[str, str]  # kiosk name -> one-time enrolment code
    log: Path

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        """Change the server's database behind its back (what an admin's CLI would do)."""
        conn = sqlite3.connect(self.db, timeout=10)
        try:
            with conn:
                conn.execute(sql, params)
        finally:
            conn.close()

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Read the server's database directly (read-only)."""
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def _seed(settings: Settings) -> tuple[dict[str, str], str, dict[str, str]]:
    store = make_store(settings)
    await store.open()
    try:
        await store.import_roster([*ROSTER, EXTRA_OFFICER])
        old = await store.officer_by_badge("100003")
        assert old is not None and old.token is not None
        await store.reissue_token("100003")  # old.token is now a revoked code
        tokens = {o.badge_no: o.token for o in await store.list_officers() if o.token}
        unit = "张家口市公安局/桥东分局/胜利路派出所"
        codes = {
            name: await store.write(ks.add_kiosk, name, unit, now_ms())
            for name in ("户籍窗口1", "户籍窗口2", "户籍窗口3", "户籍窗口4", "户籍窗口5")
        }
        await store.write(ks.set_pin, "100001", ks.hash_pin(KIOSK_PIN), now_ms())
        await store.write(ks.set_pin, "100004", ks.hash_pin(KIOSK_PIN_4), now_ms())
        # Kiosks 2 and 3 get their officer from the admin, so their tests need no sign-in.
        assert await store.write(ks.assign_officer, "户籍窗口2", "100002", now_ms()) is None
        assert await store.write(ks.assign_officer, "户籍窗口3", "100003", now_ms()) is None
        return tokens, old.token, codes
    finally:
        await store.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("browser-server")
    db = root / "pingjing.db"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    settings = Settings.load(env={}, database=str(db), secret=SECRET, public_base_url=base)
    # In a thread: Playwright's sync API keeps its own event loop on this thread.
    with ThreadPoolExecutor(1) as pool:
        tokens, revoked, codes = pool.submit(asyncio.run, _seed(settings)).result()
    env = dict(
        os.environ,
        PINGJING_DATABASE=str(db),
        PINGJING_SECRET=SECRET,
        PINGJING_PUBLIC_BASE_URL=base,
        # Supervisors' reports go to the bureau itself (tests/browser/test_supervisors.py).
        PINGJING_SUPERVISOR_UNIT=unit_code_for_path("张家口市公安局"),
        # The default minimum age (2 s): the browser taps sooner, and a quick tap must be
        # stored (marked fast), never refused.
        PINGJING_LOG_LEVEL="warning",
    )
    log = root / "server.log"
    with log.open("wb") as out:
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
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_healthy(base, proc, log, timeout=30)
        yield Server(base, db, tokens, revoked, codes, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# Module scope: while Playwright's sync API runs, its event loop occupies the main thread,
# and the async tests of other folders need that thread's loop to themselves.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/setup-system (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    # Not under pytest's tmp_path: pytest deletes all but its last three runs' folders,
    # and these are for people to look at later.
    folder = os.environ.get("PINGJING_SCREENSHOTS")
    path = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="pingjing-screenshots-"))
    path.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {path}")
    return path


@pytest.fixture
def shot(screenshots: Path) -> Callable[[Any, str], Path]:
    def take(page: Any, name: str) -> Path:
        path = screenshots / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        _screens.append(path)
        return path

    return take


@dataclass
class Contexts:
    browser: Any
    base: str
    opened: list[Any] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)

    def new(self, **options: Any) -> Any:
        context = self.browser.new_context(locale="zh-CN", **options)
        context.on("request", lambda request: self.urls.append(request.url))
        self.opened.append(context)
        return context

    def foreign(self) -> list[str]:
        """Requests that went anywhere but the server under test."""
        ours = urlsplit(self.base).netloc
        return [
            u
            for u in self.urls
            if not u.startswith(("data:", "blob:")) and urlsplit(u).netloc != ours
        ]


@pytest.fixture
def contexts(browser: Any, server: Server) -> Iterator[Contexts]:
    """New browser contexts; after the test, asserts no request left the server."""
    c = Contexts(browser, server.base)
    yield c
    for context in c.opened:
        context.close()
    assert c.urls, "the test made no requests at all"
    assert c.foreign() == []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _screens:
        folder = _screens[0].parent
        terminalreporter.write_line(f"browser tests: {len(_screens)} screenshots in {folder}")


# ------------------------------------------------------------------ accessibility (axe-core)

_AXE_SCRIPT: str | None = None
SERIOUS = ("serious", "critical")


def axe(page: Any, name: str) -> list[dict[str, Any]]:
    """Run axe-core (the copy shipped in axe-playwright-python) on the page as it stands.

    Fails on any violation of impact serious or critical; prints the others, so that the
    test output lists them. Returns every violation.
    """
    global _AXE_SCRIPT
    if _AXE_SCRIPT is None:
        import axe_playwright_python

        _AXE_SCRIPT = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()
    page.evaluate(_AXE_SCRIPT)
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    violations: list[dict[str, Any]] = results["violations"]
    lines = [
        f"  {v['impact']}: {v['id']} ({len(v['nodes'])} node(s)): {v['help']}" for v in violations
    ]
    print(f"\naxe {name}: {len(violations)} violation(s)" + "".join("\n" + x for x in lines))
    serious = [v for v in violations if v["impact"] in SERIOUS]
    assert serious == [], f"axe {name}: " + "; ".join(
        f"{v['id']}: {[n['target'] for n in v['nodes']]}" for v in serious
    )
    return violations

"""Shared helpers for the closed-loop tests: users, login, bad ratings, form fields."""

from __future__ import annotations

import asyncio
import contextlib
import html
import re
import sqlite3
from typing import Any

import httpx

from rating.admin import auth
from rating.cases.service import now_ms
from rating.settings import Settings
from tests.conftest import Web

PASSWORD = "correct horse battery"
# The ROSTER's units: officers 0 and 1 are at 胜利路派出所 (桥东分局), officer 2 at 新华街派出所
# (桥西分局).
QIAODONG = "张家口市公安局/桥东分局"
QIAOXI = "张家口市公安局/桥西分局"


async def add_user(web: Web, name: str, role: str, unit_path: str | None = None) -> None:
    hashed = auth.hash_password(PASSWORD)
    await web.store.write(auth.add_user, name, role, unit_path, hashed, now_ms())


async def login(web: Web, name: str, password: str = PASSWORD) -> httpx.Response:
    page = await web.client.get("/admin/login")
    assert page.status_code == 200
    return await web.client.post(
        "/admin/login",
        data={"csrf": hidden(page.text, "csrf"), "name": name, "password": password},
    )


def hidden(page: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)">', page)
    assert match, f"no hidden field {name!r} in the page"
    return html.unescape(match.group(1))


async def bad_rating(web: Web, i: int = 0, level: int = 1, **fields: Any) -> str:
    """A bad rating through the JSON API; returns its receipt."""
    body = web.rating(i, level=level, **fields)
    r = await web.client.post("/api/v1/ratings", json=body)
    assert r.status_code == 201, r.text
    web.client.cookies.clear()  # the next rating comes from another device
    return str(r.json()["receipt"])


def rows(settings: Settings, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with contextlib.closing(sqlite3.connect(settings.database)) as conn:
        return conn.execute(sql, params).fetchall()


def case_id_of(settings: Settings, receipt: str) -> int:
    found = rows(
        settings,
        "SELECT c.id FROM cases c JOIN ratings r ON r.id = c.rating_id WHERE r.receipt = ?",
        (receipt,),
    )
    assert found, "no case for the receipt"
    return int(found[0][0])


async def act(web: Web, case_id: int, action: str, **fields: str) -> httpx.Response:
    """Post an action from the case page, with the CSRF token the page carries."""
    page = await web.client.get(f"/admin/cases/{case_id}")
    assert page.status_code == 200, page.text
    csrf = hidden(page.text, "csrf")
    return await web.client.post(f"/admin/cases/{case_id}/{action}", data={"csrf": csrf, **fields})


async def cli(settings: Settings, *args: str) -> int:
    """Run a `pingjing` command on the test's database (in a thread: it runs its own loop)."""
    from rating.cli import main

    return await asyncio.to_thread(main, ["--database", settings.database, *args])

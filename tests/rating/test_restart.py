"""What survives closing the app and opening a new one on the same database file."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
from pathlib import Path

from rating.store.base import migration_files
from tests.conftest import make_settings, opened

API = "/api/v1/ratings"


async def test_rating_is_there_after_a_restart(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    async with opened(settings) as web:
        r = await web.client.post(API, json=web.rating(level=2, comment="重启前的评价"))
        assert r.status_code == 201
        receipt = r.json()["receipt"]
        token = web.token()
    async with opened(settings) as web:
        assert web.token() == token  # the roster was not imported again
        page = await web.client.get(f"/receipt/{receipt}")
        assert page.status_code == 200
        assert "重启前的评价" in page.text and "不满意" in page.text
        assert await web.store.count_ratings() == 1
        # Officer pages and new ratings carry on as before.
        assert (await web.client.get(f"/r/{token}")).status_code == 200
        assert (await web.client.post(API, json=web.rating(1))).status_code == 201
    with contextlib.closing(sqlite3.connect(settings.database)) as conn:
        assert conn.execute("SELECT COUNT(*) FROM ratings").fetchone() == (2,)
        # Each migration was applied once, not again at the second start.
        applied = conn.execute("SELECT version FROM schema_migrations ORDER BY version")
        assert [v for (v,) in applied] == [v for v, _, _ in migration_files()]


async def test_the_same_device_still_amends_after_a_restart(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    async with opened(settings) as web:
        first = await web.client.post(API, json=web.rating(level=3))
        device = web.client.cookies["pj_dev"]
    async with opened(settings) as web:
        web.client.cookies.set("pj_dev", device)
        again = await web.client.post(API, json=web.rating(level=4))
        assert again.status_code == 200
        assert again.json()["receipt"] == first.json()["receipt"]


async def test_a_generated_secret_is_kept_so_phones_stay_readable(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, secret="")
    async with opened(settings) as web:
        body = web.rating(level=1, phone="13812345678", consent=True)
        assert (await web.client.post(API, json=body)).status_code == 201
        stamp = web.stamp(web.token(1))
    secret_file = Path(settings.database + ".secret")
    assert stat.S_IMODE(os.stat(secret_file).st_mode) == 0o600
    async with opened(settings) as web:
        with contextlib.closing(sqlite3.connect(settings.database)) as conn:
            (sealed,) = conn.execute("SELECT phone_enc FROM ratings").fetchone()
        assert web.keys.decrypt_phone(sealed) == "13812345678"
        # A page loaded before the restart can still be submitted after it.
        body = web.rating(1)
        body["t"] = stamp
        web.client.cookies.clear()
        r = await web.client.post(API, json=body)
        assert r.status_code == 201, r.text

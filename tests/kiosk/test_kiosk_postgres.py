"""Every kiosk SQL statement once on PostgreSQL (the other kiosk tests run on SQLite).

Skipped when no PostgreSQL server answers, except in CI (see tests/store/conftest.py).
"""

from __future__ import annotations

from pathlib import Path

from rating.kiosk import store as ks
from rating.store.base import now_ms
from tests.conftest import make_settings, open_web
from tests.kiosk.test_kiosk_api import HOUR, _auth, _tap
from tests.store.conftest import fresh_database


async def test_kiosk_flow_on_postgres(tmp_path: Path) -> None:
    with fresh_database() as url:
        async for web in open_web(make_settings(tmp_path, database=url)):
            unit = "张家口市公安局/桥东分局/胜利路派出所"
            code = await web.store.write(ks.add_kiosk, "窗口PG", unit, now_ms())
            enrolled = await web.client.post("/api/v1/kiosk/enroll", json={"code": code})
            assert enrolled.status_code == 201
            token = enrolled.json()["token"]
            headers = _auth(token)

            await web.store.write(ks.set_pin, "100001", ks.hash_pin("2468"), now_ms())
            await web.store.write(ks.set_pin, "100001", ks.hash_pin("1357"), now_ms())  # upsert
            bad = await web.client.post(
                "/api/v1/kiosk/signin", json={"badge_no": "100001", "pin": "2468"}, headers=headers
            )
            assert bad.status_code == 403
            good = await web.client.post(
                "/api/v1/kiosk/signin", json={"badge_no": "100001", "pin": "1357"}, headers=headers
            )
            assert good.status_code == 200 and good.json()["officer"]["badge_no"] == "100001"

            first = await web.client.post(
                "/api/v1/kiosk/ratings", json=_tap("pg-tap-0001", ago_ms=10_000), headers=headers
            )
            assert first.status_code == 201
            replay = await web.client.post(
                "/api/v1/kiosk/ratings", json=_tap("pg-tap-0001", ago_ms=10_000), headers=headers
            )
            assert replay.json() == {
                "ok": True,
                "receipt": first.json()["receipt"],
                "replayed": True,
            }
            close = await web.client.post(
                "/api/v1/kiosk/ratings", json=_tap("pg-tap-0002", ago_ms=9_000), headers=headers
            )
            assert close.status_code == 429
            early = await web.client.post(
                "/api/v1/kiosk/ratings", json=_tap("pg-tap-0003", ago_ms=HOUR), headers=headers
            )
            assert early.status_code == 409
            assert await web.store.count_ratings() == 1

            assert await web.store.write(ks.assign_officer, "窗口PG", "100002", now_ms()) is None
            kiosks = await web.store.read(ks.list_kiosks)
            assert [(k.name, k.enrolled, k.officer and k.officer.badge_no) for k in kiosks] == [
                ("窗口PG", True, "100002")
            ]
            await web.store.write(ks.set_pin, "100002", ks.hash_pin("246810"), now_ms())
            out = await web.client.post(
                "/api/v1/kiosk/signout", json={"pin": "246810"}, headers=headers
            )
            assert out.json()["officer"] is None
            assert await web.store.write(ks.revoke_kiosk, "窗口PG", now_ms())
            gone = await web.client.get("/api/v1/kiosk/state", headers=headers)
            assert gone.status_code == 403
            assert await web.store.write(ks.reenroll_kiosk, "窗口PG", now_ms()) is not None

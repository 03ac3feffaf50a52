"""Stamps and limits over HTTP (issue 14, items 3 and 4)."""

from __future__ import annotations

from pathlib import Path

from rating.settings import Settings
from tests.conftest import make_settings, opened, rows
from tests.shifted_clock import hold_mid_hour

API = "/api/v1/ratings"


async def test_replaying_one_stamp_without_the_cookie_stores_one_rating(
    settings: Settings,
) -> None:
    async with opened(settings) as web:
        token = web.token()
        stamp = web.stamp(token)
        receipts = set()
        for i in range(30):
            web.client.cookies.clear()  # no device cookie: each request looks new
            r = await web.client.post(
                API, json={"token": token, "level": 1, "t": stamp, "comment": f"r{i}"}
            )
            assert r.status_code in (200, 201), r.text
            receipts.add(r.json()["receipt"])
        for i in range(30):  # the same stamp through the plain form
            web.client.cookies.clear()
            r = await web.client.post(
                f"/r/{token}", data={"level": "2", "t": stamp, "comment": f"f{i}"}
            )
            assert r.status_code == 303, r.text
    assert len(receipts) == 1
    assert rows(settings, "SELECT COUNT(*) FROM ratings") == [(1,)]
    assert rows(settings, "SELECT COUNT(*) FROM cases") == [(1,)]
    assert rows(settings, "SELECT level, comment, amend_count FROM ratings") == [(2, "f29", 59)]


async def test_amending_is_never_refused_by_the_device_limit(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, rate_limit_device_per_hour=2)
    async with opened(settings) as web:
        assert (await web.client.post(API, json=web.rating(0, level=3))).status_code == 201
        assert (await web.client.post(API, json=web.rating(1, level=3))).status_code == 201
        # The device has used its two new ratings: a third officer is refused...
        assert (await web.client.post(API, json=web.rating(2))).status_code == 429
        # ...but changing its mind about the first officer amends, and is not refused.
        r = await web.client.post(API, json=web.rating(0, level=5))
        assert r.status_code == 200 and r.json()["amended"] is True, r.text
    assert rows(settings, "SELECT COUNT(*) FROM ratings WHERE level = 5") == [(1,)]


async def test_requests_refused_by_the_device_limit_do_not_count_toward_the_network(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path, rate_limit_device_per_hour=1, rate_limit_network_per_hour=3)
    async with opened(settings) as web:
        hold_mid_hour(web.store)  # the network limit counts per clock hour
        assert (await web.client.post(API, json=web.rating(0))).status_code == 201
        for i in (1, 2, 1, 2):  # the same device, refused by its own limit four times
            assert (await web.client.post(API, json=web.rating(i))).status_code == 429
        # Two more people behind the same address still fit under the network limit of 3.
        for i in (1, 2):
            web.client.cookies.clear()
            r = await web.client.post(API, json=web.rating(i))
            assert r.status_code == 201, r.text
        web.client.cookies.clear()
        r = await web.client.post(API, json=web.rating(0))
        assert r.status_code == 429 and "network" in r.json()["error"]
    assert rows(settings, "SELECT COUNT(*) FROM ratings") == [(3,)]

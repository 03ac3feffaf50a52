"""The weekly report from the admin pages: a user gets their own unit subtree only."""

from __future__ import annotations

import csv
import io
import time
import zipfile

from analytics.periods import local_date, week_of_day
from tests.cases.helpers import QIAODONG, QIAOXI, add_user, bad_rating, login
from tests.conftest import Web

URL = "/admin/report/weekly"


def this_week() -> str:
    return week_of_day(local_date(int(time.time() * 1000)), 0).label


def units_in(zip_bytes: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as zf:
        names = set(zf.namelist())
        assert {"report.xlsx", "report.html", "units.csv", "officers.csv"} <= names
        text = zf.read("units.csv").decode("utf-8-sig")
    return [r["单位路径"] for r in csv.DictReader(io.StringIO(text))]


async def test_admin_downloads_whole_bureau(web: Web) -> None:
    await bad_rating(web, 0)
    await bad_rating(web, 2)
    assert (await web.client.get(URL)).status_code == 303  # not logged in: to the login page
    await add_user(web, "admin1", "admin")
    await login(web, "admin1")
    r = await web.client.get(URL, params={"format": "zip", "week": this_week()})
    assert r.status_code == 200
    assert r.headers["content-disposition"].startswith("attachment;")
    paths = units_in(r.content)
    assert QIAODONG in paths and QIAOXI in paths
    xlsx = await web.client.get(URL, params={"week": this_week()})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert (await web.client.get(URL, params={"format": "pdf"})).status_code == 400
    assert (await web.client.get(URL, params={"week": "soon"})).status_code == 400


async def test_unit_manager_gets_own_subtree_only(web: Web) -> None:
    await bad_rating(web, 0)
    await bad_rating(web, 2)
    await add_user(web, "east", "unit_manager", QIAODONG)
    await login(web, "east")
    r = await web.client.get(URL, params={"format": "zip", "week": this_week()})
    assert r.status_code == 200
    paths = units_in(r.content)
    assert paths and all(p.startswith(QIAODONG) for p in paths)
    west = next(u for u in await web.store.list_units() if u.path == QIAOXI)
    denied = await web.client.get(URL, params={"unit": west.code, "week": this_week()})
    assert denied.status_code == 404


async def test_report_as_of_a_moment(web: Web) -> None:
    await bad_rating(web, 0)
    await add_user(web, "admin1", "admin")
    await login(web, "admin1")
    params = {"format": "zip", "week": this_week()}
    before = await web.client.get(URL, params={**params, "as_of": "2020-01-01T00:00"})
    assert before.status_code == 200
    with zipfile.ZipFile(io.BytesIO(before.content)) as zf:
        text = zf.read("summary.csv").decode("utf-8-sig")
    rows = {r["指标"]: r for r in csv.DictReader(io.StringIO(text))}
    assert float(rows["评价数"]["本周"]) == 0  # the rating did not exist at that moment
    late = await web.client.get(URL, params={**params, "as_of": "2999-01-01T00:00"})
    assert late.status_code == 400 and "future" in late.text

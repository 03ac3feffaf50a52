"""The officers pages: search within the user's units, the officer page, roster upload with
a preview and the CLI's line-numbered errors, reissue with that one badge's files, retire
and move; refusals change nothing."""

from __future__ import annotations

import io
import re
import zipfile

import zxingcpp
from PIL import Image

from rating.settings import Settings
from tests.cases.helpers import QIAODONG, QIAOXI, add_user, hidden, login, rows
from tests.conftest import Web

ROSTER_OK = (
    "警号,姓名,单位,类别\n"
    "100001,张伟,张家口市公安局/桥东分局/胜利路派出所,民警\n"
    "100002,李娜,张家口市公安局/桥西分局/新华街派出所,辅警\n"
    "100009,周杰,张家口市公安局/桥东分局/胜利路派出所,民警\n"
)
ROSTER_BAD = (
    "警号,姓名,单位,类别\n"
    "100001,张伟,张家口市公安局/桥东分局/胜利路派出所,民警\n"
    ",无号,x,民警\n"
    "100010,钱七,张家口市公安局/桥东分局,保安\n"
)


async def _csrf(web: Web, path: str = "/admin/officers") -> str:
    page = await web.client.get(path)
    assert page.status_code == 200, page.text
    return hidden(page.text, "csrf")


async def test_search_by_name_badge_and_unit_within_scope(web: Web) -> None:
    await add_user(web, "admin1", "admin")
    await add_user(web, "east", "unit_manager", QIAODONG)
    await login(web, "admin1")
    page = (await web.client.get("/admin/officers?q=王")).text
    assert "100003" in page and "100001" not in page
    page = (await web.client.get("/admin/officers?q=10000")).text
    assert all(b in page for b in ("100001", "100002", "100003"))
    west = next(u for u in await web.store.list_units() if u.path == QIAOXI)
    page = (await web.client.get(f"/admin/officers?unit={west.code}")).text
    assert "100003" in page and "100001" not in page
    await login(web, "east")
    page = (await web.client.get("/admin/officers?q=10000")).text
    assert "100001" in page and "100003" not in page
    assert (await web.client.get("/admin/officers/100003")).status_code == 404  # other unit
    assert (await web.client.get(f"/admin/officers?unit={west.code}")).status_code == 404
    r = await web.client.post("/admin/officers/100003/retire", data={"csrf": await _csrf(web)})
    assert r.status_code == 404


async def test_officer_page_levels_trend_and_english(web: Web) -> None:
    await add_user(web, "admin1", "admin")
    await login(web, "admin1")
    for level in (5, 1):
        r = await web.client.post("/api/v1/ratings", json=web.rating(0, level=level))
        assert r.status_code == 201, r.text
        web.client.cookies.clear()
    await login(web, "admin1")
    page = (await web.client.get("/admin/officers/100001")).text
    assert '<svg class="trend"' in page
    levels = re.search(r'<ul class="counts" id="by-level">(.*?)</ul>', page)
    assert levels and "非常满意: <strong>1</strong>" in levels.group(1)
    assert "非常不满意: <strong>1</strong>" in levels.group(1)
    en = (await web.client.get("/admin/officers/100001?lang=en")).text
    assert "Ratings of the last 12 weeks by level" in en and "Web or API" in en


async def _upload(web: Web, body: str, name: str = "roster.csv", **fields: str) -> tuple[int, str]:
    csrf = await _csrf(web)
    r = await web.client.post(
        "/admin/officers/roster",
        data={"csrf": csrf, **fields},
        files={"file": (name, body.encode("utf-8"), "text/csv")},
    )
    return r.status_code, r.text


async def test_bad_roster_shows_the_clis_line_numbered_errors(web: Web, settings: Settings) -> None:
    await add_user(web, "admin1", "admin")
    await login(web, "admin1")
    status, page = await _upload(web, ROSTER_BAD)
    assert status == 400
    assert "roster.csv:3: badge number (警号) is empty" in page
    assert "roster.csv:4: kind (类别) &#39;保安&#39; must be 民警/police or 辅警/auxiliary" in page
    assert 'name="staged"' not in page  # nothing to import
    assert rows(settings, "SELECT COUNT(*) FROM officers") == [(3,)]
    status, page = await _upload(web, "nothing useful here\n")
    assert status == 400 and "roster.csv" in page


async def test_roster_preview_then_import(web: Web, settings: Settings) -> None:
    await add_user(web, "admin1", "admin")
    await login(web, "admin1")
    status, page = await _upload(web, ROSTER_OK, retire="1")
    assert status == 200, page
    preview = re.search(r'<section class="card" id="roster-preview">(.*?)</section>', page, re.S)
    assert preview
    text = preview.group(1)
    assert re.search(r"将新增</dt><dd>1 <a[^>]*>100009</a>", text)
    assert re.search(r"将变更</dt><dd>1 <a[^>]*>100002</a>", text)
    assert re.search(r"将退出</dt><dd>1 <a[^>]*>100003</a>", text)
    # The preview stored nothing.
    assert rows(settings, "SELECT COUNT(*) FROM officers") == [(3,)]
    staged = hidden(page, "staged")
    r = await web.client.post(
        "/admin/officers/roster/import",
        data={"csrf": hidden(page, "csrf"), "staged": staged, "name": "roster.csv", "retire": "1"},
    )
    assert r.status_code == 303 and r.headers["location"] == "/admin/officers"
    done = (await web.client.get("/admin/officers")).text
    assert "名册已导入：新增 1，变更 1，不变 1，退出 1。" in done
    assert rows(settings, "SELECT status FROM officers WHERE badge_no = '100003'") == [("retired",)]
    assert rows(
        settings, "SELECT actor_name, note FROM audit_log WHERE action = 'roster_import'"
    ) == [("admin1", "1 new, 1 updated, 1 retired")]
    # The staged file is gone: posting the form again imports nothing a second time.
    r = await web.client.post(
        "/admin/officers/roster/import",
        data={"csrf": hidden(page, "csrf"), "staged": staged, "name": "roster.csv"},
    )
    assert r.status_code == 400


async def test_reissue_and_download_the_one_badge(web: Web, settings: Settings) -> None:
    await add_user(web, "admin1", "admin")
    await login(web, "admin1")
    old = web.token(0)
    r = await web.client.post("/admin/officers/100001/reissue", data={"csrf": await _csrf(web)})
    assert r.status_code == 303 and r.headers["location"] == "/admin/officers/100001?reissued=1"
    page = (await web.client.get(r.headers["location"])).text
    assert "/admin/officers/100001/badge.zip" in page and "已重新生成" in page
    (new,) = rows(
        settings,
        "SELECT token FROM badge_tokens WHERE revoked_at IS NULL AND "
        "officer_id = (SELECT id FROM officers WHERE badge_no = '100001')",
    )[0]
    assert new != old
    z = await web.client.get("/admin/officers/100001/badge.zip")
    assert z.status_code == 200 and z.headers["content-type"] == "application/zip"
    files = zipfile.ZipFile(io.BytesIO(z.content))
    assert sorted(files.namelist()) == ["100001.pdf", "100001.png"]
    assert files.read("100001.pdf").startswith(b"%PDF")
    image = Image.open(io.BytesIO(files.read("100001.png"))).convert("L")
    found = [b.text for b in zxingcpp.read_barcodes(image)]
    assert found == [f"https://pj.example.cn/r/{new}"]
    assert rows(settings, "SELECT actor_name FROM audit_log WHERE action = 'officer_reissue'") == [
        ("admin1",)
    ]


async def test_move_and_retire_and_refusals(web: Web, settings: Settings) -> None:
    await add_user(web, "admin1", "admin")
    await add_user(web, "v1", "viewer")
    await add_user(web, "east", "unit_manager", QIAODONG)
    west = next(u for u in await web.store.list_units() if u.path == QIAOXI)
    await login(web, "v1")
    r = await web.client.post("/admin/officers/100001/retire", data={"csrf": await _csrf(web)})
    assert r.status_code == 403
    r = await web.client.post(
        "/admin/officers/roster",
        data={"csrf": await _csrf(web)},
        files={"file": ("r.csv", ROSTER_OK.encode(), "text/csv")},
    )
    assert r.status_code == 403
    await login(web, "east")
    # A unit manager cannot move an officer out of their units.
    r = await web.client.post(
        "/admin/officers/100001/move", data={"csrf": await _csrf(web), "unit": west.code}
    )
    assert r.status_code == 400
    await login(web, "admin1")
    r = await web.client.post("/admin/officers/100001/move", data={"unit": west.code})
    assert r.status_code == 403  # no CSRF token
    r = await web.client.post(
        "/admin/officers/100001/move", data={"csrf": await _csrf(web), "unit": west.code}
    )
    assert r.status_code == 303
    r = await web.client.post("/admin/officers/100001/retire", data={"csrf": await _csrf(web)})
    assert r.status_code == 303
    assert rows(
        settings,
        "SELECT o.status, u.path FROM officers o JOIN units u ON "
        "u.id = o.unit_id WHERE badge_no = '100001'",
    ) == [("retired", QIAOXI)]
    acts = rows(
        settings,
        "SELECT actor_name, action FROM audit_log WHERE action LIKE 'officer_%' ORDER BY id",
    )
    assert acts == [("admin1", "officer_move"), ("admin1", "officer_retire")]

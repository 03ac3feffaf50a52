"""Uploading hotline exports from the admin pages: /admin/workorders (admins only)."""

from __future__ import annotations

import csv
import html
import io
import re
from pathlib import Path

import httpx
import pytest

from rating.admin.workorders import SHOW_ERRORS, UPLOAD_MAX_BYTES
from rating.settings import Settings
from tests.cases.helpers import add_user, cli, hidden, login, rows
from tests.conftest import Web
from tests.workorders.conftest import order, write_csv, write_xlsx

PHONE = "13812345678"
GOOD = [
    order("GD001"),
    order("GD002", 承办单位="新华街派出所", 涉及民警警号="100003", 来电号码="13900001111"),
    order("GD003", 承办单位="东风路所"),  # no such unit: kept with the unit unknown
]


async def as_admin(web: Web, name: str = "chief", role: str = "admin") -> str:
    """Log in and return the CSRF token of the upload page."""
    await add_user(web, name, role, "张家口市公安局/桥东分局" if role == "unit_manager" else None)
    assert (await login(web, name)).status_code == 303
    page = await web.client.get("/admin/workorders")
    assert page.status_code == 200, page.text
    return hidden(page.text, "csrf")


async def upload(
    web: Web,
    csrf: str | None,
    path: Path,
    *,
    channel: str = "12345",
    skip_bad: bool = False,
    name: str | None = None,
) -> httpx.Response:
    data = {"channel": channel}
    if csrf is not None:
        data["csrf"] = csrf
    if skip_bad:
        data["skip_bad"] = "1"
    files = {"file": (name or path.name, path.read_bytes(), "application/octet-stream")}
    return await web.client.post("/admin/workorders/import", data=data, files=files)


def text(page: httpx.Response) -> str:
    """The page as a reader sees it: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", page.text))


def stored(settings: Settings) -> dict[str, tuple[str | None, str | None]]:
    found = rows(
        settings,
        "SELECT w.order_no, u.path, w.phone_mask FROM workorders w "
        "LEFT JOIN units u ON u.id = w.unit_id ORDER BY w.order_no",
    )
    return {no: (path, mask) for no, path, mask in found}


async def test_admin_uploads_a_gbk_csv(web: Web, settings: Settings, tmp_path: Path) -> None:
    csrf = await as_admin(web)
    path = write_csv(tmp_path / "12345工单.csv", GOOD, encoding="gbk")
    page = await upload(web, csrf, path)
    assert page.status_code == 200, page.text
    shown = text(page)
    assert "新增 3 条，更新 0 条，未变 0 条，拒绝 0 条" in shown
    assert "CSV（GBK/GB18030）" in shown and "12345工单.csv" in shown
    assert "1 个承办单位未匹配" in shown and "东风路所" in shown
    assert stored(settings) == {
        "GD001": ("张家口市公安局/桥东分局/胜利路派出所", "138****5678"),
        "GD002": ("张家口市公安局/桥西分局/新华街派出所", "139****1111"),
        "GD003": (None, "138****5678"),
    }
    assert PHONE not in page.text and "13900001111" not in page.text
    # The import log on the page: file name, channel, sha256, counts.
    log = rows(settings, "SELECT id, file_sha256, file_name FROM workorder_imports")
    assert [(name) for _, _, name in log] == ["12345工单.csv"]
    again = await web.client.get("/admin/workorders")
    assert log[0][1][:12] in again.text and "12345 政务服务便民热线" in again.text
    assert "导入记录" in again.text and "12345工单.csv" in again.text


async def test_xlsx_upload(web: Web, settings: Settings, tmp_path: Path) -> None:
    csrf = await as_admin(web)
    page = await upload(web, csrf, write_xlsx(tmp_path / "export.xlsx", GOOD[:2]))
    assert page.status_code == 200, page.text
    assert "新增 2 条" in text(page) and set(stored(settings)) == {"GD001", "GD002"}


async def test_bad_rows_store_nothing_and_every_error_is_listed(
    web: Web, settings: Settings, tmp_path: Path
) -> None:
    csrf = await as_admin(web)
    bad = [
        order("GD001"),
        order("GD002", 来电时间="昨天下午"),
        order("", 诉求内容="没有编号"),
        order("GD004", 满意度="还行吧", 来电号码="12345"),
    ]
    page = await upload(web, csrf, write_csv(tmp_path / "bad.csv", bad))
    assert page.status_code == 422
    shown = text(page)
    assert "3 行有误" in shown and "未导入任何工单" in shown
    # The title is line 1, the header line 2: data rows start on line 3.
    assert "第 4 行，B 来电时间 列" in shown
    assert "第 5 行，A 工单编号 列：工单编号为空" in shown
    assert "第 6 行，N 满意度 列" in shown and "第 6 行，R 来电号码 列" in shown
    assert stored(settings) == {}
    assert rows(settings, "SELECT COUNT(*) FROM workorder_imports") == [(0,)]


async def test_a_long_error_list_is_capped(web: Web, settings: Settings, tmp_path: Path) -> None:
    csrf = await as_admin(web)
    bad = [order(f"GD{i:04d}", 来电时间="不详") for i in range(SHOW_ERRORS + 30)]
    page = await upload(web, csrf, write_csv(tmp_path / "many.csv", bad))
    assert page.status_code == 422
    shown = text(page)
    assert shown.count("来电时间 列") == SHOW_ERRORS
    assert "另有 30 条错误未列出" in shown and f"{SHOW_ERRORS + 30} 行有误" in shown


async def test_skip_bad_stores_the_good_rows_and_offers_the_rejects(
    web: Web, settings: Settings, tmp_path: Path
) -> None:
    csrf = await as_admin(web)
    bad = [
        order("GD001"),
        order("GD002", 来电时间="昨天下午", 来电号码="13700002222"),
        order("GD003"),
    ]
    page = await upload(web, csrf, write_csv(tmp_path / "mixed.csv", bad), skip_bad=True)
    assert page.status_code == 200, page.text
    assert "新增 2 条，更新 0 条，未变 0 条，拒绝 1 条" in text(page)
    assert "第 4 行，B 来电时间 列" in text(page)
    assert set(stored(settings)) == {"GD001", "GD003"}
    link = re.search(r'href="(/admin/workorders/imports/\d+/rejected\.csv)"', page.text)
    assert link, "no download link for the rejected rows"
    got = await web.client.get(link.group(1))
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    assert "mixed.rejected.csv" in got.headers["content-disposition"]
    assert got.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert [r[0] for r in table[1:]] == ["4"] and "来电时间" in table[1][1]
    assert "GD002" in table[1] and "137****2222" in table[1]
    assert "13700002222" not in got.text
    # The import log links the same download.
    assert link.group(1) in (await web.client.get("/admin/workorders")).text


async def test_reupload_counts_unchanged_without_duplicates(
    web: Web, settings: Settings, tmp_path: Path
) -> None:
    csrf = await as_admin(web)
    path = write_csv(tmp_path / "same.csv", GOOD)
    assert (await upload(web, csrf, path)).status_code == 200
    again = await upload(web, csrf, path)
    assert again.status_code == 200
    shown = text(again)
    assert "新增 0 条，更新 0 条，未变 3 条，拒绝 0 条" in shown
    assert "同一文件此前已导入过" in shown
    assert rows(settings, "SELECT COUNT(*) FROM workorders") == [(3,)]
    assert rows(settings, "SELECT COUNT(*) FROM workorder_imports") == [(2,)]


@pytest.mark.parametrize("role", ["unit_manager", "viewer"])
async def test_only_admins_may_upload(
    web: Web, settings: Settings, tmp_path: Path, role: str
) -> None:
    await add_user(
        web, "other", role, "张家口市公安局/桥东分局" if role == "unit_manager" else None
    )
    await login(web, "other")
    cases = await web.client.get("/admin/cases")
    # No link to the upload (the order list, /admin/workorders/orders, is for every user).
    assert cases.status_code == 200 and 'href="/admin/workorders"' not in cases.text
    assert (await web.client.get("/admin/workorders")).status_code == 403
    csrf = hidden(cases.text, "csrf")  # the session's token, from the logout form
    page = await upload(web, csrf, write_csv(tmp_path / "x.csv", GOOD))
    assert page.status_code == 403 and "仅管理员" in page.text
    assert stored(settings) == {}


async def test_admin_navigation_links_the_upload(web: Web) -> None:
    await as_admin(web)
    cases = await web.client.get("/admin/cases")
    assert '<a href="/admin/workorders">工单导入</a>' in cases.text


async def test_logged_out_is_sent_to_login(web: Web, tmp_path: Path) -> None:
    page = await web.client.get("/admin/workorders")
    assert page.status_code == 303 and page.headers["location"].startswith("/admin/login")


async def test_missing_or_wrong_csrf_is_refused(
    web: Web, settings: Settings, tmp_path: Path
) -> None:
    await as_admin(web)
    path = write_csv(tmp_path / "x.csv", GOOD)
    assert (await upload(web, None, path)).status_code == 403
    assert (await upload(web, "forged", path)).status_code == 403
    assert stored(settings) == {}


async def test_wrong_or_broken_files_are_explained(
    web: Web, settings: Settings, tmp_path: Path
) -> None:
    csrf = await as_admin(web)
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.7\n\x00\x01\x02 binary")
    page = await upload(web, csrf, pdf)
    assert page.status_code == 400 and "report.pdf：无法导入" in text(page)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    page = await upload(web, csrf, broken)
    assert page.status_code == 400 and "无法打开 XLSX 工作簿" in text(page)
    named = tmp_path / "fake.xlsx"
    named.write_text("工单编号,来电时间\n", encoding="utf-8")
    page = await upload(web, csrf, named)
    assert page.status_code == 400 and "不是 Excel 工作簿" in text(page)
    wrong = write_csv(tmp_path / "roster.csv", [["100001", "张伟"]], header=["警号", "姓名"])
    page = await upload(web, csrf, wrong)
    assert page.status_code == 400 and "找不到表头" in text(page)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert (await upload(web, csrf, empty)).status_code == 400
    assert stored(settings) == {}
    assert rows(settings, "SELECT COUNT(*) FROM workorder_imports") == [(0,)]
    # The form keeps working after an error page.
    assert "导入记录" in (await upload(web, csrf, empty)).text


async def test_a_file_over_the_limit_is_refused(
    web: Web, settings: Settings, tmp_path: Path
) -> None:
    csrf = await as_admin(web)
    big = tmp_path / "big.csv"
    big.write_bytes(b"x" * (UPLOAD_MAX_BYTES + 100_000))
    page = await upload(web, csrf, big)
    assert page.status_code == 413 and "文件超过 20 MB" in text(page)
    assert rows(settings, "SELECT COUNT(*) FROM workorder_imports") == [(0,)]


async def test_unknown_channel_or_profile_is_refused(
    web: Web, settings: Settings, tmp_path: Path
) -> None:
    csrf = await as_admin(web)
    path = write_csv(tmp_path / "x.csv", GOOD)
    assert (await upload(web, csrf, path, channel="110")).status_code == 400
    files = {"file": ("x.csv", path.read_bytes(), "text/csv")}
    data = {"csrf": csrf, "channel": "12345", "profile": "/etc/passwd"}
    r = await web.client.post("/admin/workorders/import", data=data, files=files)
    assert r.status_code == 400
    assert stored(settings) == {}


async def test_cli_skip_bad_rejects_are_downloadable_from_the_log(
    web: Web, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PINGJING_SECRET", settings.secret)
    bad = [order("GD001"), order("GD002", 满意度="还行吧")]
    path = write_csv(tmp_path / "cli.csv", bad)
    assert await cli(settings, "workorders", "import", str(path), "--channel", "12345",
                     "--skip-bad") == 0  # fmt: skip
    assert (tmp_path / "cli.rejected.csv").exists()
    await as_admin(web)
    log = await web.client.get("/admin/workorders")
    link = re.search(r'href="(/admin/workorders/imports/\d+/rejected\.csv)"', log.text)
    assert link and "cli.csv" in log.text
    got = await web.client.get(link.group(1))
    assert got.content == (tmp_path / "cli.rejected.csv").read_bytes()

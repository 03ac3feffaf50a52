"""Import errors on the upload page in the page's language: Chinese by default, English on
request; line numbers and the file's column names shown either way."""

from __future__ import annotations

import html
import re
from pathlib import Path

import httpx

from rating.settings import Settings
from tests.admin.test_workorder_upload import as_admin, stored, text, upload
from tests.conftest import Web
from tests.workorders.conftest import order, write_csv

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
BAD = [
    order("GD001"),
    order("GD002", 来电时间="昨天下午"),  # line 4
    order("", 诉求内容="没有编号"),  # line 5
    order("GD004", 满意度="还行吧", 来电号码="12345"),  # line 6
    order("GD001"),  # line 7: repeats line 3
    order("GD008", 来电时间="2026-02-30 10:00"),  # line 8
]
ENGLISH = ("bad date", "order number", "unknown value", "not a mainland", "expected")
CHINESE = ("日期时间", "工单编号为空", "无法识别", "不是大陆", "已在第", "不是有效的日期")


def error_items(page: httpx.Response) -> list[str]:
    block = re.search(r'<ul class="errors">(.*?)</ul>', page.text, re.S)
    assert block, "no error list on the page"
    return [
        html.unescape(re.sub(r"<[^>]+>", "", li)).strip()
        for li in re.findall(r"<li>(.*?)</li>", block.group(1), re.S)
    ]


async def test_row_errors_are_chinese_on_the_default_page(
    web: Web, settings: Settings, tmp_path: Path
) -> None:
    csrf = await as_admin(web)
    page = await upload(web, csrf, write_csv(tmp_path / "bad.csv", BAD))
    assert page.status_code == 422
    items = error_items(page)
    assert items == [
        "第 4 行，B 来电时间 列：日期时间 '昨天下午' 无法识别：应写作 2026-11-03 14:05、"
        "2026/11/3 14:05:00 或 2026年11月3日 14:05 等",
        "第 5 行，A 工单编号 列：工单编号为空",
        "第 6 行，N 满意度 列：无法识别的值 '还行吧'；应为以下之一："
        + items[2].split("应为以下之一：", 1)[1],
        "第 6 行，R 来电号码 列：不是大陆手机或固定电话号码（*****）",
        "第 7 行，A 工单编号 列：工单编号 GD001 已在第 3 行出现",
        "第 8 行，B 来电时间 列：日期时间 '2026-02-30 10:00' 有误：2026-02-30 不是有效的日期",
    ]
    assert "满意、" in items[2] and "[values.satisfaction]" in items[2]
    for item in items:
        assert not any(word in item for word in ENGLISH), item
    assert stored(settings) == {}


async def test_row_errors_are_english_with_the_english_choice(
    web: Web, settings: Settings, tmp_path: Path
) -> None:
    csrf = await as_admin(web)
    # The cookie set by ?lang=en carries the choice to the upload.
    assert "pj_lang=en" in (await web.client.get("/admin/workorders?lang=en")).headers["set-cookie"]
    page = await upload(web, csrf, write_csv(tmp_path / "bad.csv", BAD))
    assert page.status_code == 422 and '<html lang="en">' in page.text
    items = error_items(page)
    assert items[:2] == [
        "Line 4, column B 来电时间: bad date '昨天下午': expected e.g. 2026-11-03 14:05, "
        "2026/11/3 14:05:00 or 2026年11月3日 14:05",
        "Line 5, column A 工单编号: order number is empty",
    ]
    assert items[2].startswith("Line 6, column N 满意度: unknown value '还行吧'; expected one of ")
    assert items[3:] == [
        "Line 6, column R 来电号码: not a mainland mobile or landline number (*****)",
        "Line 7, column A 工单编号: order number GD001 already on line 3",
        "Line 8, column B 来电时间: bad date '2026-02-30 10:00': 2026-02-30 is not a calendar date",
    ]
    for item in items:
        assert not any(word in item for word in CHINESE), item
        # Past the column's own (Chinese) header, only quoted cells and examples may be CJK.
        reason = item.split(": ", 1)[1]
        reason = re.sub(r"'[^']*'|2026年11月3日|\([^)]*\)$", "", reason)
        if "unknown value" not in item:  # lists the profile's Chinese spellings
            assert not CJK.search(reason), item


async def test_query_lang_en_applies_to_the_upload(web: Web, tmp_path: Path) -> None:
    csrf = await as_admin(web)
    path = write_csv(tmp_path / "bad.csv", BAD[:3])
    files = {"file": (path.name, path.read_bytes(), "text/csv")}
    page = await web.client.post(
        "/admin/workorders/import?lang=en", data={"channel": "12345", "csrf": csrf}, files=files
    )
    assert page.status_code == 422
    assert "Line 5, column A 工单编号: order number is empty" in error_items(page)


async def test_file_errors_in_the_page_language(web: Web, tmp_path: Path) -> None:
    csrf = await as_admin(web)
    wrong = write_csv(tmp_path / "roster.csv", [["100001", "张伟"]], header=["警号", "姓名"])
    binary = tmp_path / "x.csv"
    binary.write_bytes(b"\x00\x01\x02")
    page = await upload(web, csrf, wrong)
    assert page.status_code == 400
    assert "roster.csv：无法导入（前 20 行中找不到表头：列配置 12345 需要以下列：" in text(page)
    assert "no header row" not in text(page)
    page = await upload(web, csrf, binary)
    assert "这不是 CSV 文本文件（内容为二进制）" in text(page)
    await web.client.get("/admin/workorders?lang=en")
    page = await upload(web, csrf, wrong)
    assert page.status_code == 400
    assert "roster.csv: cannot import (no header row found in the first 20 lines" in text(page)
    assert "找不到表头" not in text(page)
    page = await upload(web, csrf, binary)
    assert "this is not a CSV text file (binary content)" in text(page)

"""Admin pages in Chinese by default and in English on request, as the citizen pages are."""

from __future__ import annotations

import html
import re
from pathlib import Path
from string import Formatter

import httpx
import pytest

from rating.admin.texts import CHANNEL_LABELS, ROLE_LABELS, admin_texts
from rating.cases import model
from rating.settings import Settings
from tests.cases.helpers import (
    QIAODONG,
    add_user,
    bad_rating,
    case_id_of,
    hidden,
    login,
)
from tests.conftest import Web, make_settings

# Chinese characters and the full-width punctuation that goes with them (（）：、).
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
# Written once into the audit log and shown as stored, in any language.
STORED_AUDIT = ("系统", "评价 1 级")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # The `web` fixture of tests/conftest.py serves these settings.
    return make_settings(tmp_path, admin_lockout_attempts=3)


def visible(page: httpx.Response) -> str:
    """The text a reader sees: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", " ", page.text))


def nav(page: httpx.Response) -> str:
    match = re.search(r"<nav>(.*?)</nav>", page.text, re.S)
    assert match, "no navigation on the page"
    return html.unescape(re.sub(r"<[^>]+>", " ", match.group(1)))


async def data_strings(web: Web) -> list[str]:
    """Names that come from the roster: shown as they are, whatever the page language."""
    units = await web.store.list_units()
    names = [o.name for o in web.officers]
    parts = [p for u in units for p in u.path.split("/")]
    # Longest first, so a full path goes before its own parts.
    return sorted({*names, *(u.path for u in units), *parts}, key=len, reverse=True)


async def leftover_chinese(web: Web, page: httpx.Response) -> list[str]:
    """Chinese left on an English page once the roster's names and the toggle are removed."""
    text = visible(page)
    for value in [*await data_strings(web), *STORED_AUDIT]:
        text = text.replace(value, "")
    text = text.replace("中文", "", 1)  # the toggle names the other language in that language
    return [line.strip() for line in text.splitlines() if CJK.search(line)]


async def admin_with_case(web: Web, settings: Settings) -> int:
    """One open case (the rating clears the client's cookies), then an admin logged in."""
    case_id = case_id_of(settings, await bad_rating(web, 0, reasons=["attitude"]))
    await add_user(web, "admin1", "admin")
    assert (await login(web, "admin1")).status_code == 303
    return case_id


async def test_admin_pages_are_chinese_by_default(web: Web, settings: Settings) -> None:
    login_page = await web.client.get("/admin/login")
    assert '<html lang="zh-CN">' in login_page.text
    assert "<h1>登录</h1>" in login_page.text and "用户名" in login_page.text
    assert "Log in" not in login_page.text
    case_id = await admin_with_case(web, settings)
    page = await web.client.get("/admin/cases")
    assert page.status_code == 200
    assert '<html lang="zh-CN">' in page.text
    assert "<h1>案件列表</h1>" in page.text and '<th scope="col">立案时间</th>' in page.text
    assert "待回访" in page.text and "非常不满意" in page.text
    assert "Awaiting callback" not in page.text and "<h1>Cases</h1>" not in page.text
    # The toggle offers English, for this very page.
    assert re.search(
        r'<a class="lang"[^>]*href="/admin/cases\?lang=en"[^>]*>English</a>', page.text
    )
    detail = await web.client.get(f"/admin/cases/{case_id}")
    assert f"案件 #{case_id}" in detail.text and "办理记录" in detail.text


async def test_english_toggle_translates_the_case_list(web: Web, settings: Settings) -> None:
    await admin_with_case(web, settings)
    page = await web.client.get("/admin/cases?lang=en")
    assert page.status_code == 200
    assert '<html lang="en">' in page.text
    assert "<h1>Cases</h1>" in page.text
    for header in ("No.", "Opened", "Unit", "Officer", "Rating", "State", "Due", "Handler"):
        assert f'<th scope="col">{header}</th>' in page.text
    assert '<td data-label="State">Awaiting callback</td>' in page.text  # the case's state
    assert '<td data-label="Rating">Very dissatisfied</td>' in page.text  # its rating level
    assert ">Filter</button>" in page.text and "Export CSV" in page.text
    menu = nav(page)
    assert "Cases" in menu and "Overdue" in menu and "Work-order import" in menu
    assert not CJK.search(menu), menu
    assert "admin1 (Administrator)" in visible(page) and "Log out" in page.text
    assert await leftover_chinese(web, page) == []
    # The toggle now offers Chinese.
    assert re.search(r'<a class="lang"[^>]*href="/admin/cases\?lang=zh"[^>]*>中文</a>', page.text)


async def test_english_choice_persists_across_pages(web: Web, settings: Settings) -> None:
    case_id = await admin_with_case(web, settings)
    first = await web.client.get("/admin/cases?lang=en")
    assert "pj_lang=en" in first.headers["set-cookie"]
    # No ?lang= from here on: the cookie carries the choice.
    detail = await web.client.get(f"/admin/cases/{case_id}")
    assert '<html lang="en">' in detail.text
    assert f"Case #{case_id}" in detail.text and "Awaiting callback" in detail.text
    assert "Case history" in detail.text and "<h3>Take case</h3>" in detail.text
    assert "Very dissatisfied: Attitude" in visible(detail)
    assert await leftover_chinese(web, detail) == []
    officer = await web.client.get("/admin/officers/100001")
    assert "Ratings of the last 90 days" in officer.text and "Police officer" in officer.text
    assert await leftover_chinese(web, officer) == []
    unit = next(u for u in await web.store.list_units() if u.path == QIAODONG)
    unit_page = await web.client.get(f"/admin/units/{unit.code}")
    assert "Awaiting callback 1" in unit_page.text and "Sub-units" in unit_page.text
    assert await leftover_chinese(web, unit_page) == []
    imports = await web.client.get("/admin/workorders")
    assert "Upload a hotline export" in imports.text and "No imports yet" in imports.text
    assert await leftover_chinese(web, imports) == []
    # Switching back sticks too.
    await web.client.get("/admin/cases?lang=zh")
    again = await web.client.get(f"/admin/cases/{case_id}")
    assert '<html lang="zh-CN">' in again.text and f"案件 #{case_id}" in again.text


async def test_login_page_and_lockout_message_in_english(web: Web) -> None:
    await add_user(web, "admin1", "admin")
    page = await web.client.get("/admin/login?next=/admin/cases&lang=en")
    assert '<html lang="en">' in page.text and "<h1>Log in</h1>" in page.text
    assert "User name" in page.text and "Password" in page.text
    assert 'href="/admin/login?next=%2Fadmin%2Fcases&amp;lang=zh"' in page.text
    r = await login(web, "admin1", "wrong password")
    assert r.status_code == 401 and "Wrong user name or password." in r.text
    for _ in range(2):
        await login(web, "admin1", "wrong password")
    r = await login(web, "admin1")
    assert r.status_code == 401  # locked: answered as a wrong password (issue 14)
    assert "After repeated failures the account is locked" in r.text
    assert "锁定" not in r.text and '<html lang="en">' in r.text


async def test_logged_out_link_keeps_the_language_for_the_login_page(web: Web) -> None:
    r = await web.client.get("/admin/cases?lang=en")
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/login")
    page = await web.client.get(r.headers["location"])
    assert "<h1>Log in</h1>" in page.text


async def test_english_by_accept_language(web: Web) -> None:
    page = await web.client.get("/admin/login", headers={"accept-language": "en-US,en;q=0.9"})
    assert '<html lang="en">' in page.text and "<h1>Log in</h1>" in page.text


async def test_admin_view_errors_in_english(web: Web, settings: Settings) -> None:
    case_id = await admin_with_case(web, settings)
    await web.client.get("/admin/cases?lang=en")
    r = await web.client.post(f"/admin/cases/{case_id}/callback", data={"outcome": "reached"})
    assert r.status_code == 403 and "CSRF token missing or wrong" in r.text
    assert "刷新" not in r.text
    csrf = hidden((await web.client.get("/admin/workorders")).text, "csrf")
    r = await web.client.post(
        "/admin/workorders/import",
        data={"csrf": csrf, "channel": "12345"},
        files={"file": ("empty.csv", b"", "text/csv")},
    )
    assert r.status_code == 400 and "empty.csv: the file is empty." in r.text
    # The page answers a POST: its toggle leads to the upload page, not to the POST URL.
    assert 'href="/admin/workorders?lang=zh"' in r.text


async def test_permission_error_in_english(web: Web, settings: Settings) -> None:
    await add_user(web, "qiaodong", "unit_manager", QIAODONG)
    await login(web, "qiaodong")
    r = await web.client.get("/admin/workorders?lang=en")
    assert r.status_code == 403 and "only admins may import work orders" in r.text
    r = await web.client.get("/admin/workorders?lang=zh")
    assert r.status_code == 403 and "仅管理员可以导入工单" in r.text


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name}


def test_every_text_has_both_languages_with_the_same_placeholders() -> None:
    for key, zh in admin_texts["zh"].items():
        en = admin_texts["en"][key]
        assert zh and en, key
        assert _fields(zh) == _fields(en), key
        assert not CJK.search(en) or key.startswith("switch_lang"), (key, en)
    pairs = [
        (model.STATE_LABELS, model.STATE_LABELS_EN),
        (model.OUTCOME_LABELS, model.OUTCOME_LABELS_EN),
        (model.VERIFICATION_LABELS, model.VERIFICATION_LABELS_EN),
        (model.FIX_LABELS, model.FIX_LABELS_EN),
        (model.ACTION_LABELS, model.ACTION_LABELS_EN),
        (CHANNEL_LABELS["zh"], CHANNEL_LABELS["en"]),
        (ROLE_LABELS["zh"], ROLE_LABELS["en"]),
    ]
    for zh_labels, en_labels in pairs:
        assert zh_labels.keys() == en_labels.keys()
        assert not any(CJK.search(v) for v in en_labels.values()), en_labels

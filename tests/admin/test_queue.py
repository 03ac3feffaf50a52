"""The case queue: my cases, unassigned in my scope, bulk assignment (POST/redirect/GET,
CSRF, audited, scoped), countdowns, actions offered from the state table, labels instead
of codes, the callback script, and the admin error page."""

from __future__ import annotations

import contextlib
import sqlite3
from typing import Any

from rating.admin.texts import admin_texts, labels
from rating.admin.texts_dash import audit_note, countdown
from rating.cases.service import now_ms
from rating.settings import Settings
from tests.cases.helpers import (
    QIAODONG,
    QIAOXI,
    act,
    add_user,
    bad_rating,
    case_id_of,
    hidden,
    login,
    rows,
)
from tests.conftest import Web

HOUR = 3_600_000


def execute(settings: Settings, sql: str, params: tuple[Any, ...] = ()) -> None:
    with contextlib.closing(sqlite3.connect(settings.database)) as conn, conn:
        conn.execute(sql, params)


def user_id(settings: Settings, name: str) -> int:
    return int(rows(settings, "SELECT id FROM admin_users WHERE name = ?", (name,))[0][0])


async def test_views_and_bulk_assign(web: Web, settings: Settings) -> None:
    a = case_id_of(settings, await bad_rating(web, 0))
    b = case_id_of(settings, await bad_rating(web, 1))
    west = case_id_of(settings, await bad_rating(web, 2))
    await add_user(web, "chief", "admin")
    await add_user(web, "east", "unit_manager", QIAODONG)
    await add_user(web, "westy", "unit_manager", QIAOXI)
    await login(web, "chief")

    page = await web.client.get("/admin/cases?view=unassigned")
    assert all(f'name="case" value="{i}"' in page.text for i in (a, b, west))
    assert "还剩" in page.text  # the countdown to each callback deadline
    form = {"csrf": hidden(page.text, "csrf"), "handler": str(user_id(settings, "east")),
            "back": "/admin/cases?view=unassigned"}  # fmt: skip
    # Without the CSRF token: refused, nothing assigned.
    refused = await web.client.post(
        "/admin/cases/assign", data={**form, "csrf": "x", "case": [str(a)]}
    )
    assert refused.status_code == 403 and "案件" in refused.text  # the admin frame
    # A 桥东 manager cannot take a 桥西 case: all or nothing.
    mixed = await web.client.post("/admin/cases/assign", data={**form, "case": [str(a), str(west)]})
    assert mixed.status_code == 400 and "承办人" in mixed.text
    assert rows(settings, "SELECT COUNT(*) FROM cases WHERE handler_id IS NOT NULL") == [(0,)]

    done = await web.client.post("/admin/cases/assign", data={**form, "case": [str(a), str(b)]})
    assert done.status_code == 303
    assert done.headers["location"].startswith("/admin/cases?view=unassigned&assigned=2")
    shown = await web.client.get(done.headers["location"])
    assert "已分配 2 件案件给 east。" in shown.text
    assert (
        f'name="case" value="{a}"' not in shown.text and f'name="case" value="{west}"' in shown.text
    )
    audit = rows(
        settings,
        "SELECT case_id, actor_name, action, note FROM audit_log WHERE action = 'assign' "
        "ORDER BY case_id",
    )
    assert audit == [(a, "chief", "assign", "east"), (b, "chief", "assign", "east")]

    web.client.cookies.clear()
    await login(web, "east")
    mine = await web.client.get("/admin/cases?view=mine")
    assert f"/admin/cases/{a}" in mine.text and f"/admin/cases/{west}" not in mine.text
    # A filter stays in the URL across the view: the page's links keep it.
    filtered = await web.client.get("/admin/cases?view=mine&state=open")
    assert 'name="view" value="mine"' in filtered.text
    assert "/admin/cases.csv?view=mine&amp;state=open" in filtered.text
    detail = await web.client.get(f"/admin/cases/{a}")
    assert "分配承办人" in detail.text  # the audit entry as a label
    # Already the handler: 认领 is not offered; the other allowed actions are.
    assert f'action="/admin/cases/{a}/take"' not in detail.text
    assert f'action="/admin/cases/{a}/callback"' in detail.text
    assert (await web.client.get("/admin/cases?view=nobody")).status_code == 400


async def test_a_viewer_cannot_assign(web: Web, settings: Settings) -> None:
    case = case_id_of(settings, await bad_rating(web, 0))
    await add_user(web, "look", "viewer")
    await add_user(web, "chief", "admin")
    await login(web, "look")
    page = await web.client.get("/admin/cases")
    assert 'action="/admin/cases/assign"' not in page.text
    r = await web.client.post(
        "/admin/cases/assign",
        data={"csrf": hidden(page.text, "csrf"), "handler": str(user_id(settings, "chief")),
              "case": str(case)},
    )  # fmt: skip
    assert r.status_code == 403
    assert 'href="/admin/cases"' in r.text and "无权访问" in r.text  # the admin error page


async def test_countdown_labels_script_and_closed_cases(web: Web, settings: Settings) -> None:
    case = case_id_of(settings, await bad_rating(web, 0, reasons=["attitude"]))
    execute(
        settings,
        "UPDATE cases SET callback_due_at = ? WHERE id = ?",
        (now_ms() - 3 * HOUR - 60_000, case),
    )
    await add_user(web, "chief", "admin")
    await login(web, "chief")
    page = await web.client.get(f"/admin/cases/{case}")
    assert "逾期 3 小时" in page.text
    # The callback script beside the callback form: what to say, questions, the rating.
    assert "回访话术" in page.text and "服务态度" in page.text and "非常不满意" in page.text
    english = await web.client.get(f"/admin/cases/{case}?lang=en")
    assert "3 hour(s) overdue" in english.text and "Callback script" in english.text
    await act(web, case, "callback", outcome="reached", note="聊过了")
    page = await web.client.get(f"/admin/cases/{case}?lang=zh")
    assert "已联系上：聊过了" in page.text and "[reached]" not in page.text
    await act(web, case, "verify", verification="unsubstantiated", note="不属实")
    await act(web, case, "close", note="办结")
    closed = await web.client.get(f"/admin/cases/{case}")
    assert "/reveal" not in closed.text
    officer = await web.client.get("/admin/officers/100001")
    assert "警号牌扫码" in officer.text or "网页" in officer.text
    assert "<td>badge</td>" not in officer.text and "<td>web</td>" not in officer.text


async def test_a_closed_case_refuses_the_reveal(web: Web, settings: Settings) -> None:
    case = case_id_of(settings, await bad_rating(web, 0, phone="13812345678", consent=True))
    await add_user(web, "chief", "admin")
    await login(web, "chief")
    await act(web, case, "take")
    await act(web, case, "callback", outcome="reached", note="n")
    await act(web, case, "verify", verification="unsubstantiated", note="n")
    await act(web, case, "close", note="n")
    page = await web.client.get(f"/admin/cases/{case}")
    r = await web.client.post(
        f"/admin/cases/{case}/reveal", data={"csrf": hidden(page.text, "csrf")}
    )
    assert r.status_code == 409 and "13812345678" not in r.text


async def test_admin_not_found_page_has_the_admin_header(web: Web) -> None:
    await add_user(web, "chief", "admin")
    await login(web, "chief")
    r = await web.client.get("/admin/cases/99999")
    assert r.status_code == 404
    assert 'href="/admin/cases?view=mine"' in r.text and "页面不存在" in r.text
    r = await web.client.get("/admin/nothing-here?lang=en")
    assert r.status_code == 404 and "Page not found" in r.text and "Log out" in r.text


def test_countdown_words() -> None:
    zh, en = admin_texts("zh"), admin_texts("en")
    now = 1_800_000_000_000
    assert countdown(now + 2 * 86_400_000 + 5, now, zh) == "还剩 2 天"
    assert countdown(now - 3 * HOUR - 1, now, zh) == "逾期 3 小时"
    assert countdown(now + 10 * 60_000, now, en) == "10 minute(s) left"
    assert countdown(now - 1, now, en) == "1 minute(s) overdue"


def test_audit_notes_become_words() -> None:
    zh = labels("zh")
    assert audit_note("callback", "[unreachable] 无人接听", zh, "：") == "无法联系：无人接听"
    assert audit_note("verify", "[partly_substantiated] x", zh, "：") == "部分属实：x"
    assert audit_note("fix_rating", "satisfied", labels("en"), ": ") == "Satisfied"
    assert audit_note("open", "评价 1 级", zh, "：") == "评价 1 级"

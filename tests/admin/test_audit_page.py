"""The admin audit page (/admin/audit): the entries of users, kiosks, notifications and the
other areas that belong to no case, filtered by kind and by who acted, in the page's
language, for admins only; and every action the code writes outside a case has a kind."""

from __future__ import annotations

import ast
import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from rating.admin import auth, kiosk_admin
from rating.admin.audit_log import ALL_ACTIONS, KINDS
from rating.admin.texts_auditlog import action_labels as ACTION_LABELS
from rating.admin.texts_auditlog import kind_labels as KIND_LABELS
from rating.cases import service
from rating.cases.audit import audit
from rating.cases.model import CaseAction
from rating.notify import service as notify
from rating.settings import Settings
from rating.store.tx import Tx
from tests.cases.helpers import QIAODONG, add_user, bad_rating, login
from tests.cases.helpers import rows as rows_of
from tests.conftest import Web, open_web

ROOT = Path(__file__).resolve().parents[2]
STATION = "张家口市公安局/桥东分局/胜利路派出所"


@pytest.fixture
async def web(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Web]:
    """The app once the purge it starts in the background at start-up has written its
    entries: the pages below list them, and must not race it."""
    done = asyncio.Event()
    run_purge = service.run_purge

    async def first_purge(*args: Any, **kwargs: Any) -> Any:
        try:
            return await run_purge(*args, **kwargs)
        finally:
            done.set()

    monkeypatch.setattr(service, "run_purge", first_purge)
    async for w in open_web(settings):
        await asyncio.wait_for(done.wait(), 60)
        yield w


def _rows(page: str) -> list[tuple[str, str, str, str]]:
    """(kind, actor, action, note) of each entry row."""
    table = page[page.index('id="audit"') :]
    return re.findall(
        r'<tr id="entry-\d+" class="kind-[a-z]*"><td[^>]*>[^<]*</td><td[^>]*>([^<]*)</td>'
        r"<td[^>]*>([^<]*)</td><td[^>]*>([^<]*)</td><td[^>]*>([^<]*)</td>",
        table,
    )


async def test_admins_see_users_kiosks_and_notifications_by_kind_and_actor(web: Web) -> None:
    await add_user(web, "centre", "admin")
    user = await web.store.read(auth.user_by_name, "centre")
    assert user is not None
    actor = user.actor()
    await kiosk_admin.add_kiosk(web.store, actor, "户籍窗口1", STATION)
    await notify.add_subscription(
        web.store, STATION, "wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1",
        "", "bad_rating", actor=actor,
    )  # fmt: skip
    await bad_rating(web)  # a case's entries stay on its case page
    assert (await login(web, "centre")).status_code == 303

    page = await web.client.get("/admin/audit")
    assert page.status_code == 200 and '<a href="/admin/audit">审计日志</a>' in page.text
    rows = _rows(page.text)
    # Newest first: the sign-in, the subscription, the kiosk, the account (added by the
    # system), then the start-up's purge; no case entry.
    assert [(k, a, act) for k, a, act, _ in rows[:4]] == [
        ("用户与权限", "centre", "登录"),
        ("通知", "centre", "新增通知接收方"),
        ("评价器", "centre", "新增评价器"),
        ("用户与权限", "系统", "新增用户"),
    ]
    assert {(k, act) for k, _, act, _ in rows[4:]} == {("到期清理", "到期清理")}
    assert rows[2][3] == f"户籍窗口1（{STATION}）" and rows[3][3] == "centre：管理员，范围 全局"
    assert "key=k1" not in page.text  # the webhook's key is masked in the note

    kiosks = _rows((await web.client.get("/admin/audit?kind=kiosks")).text)
    assert [act for _, _, act, _ in kiosks] == ["新增评价器"]
    english = await web.client.get("/admin/audit?kind=notifications&lang=en")
    assert [(k, act) for k, _, act, _ in _rows(english.text)] == [
        ("Notifications", "Notification target added")
    ]
    assert '<option value="notifications" selected>' in english.text
    assert _rows((await web.client.get("/admin/audit?actor=nobody")).text) == []
    assert len(_rows((await web.client.get("/admin/audit?actor=centre")).text)) == 3

    bad = await web.client.get("/admin/audit?kind=cases")
    assert bad.status_code == 400 and "kind" in bad.text


def _many_purges(tx: Tx, n: int) -> None:
    for k in range(n):
        audit(tx, 1_764_633_600_000 + k, None, "purge", note="device data", items=k)


async def test_pages_of_a_hundred_and_the_system_as_an_actor(web: Web) -> None:
    await web.store.write(_many_purges, 101)
    await add_user(web, "centre", "admin")
    await login(web, "centre")
    first = await web.client.get("/admin/audit?kind=retention")
    rows = _rows(first.text)
    assert len(rows) == 100 and rows[0][1] == "系统" and rows[0][2] == "到期清理"
    assert 'href="/admin/audit?kind=retention&amp;page=2"' in first.text
    # The 101 above and the entries of the purge the server ran at start-up.
    [(count,)] = rows_of(web.svc.settings, "SELECT COUNT(*) FROM audit_log WHERE action = 'purge'")
    second = _rows((await web.client.get("/admin/audit?kind=retention&page=2")).text)
    assert count > 101 and len(second) == count - 100
    english = await web.client.get("/admin/audit?kind=retention&lang=en")
    assert _rows(english.text)[0][1:3] == ("System", "Retention purge")
    # The purge's notes in words, its cutoff as a time; the count column headed and filled.
    assert '<td data-label="Details">Rating device data</td>' in english.text
    startup = _rows((await web.client.get("/admin/audit?kind=retention&actor=系统&lang=zh")).text)
    assert {n for *_, n in startup} >= {"评价设备数据", "来信电话与照片", "工单来电号码"}
    assert any(
        re.fullmatch(r"评价电话号码（20\d\d-\d\d-\d\d \d\d:\d\d 之前）", n) for *_, n in startup
    )
    assert '<th scope="col">Items</th>' in english.text
    assert '<td data-label="Items">100</td>' in english.text


async def test_other_roles_are_refused_and_see_no_link(web: Web) -> None:
    await add_user(web, "east", "unit_manager", QIAODONG)
    await login(web, "east")
    r = await web.client.get("/admin/audit")
    assert r.status_code == 403
    assert 'href="/admin/audit"' not in (await web.client.get("/admin/cases")).text
    web.client.cookies.clear()
    r = await web.client.get("/admin/audit")
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/login")


PAGES_OF_KINDS = {
    "/admin/users": "users",
    "/admin/kiosks": "kiosks",
    "/admin/notifications": "notifications",
    "/admin/supervisors": "supervisors",
}


async def test_pages_link_to_their_kind_of_entries_for_admins(web: Web) -> None:
    await add_user(web, "centre", "admin")
    await add_user(web, "east", "unit_manager", QIAODONG)
    await login(web, "centre")
    for path, kind in PAGES_OF_KINDS.items():
        zh = (await web.client.get(path + "?lang=zh")).text
        en = (await web.client.get(path + "?lang=en")).text
        link = f'<a href="/admin/audit?kind={kind}" id="audit-link">'
        assert link + "查看本页相关的审计日志</a>" in zh, path
        assert link + "This page&#39;s changes in the audit log</a>" in en, path
        assert (await web.client.get(f"/admin/audit?kind={kind}")).status_code == 200
    web.client.cookies.clear()
    await login(web, "east")
    # A unit manager sees the notifications page but may not read the audit log.
    page = await web.client.get("/admin/notifications")
    assert page.status_code == 200 and 'id="audit-link"' not in page.text
    assert "/admin/audit" not in page.text


def _actions_written_outside_a_case() -> set[str]:
    """Every action literal passed to audit()/_audit() without a case_id, in rating/."""
    found: set[str] = set()
    for path in (ROOT / "rating").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name not in ("audit", "_audit") or len(node.args) < 4:
                continue
            if any(k.arg == "case_id" for k in node.keywords):
                continue
            arg = node.args[3]
            options = [arg.body, arg.orelse] if isinstance(arg, ast.IfExp) else [arg]
            found |= {o.value for o in options if isinstance(o, ast.Constant)}
    return found


def test_every_action_written_outside_a_case_has_a_kind_and_words() -> None:
    written = _actions_written_outside_a_case()
    assert {"user_add", "kiosk_add", "notify_add", "lockout", "notify_enable"} <= written
    assert written - {str(a) for a in CaseAction} <= set(ALL_ACTIONS), written - set(ALL_ACTIONS)
    assert len(ALL_ACTIONS) == len(set(ALL_ACTIONS))  # one kind each
    for lang in ("zh", "en"):
        assert set(ACTION_LABELS[lang]) == set(ALL_ACTIONS)
        assert set(KIND_LABELS[lang]) == set(KINDS)

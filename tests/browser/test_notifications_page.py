"""The notifications page in a real browser, on a phone (390x844) and a laptop (1366x768):
subscriptions, the outbox and the dead letters fit (no horizontal page scroll, touch targets
of at least 44 px), axe finds nothing serious or critical in either language; and with
JavaScript off a subscription is added, edited and stopped (every form posts and
redirects without scripts), its robot key never shown back.

The subscriptions made here want warnings only, which the server never enqueues on its
own (`pingjing notify warnings` does): the shared server sends nothing because of them."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.browser.conftest import Contexts, Server, axe
from tests.browser.test_people_pages import LAPTOP, PASSWORD, PHONE, _admin, _small_targets

ROBOT = "http://127.0.0.1:9/cgi-bin/webhook/send?key=browser-robot-key"


def _login(page: Any, server: Server, name: str) -> None:
    """Sign in straight to this page: not through the dashboard, whose current-week counts
    the server reuses for a minute (a later test counting new ratings there would see the
    counts of this moment)."""
    page.goto(server.base + "/admin/login?next=/admin/notifications")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server.base + "/admin/notifications")


def _seed(server: Server) -> None:
    """A robot subscription with a dead letter and a delivery waiting in the outbox."""
    if server.query("SELECT 1 FROM notify_subscriptions WHERE label = '浏览器测试群'"):
        return
    now = int(time.time() * 1000)
    server.execute(
        "INSERT INTO notify_subscriptions (sender, target, events, label, created_at) "
        "VALUES ('wecom', ?, 'warning', '浏览器测试群', ?)",
        (ROBOT, now),
    )
    (sub,) = server.query("SELECT MAX(id) FROM notify_subscriptions")[0]
    payload = json.dumps({"warning": "baseline", "unit": None, "detail": "x", "week": "2026-W40"})
    for key, state, next_at in (("browser:dead", "dead", now), ("browser:wait", "pending",
                                                                 now + 86_400_000)):  # fmt: skip
        server.execute(
            "INSERT INTO notify_events (kind, dedup_key, payload, created_at) "
            "VALUES ('warning', ?, ?, ?)",
            (key, payload, now),
        )
        (event,) = server.query("SELECT id FROM notify_events WHERE dedup_key = ?", (key,))[0]
        server.execute(
            "INSERT INTO notify_deliveries (event_id, subscription_id, state, attempts, "
            "next_at, last_error, created_at) VALUES (?, ?, ?, 2, ?, 'HTTP 500', ?)",
            (event, sub, state, next_at, now),
        )


@pytest.mark.parametrize("device", ["phone", "laptop"])
def test_notifications_page_fits_and_passes_axe(
    contexts: Contexts, server: Server, shot: Any, device: str
) -> None:
    _admin(server, "notify-admin")
    _seed(server)
    page = contexts.new(**(PHONE if device == "phone" else LAPTOP)).new_page()
    _login(page, server, "notify-admin")
    for lang in ("zh", "en"):
        page.goto(f"{server.base}/admin/notifications?lang={lang}")
        assert page.locator("h1").count() == 1
        assert page.locator("#subs").count() == 1 and page.locator("#dead tbody tr").count() >= 1
        assert page.locator("#outbox tbody tr").count() >= 1
        assert "browser-robot-key" not in page.content()
        # The edit form open too: its fields must fit and be large enough as well.
        page.locator("#subs details summary").first.click()
        name = f"notify-{device}-{lang}"
        if lang == "zh":
            shot(page, name)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, (lang, overflow)
        assert _small_targets(page) == []
        axe(page, name)
        # The header links the page, in the page's language.
        link = page.locator("header nav a[href='/admin/notifications']")
        assert link.inner_text() == ("消息通知" if lang == "zh" else "Notifications")


def test_add_edit_and_stop_with_javascript_off(
    contexts: Contexts, server: Server, shot: Any
) -> None:
    _admin(server, "notify-admin")
    page = contexts.new(java_script_enabled=False, **PHONE).new_page()
    _login(page, server, "notify-admin")
    page.goto(server.base + "/admin/notifications")
    form = page.locator("form[action='/admin/notifications/add']")
    form.locator("select[name=sender]").select_option("email")
    form.locator("input[name=target]").fill("duty@example.cn")
    form.locator("input[name=label]").fill("值班邮箱")
    for kind in ("bad_rating", "overdue"):  # warnings only: the server sends nothing
        form.locator(f"input[value={kind}]").uncheck()
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/admin/notifications")
    assert "已添加订阅" in page.locator("#flash").inner_text()
    row = page.locator("#subs tr", has_text="值班邮箱")
    assert "d***@example.cn" in row.inner_text() and "duty@" not in row.inner_text()
    (sub_id,) = server.query(
        "SELECT id FROM notify_subscriptions WHERE target = 'duty@example.cn'"
    )[0]
    row.locator("summary").click()
    row.locator("input[name=label]").fill("夜间值班邮箱")
    row.locator("form[action='/admin/notifications/edit'] button[type=submit]").click()
    page.wait_for_url("**/admin/notifications")
    assert f"已保存订阅 #{sub_id}" in page.locator("#flash").inner_text()
    row = page.locator(f"#sub-{sub_id}")
    assert "夜间值班邮箱" in row.inner_text()
    row.locator("form[action='/admin/notifications/disable'] button").click()
    page.wait_for_url("**/admin/notifications")
    assert "已停用" in page.locator(f"#sub-{sub_id}").inner_text()
    shot(page, "notify-stopped-phone")
    assert server.query(
        "SELECT target, label, events, disabled FROM notify_subscriptions WHERE id = ?", (sub_id,)
    ) == [("duty@example.cn", "夜间值班邮箱", "warning", 1)]
    page.reload()
    assert page.locator("#flash").count() == 0  # shown once

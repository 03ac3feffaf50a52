"""A supervisor on a phone: the report archive page, a report made from it that opens in the
browser (not as a download) and fits the phone's width, and the archive listing it."""

from __future__ import annotations

import time
from typing import Any

from rating.admin import auth
from tests.browser.conftest import Contexts, Server

PASSWORD = "correct horse battery"
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}


def test_report_opens_on_a_phone_and_is_archived(
    contexts: Contexts, server: Server, shot: Any
) -> None:
    now = int(time.time() * 1000)
    server.execute(
        "INSERT INTO admin_users (name, password_hash, role, created_at, updated_at) "
        "VALUES (?, ?, 'admin', ?, ?)",
        ("supervisor", auth.hash_password(PASSWORD), now, now),
    )
    page = contexts.new(**PHONE).new_page()
    page.goto(server.base + "/admin/login")
    page.fill("input[name=name]", "supervisor")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(server.base + "/admin/reports")
    assert page.locator("h1").inner_text() == "报表存档"
    week = page.locator("select[name=week]").first.input_value()

    # "Open" makes the report; the browser shows it (a download would leave this page).
    # The click waits for the navigation it starts, so it gets the same 2 minutes: on a
    # loaded machine the report took longer than Playwright's default 30 s.
    with page.expect_navigation(timeout=120_000):
        page.click("form[action='/admin/report/weekly'] button[type=submit]", timeout=120_000)
    assert "/admin/report/weekly" in page.url
    assert page.locator("h1").inner_text().startswith(f"评警周报 {week}")
    shot(page, "report-phone")
    # The page fits the phone: wide tables scroll inside their box, the page does not.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, overflow
    assert page.locator("img[alt=chart]").count() == 3

    page.goto(server.base + "/admin/reports")
    rows = page.locator("#archive tbody tr")
    assert rows.count() == 1
    assert week in rows.first.inner_text()
    with page.expect_navigation():
        rows.first.locator("a", has_text="report.html").click()
    assert page.locator("h1").inner_text().startswith(f"评警周报 {week}")
    assert contexts.foreign() == []

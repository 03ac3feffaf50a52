"""Spot-check callbacks in a real browser on a phone (390x844): a satisfied citizen leaves
a phone on the receipt page, the day is sampled by the command, and the centre works the
task from its queue — each page checked with axe and for fitting the phone's width."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from rating.admin import auth
from tests.browser.conftest import SECRET, Contexts, Server, axe

PASSWORD = "correct horse battery"
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}
NUMBER = "13700001234"


def fits(page: Any) -> None:
    overflow = page.evaluate("document.querySelector('main').scrollWidth - window.innerWidth")
    assert overflow <= 1, overflow


def test_the_centre_confirms_a_sampled_rating_on_a_phone(
    contexts: Contexts, server: Server, shot: Any
) -> None:
    citizen = contexts.new(**PHONE).new_page()
    citizen.goto(f"{server.base}/r/{server.tokens['100002']}")
    with citizen.expect_navigation():
        citizen.click("button.l5")
    assert "/receipt/" in citizen.url
    citizen.fill("#spot-phone", NUMBER)
    citizen.check("#spot input[name=consent]")
    axe(citizen, "receipt-spotcheck")
    with citizen.expect_navigation():
        citizen.click("#spot button")
    assert "已留下回访电话" in citizen.content()

    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    env = dict(os.environ, PINGJING_DATABASE=str(server.db), PINGJING_SECRET=SECRET)
    done = subprocess.run(
        [sys.executable, "-m", "rating.cli", "spotcheck", "sample", "--day", today],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr

    now = int(time.time() * 1000)
    server.execute(
        "INSERT INTO admin_users (name, password_hash, role, created_at, updated_at) "
        "VALUES (?, ?, 'admin', ?, ?)",
        ("centre-spot", auth.hash_password(PASSWORD), now, now),
    )
    page = contexts.new(**PHONE).new_page()
    page.goto(server.base + "/admin/login")
    page.fill("input[name=name]", "centre-spot")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.goto(server.base + "/admin/spotchecks")
    assert page.locator("h1").inner_text() == "抽查回访"
    axe(page, "spotcheck-list")
    fits(page)
    shot(page, "spotcheck-list-phone")
    with page.expect_navigation():
        page.locator("#spotchecks li", has_text="李娜").first.locator("a").click()
    assert NUMBER not in page.content() and "137****1234" in page.content()
    axe(page, "spotcheck-task")
    fits(page)
    with page.expect_navigation():
        page.click("#claim")
    with page.expect_navigation():
        page.click("form[action$='/reveal'] button")
    assert page.locator("#phone").inner_text() == NUMBER
    page.goto(page.url.split("/reveal")[0])  # back to the task (the number not kept)
    page.check("input[name=outcome][value=confirmed]")
    with page.expect_navigation():
        page.click("#outcome-form button[type=submit]")
    assert "?done=recorded" in page.url
    assert page.locator("#outcome").inner_text().startswith("证实")
    axe(page, "spotcheck-done")
    fits(page)
    shot(page, "spotcheck-done-phone")

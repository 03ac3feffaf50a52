"""The officers, users, kiosks and units pages in a real browser, on a phone (390x844) and
a laptop (1366x768): no horizontal page scroll, touch targets of at least 44 px, axe with
no serious or critical violation; and with JavaScript off, a kiosk is added and its QR
code shown (every form posts and redirects without scripts)."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from rating.admin import auth
from tests.browser.conftest import Contexts, Server, axe

PASSWORD = "correct horse battery"
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
LAPTOP = {"viewport": {"width": 1366, "height": 768}}
PAGES = [
    "/admin/officers",
    "/admin/officers/100001",
    "/admin/users",
    "/admin/kiosks",
    "/admin/units",
    "/admin/audit",
]
# What a finger has to hit on these pages (inline text links inside sentences aside).
TARGETS = (
    "main button, main select, main input:not([type=hidden]):not([type=checkbox]), "
    "main summary, main table a, main .pager a, header nav a"
)


def _admin(server: Server, name: str) -> None:
    now = int(time.time() * 1000)
    server.execute(
        "INSERT INTO admin_users (name, password_hash, role, created_at, updated_at) "
        "VALUES (?, ?, 'admin', ?, ?) ON CONFLICT (name) DO NOTHING",
        (name, auth.hash_password(PASSWORD), now, now),
    )


def _login(page: Any, server: Server, name: str) -> None:
    page.goto(server.base + "/admin/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    # The login lands on the dashboard (/admin); anything but the login page again.
    page.wait_for_url(re.compile(r"/admin(?!/login)(/[^?]*)?(\?.*)?$"))


def _small_targets(page: Any) -> list[str]:
    return list(
        page.evaluate(
            """(sel) => [...document.querySelectorAll(sel)].filter(e => {
            const r = e.getBoundingClientRect();
            return r.width > 0 && r.height > 0 && r.height < 43.5;
        }).map(e => e.outerHTML.slice(0, 80))""",
            TARGETS,
        )
    )


@pytest.mark.parametrize("device", ["phone", "laptop"])
def test_people_pages_fit_and_pass_axe(
    contexts: Contexts, server: Server, shot: Any, device: str
) -> None:
    _admin(server, "people-admin")
    page = contexts.new(**(PHONE if device == "phone" else LAPTOP)).new_page()
    _login(page, server, "people-admin")
    for path in PAGES:
        for lang in ("zh", "en"):
            page.goto(f"{server.base}{path}?lang={lang}")
            assert page.locator("h1").count() == 1
            name = f"people-{device}-{lang}-{path.strip('/').replace('/', '-')}"
            if lang == "zh":
                shot(page, name)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, (path, overflow)
            assert _small_targets(page) == [], path
            axe(page, name)


def test_add_a_kiosk_with_javascript_off(contexts: Contexts, server: Server, shot: Any) -> None:
    _admin(server, "people-admin")
    page = contexts.new(java_script_enabled=False, **PHONE).new_page()
    _login(page, server, "people-admin")
    page.goto(server.base + "/admin/kiosks")
    page.fill("form[action='/admin/kiosks/add'] input[name=name]", "大厅评价器")
    page.click("form[action='/admin/kiosks/add'] button[type=submit]")
    page.wait_for_url("**/admin/kiosks")
    assert page.locator("#secret").inner_text().startswith(server.base + "/kiosk/#enroll=")
    assert page.locator(".qr svg").count() == 1
    shot(page, "people-kiosk-added-phone")
    axe_page = contexts.new(**PHONE).new_page()  # axe itself needs scripts
    _login(axe_page, server, "people-admin")
    axe_page.goto(server.base + "/admin/kiosks")
    assert "大厅评价器" in axe_page.locator("#kiosks").inner_text()
    page.reload()
    assert page.locator("#secret").count() == 0  # shown once

"""The bureau console in a real browser: the dashboard, the case queue and a case page at
a phone's 390x844 and a laptop's 1366x768 (the pages carry no script; their CSP forbids it):
no sideways page scroll, stacked rows with labels on the phone, touch targets of at least
44 px, axe with no serious or critical violation, and the POST/redirect/GET flows."""

from __future__ import annotations

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
SIZES = [pytest.param(PHONE, id="390x844"), pytest.param(LAPTOP, id="1366x768")]


def _admin(server: Server, name: str) -> None:
    now = int(time.time() * 1000)
    if not server.query("SELECT 1 FROM admin_users WHERE name = ?", (name,)):
        server.execute(
            "INSERT INTO admin_users (name, password_hash, role, created_at, updated_at) "
            "VALUES (?, ?, 'admin', ?, ?)",
            (name, auth.hash_password(PASSWORD), now, now),
        )


def _bad_rating(contexts: Contexts, server: Server, badge: str) -> None:
    """A citizen taps 非常不满意 on the officer's page (a fresh device each time)."""
    page = contexts.new(**PHONE).new_page()
    page.goto(f"{server.base}/r/{server.tokens[badge]}")
    with page.expect_response(lambda r: r.request.method == "POST") as tapped:
        page.get_by_role("button", name="非常不满意", exact=True).click()
    assert tapped.value.status == 201


def _login(contexts: Contexts, server: Server, name: str, size: dict[str, Any]) -> Any:
    # JavaScript stays on only so that the test can measure the page (Playwright's evaluate
    # hangs without it): the admin pages carry no script, and their CSP forbids any.
    page = contexts.new(**size).new_page()
    page.goto(server.base + "/admin/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server.base + "/admin")
    return page


def _fits(page: Any) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the page scrolls sideways by {overflow} px"


def _menu_is_one_row(page: Any) -> None:
    """On a phone the header leaves the screen to the page: the menu is one row that
    scrolls sideways (not wrapped rows), and its last link scrolls into view and is hit."""
    header = page.locator("header.top").bounding_box()
    assert header["height"] <= 0.2 * page.viewport_size["height"], header
    tops = page.evaluate(
        "[...new Set([...document.querySelectorAll('header nav a')]"
        ".map(a => Math.round(a.getBoundingClientRect().top)))]"
    )
    assert len(tops) == 1, tops
    last = page.locator("header nav a").last
    last.scroll_into_view_if_needed()
    box = last.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"] + 1, box
    _fits(page)


def _small_targets(page: Any, selector: str) -> list[str]:
    """Visible links and buttons under `selector` less than 44 px high (or wide)."""
    found: list[str] = page.evaluate(
        """(sel) => [...document.querySelectorAll(sel)].filter(e => {
            const r = e.getBoundingClientRect();
            return r.width > 0 && (r.height < 44 || r.width < 44);
        }).map(e => e.outerHTML.slice(0, 80))""",
        selector,
    )
    return found


@pytest.mark.parametrize("size", SIZES)
def test_dashboard_and_queue(
    contexts: Contexts, server: Server, shot: Any, size: dict[str, Any]
) -> None:
    tag = f"{size['viewport']['width']}x{size['viewport']['height']}"
    _admin(server, "console")
    _bad_rating(contexts, server, "100001")
    _bad_rating(contexts, server, "100002")
    page = _login(contexts, server, "console", size)

    assert page.locator("h1").first.inner_text().startswith("工作概览")
    assert page.locator("svg.spark").count() >= 4
    _fits(page)
    shot(page, f"admin-dashboard-{tag}")
    axe(page, f"dashboard {tag}")
    if size is PHONE:
        assert _small_targets(page, "header a, header button, .figures a, #open-cases a") == []
        _menu_is_one_row(page)

    # The figure links to the list behind it: the open cases waiting for a callback.
    page.locator("#open-cases a").first.click()
    assert "/admin/cases?" in page.url and "state=" in page.url
    page.goto(server.base + "/admin/cases?view=unassigned")
    rows = page.locator("table.cases tbody tr")
    assert rows.count() >= 2
    _fits(page)
    if size is PHONE:
        # Stacked rows: each cell carries its column's label, the header row is hidden.
        assert page.locator("table.cases thead").bounding_box()["height"] <= 1
        label = rows.first.locator("td[data-label]").nth(1)
        content = label.evaluate("e => getComputedStyle(e, '::before').content")
        assert content.strip('"') == "立案时间"
        assert _small_targets(page, ".tabs a, table.cases td a, .bulk button, label.check") == []
    shot(page, f"admin-queue-{tag}")
    axe(page, f"case queue {tag}")

    # Bulk assign by a plain form post: tick two cases, assign to me, land on the list.
    boxes = page.locator("input[name=case]")
    picked = [boxes.nth(0).get_attribute("value"), boxes.nth(1).get_attribute("value")]
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.locator("#bulk button[type=submit]").click()
    page.wait_for_url("**/admin/cases?view=unassigned&assigned=2*")
    assert "已分配 2 件案件给 console。" in page.locator(".notice").inner_text()

    page.goto(f"{server.base}/admin/cases/{picked[0]}")
    _fits(page)
    assert page.locator(f"form[action='/admin/cases/{picked[0]}/take']").count() == 0
    assert page.locator(".script").count() == 1  # the callback script beside the form
    assert "分配承办人" in page.locator("table.audit").inner_text()
    shot(page, f"admin-case-{tag}")
    axe(page, f"case page {tag}")


def test_admin_error_page_has_the_admin_header(contexts: Contexts, server: Server) -> None:
    _admin(server, "console")
    page = _login(contexts, server, "console", PHONE)
    response = page.goto(server.base + "/admin/cases/987654")
    assert response is not None and response.status == 404
    assert page.locator("header nav a[href='/admin/cases?view=mine']").count() == 1
    assert page.locator("h1").inner_text() == "页面不存在"
    _fits(page)
    axe(page, "admin 404")

"""The service-window kiosk in a real browser: enrolment, PIN sign-in, the offline queue
across a reload, the blind thank-you screen and the idle reset."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import KIOSK_PIN, Contexts, Server

TABLET = {"width": 1024, "height": 768}
LEVELS_ZH = ("非常满意", "满意", "基本满意", "不满意", "非常不满意")


def _kiosk_ratings(server: Server, badge_no: str) -> list[tuple[Any, ...]]:
    return server.query(
        "SELECT r.level, r.idempotency_key, r.channel FROM ratings r "
        "JOIN officers o ON o.id = r.officer_id WHERE o.badge_no = ? AND r.channel = 'kiosk' "
        "ORDER BY r.created_at",
        (badge_no,),
    )


def _visible_text(page: Any) -> str:
    return str(page.evaluate("document.body.innerText"))


def test_offline_taps_survive_a_reload_and_are_sent_once(
    contexts: Contexts, server: Server, shot: Any
) -> None:
    context = contexts.new(viewport=TABLET)
    page = context.new_page()
    # A fake clock for the page's timers: the thank-you screen's seconds pass on request.
    page.clock.install()
    page.goto(f"{server.base}/kiosk/#enroll={server.kiosk_codes['户籍窗口1']}")
    # Enrolment consumed the code and took it out of the address bar.
    page.locator("#signin").wait_for(state="visible")
    assert "enroll" not in page.url
    shot(page, "kiosk-signin")
    page.locator("#badge").fill("100001")
    page.locator("#pin").fill("999999")
    page.get_by_role("button", name="登录", exact=True).click()
    page.get_by_text("警号或密码错误").wait_for()
    assert page.locator("#pin").input_value() == ""
    page.locator("#pin").fill(KIOSK_PIN)
    page.get_by_role("button", name="登录", exact=True).click()
    page.locator("#rate").wait_for(state="visible")
    assert page.locator("#o-name").inner_text() == "张伟"
    shot(page, "kiosk-rate")
    # The service worker must hold the page before the network goes away.
    page.wait_for_function("navigator.serviceWorker.controller !== null")

    context.set_offline(True)
    # Chromium's offline emulation can miss the first requests of a page reloaded under a
    # service worker (navigator.onLine reads true for a moment; seen once in three runs on
    # a busy machine): the kiosk API is cut at the route as well while "offline", as a
    # real outage would cut it.
    page.route("**/api/v1/kiosk/**", lambda route: route.abort("internetdisconnected"))
    thanks = []
    for level in ("满意", "非常不满意"):
        page.get_by_role("button", name=level, exact=True).click()
        page.locator("#thanks").wait_for(state="visible")
        # Nothing on screen says what was pressed, and the screen is the same either way.
        assert not any(label in _visible_text(page) for label in LEVELS_ZH)
        thanks.append(page.locator("#thanks").inner_text())
        # Back to the rating screen by itself (after 4 s), ready for the next citizen.
        page.clock.run_for(5000)
        page.locator("#rate").wait_for(state="visible")
        assert page.locator("button.lv:focus").count() == 0
    assert thanks[0] == thanks[1] and "感谢您的评价！" in thanks[0]
    assert page.locator("#net").inner_text() == "2 条评价待上传"
    shot(page, "kiosk-offline-queued")
    assert _kiosk_ratings(server, "100001") == []

    page.reload()  # still offline: the service worker serves the page
    page.locator("#rate").wait_for(state="visible")
    assert page.locator("#o-name").inner_text() == "张伟"
    assert page.locator("#net").inner_text() == "2 条评价待上传"
    assert _kiosk_ratings(server, "100001") == []

    page.unroute("**/api/v1/kiosk/**")
    context.set_offline(False)
    page.locator("#net").wait_for(state="hidden", timeout=10_000)
    stored = _kiosk_ratings(server, "100001")
    assert [(level, channel) for level, _, channel in stored] == [(4, "kiosk"), (1, "kiosk")]
    assert len({key for _, key, _ in stored}) == 2
    # Another reload finds nothing left to send, and the server still holds exactly two.
    page.reload()
    page.locator("#rate").wait_for(state="visible")
    assert page.evaluate("localStorage.getItem('pj_kiosk_queue')") == "[]"
    assert len(_kiosk_ratings(server, "100001")) == 2

    # A captive portal's page is not an answer from the server: the tap stays queued.
    replies: list[int] = []
    page.on("response", lambda r: replies.append(r.status) if "/kiosk/ratings" in r.url else None)
    page.route(
        "**/api/v1/kiosk/ratings",
        lambda route: route.fulfill(
            status=200, body="<h1>Wi-Fi login</h1>", content_type="text/html"
        ),
    )
    page.get_by_role("button", name="基本满意", exact=True).click()
    page.wait_for_function("document.getElementById('net').textContent === '1 条评价待上传'")
    assert replies == [200]
    page.unroute("**/api/v1/kiosk/ratings")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.locator("#net").wait_for(state="hidden", timeout=10_000)
    assert [level for level, _, _ in _kiosk_ratings(server, "100001")] == [4, 1, 3]


def test_thank_you_then_reset_and_idle_reset(contexts: Contexts, server: Server, shot: Any) -> None:
    context = contexts.new(viewport=TABLET)
    page = context.new_page()
    # A fake clock for the page's timers, so the test does not sit through them.
    page.clock.install()
    page.goto(f"{server.base}/kiosk/#enroll={server.kiosk_codes['户籍窗口2']}")
    page.locator("#rate").wait_for(state="visible")  # officer assigned by the admin
    assert page.locator("#o-name").inner_text() == "李娜"
    page.get_by_role("button", name="非常满意", exact=True).click()
    page.locator("#thanks").wait_for(state="visible")
    page.locator("#net").wait_for(state="hidden")  # sent
    shot(page, "kiosk-thanks")
    page.clock.run_for(5000)
    page.locator("#rate").wait_for(state="visible")
    assert [lv for lv, _, _ in _kiosk_ratings(server, "100002")] == [5]

    page.get_by_role("button", name="English").click()
    assert page.get_by_role("button", name="Very satisfied").is_visible()
    shot(page, "kiosk-rate-english")
    page.clock.run_for(21_000)  # 20 s without a touch: back to Chinese for the next person
    assert page.get_by_role("button", name="非常满意").is_visible()
    assert page.locator("html").get_attribute("lang") == "zh-CN"

    # Revoked by the administrator: the tablet says so and offers no buttons.
    server.execute("UPDATE kiosks SET revoked_at = 1 WHERE name = '户籍窗口2'")
    page.reload()
    page.get_by_text("本评价终端已停用").wait_for()
    assert page.locator("#rate").is_hidden()
    shot(page, "kiosk-revoked")

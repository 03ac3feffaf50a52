"""The kiosk at 1024x768 and 768x1024 in both languages: no sideways overflow, labels
that do not break mid-word, axe-core on every screen; enrolment by pasting the URL into an
open tab; signing out with the officer's own PIN."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.browser.conftest import KIOSK_PIN_4, Contexts, Server, axe

VIEWPORTS = [(1024, 768), (768, 1024)]

# For each level button: how many lines its text takes, and whether it overflows the button.
_LABEL_LINES = """() => [...document.querySelectorAll('#rate button.lv')].map(b => {
  const r = document.createRange(); r.selectNodeContents(b);
  const tops = new Set([...r.getClientRects()].map(x => Math.round(x.top)));
  return {text: b.textContent, lines: tops.size, overflow: b.scrollWidth > b.clientWidth};
})"""


_SHOW = """document.querySelectorAll('.screen').forEach(s => { s.hidden = s.id !== 'NAME'; })"""


def _no_sideways_scroll(page: Any, where: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    inner = page.evaluate("window.innerWidth")
    assert width <= inner, f"{where}: {width} px wide in a {inner} px window"


def _check_labels(page: Any, lang: str, where: str) -> None:
    for label in page.evaluate(_LABEL_LINES):
        assert not label["overflow"], f"{where}: {label}"
        if lang == "zh":  # 非常不满意 stays one word on one line
            assert label["lines"] == 1, f"{where}: {label}"


def _screen(page: Any, lang: str, viewport: tuple[int, int], name: str) -> None:
    where = f"kiosk {name} ({lang}, {viewport[0]}x{viewport[1]})"
    _no_sideways_scroll(page, where)
    # axe-core needs running timers: let the page's clock run for the check, then stop
    # it again (the kiosk's own timers are 4 s and 20 s of page time away).
    page.clock.resume()
    axe(page, where)
    _pause(page)
    assert page.locator("html").get_attribute("lang") == ("zh-CN" if lang == "zh" else "en")


def _pause(page: Any) -> None:
    """Stop the page's clock just ahead of where it is (it runs while we ask)."""
    from playwright.sync_api import Error

    for ahead_s in (0.5, 2, 5):
        now_ms = page.evaluate("Date.now()")
        try:
            page.clock.pause_at(datetime.fromtimestamp(now_ms / 1000 + ahead_s))
            return
        except Error as exc:  # the clock got there first on a busy machine
            if "to the past" not in str(exc):
                raise
    raise AssertionError("could not pause the page clock")


def test_every_kiosk_screen_fits_and_passes_axe(
    contexts: Contexts, server: Server, shot: Any
) -> None:
    context = contexts.new(viewport={"width": 1024, "height": 768})
    page = context.new_page()
    # The thank-you screen waits on a timer: the page's clock is paused (below) and moved
    # on by hand, so a slow machine cannot hide that screen before it is checked.
    start = datetime.now()
    page.clock.install(time=start)
    page.goto(f"{server.base}/kiosk/")
    page.locator("#setup").wait_for(state="visible")
    _pause(page)
    for viewport in VIEWPORTS:
        page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
        _screen(page, "zh", viewport, "setup")
    page.goto(f"{server.base}/kiosk/#enroll={server.kiosk_codes['户籍窗口3']}")
    page.locator("#rate").wait_for(state="visible")
    assert page.locator("#o-name").inner_text() == "王强"  # assigned by the admin

    for viewport in VIEWPORTS:
        width, height = viewport
        page.set_viewport_size({"width": width, "height": height})
        for lang in ("zh", "en"):
            if lang == "en":
                page.get_by_role("button", name="English").click()
                page.get_by_role("button", name="Very dissatisfied").wait_for()
            _check_labels(page, lang, f"{lang} {width}x{height}")
            _screen(page, lang, viewport, "rate")
            shot(page, f"kiosk-rate-{lang}-{width}x{height}")
            page.locator("#staff").click()
            page.locator("#signin").wait_for(state="visible")
            assert page.locator("#signout").is_visible()
            _screen(page, lang, viewport, "sign-in with an officer on duty")
            shot(page, f"kiosk-signin-{lang}-{width}x{height}")
            page.locator("#signin-cancel").click()  # back, and back to Chinese
            page.locator("#rate").wait_for(state="visible")
            if lang == "en":
                page.get_by_role("button", name="English").click()
            page.locator("button.l3").click()
            page.locator("#thanks").wait_for(state="visible")
            _no_sideways_scroll(page, f"kiosk thanks ({lang}, {width}x{height})")
            page.clock.run_for(10_000)
            page.locator("#rate").wait_for(state="visible")  # reset, in Chinese
            if lang == "en":
                page.get_by_role("button", name="English").click()
            # axe on the thank-you screen: shown as show("thanks") shows it, with no timer
            # left to take it away while axe runs.
            page.evaluate(_SHOW.replace("NAME", "thanks"))
            _screen(page, lang, viewport, "thanks")
            page.evaluate(_SHOW.replace("NAME", "rate"))
            if lang == "en":
                page.get_by_role("button", name="中文").click()


def test_pasting_the_enrolment_url_into_an_open_tab_enrols_it(
    contexts: Contexts, server: Server
) -> None:
    page = contexts.new(viewport={"width": 1024, "height": 768}).new_page()
    page.goto(f"{server.base}/kiosk/")
    page.locator("#setup").wait_for(state="visible")
    # What the address bar does when only the hash changes: no reload.
    page.evaluate(
        "code => { window.__same_document = true; location.hash = '#enroll=' + code; }",
        server.kiosk_codes["户籍窗口4"],
    )
    page.locator("#signin").wait_for(state="visible")
    assert page.evaluate("window.__same_document") is True  # it was not a reload
    assert "enroll" not in page.url
    assert page.evaluate("localStorage.getItem('pj_kiosk_token')")


def test_signing_out_takes_the_officers_own_pin(contexts: Contexts, server: Server) -> None:
    page = contexts.new(viewport={"width": 1024, "height": 768}).new_page()
    page.goto(f"{server.base}/kiosk/#enroll={server.kiosk_codes['户籍窗口5']}")
    page.locator("#signin").wait_for(state="visible")
    page.locator("#badge").fill("100004")
    page.locator("#pin").fill(KIOSK_PIN_4)
    page.get_by_role("button", name="登录", exact=True).click()
    page.locator("#rate").wait_for(state="visible")
    assert page.locator("#o-name").inner_text() == "赵敏"

    page.locator("#staff").click()
    page.locator("#signin").wait_for(state="visible")
    assert page.locator("#signout-hint").is_visible()
    page.get_by_role("button", name="退出登录").click()  # no PIN typed
    page.get_by_text("请输入当前民警的密码").wait_for()
    page.locator("#pin").fill("000000")
    page.get_by_role("button", name="退出登录").click()
    page.get_by_text("当前民警的密码错误").wait_for()
    assert _on_duty(server, "户籍窗口5") == ["100004"]

    page.locator("#pin").fill(KIOSK_PIN_4)
    page.get_by_role("button", name="退出登录").click()
    page.locator("#signout").wait_for(state="hidden")  # nobody on duty: sign-in only
    assert page.locator("#signin").is_visible()
    assert _on_duty(server, "户籍窗口5") == []


def _on_duty(server: Server, kiosk: str) -> list[str]:
    return [
        r[0]
        for r in server.query(
            "SELECT o.badge_no FROM kiosk_sessions s JOIN kiosks k ON k.id = s.kiosk_id "
            "JOIN officers o ON o.id = s.officer_id WHERE k.name = ? AND s.ended_at IS NULL",
            (kiosk,),
        )
    ]

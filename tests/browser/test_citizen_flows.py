"""No citizen's rating is lost or refused (issue 13), in a real browser at 390x844: the
bad tap stored before any details, mistakes that keep what was typed, the quick tap, the
receipt lookup; axe-core on every page state."""

from __future__ import annotations

import re
from typing import Any

from tests.browser.conftest import Contexts, Server, axe

PHONE_VIEW = {"viewport": {"width": 390, "height": 844}, "is_mobile": True}
MIN_SUBMIT_MS = 2000  # the server's default PINGJING_MIN_SUBMIT_SECONDS


def _stamp_ms(page: Any) -> int:
    """When the server issued the page's form stamp (the stamp is "<ms>.<mac>")."""
    return int(page.locator("input[name=t]").input_value().split(".")[0])


def _rating(server: Server, receipt: str) -> dict[str, Any]:
    rows = server.query(
        "SELECT r.level, r.reasons, r.comment, r.phone_mask, r.channel, r.fast, r.created_at, "
        "(SELECT count(*) FROM cases c WHERE c.rating_id = r.id) FROM ratings r "
        "WHERE r.receipt = ?",
        (receipt,),
    )
    assert len(rows) == 1, rows
    keys = ("level", "reasons", "comment", "mask", "channel", "fast", "created_at", "cases")
    return dict(zip(keys, rows[0], strict=True))


def _receipt_in_url(page: Any) -> str:
    match = re.search(r"/receipt/([0-9A-Z]{12})", page.url)
    assert match, page.url
    return match.group(1)


def test_bad_tap_is_stored_even_if_the_page_is_closed(
    contexts: Contexts, server: Server, shot: Any
) -> None:
    context = contexts.new(**PHONE_VIEW)
    page = context.new_page()
    page.goto(f"{server.base}/r/{server.tokens['100003']}")
    issued = _stamp_ms(page)
    with page.expect_response(lambda r: r.request.method == "POST") as tapped:
        page.get_by_role("button", name="非常不满意", exact=True).click()
    assert tapped.value.status == 201
    receipt = tapped.value.json()["receipt"]
    page.locator("#stored").wait_for(state="visible")
    assert receipt[:4] in page.locator("#stored").inner_text()
    shot(page, "citizen-bad-tap-stored")
    page.close()  # the citizen walks away without any details

    stored = _rating(server, receipt)
    assert (stored["level"], stored["channel"], stored["reasons"], stored["cases"]) == (
        1,
        "badge",
        "",
        1,  # the follow-up case is open
    )
    # A tap sooner than the minimum age is stored all the same, and marked fast.
    assert stored["fast"] == int(stored["created_at"] - issued < MIN_SUBMIT_MS)


def test_quick_tap_without_javascript_is_a_rating(contexts: Contexts, server: Server) -> None:
    page = contexts.new(java_script_enabled=False, **PHONE_VIEW).new_page()
    page.goto(f"{server.base}/r/{server.tokens['100001']}")
    issued = _stamp_ms(page)
    page.get_by_role("button", name="基本满意", exact=True).click()  # at once
    page.wait_for_url(re.compile(r"/receipt/[0-9A-Z]{12}\?new=1$"))
    assert "感谢您的评价！" in page.locator("body").inner_text()
    stored = _rating(server, _receipt_in_url(page))
    assert stored["level"] == 3
    assert stored["fast"] == int(stored["created_at"] - issued < MIN_SUBMIT_MS)


def test_mistakes_are_shown_at_the_field_and_nothing_typed_is_lost(
    contexts: Contexts, server: Server, shot: Any
) -> None:
    page = contexts.new(**PHONE_VIEW).new_page()
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.goto(f"{server.base}/r/{server.tokens['100002']}")
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.get_by_role("button", name="不满意", exact=True).click()
    page.get_by_label("服务态度").check()
    page.locator("#comment").fill("等了很久")
    page.locator("#phone").fill("12345")
    page.locator("#send").click()
    # Checked in the page: a message at the phone field, no trip to the server.
    error = page.locator("#phone-err")
    error.wait_for(state="visible")
    assert "手机号格式不正确" in error.inner_text()
    assert page.locator("#phone").get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "phone"
    assert len(posts) == 1 and "/r/" in page.url
    shot(page, "citizen-phone-error-inline")
    axe(page, "rate page, phone error in the page")

    page.locator("#phone").fill("138 1234 5678")
    page.locator("#send").click()
    page.locator("#consent-err").wait_for(state="visible")
    assert page.locator("#phone-err").is_hidden()
    assert "勾选同意" in page.locator("#consent-err").inner_text()
    assert len(posts) == 1

    # A crafted post that skips the page's check (form.submit() runs no handlers; it
    # sends no button, so the level goes in a field): the server refuses it and re-shows
    # the form with everything kept.
    crafted = """const f = document.getElementById('f'), i = document.createElement('input');
    i.type = 'hidden'; i.name = 'level'; i.value = '2'; f.append(i); f.submit();"""
    with page.expect_navigation():
        page.evaluate(crafted)
    assert page.locator("#consent-err").inner_text() == "留下电话需勾选同意回访"
    assert page.get_by_label("服务态度").is_checked()
    assert page.locator("#comment").input_value() == "等了很久"
    assert page.locator("#phone").input_value() == "138 1234 5678"
    assert page.locator("#more").is_visible()
    shot(page, "citizen-consent-error-from-server")
    axe(page, "rate page re-shown by the server with an error")

    page.get_by_label(re.compile("我同意")).check()
    page.locator("#send").click()
    page.wait_for_url(re.compile(r"/receipt/[0-9A-Z]{12}\?saved=details$"))
    stored = _rating(server, _receipt_in_url(page))
    assert (stored["level"], stored["reasons"], stored["comment"], stored["mask"]) == (
        2,
        "attitude",
        "等了很久",
        "138****5678",
    )


def test_without_javascript_a_refused_phone_keeps_the_form(
    contexts: Contexts, server: Server, shot: Any
) -> None:
    page = contexts.new(java_script_enabled=False, **PHONE_VIEW).new_page()
    page.goto(f"{server.base}/r/{server.tokens['100001']}")
    page.get_by_role("button", name="非常不满意", exact=True).click()
    page.wait_for_url(re.compile(r"/receipt/[0-9A-Z]{12}\?new=1$"))
    receipt = _receipt_in_url(page)
    page.get_by_label("执法规范").check()
    page.get_by_label("其他").check()
    page.locator("#comment").fill("态度粗暴\n第二行")
    page.locator("#phone").fill("1381234")
    page.get_by_label(re.compile("我同意")).check()
    response_status: list[int] = []
    page.on(
        "response",
        lambda r: response_status.append(r.status) if r.request.method == "POST" else None,
    )
    page.get_by_role("button", name="提交补充说明").click()
    page.locator("#phone-err").wait_for(state="visible")
    assert response_status == [400]
    assert "手机号格式不正确" in page.locator("#phone-err").inner_text()
    assert page.get_by_label("执法规范").is_checked() and page.get_by_label("其他").is_checked()
    assert not page.get_by_label("服务态度").is_checked()
    assert page.locator("#comment").input_value() == "态度粗暴\n第二行"
    assert page.locator("#phone").input_value() == "1381234"
    assert page.get_by_label(re.compile("我同意")).is_checked()
    assert "补充说明尚未保存" in page.locator("body").inner_text()
    shot(page, "citizen-nojs-phone-refused")
    assert _rating(server, receipt)["reasons"] == ""  # nothing half-stored

    page.locator("#phone").fill("13812345678")
    page.locator("#send").click()
    page.wait_for_url(re.compile(rf"/receipt/{receipt}\?saved=details$"))
    stored = _rating(server, receipt)
    assert (stored["level"], stored["reasons"], stored["mask"]) == (
        1,
        "conduct,other",
        "138****5678",
    )


def test_receipt_lookup_from_the_footer(contexts: Contexts, server: Server, shot: Any) -> None:
    page = contexts.new(**PHONE_VIEW).new_page()
    page.goto(f"{server.base}/r/{server.tokens['100001']}")
    page.get_by_role("button", name="满意", exact=True).click()
    page.wait_for_url(re.compile(r"/receipt/[0-9A-Z]{12}\?new=1$"))
    axe(page, "receipt, new")
    receipt = _receipt_in_url(page)
    printed = page.locator("#receipt").inner_text()
    assert printed == f"{receipt[:4]}-{receipt[4:8]}-{receipt[8:]}"

    for lang, link, box, button, bad, missing in (
        ("zh", "查询评价回执", "回执号", "查询", "12位字母或数字", "未找到该回执"),
        ("en", "Look up a receipt", "Receipt number", "Look up", "12 letters", "No receipt"),
    ):
        page.goto(f"{server.base}/r/{server.tokens['100001']}?lang={lang}")
        page.get_by_role("link", name=link).click()
        page.wait_for_url(re.compile(r"/receipt$"))
        assert page.get_by_role("heading", level=1).is_visible()
        axe(page, f"receipt lookup ({lang})")
        page.get_by_label(box).fill("12-34")
        page.get_by_role("button", name=button).click()
        page.locator("#code-err").wait_for()
        assert bad in page.locator("#code-err").inner_text()
        assert page.get_by_label(box).input_value() == "12-34"
        axe(page, f"receipt lookup, malformed ({lang})")
        page.get_by_label(box).fill("ZZZZ-ZZZZ-ZZZZ")
        page.get_by_role("button", name=button).click()
        page.locator("#code-err").wait_for()
        assert missing in page.locator("#code-err").inner_text()
        axe(page, f"receipt lookup, not found ({lang})")
        # Typed as a person would: lower case, O for 0, l for 1.
        typed = printed.lower().replace("0", "o").replace("1", "l")
        page.get_by_label(box).fill(typed)
        page.get_by_role("button", name=button).click()
        page.wait_for_url(re.compile(rf"/receipt/{receipt}$"))
        assert page.locator("#receipt").inner_text() == printed
        assert page.get_by_role("heading", level=1).count() == 1
        axe(page, f"receipt looked up later ({lang})")
    shot(page, "citizen-receipt-looked-up-english")


def test_first_view_is_one_request_and_no_404(contexts: Contexts, server: Server) -> None:
    page = contexts.new(**PHONE_VIEW).new_page()
    responses: list[Any] = []
    page.on("response", lambda r: responses.append(r))
    page.goto(f"{server.base}/r/{server.tokens['100002']}")
    page.wait_for_load_state("networkidle")
    assert [(r.url, r.status) for r in responses] == [
        (f"{server.base}/r/{server.tokens['100002']}", 200)
    ]
    # The tab icon is inline; a browser that asks for /favicon.ico anyway gets it, cached.
    icon = page.request.get(f"{server.base}/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"] == "image/png"
    assert "max-age" in icon.headers["cache-control"]


def test_in_english_the_tap_is_stored_and_mistakes_are_explained(
    contexts: Contexts, server: Server, shot: Any
) -> None:
    page = contexts.new(**PHONE_VIEW).new_page()
    page.goto(f"{server.base}/r/{server.tokens['100004']}?lang=en")
    with page.expect_response(lambda r: r.request.method == "POST") as tapped:
        page.get_by_role("button", name="Very dissatisfied", exact=True).click()
    assert tapped.value.status == 201
    receipt = tapped.value.json()["receipt"]
    page.locator("#stored").wait_for(state="visible")
    assert "Your rating has been recorded" in page.locator("#stored").inner_text()
    page.get_by_label("Attitude").check()
    page.locator("#phone").fill("0000")
    page.locator("#send").click()
    page.locator("#phone-err").wait_for(state="visible")
    assert "11-digit mobile number" in page.locator("#phone-err").inner_text()
    axe(page, "rate page, phone error in the page (English)")
    shot(page, "citizen-phone-error-english")
    page.locator("#phone").fill("")
    page.locator("#send").click()
    page.wait_for_url(re.compile(r"/receipt/[0-9A-Z]{12}\?saved=details$"))
    text = page.locator("body").inner_text()
    assert "Your details have been saved." in text and "Reasons" in text
    axe(page, "receipt after details (English)")
    assert _receipt_in_url(page) == receipt  # the details amended the tapped rating
    stored = _rating(server, receipt)
    assert (stored["level"], stored["reasons"], stored["mask"]) == (1, "attitude", None)


def test_unknown_code_page_passes_axe(contexts: Contexts, server: Server) -> None:
    page = contexts.new(**PHONE_VIEW).new_page()
    response = page.goto(f"{server.base}/r/ZZZZZZZZZZZZ")
    assert response is not None and response.status == 404
    assert page.get_by_role("link", name="查询评价回执").is_visible()
    axe(page, "unknown code page")

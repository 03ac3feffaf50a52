"""The citizen's pages in a real browser: phone viewports, JavaScript off, English,
the revoked code, and what the rating page costs over the wire."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import Contexts, Server, axe

PAGE_BUDGET_BYTES = 14 * 1024
PHONE = "13812345678"
COMMENT = "窗口排队一个小时，无人引导。"


def _transferred(requests: list[Any]) -> int:
    """Bytes over the wire (compressed bodies plus response headers) for these requests."""
    total = 0
    for request in requests:
        sizes = request.sizes()
        total += sizes["responseBodySize"] + sizes["responseHeadersSize"]
    return total


def _stored(server: Server, receipt: str) -> tuple[Any, ...]:
    rows = server.query(
        "SELECT level, reasons, comment, phone_mask, channel, amend_count FROM ratings "
        "WHERE receipt = ?",
        (receipt,),
    )
    assert len(rows) == 1
    return rows[0]


def _receipt_code(page: Any) -> str:
    match = re.search(r"/receipt/([0-9A-Z]+)", page.url)
    assert match, page.url
    return match.group(1)


@pytest.mark.parametrize(("width", "height"), [(320, 640), (390, 844)])
def test_dissatisfied_rating_with_details_on_a_phone(
    contexts: Contexts, server: Server, shot: Any, width: int, height: int
) -> None:
    context = contexts.new(viewport={"width": width, "height": height}, is_mobile=True)
    page = context.new_page()
    finished: list[Any] = []
    page.on("requestfinished", lambda request: finished.append(request))
    response = page.goto(f"{server.base}/r/{server.tokens['100001']}")
    assert response is not None and response.status == 200
    page.wait_for_load_state("networkidle")
    weight = _transferred(finished)
    print(
        f"\ncitizen rating page at {width}x{height}: {weight} bytes transferred "
        f"in {len(finished)} request(s) ({', '.join(r.url for r in finished)})"
    )
    assert response.headers.get("content-encoding") == "gzip"
    assert weight <= PAGE_BUDGET_BYTES
    # Nothing wider than the phone: no sideways scrolling at 320 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shot(page, f"citizen-rate-{width}x{height}")
    axe(page, f"rate page {width}x{height}")

    with page.expect_response(lambda r: r.request.method == "POST") as tapped:
        page.get_by_role("button", name="不满意", exact=True).click()
    assert tapped.value.status == 201  # stored at the tap, before any details
    details = page.locator("#more")
    assert details.is_visible()
    page.locator("#stored").wait_for(state="visible")
    axe(page, f"rate page with details open {width}x{height}")
    page.get_by_label("服务态度").check()
    page.get_by_label("办事效率").check()
    page.locator("#comment").fill(COMMENT)
    page.locator("#phone").fill(PHONE)
    page.get_by_label(re.compile("我同意")).check()
    shot(page, f"citizen-details-{width}x{height}")
    page.locator("#send").click()

    page.wait_for_url(re.compile(r"/receipt/[0-9A-Z]+\?saved=details$"))
    body = page.locator("body")
    assert "感谢您的评价！" in body.inner_text() and "您的补充说明已保存。" in body.inner_text()
    assert page.locator("#level").inner_text() == "不满意"
    text = body.inner_text()
    assert "服务态度、办事效率" in text and COMMENT in text and "已留下回访电话" in text
    assert PHONE not in page.content()
    shot(page, f"citizen-receipt-{width}x{height}")
    axe(page, f"receipt after details {width}x{height}")
    level, reasons, comment, mask, channel, amends = _stored(server, _receipt_code(page))
    # One rating: stored at the tap, then amended by the details.
    assert (level, reasons, comment, mask, channel, amends) == (
        2,
        "attitude,efficiency",
        COMMENT,
        "138****5678",
        "badge",
        1,
    )


def test_dissatisfied_rating_with_javascript_off(
    contexts: Contexts, server: Server, shot: Any
) -> None:
    context = contexts.new(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{server.base}/r/{server.tokens['100002']}")
    # Without JavaScript the level buttons post at once: the rating is stored first...
    page.get_by_role("button", name="不满意", exact=True).click()
    page.wait_for_url(re.compile(r"/receipt/[0-9A-Z]+\?new=1$"))
    receipt = _receipt_code(page)
    assert "感谢您的评价！" in page.locator("body").inner_text()
    assert _stored(server, receipt)[:3] == (2, "", "")
    shot(page, "citizen-nojs-receipt-asks-details")
    # axe needs JavaScript: check the same page in a context that has it.
    checker = contexts.new(viewport={"width": 390, "height": 844}).new_page()
    checker.goto(page.url)
    axe(checker, "receipt asking for details")

    # ...then the receipt page offers the details, which amend the same rating.
    page.get_by_label("推诿扯皮").check()
    page.locator("#comment").fill(COMMENT)
    page.locator("#phone").fill(PHONE)
    page.get_by_label(re.compile("我同意")).check()
    page.get_by_role("button", name="提交补充说明").click()
    page.wait_for_url(re.compile(rf"/receipt/{receipt}\?saved=details$"))
    text = page.locator("body").inner_text()
    assert "推诿扯皮" in text and COMMENT in text and "已留下回访电话" in text
    assert page.locator("#f").count() == 0  # details given: no second form
    shot(page, "citizen-nojs-receipt-with-details")
    level, reasons, comment, mask, _, amends = _stored(server, receipt)
    assert (level, reasons, comment, mask, amends) == (2, "buck_passing", COMMENT, "138****5678", 1)


def test_english_toggle(contexts: Contexts, server: Server, shot: Any) -> None:
    context = contexts.new(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{server.base}/r/{server.tokens['100001']}")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.get_by_role("link", name="English").click()
    page.wait_for_url(re.compile(r"\?lang=en$"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="How satisfied are you with this service?").is_visible()
    assert page.get_by_role("button", name="Dissatisfied", exact=True).is_visible()
    shot(page, "citizen-rate-english")
    axe(page, "rate page (English)")
    # The choice sticks: the receipt page after rating is in English too.
    page.get_by_role("button", name="Satisfied", exact=True).click()
    page.wait_for_url(re.compile(r"/receipt/"))
    assert "Thank you for your rating!" in page.locator("body").inner_text()
    assert page.locator("#level").inner_text() == "Satisfied"
    axe(page, "receipt (English)")
    page.get_by_role("link", name="中文").click()
    page.wait_for_url(re.compile(r"lang=zh"))
    assert page.locator("#level").inner_text() == "满意"


def test_revoked_code_page(contexts: Contexts, server: Server, shot: Any) -> None:
    page = contexts.new(viewport={"width": 390, "height": 844}).new_page()
    response = page.goto(f"{server.base}/r/{server.revoked_token}")
    assert response is not None and response.status == 410
    text = page.locator("body").inner_text()
    assert "此二维码已失效" in text
    assert page.get_by_role("link", name="12389").get_attribute("href") == "tel:12389"
    assert page.get_by_role("button").count() == 0  # nothing to rate with a dead code
    shot(page, "citizen-revoked-code")
    axe(page, "revoked code page")

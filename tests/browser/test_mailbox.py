"""A letter to the chief's mailbox with a photo, on a 390x844 phone, in a real browser."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from PIL import Image

from tests.browser.conftest import Contexts, Server, axe

PAGE_BUDGET_BYTES = 14 * 1024
TEXT = "派出所门口路灯坏了一个月，夜里办事看不清台阶。"


def _transferred(requests: list[Any]) -> int:
    total = 0
    for request in requests:
        sizes = request.sizes()
        total += sizes["responseBodySize"] + sizes["responseHeadersSize"]
    return total


def test_letter_with_a_photo_on_a_phone(
    contexts: Contexts, server: Server, shot: Any, tmp_path: Path
) -> None:
    photo = tmp_path / "lamp.jpg"
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (40.0, 49.0, 0.0), 3: "E", 4: (114.0, 53.0, 0.0)}
    Image.new("RGB", (800, 600), (40, 40, 90)).save(photo, "JPEG", exif=exif)

    context = contexts.new(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    finished: list[Any] = []
    page.on("requestfinished", lambda request: finished.append(request))
    response = page.goto(f"{server.base}/mailbox")
    assert response is not None and response.status == 200
    page.wait_for_load_state("networkidle")
    assert _transferred(finished) <= PAGE_BUDGET_BYTES
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    axe(page, "mailbox form 390x844")

    page.get_by_label("类别").select_option("求助")
    page.get_by_label(re.compile("内容")).fill(TEXT)
    page.get_by_label(re.compile("照片")).set_input_files(str(photo))
    page.get_by_label(re.compile("手机号")).fill("13812345678")
    shot(page, "mailbox-letter-390x844")
    # Phone without consent: refused beside the consent box, the text kept.
    page.get_by_role("button", name="提交信件").click()
    page.wait_for_load_state()
    assert page.locator("#consent-err").is_visible()
    assert page.get_by_label(re.compile("内容")).input_value() == TEXT
    axe(page, "mailbox form refused")
    page.get_by_label(re.compile("我同意")).check()
    page.get_by_label(re.compile("照片")).set_input_files(str(photo))
    page.get_by_role("button", name="提交信件").click()
    page.wait_for_url(re.compile(r"/mailbox/receipt/[0-9A-Z]{12}\?new=1$"))
    text = page.locator("body").inner_text()
    assert "您的信件已收到" in text and "已收到" in text and "求助" in text
    assert "13812345678" not in page.content()
    shot(page, "mailbox-receipt-390x844")
    axe(page, "mailbox receipt")

    ((body, mask, data),) = server.query(
        "SELECT l.body, l.phone_mask, p.data FROM letters l "
        "JOIN letter_photos p ON p.letter_id = l.id WHERE l.category = '求助'"
    )
    assert body == TEXT and mask == "138****5678"
    stored = Image.open(io.BytesIO(data))
    assert stored.format == "JPEG" and stored.size == (800, 600) and not stored.getexif()

"""The citizen pages through the real app: rating page, plain form post, receipt page."""

from __future__ import annotations

import base64
import gzip
import hashlib
import html
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from rating.settings import Settings
from tests.conftest import Web, make_settings, opened, rows
from tests.units import run_sql

EN = {"accept-language": "en-US,en;q=0.9"}
LEVELS_ZH = ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
REASONS_ZH = ["服务态度", "办事效率", "执法规范", "廉洁自律", "推诿扯皮", "其他"]


def hidden(page: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)">', page)
    assert match, f"no hidden field {name!r} in the page"
    return html.unescape(match.group(1))


def receipt_of(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/receipt/([0-9A-Z]{12})\?new=1", response.headers["location"])
    assert match, response.headers["location"]
    return match.group(1)


def form(web: Web, i: int = 0, **fields: Any) -> dict[str, Any]:
    """A form post as a browser sends it from the rating page (stamp 10 s old)."""
    token = web.token(i)
    data: dict[str, Any] = {"t": web.stamp(token), "lang": "zh", "website": ""}
    data.update(fields)
    return data


# ------------------------------------------------------------------ the rating page


async def test_rating_page_shows_officer_and_five_levels_in_chinese(web: Web) -> None:
    officer = web.officers[0]
    r = await web.client.get(f"/r/{web.token()}")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    page = r.text
    assert '<html lang="zh-CN">' in page
    assert officer.name in page and officer.badge_no in page and "胜利路派出所" in page
    assert "民警" in page
    positions = [page.index(f">{label}</button>") for label in LEVELS_ZH]
    assert positions == sorted(positions)  # 非常满意 first, 非常不满意 last
    for label in REASONS_ZH:
        assert label in page
    assert "我同意公安机关使用此号码就本次评价回访我" in page  # consent next to the phone
    assert "加密保存" in page  # purpose and retention notice
    assert f'action="/r/{web.token()}"' in page and 'method="post"' in page
    assert 'name="website"' in page  # the honeypot is there, hidden from people
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("pj_dev=") and "HttpOnly" in cookie


async def test_auxiliary_officer_is_labelled(web: Web) -> None:
    r = await web.client.get(f"/r/{web.token(1)}")
    assert web.officers[1].kind == "auxiliary"
    assert "辅警" in r.text


async def test_english_by_accept_language(web: Web) -> None:
    r = await web.client.get(f"/r/{web.token()}", headers=EN)
    assert r.status_code == 200
    assert '<html lang="en">' in r.text
    assert "Rate this officer" in r.text and "Very dissatisfied" in r.text
    assert "非常满意" not in r.text
    assert "pj_lang" not in r.headers.get("set-cookie", "")  # only the toggle sets it


@pytest.mark.parametrize(
    "accept",
    ["", "zh-CN,zh;q=0.9,en;q=0.8", "en;q=0.5,zh-TW;q=0.9", "fr-FR,de;q=0.8", "en;q=0"],
)
async def test_chinese_unless_english_is_preferred(web: Web, accept: str) -> None:
    r = await web.client.get(f"/r/{web.token()}", headers={"accept-language": accept})
    assert '<html lang="zh-CN">' in r.text
    assert "您对本次服务满意吗" in r.text


async def test_language_toggle_sticks_with_a_cookie(web: Web) -> None:
    page = (await web.client.get(f"/r/{web.token()}")).text
    link = re.search(r'<a class="lang" href="([^"]+)">English</a>', page)
    assert link, "no visible language toggle"
    r = await web.client.get(html.unescape(link.group(1)))
    assert "Rate this officer" in r.text
    assert "pj_lang=en" in r.headers["set-cookie"]
    # Without ?lang=, the cookie keeps English on the next page...
    again = await web.client.get(f"/r/{web.token()}")
    assert "Rate this officer" in again.text
    assert '<a class="lang" href="/r/' in again.text and ">中文</a>" in again.text
    # ...even against a Chinese browser, and on the receipt after rating.
    post = await web.client.post(
        f"/r/{web.token()}", data=form(web, level="5"), headers={"accept-language": "zh-CN"}
    )
    receipt = await web.client.get(post.headers["location"], headers={"accept-language": "zh"})
    assert "Thank you for your rating!" in receipt.text
    back = await web.client.get(f"/r/{web.token()}?lang=zh")
    assert "您对本次服务满意吗" in back.text
    assert "您对本次服务满意吗" in (await web.client.get(f"/r/{web.token()}")).text


async def test_unknown_token_is_a_friendly_404_with_hotlines(web: Web) -> None:
    r = await web.client.get("/r/ZZZZZZZZZZZZ")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "未找到该评价码" in r.text
    assert 'href="tel:12389"' in r.text and 'href="tel:12345"' in r.text
    en = await web.client.get("/r/ZZZZZZZZZZZZ", headers=EN)
    assert "Rating code not found" in en.text and "12389" in en.text


@pytest.mark.parametrize("path", ["/r/abc", "/r/%3Cscript%3E", "/r/0A1B2C3D4E5F6789"])
async def test_impossible_token_is_404(web: Web, path: str) -> None:
    r = await web.client.get(path)
    assert r.status_code == 404
    assert "未找到该评价码" in r.text and "<script>" not in r.text.split("</style>")[1]


async def test_revoked_token_is_410_with_hotlines_and_new_token_works(web: Web) -> None:
    old = web.token()
    officer = await web.store.reissue_token(web.officers[0].badge_no)
    assert officer is not None and officer.token and officer.token != old
    r = await web.client.get(f"/r/{old}")
    assert r.status_code == 410
    assert "此二维码已失效" in r.text
    assert 'href="tel:12389"' in r.text and 'href="tel:12345"' in r.text
    assert web.officers[0].name not in r.text  # nothing about whom the old code belonged to
    en = await web.client.get(f"/r/{old}", headers=EN)
    assert "This code is no longer valid" in en.text and "12389" in en.text
    new = await web.client.get(f"/r/{officer.token}")
    assert new.status_code == 200 and officer.name in new.text
    # A rating posted from a page loaded before the reissue is refused, not misfiled.
    stale = await web.client.post(f"/r/{old}", data=form(web, level="5"))
    assert stale.status_code == 410 and "12389" in stale.text
    assert await web.store.count_ratings() == 0


async def test_typed_token_redirects_to_the_canonical_page(web: Web) -> None:
    token = web.token()
    r = await web.client.get(f"/r/{token.lower()}?lang=en")
    assert r.status_code == 301
    assert r.headers["location"] == f"/r/{token}?lang=en"
    dashed = f"/r/{token[:4].lower()}-{token[4:8]}-{token[8:]}"
    assert (await web.client.get(dashed)).headers["location"] == f"/r/{token}"


async def test_letter_o_and_i_typed_for_zero_and_one(web: Web) -> None:
    # Give the officer a code with 0 and 1 in it, as the printed badge would show.
    old = web.token()
    await web.store.write(
        run_sql, "UPDATE badge_tokens SET token = ? WHERE token = ?", ("0A1B2C3D4E5F", old)
    )
    r = await web.client.get("/r/oaib-2c3d-4e5f")
    assert r.status_code == 301 and r.headers["location"] == "/r/0A1B2C3D4E5F"
    page = await web.client.get(r.headers["location"])
    assert page.status_code == 200 and web.officers[0].name in page.text


async def test_officer_name_is_escaped(web: Web) -> None:
    from rating.store.models import RosterRow

    await web.store.import_roster(
        [RosterRow(2, "100009", "<b>赵六</b>", "张家口市公安局/桥东分局/胜利路派出所", "police")]
    )
    officer = await web.store.officer_by_badge("100009")
    assert officer is not None
    page = (await web.client.get(f"/r/{officer.token}")).text
    assert "&lt;b&gt;赵六&lt;/b&gt;" in page and "<b>赵六</b>" not in page


# ------------------------------------------------------------------ weight and safety


async def test_page_is_gzipped_and_under_14_kb_on_the_wire(web: Web) -> None:
    async with web.client.stream(
        "GET", f"/r/{web.token()}", headers={"accept-encoding": "gzip"}
    ) as r:
        wire = b"".join([chunk async for chunk in r.aiter_raw()])
    assert r.headers["content-encoding"] == "gzip"
    page = gzip.decompress(wire).decode("utf-8")
    # The CSS and JS are inline: this one response is everything the phone downloads.
    assert "<style>" in page and "<script>" in page
    assert "<link" not in page and "<script src" not in page and "<img" not in page
    assert len(wire) <= 14 * 1024, f"{len(wire)} bytes compressed"


async def test_content_security_policy_allows_only_the_inline_blocks(web: Web) -> None:
    r = await web.client.get(f"/r/{web.token()}")
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "'unsafe-inline'" not in csp and "http" not in csp
    page = r.text
    for tag, directive in (("style", "style-src"), ("script", "script-src")):
        body = re.search(rf"<{tag}>(.*?)</{tag}>", page, re.S)
        assert body, tag
        digest = base64.b64encode(hashlib.sha256(body.group(1).encode()).digest()).decode()
        # If the hash did not match, the browser would drop the styling or the script.
        assert f"{directive} 'sha256-{digest}'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"


async def test_no_request_to_any_other_host(web: Web) -> None:
    pages = [
        (await web.client.get(f"/r/{web.token()}")).text,
        (await web.client.get(f"/r/{web.token()}", headers=EN)).text,
        (await web.client.get("/r/ZZZZZZZZZZZZ")).text,
    ]
    post = await web.client.post(f"/r/{web.token()}", data=form(web, level="2"))
    pages.append((await web.client.get(post.headers["location"])).text)
    for page in pages:
        assert re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", page, re.I) == []
        assert re.findall(r'(?:src|href|action)="(?!/|tel:|#)', page) == []


async def test_static_css_is_served_and_matches_the_inline_copy(web: Web) -> None:
    css = await web.client.get("/static/rate.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    page = (await web.client.get(f"/r/{web.token()}")).text
    assert f"<style>{css.text}</style>" in page
    js = await web.client.get("/static/rate.js")
    assert js.status_code == 200 and f"<script>{js.text}</script>" in page


# ------------------------------------------------------------------ the plain form post


async def test_form_post_redirects_to_the_receipt(web: Web, settings: Settings) -> None:
    r = await web.client.post(f"/r/{web.token()}", data=form(web, level="4"))
    receipt = receipt_of(r)
    page = await web.client.get(r.headers["location"])
    assert page.status_code == 200
    assert "感谢您的评价！" in page.text
    assert f"{receipt[:4]}-{receipt[4:8]}-{receipt[8:]}" in page.text
    assert '<dd class="level l4" id="level">满意</dd>' in page.text
    assert web.officers[0].name in page.text
    assert "如愿意，可补充" not in page.text  # a satisfied rating is not asked for details
    assert rows(settings, "SELECT level, channel, lang FROM ratings") == [(4, "badge", "zh")]
    # Without ?new=1 (looked up later) the receipt has no thank-you banner.
    later = await web.client.get(f"/receipt/{receipt}")
    assert "感谢您的评价！" not in later.text and "满意" in later.text


async def test_js_off_two_step_flow_adds_details_to_the_same_receipt(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path, min_submit_seconds=0)
    async with opened(settings) as web:
        # Step 1: the citizen taps 不满意 with JavaScript off; the details stayed hidden.
        page = (await web.client.get(f"/r/{web.token()}")).text
        first = await web.client.post(
            f"/r/{web.token()}",
            # What a browser sends: the hidden fields, the empty (hidden) details and the
            # tapped button; unticked boxes are not sent.
            data={
                "t": hidden(page, "t"),
                "lang": hidden(page, "lang"),
                "website": "",
                "level": "2",
                "comment": "",
                "phone": "",
            },
        )
        receipt = receipt_of(first)
        shown = (await web.client.get(first.headers["location"])).text
        assert "不满意" in shown
        # Step 2: the receipt page offers the details form for this very rating.
        assert "如愿意，可补充不满意的原因和联系方式" in shown
        assert hidden(shown, "receipt") == receipt
        for label in REASONS_ZH:
            assert label in shown
        assert 'name="phone"' in shown and 'name="consent"' in shown
        action = re.search(r'<form method="post" action="([^"]+)"', shown)
        assert action and action.group(1) == f"/r/{web.token()}"
        details = {
            "t": hidden(shown, "t"),
            "lang": "zh",
            "receipt": hidden(shown, "receipt"),
            "website": "",
            "reasons": ["attitude", "buck_passing"],
            "comment": "窗口让我跑了三趟",
            "phone": "138 1234 5678",
            "consent": "1",
            "level": "2",
        }
        second = await web.client.post(action.group(1), data=details)
        assert receipt_of(second) == receipt
        final = (await web.client.get(f"/receipt/{receipt}")).text
        assert "服务态度、推诿扯皮" in final
        assert "窗口让我跑了三趟" in final
        assert "已留下回访电话" in final and "(已更新)" in final
        assert "如愿意，可补充" not in final  # asked once only
        assert "13812345678" not in final and "5678" not in final
        assert rows(settings, "SELECT level, reasons, amend_count FROM ratings") == [
            (2, "attitude,buck_passing", 1)
        ]


async def test_details_from_another_device_still_amend_by_receipt(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path, min_submit_seconds=0)
    async with opened(settings) as web:
        first = await web.client.post(f"/r/{web.token()}", data=form(web, level="1"))
        receipt = receipt_of(first)
        web.client.cookies.clear()  # e.g. the phone's browser dropped the cookie
        details = form(web, level="1", receipt=receipt, reasons="integrity")
        assert receipt_of(await web.client.post(f"/r/{web.token()}", data=details)) == receipt
        assert rows(settings, "SELECT reasons FROM ratings") == [("integrity",)]


async def test_form_validation_errors_are_pages_in_the_users_language(web: Web) -> None:
    bad = form(web, level="2", phone="12345", consent="1")
    r = await web.client.post(f"/r/{web.token()}", data=bad)
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("text/html")
    assert "出错了" in r.text and "手机号格式不正确" in r.text
    assert f'<a href="/r/{web.token()}">返回</a>' in r.text  # a way back to try again
    en = await web.client.post(f"/r/{web.token()}", data=bad, headers=EN)
    assert "Something went wrong" in en.text and "phone is not a valid" in en.text
    assert await web.store.count_ratings() == 0


async def test_form_post_with_wrong_content_type_is_415(web: Web) -> None:
    r = await web.client.post(
        f"/r/{web.token()}", content=b'{"level": 5}', headers={"content-type": "application/json"}
    )
    assert r.status_code == 415 and "<html" in r.text
    assert await web.store.count_ratings() == 0


async def test_form_post_to_unknown_token_is_404(web: Web) -> None:
    data = form(web, level="5")
    data["t"] = web.stamp("ZZZZZZZZZZZZ")
    r = await web.client.post("/r/ZZZZZZZZZZZZ", data=data)
    assert r.status_code == 404 and "12389" in r.text
    assert await web.store.count_ratings() == 0


async def test_honeypot_filled_is_rejected_and_nothing_stored(web: Web) -> None:
    r = await web.client.post(
        f"/r/{web.token()}", data=form(web, level="5", website="http://spam.example")
    )
    assert r.status_code == 400
    assert "提交被识别为自动程序" in r.text
    assert await web.store.count_ratings() == 0


async def test_too_fast_submit_reshows_the_page_and_stores_nothing(web: Web) -> None:
    data = form(web, level="5")
    data["t"] = web.stamp(web.token(), age_s=0.5)
    r = await web.client.post(f"/r/{web.token()}", data=data)
    assert r.status_code == 400
    assert "请再次点击您的评价。" in r.text
    assert web.officers[0].name in r.text and ">非常满意</button>" in r.text
    fresh = hidden(r.text, "t")
    assert fresh != data["t"] and web.keys.stamp_time(fresh, web.token()) is not None
    assert await web.store.count_ratings() == 0


@pytest.mark.parametrize("which", ["expired", "forged", "other_officer", "missing"])
async def test_stale_or_forged_stamp_reshows_the_page(web: Web, which: str) -> None:
    data = form(web, level="5")
    if which == "expired":
        data["t"] = web.stamp(web.token(), age_s=13 * 3600)
    elif which == "forged":
        data["t"] = data["t"].split(".")[0] + ".0123456789abcdef"
    elif which == "other_officer":
        data["t"] = web.stamp(web.token(1))
    else:
        del data["t"]
    r = await web.client.post(f"/r/{web.token()}", data=data)
    assert r.status_code == 400
    if which == "missing":
        assert "缺少页面时间戳" in r.text
    else:
        assert "请再次点击您的评价。" in r.text and web.officers[0].name in r.text
    assert await web.store.count_ratings() == 0


async def test_rate_limit_answers_with_a_friendly_page(tmp_path: Path) -> None:
    async with opened(make_settings(tmp_path, rate_limit_device_per_hour=1)) as web:
        first = await web.client.post(f"/r/{web.token(0)}", data=form(web, 0, level="5"))
        assert first.status_code == 303
        r = await web.client.post(f"/r/{web.token(1)}", data=form(web, 1, level="5"))
        assert r.status_code == 429
        assert r.headers["content-type"].startswith("text/html")
        assert "提交过于频繁，请稍后再试" in r.text
        assert await web.store.count_ratings() == 1


# ------------------------------------------------------------------ the receipt page


async def test_script_comment_is_shown_escaped(web: Web) -> None:
    comment = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    r = await web.client.post(
        f"/r/{web.token()}", data=form(web, level="1", reasons="other", comment=comment)
    )
    page = (await web.client.get(r.headers["location"])).text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x" in page
    assert "<script>alert" not in page and "<img" not in page
    assert "<script>" not in page  # the receipt page runs no script at all


async def test_receipt_never_shows_the_phone_number(web: Web) -> None:
    body = web.rating(level=2, phone="13812345678", consent=True)
    r = await web.client.post("/api/v1/ratings", json=body)
    assert r.status_code == 201
    page = (await web.client.get(r.json()["receipt_url"])).text
    assert "已留下回访电话" in page
    assert "13812345678" not in page and "138****5678" not in page and "5678" not in page


async def test_receipt_lookup_by_typed_code(web: Web) -> None:
    r = await web.client.post(f"/r/{web.token()}", data=form(web, level="3"))
    receipt = receipt_of(r)
    typed = f"{receipt[:4]}-{receipt[4:8]}-{receipt[8:]}".lower()
    found = await web.client.get("/receipt", params={"code": typed})
    assert found.status_code == 303 and found.headers["location"] == f"/receipt/{receipt}"
    page = await web.client.get(found.headers["location"])
    assert page.status_code == 200 and "基本满意" in page.text
    # The receipt path itself forgives the same typing.
    assert (await web.client.get(f"/receipt/{typed}")).status_code == 200


@pytest.mark.parametrize("path", ["/receipt?code=", "/receipt", "/receipt?code=nonsense"])
async def test_receipt_lookup_of_nothing_is_404(web: Web, path: str) -> None:
    r = await web.client.get(path)
    assert r.status_code == 404 and "未找到该回执" in r.text


async def test_unknown_receipt_is_a_friendly_404(web: Web) -> None:
    r = await web.client.get("/receipt/ZZZZZZZZZZZZ")
    assert r.status_code == 404
    assert "未找到该回执" in r.text and "12389" in r.text
    en = await web.client.get("/receipt/ZZZZZZZZZZZZ", headers=EN)
    assert en.status_code == 404 and "receipt not found" in en.text
    assert '<html lang="en">' in en.text


async def test_receipt_shows_only_its_own_rating(web: Web) -> None:
    a = await web.client.post("/api/v1/ratings", json=web.rating(0, level=5))
    web.client.cookies.clear()
    b = await web.client.post(
        "/api/v1/ratings", json=web.rating(2, level=1, reasons=["attitude"], comment="乙的评价")
    )
    page_a = (await web.client.get(a.json()["receipt_url"])).text
    assert web.officers[0].name in page_a
    assert web.officers[2].name not in page_a and "乙的评价" not in page_a
    assert b.json()["receipt"] not in page_a

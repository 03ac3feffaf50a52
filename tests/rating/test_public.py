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

from rating.admin.render import fmt_ts
from rating.settings import Settings
from tests.conftest import Web, make_settings, opened, rows
from tests.units import run_sql

EN = {"accept-language": "en-US,en;q=0.9"}
LEVELS_ZH = ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
REASONS_ZH = ["服务态度", "办事效率", "执法规范", "廉洁自律", "推诿扯皮", "其他"]


def hidden(page: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', page)
    assert match, f"no hidden field {name!r} in the page"
    return html.unescape(match.group(1))


def receipt_of(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    match = re.fullmatch(
        r"/receipt/([0-9A-Z]{12})\?(?:new=1|saved=details)", response.headers["location"]
    )
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
    assert "<script src" not in page and "<img" not in page
    # The one link is the tab icon, inline too (no /favicon.ico request, no 404).
    assert re.findall(r"<link [^>]*>", page) == [
        re.search(r'<link rel="icon" href="data:image/png;base64,[^"]+">', page).group(0)  # type: ignore[union-attr]
    ]
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
        assert re.findall(r'(?:src|href|action)="(?!/|tel:|#|data:image/png;base64,)', page) == []


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
    assert '<span class="level l4" id="level">满意</span>' in page.text
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


def field_error(page: str, field: str) -> str:
    """The message shown beside `field` on a re-shown form ("" if none)."""
    match = re.search(rf'<p class="err" id="{field}-err" role="alert">([^<]*)</p>', page)
    return html.unescape(match.group(1)) if match else ""


@pytest.mark.parametrize(
    ("fields", "field", "zh", "en"),
    [
        ({"phone": "12345", "consent": "1"}, "phone", "手机号格式不正确", "phone is not a valid"),
        ({"phone": "13812345678"}, "consent", "留下电话需勾选同意回访", "consent must be true"),
    ],
)
async def test_refused_details_reshow_the_form_with_everything_typed(
    web: Web, fields: dict[str, str], field: str, zh: str, en: str
) -> None:
    bad = form(
        web,
        level="1",
        reasons=["attitude", "integrity"],
        comment="排队两小时 <无人> 理会",
        **fields,
    )
    for headers, message in (({}, zh), (EN, en)):
        # The page comes back in the language the form was filled in.
        bad["lang"] = "en" if headers else "zh"
        r = await web.client.post(f"/r/{web.token()}", data=bad, headers=headers)
        assert r.status_code == 400
        assert r.headers["content-type"].startswith("text/html")
        page = r.text
        assert "出错了" not in page and "Something went wrong" not in page
        assert message in field_error(page, field)  # beside the field, in the page's language
        assert ("请修改标出的内容" in page) is (headers == {})
        # Every reason, the comment and the phone are still there; the details are open.
        assert re.search(r'value="attitude" checked', page)
        assert re.search(r'value="integrity" checked', page)
        assert not re.search(r'value="efficiency" checked', page)
        assert ">排队两小时 &lt;无人&gt; 理会</textarea>" in page
        assert f'value="{fields["phone"]}"' in page
        assert '<fieldset class="more" id="more" hidden' not in page
        assert 'class="lv l1 on"' in page  # the level tapped stays chosen
        assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', page)
        # A fresh stamp, so the corrected form goes through.
        assert web.keys.stamp_time(hidden(page, "t"), web.token()) is not None
    assert await web.store.count_ratings() == 0  # nothing half-stored


async def test_corrected_form_is_stored_with_everything(web: Web, settings: Settings) -> None:
    bad = form(web, level="2", reasons=["efficiency"], comment="慢", phone="1381234567")
    page = (await web.client.post(f"/r/{web.token()}", data=bad)).text
    good = form(web, level="2", reasons=["efficiency"], comment="慢", phone="13812345678")
    good.update(t=web.stamp(web.token()), consent="1")
    assert hidden(page, "lang") == "zh"
    receipt = receipt_of(await web.client.post(f"/r/{web.token()}", data=good))
    assert rows(settings, "SELECT level, reasons, comment, phone_mask FROM ratings") == [
        (2, "efficiency", "慢", "138****5678")
    ]
    assert receipt


async def test_refused_details_for_a_stored_rating_keep_its_receipt(web: Web) -> None:
    receipt = receipt_of(await web.client.post(f"/r/{web.token()}", data=form(web, level="2")))
    bad = form(web, level="2", receipt=receipt, comment="再补充", phone="abc", consent="1")
    r = await web.client.post(f"/r/{web.token()}", data=bad)
    assert r.status_code == 400
    assert hidden(r.text, "receipt") == receipt  # the corrected details amend that rating
    assert "您的评价已记录；补充说明尚未保存。" in r.text
    assert ">再补充</textarea>" in r.text
    assert await web.store.count_ratings() == 1


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


async def test_quick_tap_is_stored_and_marked_fast(web: Web, settings: Settings) -> None:
    quick = form(web, 0, level="2")
    quick["t"] = web.stamp(web.token(0), age_s=0.3)  # under min_submit_seconds (2 s)
    assert receipt_of(await web.client.post(f"/r/{web.token(0)}", data=quick))
    web.client.cookies.clear()
    slow = form(web, 1, level="4")  # stamp 10 s old
    assert receipt_of(await web.client.post(f"/r/{web.token(1)}", data=slow))
    assert rows(settings, "SELECT officer_id, level, fast FROM ratings ORDER BY level") == [
        (web.officers[0].id, 2, 1),
        (web.officers[1].id, 4, 0),
    ]
    # A bad quick tap opens its case like any other.
    assert rows(settings, "SELECT count(*) FROM cases") == [(1,)]


async def test_details_amending_a_fast_rating_keep_its_mark(web: Web, settings: Settings) -> None:
    quick = form(web, level="1")
    quick["t"] = web.stamp(web.token(), age_s=0.1)
    receipt = receipt_of(await web.client.post(f"/r/{web.token()}", data=quick))
    details = form(web, level="1", receipt=receipt, reasons="attitude")
    assert receipt_of(await web.client.post(f"/r/{web.token()}", data=details)) == receipt
    assert rows(settings, "SELECT reasons, fast, amend_count FROM ratings") == [("attitude", 1, 1)]


async def test_stale_stamp_keeps_what_was_typed(web: Web) -> None:
    data = form(web, level="2", comment="我写了很多", phone="13812345678", consent="1")
    data["t"] = web.stamp(web.token(), age_s=13 * 3600)
    r = await web.client.post(f"/r/{web.token()}", data=data)
    assert r.status_code == 400
    assert "请再次点击您的评价。" in r.text
    assert ">我写了很多</textarea>" in r.text and 'value="13812345678"' in r.text
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


async def test_receipt_lookup_form_in_both_languages(web: Web) -> None:
    for headers, title, label in (
        ({}, "查询评价回执", "回执号"),
        (EN, "Look up", "Receipt number"),
    ):
        r = await web.client.get("/receipt", headers=headers)
        assert r.status_code == 200
        assert f"<h1>{title}" in r.text
        assert f'<label class="label" for="code">{label}</label>' in r.text
        assert '<form method="get" action="/receipt" id="lookup">' in r.text


@pytest.mark.parametrize(
    "typed",
    [
        "{a}-{b}-{c}",  # as printed
        "{a} {b} {c}",
        "{lower}",
        "{o_for_0}",
        "{fullwidth}",
    ],
)
async def test_receipt_lookup_takes_the_number_as_typed(web: Web, typed: str) -> None:
    # A receipt with a 0 and a 1 in it, so the O/0 and I/L/1 mix-ups are tried.
    receipt = ""
    for _ in range(200):
        r = await web.client.post("/api/v1/ratings", json=web.rating(level=4))
        receipt = r.json()["receipt"]
        if "0" in receipt and "1" in receipt:
            break
        web.client.cookies.clear()
    assert "0" in receipt and "1" in receipt
    code = typed.format(
        a=receipt[:4],
        b=receipt[4:8],
        c=receipt[8:],
        lower=receipt.lower(),
        o_for_0=receipt.replace("0", "O").replace("1", "l"),
        fullwidth="".join(chr(ord(ch) + 0xFEE0) for ch in receipt),
    )
    found = await web.client.get("/receipt", params={"code": code})
    assert found.status_code == 303 and found.headers["location"] == f"/receipt/{receipt}"


@pytest.mark.parametrize(
    ("code", "status", "message"),
    [
        ("", 400, "回执号应为12位字母或数字"),
        ("nonsense", 400, "回执号应为12位字母或数字"),
        ("ZZZZ-ZZZZ-ZZZZ", 404, "未找到该回执"),
    ],
)
async def test_receipt_lookup_refusals_keep_the_typed_number(
    web: Web, code: str, status: int, message: str
) -> None:
    r = await web.client.get("/receipt", params={"code": code})
    assert r.status_code == status
    assert message in r.text and f'value="{code}"' in r.text
    assert 'aria-invalid="true"' in r.text


async def test_unknown_receipt_is_a_friendly_404(web: Web) -> None:
    r = await web.client.get("/receipt/ZZZZZZZZZZZZ")
    assert r.status_code == 404
    assert "未找到该回执" in r.text and "12389" in r.text
    assert 'id="lookup"' in r.text  # the box to try another number
    en = await web.client.get("/receipt/ZZZZZZZZZZZZ", headers=EN)
    assert en.status_code == 404 and "No receipt has this number" in en.text
    assert '<html lang="en">' in en.text


@pytest.mark.parametrize("path", ["/r/{token}", "/r/ZZZZZZZZZZZZ", "/receipt/ZZZZZZZZZZZZ"])
async def test_pages_link_to_the_receipt_lookup(web: Web, path: str) -> None:
    page = (await web.client.get(path.format(token=web.token()))).text
    assert '<footer class="foot"><a href="/receipt">查询评价回执</a></footer>' in page


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


# ------------------------------------------------------------------ the tap, stored at once


async def test_script_tap_is_stored_at_once_and_details_amend_it(
    web: Web, settings: Settings
) -> None:
    """What rate.js sends when 不满意 is tapped, then the details by the receipt."""
    page = (await web.client.get(f"/r/{web.token()}")).text
    tap = {"t": hidden(page, "t"), "lang": "zh", "level": "2"}
    r = await web.client.post(f"/r/{web.token()}", data=tap, headers={"accept": "application/json"})
    assert r.status_code == 201
    answer = r.json()
    receipt = answer["receipt"]
    assert answer["ok"] is True and answer["amended"] is False
    assert answer["receipt_display"] == f"{receipt[:4]}-{receipt[4:8]}-{receipt[8:]}"
    assert rows(settings, "SELECT level, channel FROM ratings") == [(2, "badge")]
    assert rows(settings, "SELECT count(*) FROM cases") == [(1,)]  # the case is open already
    # The citizen changes the tap to 非常不满意: the same rating, amended.
    r = await web.client.post(
        f"/r/{web.token()}",
        data={**tap, "level": "1", "receipt": receipt},
        headers={"accept": "application/json"},
    )
    assert r.status_code == 200 and r.json() == {**answer, "amended": True}
    details = form(
        web, level="1", receipt=receipt, reasons="attitude", phone="13812345678", consent="1"
    )
    second = await web.client.post(f"/r/{web.token()}", data=details)
    assert second.headers["location"] == f"/receipt/{receipt}?saved=details"
    shown = (await web.client.get(second.headers["location"])).text
    assert "您的补充说明已保存。" in shown and "<h1>感谢您的评价！</h1>" in shown
    assert rows(settings, "SELECT level, reasons, phone_mask FROM ratings") == [
        (1, "attitude", "138****5678")
    ]


async def test_script_tap_refusal_is_json(web: Web) -> None:
    r = await web.client.post(
        f"/r/{web.token()}",
        data={"t": "1.0123456789abcdef", "level": "2"},
        headers={"accept": "application/json"},
    )
    assert r.status_code == 400
    assert r.json() == {
        "ok": False,
        "error": "form stamp is invalid; reload the rating page",
        "status": 400,
    }
    assert await web.store.count_ratings() == 0


# ------------------------------------------------------------------ receipt wording


async def test_receipt_labels_and_english_join(web: Web) -> None:
    r = await web.client.post(
        "/api/v1/ratings",
        json=web.rating(level=2, reasons=["attitude", "efficiency"], comment="慢"),
    )
    url = r.json()["receipt_url"]
    zh = (await web.client.get(url)).text
    assert '<dt>原因</dt><dd id="reasons">服务态度、办事效率</dd>' in zh
    assert "<dt>具体情况</dt>" in zh and "可多选" not in zh.split("<dl>")[1].split("</dl>")[0]
    en = (await web.client.get(url, headers=EN)).text
    assert '<dt>Reasons</dt><dd id="reasons">Attitude, Efficiency</dd>' in en
    assert "<dt>Details</dt>" in en


async def test_receipt_has_a_heading_in_every_state(web: Web) -> None:
    r = await web.client.post("/api/v1/ratings", json=web.rating(level=2))
    url = r.json()["receipt_url"]
    for query, heading in (
        ("", "<h1>评价回执</h1>"),
        ("?new=1", "<h1>感谢您的评价！</h1>"),
        ("?saved=details", "<h1>感谢您的评价！</h1>"),
        ("?fixed=1", "<h1>感谢您的评价！</h1>"),
    ):
        page = (await web.client.get(url + query)).text
        assert page.count("<h1>") == 1 and heading in page, query
    assert "感谢您对整改结果的评价" in (await web.client.get(url + "?fixed=1")).text


async def test_receipt_says_when_the_callback_is_due(web: Web, settings: Settings) -> None:
    r = await web.client.post(
        "/api/v1/ratings", json=web.rating(level=1, phone="13812345678", consent=True)
    )
    due_ms = rows(settings, "SELECT callback_due_at FROM cases")[0][0]
    day = fmt_ts(due_ms, False)
    page = (await web.client.get(r.json()["receipt_url"])).text
    assert f'<p id="callback-due">回访期限：{day}' in page
    en = (await web.client.get(r.json()["receipt_url"], headers=EN)).text
    assert f'<p id="callback-due">Call back due by: {day}' in en


def _contrast(fg: str, bg: str) -> float:
    def lum(hex_colour: str) -> float:
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (0, 2, 4)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((lum(fg), lum(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_level_colours_have_at_least_4_5_contrast_with_white() -> None:
    css = (Path(__file__).resolve().parents[2] / "static" / "rate.css").read_text()
    colours = dict(re.findall(r"\.l([1-5])\{background:#([0-9a-f]{6})\}", css))
    assert sorted(colours) == ["1", "2", "3", "4", "5"]
    for level, colour in colours.items():
        assert _contrast("ffffff", colour) >= 4.5, (level, colour)


async def test_favicon_is_a_small_cached_png(web: Web) -> None:
    r = await web.client.get("/favicon.ico")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.content.startswith(b"\x89PNG") and len(r.content) < 1024
    assert "max-age=2592000" in r.headers["cache-control"]
    page = (await web.client.get(f"/r/{web.token()}")).text
    inline = re.search(r'<link rel="icon" href="data:image/png;base64,([^"]+)">', page)
    assert inline and base64.b64decode(inline.group(1)) == r.content

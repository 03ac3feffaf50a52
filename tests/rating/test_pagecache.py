"""The rating page cache: spliced gzip, ETag/304, and pages dropped on every change that
can alter them (reissue, rename, move, retirement), whichever process makes it."""

from __future__ import annotations

import gzip
import re
import time
import zlib
from pathlib import Path

import httpx
import pytest

from rating.pagecache import REUSE_MS, STAMP_MARK, CachedPage, PageCache, reusable
from rating.store.models import RosterRow
from tests.conftest import ROSTER, Web, make_settings, opened

GZIP = {"accept-encoding": "gzip"}


def _page(body: str = "x" * 3000) -> CachedPage:
    return CachedPage.build(f"<html><p>{body}</p><input name=t value={STAMP_MARK}><b>after</b>")


@pytest.mark.parametrize("stamp", [b"", b"1796187727804.0123456789abcdef", b"s" * 70000])
def test_spliced_gzip_is_one_valid_member(stamp: bytes) -> None:
    page = _page("长" * 2000)
    wire = page.gzip(stamp)
    expected = page.head + stamp + page.tail
    assert gzip.decompress(wire) == expected
    # The browser's inflater (zlib with a gzip wrapper) reads it to the end, no trailing data.
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    assert d.decompress(wire) == expected and d.eof and d.unused_data == b""
    assert page.plain(stamp) == expected


def test_page_needs_exactly_one_marker() -> None:
    with pytest.raises(ValueError, match="exactly once"):
        CachedPage.build("<p>no marker</p>")
    with pytest.raises(ValueError, match="exactly once"):
        CachedPage.build(STAMP_MARK + STAMP_MARK)


def test_etag_reuse_only_for_same_content_and_a_young_stamp() -> None:
    page, other = _page("a"), _page("b")
    now = 1_800_000_000_000
    assert reusable(page.etag(now - 1000), page, now)
    assert reusable(f'"zzz", {page.etag(now - 1000)}', page, now)
    assert not reusable(page.etag(now - REUSE_MS - 1), page, now)  # its stamp is too old
    assert not reusable(other.etag(now - 1000), page, now)  # the page changed since
    assert not reusable(page.etag(now + 60_000), page, now)  # a stamp from the future
    assert not reusable("*", page, now) and not reusable('W/"garbage"', page, now)


def test_least_recently_used_page_goes_first() -> None:
    cache = PageCache(size=2)
    gen = cache.generation
    for token in ("A", "B"):
        cache.put(token, "zh", _page(token), gen)
    assert cache.get("A", "zh") is not None  # A is now the most recently used
    cache.put("C", "zh", _page("C"), gen)
    assert cache.get("B", "zh") is None and cache.get("A", "zh") and cache.get("C", "zh")
    assert len(cache) == 2


def test_a_page_read_before_a_change_is_not_kept() -> None:
    cache = PageCache(size=10)
    before = cache.generation
    cache.clear()  # a change was seen while the page was being rendered
    cache.put("A", "zh", _page(), before)
    assert cache.get("A", "zh") is None


async def _get(web: Web, token: str, **headers: str) -> httpx.Response:
    return await web.client.get(f"/r/{token}", headers=headers)


def _stamp(page: str) -> str:
    match = re.search(r'name="t" value="([^"]+)"', page)
    assert match
    return match.group(1)


async def test_cached_page_gets_a_fresh_stamp_each_time(web: Web) -> None:
    token = web.token()
    first = await _get(web, token, **GZIP)
    time.sleep(0.002)  # two stamps in two different milliseconds
    second = await _get(web, token, **GZIP)
    assert first.status_code == second.status_code == 200
    assert first.headers["content-encoding"] == "gzip"
    assert len(web.svc.pages.cache) == 1  # rendered once
    s1, s2 = _stamp(first.text), _stamp(second.text)
    assert s1 != s2
    for stamp in (s1, s2):
        assert web.keys.stamp_time(stamp, token) is not None
    # Apart from the stamp the two pages are the same bytes.
    assert first.text.replace(s1, "") == second.text.replace(s2, "")
    assert first.headers["etag"] != second.headers["etag"]
    assert second.headers["cache-control"] == "private, no-cache"
    # The stamped page takes a rating.
    post = await web.client.post(
        f"/r/{token}", data={"t": s2, "lang": "zh", "level": "5"}, follow_redirects=False
    )
    assert post.status_code == 303


async def test_page_without_gzip_and_in_english(web: Web) -> None:
    token = web.token()
    plain = await _get(web, token, **{"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert int(plain.headers["content-length"]) == len(plain.content)
    assert '<html lang="zh-CN">' in plain.text
    en = await web.client.get(f"/r/{token}?lang=en", headers=GZIP)
    assert '<html lang="en">' in en.text and "pj_lang=en" in en.headers["set-cookie"]
    assert f'<a class="lang" href="/r/{token}?lang=zh">' in en.text
    # The cookie now keeps English, from the cache too.
    again = await _get(web, token, **GZIP)
    assert '<html lang="en">' in again.text
    assert len(web.svc.pages.cache) == 2


async def test_first_visit_sets_the_device_cookie_from_the_cache(web: Web) -> None:
    await _get(web, web.token())  # fills the cache (and sets this client's cookie)
    web.client.cookies.clear()
    r = await _get(web, web.token())
    assert r.headers["set-cookie"].startswith("pj_dev=")
    again = await _get(web, web.token())
    assert "set-cookie" not in again.headers


async def test_if_none_match_gives_304_while_the_stamp_is_young(web: Web) -> None:
    token = web.token()
    first = await _get(web, token, **GZIP)
    etag = first.headers["etag"]
    r = await web.client.get(f"/r/{token}", headers={"if-none-match": etag, **GZIP})
    assert r.status_code == 304 and r.content == b"" and r.headers["etag"] == etag
    # Another officer's copy, or a copy with an old stamp, gets the full page.
    old = etag.replace(etag.split("-")[-1], f'{int(time.time() * 1000) - REUSE_MS - 5000}"')
    full = await web.client.get(f"/r/{token}", headers={"if-none-match": old})
    assert full.status_code == 200 and full.headers["etag"] != old


async def test_other_queries_and_typed_codes_take_the_usual_way(web: Web) -> None:
    token = web.token()
    r = await web.client.get(f"/r/{token.lower()}", follow_redirects=False)
    assert r.status_code == 301
    q = await web.client.get(f"/r/{token}?from=wechat")
    assert q.status_code == 200 and q.headers["cache-control"] == "no-store"
    assert len(web.svc.pages.cache) == 0
    unknown = await web.client.get("/r/ZZZZZZZZZZZZ")
    assert unknown.status_code == 404 and len(web.svc.pages.cache) == 0


async def test_changes_from_another_process_drop_the_page(tmp_path: Path) -> None:
    """Reissue, rename, move and retirement, made through a second store on the same
    database (as the CLI does), reach the serving app's cache."""
    from rating.store import make_store

    settings = make_settings(tmp_path)
    async with opened(settings) as web:
        web.svc.pages.cache.check_interval = 0  # look at the epoch on every request
        token = web.token()
        assert "张伟" in (await _get(web, token)).text
        cli = make_store(settings)
        await cli.open()
        try:
            # Rename and move: the page shows the new name and unit.
            moved = [
                RosterRow(2, "100001", "张伟强", "张家口市公安局/桥西分局/新华街派出所", "police"),
                *ROSTER[1:],
            ]
            await cli.import_roster(moved)
            page = (await _get(web, token)).text
            assert "张伟强" in page and "新华街派出所" in page
            # Reissue: the old code is withdrawn at once.
            await cli.reissue_token("100001")
            assert (await _get(web, token)).status_code == 410
            fresh = (await cli.officer_by_badge("100001")).token  # type: ignore[union-attr]
            assert fresh and (await _get(web, fresh)).status_code == 200
            # Retirement (missing from the next roster): the page goes too.
            await cli.import_roster(ROSTER[1:], retire_missing=True)
            assert (await _get(web, fresh)).status_code == 410
        finally:
            await cli.close()


async def test_cache_size_zero_renders_afresh(tmp_path: Path) -> None:
    async with opened(make_settings(tmp_path, page_cache_size=0)) as web:
        assert (await _get(web, web.token())).status_code == 200
        assert len(web.svc.pages.cache) == 0

"""One error shape: exact JSON for API calls, a friendly page in the right language for people."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from rating.app import create_app
from rating.settings import Settings
from tests.conftest import Web, make_settings, opened

API = "/api/v1/ratings"
EN = {"accept-language": "en"}


def assert_error_shape(r: httpx.Response, status: int) -> str:
    """The one JSON error shape, exactly; returns the message."""
    assert r.status_code == status
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert set(body) == {"ok", "error", "status"}
    assert body["ok"] is False and body["status"] == status
    assert isinstance(body["error"], str) and body["error"]
    return str(body["error"])


def assert_page(r: httpx.Response, status: int, lang: str) -> str:
    """A friendly HTML page in `lang`; returns its text."""
    assert r.status_code == status
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert f'<html lang="{"zh-CN" if lang == "zh" else "en"}">' in r.text
    assert "content-security-policy" in r.headers
    assert "Traceback" not in r.text and 'File "' not in r.text
    return r.text


@contextlib.asynccontextmanager
async def lenient(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client that, like a browser, sees the 500 page instead of the exception."""
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


def boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("secret internal detail")


# ------------------------------------------------------------------ JSON


async def test_json_error_shape_for_every_status(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, rate_limit_device_per_hour=1)
    async with opened(settings) as web:
        assert_error_shape(await web.client.post(API, json=web.rating(level=0)), 400)
        unknown = web.rating()
        unknown.update(token="ZZZZZZZZZZZZ", t=web.stamp("ZZZZZZZZZZZZ"))
        assert_error_shape(await web.client.post(API, json=unknown), 404)
        assert_error_shape(
            await web.client.post(API, content=b"{}", headers={"content-type": "text/plain"}),
            415,
        )
        big = b"{" + b" " * settings.max_body_bytes + b"}"
        assert_error_shape(
            await web.client.post(API, content=big, headers={"content-type": "application/json"}),
            413,
        )
        assert (await web.client.post(API, json=web.rating(0))).status_code == 201
        assert_error_shape(await web.client.post(API, json=web.rating(1)), 429)
        revoked = web.rating(2)
        await web.store.reissue_token(web.officers[2].badge_no)
        web.client.cookies.clear()
        assert_error_shape(await web.client.post(API, json=revoked), 410)


async def test_unknown_api_route_is_json_404(web: Web) -> None:
    r = await web.client.get("/api/v1/nothing-here", headers=EN)
    assert assert_error_shape(r, 404) == "not found"


async def test_wrong_method_on_the_api_is_json_405_with_allow(web: Web) -> None:
    r = await web.client.get(API)
    assert assert_error_shape(r, 405) == "method not allowed"
    assert r.headers["allow"] == "POST"


async def test_unexpected_error_is_json_500_without_details(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("rating.api.validate", boom)
    async with lenient(make_settings(tmp_path)) as client:
        r = await client.post(API, json={"level": 5})
    assert assert_error_shape(r, 500) == "internal error"
    assert "secret internal detail" not in r.text
    assert "secret internal detail" in caplog.text  # but the operator sees it in the log


# ------------------------------------------------------------------ pages for people


@pytest.mark.parametrize(
    ("headers", "lang", "heading", "message"),
    [
        ({}, "zh", "出错了", "页面不存在"),
        ({"accept-language": "en-GB,en;q=0.9"}, "en", "Something went wrong", "not found"),
    ],
)
async def test_unknown_page_is_a_friendly_404(
    web: Web, headers: dict[str, str], lang: str, heading: str, message: str
) -> None:
    text = assert_page(await web.client.get("/no/such/page", headers=headers), 404, lang)
    assert f"<h1>{heading}</h1>" in text and message in text
    assert 'href="tel:12389"' in text  # still points the citizen somewhere useful


async def test_language_toggle_works_on_error_pages(web: Web) -> None:
    text = assert_page(await web.client.get("/no/such/page?lang=en"), 404, "en")
    assert 'href="/no/such/page?lang=zh"' in text


async def test_wrong_method_on_a_page_is_a_405_page(web: Web) -> None:
    r = await web.client.put(f"/r/{web.token()}")
    text = assert_page(r, 405, "zh")
    assert "不支持该请求方法" in text
    # Only the GET route's methods: app.py registers GET and POST as two routes.
    assert "GET" in r.headers["allow"]


async def test_unexpected_error_is_a_500_page_in_the_users_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("rating.public.normalize_code", boom)
    async with lenient(make_settings(tmp_path)) as client:
        zh = await client.get("/r/ZZZZZZZZZZZZ")
        en = await client.get("/r/ZZZZZZZZZZZZ", headers=EN)
    text = assert_page(zh, 500, "zh")
    assert "<h1>出错了</h1>" in text and "服务器内部错误" in text
    assert "secret internal detail" not in text
    assert "<h1>Something went wrong</h1>" in assert_page(en, 500, "en")
    assert "secret internal detail" in caplog.text


async def test_form_errors_are_pages_not_json(web: Web) -> None:
    r = await web.client.post(
        f"/r/{web.token()}", data={"level": "9", "t": web.stamp(web.token())}, headers=EN
    )
    text = assert_page(r, 400, "en")
    assert "level must be an integer from 1 to 5" in text
    zh = await web.client.post(
        f"/r/{web.token()}", data={"level": "9", "t": web.stamp(web.token())}
    )
    assert "评价等级必须是 1 到 5 的整数" in assert_page(zh, 400, "zh")


def test_domain_errors_map_to_one_http_status_each_with_their_messages() -> None:
    from rating import domain_errors
    from rating.errors import to_http

    for domain, status in (
        (domain_errors.Invalid, 400),
        (domain_errors.NotFound, 404),
        (domain_errors.Forbidden, 403),
        (domain_errors.Conflict, 409),
    ):
        http = to_http(domain("english message", "中文说明"))
        assert (http.status, http.en, http.zh) == (status, "english message", "中文说明")


async def test_a_domain_error_from_a_case_is_a_page_in_the_users_language(web: Web) -> None:
    from rating.admin import auth
    from rating.cases.service import now_ms

    await web.store.write(
        auth.add_user, "admin1", "admin", None, auth.hash_password("x" * 12), now_ms()
    )
    page = await web.client.get("/admin/login")
    csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    await web.client.post(
        "/admin/login", data={"csrf": csrf, "name": "admin1", "password": "x" * 12}
    )
    # No such case: the domain's NotFound, answered as the friendly 404 page.
    r = await web.client.get("/admin/cases/999999")
    assert r.status_code == 404 and "未找到该案件" in r.text
    r = await web.client.get("/admin/cases/999999", headers=EN)
    assert r.status_code == 404 and "case not found" in r.text

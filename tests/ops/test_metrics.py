"""Prometheus metrics at /metrics: what they count, and who may read them."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from rating.cases import webhook
from rating.settings import Settings
from rating.store.base import now_ms
from tests.conftest import Web, make_settings, open_web

LOCAL = ("127.0.0.1", 40000)


def _client(web: Web, client: tuple[str, int] = LOCAL) -> httpx.AsyncClient:
    transport = web.client._transport
    assert isinstance(transport, httpx.ASGITransport)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=transport.app, client=client),
        base_url="http://testserver",
    )


async def _scrape(
    web: Web, **kwargs: object
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with _client(web) as c:
        r = await c.get("/metrics", **kwargs)  # type: ignore[arg-type]
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    out = {}
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_ratings_requests_batches_and_cases_are_counted(web: Web) -> None:
    before = await _scrape(web)
    r = await web.client.post("/api/v1/ratings", json=web.rating(0, level=2, comment="慢"))
    assert r.status_code == 201
    again = await web.client.post("/api/v1/ratings", json=web.rating(0, level=1))
    assert again.status_code == 200  # the same device: amended
    await web.client.post("/api/v1/ratings", json=web.rating(1, level=9))  # 400
    page = await web.client.get(f"/r/{web.token(2)}")
    assert page.status_code == 200
    after = await _scrape(web)

    def delta(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert delta("pingjing_ratings_total", level="2", channel="web", outcome="created") == 1
    assert delta("pingjing_ratings_total", level="1", channel="web", outcome="amended") == 1
    route = {"route": "/api/v1/ratings", "method": "POST"}
    assert delta("pingjing_http_requests_total", **route, status="201") == 1
    assert delta("pingjing_http_requests_total", **route, status="200") == 1
    assert delta("pingjing_http_requests_total", **route, status="400") == 1
    assert delta("pingjing_http_request_duration_seconds_count", **route, status="201") == 1
    # The route template, never the badge code in the path.
    assert (
        delta("pingjing_http_requests_total", route="/r/{token}", method="GET", status="200") == 1
    )
    assert not any(web.token(2) in str(key) for key in after)
    assert delta("pingjing_writer_batch_size_count") >= 1
    assert delta("pingjing_writer_commit_seconds_count") >= 1
    assert _value(after, "pingjing_writer_queue_depth") == 0
    assert _value(after, "pingjing_cases", state="open") == 1
    assert _value(after, "pingjing_cases_opened") == 1
    assert _value(after, "pingjing_cases_overdue") == 0


async def test_webhook_failures_are_counted(web: Web) -> None:
    r = await web.client.post("/api/v1/ratings", json=web.rating(0, level=1))
    assert r.status_code == 201
    before = _value(await _scrape(web), "pingjing_webhook_deliveries_total", outcome="failed")
    # Port 9 (discard) on loopback: nothing listens there, the delivery fails at once.
    sent = await webhook.deliver_due(web.store, "http://127.0.0.1:9/hook", "s", now_ms(), 8, 5000)
    assert sent == 0
    after = _value(await _scrape(web), "pingjing_webhook_deliveries_total", outcome="failed")
    assert after == before + 1


async def test_only_allowed_addresses_or_the_token_may_read(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, metrics_token="scrape-secret", trusted_proxies="127.0.0.1")
    async for web in open_web(settings):
        outside = await web.client.get("/metrics")  # the fixture's client is 203.0.113.7
        assert outside.status_code == 403
        assert outside.json()["status"] == 403
        wrong = await web.client.get("/metrics", headers={"authorization": "Bearer nope"})
        assert wrong.status_code == 403
        token = await web.client.get("/metrics", headers={"authorization": "Bearer scrape-secret"})
        assert token.status_code == 200 and "pingjing_ratings_total" in token.text
        async with _client(web) as local:
            assert (await local.get("/metrics")).status_code == 200
            # Through the proxy on loopback, an outside client is still outside.
            proxied = await local.get("/metrics", headers={"x-forwarded-for": "203.0.113.9"})
            assert proxied.status_code == 403


async def test_networks_can_be_allowed(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, metrics_allow="10.0.0.0/8, 203.0.113.0/24")
    async for web in open_web(settings):
        assert (await web.client.get("/metrics")).status_code == 200
        async with _client(web) as local:  # loopback is no longer listed
            assert (await local.get("/metrics")).status_code == 403


async def test_metrics_off(tmp_path: Path) -> None:
    async for web in open_web(make_settings(tmp_path, metrics=False)):
        async with _client(web) as local:
            r = await local.get("/metrics")
        assert r.status_code == 404 and r.json()["status"] == 404
        assert (await web.client.post("/api/v1/ratings", json=web.rating())).status_code == 201


def test_a_wrong_allow_list_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="PINGJING_METRICS_ALLOW: 'intranet'"):
        Settings.load(env={"PINGJING_METRICS_ALLOW": "10.0.0.0/8,intranet"})

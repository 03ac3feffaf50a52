"""Notifications end to end: events from the store, sent to local servers that speak the
WeCom, DingTalk and SMTP formats, retried with backoff, dead-lettered, retried by hand.

Time is injected: every round runs at a `now` the test chooses, never the wall clock."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from rating.clock import now_ms
from rating.crypto import Keys
from rating.notify import deliver
from rating.notify import store as nstore
from rating.store import Store
from rating.store.models import RatingSubmission
from rating.store.tx import Tx
from tests.backends import BACKENDS, roster_store
from tests.notify.servers import Mailbox, Robot, robot_server, smtp_server

QIAODONG = "张家口市公安局/桥东分局"
QIAOXI = "张家口市公安局/桥西分局"
PHONE = "13812345678"
KEYS = Keys("notify-test-secret")
DAY = 86_400_000
DIGEST = 3_600_000


def config(smtp_url: str = "", attempts: int = 3) -> deliver.Config:
    return deliver.Config("https://pj.example.cn", attempts, 1000, DIGEST, smtp_url, "pj@x.cn")


async def bad(store: Store, i: int, device: str, phone: bool = True) -> None:
    officers = await store.list_officers()
    token = officers[i].token
    assert token is not None
    sub = RatingSubmission(
        token=token, level=1, channel="badge", reasons=("attitude",), device_hash=device,
        comment="他叫张三，住在幸福小区",
        phone_enc=KEYS.encrypt_phone(PHONE) if phone else None,
        phone_hash=KEYS.phone_hash(PHONE) if phone else None,
        phone_mask="138****5678" if phone else None,
    )  # fmt: skip
    await store.submit_rating(sub)


async def subscribe(store: Store, unit: str | None, sender: str, target: str, secret: str = "",
                    events: tuple[str, ...] = nstore.KINDS) -> int:  # fmt: skip
    return await store.write(
        nstore.add_subscription, unit, sender, target, secret, events, "", now_ms()
    )


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with roster_store(request.param, tmp_path) as s:
        yield s


async def states(store: Store) -> list[tuple[str, int]]:
    def read(tx: Tx) -> list[tuple[str, int]]:
        return [(r[0], int(r[1])) for r in tx.all(
            "SELECT state, attempts FROM notify_deliveries ORDER BY id")]  # fmt: skip

    return await store.read(read)


async def test_a_bad_rating_reaches_the_units_robots_in_their_formats(store: Store) -> None:
    with (
        robot_server(Robot("wecom")) as wecom,
        robot_server(Robot("dingtalk", secret="SECdingding")) as ding,
    ):
        await subscribe(store, QIAODONG, "wecom", wecom.url)
        await subscribe(store, None, "dingtalk", ding.url, "SECdingding")
        await subscribe(store, QIAOXI, "wecom", wecom.url)  # another branch: hears nothing
        await bad(store, 0, "d1")  # officer 0 serves at 桥东分局
        now = now_ms()
        first = await deliver.run_once(store, config(), now)
        assert (first.enqueued, first.sent, first.failed) == (1, 2, 0)
        assert ding.refused == [] and wecom.refused == []
        (wmsg,), (dmsg,) = wecom.messages, ding.messages
        content = wmsg["markdown"]["content"]
        assert "新差评" in content and "138****5678" in content and "服务态度" in content
        assert PHONE not in content and "张三" not in content  # no comment, no full phone
        assert "/admin/cases/" in content
        assert dmsg["markdown"]["title"] == "评警 · 新差评"
        assert "138****5678" in dmsg["markdown"]["text"]
        # The next round finds nothing new and sends nothing again.
        again = await deliver.run_once(store, config(), now + 5000)
        assert (again.enqueued, again.sent) == (0, 0)
        assert len(wecom.messages) == 1 and len(ding.messages) == 1


async def test_retries_after_a_500_with_backoff_then_dead_letter_and_retry(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with (
        robot_server(Robot("wecom", fail=1)) as flaky,
        robot_server(Robot("dingtalk", secret="SECsecret-xyz", always_fail=True)) as down,
    ):
        await subscribe(store, QIAODONG, "wecom", flaky.url)
        await subscribe(store, QIAODONG, "dingtalk", down.url, "SECsecret-xyz")
        await bad(store, 0, "d1")
        now = now_ms()
        r = await deliver.run_once(store, config(attempts=3), now)
        assert (r.sent, r.failed) == (0, 2)
        assert await states(store) == [("pending", 1), ("pending", 1)]
        # Not yet due: the first retry waits the base delay (1 s).
        r = await deliver.run_once(store, config(attempts=3), now + 999)
        assert (r.sent, r.failed) == (0, 0)
        r = await deliver.run_once(store, config(attempts=3), now + 1000)
        assert (r.sent, r.failed) == (1, 1)  # the WeCom robot is back; DingTalk is not
        assert len(flaky.messages) == 1
        # The second retry waits twice as long; the third attempt is the last.
        r = await deliver.run_once(store, config(attempts=3), now + 1000 + 1999)
        assert (r.sent, r.failed) == (0, 0)
        r = await deliver.run_once(store, config(attempts=3), now + 3000)
        assert (r.sent, r.failed) == (0, 1)
        assert await states(store) == [("sent", 2), ("dead", 3)]
        assert down.requests == 3
        # Dead: no further attempts, whatever the time.
        r = await deliver.run_once(store, config(attempts=3), now + DAY)
        assert r.failed == 0 and down.requests == 3
        (letter,) = await store.read(nstore.dead_letters, None)
        assert letter.kind == "bad_rating" and letter.attempts == 3
        assert letter.last_error == "HTTP 500"
        assert "access_token" not in letter.target_masked
        # Retried by hand once the robot works again: sent at the next round.
        down.always_fail = False
        assert await store.write(nstore.retry_dead, letter.id, now + DAY, None, None) == 1
        r = await deliver.run_once(store, config(attempts=3), now + DAY)
        assert r.sent == 1 and len(down.messages) == 1
        assert await store.read(nstore.dead_letters, None) == []
    # Failures are logged without the robot's key, token or signing secret.
    logged = caplog.text
    assert "failed" in logged
    for secret in ("robot-key-123", "ding-token-456", "SECsecret-xyz", PHONE):
        assert secret not in logged


async def test_email_digest_batches_a_recipients_events_per_interval(store: Store) -> None:
    with smtp_server(Mailbox(fail=1)) as box:
        await subscribe(store, QIAOXI, "email", "chief@qiaoxi.example.cn")
        await bad(store, 2, "d1")  # officer 2 serves at 桥西分局
        await bad(store, 2, "d2", phone=False)
        now = now_ms()
        boundary = (now // DIGEST + 1) * DIGEST
        r = await deliver.run_once(store, config(box.url), now)
        assert (r.enqueued, r.sent, r.failed) == (2, 0, 0)  # waiting for the digest
        r = await deliver.run_once(store, config(box.url), boundary)
        assert (r.sent, r.failed) == (0, 2)  # one session, refused with a 451
        assert box.mails == []
        r = await deliver.run_once(store, config(box.url), boundary + 1000)
        assert (r.sent, r.failed) == (2, 0)
        ((sender, to, data),) = box.mails  # both events, one e-mail
        assert sender == "pj@x.cn" and to == ["chief@qiaoxi.example.cn"]
        assert "Subject:" in data and data.count("新差评") >= 2
        assert PHONE not in data


async def test_an_overdue_case_is_announced_once_per_step(store: Store) -> None:
    with robot_server(Robot("wecom")) as wecom:
        await subscribe(store, QIAODONG, "wecom", wecom.url, events=("overdue",))
        await bad(store, 0, "d1")
        now = now_ms()
        r = await deliver.run_once(store, config(), now)
        assert (r.enqueued, r.sent) == (1, 0)  # the bad rating: not subscribed to here

        def due(tx: Tx) -> int:
            row = tx.one("SELECT callback_due_at FROM cases")
            assert row is not None
            return int(row[0])

        late = await store.read(due) + 1
        r = await deliver.run_once(store, config(), late)
        assert (r.enqueued, r.sent) == (1, 1)
        assert "案件超期" in wecom.messages[0]["markdown"]["content"]
        assert "回访" in wecom.messages[0]["markdown"]["content"]
        r = await deliver.run_once(store, config(), late + 3_600_000)
        assert (r.enqueued, r.sent) == (0, 0)


async def test_a_warning_goes_to_its_units_subscriptions_once(store: Store) -> None:
    with robot_server(Robot("wecom")) as wecom:
        await subscribe(store, QIAODONG, "wecom", wecom.url, events=("warning",))
        payload = {"warning": "burst", "unit": QIAODONG + "/胜利路派出所", "detail": "x"}
        now = now_ms()
        args = (QIAODONG + "/胜利路派出所", "2026-W48:burst:民警:张伟", payload, now, DIGEST)
        assert await store.write(nstore.enqueue_warning, *args) is True
        assert await store.write(nstore.enqueue_warning, *args) is False
        r = await deliver.run_once(store, config(), now)
        assert r.sent == 1 and "短时集中好评" in wecom.messages[0]["markdown"]["content"]


def test_dingtalk_sign_matches_the_documented_example() -> None:
    from rating.notify.senders import dingtalk_sign, dingtalk_url

    # HMAC-SHA256 over "timestamp\nsecret", base64 (44 characters ending in =), then
    # URL-encoded: the = (and any + or /) escaped.
    sign = dingtalk_sign("this is secret", 1577808000000)
    assert sign.endswith("%3D") and "+" not in sign and "/" not in sign
    url = dingtalk_url("https://oapi.dingtalk.com/robot/send?access_token=T", "s", 1)
    assert url.startswith("https://oapi.dingtalk.com/robot/send?access_token=T&timestamp=1&sign=")


def test_a_subscription_needs_a_valid_target() -> None:
    from rating.domain_errors import Invalid

    with pytest.raises(Invalid, match="secret"):
        nstore.check_target("dingtalk", "https://oapi.dingtalk.com/robot/send?x=1", "")
    with pytest.raises(Invalid, match="e-mail"):
        nstore.check_target("email", "not an address", "")
    with pytest.raises(Invalid, match="events"):
        nstore.parse_events("bad_rating,fire")
    assert (
        nstore.mask_target("wecom", "https://q.example/send?key=abc")
        == "https://q.example/send?***"
    )

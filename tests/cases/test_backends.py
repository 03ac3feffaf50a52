"""The case units of work on both store backends (SQLite and PostgreSQL): portable SQL."""

from __future__ import annotations

import functools
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from rating.admin import auth
from rating.cases import queries, service, webhook
from rating.cases.model import Actor
from rating.settings import Settings
from rating.store import Store
from rating.store.models import RateLimits, RatingSubmission
from rating.store.postgres import PostgresStore
from rating.store.sqlite import SqliteStore
from tests.conftest import ROSTER, make_settings
from tests.store.conftest import fresh_database

LIMITS = RateLimits(device_per_hour=30, network_per_hour=3000, amend_window_ms=30 * 60_000)
DAY = 86_400_000


@pytest.fixture(params=["sqlite", "postgresql"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    if request.param == "sqlite":
        s: Store = SqliteStore(str(tmp_path / "cases.db"), LIMITS)
        await s.open()
        try:
            yield s
        finally:
            await s.close()
        return
    with fresh_database() as url:
        s = PostgresStore(url, LIMITS, pool_max=4)
        await s.open()
        try:
            yield s
        finally:
            await s.close()


def submission(token: str, level: int, **fields: object) -> RatingSubmission:
    values: dict[str, object] = {
        "token": token,
        "level": level,
        "channel": "web",
        "device_hash": "device-1",
        "network_hash": "network-1",
        "phone_enc": "sealed",
        "phone_hash": "h",
        "phone_mask": "138****5678",
        "at_ms": int(time.time() * 1000),
    }
    values.update(fields)
    return RatingSubmission(**values)  # type: ignore[arg-type]


async def test_whole_case_on_each_backend(store: Store, tmp_path: Path) -> None:
    settings: Settings = make_settings(tmp_path)
    await store.import_roster(ROSTER)
    officers = await store.list_officers()
    token = officers[0].token
    assert token is not None
    result = await store.submit_rating(submission(token, 1))
    assert result.receipt is not None

    user = await store.write(
        auth.add_user, "admin1", "admin", None, auth.hash_password("x" * 12), service.now_ms()
    )
    login = await store.write(
        functools.partial(auth.record_login, max_failures=3, lock_ms=1000, session_ms=DAY),
        "admin1",
        True,
        service.now_ms(),
    )
    assert login.ok and login.session is not None
    info = await store.read(auth.session_user, login.session, service.now_ms())
    assert info is not None and info.actor.name == "admin1"
    token_value = await store.write(auth.new_api_token, "admin1", "t", service.now_ms())
    assert await store.read(auth.token_user, token_value) == user.actor()

    actor: Actor = user.actor()
    (case,) = await service.list_cases(store, actor)
    assert case.state == "open" and case.phone_mask == "138****5678"
    for action, fields in (
        ("take", {}),
        ("callback", {"outcome": "reached", "note": "n"}),
        ("verify", {"verification": "partly_substantiated", "note": "n"}),
        ("rectify", {"measures": "m"}),
        ("close", {"note": "done"}),
    ):
        case = await service.transition(store, case.id, actor, action, fields)
    assert case.state == "closed" and case.rectified_at is not None
    assert await service.reveal_phone(store, case.id, actor) == "sealed"
    assert await service.rate_fix(store, result.receipt, "satisfied")
    progress = await service.progress(store, result.receipt)
    assert progress is not None and progress.fix_rating == "satisfied"
    entries = await service.case_audit(store, case.id)
    assert [e.action for e in entries] == [
        "open", "take", "callback", "verify", "rectify", "close", "reveal_phone", "fix_rating",
    ]  # fmt: skip

    assert await service.overdue(store) == []
    summary = await service.unit_summary(store, officers[0].unit_path.split("/")[0])
    assert summary["closed"] == 1 and summary["overdue"] == 0
    assert await service.add_override(store, "2099-01-05", "holiday", "n") == 0
    assert await service.publish_year(store, 2099, "n") == 0
    overrides, years = await service.calendar_rows(store)
    assert overrides == [("2099-01-05", "holiday", "n")] and years == [2099]

    purged = await service.run_purge(store, settings, now=service.now_ms() + 400 * DAY)
    assert purged.phones == 1 and purged.devices == 1

    # A second bad rating: the webhook outbox query and its bookkeeping.
    await store.submit_rating(submission(officers[2].token or "", 2, device_hash="device-2"))
    due = await store.write(webhook.due_deliveries, service.now_ms())
    assert [p.payload["badge_no"] for p in due] == ["100001", "100003"]
    # Claimed: another instance polling now gets nothing.
    assert await store.write(webhook.due_deliveries, service.now_ms()) == []
    await store.write(webhook.mark, due[0].case_id, False, 1, service.now_ms(), 3, 1000)
    await store.write(webhook.mark, due[1].case_id, True, 1, service.now_ms(), 3, 1000)
    assert await store.write(webhook.due_deliveries, service.now_ms()) == []
    assert await store.read(queries.officer_ratings, officers[0].id, service.now_ms())

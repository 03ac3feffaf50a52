"""Spot-checks for the web pages, the CLI and the background job: each call one
transaction on the store."""

from __future__ import annotations

from datetime import date, timedelta

from rating.cases.model import Actor
from rating.clock import now_ms
from rating.settings import Settings
from rating.spotcheck import store as logic
from rating.spotcheck.model import SampleResult, Task
from rating.spotcheck.sample import sampling_key
from rating.store import Store


async def sample(
    store: Store, settings: Settings, day: date, now: int | None = None
) -> SampleResult:
    """Sample `day` (idempotent: a day sampled before returns its tasks, adds none)."""
    key = sampling_key(settings.resolved_secret())
    at = now_ms() if now is None else now
    return await store.write(
        logic.sample_day,
        day,
        key,
        settings.spotcheck_share,
        settings.spotcheck_min_per_unit,
        at,
    )


async def sample_yesterday(store: Store, settings: Settings, now: int) -> SampleResult | None:
    """The daily job: sample the day before `now` (Asia/Shanghai) once it is over."""
    if settings.spotcheck_share <= 0 and settings.spotcheck_min_per_unit <= 0:
        return None
    return await sample(store, settings, logic.local_day(now) - timedelta(days=1), now)


async def tasks(store: Store, actor: Actor, status: str = "open") -> list[Task]:
    return await store.read(logic.list_tasks, actor, status)


async def task(store: Store, task_id: int, actor: Actor) -> Task:
    return await store.read(logic.get_task, task_id, actor)


async def claim(store: Store, task_id: int, actor: Actor) -> None:
    await store.write(logic.claim, task_id, actor, now_ms())


async def reveal_phone(store: Store, task_id: int, actor: Actor) -> str | None:
    return await store.write(logic.reveal_phone, task_id, actor, now_ms())


async def record(
    store: Store, task_id: int, actor: Actor, outcome: str, reason: str, note: str
) -> None:
    await store.write(logic.record, task_id, actor, outcome, reason, note, now_ms())

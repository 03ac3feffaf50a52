"""Named async operations on notifications (the CLI and the admin page call these)."""

from __future__ import annotations

import asyncio
from typing import Any

from rating.cases.model import Actor
from rating.clock import now_ms
from rating.notify import deliver
from rating.notify import store as nstore
from rating.store import Store


def _fields(
    target: str, secret: str, events: str, label: str
) -> tuple[str, str, tuple[str, ...], str]:
    """A subscription's fields as the store takes them: trimmed, the events parsed."""
    return target.strip(), secret.strip(), nstore.parse_events(events), label.strip()


async def add_subscription(
    store: Store,
    unit_ref: str | None,
    sender: str,
    target: str,
    secret: str,
    events: str,
    label: str = "",
    scope: str | None = None,
    actor: Actor | None = None,
) -> int:
    return await store.write(
        nstore.add_subscription, unit_ref, sender, *_fields(target, secret, events, label),
        now_ms(), scope, actor,
    )  # fmt: skip


async def update_subscription(
    store: Store, sub_id: int, unit_ref: str | None, target: str, secret: str, events: str,
    label: str, scope: str | None, actor: Actor,
) -> nstore.Subscription:  # fmt: skip
    return await store.write(
        nstore.update_subscription, sub_id, unit_ref, *_fields(target, secret, events, label),
        now_ms(), scope, actor,
    )  # fmt: skip


async def set_disabled(
    store: Store, sub_id: int, disabled: bool, scope: str | None, actor: Actor
) -> bool:
    return await store.write(nstore.set_disabled, sub_id, disabled, now_ms(), scope, actor)


async def send_test(
    store: Store, cfg: deliver.Config, sub_id: int, scope: str | None, actor: Actor
) -> tuple[bool, str]:
    """Send a test message to one subscription's target now (outside the outbox: nothing
    is retried), and audit who did it and how it went."""
    found = await store.read(nstore.subscription_target, sub_id, scope)
    now = now_ms()
    ok, error = await asyncio.to_thread(deliver.send_test, found, cfg, now)
    await store.write(nstore.audit_test, sub_id, ok, error, now, actor)
    return ok, error


async def remove_subscription(store: Store, sub_id: int) -> bool:
    return await store.write(nstore.remove_subscription, sub_id)


async def list_subscriptions(store: Store, scope: str | None = None) -> list[nstore.Subscription]:
    return await store.read(nstore.list_subscriptions, scope)


async def dead_letters(store: Store, scope: str | None = None) -> list[nstore.DeadLetter]:
    return await store.read(nstore.dead_letters, scope)


async def outbox(store: Store, scope: str | None = None) -> list[nstore.DeadLetter]:
    return await store.read(nstore.outbox, scope)


async def retry_dead(
    store: Store, delivery_id: int | None, scope: str | None = None, actor: Actor | None = None
) -> int:
    return await store.write(nstore.retry_dead, delivery_id, now_ms(), scope, actor)


async def enqueue_warning(
    store: Store, unit_path: str | None, key: str, payload: dict[str, Any], digest_ms: int
) -> bool:
    return await store.write(nstore.enqueue_warning, unit_path, key, payload, now_ms(), digest_ms)

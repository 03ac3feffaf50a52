"""Named async operations on notifications (the CLI and the admin page call these)."""

from __future__ import annotations

from typing import Any

from rating.cases.model import Actor
from rating.clock import now_ms
from rating.notify import store as nstore
from rating.store import Store


async def add_subscription(
    store: Store,
    unit_ref: str | None,
    sender: str,
    target: str,
    secret: str,
    events: str,
    label: str = "",
) -> int:
    kinds = nstore.parse_events(events)
    return await store.write(
        nstore.add_subscription, unit_ref, sender, target.strip(), secret.strip(), kinds,
        label.strip(), now_ms(),
    )  # fmt: skip


async def remove_subscription(store: Store, sub_id: int) -> bool:
    return await store.write(nstore.remove_subscription, sub_id)


async def list_subscriptions(store: Store, scope: str | None = None) -> list[nstore.Subscription]:
    return await store.read(nstore.list_subscriptions, scope)


async def dead_letters(store: Store, scope: str | None = None) -> list[nstore.DeadLetter]:
    return await store.read(nstore.dead_letters, scope)


async def retry_dead(
    store: Store, delivery_id: int | None, scope: str | None = None, actor: Actor | None = None
) -> int:
    return await store.write(nstore.retry_dead, delivery_id, now_ms(), scope, actor)


async def enqueue_warning(
    store: Store, unit_path: str | None, key: str, payload: dict[str, Any], digest_ms: int
) -> bool:
    return await store.write(nstore.enqueue_warning, unit_path, key, payload, now_ms(), digest_ms)

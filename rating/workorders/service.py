"""Named async operations on imported work orders over any store (views and the CLI call
these; the units of work they run live in rating.workorders.store).

An import itself runs in a worker process of its own (rating.workorders.worker), which
calls `store.import_parsed` / `import_streamed`, already named async functions.
"""

from __future__ import annotations

from typing import Any

from rating.cases.model import Actor
from rating.clock import now_ms
from rating.store import Store
from rating.workorders import loop as wol
from rating.workorders import store as wos


async def list_imports(store: Store, limit: int = 20) -> list[wos.ImportRecord]:
    """The import log, newest first."""
    return await store.read(wos.list_imports, limit)


async def import_rejects(store: Store, import_id: int) -> tuple[str, str] | None:
    """(file name, rejects CSV text) of an import that skipped bad rows; None if none."""
    return await store.read(wos.import_rejects, import_id)


async def add_alias(store: Store, alias: str, unit_ref: str) -> tuple[str, int]:
    """Point a hotline's unit name at a unit; (unit path, work orders re-matched).
    Raises store.AliasError for an unknown unit."""
    return await store.write(wos.add_alias, alias, unit_ref, now_ms())


async def remove_alias(store: Store, alias: str) -> bool:
    return await store.write(wos.remove_alias, alias)


async def list_aliases(store: Store) -> list[tuple[str, str, str]]:
    """(alias, unit code, unit path), by alias."""
    return await store.read(wos.list_aliases)


# ---------------------------------------------------------------- the case loop


async def take_in(
    store: Store, ids: list[int], actor: Actor, closed_ok: bool = False
) -> list[wol.Taken]:
    """Take work orders into the case loop by hand, all or none."""
    return await store.write(wol.take_in, ids, actor, now_ms(), store.limits.deadlines, closed_ok)


async def apply_rules(store: Store, import_id: int | None = None) -> int:
    """Take in every open order not yet in the loop that a rule matches (of one import,
    when given); how many were taken in."""
    return await wol.apply_rules(store, import_id)


async def list_rules(store: Store) -> list[wol.Rule]:
    return await store.read(wol.list_rules)


async def add_rule(
    store: Store, channel: str, order_type: str, category: str, actor: Actor | None = None
) -> tuple[wol.Rule, bool]:
    """Add a take-in rule ('' = any type / category); `actor` None: the command line."""
    return await store.write(wol.add_rule, channel, order_type, category, actor, now_ms())


async def remove_rule(store: Store, rule_id: int, actor: Actor | None = None) -> bool:
    return await store.write(wol.remove_rule, rule_id, actor, now_ms())


async def list_orders(store: Store, actor: Actor, **filters: Any) -> list[wol.OrderView]:
    return await store.read(lambda tx: wol.list_orders(tx, actor, **filters))


async def order_by_id(store: Store, order_id: int) -> wol.OrderView | None:
    return await store.read(wol.order_by_id, order_id)

"""Named async operations on imported work orders over any store (views and the CLI call
these; the units of work they run live in rating.workorders.store).

An import itself runs in a worker process of its own (rating.workorders.worker), which
calls `store.import_parsed` / `import_streamed`, already named async functions.
"""

from __future__ import annotations

from rating.clock import now_ms
from rating.store import Store
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

"""Named async operations on service volumes over any store (the CLI calls these; the
units of work live in rating.services.store)."""

from __future__ import annotations

from rating.clock import now_ms
from rating.services import store as sstore
from rating.services.parse import RowError, ServiceFile
from rating.store import Store
from rating.store.tx import RollBack


async def preview_errors(store: Store, parsed: ServiceFile) -> list[RowError]:
    """The rows an import would refuse (unknown units among them), without writing."""
    return await store.read(sstore.preview_errors, parsed)


async def import_services(
    store: Store, parsed: ServiceFile, skip_bad: bool
) -> sstore.ServiceImport:
    """Import the file; with errors and no `skip_bad` nothing is stored (import_id None)."""
    try:
        return await store.write(sstore.import_services, parsed, now_ms(), skip_bad)
    except RollBack as undone:
        result: sstore.ServiceImport = undone.result
        return result

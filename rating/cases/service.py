"""Named async operations on cases over any store (views and the CLI call these)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rating.cases import audit, deadlines, logic, loop, purge, queries
from rating.cases.model import Actor, AuditEntry, CaseView, OfficerRating, Progress
from rating.clock import now_ms
from rating.settings import Settings
from rating.store import Store


async def get_case(store: Store, case_id: int, actor: Actor | None) -> CaseView:
    return await store.read(queries.get_case, case_id, actor, now_ms())


async def list_cases(store: Store, actor: Actor | None, **filters: Any) -> list[CaseView]:
    return await store.read(lambda tx: queries.list_cases(tx, actor, now_ms(), **filters))


async def case_audit(store: Store, case_id: int) -> list[AuditEntry]:
    return await store.read(audit.case_audit, case_id)


async def transition(
    store: Store, case_id: int, actor: Actor, action: str, fields: dict[str, str]
) -> CaseView:
    return await store.write(
        logic.transition, case_id, actor, action, fields, now_ms(), store.limits.deadlines
    )


async def source_cases(store: Store, source: str, ids: list[int]) -> dict[int, tuple[int, str]]:
    return await store.read(queries.source_cases, source, ids)


async def categories(store: Store) -> list[str]:
    """The categories a case may be accepted under (rating/cases/loop.known_categories)."""
    return sorted(await store.read(loop.known_categories))


async def dispatch_many(
    store: Store, ids: Sequence[int], unit: str, actor: Actor, note: str = ""
) -> list[CaseView]:
    """一键派发 of many cases to the unit with code `unit`: all or none."""
    fields = {"unit": unit, "note": note}
    return await store.write(
        logic.dispatch_many, list(ids), actor, fields, now_ms(), store.limits.deadlines
    )


async def reveal_phone(store: Store, case_id: int, actor: Actor) -> str | None:
    return await store.write(logic.reveal_phone, case_id, actor, now_ms())


async def progress(store: Store, receipt: str) -> Progress | None:
    return await store.read(queries.progress_by_receipt, receipt)


async def rate_fix(store: Store, receipt: str, answer: str) -> bool:
    return await store.write(logic.rate_fix, receipt, answer, now_ms())


async def overdue(store: Store) -> list[CaseView]:
    return await store.read(queries.overdue_cases, now_ms())


async def recompute(store: Store) -> int:
    return await store.write(deadlines.recompute_provisional, now_ms(), store.limits.deadlines)


async def add_override(store: Store, day: str, kind: str, note: str) -> int:
    return await store.write(
        deadlines.add_override, day, kind, note, now_ms(), store.limits.deadlines
    )


async def publish_year(store: Store, year: int, note: str) -> int:
    return await store.write(deadlines.publish_year, year, note, now_ms(), store.limits.deadlines)


async def calendar_rows(store: Store) -> tuple[list[tuple[str, str, str]], list[int]]:
    return await store.read(deadlines.calendar_rows)


async def run_purge(store: Store, settings: Settings, now: int | None = None) -> purge.PurgeResult:
    """Purge in chunks (one short write transaction each), then audit the totals."""
    at = now_ms() if now is None else now
    window = max(settings.device_data_hours * purge.HOUR_MS, settings.amend_window_minutes * 60_000)
    window = max(window, purge.HOUR_MS)  # the per-device rate limit looks back one hour
    phones = devices = 0
    cutoff = purge.phone_cutoff(at, settings.phone_retention_days)
    since = await store.read(purge.last_phone_cutoff)
    while True:
        n = await store.write(purge.purge_phones, cutoff, since)
        phones += n
        if n < purge.CHUNK:
            break
    while True:
        n = await store.write(purge.purge_devices, at, window)
        devices += n
        if n < purge.CHUNK:
            break
    workorder_phones = 0
    while True:
        n = await store.write(purge.purge_workorder_phones, cutoff)
        workorder_phones += n
        if n < purge.CHUNK:
            break
    sessions = await store.write(purge.purge_sessions, at)
    result = purge.PurgeResult(phones, devices, sessions, workorder_phones)
    await store.write(purge.record, at, result, cutoff)
    # Letters to the chief's mailbox: phones and photos (issue 18), audited after the rest.
    from rating.mailbox.service import purge_letters

    await purge_letters(store, cutoff, at)
    # Citizen supervisors: report photos and ended terms' phones (issue 19).
    from rating.supervisors.service import purge as purge_supervisors

    await purge_supervisors(store, cutoff, at)
    return result


async def officer_ratings(store: Store, officer_id: int) -> list[OfficerRating]:
    return await store.read(queries.officer_ratings, officer_id, now_ms())


async def unit_summary(store: Store, unit_path: str) -> dict[str, int]:
    return await store.read(queries.unit_summary, unit_path, now_ms())


async def case_counts(store: Store) -> tuple[dict[str, int], int, int]:
    """Cases by state, how many are overdue now, and how many were ever opened (/metrics)."""
    return await store.read(queries.case_counts, now_ms())

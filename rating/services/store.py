"""Units of work for service volumes (portable SQL, shared by SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rating.services.parse import RowError, ServiceFile
from rating.store.tx import RollBack, Tx
from rating.workorders.store import UnitMatcher


@dataclass
class ServiceImport:
    import_id: int | None = None
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)  # the file's and unmatched units


def _match(tx: Tx, parsed: ServiceFile) -> tuple[dict[tuple[int, int, str], int], list[RowError]]:
    """(unit id, day, system) → services for the rows whose unit is known, and an error
    for every row whose unit is unknown or named twice for one day and system."""
    matcher = UnitMatcher(tx)
    seen: dict[tuple[int, int, str], int] = {}
    first: dict[tuple[int, int, str], int] = {}
    errors: list[RowError] = []
    for row in parsed.rows:
        hit = matcher.match(row.unit)
        column = parsed.columns["unit"]
        if isinstance(hit, str):
            errors.append(RowError(row.line, column, f"{row.unit}: {hit}"))
            continue
        key = (hit, row.day_ms, row.system)
        if key in first:
            # Two spellings (a code and a name) of one unit on one day: which is right?
            why = f"{row.unit} is the unit of line {first[key]}, on the same date and system"
            errors.append(RowError(row.line, column, why))
            continue
        first[key] = row.line
        seen[key] = row.services
    return seen, errors


def preview_errors(tx: Tx, parsed: ServiceFile) -> list[RowError]:
    """Every error an import of `parsed` would report (read-only), by line."""
    return sorted([*parsed.errors, *_match(tx, parsed)[1]], key=lambda e: e.line)


def import_services(tx: Tx, parsed: ServiceFile, now: int, skip_bad: bool) -> ServiceImport:
    """Store the file's rows (upsert by unit, day and system). Unknown units are row errors;
    with any error and not `skip_bad`, nothing is stored (the result still lists them)."""
    seen, unmatched = _match(tx, parsed)
    result = ServiceImport(errors=sorted([*parsed.errors, *unmatched], key=lambda e: e.line))
    if result.errors and not skip_bad:
        raise RollBack(result)
    import_id = tx.insert(
        "INSERT INTO service_imports (file_name, file_sha256, rows_total, rows_new, "
        "rows_updated, rows_unchanged, imported_at) VALUES (?, ?, ?, 0, 0, 0, ?) RETURNING id",
        (parsed.path.name, parsed.sha256, len(parsed.rows) + parsed.bad_lines, now),
    )
    for (unit_id, day, system), services in seen.items():
        old = tx.one(
            "SELECT services FROM service_volumes WHERE unit_id = ? AND day = ? AND system = ?",
            (unit_id, day, system),
        )
        if old is None:
            result.new += 1
            tx.run(
                "INSERT INTO service_volumes (unit_id, day, system, services, import_id, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                (unit_id, day, system, services, import_id, now),
            )
        elif int(old[0]) == services:
            result.unchanged += 1
        else:
            result.updated += 1
            tx.run(
                "UPDATE service_volumes SET services = ?, import_id = ?, updated_at = ? "
                "WHERE unit_id = ? AND day = ? AND system = ?",
                (services, import_id, now, unit_id, day, system),
            )
    tx.run(
        "UPDATE service_imports SET rows_new = ?, rows_updated = ?, rows_unchanged = ? "
        "WHERE id = ?",
        (result.new, result.updated, result.unchanged, import_id),
    )
    result.import_id = import_id
    return result


def service_volumes(tx: Tx, start_ms: int, end_ms: int) -> list[tuple[Any, ...]]:
    """(unit_id, day, services) summed over systems, for days in [start_ms, end_ms)."""
    return tx.all(
        "SELECT unit_id, day, SUM(services) FROM service_volumes WHERE day >= ? AND day < ? "
        "GROUP BY unit_id, day ORDER BY unit_id, day",
        (start_ms, end_ms),
    )

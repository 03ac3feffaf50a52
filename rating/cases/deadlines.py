"""Deadlines of cases: the working-day counts, the bureau's calendar, recomputation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rating.cases.audit import audit
from rating.cases.calendar import WorkCalendar, calendar_from_rows
from rating.cases.model import Deadlines

if TYPE_CHECKING:
    from rating.store.tx import Tx


def load_calendar(tx: Tx) -> WorkCalendar:
    overrides = [(r[0], r[1]) for r in tx.all("SELECT cal_date, kind FROM calendar_overrides")]
    years = [int(r[0]) for r in tx.all("SELECT cal_year FROM calendar_years")]
    return calendar_from_rows(overrides, years)


def recompute_provisional(tx: Tx, now: int, counts: Deadlines) -> int:
    """Recompute provisional deadlines with the current calendar and the working-day
    `counts` of the settings; the number changed."""
    cal = load_calendar(tx)
    rows = tx.all(
        "SELECT id, opened_at, callback_due_at, callback_due_provisional, rectify_started_at, "
        "rectify_due_at, rectify_due_provisional, reopen_count, updated_at, state, "
        "callback_at, callback_outcome, verified_at, step_due_at, step_due_provisional "
        "FROM cases WHERE callback_due_provisional = 1 OR rectify_due_provisional = 1 "
        "OR step_due_provisional = 1"
    )
    changed = 0
    for row in rows:
        case_id = int(row[0])
        updates: dict[str, Any] = {}
        if row[3]:
            # A re-opened case counts its callback from the re-opening (its last update
            # before any later action); the first opening otherwise.
            start = int(row[1]) if not row[7] else _reopened_at(tx, case_id, int(row[1]))
            due, prov = cal.due_at(start, counts.callback_workdays)
            updates["callback_due_at"], updates["callback_due_provisional"] = due, int(prov)
        if row[6] and row[4] is not None:
            due, prov = cal.due_at(int(row[4]), counts.rectify_workdays)
            updates["rectify_due_at"], updates["rectify_due_provisional"] = due, int(prov)
        step = _step_start(counts, row[9], row[10], row[11], row[12])
        if row[14] and step is not None:
            due, prov = cal.due_at(*step)
            updates["step_due_at"], updates["step_due_provisional"] = due, int(prov)
        old = {
            "callback_due_at": row[2],
            "callback_due_provisional": row[3],
            "rectify_due_at": row[5],
            "rectify_due_provisional": row[6],
            "step_due_at": row[13],
            "step_due_provisional": row[14],
        }
        diff = {k: v for k, v in updates.items() if old[k] != v}
        if not diff:
            continue
        sets = ", ".join(f"{k} = ?" for k in diff)
        tx.run(f"UPDATE cases SET {sets} WHERE id = ?", (*diff.values(), case_id))
        note = "; ".join(f"{k}: {old[k]} -> {v}" for k, v in diff.items())
        audit(tx, now, None, "deadline", case_id=case_id, note=note)
        changed += 1
    return changed


def _step_start(
    counts: Deadlines, state: str, callback_at: Any, outcome: str | None, verified_at: Any
) -> tuple[int, int] | None:
    """(start moment, working days) of the step clock of a case in `state`."""
    if state == "called_back" and callback_at is not None:
        days = counts.retry_workdays if outcome == "unreachable" else None
        return int(callback_at), days or counts.verify_workdays
    if state == "verified" and verified_at is not None:
        return int(verified_at), counts.act_workdays
    return None


def _reopened_at(tx: Tx, case_id: int, default: int) -> int:
    row = tx.one(
        "SELECT MAX(at) FROM audit_log WHERE case_id = ? AND action = 'reopen'", (case_id,)
    )
    return int(row[0]) if row and row[0] is not None else default


def add_override(tx: Tx, day: str, kind: str, note: str, now: int, counts: Deadlines) -> int:
    """Add or replace a calendar override, then recompute provisional deadlines."""
    tx.run(
        "INSERT INTO calendar_overrides (cal_date, kind, note, created_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (cal_date) DO UPDATE SET kind = excluded.kind, note = excluded.note",
        (day, kind, note, now),
    )
    audit(tx, now, None, "calendar", note=f"{day} {kind} {note}".strip())
    return recompute_provisional(tx, now, counts)


def publish_year(tx: Tx, year: int, note: str, now: int, counts: Deadlines) -> int:
    """Declare the bureau has entered `year`'s whole schedule; recompute deadlines."""
    tx.run(
        "INSERT INTO calendar_years (cal_year, note, created_at) VALUES (?, ?, ?) "
        "ON CONFLICT (cal_year) DO NOTHING",
        (year, note, now),
    )
    audit(tx, now, None, "calendar", note=f"year {year} published {note}".strip())
    return recompute_provisional(tx, now, counts)


def calendar_rows(tx: Tx) -> tuple[list[tuple[str, str, str]], list[int]]:
    overrides = [
        (r[0], r[1], r[2])
        for r in tx.all("SELECT cal_date, kind, note FROM calendar_overrides ORDER BY cal_date")
    ]
    years = [int(r[0]) for r in tx.all("SELECT cal_year FROM calendar_years ORDER BY cal_year")]
    return overrides, years

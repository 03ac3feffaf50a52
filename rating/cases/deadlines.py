"""Deadlines of cases: the working-day counts, the bureau's calendar, recomputation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rating.cases.audit import audit
from rating.cases.calendar import WorkCalendar, calendar_from_rows
from rating.cases.model import CallbackOutcome, CaseState, Deadlines
from rating.store.tx import MadeFromRows, named, select_list

if TYPE_CHECKING:
    from rating.store.tx import Tx


def _calendar(overrides: list[tuple[Any, ...]], years: list[tuple[Any, ...]]) -> WorkCalendar:
    return calendar_from_rows(((r[0], r[1]) for r in overrides), (int(r[0]) for r in years))


# The same rows make the same calendar, which is then not parsed again (every letter's
# case asks for it twice).
load_calendar: MadeFromRows[WorkCalendar] = MadeFromRows(
    _calendar,
    "SELECT cal_date, kind FROM calendar_overrides",
    "SELECT cal_year FROM calendar_years",
)


# The columns of a case's clocks, read by name.
_CLOCK_COLUMNS = {
    name: name
    for name in (
        "id", "opened_at", "callback_due_at", "callback_due_provisional",
        "rectify_started_at", "rectify_due_at", "rectify_due_provisional", "reopen_count",
        "state", "callback_at", "callback_outcome", "verified_at", "step_due_at",
        "step_due_provisional", "replied_at", "rectified_at",
    )
}  # fmt: skip


def recompute_provisional(tx: Tx, now: int, counts: Deadlines) -> int:
    """Recompute provisional deadlines with the current calendar and the working-day
    `counts` of the settings; the number changed."""
    cal = load_calendar(tx)
    rows = tx.all(
        f"SELECT {select_list(_CLOCK_COLUMNS)} FROM cases WHERE callback_due_provisional = 1 "
        "OR rectify_due_provisional = 1 OR step_due_provisional = 1"
    )
    changed = 0
    for row in rows:
        c = named(_CLOCK_COLUMNS, row)
        case_id = int(c["id"])
        updates: dict[str, Any] = {}
        if c["callback_due_provisional"]:
            # A re-opened case counts its callback from the re-opening (its last update
            # before any later action); the first opening otherwise.
            opened = int(c["opened_at"])
            start = opened if not c["reopen_count"] else _reopened_at(tx, case_id, opened)
            due, prov = cal.due_at(start, counts.callback_workdays)
            updates["callback_due_at"], updates["callback_due_provisional"] = due, int(prov)
        if c["rectify_due_provisional"] and c["rectify_started_at"] is not None:
            due, prov = cal.due_at(int(c["rectify_started_at"]), counts.rectify_workdays)
            updates["rectify_due_at"], updates["rectify_due_provisional"] = due, int(prov)
        step = _step_start(
            counts, c["state"], c["callback_at"], c["callback_outcome"], c["verified_at"]
        )
        if step is None:
            step = _loop_step_start(counts, c)
        if c["step_due_provisional"] and step is not None:
            due, prov = cal.due_at(*step)
            updates["step_due_at"], updates["step_due_provisional"] = due, int(prov)
        old = {k: c[k] for k in updates}
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
    if state == CaseState.CALLED_BACK and callback_at is not None:
        days = counts.retry_workdays if outcome == CallbackOutcome.UNREACHABLE else None
        return int(callback_at), days or counts.verify_workdays
    if state == CaseState.VERIFIED and verified_at is not None:
        return int(verified_at), counts.act_workdays
    return None


def _loop_step_start(counts: Deadlines, c: dict[str, Any]) -> tuple[int, int] | None:
    """(start, working days) of the loop's working-day steps (rating/cases/loop.py): the
    callback after the unit's reply, the closing after the rectification. Acceptance and
    dispatch are capped by the SLA due time and keep their first count."""
    if c["state"] == CaseState.REPLIED and c["replied_at"] is not None:
        return int(c["replied_at"]), counts.callback_workdays
    if c["state"] == CaseState.RECTIFIED and c["rectified_at"] is not None:
        return int(c["rectified_at"]), counts.act_workdays
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

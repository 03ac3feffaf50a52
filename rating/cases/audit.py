"""The audit log: who did what, when, from which state to which, with what note."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rating.cases.history import snapshot_case
from rating.cases.model import Actor, AuditEntry

if TYPE_CHECKING:
    from rating.store.tx import Tx


def audit(
    tx: Tx,
    now: int,
    actor: Actor | None,
    action: str,
    *,
    case_id: int | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    note: str = "",
    items: int | None = None,
    actor_name: str = "系统",
) -> None:
    tx.run(
        "INSERT INTO audit_log (at, actor_id, actor_name, action, case_id, from_state, "
        "to_state, note, items) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            now,
            actor.id if actor else None,
            actor.name if actor else actor_name,
            action,
            case_id,
            from_state,
            to_state,
            note,
            items,
        ),
    )
    # Every change of a case writes an entry: keep the case as it now stands, so a report
    # for a past moment reads it as it stood then. Looking at a phone changes nothing.
    if case_id is not None and action != "reveal_phone":
        snapshot_case(tx, case_id, now)


def case_audit(tx: Tx, case_id: int) -> list[AuditEntry]:
    rows = tx.all(
        "SELECT at, actor_name, action, from_state, to_state, note, items FROM audit_log "
        "WHERE case_id = ? ORDER BY at, id",
        (case_id,),
    )
    return [AuditEntry(int(r[0]), r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows]

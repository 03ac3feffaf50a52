"""Reading cases: one case (within the actor's scope), filtered lists, overdue, pages."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from rating.cases.model import (
    RATING_CATEGORY,
    STATES,
    SUBSTANTIATED,
    Actor,
    CaseState,
    CaseView,
    OfficerRating,
    Progress,
)
from rating.domain_errors import NotFound
from rating.store.receipts import named_by_receipt
from rating.store.tx import named, select_list
from rating.subtree import SUBTREE_SQL, subtree_params

if TYPE_CHECKING:
    from rating.store.tx import Tx

# Each column of a case row, named as the CaseView field it fills (rows are read by name).
_CASE_COLUMNS = {
    "id": "c.id",
    "state": "c.state",
    # A case of another source has no rating (nor officer): the letter (or the
    # supervisor's report) stands in.
    "receipt": "COALESCE(r.receipt, l.receipt, '')",
    "level": "COALESCE(r.level, 0)",
    "reasons": "r.reasons",
    "comment": "COALESCE(r.comment, l.body, '【' || sr.place || '】' || sr.body, w.content)",
    "phone_mask": "COALESCE(r.phone_mask, l.phone_mask, w.phone_mask)",
    "has_phone": "(r.phone_enc IS NOT NULL OR l.phone_enc IS NOT NULL OR w.phone_enc IS NOT NULL)",
    "officer_name": "COALESCE(o.name, '')",
    "badge_no": "COALESCE(o.badge_no, '')",
    "officer_id": "o.id",
    "unit_path": "COALESCE(u.path, d.path, '')",
    "unit_code": "COALESCE(u.code, d.code, '')",
    "handler_id": "c.handler_id",
    "handler_name": "h.name",
    "opened_at": "c.opened_at",
    "callback_due_at": "c.callback_due_at",
    "callback_due_provisional": "c.callback_due_provisional",
    "callback_at": "c.callback_at",
    "callback_outcome": "c.callback_outcome",
    "verified_at": "c.verified_at",
    "verification": "c.verification",
    "rectify_measures": "c.rectify_measures",
    "rectify_due_at": "c.rectify_due_at",
    "rectify_due_provisional": "c.rectify_due_provisional",
    "rectified_at": "c.rectified_at",
    "closed_at": "c.closed_at",
    "fix_rating": "c.fix_rating",
    "reopen_count": "c.reopen_count",
    "step_due_at": "c.step_due_at",
    "step_due_provisional": "c.step_due_provisional",
    "source": "c.source",
    "source_id": "c.source_id",
    # The PostgreSQL batch path (migration 0016's function) opens rating cases without one.
    "category": f"COALESCE(c.category, CASE c.source WHEN 'rating' THEN '{RATING_CATEGORY}' END)",
    "sla_class": "c.sla_class",
    "sla_due_at": "c.sla_due_at",
    "accepted_at": "c.accepted_at",
    "dispatch_unit_path": "d.path",
    "dispatch_unit_code": "d.code",
    "dispatched_at": "c.dispatched_at",
    "dispatch_count": "c.dispatch_count",
    "reply": "c.reply",
    "replied_at": "c.replied_at",
    "returned_at": "c.returned_at",
    "return_reason": "c.return_reason",
}
_CASE_SELECT = (
    "SELECT " + select_list(_CASE_COLUMNS) + " "
    "FROM cases c LEFT JOIN ratings r ON r.id = c.rating_id "
    "LEFT JOIN officers o ON o.id = c.officer_id "
    "LEFT JOIN letters l ON c.source = 'letter' AND l.id = c.source_id "
    "LEFT JOIN supervisor_reports sr ON c.source = 'supervisor' AND sr.id = c.source_id "
    "LEFT JOIN workorders w ON c.source = 'workorder' AND w.id = c.source_id "
    "LEFT JOIN units u ON u.id = c.unit_id LEFT JOIN units d ON d.id = c.dispatch_unit_id "
    "LEFT JOIN admin_users h ON h.id = c.handler_id"
)
# The unit a case was dispatched to, as SUBTREE_SQL reads the case's own unit.
_DISPATCH_SUBTREE_SQL = SUBTREE_SQL.replace("u.path", "d.path")

# Overdue: the deadline of the step the case waits for has passed (every case that is not
# closed has one: `open` on callback_due_at, `rectifying` on rectify_due_at, every other
# state on step_due_at). Takes the moment three times: OVERDUE_PARAMS.
_OVERDUE_SQL = (
    f"((c.state = '{CaseState.OPEN}' AND c.callback_due_at < ?) "
    f"OR (c.state = '{CaseState.RECTIFYING}' AND c.rectify_due_at < ?) "
    f"OR (c.state NOT IN ('{CaseState.OPEN}', '{CaseState.RECTIFYING}', '{CaseState.CLOSED}') "
    "AND c.step_due_at < ?))"
)


def _overdue_params(now: int) -> list[int]:
    return [now, now, now]


def _case(row: tuple[Any, ...], now: int) -> CaseView:
    f = named(_CASE_COLUMNS, row)
    case = CaseView(
        **{
            **f,
            "reasons": tuple(x for x in (f["reasons"] or "").split(",") if x),
            "comment": f["comment"] or "",
            "has_phone": bool(f["has_phone"]),
            "callback_due_provisional": bool(f["callback_due_provisional"]),
            "rectify_due_provisional": bool(f["rectify_due_provisional"]),
            "step_due_provisional": bool(f["step_due_provisional"]),
            "dispatch_count": int(f["dispatch_count"] or 0),
            "overdue": None,
        }
    )
    # Overdue: the step the case waits for, when its deadline has passed undone.
    step, due = case.step, case.due_at
    overdue = step if step is not None and due is not None and int(due) < now else None
    return dataclasses.replace(case, overdue=overdue) if overdue else case


def _scope(actor: Actor | None) -> tuple[str, list[Any]]:
    """A unit's users see its cases and the cases dispatched to it (their queue)."""
    if actor is None or actor.unit_path is None:
        return "", []
    params = subtree_params(actor.unit_path)
    return f" AND ({SUBTREE_SQL} OR {_DISPATCH_SUBTREE_SQL})", params + params


def visible(case: CaseView, actor: Actor) -> bool:
    dispatched = case.dispatch_unit_path
    return actor.sees(case.unit_path) or (dispatched is not None and actor.sees(dispatched))


def get_case(tx: Tx, case_id: int, actor: Actor | None, now: int) -> CaseView:
    """The case, if `actor` may see it (NotFound otherwise: no hint that it exists)."""
    row = tx.one(_CASE_SELECT + " WHERE c.id = ?", (case_id,))
    if row is None:
        raise NotFound("case not found", "未找到该案件")
    case = _case(row, now)
    if actor is not None and not visible(case, actor):
        # As for an unknown id (and the officer and unit pages): not even that it exists.
        raise NotFound("case not found", "未找到该案件")
    return case


def list_cases(
    tx: Tx,
    actor: Actor | None,
    now: int,
    *,
    unit_path: str | None = None,
    state: str | None = None,
    overdue: bool = False,
    opened_from: int | None = None,
    opened_to: int | None = None,
    officer_id: int | None = None,
    dispatched_to: str | None = None,
    source: str | None = None,
    handler_id: int | None = None,
    unassigned: bool = False,
    limit: int = 200,
    offset: int = 0,
) -> list[CaseView]:
    where, params = _scope(actor)
    sql = _CASE_SELECT + " WHERE 1 = 1" + where
    if unit_path is not None:
        sql += " AND " + SUBTREE_SQL
        params += subtree_params(unit_path)
    if state is not None:
        sql += " AND c.state = ?"
        params.append(state)
    if overdue:
        sql += " AND " + _OVERDUE_SQL
        params += _overdue_params(now)
    if opened_from is not None:
        sql += " AND c.opened_at >= ?"
        params.append(opened_from)
    if opened_to is not None:
        sql += " AND c.opened_at < ?"
        params.append(opened_to)
    if officer_id is not None:
        sql += " AND c.officer_id = ?"
        params.append(officer_id)
    if dispatched_to is not None:  # a unit's queue: cases dispatched to it (and below)
        sql += " AND " + _DISPATCH_SUBTREE_SQL
        params += subtree_params(dispatched_to)
    if source is not None:
        sql += " AND c.source = ?"
        params.append(source)
    if handler_id is not None:  # "my cases" (the case queue)
        sql += " AND c.handler_id = ?"
        params.append(handler_id)
    if unassigned:  # "unassigned in my scope": nobody handles it and it is not done
        sql += " AND c.handler_id IS NULL AND c.state <> ?"
        params.append(str(CaseState.CLOSED))
    sql += " ORDER BY c.opened_at DESC, c.id DESC LIMIT ? OFFSET ?"
    params += [limit, offset]
    return [_case(r, now) for r in tx.all(sql, params)]


_PROGRESS_COLUMNS = {
    "state": "c.state",
    "opened_at": "c.opened_at",
    "callback_at": "c.callback_at",
    "verified_at": "c.verified_at",
    "rectified_at": "c.rectified_at",
    "closed_at": "c.closed_at",
    "verification": "c.verification",
    "fix_rating": "c.fix_rating",
    "callback_due_at": "c.callback_due_at",
    "reply": "c.reply",
    "replied_at": "c.replied_at",
    "dispatched_at": "c.dispatched_at",
}


def progress_by_receipt(tx: Tx, receipt: str) -> Progress | None:
    f = named_by_receipt(
        tx, _PROGRESS_COLUMNS, "cases c JOIN ratings r ON r.id = c.rating_id", receipt
    )
    if f is None:
        return None
    closed = f["state"] == CaseState.CLOSED
    if closed and f["callback_at"] is None and f["verified_at"] is None:
        return None  # closed only because the citizen amended the rating up
    return Progress(
        state=f["state"],
        opened_at=int(f["opened_at"]),
        callback_at=f["callback_at"],
        verified_at=f["verified_at"],
        rectified_at=f["rectified_at"],
        closed_at=f["closed_at"],
        needs_rectify=f["verification"] in SUBSTANTIATED or f["rectified_at"] is not None,
        ask_fix=closed and f["rectified_at"] is not None and f["fix_rating"] is None,
        fix_rating=f["fix_rating"],
        callback_due_at=f["callback_due_at"],
        reply=f["reply"],
        replied_at=f["replied_at"],
        dispatched_at=f["dispatched_at"],
    )


def overdue_cases(tx: Tx, now: int) -> list[CaseView]:
    rows = tx.all(
        _CASE_SELECT + " WHERE " + _OVERDUE_SQL + " ORDER BY c.callback_due_at, c.id",
        _overdue_params(now),
    )
    return [_case(r, now) for r in rows]


RECENT_DAYS = 90


def officer_ratings(tx: Tx, officer_id: int, now: int, limit: int = 50) -> list[OfficerRating]:
    """An officer's ratings of the last RECENT_DAYS days, newest first. Never the phone
    number.

    There is no per-officer index (each rating wrote a random page of one): this reads
    ratings_created backwards, checking the officer inside the index, so the cost grows
    with the bureau's ratings in the period, not the officer's. The reports cover longer
    periods."""
    rows = tx.all(
        f"SELECT {', '.join(OfficerRating._fields)} FROM ratings "
        "WHERE created_at >= ? AND officer_id = ? ORDER BY created_at DESC LIMIT ?",
        (now - RECENT_DAYS * 86_400_000, officer_id, limit),
    )
    return [OfficerRating(*r) for r in rows]


def unit_summary(tx: Tx, unit_path: str, now: int) -> dict[str, int]:
    """Cases of a unit's subtree by state, plus the overdue count."""
    rows = tx.all(
        "SELECT c.state, COUNT(*) FROM cases c JOIN units u ON u.id = c.unit_id "
        "WHERE " + SUBTREE_SQL + " GROUP BY c.state",
        subtree_params(unit_path),
    )
    out = {str(r[0]): int(r[1]) for r in rows}
    row = tx.one(
        "SELECT COUNT(*) FROM cases c JOIN units u ON u.id = c.unit_id "
        "WHERE " + SUBTREE_SQL + " AND " + _OVERDUE_SQL,
        (*subtree_params(unit_path), *_overdue_params(now)),
    )
    out["overdue"] = int(row[0]) if row else 0
    return out


def case_counts(tx: Tx, now: int) -> tuple[dict[str, int], int, int]:
    """Cases by state, how many are overdue, and how many were ever opened (for metrics)."""
    by_state = {str(state): 0 for state in STATES}
    for state, n in tx.all("SELECT state, COUNT(*) FROM cases GROUP BY state"):
        by_state[str(state)] = int(n)
    overdue = tx.one("SELECT COUNT(*) FROM cases c WHERE " + _OVERDUE_SQL, _overdue_params(now))
    return by_state, int(overdue[0]) if overdue else 0, sum(by_state.values())


def source_cases(tx: Tx, source: str, ids: list[int]) -> dict[int, tuple[int, str]]:
    """source id -> (case id, state) of the given items of `source` that have a case."""
    out: dict[int, tuple[int, str]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        if not chunk:
            continue
        rows = tx.all(
            f"SELECT source_id, id, state FROM cases WHERE source = ? "
            f"AND source_id IN ({', '.join('?' * len(chunk))})",
            (source, *chunk),
        )
        out.update({int(r[0]): (int(r[1]), str(r[2])) for r in rows})
    return out

"""Reading cases: one case (within the actor's scope), filtered lists, overdue, pages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rating.cases.model import STATES, SUBSTANTIATED, Actor, CaseView, Progress, current_step
from rating.domain_errors import NotFound
from rating.store.receipts import receipt_match
from rating.subtree import SUBTREE_SQL, subtree_params

if TYPE_CHECKING:
    from rating.store.tx import Tx

_CASE_SELECT = (
    "SELECT c.id, c.state, r.receipt, r.level, r.reasons, r.comment, r.phone_mask, "
    "r.phone_enc IS NOT NULL, o.name, o.badge_no, o.id, u.path, u.code, c.handler_id, h.name, "
    "c.opened_at, c.callback_due_at, c.callback_due_provisional, c.callback_at, "
    "c.callback_outcome, c.verified_at, c.verification, c.rectify_measures, c.rectify_due_at, "
    "c.rectify_due_provisional, c.rectified_at, c.closed_at, c.fix_rating, c.reopen_count, "
    "c.step_due_at, c.step_due_provisional "
    "FROM cases c JOIN ratings r ON r.id = c.rating_id JOIN officers o ON o.id = c.officer_id "
    "JOIN units u ON u.id = c.unit_id LEFT JOIN admin_users h ON h.id = c.handler_id"
)

# Overdue: the deadline of the step the case waits for has passed (every case that is not
# closed has one: callback, retry, verification, start of rectification or closing,
# rectification). Takes the moment three times: OVERDUE_PARAMS.
_OVERDUE_SQL = (
    "((c.state = 'open' AND c.callback_due_at < ?) "
    "OR (c.state = 'rectifying' AND c.rectify_due_at < ?) "
    "OR (c.state IN ('called_back', 'verified') AND c.step_due_at < ?))"
)


def _overdue_params(now: int) -> list[int]:
    return [now, now, now]


def _case(row: tuple[Any, ...], now: int) -> CaseView:
    state = row[1]
    due = {"open": row[16], "rectifying": row[23]}.get(state, row[29])
    step = current_step(state, row[19], row[21])
    overdue = step if step is not None and due is not None and int(due) < now else None
    return CaseView(
        id=int(row[0]),
        state=state,
        receipt=row[2],
        level=int(row[3]),
        reasons=tuple(x for x in (row[4] or "").split(",") if x),
        comment=row[5] or "",
        phone_mask=row[6],
        has_phone=bool(row[7]),
        officer_name=row[8],
        badge_no=row[9],
        officer_id=int(row[10]),
        unit_path=row[11],
        unit_code=row[12],
        handler_id=row[13],
        handler_name=row[14],
        opened_at=int(row[15]),
        callback_due_at=int(row[16]),
        callback_due_provisional=bool(row[17]),
        callback_at=row[18],
        callback_outcome=row[19],
        verified_at=row[20],
        verification=row[21],
        rectify_measures=row[22],
        rectify_due_at=row[23],
        rectify_due_provisional=bool(row[24]),
        rectified_at=row[25],
        closed_at=row[26],
        fix_rating=row[27],
        reopen_count=int(row[28]),
        overdue=overdue,
        step_due_at=row[29],
        step_due_provisional=bool(row[30]),
    )


def _scope(actor: Actor | None) -> tuple[str, list[Any]]:
    if actor is None or actor.unit_path is None:
        return "", []
    return " AND " + SUBTREE_SQL, subtree_params(actor.unit_path)


def get_case(tx: Tx, case_id: int, actor: Actor | None, now: int) -> CaseView:
    """The case, if `actor` may see it (NotFound otherwise: no hint that it exists)."""
    row = tx.one(_CASE_SELECT + " WHERE c.id = ?", (case_id,))
    if row is None:
        raise NotFound("case not found", "未找到该案件")
    case = _case(row, now)
    if actor is not None and not actor.sees(case.unit_path):
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
    sql += " ORDER BY c.opened_at DESC, c.id DESC LIMIT ? OFFSET ?"
    params += [limit, offset]
    return [_case(r, now) for r in tx.all(sql, params)]


def progress_by_receipt(tx: Tx, receipt: str) -> Progress | None:
    match, params = receipt_match(tx, receipt)
    row = tx.one(
        "SELECT c.state, c.opened_at, c.callback_at, c.verified_at, c.rectified_at, "
        "c.closed_at, c.verification, c.fix_rating, c.callback_due_at FROM cases c "
        f"JOIN ratings r ON r.id = c.rating_id WHERE {match}",
        params,
    )
    if row is None:
        return None
    if row[0] == "closed" and row[2] is None and row[3] is None:
        return None  # closed only because the citizen amended the rating up
    needs = row[6] in SUBSTANTIATED
    closed_rectified = row[0] == "closed" and row[4] is not None
    return Progress(
        state=row[0],
        opened_at=int(row[1]),
        callback_at=row[2],
        verified_at=row[3],
        rectified_at=row[4],
        closed_at=row[5],
        needs_rectify=needs or row[4] is not None,
        ask_fix=closed_rectified and row[7] is None,
        fix_rating=row[7],
        callback_due_at=row[8],
    )


def overdue_cases(tx: Tx, now: int) -> list[CaseView]:
    rows = tx.all(
        _CASE_SELECT + " WHERE " + _OVERDUE_SQL + " ORDER BY c.callback_due_at, c.id",
        _overdue_params(now),
    )
    return [_case(r, now) for r in rows]


RECENT_DAYS = 90


def officer_ratings(tx: Tx, officer_id: int, now: int, limit: int = 50) -> list[tuple[Any, ...]]:
    """An officer's ratings of the last RECENT_DAYS days, newest first: (created_at, level,
    reasons, channel, invalidated). Never the phone number.

    There is no per-officer index (each rating wrote a random page of one): this reads
    ratings_created backwards, checking the officer inside the index, so the cost grows
    with the bureau's ratings in the period, not the officer's. The reports cover longer
    periods."""
    return tx.all(
        "SELECT created_at, level, reasons, channel, invalidated FROM ratings "
        "WHERE created_at >= ? AND officer_id = ? ORDER BY created_at DESC LIMIT ?",
        (now - RECENT_DAYS * 86_400_000, officer_id, limit),
    )


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

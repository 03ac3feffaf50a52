"""Case units of work over a `Tx` (shared by every store backend, like rating/store/logic.py).

A case follows one bad rating: open -> called_back -> verified -> rectifying -> closed
(verified -> closed when the complaint did not hold), and closed -> open on re-open.
Every change of state writes an audit entry (who, when, from -> to, note) in the same
transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rating.cases.audit import audit
from rating.cases.deadlines import deadlines, load_calendar
from rating.cases.model import (
    CALLBACK_OUTCOMES,
    SUBSTANTIATED,
    VERIFICATIONS,
    Actor,
    CaseView,
)
from rating.cases.queries import get_case
from rating.errors import BadRequest, Conflict, Forbidden
from rating.store.receipts import receipt_match

if TYPE_CHECKING:
    from rating.store.logic import Tx

MAX_NOTE = 2000


# ---------------------------------------------------------------- opening


def on_rating(tx: Tx, rating_id: int, level: int, now: int) -> None:
    """Open the rating's case when it is bad (level <= 2), in the rating's transaction.

    Called for new and amended ratings. A case closed only because the rating was amended
    up is re-opened when it is amended down again; an untouched open case is closed when
    the citizen amends the rating up to satisfied.
    """
    row = tx.one(
        "SELECT id, state, callback_at, verification FROM cases WHERE rating_id = ?",
        (rating_id,),
    )
    if level > 2:
        if row is not None and row[1] == "open" and row[2] is None:
            tx.run(
                "UPDATE cases SET state = 'closed', closed_at = ?, updated_at = ? WHERE id = ?",
                (now, now, row[0]),
            )
            audit(
                tx, now, None, "auto_close", case_id=int(row[0]), from_state="open",
                to_state="closed", note=f"群众将评价改为 {level} 级",
            )  # fmt: skip
        return
    if row is not None:
        if row[1] == "closed" and row[2] is None and row[3] is None:
            _reopen(tx, int(row[0]), now, None, f"群众将评价改为 {level} 级")
        return
    rating = tx.one("SELECT unit_id, officer_id FROM ratings WHERE id = ?", (rating_id,))
    if rating is None:
        return
    due, provisional = load_calendar(tx).due_at(now, deadlines().callback_workdays)
    created = tx.one(
        "INSERT INTO cases (rating_id, unit_id, officer_id, state, opened_at, callback_due_at, "
        "callback_due_provisional, notify_next_at, updated_at) "
        "VALUES (?, ?, ?, 'open', ?, ?, ?, ?, ?) ON CONFLICT (rating_id) DO NOTHING RETURNING id",
        (rating_id, rating[0], rating[1], now, due, int(provisional), now, now),
    )
    if created is not None:
        audit(
            tx, now, None, "open", case_id=int(created[0]), to_state="open",
            note=f"评价 {level} 级",
        )  # fmt: skip


def _reopen(tx: Tx, case_id: int, now: int, actor: Actor | None, note: str) -> None:
    due, provisional = load_calendar(tx).due_at(now, deadlines().callback_workdays)
    tx.run(
        "UPDATE cases SET state = 'open', closed_at = NULL, rectified_at = NULL, "
        "verification = NULL, verified_at = NULL, callback_at = NULL, callback_outcome = NULL, "
        "rectify_started_at = NULL, rectify_due_at = NULL, rectify_due_provisional = 0, "
        "fix_rating = NULL, fix_rated_at = NULL, step_due_at = NULL, "
        "step_due_provisional = 0, callback_due_at = ?, "
        "callback_due_provisional = ?, reopen_count = reopen_count + 1, updated_at = ? "
        "WHERE id = ?",
        (due, int(provisional), now, case_id),
    )
    tx.run(
        "UPDATE ratings SET invalidated = NULL WHERE id = (SELECT rating_id FROM cases "
        "WHERE id = ?)",
        (case_id,),
    )
    audit(
        tx, now, actor, "reopen", case_id=case_id, from_state="closed", to_state="open",
        note=note,
    )  # fmt: skip


# ---------------------------------------------------------------- acting


def _note(fields: dict[str, str], required: bool = True) -> str:
    note = (fields.get("note") or "").strip()
    if required and not note:
        raise BadRequest("a note is required", "请填写说明")
    if len(note) > MAX_NOTE:
        raise BadRequest(f"note longer than {MAX_NOTE} characters", "说明过长")
    return note


def _choice(fields: dict[str, str], name: str, allowed: Sequence[str]) -> str:
    value = (fields.get(name) or "").strip()
    if value not in allowed:
        raise BadRequest(f"{name} must be one of {', '.join(allowed)}", "请选择有效的选项")
    return value


def transition(
    tx: Tx, case_id: int, actor: Actor, action: str, fields: dict[str, str], now: int
) -> CaseView:
    """Apply `action` to the case as `actor`; audited in the same transaction."""
    # Lock before reading the state, so two instances cannot both act on the same state.
    tx.lock(f"case:{case_id}")
    case = get_case(tx, case_id, actor, now)
    if not actor.can_act:
        raise Forbidden("read-only account", "只读账号不能办理案件")
    state = case.state
    if action == "take":
        if state == "closed":
            raise Conflict("the case is closed", "案件已办结")
        tx.run(
            "UPDATE cases SET handler_id = ?, updated_at = ? WHERE id = ?",
            (actor.id, now, case_id),
        )
        audit(tx, now, actor, "take", case_id=case_id, from_state=state, to_state=state,
              note=_note(fields, required=False))  # fmt: skip
    elif action == "callback":
        _expect(state, ("open", "called_back"))
        outcome = _choice(fields, "outcome", CALLBACK_OUTCOMES)
        note = _note(fields)
        # Next: retry an unreachable citizen, else verify; each on its own clock.
        days = deadlines().retry_workdays if outcome == "unreachable" else None
        due, provisional = load_calendar(tx).due_at(now, days or deadlines().verify_workdays)
        tx.run(
            "UPDATE cases SET state = 'called_back', callback_at = ?, callback_outcome = ?, "
            "step_due_at = ?, step_due_provisional = ?, "
            "handler_id = COALESCE(handler_id, ?), updated_at = ? WHERE id = ?",
            (now, outcome, due, int(provisional), actor.id, now, case_id),
        )
        audit(tx, now, actor, "callback", case_id=case_id, from_state=state,
              to_state="called_back", note=f"[{outcome}] {note}")  # fmt: skip
    elif action == "verify":
        _expect(state, ("called_back",))
        verification = _choice(fields, "verification", VERIFICATIONS)
        note = _note(fields)
        # Next: start the rectification (substantiated) or close, within act_workdays.
        due, provisional = load_calendar(tx).due_at(now, deadlines().act_workdays)
        tx.run(
            "UPDATE cases SET state = 'verified', verified_at = ?, verification = ?, "
            "step_due_at = ?, step_due_provisional = ?, updated_at = ? WHERE id = ?",
            (now, verification, due, int(provisional), now, case_id),
        )
        # 误评或恶意: the rating stops counting as a valid rating.
        tx.run(
            "UPDATE ratings SET invalidated = ? WHERE id = (SELECT rating_id FROM cases "
            "WHERE id = ?)",
            ("mistaken_malicious" if verification == "mistaken_malicious" else None, case_id),
        )
        audit(tx, now, actor, "verify", case_id=case_id, from_state=state,
              to_state="verified", note=f"[{verification}] {note}")  # fmt: skip
    elif action == "rectify":
        _expect(state, ("verified",))
        if case.verification not in SUBSTANTIATED:
            raise Conflict(
                "only a substantiated complaint is rectified", "仅属实或部分属实的案件需要整改"
            )
        measures = (fields.get("measures") or "").strip()
        if not measures:
            raise BadRequest("rectification measures are required", "请填写整改措施")
        if len(measures) > MAX_NOTE:
            raise BadRequest("measures too long", "整改措施过长")
        due, provisional = load_calendar(tx).due_at(now, deadlines().rectify_workdays)
        tx.run(
            "UPDATE cases SET state = 'rectifying', rectify_started_at = ?, "
            "rectify_measures = ?, rectify_due_at = ?, rectify_due_provisional = ?, "
            "step_due_at = NULL, step_due_provisional = 0, updated_at = ? WHERE id = ?",
            (now, measures, due, int(provisional), now, case_id),
        )
        audit(tx, now, actor, "rectify", case_id=case_id, from_state=state,
              to_state="rectifying", note=measures)  # fmt: skip
    elif action == "close":
        _expect(state, ("verified", "rectifying"))
        if state == "verified" and case.verification in SUBSTANTIATED:
            raise Conflict("a substantiated complaint must be rectified first", "属实案件须先整改")
        note = _note(fields)
        rectified = now if state == "rectifying" else None
        tx.run(
            "UPDATE cases SET state = 'closed', closed_at = ?, rectified_at = ?, "
            "step_due_at = NULL, step_due_provisional = 0, updated_at = ? WHERE id = ?",
            (now, rectified, now, case_id),
        )
        audit(tx, now, actor, "close", case_id=case_id, from_state=state,
              to_state="closed", note=note)  # fmt: skip
    elif action == "reopen":
        _expect(state, ("closed",))
        _reopen(tx, case_id, now, actor, _note(fields))
    else:
        raise BadRequest(f"unknown action {action!r}", "未知操作")
    return get_case(tx, case_id, actor, now)


def _expect(state: str, allowed: Sequence[str]) -> None:
    if state not in allowed:
        raise Conflict(f"not allowed while the case is {state}", "案件当前状态不允许此操作")


def allowed_actions(case: CaseView, actor: Actor) -> list[str]:
    """The actions the case detail page offers `actor`."""
    if not actor.can_act:
        return []
    out = []
    if case.state != "closed":
        out.append("take")
    if case.state in ("open", "called_back"):
        out.append("callback")
    if case.state == "called_back":
        out.append("verify")
    if case.state == "verified":
        out.append("rectify" if case.verification in SUBSTANTIATED else "close")
    if case.state == "rectifying":
        out.append("close")
    if case.state == "closed":
        out.append("reopen")
    return out


def reveal_phone(tx: Tx, case_id: int, actor: Actor, now: int) -> str | None:
    """The encrypted phone of the case's rating, for its handler only; audited."""
    case = get_case(tx, case_id, actor, now)
    if case.handler_id != actor.id:
        raise Forbidden(
            "only the case's handler may see the phone number", "仅案件承办人可查看完整电话"
        )
    row = tx.one(
        "SELECT r.phone_enc FROM cases c JOIN ratings r ON r.id = c.rating_id WHERE c.id = ?",
        (case_id,),
    )
    if row is None or row[0] is None:
        return None
    audit(tx, now, actor, "reveal_phone", case_id=case_id, from_state=case.state,
          to_state=case.state)  # fmt: skip
    return str(row[0])


def rate_fix(tx: Tx, receipt: str, answer: str, now: int) -> bool:
    """Store the citizen's answer to "is it fixed?"; False if there is nothing to answer."""
    if answer not in ("satisfied", "basically_satisfied", "dissatisfied"):
        raise BadRequest("unknown answer", "请选择一项")
    match, params = receipt_match(tx, receipt)
    row = tx.one(
        f"SELECT c.id FROM cases c JOIN ratings r ON r.id = c.rating_id WHERE {match} "
        "AND c.state = 'closed' AND c.rectified_at IS NOT NULL AND c.fix_rating IS NULL",
        params,
    )
    if row is None:
        return False
    tx.run(
        "UPDATE cases SET fix_rating = ?, fix_rated_at = ?, updated_at = ? WHERE id = ?",
        (answer, now, now, row[0]),
    )
    audit(tx, now, None, "fix_rating", case_id=int(row[0]), note=answer, actor_name="群众")
    return True

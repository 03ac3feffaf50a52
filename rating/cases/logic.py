"""Case units of work over a `Tx` (shared by every store backend, like rating/store/logic.py).

A bad rating's case: open -> called_back -> verified -> rectifying -> closed (verified ->
closed when the complaint did not hold), and closed -> open on re-open. Every other source
(a letter, ...) runs the whole loop of rating/cases/states.py; its steps are in
rating/cases/loop.py. Every change of state writes an audit entry (who, when, from -> to,
note) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rating.cases import loop, states
from rating.cases.audit import audit
from rating.cases.deadlines import load_calendar
from rating.cases.model import (
    CALLBACK_OUTCOMES,
    FIX_ANSWERS,
    RATING_CATEGORY,
    VERIFICATIONS,
    Actor,
    CallbackOutcome,
    CaseAction,
    CaseState,
    CaseView,
    Deadlines,
    Verification,
)
from rating.cases.queries import get_case
from rating.domain_errors import Conflict, Forbidden, Invalid
from rating.store.receipts import receipt_match
from rating.store.tx import Tx

MAX_NOTE = 2000


# ---------------------------------------------------------------- opening


def on_rating(tx: Tx, rating_id: int, level: int, now: int, counts: Deadlines) -> None:
    """Open the rating's case when it is bad (level <= 2), in the rating's transaction.

    Called for new and amended ratings. A case closed only because the rating was amended
    up is re-opened when it is amended down again; an untouched open case is closed when
    the citizen amends the rating up to satisfied.
    """
    row = tx.one(
        "SELECT id, state, callback_at, verification FROM cases WHERE rating_id = ?",
        (rating_id,),
    )
    found = None if row is None else _Found(int(row[0]), row[1], row[2], row[3])
    if level > 2:
        if found is not None and found.state == CaseState.OPEN and found.callback_at is None:
            tx.run(
                "UPDATE cases SET state = ?, closed_at = ?, updated_at = ? WHERE id = ?",
                (str(CaseState.CLOSED), now, now, found.id),
            )
            audit(
                tx, now, None, "auto_close", case_id=found.id, from_state=str(CaseState.OPEN),
                to_state=str(CaseState.CLOSED), note=f"群众将评价改为 {level} 级",
            )  # fmt: skip
        return
    if found is not None:
        untouched = found.callback_at is None and found.verification is None
        if found.state == CaseState.CLOSED and untouched:
            _reset(tx, found.id, now, counts)
            audit(
                tx, now, None, str(CaseAction.REOPEN), case_id=found.id,
                from_state=str(CaseState.CLOSED), to_state=str(CaseState.OPEN),
                note=f"群众将评价改为 {level} 级",
            )  # fmt: skip
        return
    rating = tx.one("SELECT unit_id, officer_id FROM ratings WHERE id = ?", (rating_id,))
    if rating is None:
        return
    due, provisional = load_calendar(tx).due_at(now, counts.callback_workdays)
    created = tx.one(
        "INSERT INTO cases (rating_id, unit_id, officer_id, state, opened_at, callback_due_at, "
        "callback_due_provisional, notify_next_at, updated_at, category) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (rating_id) DO NOTHING RETURNING id",
        (rating_id, rating[0], rating[1], str(CaseState.OPEN), now, due, int(provisional),
         now, now, RATING_CATEGORY),
    )  # fmt: skip
    if created is not None:
        audit(
            tx, now, None, "open", case_id=int(created[0]), to_state=str(CaseState.OPEN),
            note=f"评价 {level} 级",
        )  # fmt: skip


@dataclass(frozen=True)
class _Found:
    """The rating's case, as far as opening and closing it needs."""

    id: int
    state: str
    callback_at: int | None
    verification: str | None


def _reset(tx: Tx, case_id: int, now: int, counts: Deadlines) -> None:
    """Back to open with a fresh callback clock; the caller audits the re-opening."""
    due, provisional = load_calendar(tx).due_at(now, counts.callback_workdays)
    tx.run(
        "UPDATE cases SET state = ?, closed_at = NULL, rectified_at = NULL, "
        "verification = NULL, verified_at = NULL, callback_at = NULL, callback_outcome = NULL, "
        "rectify_started_at = NULL, rectify_due_at = NULL, rectify_due_provisional = 0, "
        "fix_rating = NULL, fix_rated_at = NULL, step_due_at = NULL, "
        "step_due_provisional = 0, callback_due_at = ?, "
        "callback_due_provisional = ?, reopen_count = reopen_count + 1, updated_at = ? "
        "WHERE id = ?",
        (str(CaseState.OPEN), due, int(provisional), now, case_id),
    )
    tx.run(
        "UPDATE ratings SET invalidated = NULL WHERE id = (SELECT rating_id FROM cases "
        "WHERE id = ?)",
        (case_id,),
    )


# ---------------------------------------------------------------- acting


def _note(fields: dict[str, str], required: bool = True) -> str:
    note = (fields.get("note") or "").strip()
    if required and not note:
        raise Invalid("a note is required", "请填写说明")
    if len(note) > MAX_NOTE:
        raise Invalid(f"note longer than {MAX_NOTE} characters", "说明过长")
    return note


def _choice(fields: dict[str, str], name: str, allowed: Sequence[str]) -> str:
    value = (fields.get(name) or "").strip()
    if value not in allowed:
        raise Invalid(f"{name} must be one of {', '.join(allowed)}", "请选择有效的选项")
    return value


# What each action writes besides the state (set from the table), and its audit note.
# An effect validates its own fields; the table has already allowed the move.
Effect = Callable[[Tx, CaseView, Actor, dict[str, str], int, Deadlines], str]


def _take(tx: Tx, case: CaseView, actor: Actor, fields: dict[str, str], now: int,
          counts: Deadlines) -> str:  # fmt: skip
    note = _note(fields, required=False)
    tx.run("UPDATE cases SET handler_id = ?, updated_at = ? WHERE id = ?", (actor.id, now, case.id))
    return note


def _callback(tx: Tx, case: CaseView, actor: Actor, fields: dict[str, str], now: int,
              counts: Deadlines) -> str:  # fmt: skip
    outcome = _choice(fields, "outcome", CALLBACK_OUTCOMES)
    note = _note(fields)
    # Next: retry an unreachable citizen, else verify; each on its own clock.
    days = counts.retry_workdays if outcome == CallbackOutcome.UNREACHABLE else None
    due, provisional = load_calendar(tx).due_at(now, days or counts.verify_workdays)
    tx.run(
        "UPDATE cases SET callback_at = ?, callback_outcome = ?, "
        "step_due_at = ?, step_due_provisional = ?, "
        "handler_id = COALESCE(handler_id, ?), updated_at = ? WHERE id = ?",
        (now, outcome, due, int(provisional), actor.id, now, case.id),
    )
    return f"[{outcome}] {note}"


def _verify(tx: Tx, case: CaseView, actor: Actor, fields: dict[str, str], now: int,
            counts: Deadlines) -> str:  # fmt: skip
    verification = _choice(fields, "verification", VERIFICATIONS)
    note = _note(fields)
    # Next: start the rectification (substantiated) or close, within act_workdays.
    due, provisional = load_calendar(tx).due_at(now, counts.act_workdays)
    tx.run(
        "UPDATE cases SET verified_at = ?, verification = ?, "
        "step_due_at = ?, step_due_provisional = ?, updated_at = ? WHERE id = ?",
        (now, verification, due, int(provisional), now, case.id),
    )
    # 误评或恶意: the rating stops counting as a valid rating.
    invalid = verification == Verification.MISTAKEN_MALICIOUS
    tx.run(
        "UPDATE ratings SET invalidated = ? WHERE id = (SELECT rating_id FROM cases WHERE id = ?)",
        (str(Verification.MISTAKEN_MALICIOUS) if invalid else None, case.id),
    )
    return f"[{verification}] {note}"


def _rectify(tx: Tx, case: CaseView, actor: Actor, fields: dict[str, str], now: int,
             counts: Deadlines) -> str:  # fmt: skip
    measures = (fields.get("measures") or "").strip()
    if not measures:
        raise Invalid("rectification measures are required", "请填写整改措施")
    if len(measures) > MAX_NOTE:
        raise Invalid("measures too long", "整改措施过长")
    due, provisional = load_calendar(tx).due_at(now, counts.rectify_workdays)
    tx.run(
        "UPDATE cases SET rectify_started_at = ?, "
        "rectify_measures = ?, rectify_due_at = ?, rectify_due_provisional = ?, "
        "step_due_at = NULL, step_due_provisional = 0, updated_at = ? WHERE id = ?",
        (now, measures, due, int(provisional), now, case.id),
    )
    return measures


def _close(tx: Tx, case: CaseView, actor: Actor, fields: dict[str, str], now: int,
           counts: Deadlines) -> str:  # fmt: skip
    note = _note(fields)
    # A bad rating's path closes a rectifying case (rectified now); the loop's marks the
    # rectification done first (`complete`), which keeps its time.
    rectified = now if case.state == CaseState.RECTIFYING else case.rectified_at
    tx.run(
        "UPDATE cases SET closed_at = ?, rectified_at = ?, "
        "step_due_at = NULL, step_due_provisional = 0, updated_at = ? WHERE id = ?",
        (now, rectified, now, case.id),
    )
    return note


def _reopen_effect(tx: Tx, case: CaseView, actor: Actor, fields: dict[str, str], now: int,
                   counts: Deadlines) -> str:  # fmt: skip
    note = _note(fields)
    _reset(tx, case.id, now, counts)
    return note


EFFECTS: dict[CaseAction, Effect] = {
    CaseAction.TAKE: _take,
    CaseAction.CALLBACK: _callback,
    CaseAction.VERIFY: _verify,
    CaseAction.RECTIFY: _rectify,
    CaseAction.CLOSE: _close,
    CaseAction.REOPEN: _reopen_effect,
    CaseAction.ACCEPT: loop.accept,
    CaseAction.DISPATCH: loop.dispatch,
    CaseAction.REDISPATCH: loop.redispatch,
    CaseAction.REPLY: loop.reply,
    CaseAction.RETURN: loop.return_case,
    CaseAction.COMPLETE: loop.complete,
}


def transition(
    tx: Tx,
    case_id: int,
    actor: Actor,
    action: str,
    fields: dict[str, str],
    now: int,
    counts: Deadlines,
) -> CaseView:
    """Apply `action` to the case as `actor`; audited in the same transaction.

    The move comes from the table in rating/cases/states.py; a pair it lacks is a
    Conflict, an unknown action Invalid."""
    # Lock before reading the state, so two instances cannot both act on the same state.
    tx.lock(f"case:{case_id}")
    case = get_case(tx, case_id, actor, now)
    if not actor.can_act:
        raise Forbidden("read-only account", "只读账号不能办理案件")
    try:
        act = CaseAction(action)
    except ValueError:
        raise Invalid(f"unknown action {action!r}", "未知操作") from None
    move = states.TRANSITIONS.get((CaseState(case.state), act))
    if move is None:
        raise Conflict(*states.refusal(case.state, act))
    if not states.guard_holds(move.guard, case.verification):
        assert move.guard is not None
        raise Conflict(*states.GUARD_REFUSALS[(act, move.guard)])
    note = EFFECTS[act](tx, case, actor, fields, now, counts)
    if move.to != case.state:
        tx.run("UPDATE cases SET state = ? WHERE id = ?", (str(move.to), case_id))
    audit(tx, now, actor, str(act), case_id=case_id, from_state=case.state,
          to_state=str(move.to), note=note)  # fmt: skip
    loop.mirror_source(tx, case_id, now)
    return get_case(tx, case_id, actor, now)


def dispatch_many(
    tx: Tx,
    case_ids: Sequence[int],
    actor: Actor,
    fields: dict[str, str],
    now: int,
    counts: Deadlines,
) -> list[CaseView]:
    """一键派发 of many cases to one unit, all or none (one transaction): the first
    refusal names its case and nothing is dispatched."""
    out = []
    for case_id in loop.ids_in(case_ids):
        try:
            out.append(transition(tx, case_id, actor, str(CaseAction.DISPATCH), fields, now,
                                  counts))  # fmt: skip
        except (Conflict, Forbidden, Invalid) as exc:
            raise type(exc)(f"case {case_id}: {exc.en}", f"案件 {case_id}：{exc.zh}") from None
    return out


def allowed_actions(case: CaseView, actor: Actor) -> list[str]:
    """The actions the case detail page offers `actor` (from the same table)."""
    if not actor.can_act:
        return []
    return list(states.actions_from(case.state, case.verification))


# The encrypted phone of a case's citizen: the rating's, the letter's or the work order's.
PHONE_SQL = (
    "SELECT COALESCE(r.phone_enc, l.phone_enc, w.phone_enc) FROM cases c "
    "LEFT JOIN ratings r ON r.id = c.rating_id "
    "LEFT JOIN letters l ON c.source = 'letter' AND l.id = c.source_id "
    "LEFT JOIN workorders w ON c.source = 'workorder' AND w.id = c.source_id WHERE c.id = ?"
)


def reveal_phone(tx: Tx, case_id: int, actor: Actor, now: int) -> str | None:
    """The encrypted phone of the case's rating, for its handler only; audited."""
    case = get_case(tx, case_id, actor, now)
    if case.handler_id != actor.id:
        raise Forbidden(
            "only the case's handler may see the phone number", "仅案件承办人可查看完整电话"
        )
    row = tx.one(
        PHONE_SQL,
        (case_id,),
    )
    if row is None or row[0] is None:
        return None
    audit(tx, now, actor, "reveal_phone", case_id=case_id, from_state=case.state,
          to_state=case.state)  # fmt: skip
    return str(row[0])


def rate_fix(tx: Tx, receipt: str, answer: str, now: int) -> bool:
    """Store the citizen's answer to "is it fixed?"; False if there is nothing to answer."""
    if answer not in FIX_ANSWERS:
        raise Invalid("unknown answer", "请选择一项")
    match, params = receipt_match(tx, receipt)
    row = tx.one(
        f"SELECT c.id FROM cases c JOIN ratings r ON r.id = c.rating_id WHERE {match} "
        "AND c.state = ? AND c.rectified_at IS NOT NULL AND c.fix_rating IS NULL",
        (*params, str(CaseState.CLOSED)),
    )
    if row is None:
        return False
    tx.run(
        "UPDATE cases SET fix_rating = ?, fix_rated_at = ?, updated_at = ? WHERE id = ?",
        (answer, now, now, row[0]),
    )
    audit(tx, now, None, "fix_rating", case_id=int(row[0]), note=answer, actor_name="群众")
    return True

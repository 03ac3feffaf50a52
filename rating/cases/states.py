"""The case state machine as data: one table of (state, action) -> next state.

One loop for every source (issue 18): received -> accepted -> dispatched -> replied ->
called_back -> verified -> rectifying -> rectified -> closed, with return (退回, the unit
sends a dispatched case back to the centre) and re-dispatch (改派). A bad rating's case
enters at `open` — accepted at once, waiting for the callback — and keeps the path it had
before the loop (open -> called_back -> verified -> rectifying -> closed); from `open` it
may also be dispatched to a unit like any accepted case.

Both `transition` (what an action does) and `allowed_actions` (what the case page offers)
read this table, so they cannot disagree. A pair that is not in the table is refused.
A later state, action or intake source is a new row here (and an effect in logic.py),
not a new branch in an if/elif.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from rating.cases.model import SUBSTANTIATED, CaseAction, CaseState


class Guard(StrEnum):
    """A condition on the case, beyond its state, that a move needs."""

    SUBSTANTIATED = "substantiated"  # the verification found the complaint (partly) true
    NOT_SUBSTANTIATED = "not_substantiated"


@dataclass(frozen=True)
class Move:
    to: CaseState
    guard: Guard | None = None


S, A = CaseState, CaseAction

# Taking a case (becoming its handler) changes no state: every state but closed maps to
# itself. A callback may be repeated (an unreachable citizen is called again).
TRANSITIONS: dict[tuple[CaseState, CaseAction], Move] = {
    **{(state, A.TAKE): Move(state) for state in S if state is not S.CLOSED},
    (S.RECEIVED, A.ACCEPT): Move(S.ACCEPTED),
    (S.ACCEPTED, A.DISPATCH): Move(S.DISPATCHED),
    (S.OPEN, A.DISPATCH): Move(S.DISPATCHED),
    (S.DISPATCHED, A.REDISPATCH): Move(S.DISPATCHED),
    (S.REPLIED, A.REDISPATCH): Move(S.DISPATCHED),  # the centre does not accept the reply
    (S.DISPATCHED, A.REPLY): Move(S.REPLIED),
    (S.DISPATCHED, A.RETURN): Move(S.ACCEPTED),
    (S.REPLIED, A.CALLBACK): Move(S.CALLED_BACK),
    (S.OPEN, A.CALLBACK): Move(S.CALLED_BACK),
    (S.CALLED_BACK, A.CALLBACK): Move(S.CALLED_BACK),
    (S.CALLED_BACK, A.VERIFY): Move(S.VERIFIED),
    (S.VERIFIED, A.RECTIFY): Move(S.RECTIFYING, Guard.SUBSTANTIATED),
    (S.VERIFIED, A.CLOSE): Move(S.CLOSED, Guard.NOT_SUBSTANTIATED),
    (S.RECTIFYING, A.CLOSE): Move(S.CLOSED),  # a bad rating's path: rectified on closing
    (S.RECTIFYING, A.COMPLETE): Move(S.RECTIFIED),
    (S.RECTIFIED, A.CLOSE): Move(S.CLOSED),
    (S.CLOSED, A.REOPEN): Move(S.OPEN),
}

# Why a guarded move is refused: (English, Chinese).
GUARD_REFUSALS: dict[tuple[CaseAction, Guard], tuple[str, str]] = {
    (A.RECTIFY, Guard.SUBSTANTIATED): (
        "only a substantiated complaint is rectified",
        "仅属实或部分属实的案件需要整改",
    ),
    (A.CLOSE, Guard.NOT_SUBSTANTIATED): (
        "a substantiated complaint must be rectified first",
        "属实案件须先整改",
    ),
}


def guard_holds(guard: Guard | None, verification: str | None) -> bool:
    if guard is None:
        return True
    substantiated = verification in SUBSTANTIATED
    return substantiated if guard is Guard.SUBSTANTIATED else not substantiated


def refusal(state: str, action: CaseAction) -> tuple[str, str]:
    """Why `action` is refused in `state` (a pair that is not in the table)."""
    if state == S.CLOSED and action is A.TAKE:
        return "the case is closed", "案件已办结"
    return f"not allowed while the case is {state}", "案件当前状态不允许此操作"


def next_state(state: str, action: CaseAction, verification: str | None) -> Move | None:
    """The move `action` makes from `state`, or None when the table refuses it."""
    move = TRANSITIONS.get((CaseState(state), action))
    if move is None or not guard_holds(move.guard, verification):
        return None
    return move


def actions_from(state: str, verification: str | None) -> list[CaseAction]:
    """Every action the table allows from `state`, in declaration order."""
    return [a for a in CaseAction if next_state(state, a, verification) is not None]

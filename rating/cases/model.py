"""Plain data for cases, actors and audit entries."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from rating.i18n import table
from rating.subtree import unit_name


class CaseState(StrEnum):
    """The loop's states, in order (rating/cases/states.py holds the moves).

    A bad rating's case opens at `open` (accepted at once: its category and deadline are
    known, it waits for the callback); any other source opens at `received`."""

    RECEIVED = "received"
    ACCEPTED = "accepted"
    OPEN = "open"
    DISPATCHED = "dispatched"
    REPLIED = "replied"
    CALLED_BACK = "called_back"
    VERIFIED = "verified"
    RECTIFYING = "rectifying"
    RECTIFIED = "rectified"
    CLOSED = "closed"


class CaseSource(StrEnum):
    """Where a case came from; `source_id` keys it (a rating's case uses rating_id)."""

    RATING = "rating"
    LETTER = "letter"
    UNIT_MESSAGE = "unit_message"
    WORKORDER = "workorder"
    SUPERVISOR = "supervisor"


class CaseAction(StrEnum):
    """What a user may do to a case (rating/cases/states.py says when)."""

    TAKE = "take"
    CALLBACK = "callback"
    VERIFY = "verify"
    RECTIFY = "rectify"
    CLOSE = "close"
    REOPEN = "reopen"
    ACCEPT = "accept"
    DISPATCH = "dispatch"
    REDISPATCH = "redispatch"
    REPLY = "reply"
    RETURN = "return"
    COMPLETE = "complete"


class CallbackOutcome(StrEnum):
    REACHED = "reached"
    UNREACHABLE = "unreachable"
    DECLINED = "declined"


class Verification(StrEnum):
    SUBSTANTIATED = "substantiated"
    PARTLY_SUBSTANTIATED = "partly_substantiated"
    UNSUBSTANTIATED = "unsubstantiated"
    MISTAKEN_MALICIOUS = "mistaken_malicious"


class FixAnswer(StrEnum):
    """The citizen's answer to "is it fixed?"."""

    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    DISSATISFIED = "dissatisfied"


class Role(StrEnum):
    ADMIN = "admin"
    UNIT_MANAGER = "unit_manager"
    VIEWER = "viewer"


# The vocabularies as tuples, in declaration order (for choices, schemas and forms).
STATES = tuple(CaseState)
SOURCES = tuple(CaseSource)
# The category of a bad rating's case (its SLA lookup key; `pingjing sla map` can class it).
RATING_CATEGORY = "差评"
# The channel each source's category is looked up under in the SLA table.
SOURCE_CHANNELS = {
    "rating": "rating",
    "letter": "mailbox",
    "unit_message": "unit_code",
    "workorder": "workorder",
    "supervisor": "supervisor",
}
CALLBACK_OUTCOMES = tuple(CallbackOutcome)
VERIFICATIONS = tuple(Verification)
SUBSTANTIATED = (Verification.SUBSTANTIATED, Verification.PARTLY_SUBSTANTIATED)
FIX_ANSWERS = tuple(FixAnswer)
ROLES = tuple(Role)


def _zh_en(name: str) -> tuple[dict[str, str], dict[str, str]]:
    labels = table(name)
    return labels["zh"], labels["en"]


# Labels by language (rating/locale/cases.toml): X_LABELS in Chinese, X_LABELS_EN in English.
STATE_LABELS, STATE_LABELS_EN = _zh_en("cases.states")
SOURCE_LABELS, SOURCE_LABELS_EN = _zh_en("cases.sources")
OUTCOME_LABELS, OUTCOME_LABELS_EN = _zh_en("cases.outcomes")
VERIFICATION_LABELS, VERIFICATION_LABELS_EN = _zh_en("cases.verifications")
FIX_LABELS, FIX_LABELS_EN = _zh_en("cases.fix_answers")
ACTION_LABELS, ACTION_LABELS_EN = _zh_en("cases.actions")


@dataclass(frozen=True)
class Actor:
    """Who acts: an admin user (unit_path None = the whole bureau)."""

    id: int
    name: str
    role: str
    unit_path: str | None = None

    @property
    def can_act(self) -> bool:
        return self.role in (Role.ADMIN, Role.UNIT_MANAGER)

    def sees(self, unit_path: str) -> bool:
        if self.unit_path is None:
            return self.role in (Role.ADMIN, Role.VIEWER)
        return unit_path == self.unit_path or unit_path.startswith(self.unit_path + "/")


@dataclass(frozen=True)
class Deadlines:
    callback_workdays: int = 1
    rectify_workdays: int = 15
    # The steps between: retry an unreachable callback; verify after a callback; start
    # the rectification (substantiated) or close (otherwise) after the verification.
    retry_workdays: int = 1
    verify_workdays: int = 3
    act_workdays: int = 2
    # The loop's own steps (issue 18): accept a received item, dispatch an accepted one;
    # the reply is due by the category's SLA (rating/cases/sla.py), not a count here.
    accept_workdays: int = 1
    dispatch_workdays: int = 1


# The step a case waits for, by state (and callback outcome / verification), with the
# deadline column that holds its clock. Every case that is not closed has exactly one.
STEP_LABELS, STEP_LABELS_EN = _zh_en("cases.steps")


# The step of each state whose step does not depend on the callback or verification.
_STATE_STEPS = {
    "received": "accept",
    "accepted": "dispatch",
    "open": "callback",
    "dispatched": "reply",
    "replied": "callback",
    "rectifying": "rectify",
    "rectified": "close",
}


def current_step(state: str, outcome: str | None, verification: str | None) -> str | None:
    """The step a case in `state` waits for (None when closed)."""
    if state in _STATE_STEPS:
        return _STATE_STEPS[state]
    if state == CaseState.CALLED_BACK:
        return "retry" if outcome == CallbackOutcome.UNREACHABLE else "verify"
    if state == CaseState.VERIFIED:
        return "rectify_start" if verification in SUBSTANTIATED else "close"
    return None


@dataclass(frozen=True)
class CaseView:
    id: int
    state: str
    # A case of another source has no rating: receipt is the letter's, level 0, no
    # officer (officer_id None, names ""); unit_path "" until a bureau-wide letter is
    # dispatched.
    receipt: str
    level: int
    reasons: tuple[str, ...]
    comment: str
    phone_mask: str | None
    has_phone: bool
    officer_name: str
    badge_no: str
    officer_id: int | None
    unit_path: str
    unit_code: str
    handler_id: int | None
    handler_name: str | None
    opened_at: int
    callback_due_at: int
    callback_due_provisional: bool
    callback_at: int | None
    callback_outcome: str | None
    verified_at: int | None
    verification: str | None
    rectify_measures: str | None
    rectify_due_at: int | None
    rectify_due_provisional: bool
    rectified_at: int | None
    closed_at: int | None
    fix_rating: str | None
    reopen_count: int
    # The step the case waits for (see `current_step`), when its deadline has passed undone.
    overdue: str | None
    step_due_at: int | None = None
    step_due_provisional: bool = False
    source: str = "rating"
    source_id: int | None = None
    category: str | None = None
    sla_class: str | None = None
    sla_due_at: int | None = None
    accepted_at: int | None = None
    dispatch_unit_path: str | None = None
    dispatch_unit_code: str | None = None
    dispatched_at: int | None = None
    dispatch_count: int = 0
    reply: str | None = None
    replied_at: int | None = None
    returned_at: int | None = None
    return_reason: str | None = None

    @property
    def step(self) -> str | None:
        return current_step(self.state, self.callback_outcome, self.verification)

    @property
    def due_at(self) -> int | None:
        """The deadline of the current step."""
        if self.state == CaseState.OPEN:
            return self.callback_due_at
        if self.state == CaseState.RECTIFYING:
            return self.rectify_due_at
        return self.step_due_at

    @property
    def due_provisional(self) -> bool:
        if self.state == CaseState.OPEN:
            return self.callback_due_provisional
        if self.state == CaseState.RECTIFYING:
            return self.rectify_due_provisional
        return self.step_due_provisional

    @property
    def unit_name(self) -> str:
        return unit_name(self.unit_path)

    @property
    def dispatch_unit_name(self) -> str | None:
        path = self.dispatch_unit_path
        return None if path is None else unit_name(path)


@dataclass(frozen=True)
class AuditEntry:
    at: int
    actor_name: str
    action: str
    from_state: str | None
    to_state: str | None
    note: str
    items: int | None


@dataclass(frozen=True)
class Progress:
    """What a citizen sees of their case: steps and dates, no notes or names."""

    state: str
    opened_at: int
    callback_at: int | None
    verified_at: int | None
    rectified_at: int | None
    closed_at: int | None
    needs_rectify: bool
    ask_fix: bool
    fix_rating: str | None
    callback_due_at: int | None = None
    # The unit's written reply to a dispatched case (shown on the citizen's receipt).
    reply: str | None = None
    replied_at: int | None = None
    dispatched_at: int | None = None


class OfficerRating(NamedTuple):
    """One of an officer's recent ratings (the fields are the ratings columns)."""

    created_at: int
    level: int
    reasons: str
    channel: str
    invalidated: str | None

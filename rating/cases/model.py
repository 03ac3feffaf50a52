"""Plain data for cases, actors and audit entries."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from rating.bilingual import zh_en
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

# Labels as {key: (Chinese, English)} (rating.bilingual); X_LABELS / X_LABELS_EN are the
# per-language dicts callers use, derived from the table.
STATE_TEXTS: dict[str, tuple[str, str]] = {
    "received": ("待受理", "Received"),
    "accepted": ("待派发", "Awaiting dispatch"),
    "open": ("待回访", "Awaiting callback"),
    "dispatched": ("已派发", "Dispatched"),
    "replied": ("已回复", "Replied"),
    "called_back": ("已回访", "Called back"),
    "verified": ("已核实", "Verified"),
    "rectifying": ("整改中", "Rectifying"),
    "rectified": ("已整改", "Rectified"),
    "closed": ("已办结", "Closed"),
}
STATE_LABELS, STATE_LABELS_EN = zh_en(STATE_TEXTS)
SOURCE_TEXTS: dict[str, tuple[str, str]] = {
    "rating": ("差评", "Bad rating"),
    "letter": ("局长信箱", "Chief's mailbox"),
    "unit_message": ("单位码留言", "Unit-code message"),
    "workorder": ("热线工单", "Hotline work order"),
    "supervisor": ("监督员报告", "Supervisor report"),
}
SOURCE_LABELS, SOURCE_LABELS_EN = zh_en(SOURCE_TEXTS)
OUTCOME_TEXTS: dict[str, tuple[str, str]] = {
    "reached": ("已联系上", "Reached"),
    "unreachable": ("无法联系", "Unreachable"),
    "declined": ("拒绝回访", "Declined callback"),
}
OUTCOME_LABELS, OUTCOME_LABELS_EN = zh_en(OUTCOME_TEXTS)
VERIFICATION_TEXTS: dict[str, tuple[str, str]] = {
    "substantiated": ("属实", "Substantiated"),
    "partly_substantiated": ("部分属实", "Partly substantiated"),
    "unsubstantiated": ("不属实", "Unsubstantiated"),
    "mistaken_malicious": ("误评或恶意", "Mistaken or malicious"),
}
VERIFICATION_LABELS, VERIFICATION_LABELS_EN = zh_en(VERIFICATION_TEXTS)
FIX_TEXTS: dict[str, tuple[str, str]] = {
    "satisfied": ("满意", "Satisfied"),
    "basically_satisfied": ("基本满意", "Basically satisfied"),
    "dissatisfied": ("不满意", "Dissatisfied"),
}
FIX_LABELS, FIX_LABELS_EN = zh_en(FIX_TEXTS)
ACTION_TEXTS: dict[str, tuple[str, str]] = {
    "open": ("立案", "Open case"),
    "take": ("认领", "Take case"),
    "callback": ("回访", "Call back"),
    "verify": ("核实", "Verify"),
    "rectify": ("整改", "Rectify"),
    "close": ("办结", "Close case"),
    "reopen": ("重新打开", "Reopen"),
    "auto_close": ("评价已改为满意，自动办结", "Rating changed to satisfied; closed automatically"),
    "reveal_phone": ("查看完整电话", "Viewed full phone number"),
    "fix_rating": ("群众评价整改结果", "Citizen rated the rectification"),
    "deadline": ("期限重算", "Deadline recomputed"),
    "accept": ("受理", "Accept"),
    "dispatch": ("派发", "Dispatch"),
    "redispatch": ("改派", "Re-dispatch"),
    "reply": ("单位回复", "Unit's reply"),
    "return": ("退回", "Return"),
    "complete": ("整改完成", "Rectification done"),
}
ACTION_LABELS, ACTION_LABELS_EN = zh_en(ACTION_TEXTS)


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
STEP_TEXTS: dict[str, tuple[str, str]] = {
    "accept": ("受理", "Acceptance"),
    "dispatch": ("派发", "Dispatch"),
    "reply": ("单位回复", "Unit's reply"),
    "callback": ("回访", "Callback"),
    "retry": ("重新回访", "Callback retry"),
    "verify": ("核实", "Verification"),
    "rectify_start": ("启动整改", "Start of rectification"),
    "close": ("办结", "Closing"),
    "rectify": ("整改", "Rectification"),
}
STEP_LABELS, STEP_LABELS_EN = zh_en(STEP_TEXTS)


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

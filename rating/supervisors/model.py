"""Plain data of supervisors and their reports, passed in and out of the store."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from rating.mailbox.models import MAX_PHOTO_BYTES, MAX_PHOTOS, Photo

__all__ = ["MAX_PHOTOS", "MAX_PHOTO_BYTES", "Photo"]

MAX_TEXT = 2000
MAX_PLACE = 100
MAX_NAME = 40
# The case category of a supervisor's report (its SLA lookup key under the `supervisor`
# channel: `pingjing sla map` can class it).
CATEGORY = "监督员报告"


class LinkState(StrEnum):
    """What a personal link answers: the form, or one of the refusals."""

    LIVE = "live"
    UNKNOWN = "unknown"  # no such token
    REVOKED = "revoked"  # the token was revoked (or replaced by a reissued one)
    NOT_STARTED = "not_started"  # before the term's first day
    ENDED = "ended"  # after the term's last day, or ended early by an admin


@dataclass(frozen=True)
class Supervisor:
    id: int
    name: str
    phone_mask: str | None
    term_start: str  # YYYY-MM-DD, Asia/Shanghai, included
    term_end: str  # included
    created_at: int
    ended_at: int | None
    token: str | None  # the live token, if any
    reports: int = 0

    def state_on(self, day: str) -> LinkState:
        """The state of the supervisor's live link on `day` (YYYY-MM-DD): an ended term
        first (whatever the link), then a revoked link, then the term's dates."""
        if self.ended_at is not None or day > self.term_end:
            return LinkState.ENDED
        if self.token is None:
            return LinkState.REVOKED
        if day < self.term_start:
            return LinkState.NOT_STARTED
        return LinkState.LIVE


@dataclass(frozen=True)
class LinkLookup:
    state: LinkState
    supervisor: Supervisor | None = None


@dataclass(frozen=True)
class ReportInput:
    """A report as the form gave it, checked (rating/supervisors/form.py)."""

    badge_no: str
    place: str
    event_at: int
    body: str
    lang: str
    stamp: str | None
    photos: tuple[Photo, ...] = ()


@dataclass(frozen=True)
class Filed:
    """What the store did with a report: `report_id` when stored (or found stored by its
    stamp), else `refused` names the field ("badge") or the link's state."""

    report_id: int | None
    created: bool = False
    refused: str | None = None


@dataclass(frozen=True)
class ReportView:
    """One of a supervisor's own reports with its progress (the case's state and reply)."""

    id: int
    badge_no: str
    officer_name: str
    place: str
    event_at: int
    body: str
    created_at: int
    photos: int
    case_state: str | None
    reply: str | None
    replied_at: int | None

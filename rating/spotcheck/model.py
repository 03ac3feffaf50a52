"""The spot-check vocabularies and the task as the pages show it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    CONFIRMED = "confirmed"  # reached; the citizen confirms the rating as given
    NOT_CONFIRMED = "not_confirmed"  # reached; the rating does not hold (with a reason)
    UNREACHABLE = "unreachable"


class Reason(StrEnum):
    """Why a rating was not confirmed (a list, so the report can count them)."""

    IN_FRONT_OF_OFFICER = "in_front_of_officer"  # 当着民警的面评价
    ASKED_TO_RATE = "asked_to_rate"  # 被要求给好评
    OTHER = "other"  # a note says what


OUTCOMES = tuple(Outcome)
REASONS = tuple(Reason)
REACHED = (Outcome.CONFIRMED, Outcome.NOT_CONFIRMED)


@dataclass(frozen=True)
class Task:
    id: int
    day: str
    kind: str  # "rating" or "case"
    item_id: int
    rating_id: int
    receipt: str
    level: int
    channel: str
    unit_path: str
    officer_name: str
    badge_no: str
    rated_at: int
    phone_mask: str | None
    assignee_id: int | None
    assignee_name: str | None
    outcome: str | None
    reason: str | None
    note: str
    done_at: int | None

    @property
    def open(self) -> bool:
        return self.outcome is None


@dataclass(frozen=True)
class SampleResult:
    day: str
    tasks: int  # tasks this day's sample holds
    new: bool  # False: the day had been sampled before; nothing was added
    candidates: int = 0

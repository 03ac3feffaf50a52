"""Plain data passed in and out of the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, StrEnum

from rating.cases.model import Deadlines
from rating.subtree import unit_display

REASONS = ("attitude", "efficiency", "conduct", "integrity", "buck_passing", "other")


class Channel(StrEnum):
    """Where a rating came from."""

    BADGE = "badge"
    KIOSK = "kiosk"
    WEB = "web"


class OfficerStatus(StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"


CHANNELS = tuple(Channel)
KINDS = ("police", "auxiliary")


@dataclass(frozen=True)
class Unit:
    id: int
    code: str
    name: str
    parent_id: int | None
    path: str
    depth: int


@dataclass(frozen=True)
class Officer:
    id: int
    badge_no: str
    name: str
    kind: str
    status: str
    unit_id: int
    unit_code: str
    unit_path: str
    token: str | None = None

    @property
    def unit_name(self) -> str:
        return self.unit_path.rsplit("/", 1)[-1]

    @property
    def unit_display(self) -> str:
        """The unit below the bureau, e.g. 桥东分局 · 胜利路派出所, for citizens to check."""
        return unit_display(self.unit_path)


class TokenState(Enum):
    LIVE = "live"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class TokenLookup:
    state: TokenState
    officer: Officer | None = None


@dataclass(frozen=True)
class RatingSubmission:
    """A validated rating on its way to the store (views have checked every field)."""

    token: str
    level: int
    channel: str
    reasons: tuple[str, ...] = ()
    comment: str = ""
    phone_enc: str | None = None
    phone_hash: str | None = None
    phone_mask: str | None = None
    device_hash: str | None = None
    network_hash: str | None = None
    receipt: str | None = None  # amend this receipt explicitly (two-step form)
    idempotency_key: str | None = None
    lang: str = "zh"
    at_ms: int = 0
    stamp: str | None = None  # the form stamp of the page it came from: one page, one matter
    fast: bool = False  # sooner after the page was served than min_submit_seconds


class Outcome(Enum):
    CREATED = "created"
    AMENDED = "amended"
    REPLAYED = "replayed"  # same idempotency key seen before
    UNKNOWN_TOKEN = "unknown_token"
    REVOKED_TOKEN = "revoked_token"
    RETIRED_OFFICER = "retired_officer"
    RATE_LIMITED = "rate_limited"


@dataclass(frozen=True)
class RatingResult:
    outcome: Outcome
    receipt: str | None = None
    rating_id: int | None = None
    limited_by: str | None = None  # "device" or "network"


@dataclass(frozen=True)
class RateLimits:
    """The rules the rating write path applies, from the settings: the limits, and the
    working-day counts of the case a bad rating opens (passed with every batch, never
    read from a process global: the SQLite writer runs in a process of its own)."""

    device_per_hour: int
    network_per_hour: int
    amend_window_ms: int
    deadlines: Deadlines = field(default_factory=Deadlines)


@dataclass(frozen=True)
class RatingView:
    """What the citizen may see of their own rating: never the phone number."""

    receipt: str
    level: int
    reasons: tuple[str, ...]
    comment: str
    channel: str
    has_phone: bool
    officer_name: str
    badge_no: str
    unit_name: str
    token: str
    created_at: int
    updated_at: int
    amend_count: int


@dataclass(frozen=True)
class RosterRow:
    line: int
    badge_no: str
    name: str
    unit: str  # a unit path (a/b/c) or a unit code
    kind: str


@dataclass
class RosterResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # active officers absent from the file
    retired: list[str] = field(default_factory=list)
    units_created: list[str] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)

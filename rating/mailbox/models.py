"""Plain data of the mailbox and unit codes, passed in and out of the store."""

from __future__ import annotations

from dataclasses import dataclass

from rating.store.models import TokenState, Unit
from rating.subtree import unit_display

MAX_TEXT = 2000
MAX_PHOTOS = 3
MAX_PHOTO_BYTES = 5 * 1024 * 1024

# The letter's status as the receipt shows it. The case loop owns the steps after
# `received` and mirrors them here through service.set_status.
STATUSES = ("received", "accepted", "dispatched", "replied", "closed")


@dataclass(frozen=True)
class Photo:
    """A photo as stored: re-encoded, without EXIF."""

    data: bytes
    mime: str
    width: int
    height: int


@dataclass(frozen=True)
class LetterSubmission:
    unit_id: int | None
    category: str
    body: str
    phone_enc: str | None
    phone_hash: str | None
    phone_mask: str | None
    consent: bool
    lang: str
    stamp: str | None
    device_hash: str | None
    network_hash: str | None
    at_ms: int
    photos: tuple[Photo, ...] = ()


@dataclass(frozen=True)
class LetterPhoto:
    id: int
    mime: str
    width: int
    height: int
    size: int
    # Its number among the letter's photos (from 1): /admin/cases/{id}/photos/{position}.
    position: int = 0


@dataclass(frozen=True)
class LetterView:
    id: int
    receipt: str
    unit_id: int | None
    unit_path: str | None
    category: str
    body: str
    phone_mask: str | None
    consent: bool
    anonymous: bool
    lang: str
    status: str
    reply: str | None
    replied_at: int | None
    created_at: int
    photos: tuple[LetterPhoto, ...] = ()
    # How many photos the retention purge removed (migration 0032); `photos` is then empty.
    photos_purged: int = 0

    @property
    def unit_display(self) -> str | None:
        return None if self.unit_path is None else unit_display(self.unit_path)


@dataclass(frozen=True)
class Submitted:
    """What the store did with a letter or unit rating: `receipt` when stored (or found
    stored by its stamp), else `refused` names why ("category", "unit", "rate_device",
    "rate_network")."""

    receipt: str | None
    created: bool = False
    refused: str | None = None
    letter_id: int | None = None


@dataclass(frozen=True)
class UnitRatingSubmission:
    unit_id: int
    token: str
    level: int
    stamp: str | None
    device_hash: str | None
    network_hash: str | None
    lang: str
    at_ms: int


@dataclass(frozen=True)
class PlaceLookup:
    state: TokenState
    unit: Unit | None = None

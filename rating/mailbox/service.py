"""The mailbox's named operations: what the web pages, the CLI and the case loop call.

The case loop (issue 18 item 1) takes letters in through these functions:

* ``submit_letter`` stores a letter (with its photos) and opens its case (source
  ``letter``, state ``received``, the letter's category) in the same transaction
  (``_store_letter``): a letter is never stored without its case. The letter id is the
  case's source key.
* The loop mirrors the case's step and the unit's reply onto the letter in each action's
  transaction (rating/cases/loop.mirror_source, as ``store.set_status`` would), so the
  citizen's receipt shows the progress.
* ``set_status`` and ``set_reply`` remain for the CLI and tests.
* ``list_letters(scope)`` and ``letter_by_receipt`` read them, scoped by unit path.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

from rating.cases.loop import open_case
from rating.cases.model import Deadlines
from rating.clock import now_ms
from rating.crypto import Keys, network_key
from rating.mailbox import store as mstore
from rating.mailbox.models import (
    LetterSubmission,
    LetterView,
    Photo,
    PlaceLookup,
    Submitted,
    UnitRatingSubmission,
)
from rating.store import Store
from rating.store.models import Unit
from rating.store.tx import Tx

# Letters are rare and long: a few per device an hour is plenty for a person and little
# for a flood. A shared network (a station's Wi-Fi, a carrier's NAT) gets more.
LETTERS_PER_DEVICE_HOUR = 5
LETTERS_PER_NETWORK_HOUR = 60
UNIT_RATINGS_PER_DEVICE_HOUR = 10
UNIT_RATINGS_PER_NETWORK_HOUR = 600
PURGE_CHUNK = 2000


@dataclass(frozen=True)
class LetterInput:
    """A letter as the form gave it, checked (rating/mailbox/form.py)."""

    category: str
    body: str
    phone: str | None
    consent: bool
    lang: str
    stamp: str | None
    photos: tuple[Photo, ...] = ()


async def submit_letter(
    store: Store,
    keys: Keys,
    inp: LetterInput,
    *,
    unit_id: int | None,
    device: str | None,
    address: str | None,
    at_ms: int | None = None,
) -> Submitted:
    """Store one letter; returns its receipt, or `refused` naming the reason (nothing is
    stored then). See the module docstring for the case loop's hook."""
    phone = inp.phone
    sub = LetterSubmission(
        unit_id=unit_id,
        category=inp.category,
        body=inp.body,
        **keys.phone_columns(phone),
        consent=inp.consent and phone is not None,
        lang=inp.lang,
        stamp=inp.stamp,
        device_hash=keys.device_hash(device) if device else None,
        network_hash=keys.network_hash(network_key(address)) if address else None,
        at_ms=at_ms if at_ms is not None else now_ms(),
        photos=inp.photos,
    )
    limits = (LETTERS_PER_DEVICE_HOUR, LETTERS_PER_NETWORK_HOUR)
    # Letters posted together share one commit (Store.write_grouped), each its own
    # savepoint: one refused by the database fails alone.
    return await store.write_grouped(_store_letter, sub, limits, store.limits.deadlines)


def _store_letter(
    tx: Tx, sub: LetterSubmission, limits: tuple[int, int], counts: Deadlines
) -> Submitted:
    """The letter and its case, in one transaction (a refused letter opens none)."""
    result = mstore.insert_letter(tx, sub, limits)
    if result.created and result.letter_id is not None:
        open_case(
            tx, "letter", result.letter_id, sub.unit_id, sub.category, sub.at_ms, counts, new=True
        )
    return result


async def letter_by_receipt(store: Store, receipt: str) -> LetterView | None:
    return await store.read(mstore.letter_by_receipt, receipt)


async def letter_by_id(store: Store, letter_id: int) -> LetterView | None:
    return await store.read(mstore.letter_by_id, letter_id)


async def list_letters(store: Store, scope: str | None, limit: int = 200) -> list[LetterView]:
    """Newest first; `scope` a unit path (that unit and below) or None for all."""
    return await store.read(mstore.list_letters, scope, limit)


async def letter_photo(store: Store, letter_id: int, photo_id: int) -> tuple[bytes, str] | None:
    """A photo's bytes and type, for staff in scope only (the caller checks the scope)."""
    return await store.read(mstore.letter_photo, letter_id, photo_id)


async def letter_photo_at(store: Store, letter_id: int, position: int) -> tuple[bytes, str] | None:
    """The letter's photo number `position` (from 1), for staff in scope only (the caller
    checks the scope); None when there is none or it was purged."""
    return await store.read(mstore.letter_photo_at, letter_id, position)


async def set_reply(
    store: Store, letter_id: int, reply: str, user_id: int | None = None, now: int | None = None
) -> bool:
    """Record the unit's written reply; the receipt shows it. False if no such letter."""
    at = now if now is not None else now_ms()
    return await store.write(mstore.set_reply, letter_id, reply, at, user_id)


async def set_status(store: Store, letter_id: int, status: str, now: int | None = None) -> bool:
    """The case loop's hook: show the case's step on the letter's receipt."""
    at = now if now is not None else now_ms()
    return await store.write(mstore.set_status, letter_id, status, at)


async def list_categories(store: Store) -> list[tuple[str, str]]:
    return await store.read(mstore.list_categories)


async def set_categories(store: Store, categories: Sequence[tuple[str, str]]) -> None:
    await store.write(mstore.set_categories, list(categories))


async def purge_letters(store: Store, cutoff: int, now: int | None = None) -> int:
    """Phones and photos of letters settled before `cutoff`, in chunks, then one audit
    entry (action `purge`, note "letter phones and photos"); the count. Run by
    `pingjing purge` and the daily purge (rating/cases/service.run_purge)."""
    total = 0
    while True:
        n = await store.write(mstore.purge_letters, cutoff, PURGE_CHUNK)
        total += n
        if n < PURGE_CHUNK:
            break
    await store.write(mstore.record_purge, now if now is not None else now_ms(), total)
    return total


# ---------------------------------------------------------------- unit codes


async def place_by_token(store: Store, token: str) -> PlaceLookup:
    return await store.read(mstore.place_by_token, token)


async def issue_unit_token(store: Store, unit: Unit) -> str:
    """A fresh code for the unit; the old one stops working (reissue)."""
    return await store.write(mstore.issue_unit_token, unit.id, now_ms())


async def revoke_unit_token(store: Store, unit: Unit) -> bool:
    return await store.write(mstore.revoke_unit_token, unit.id, now_ms())


async def live_unit_token(store: Store, unit: Unit) -> str | None:
    """The unit's live code, if it has one (nothing is issued)."""
    return await store.read(mstore.live_unit_token, unit.id)


async def unit_tokens(store: Store, units: Sequence[Unit]) -> dict[int, str]:
    """The live code of each unit, issuing the missing ones."""
    return await store.write(mstore.ensure_unit_tokens, [u.id for u in units], now_ms())


async def on_duty_at_unit(store: Store, unit_id: int) -> list[tuple[str, str, str, str | None]]:
    return await store.read(mstore.on_duty_at_unit, unit_id)


async def rate_unit(
    store: Store,
    keys: Keys,
    unit: Unit,
    token: str,
    level: int,
    *,
    stamp: str | None,
    lang: str,
    device: str | None,
    address: str | None,
    at_ms: int | None = None,
) -> Submitted:
    """Store a rating of the unit's service (never an officer's)."""
    sub = UnitRatingSubmission(
        unit_id=unit.id,
        token=token,
        level=level,
        stamp=stamp,
        device_hash=keys.device_hash(device) if device else None,
        network_hash=keys.network_hash(network_key(address)) if address else None,
        lang=lang,
        at_ms=at_ms if at_ms is not None else now_ms(),
    )
    work = functools.partial(
        mstore.insert_unit_rating,
        limits=(UNIT_RATINGS_PER_DEVICE_HOUR, UNIT_RATINGS_PER_NETWORK_HOUR),
    )
    return await store.write_grouped(work, sub)


async def unit_rating_counts(store: Store, scope: str | None) -> dict[int, int]:
    return await store.read(mstore.unit_rating_counts, scope)

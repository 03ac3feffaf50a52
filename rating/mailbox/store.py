"""The mailbox's and unit codes' units of work, run by both stores (see rating/store/logic.py).

Each function takes a `Tx` and runs inside the one transaction the store gives it, so a
letter and its photos commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rating.cases.purged_photos import count_letter_photos
from rating.crypto import random_code
from rating.mailbox.models import (
    LetterPhoto,
    LetterSubmission,
    LetterView,
    PlaceLookup,
    Submitted,
    UnitRatingSubmission,
)
from rating.store.models import TokenState, Unit
from rating.store.tx import named, select_list
from rating.subtree import SUBTREE_SQL, subtree_params

if TYPE_CHECKING:
    from rating.store.tx import Tx

HOUR_MS = 3_600_000
RECEIPT_LENGTH = 12

_LETTER_COLUMNS = {
    "id": "l.id",
    "receipt": "l.receipt",
    "unit_id": "l.unit_id",
    "unit_path": "u.path",
    "category": "l.category",
    "body": "l.body",
    "phone_mask": "l.phone_mask",
    "consent": "l.consent",
    "anonymous": "l.anonymous",
    "lang": "l.lang",
    "status": "l.status",
    "reply": "l.reply",
    "replied_at": "l.replied_at",
    "created_at": "l.created_at",
    "photos_purged": "l.photos_purged",
}
_LETTER_COLS = select_list(_LETTER_COLUMNS)
_LETTER_FROM = "FROM letters l LEFT JOIN units u ON u.id = l.unit_id"


def _letter(tx: Tx, row: tuple[Any, ...]) -> LetterView:
    f = named(_LETTER_COLUMNS, row)
    photos = tx.all(
        "SELECT id, mime, width, height, size, position FROM letter_photos "
        "WHERE letter_id = ? ORDER BY position",
        (f["id"],),
    )
    return LetterView(
        **{
            **f,
            "id": int(f["id"]),
            "consent": bool(f["consent"]),
            "anonymous": bool(f["anonymous"]),
            "created_at": int(f["created_at"]),
            "photos_purged": int(f["photos_purged"]),
        },
        photos=tuple(
            LetterPhoto(int(p[0]), p[1], int(p[2]), int(p[3]), int(p[4]), int(p[5])) for p in photos
        ),
    )


# ---------------------------------------------------------------- categories


def list_categories(tx: Tx) -> list[tuple[str, str]]:
    """(name, English name) of every letter category, in the bureau's order."""
    return [
        (r[0], r[1])
        for r in tx.all_cached(
            "SELECT name, name_en FROM letter_categories ORDER BY position, name"
        )
    ]


def set_categories(tx: Tx, categories: Sequence[tuple[str, str]]) -> None:
    """Replace the list (letters already written keep the name they were written under)."""
    tx.run("DELETE FROM letter_categories")
    for i, (name, name_en) in enumerate(categories, start=1):
        tx.run(
            "INSERT INTO letter_categories (name, position, name_en) VALUES (?, ?, ?)",
            (name, i, name_en),
        )


# ---------------------------------------------------------------- letters


def _over_limit(
    tx: Tx,
    device_hash: str | None,
    network_hash: str | None,
    at_ms: int,
    limits: tuple[int, int],
    device_key: str,
    network_key: str,
) -> str | None:
    """Count this hit from the device and from the network in the hour of `at_ms` (keys
    prefixed by `device_key`, `network_key`); "rate_device" or "rate_network" if either
    is over its limit, None otherwise."""
    window = at_ms - at_ms % HOUR_MS
    per_device, per_network = limits
    if device_hash and tx.count_hit(device_key + device_hash, window) > per_device:
        return "rate_device"
    if network_hash and tx.count_hit(network_key + network_hash, window) > per_network:
        return "rate_network"
    return None


def insert_letter(tx: Tx, sub: LetterSubmission, limits: tuple[int, int]) -> Submitted:
    """Store one letter and its photos, or say why not (nothing stored then).

    A second post of the same page (same form stamp) answers the first letter's receipt:
    a double tap or a resend after a lost answer never makes two letters. `limits` are
    letters per device and per network in a clock hour.
    """
    if sub.stamp:
        tx.lock("letter-stamp:" + sub.stamp)
        row = tx.one("SELECT receipt FROM letters WHERE stamp = ?", (sub.stamp,))
        if row is not None:
            return Submitted(row[0], created=False)
    if sub.category not in {c for c, _ in list_categories(tx)}:
        return Submitted(None, refused="category")
    if (
        sub.unit_id is not None
        and tx.one("SELECT 1 FROM units WHERE id = ?", (sub.unit_id,)) is None
    ):
        return Submitted(None, refused="unit")
    over = _over_limit(tx, sub.device_hash, sub.network_hash, sub.at_ms, limits, "ld:", "ln:")
    if over is not None:
        return Submitted(None, refused=over)
    receipt = random_code(RECEIPT_LENGTH)
    while tx.one("SELECT 1 FROM letters WHERE receipt = ?", (receipt,)) is not None:
        receipt = random_code(RECEIPT_LENGTH)  # 60 random bits: practically never
    letter_id = tx.insert(
        "INSERT INTO letters (receipt, unit_id, category, body, phone_enc, phone_hash, "
        "phone_mask, consent, anonymous, lang, stamp, status, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'received', ?, ?) RETURNING id",
        (
            receipt,
            sub.unit_id,
            sub.category,
            sub.body,
            sub.phone_enc,
            sub.phone_hash,
            sub.phone_mask,
            int(sub.consent),
            int(sub.phone_enc is None),
            sub.lang,
            sub.stamp,
            sub.at_ms,
            sub.at_ms,
        ),
    )
    for position, photo in enumerate(sub.photos, start=1):
        tx.run(
            "INSERT INTO letter_photos (letter_id, position, data, mime, width, height, size) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                letter_id,
                position,
                photo.data,
                photo.mime,
                photo.width,
                photo.height,
                len(photo.data),
            ),
        )
    return Submitted(receipt, created=True, letter_id=letter_id)


def letter_by_receipt(tx: Tx, receipt: str) -> LetterView | None:
    row = tx.one(f"SELECT {_LETTER_COLS} {_LETTER_FROM} WHERE l.receipt = ?", (receipt,))
    return _letter(tx, row) if row else None


def letter_by_id(tx: Tx, letter_id: int) -> LetterView | None:
    row = tx.one(f"SELECT {_LETTER_COLS} {_LETTER_FROM} WHERE l.id = ?", (letter_id,))
    return _letter(tx, row) if row else None


def list_letters(tx: Tx, scope: str | None, limit: int = 200) -> list[LetterView]:
    """Newest letters first. `scope` None: every letter (the bureau); a unit path: letters
    written to that unit or any unit below it (bureau-wide letters are the bureau's)."""
    if scope is None:
        rows = tx.all(f"SELECT {_LETTER_COLS} {_LETTER_FROM} ORDER BY l.id DESC LIMIT ?", (limit,))
    else:
        rows = tx.all(
            f"SELECT {_LETTER_COLS} {_LETTER_FROM} WHERE {SUBTREE_SQL} ORDER BY l.id DESC LIMIT ?",
            (*subtree_params(scope), limit),
        )
    return [_letter(tx, r) for r in rows]


def letter_photo(tx: Tx, letter_id: int, photo_id: int) -> tuple[bytes, str] | None:
    row = tx.one(
        "SELECT data, mime FROM letter_photos WHERE letter_id = ? AND id = ?", (letter_id, photo_id)
    )
    return (bytes(row[0]), row[1]) if row else None


def letter_photo_at(tx: Tx, letter_id: int, position: int) -> tuple[bytes, str] | None:
    """The letter's photo number `position` (from 1, in the order the citizen sent them):
    its bytes and type, or None (no such photo, or purged with the letter's phone)."""
    row = tx.one(
        "SELECT data, mime FROM letter_photos WHERE letter_id = ? AND position = ?",
        (letter_id, position),
    )
    return (bytes(row[0]), row[1]) if row else None


def letter_phone(tx: Tx, letter_id: int) -> str | None:
    """The encrypted phone (for the assigned handler only; callers decrypt)."""
    row = tx.one("SELECT phone_enc FROM letters WHERE id = ?", (letter_id,))
    return row[0] if row else None


def set_reply(tx: Tx, letter_id: int, reply: str, now: int, user_id: int | None) -> bool:
    """Record the unit's written reply (shown on the citizen's receipt). False if no such
    letter. Replacing an earlier reply is allowed: the receipt shows the latest."""
    return (
        tx.run(
            "UPDATE letters SET reply = ?, replied_at = ?, replied_by = ?, status = 'replied', "
            "updated_at = ? WHERE id = ?",
            (reply, now, user_id, now, letter_id),
        )
        > 0
    )


def set_status(tx: Tx, letter_id: int, status: str, now: int) -> bool:
    """The hook for the case loop: mirror the letter's case state onto the letter, so the
    receipt shows the progress without reading the loop's tables."""
    return (
        tx.run(
            "UPDATE letters SET status = ?, updated_at = ? WHERE id = ?", (status, now, letter_id)
        )
        > 0
    )


def purge_letters(tx: Tx, cutoff: int, chunk: int) -> int:
    """Personal data of letters settled before `cutoff`: the phone and the photos go, the
    text and the reply stay (the bureau's record). A letter is settled when replied (or
    closed by the loop); an unanswered letter keeps its phone until then."""
    ids = [
        int(r[0])
        for r in tx.all(
            "SELECT id FROM letters WHERE updated_at < ? AND status IN ('replied', 'closed') "
            "AND (phone_enc IS NOT NULL OR EXISTS "
            "(SELECT 1 FROM letter_photos p WHERE p.letter_id = letters.id)) LIMIT ?",
            (cutoff, chunk),
        )
    ]
    for lid in ids:
        count_letter_photos(tx, lid)  # the case page then says how many went
        tx.run("DELETE FROM letter_photos WHERE letter_id = ?", (lid,))
        tx.run(
            "UPDATE letters SET phone_enc = NULL, phone_hash = NULL, phone_mask = NULL "
            "WHERE id = ?",
            (lid,),
        )
    return len(ids)


# ---------------------------------------------------------------- unit codes


def _unit(row: tuple[Any, ...]) -> Unit:
    return Unit(int(row[0]), row[1], row[2], row[3], row[4], int(row[5]))


_UNIT_SELECT = "SELECT u.id, u.code, u.name, u.parent_id, u.path, u.depth FROM units u"


def issue_unit_token(tx: Tx, unit_id: int, now: int) -> str:
    """Revoke the unit's live code, if any, and issue a fresh one."""
    tx.run(
        "UPDATE unit_tokens SET revoked_at = ? WHERE unit_id = ? AND revoked_at IS NULL",
        (now, unit_id),
    )
    token = random_code(RECEIPT_LENGTH)
    tx.run(
        "INSERT INTO unit_tokens (token, unit_id, issued_at) VALUES (?, ?, ?)",
        (token, unit_id, now),
    )
    return token


def ensure_unit_tokens(tx: Tx, unit_ids: Sequence[int], now: int) -> dict[int, str]:
    """The live code of each unit, issuing one where a unit has none (printing)."""
    out: dict[int, str] = {}
    for uid in unit_ids:
        row = tx.one(
            "SELECT token FROM unit_tokens WHERE unit_id = ? AND revoked_at IS NULL", (uid,)
        )
        out[uid] = row[0] if row else issue_unit_token(tx, uid, now)
    return out


def revoke_unit_token(tx: Tx, unit_id: int, now: int) -> bool:
    return (
        tx.run(
            "UPDATE unit_tokens SET revoked_at = ? WHERE unit_id = ? AND revoked_at IS NULL",
            (now, unit_id),
        )
        > 0
    )


def place_by_token(tx: Tx, token: str) -> PlaceLookup:
    row = tx.one("SELECT unit_id, revoked_at FROM unit_tokens WHERE token = ?", (token,))
    if row is None:
        return PlaceLookup(TokenState.UNKNOWN)
    unit_row = tx.one(_UNIT_SELECT + " WHERE u.id = ?", (row[0],))
    unit = _unit(unit_row) if unit_row else None
    if row[1] is not None or unit is None:
        return PlaceLookup(TokenState.REVOKED, unit)
    return PlaceLookup(TokenState.LIVE, unit)


def on_duty_at_unit(tx: Tx, unit_id: int) -> list[tuple[str, str, str, str | None]]:
    """(badge_no, name, kind, live badge token) of officers signed in at the unit's kiosks."""
    return [
        (r[0], r[1], r[2], r[3])
        for r in tx.all(
            "SELECT DISTINCT o.badge_no, o.name, o.kind, t.token FROM kiosk_sessions s "
            "JOIN kiosks k ON k.id = s.kiosk_id JOIN officers o ON o.id = s.officer_id "
            "LEFT JOIN badge_tokens t ON t.officer_id = o.id AND t.revoked_at IS NULL "
            "WHERE k.unit_id = ? AND k.revoked_at IS NULL AND s.ended_at IS NULL "
            "AND o.status = 'active' ORDER BY o.badge_no",
            (unit_id,),
        )
    ]


def insert_unit_rating(tx: Tx, sub: UnitRatingSubmission, limits: tuple[int, int]) -> Submitted:
    """Store a rating of the place. One page load, one rating: a second post of the same
    stamp changes the level of the first."""
    if sub.stamp:
        tx.lock("unit-rating-stamp:" + sub.stamp)
        row = tx.one("SELECT id FROM unit_ratings WHERE stamp = ?", (sub.stamp,))
        if row is not None:
            tx.run("UPDATE unit_ratings SET level = ? WHERE id = ?", (sub.level, row[0]))
            return Submitted(None, created=False)
    over = _over_limit(tx, sub.device_hash, sub.network_hash, sub.at_ms, limits, "ud:", "un:")
    if over is not None:
        return Submitted(None, refused=over)
    tx.insert(
        "INSERT INTO unit_ratings (unit_id, token, level, stamp, device_hash, network_hash, "
        "lang, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (
            sub.unit_id,
            sub.token,
            sub.level,
            sub.stamp,
            sub.device_hash,
            sub.network_hash,
            sub.lang,
            sub.at_ms,
        ),
    )
    return Submitted(None, created=True)


def unit_rating_counts(tx: Tx, scope: str | None) -> dict[int, int]:
    """Unit ratings by level, for the unit at path `scope` and below (None: the bureau)."""
    if scope is None:
        rows = tx.all("SELECT level, COUNT(*) FROM unit_ratings GROUP BY level")
    else:
        rows = tx.all(
            "SELECT r.level, COUNT(*) FROM unit_ratings r JOIN units u ON u.id = r.unit_id "
            f"WHERE {SUBTREE_SQL} GROUP BY r.level",
            subtree_params(scope),
        )
    return {int(r[0]): int(r[1]) for r in rows}


def live_unit_token(tx: Tx, unit_id: int) -> str | None:
    row = tx.one(
        "SELECT token FROM unit_tokens WHERE unit_id = ? AND revoked_at IS NULL", (unit_id,)
    )
    return row[0] if row else None


def record_purge(tx: Tx, now: int, count: int) -> None:
    from rating.cases.audit import audit

    audit(tx, now, None, "purge", note="letter phones and photos", items=count)

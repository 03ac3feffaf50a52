"""Units of work shared by every store backend.

Each function here runs inside one transaction on a `Tx` (a thin wrapper over a DB-API
connection with ``?`` placeholders). The SQLite store runs them on its single writer
thread; a PostgreSQL store can run the same functions on its own connections, so the
rules (the amend window, rate limits, token issue) are written once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from rating.cases import logic as cases_logic
from rating.crypto import new_badge_token
from rating.store.models import (
    Officer,
    OfficerStatus,
    Outcome,
    RateLimits,
    RatingResult,
    RatingSubmission,
    RatingView,
    RosterResult,
    RosterRow,
    TokenLookup,
    TokenState,
    Unit,
)
from rating.store.receipts import codec_for, named_by_receipt, receipt_match
from rating.store.tx import RollBack, Tx, named, select_list
from rating.subtree import SUBTREE_SQL, subtree_params

HOUR_MS = 3_600_000
RECEIPT_AMEND_MS = 24 * HOUR_MS  # how long a receipt may still amend its rating


# ---------------------------------------------------------------- units

_UNIT_COLUMNS = {name: name for name in ("id", "code", "name", "parent_id", "path", "depth")}
_UNIT_COLS = select_list(_UNIT_COLUMNS)


def _unit(row: tuple[Any, ...]) -> Unit:
    f = named(_UNIT_COLUMNS, row)
    return Unit(**{**f, "id": int(f["id"]), "depth": int(f["depth"])})


def unit_code_for_path(path: str) -> str:
    """A stable code for a unit created from a roster path (the bureau may rename it)."""
    return "U" + hashlib.sha256(path.encode("utf-8")).hexdigest()[:10].upper()


def list_units(tx: Tx) -> list[Unit]:
    return [_unit(r) for r in tx.all(f"SELECT {_UNIT_COLS} FROM units ORDER BY path")]


def unit_by_code(tx: Tx, code: str) -> Unit | None:
    row = tx.one(f"SELECT {_UNIT_COLS} FROM units WHERE code = ?", (code,))
    return _unit(row) if row else None


def ensure_unit_path(tx: Tx, path: str, now: int, created: list[str] | None = None) -> Unit:
    """The unit at `path` (a/b/c), creating missing units along the way."""
    parts = [p.strip() for p in path.split("/") if p.strip()]
    parent: Unit | None = None
    for depth in range(1, len(parts) + 1):
        sub = "/".join(parts[:depth])
        row = tx.one(f"SELECT {_UNIT_COLS} FROM units WHERE path = ?", (sub,))
        if row is None:
            code = unit_code_for_path(sub)
            uid = tx.insert(
                "INSERT INTO units (code, name, parent_id, path, depth, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                (code, parts[depth - 1], parent.id if parent else None, sub, depth, now),
            )
            if created is not None:
                created.append(sub)
            parent = Unit(uid, code, parts[depth - 1], parent.id if parent else None, sub, depth)
        else:
            parent = _unit(row)
    assert parent is not None
    return parent


def resolve_unit(tx: Tx, ref: str, now: int, created: list[str]) -> Unit | str:
    """The unit a roster cell names, or the reason it names none."""
    ref = ref.strip().strip("/")
    if not ref:
        return "unit is empty"
    if "/" not in ref:
        by_code = unit_by_code(tx, ref)
        if by_code:
            return by_code
        row = tx.one(f"SELECT {_UNIT_COLS} FROM units WHERE path = ?", (ref,))
        if row:
            return _unit(row)
        return (
            f"unknown unit {ref!r}: give the full path (e.g. 某市公安局/某分局/某派出所) "
            "or an existing unit code"
        )
    root = ref.split("/", 1)[0].strip()
    roots = [r[0] for r in tx.all("SELECT path FROM units WHERE parent_id IS NULL")]
    if roots and root not in roots:
        return f"unknown top unit {root!r} (known: {', '.join(roots)})"
    return ensure_unit_path(tx, ref, now, created)


# ---------------------------------------------------------------- officers and tokens

_OFFICER_COLUMNS = {
    "id": "o.id",
    "badge_no": "o.badge_no",
    "name": "o.name",
    "kind": "o.kind",
    "status": "o.status",
    "unit_id": "o.unit_id",
    "unit_code": "u.code",
    "unit_path": "u.path",
    "token": "t.token",
}
_OFFICER_SELECT = (
    f"SELECT {select_list(_OFFICER_COLUMNS)} "
    "FROM officers o JOIN units u ON u.id = o.unit_id "
    "LEFT JOIN badge_tokens t ON t.officer_id = o.id AND t.revoked_at IS NULL"
)


def _officer(row: tuple[Any, ...]) -> Officer:
    f = named(_OFFICER_COLUMNS, row)
    return Officer(**{**f, "id": int(f["id"]), "unit_id": int(f["unit_id"])})


def officer_by_badge(tx: Tx, badge_no: str) -> Officer | None:
    row = tx.one(_OFFICER_SELECT + " WHERE o.badge_no = ?", (badge_no,))
    return _officer(row) if row else None


def list_officers(
    tx: Tx, unit_path: str | None = None, include_retired: bool = False
) -> list[Officer]:
    where, params = [], []
    if unit_path is not None:
        where.append(SUBTREE_SQL)
        params += subtree_params(unit_path)
    if not include_retired:
        where.append("o.status = ?")
        params.append(str(OfficerStatus.ACTIVE))
    sql = _OFFICER_SELECT + (" WHERE " + " AND ".join(where) if where else "")
    return [_officer(r) for r in tx.all(sql + " ORDER BY u.path, o.badge_no", params)]


def lookup_token(tx: Tx, token: str) -> TokenLookup:
    row = tx.one(
        "SELECT t.officer_id, t.revoked_at FROM badge_tokens t WHERE t.token = ?", (token,)
    )
    if row is None:
        return TokenLookup(TokenState.UNKNOWN)
    officer_row = tx.one(_OFFICER_SELECT + " WHERE o.id = ?", (row[0],))
    officer = _officer(officer_row) if officer_row else None
    if row[1] is not None or officer is None or officer.status != OfficerStatus.ACTIVE:
        return TokenLookup(TokenState.REVOKED, officer)
    return TokenLookup(TokenState.LIVE, officer)


def page_epoch(tx: Tx) -> int:
    """A counter bumped by every change that can alter an officer's rating page."""
    row = tx.one("SELECT n FROM page_epoch WHERE id = 1")
    return int(row[0]) if row else 0


def _pages_changed(tx: Tx) -> None:
    # Servers drop their cached rating pages when they see this move (rating/pagecache.py).
    tx.run("UPDATE page_epoch SET n = n + 1 WHERE id = 1")


def issue_token(tx: Tx, officer_id: int, now: int) -> str:
    """Revoke the officer's live token, if any, and issue a fresh one."""
    _pages_changed(tx)
    tx.run(
        "UPDATE badge_tokens SET revoked_at = ? WHERE officer_id = ? AND revoked_at IS NULL",
        (now, officer_id),
    )
    while True:
        token = new_badge_token()
        if tx.one("SELECT 1 FROM badge_tokens WHERE token = ?", (token,)) is None:
            break
    tx.run(
        "INSERT INTO badge_tokens (token, officer_id, issued_at) VALUES (?, ?, ?)",
        (token, officer_id, now),
    )
    return token


def reissue_token(tx: Tx, badge_no: str, now: int) -> Officer | None:
    officer = officer_by_badge(tx, badge_no)
    if officer is None:
        return None
    issue_token(tx, officer.id, now)
    return officer_by_badge(tx, badge_no)


_ROSTER_COLUMNS = {name: name for name in ("id", "badge_no", "name", "unit_id", "kind", "status")}


def import_roster(
    tx: Tx,
    rows: Iterable[RosterRow],
    *,
    now: int,
    skip_bad: bool,
    retire_missing: bool,
    prior_errors: Sequence[tuple[int, str]] = (),
) -> RosterResult:
    """Upsert officers by badge number. With any bad row and not `skip_bad`, undo all."""
    result = RosterResult(errors=list(prior_errors))
    existing = {
        r["badge_no"]: r
        for r in (
            named(_ROSTER_COLUMNS, row)
            for row in tx.all(f"SELECT {select_list(_ROSTER_COLUMNS)} FROM officers")
        )
    }
    seen: set[str] = set()
    for row in rows:
        # An officer on a bad row is still in the file: never "missing".
        seen.add(row.badge_no)
        unit = resolve_unit(tx, row.unit, now, result.units_created)
        if isinstance(unit, str):
            result.errors.append((row.line, unit))
            continue
        old = existing.get(row.badge_no)
        if old is None:
            oid = tx.insert(
                "INSERT INTO officers (badge_no, name, unit_id, kind, status, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (row.badge_no, row.name, unit.id, row.kind, str(OfficerStatus.ACTIVE), now, now),
            )
            issue_token(tx, oid, now)
            result.created.append(row.badge_no)
        elif (old["name"], int(old["unit_id"]), old["kind"], old["status"]) != (
            row.name,
            unit.id,
            row.kind,
            OfficerStatus.ACTIVE,
        ):
            tx.run(
                "UPDATE officers SET name = ?, unit_id = ?, kind = ?, status = ?, "
                "updated_at = ? WHERE id = ?",
                (row.name, unit.id, row.kind, str(OfficerStatus.ACTIVE), now, old["id"]),
            )
            _pages_changed(tx)
            if (
                tx.one(
                    "SELECT 1 FROM badge_tokens WHERE officer_id = ? AND revoked_at IS NULL",
                    (old["id"],),
                )
                is None
            ):
                issue_token(tx, int(old["id"]), now)
            result.updated.append(row.badge_no)
        else:
            result.unchanged.append(row.badge_no)
    result.missing = sorted(
        b for b, r in existing.items() if b not in seen and r["status"] == OfficerStatus.ACTIVE
    )
    if result.errors:
        result.errors.sort()
        if not skip_bad:
            raise RollBack(result)
    if retire_missing and result.missing:
        _pages_changed(tx)
        for badge in result.missing:
            tx.run(
                "UPDATE officers SET status = ?, updated_at = ? WHERE badge_no = ?",
                (str(OfficerStatus.RETIRED), now, badge),
            )
        result.retired = list(result.missing)
    return result


# ---------------------------------------------------------------- ratings


def bump_counter(tx: Tx, bucket: str, window_start: int) -> int:
    """Count one hit in a fixed-window counter row and return the window's total."""
    row = tx.one(
        "INSERT INTO rate_limits (bucket, window_start, hits) VALUES (?, ?, 1) "
        "ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + 1 "
        "RETURNING hits",
        (bucket, window_start),
    )
    assert row is not None
    return int(row[0])


def prune_counters(tx: Tx, now: int) -> int:
    return tx.run("DELETE FROM rate_limits WHERE window_start < ?", (now - 2 * HOUR_MS,))


# The rows apply_rating reads, by name: the token's officer, and an earlier rating the
# submission amends.
_TOKEN_COLUMNS = {
    "officer_id": "t.officer_id",
    "revoked_at": "t.revoked_at",
    "unit_id": "o.unit_id",
    "status": "o.status",
}
_EARLIER_COLUMNS = {name: name for name in ("id", "receipt", "level", "reasons", "comment")}
_EARLIER_COLS = select_list(_EARLIER_COLUMNS)


def apply_rating(tx: Tx, sub: RatingSubmission, limits: RateLimits, now: int) -> RatingResult:
    """Store one rating, or amend the same device's recent rating of the same officer."""
    if sub.device_hash:
        # Several app instances on one database: without this, two of them could both
        # find no earlier rating (or both stay under the device limit) and both insert.
        tx.lock("device:" + sub.device_hash)
    if sub.idempotency_key:
        row = tx.one(
            "SELECT id, receipt FROM ratings WHERE idempotency_key = ?", (sub.idempotency_key,)
        )
        if row:
            return RatingResult(Outcome.REPLAYED, row[1], int(row[0]))
    at = sub.at_ms or now
    since = at - limits.amend_window_ms
    row = tx.one_cached(
        f"SELECT {select_list(_TOKEN_COLUMNS)} FROM badge_tokens t "
        "JOIN officers o ON o.id = t.officer_id WHERE t.token = ?",
        (sub.token,),
    )
    if row is None:
        return RatingResult(Outcome.UNKNOWN_TOKEN)
    token = named(_TOKEN_COLUMNS, row)
    if token["revoked_at"] is not None:
        return RatingResult(Outcome.REVOKED_TOKEN)
    if token["status"] != OfficerStatus.ACTIVE:
        return RatingResult(Outcome.RETIRED_OFFICER)
    officer_id, unit_id = int(token["officer_id"]), int(token["unit_id"])
    # The device's recent ratings (id, officer_id, created_at), newest first: one look
    # serves both the device limit (ratings stored in the last hour; an amendment is not
    # a new one) and the amend window below. The rate limit keeps this list short.
    recent = (
        tx.recent_by_device(sub.device_hash, min(now - HOUR_MS, since)) if sub.device_hash else []
    )
    found = None
    if sub.stamp:
        # One page load, one matter: a rating already created from this page's stamp is
        # amended, whatever device or address the request comes from. Two instances that
        # race here both insert; the UNIQUE index fails the second, whose retry amends.
        found = tx.one(
            f"SELECT {_EARLIER_COLS} FROM ratings WHERE stamp = ? AND officer_id = ?",
            (sub.stamp, officer_id),
        )
    if found is None and sub.receipt:
        # The receipt proves the same matter, so details sent from the receipt page amend
        # the rating even if the page sat open past the device window; not forever, though.
        match, params = receipt_match(tx, sub.receipt)
        found = tx.one(
            f"SELECT {_EARLIER_COLS} FROM ratings r "
            f"WHERE {match} AND r.officer_id = ? AND r.created_at >= ?",
            (*params, officer_id, at - RECEIPT_AMEND_MS),
        )
    if found is None:
        same = next((r for r in recent if r[1] == officer_id and r[2] >= since), None)
        if same is not None:
            found = tx.one(f"SELECT {_EARLIER_COLS} FROM ratings WHERE id = ?", (same[0],))
    earlier = None if found is None else named(_EARLIER_COLUMNS, found)
    # Limits (docs/settings.md): an amendment is not a new rating, so the device limit
    # neither counts nor refuses it; a request the device limit refuses is not counted
    # toward the network limit. The network limit counts every write it lets through.
    if earlier is None and (
        sum(1 for r in recent if r[2] >= now - HOUR_MS) >= limits.device_per_hour
    ):
        return RatingResult(Outcome.RATE_LIMITED, limited_by="device")
    if sub.network_hash and tx.count_hit("n:" + sub.network_hash, now - now % HOUR_MS) > (
        limits.network_per_hour
    ):
        return RatingResult(Outcome.RATE_LIMITED, limited_by="network")
    reasons = ",".join(sub.reasons)
    if earlier is not None:
        tx.run(
            "INSERT INTO rating_revisions (rating_id, level, reasons, comment, replaced_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (earlier["id"], earlier["level"], earlier["reasons"], earlier["comment"], now),
        )
        # A details post without a phone keeps the one given before; a rating amended to
        # satisfied keeps only a phone given with it (the spot-check consent, issue 19),
        # never the one left for a complaint's call back.
        phone_sql = (
            "phone_enc = ?, phone_hash = ?, phone_mask = ?"
            if sub.level > 2
            else "phone_enc = COALESCE(?, phone_enc), phone_hash = COALESCE(?, phone_hash), "
            "phone_mask = COALESCE(?, phone_mask)"
        )
        phone_params = (sub.phone_enc, sub.phone_hash, sub.phone_mask)
        tx.run(
            f"UPDATE ratings SET level = ?, reasons = ?, comment = ?, {phone_sql}, lang = ?, "
            "updated_at = ?, amend_count = amend_count + 1 WHERE id = ?",
            (sub.level, reasons, sub.comment, *phone_params, sub.lang, now, earlier["id"]),
        )
        cases_logic.on_rating(tx, int(earlier["id"]), sub.level, now, limits.deadlines)
        return RatingResult(Outcome.AMENDED, earlier["receipt"], int(earlier["id"]))
    rating_id, key = tx.new_rating_id()
    codec, values = codec_for(key), _rating_values(sub, officer_id, unit_id, reasons, at, now)
    variant = 0
    # A code equal to a receipt issued before codes came from ids (a chance of about one
    # in 2**60 / the number of such receipts) takes the next variant.
    while not tx.run(
        "INSERT INTO ratings (id, receipt, officer_id, unit_id, token, channel, level, "
        "reasons, comment, phone_enc, phone_hash, phone_mask, device_hash, network_hash, "
        "idempotency_key, lang, created_at, updated_at, stamp, fast) "
        "SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? "
        "WHERE NOT EXISTS (SELECT 1 FROM legacy_receipts WHERE receipt = ?)",
        (rating_id, receipt := codec.encode(rating_id, variant), *values, receipt),
    ):
        variant += 1
    if sub.device_hash:
        tx.note_rating(sub.device_hash, rating_id, officer_id, at)
    if sub.level <= 2:  # a rating just inserted has no case to close or re-open
        cases_logic.on_rating(tx, rating_id, sub.level, now, limits.deadlines)
    return RatingResult(Outcome.CREATED, receipt, rating_id)


def device_ratings(tx: Tx, device_hash: str, since: int) -> list[tuple[int, int, int]]:
    """A device's ratings created since `since`: (id, officer_id, created_at), newest first
    (`Tx.recent_by_device` where the database is asked)."""
    return [
        (int(r[0]), int(r[1]), int(r[2]))
        for r in tx.all(
            "SELECT id, officer_id, created_at FROM ratings "
            "WHERE device_hash = ? AND created_at >= ? ORDER BY created_at DESC",
            (device_hash, since),
        )
    ]


def _rating_values(
    sub: RatingSubmission,
    officer_id: int,
    unit_id: int,
    reasons: str,
    at: int,
    now: int,
) -> tuple[Any, ...]:
    return (
        officer_id,
        unit_id,
        sub.token,
        sub.channel,
        sub.level,
        reasons,
        sub.comment,
        sub.phone_enc,
        sub.phone_hash,
        sub.phone_mask,
        sub.device_hash,
        sub.network_hash,
        sub.idempotency_key,
        sub.lang,
        at,
        now,
        sub.stamp,
        1 if sub.fast else 0,
    )


_RATING_VIEW_COLUMNS = {
    "receipt": "r.receipt",
    "level": "r.level",
    "reasons": "r.reasons",
    "comment": "r.comment",
    "channel": "r.channel",
    "has_phone": "r.phone_enc IS NOT NULL",
    "officer_name": "o.name",
    "badge_no": "o.badge_no",
    "unit_path": "u.path",
    "token": "r.token",
    "created_at": "r.created_at",
    "updated_at": "r.updated_at",
    "amend_count": "r.amend_count",
}


def rating_by_receipt(tx: Tx, receipt: str) -> RatingView | None:
    f = named_by_receipt(
        tx,
        _RATING_VIEW_COLUMNS,
        "ratings r JOIN officers o ON o.id = r.officer_id JOIN units u ON u.id = r.unit_id",
        receipt,
    )
    if f is None:
        return None
    return RatingView(
        receipt=f["receipt"],
        level=int(f["level"]),
        reasons=tuple(x for x in f["reasons"].split(",") if x),
        comment=f["comment"],
        channel=f["channel"],
        has_phone=bool(f["has_phone"]),
        officer_name=f["officer_name"],
        badge_no=f["badge_no"],
        unit_name=f["unit_path"].rsplit("/", 1)[-1],
        token=f["token"],
        created_at=int(f["created_at"]),
        updated_at=int(f["updated_at"]),
        amend_count=int(f["amend_count"]),
    )


def count_ratings(tx: Tx) -> int:
    row = tx.one("SELECT COUNT(*) FROM ratings")
    return int(row[0]) if row else 0

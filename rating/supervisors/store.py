"""Supervisors' units of work on a Tx (both databases run the same rules): appointing,
ending a term, revoking and reissuing the personal link, filing a report (with its case,
routed to the discipline unit, in the same transaction) and reading a supervisor's own
reports with their progress."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rating.cases.audit import audit
from rating.cases.loop import open_case
from rating.cases.model import Actor, CaseSource, CaseState, Deadlines
from rating.cases.purged_photos import count_report_photo
from rating.crypto import RECEIPT_LENGTH, random_code
from rating.domain_errors import NotFound
from rating.mailbox.models import LetterPhoto
from rating.store.tx import named, select_list
from rating.supervisors.model import (
    CATEGORY,
    Filed,
    LinkLookup,
    LinkState,
    ReportInput,
    ReportView,
    Supervisor,
)

if TYPE_CHECKING:
    from rating.store.tx import Tx

HOUR_MS = 3_600_000
# A person reports a few things a day; a link passed on (or a script) is stopped here.
REPORTS_PER_HOUR = 20
# Who appears in the audit log when the command line acts (it has no signed-in user).
CLI_ACTOR = "命令行"

_SUPERVISOR_COLUMNS = {
    "id": "s.id",
    "name": "s.name",
    "phone_mask": "s.phone_mask",
    "term_start": "s.term_start",
    "term_end": "s.term_end",
    "created_at": "s.created_at",
    "ended_at": "s.ended_at",
    "token": "t.token",
    "reports": "(SELECT COUNT(*) FROM supervisor_reports r WHERE r.supervisor_id = s.id)",
}
_SUPERVISOR_SELECT = (
    f"SELECT {select_list(_SUPERVISOR_COLUMNS)} "
    "FROM supervisors s LEFT JOIN supervisor_tokens t "
    "ON t.supervisor_id = s.id AND t.revoked_at IS NULL"
)


def _supervisor(row: tuple[Any, ...]) -> Supervisor:
    f = named(_SUPERVISOR_COLUMNS, row)
    return Supervisor(
        **{
            **f,
            "id": int(f["id"]),
            "created_at": int(f["created_at"]),
            "reports": int(f["reports"]),
        }
    )


def _audit(tx: Tx, now: int, actor: Actor | None, action: str, note: str) -> None:
    audit(tx, now, actor, action, note=note, actor_name=CLI_ACTOR)


def _new_token(tx: Tx, supervisor_id: int, now: int) -> str:
    tx.run(
        "UPDATE supervisor_tokens SET revoked_at = ? WHERE supervisor_id = ? "
        "AND revoked_at IS NULL",
        (now, supervisor_id),
    )
    token = random_code(RECEIPT_LENGTH)
    while tx.one("SELECT 1 FROM supervisor_tokens WHERE token = ?", (token,)) is not None:
        token = random_code(RECEIPT_LENGTH)  # 60 random bits: practically never
    tx.run(
        "INSERT INTO supervisor_tokens (token, supervisor_id, issued_at) VALUES (?, ?, ?)",
        (token, supervisor_id, now),
    )
    return token


# ---------------------------------------------------------------- the roll


def add_supervisor(
    tx: Tx,
    name: str,
    phone: tuple[str, str, str] | None,
    term: tuple[str, str],
    actor: Actor | None,
    now: int,
) -> Supervisor:
    """Appoint a supervisor (phone: encrypted, hash, mask) and issue the personal link."""
    enc, digest, mask = phone if phone else (None, None, None)
    sid = tx.insert(
        "INSERT INTO supervisors (name, phone_enc, phone_hash, phone_mask, term_start, "
        "term_end, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (name, enc, digest, mask, term[0], term[1], now, actor.id if actor else None),
    )
    _new_token(tx, sid, now)
    _audit(tx, now, actor, "supervisor_add", f"#{sid} {name} {term[0]}..{term[1]}")
    return get_supervisor(tx, sid)


def list_supervisors(tx: Tx) -> list[Supervisor]:
    """Every supervisor, current terms first, then by name."""
    rows = tx.all(_SUPERVISOR_SELECT + " ORDER BY s.ended_at IS NOT NULL, s.term_end DESC, s.id")
    return [_supervisor(r) for r in rows]


def get_supervisor(tx: Tx, supervisor_id: int) -> Supervisor:
    row = tx.one(_SUPERVISOR_SELECT + " WHERE s.id = ?", (supervisor_id,))
    if row is None:
        raise NotFound(f"no supervisor #{supervisor_id}", "未找到该监督员")
    return _supervisor(row)


def end_term(tx: Tx, supervisor_id: int, actor: Actor | None, now: int) -> Supervisor:
    """End the term now (the link refuses from then on; the reports and cases stay)."""
    found = get_supervisor(tx, supervisor_id)
    if found.ended_at is None:
        tx.run("UPDATE supervisors SET ended_at = ? WHERE id = ?", (now, supervisor_id))
        _audit(tx, now, actor, "supervisor_end", f"#{supervisor_id} {found.name}")
    return get_supervisor(tx, supervisor_id)


def revoke_link(tx: Tx, supervisor_id: int, actor: Actor | None, now: int) -> Supervisor:
    """Revoke the personal link (a lost phone): it answers "revoked" until reissued."""
    found = get_supervisor(tx, supervisor_id)
    if found.token is not None:
        tx.run(
            "UPDATE supervisor_tokens SET revoked_at = ? WHERE supervisor_id = ? "
            "AND revoked_at IS NULL",
            (now, supervisor_id),
        )
        _audit(tx, now, actor, "supervisor_revoke", f"#{supervisor_id} {found.name}")
    return get_supervisor(tx, supervisor_id)


def reissue_link(tx: Tx, supervisor_id: int, actor: Actor | None, now: int) -> Supervisor:
    """A fresh link; the old one answers "revoked" from now on."""
    found = get_supervisor(tx, supervisor_id)
    _new_token(tx, supervisor_id, now)
    _audit(tx, now, actor, "supervisor_reissue", f"#{supervisor_id} {found.name}")
    return get_supervisor(tx, supervisor_id)


def unit_path_of(tx: Tx, code: str) -> str | None:
    """The path of the unit with `code` (the discipline unit's, shown on the roll)."""
    row = tx.one("SELECT path FROM units WHERE code = ?", (code,)) if code else None
    return None if row is None else str(row[0])


# ---------------------------------------------------------------- the link


def lookup(tx: Tx, token: str, day: str) -> LinkLookup:
    """The link's state on `day` (YYYY-MM-DD, Asia/Shanghai) and its supervisor."""
    row = tx.one(
        "SELECT supervisor_id, revoked_at FROM supervisor_tokens WHERE token = ?", (token,)
    )
    if row is None:
        return LinkLookup(LinkState.UNKNOWN)
    found = get_supervisor(tx, int(row[0]))
    if row[1] is not None:
        return LinkLookup(LinkState.REVOKED, found)
    return LinkLookup(found.state_on(day), found)


def file_report(
    tx: Tx,
    token: str,
    inp: ReportInput,
    day: str,
    now: int,
    route_code: str,
    counts: Deadlines,
) -> Filed:
    """Store one report and its photos, open its case and route it, all or nothing.

    Refused (nothing stored) when the link is not live on `day`, the supervisor sent
    REPORTS_PER_HOUR reports in the last hour ("limit"), or the badge number is not an
    active officer's ("badge"). A second post of the same page (same form stamp) answers the
    first report. The case is dispatched at once to the unit whose code is `route_code`
    (the discipline unit, 督察); with no such unit it waits, received, for the centre."""
    tx.lock("supervisor-link:" + token)
    found = lookup(tx, token, day)
    if found.state is not LinkState.LIVE or found.supervisor is None:
        return Filed(None, refused=str(found.state))
    if inp.stamp:
        row = tx.one("SELECT id FROM supervisor_reports WHERE stamp = ?", (inp.stamp,))
        if row is not None:
            return Filed(int(row[0]))
    recent = tx.one(
        "SELECT COUNT(*) FROM supervisor_reports WHERE supervisor_id = ? AND created_at > ?",
        (found.supervisor.id, now - HOUR_MS),
    )
    if recent is not None and int(recent[0]) >= REPORTS_PER_HOUR:
        return Filed(None, refused="limit")
    officer = tx.one(
        "SELECT id, unit_id FROM officers WHERE badge_no = ? AND status = 'active'",
        (inp.badge_no,),
    )
    if officer is None:
        return Filed(None, refused="badge")
    officer_id, unit_id = int(officer[0]), int(officer[1])
    report_id = tx.insert(
        "INSERT INTO supervisor_reports (supervisor_id, officer_id, unit_id, place, event_at, "
        "body, lang, stamp, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (found.supervisor.id, officer_id, unit_id, inp.place, inp.event_at, inp.body, inp.lang,
         inp.stamp, now),
    )  # fmt: skip
    for position, photo in enumerate(inp.photos, start=1):
        tx.run(
            "INSERT INTO supervisor_report_photos (report_id, position, data, mime, width, "
            "height, size) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (report_id, position, photo.data, photo.mime, photo.width, photo.height,
             len(photo.data)),
        )  # fmt: skip
    case_id = open_case(tx, CaseSource.SUPERVISOR, report_id, unit_id, CATEGORY, now, counts)
    tx.run("UPDATE cases SET officer_id = ? WHERE id = ?", (officer_id, case_id))
    target = (
        tx.one("SELECT id, path FROM units WHERE code = ?", (route_code,)) if route_code else None
    )
    if target is not None:
        route(tx, case_id, int(target[0]), str(target[1]), now)
    return Filed(report_id, created=True)


def route(tx: Tx, case_id: int, unit_id: int, path: str, now: int) -> None:
    """Accept the new case under its category and dispatch it to the discipline unit, as
    the centre's accept and dispatch steps would (rating/cases/loop.py), audited as the
    system's: due by the category's SLA time, the unit then replies through the loop."""
    tx.run(
        "UPDATE cases SET state = ?, accepted_at = ?, step_due_at = sla_due_at, "
        "step_due_provisional = 0, updated_at = ? WHERE id = ?",
        (str(CaseState.ACCEPTED), now, now, case_id),
    )
    audit(tx, now, None, "accept", case_id=case_id, from_state=str(CaseState.RECEIVED),
          to_state=str(CaseState.ACCEPTED), note=f"[{CATEGORY}]")  # fmt: skip
    tx.run(
        "UPDATE cases SET state = ?, dispatch_unit_id = ?, dispatched_at = ?, "
        "dispatch_count = dispatch_count + 1, updated_at = ? WHERE id = ?",
        (str(CaseState.DISPATCHED), unit_id, now, now, case_id),
    )
    audit(tx, now, None, "dispatch", case_id=case_id, from_state=str(CaseState.ACCEPTED),
          to_state=str(CaseState.DISPATCHED), note=f"→ {path}")  # fmt: skip


def reports_of(tx: Tx, supervisor_id: int, limit: int = 100) -> list[ReportView]:
    """The supervisor's own reports, newest first, each with its case's state and the
    unit's reply (nothing of anyone else's)."""
    rows = tx.all(
        "SELECT r.id, o.badge_no, o.name, r.place, r.event_at, r.body, r.created_at, "
        "(SELECT COUNT(*) FROM supervisor_report_photos p WHERE p.report_id = r.id), "
        "c.state, c.reply, c.replied_at FROM supervisor_reports r "
        "JOIN officers o ON o.id = r.officer_id "
        "LEFT JOIN cases c ON c.source = 'supervisor' AND c.source_id = r.id "
        "WHERE r.supervisor_id = ? ORDER BY r.id DESC LIMIT ?",
        (supervisor_id, limit),
    )
    return [
        ReportView(
            int(r[0]), r[1], r[2], r[3], int(r[4]), r[5], int(r[6]), int(r[7]), r[8], r[9], r[10]
        )  # fmt: skip
        for r in rows
    ]


def report_photos(tx: Tx, report_id: int) -> list[LetterPhoto]:
    """The report's photos in the order the supervisor sent them (none once purged)."""
    rows = tx.all(
        "SELECT id, mime, width, height, size, position FROM supervisor_report_photos "
        "WHERE report_id = ? ORDER BY position",
        (report_id,),
    )
    return [LetterPhoto(int(r[0]), r[1], int(r[2]), int(r[3]), int(r[4]), int(r[5])) for r in rows]


def report_photo_at(tx: Tx, report_id: int, position: int) -> tuple[bytes, str] | None:
    """The report's photo number `position` (from 1): its bytes and type, or None."""
    row = tx.one(
        "SELECT data, mime FROM supervisor_report_photos WHERE report_id = ? AND position = ?",
        (report_id, position),
    )
    return (bytes(row[0]), row[1]) if row else None


# ---------------------------------------------------------------- retention


def purge(tx: Tx, cutoff: int, cutoff_day: str, chunk: int) -> int:
    """Personal data past its use: the photos of reports whose case closed before `cutoff`
    (the report's text stays, the bureau's record), and the phones of supervisors whose
    term ended before `cutoff` (`cutoff_day`, its date in Asia/Shanghai). The count."""
    photos = [
        int(r[0])
        for r in tx.all(
            "SELECT p.id FROM supervisor_report_photos p "
            "JOIN cases c ON c.source = 'supervisor' AND c.source_id = p.report_id "
            "WHERE c.state = ? AND c.closed_at < ? LIMIT ?",
            (str(CaseState.CLOSED), cutoff, chunk),
        )
    ]
    for pid in photos:
        count_report_photo(tx, pid)  # the case page then says how many went
        tx.run("DELETE FROM supervisor_report_photos WHERE id = ?", (pid,))
    phones = tx.run(
        "UPDATE supervisors SET phone_enc = NULL, phone_hash = NULL, phone_mask = NULL "
        "WHERE phone_enc IS NOT NULL AND (ended_at < ? OR term_end < ?)",
        (cutoff, cutoff_day),
    )
    return len(photos) + phones


def record_purge(tx: Tx, now: int, count: int) -> None:
    audit(tx, now, None, "purge", note="supervisor phones and photos", items=count)

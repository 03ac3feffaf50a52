"""Supervisors' named operations for the pages and the CLI: each call one transaction.

Terms are dates in Asia/Shanghai (both days included): a link works from the first day's
00:00 to the last day's 24:00 there, whatever the server's own time zone."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from rating.cases.model import Actor
from rating.clock import now_ms
from rating.crypto import Keys, mask_phone, normalize_phone
from rating.domain_errors import Invalid
from rating.mailbox.models import LetterPhoto
from rating.store import Store
from rating.supervisors import store as logic
from rating.supervisors.model import (
    MAX_NAME,
    Filed,
    LinkLookup,
    ReportInput,
    ReportView,
    Supervisor,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A term longer than this is a typo (a year of 2206), not an appointment.
MAX_TERM_DAYS = 5 * 366


def local_day(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, SHANGHAI).date().isoformat()


def check_appointment(
    name: str, phone: str, term_start: str, term_end: str
) -> tuple[str, str | None, tuple[str, str]]:
    """The checked (name, phone or None, (start, end)); Invalid naming the field."""
    name = " ".join(name.split())
    if not name:
        raise Invalid("name: required", "请填写姓名（name）")
    if len(name) > MAX_NAME:
        raise Invalid(f"name: at most {MAX_NAME} characters", f"姓名最多 {MAX_NAME} 字（name）")
    number: str | None = None
    if phone.strip():
        number = normalize_phone(phone.strip())
        if number is None:
            raise Invalid(
                "phone: not a valid mainland mobile or landline number",
                "电话格式不正确（phone）",
            )
    days: list[date] = []
    for field, value in (("term_start", term_start), ("term_end", term_end)):
        try:
            days.append(date.fromisoformat(value.strip()))
        except ValueError:
            raise Invalid(
                f"{field}: a date, YYYY-MM-DD", f"日期格式应为 YYYY-MM-DD（{field}）"
            ) from None
    start, end = days
    if end < start:
        raise Invalid("term_end: before term_start", "任期结束日期早于开始日期（term_end）")
    if (end - start).days > MAX_TERM_DAYS:
        raise Invalid("term_end: a term of at most five years", "任期最长五年（term_end）")
    return name, number, (start.isoformat(), end.isoformat())


async def add(
    store: Store,
    keys: Keys,
    actor: Actor | None,
    name: str,
    phone: str,
    term_start: str,
    term_end: str,
    now: int | None = None,
) -> Supervisor:
    """Appoint a supervisor and issue the personal link (audited)."""
    name, number, term = check_appointment(name, phone, term_start, term_end)
    stored = (
        (keys.encrypt_phone(number), keys.phone_hash(number), mask_phone(number))
        if number
        else None
    )
    at = now_ms() if now is None else now
    return await store.write(logic.add_supervisor, name, stored, term, actor, at)


async def roll(store: Store) -> list[Supervisor]:
    return await store.read(logic.list_supervisors)


async def get(store: Store, supervisor_id: int) -> Supervisor:
    return await store.read(logic.get_supervisor, supervisor_id)


async def end_term(store: Store, supervisor_id: int, actor: Actor | None) -> Supervisor:
    return await store.write(logic.end_term, supervisor_id, actor, now_ms())


async def revoke(store: Store, supervisor_id: int, actor: Actor | None) -> Supervisor:
    return await store.write(logic.revoke_link, supervisor_id, actor, now_ms())


async def reissue(store: Store, supervisor_id: int, actor: Actor | None) -> Supervisor:
    return await store.write(logic.reissue_link, supervisor_id, actor, now_ms())


async def discipline_unit(store: Store, code: str) -> str | None:
    """The path of the unit PINGJING_SUPERVISOR_UNIT names; None when it names none."""
    return await store.read(logic.unit_path_of, code)


async def lookup(store: Store, token: str, now: int | None = None) -> LinkLookup:
    at = now_ms() if now is None else now
    return await store.read(logic.lookup, token, local_day(at))


async def file_report(
    store: Store, token: str, inp: ReportInput, route_code: str, now: int | None = None
) -> Filed:
    """Store the report with its case, routed to the unit `route_code` (the setting
    PINGJING_SUPERVISOR_UNIT); see rating/supervisors/store.file_report."""
    at = now_ms() if now is None else now
    return await store.write(
        logic.file_report, token, inp, local_day(at), at, route_code, store.limits.deadlines
    )


async def reports_of(store: Store, supervisor_id: int) -> list[ReportView]:
    return await store.read(logic.reports_of, supervisor_id)


PURGE_CHUNK = 2000


async def report_photos(store: Store, report_id: int) -> list[LetterPhoto]:
    """A report's photos, for staff in scope only (the caller checks the case's scope)."""
    return await store.read(logic.report_photos, report_id)


async def report_photo_at(store: Store, report_id: int, position: int) -> tuple[bytes, str] | None:
    """A report's photo number `position` (from 1), for staff in scope only."""
    return await store.read(logic.report_photo_at, report_id, position)


async def purge(store: Store, cutoff: int, now: int | None = None) -> int:
    """Photos of reports whose case closed, and phones of supervisors whose term ended,
    before `cutoff`, in chunks, then one audit entry (action `purge`, note "supervisor
    phones and photos"); the count. Run by `pingjing purge` and the daily purge
    (rating/cases/service.run_purge), with the phones' retention."""
    total = 0
    while True:
        n = await store.write(logic.purge, cutoff, local_day(cutoff), PURGE_CHUNK)
        total += n
        if n < PURGE_CHUNK:
            break
    await store.write(logic.record_purge, now_ms() if now is None else now, total)
    return total


def link(base_url: str, token: str) -> str:
    """The personal link as given to the supervisor."""
    return f"{base_url.rstrip('/')}/supervisor/{token}"

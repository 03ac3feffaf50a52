"""Supervisors' rules on both databases: the link's states over a term, revoke and reissue,
a report with its case routed to the discipline unit in one transaction, the refusals that
store nothing, and a supervisor's page showing only their own reports and progress."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest

from rating.admin import auth
from rating.cases import service as cases
from rating.cases.model import Actor
from rating.clock import now_ms
from rating.crypto import Keys
from rating.domain_errors import Invalid
from rating.mailbox.models import Photo
from rating.store import Store
from rating.store.logic import unit_code_for_path
from rating.supervisors import service
from rating.supervisors.model import LinkState, ReportInput
from rating.supervisors.service import SHANGHAI
from rating.supervisors.store import REPORTS_PER_HOUR
from tests.backends import BACKENDS, roster_store

KEYS = Keys("test-secret-not-for-production")
BUREAU = "张家口市公安局"
DUCHA = unit_code_for_path(BUREAU)  # the discipline unit of these tests: the bureau itself
DAY_MS = 86_400_000


def day(offset: int) -> str:
    return (date.fromisoformat(service.local_day(now_ms())) + timedelta(days=offset)).isoformat()


def midnight(text: str) -> int:
    """00:00 of the day `text` in Asia/Shanghai, epoch ms."""
    start = datetime.combine(date.fromisoformat(text), time(0), tzinfo=SHANGHAI)
    return int(start.timestamp() * 1000)


def report(badge: str = "100001", stamp: str | None = "s1", **kw: object) -> ReportInput:
    values: dict[str, object] = {
        "badge_no": badge, "place": "胜利路派出所户籍窗口", "event_at": now_ms() - 3_600_000,
        "body": "民警办理业务时态度生硬", "lang": "zh", "stamp": stamp,
    }  # fmt: skip
    values.update(kw)
    return ReportInput(**values)  # type: ignore[arg-type]


async def admin(store: Store) -> Actor:
    await store.write(auth.add_user, "centre", "admin", None, "x", now_ms())
    row = await store.read(lambda tx: tx.one("SELECT id FROM admin_users WHERE name = 'centre'"))
    return Actor(int(row[0]), "centre", "admin")


async def scalar(store: Store, sql: str, params: tuple[object, ...] = ()) -> object:
    row = await store.read(lambda tx: tx.one(sql, params))
    return None if row is None else row[0]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_the_link_works_only_within_the_term_and_until_revoked(
    backend: str, tmp_path: Path
) -> None:
    async with roster_store(backend, tmp_path) as store:
        me = await admin(store)
        now = now_ms()
        later = await service.add(store, KEYS, me, "赵六", "", day(1), day(30))
        gone = await service.add(store, KEYS, me, "钱七", "", day(-30), day(-1))
        x = await service.add(store, KEYS, me, " 张 三 ", "138-1234-5678", day(0), day(365))
        assert x.name == "张 三" and x.phone_mask == "138****5678" and x.token
        enc = await scalar(store, "SELECT phone_enc FROM supervisors WHERE id = ?", (x.id,))
        assert KEYS.decrypt_phone(str(enc)) == "13812345678" and "13812345678" not in str(enc)
        assert later.token and gone.token
        assert (await service.lookup(store, later.token, now)).state is LinkState.NOT_STARTED
        assert (await service.lookup(store, gone.token, now)).state is LinkState.ENDED
        assert (await service.lookup(store, x.token, now)).state is LinkState.LIVE
        assert (await service.lookup(store, "0" * 12, now)).state is LinkState.UNKNOWN
        # Both days count whole, in Shanghai: the term of `later` runs from its first day's
        # 00:00 to the 24:00 of its last.
        first, after = midnight(day(1)), midnight(day(31))
        assert (await service.lookup(store, later.token, first - 1)).state is LinkState.NOT_STARTED
        assert (await service.lookup(store, later.token, first)).state is LinkState.LIVE
        assert (await service.lookup(store, later.token, after - 1)).state is LinkState.LIVE
        assert (await service.lookup(store, later.token, after)).state is LinkState.ENDED

        old = x.token
        revoked = await service.revoke(store, x.id, me)
        assert revoked.token is None
        assert (await service.lookup(store, old, now)).state is LinkState.REVOKED
        fresh = await service.reissue(store, x.id, me)
        assert fresh.token and fresh.token != old
        assert (await service.lookup(store, fresh.token, now)).state is LinkState.LIVE
        assert (await service.lookup(store, old, now)).state is LinkState.REVOKED
        ended = await service.end_term(store, x.id, me)
        assert ended.ended_at is not None
        assert (await service.lookup(store, fresh.token, now)).state is LinkState.ENDED
        assert (await service.file_report(store, fresh.token, report(), DUCHA)).refused == "ended"
        # The roll: terms not ended early first, latest end first; the ended one last.
        assert [s.name for s in await service.roll(store)] == ["赵六", "钱七", "张 三"]
        assert await scalar(store, "SELECT COUNT(*) FROM supervisor_reports") == 0
        actions = await store.read(
            lambda tx: tx.all(
                "SELECT action, actor_name FROM audit_log WHERE action LIKE 'supervisor%' "
                "ORDER BY id"
            )
        )
        assert [a for a, _ in actions] == [
            "supervisor_add", "supervisor_add", "supervisor_add", "supervisor_revoke",
            "supervisor_reissue", "supervisor_end",
        ]  # fmt: skip
        assert {n for _, n in actions} == {"centre"}


@pytest.mark.parametrize("backend", BACKENDS)
async def test_appointments_are_checked_field_by_field(backend: str, tmp_path: Path) -> None:
    async with roster_store(backend, tmp_path) as store:
        cases_ = [
            (("", "", day(0), day(1)), "name"),
            (("张三", "12345", day(0), day(1)), "phone"),
            (("张三", "", "2026-13-01", day(1)), "term_start"),
            (("张三", "", day(1), day(0)), "term_end"),
            (("张三", "", day(0), day(3000)), "term_end"),
        ]
        for args, field in cases_:
            with pytest.raises(Invalid) as exc:
                await service.add(store, KEYS, None, *args)
            assert exc.value.en.startswith(field + ":"), exc.value.en
        assert await scalar(store, "SELECT COUNT(*) FROM supervisors") == 0


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_report_opens_its_case_dispatched_to_the_discipline_unit(
    backend: str, tmp_path: Path
) -> None:
    async with roster_store(backend, tmp_path) as store:
        me = await admin(store)
        x = await service.add(store, KEYS, me, "张三", "", day(0), day(30))
        assert x.token
        photo = Photo(b"\xff\xd8jpeg", "image/jpeg", 4, 3)

        unknown = await service.file_report(store, x.token, report(badge="999999"), DUCHA)
        assert unknown.refused == "badge" and unknown.report_id is None
        assert await scalar(store, "SELECT COUNT(*) FROM supervisor_reports") == 0
        assert await scalar(store, "SELECT COUNT(*) FROM cases") == 0

        filed = await service.file_report(store, x.token, report(photos=(photo,)), DUCHA)
        assert filed.created and filed.report_id
        again = await service.file_report(store, x.token, report(photos=(photo,)), DUCHA)
        assert again.report_id == filed.report_id and not again.created  # same page: one report
        case = await store.read(
            lambda tx: tx.one(
                "SELECT c.id, c.state, c.category, o.badge_no, u.path, d.path, c.sla_due_at, "
                "c.step_due_at FROM cases c JOIN officers o ON o.id = c.officer_id "
                "JOIN units u ON u.id = c.unit_id JOIN units d ON d.id = c.dispatch_unit_id "
                "WHERE c.source = 'supervisor' AND c.source_id = ?",
                (filed.report_id,),
            )
        )
        assert case is not None
        case_id, state, category, badge, unit, target, sla_due, step_due = case
        assert (state, category, badge) == ("dispatched", "监督员报告", "100001")
        assert unit.endswith("胜利路派出所") and target == BUREAU and step_due == sla_due
        audit = await store.read(
            lambda tx: tx.all(
                "SELECT action, from_state, to_state FROM audit_log WHERE case_id = ? ORDER BY id",
                (case_id,),
            )
        )
        assert audit == [
            ("open", None, "received"), ("accept", "received", "accepted"),
            ("dispatch", "accepted", "dispatched"),
        ]  # fmt: skip
        assert await scalar(store, "SELECT COUNT(*) FROM supervisor_report_photos") == 1

        # With no discipline unit set, the case waits for the centre (received).
        second = await service.file_report(store, x.token, report(stamp="s2"), "")
        assert await scalar(
            store, "SELECT state FROM cases WHERE source = 'supervisor' AND source_id = ?",
            (second.report_id,),
        ) == "received"  # fmt: skip

        # The same loop: the discipline unit replies; the supervisor sees state and reply.
        await cases.transition(store, case_id, me, "reply", {"reply": "已核查，对该民警批评教育"})
        shown = await service.reports_of(store, x.id)
        assert [r.id for r in shown] == [second.report_id, filed.report_id]
        assert shown[1].case_state == "replied" and shown[1].reply == "已核查，对该民警批评教育"
        assert shown[1].photos == 1 and shown[0].reply is None

        # Nothing of anyone else's.
        other = await service.add(store, KEYS, me, "李四", "", day(0), day(30))
        assert other.token
        await service.file_report(store, other.token, report(stamp="s3", badge="100003"), DUCHA)
        assert [r.id for r in await service.reports_of(store, x.id)] == [
            second.report_id, filed.report_id]  # fmt: skip
        assert [r.badge_no for r in await service.reports_of(store, other.id)] == ["100003"]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_retention_drops_closed_reports_photos_and_ended_terms_phones(
    backend: str, tmp_path: Path
) -> None:
    async with roster_store(backend, tmp_path) as store:
        me = await admin(store)
        x = await service.add(store, KEYS, me, "张三", "13812345678", day(0), day(30))
        old = await service.add(store, KEYS, me, "钱七", "13900001111", day(-90), day(-40))
        assert x.token
        photo = Photo(b"\xff\xd8jpeg", "image/jpeg", 4, 3)
        closed = await service.file_report(store, x.token, report(photos=(photo,)), DUCHA)
        open_ = await service.file_report(store, x.token, report(stamp="s2", photos=(photo,)),
                                          DUCHA)  # fmt: skip
        assert closed.report_id and open_.report_id
        case_id = await scalar(
            store, "SELECT id FROM cases WHERE source = 'supervisor' AND source_id = ?",
            (closed.report_id,),
        )  # fmt: skip
        for action, fields in (
            ("reply", {"reply": "已核查"}),
            ("callback", {"outcome": "reached", "note": "已联系"}),
            ("verify", {"verification": "unsubstantiated", "note": "无证据"}),
            ("close", {"note": "办结"}),
        ):
            await cases.transition(store, int(str(case_id)), me, action, fields)
        # 30 days' retention, run a day after the close: nothing yet but the old term's phone.
        now = now_ms()
        assert await service.purge(store, now - 30 * DAY_MS, now) == 1
        assert await scalar(store, "SELECT phone_mask FROM supervisors WHERE id = ?",
                            (old.id,)) is None  # fmt: skip
        assert await scalar(store, "SELECT phone_mask FROM supervisors WHERE id = ?",
                            (x.id,)) == "138****5678"  # fmt: skip
        assert await scalar(store, "SELECT COUNT(*) FROM supervisor_report_photos") == 2
        # Past the retention of the closed case: its photos go, the open one's stay.
        assert await service.purge(store, now + DAY_MS, now) == 1
        remaining = await store.read(
            lambda tx: tx.all("SELECT report_id FROM supervisor_report_photos")
        )
        assert remaining == [(open_.report_id,)]
        assert await scalar(store, "SELECT body FROM supervisor_reports WHERE id = ?",
                            (closed.report_id,)) == "民警办理业务时态度生硬"  # fmt: skip
        assert await scalar(
            store, "SELECT COUNT(*) FROM audit_log WHERE action = 'purge' "
            "AND note = 'supervisor phones and photos'",
        ) == 2  # fmt: skip


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_link_takes_at_most_reports_per_hour(backend: str, tmp_path: Path) -> None:
    async with roster_store(backend, tmp_path) as store:
        x = await service.add(store, KEYS, None, "张三", "", day(0), day(30))
        assert x.token
        now = now_ms()
        for i in range(REPORTS_PER_HOUR):
            assert (await service.file_report(store, x.token, report(stamp=f"n{i}"), DUCHA,
                                              now=now)).created  # fmt: skip
        over = await service.file_report(store, x.token, report(stamp="over"), DUCHA, now=now)
        assert over.refused == "limit" and over.report_id is None
        # A resend of a page already stored still answers its report.
        resent = await service.file_report(store, x.token, report(stamp="n0"), DUCHA, now=now)
        assert resent.report_id is not None and not resent.created
        assert await scalar(store, "SELECT COUNT(*) FROM supervisor_reports") == REPORTS_PER_HOUR
        assert await scalar(store, "SELECT COUNT(*) FROM cases") == REPORTS_PER_HOUR
        later = await service.file_report(
            store, x.token, report(stamp="later"), DUCHA, now=now + 3_600_000
        )
        assert later.created

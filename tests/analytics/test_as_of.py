"""A report for a past moment, made later, equals the report made then.

Everything goes through the real write paths with an injected clock (ratings and their
amendment, every case step, work-order imports and re-imports, aliases, the SLA table), on
SQLite (writer process and thread) and PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

import pandas.testing as pdt

from analytics.weekly import weekly_report
from rating.cases import logic, sla
from rating.cases.model import Actor
from rating.crypto import Keys
from rating.settings import Settings
from rating.store import Store
from rating.store.logic import Tx, apply_rating
from rating.store.models import RateLimits, RatingSubmission
from rating.workorders.parse import parse_file
from rating.workorders.profiles import load_profile
from rating.workorders.store import add_alias, apply_import
from tests.analytics.helpers import ms
from tests.conftest import ROSTER
from tests.store.conftest import pg_url, store, stores  # noqa: F401 - fixtures
from tests.workorders.conftest import order, write_csv

KEYS = Keys("test-secret-not-for-production")
LIMITS = RateLimits(device_per_hour=30, network_per_hour=3000, amend_window_ms=30 * 60_000)
WEEK = "2026-W47"  # 16-22 November 2026
MOMENT = "2026-11-23 09:00"  # Monday morning, the report of the week just ended
T = ms(MOMENT)


async def rate(db: Store, token: str, level: int, at: int, receipt: str | None = None) -> int:
    sub = RatingSubmission(token=token, level=level, channel="badge", receipt=receipt, at_ms=at)
    result = await db.write(apply_rating, sub, LIMITS, at)
    assert result.rating_id is not None
    return result.rating_id


async def case_of(db: Store, rating_id: int) -> int:
    def work(tx: Tx) -> int:
        row = tx.one("SELECT id FROM cases WHERE rating_id = ?", (rating_id,))
        assert row is not None
        return int(row[0])

    return await db.read(work)


async def import_orders(db: Store, path: Path, at: int) -> None:
    parsed = parse_file(path, load_profile("12345"), KEYS)
    assert not parsed.errors
    await db.write(apply_import, parsed, "12345", at)


def _add_admin(tx: Tx) -> int:  # module level: the SQLite writer process runs it
    return tx.insert(
        "INSERT INTO admin_users (name, password_hash, role, created_at, updated_at) "
        "VALUES ('a', 'x', 'admin', 0, 0) RETURNING id"
    )


async def admin(db: Store) -> Actor:
    return Actor(await db.write(_add_admin), "a", "admin")


def orders_file(tmp_path: Path, name: str, *rows: list[object]) -> Path:
    return write_csv(tmp_path / name, list(rows))


async def test_a_past_moment_reports_the_same_after_everything_changed(
    store: Store,  # noqa: F811
    tmp_path: Path,
) -> None:
    await store.import_roster(ROSTER)
    officers = await store.list_officers()
    tokens = [o.token or "" for o in officers]
    actor = await admin(store)
    settings = Settings.load(env={})

    async def act(case_id: int, action: str, at: str, **fields: str) -> None:
        note = {"note": "n", **fields}
        await store.write(
            logic.transition, case_id, actor, action, note, ms(at), store.limits.deadlines
        )

    # The week: ratings on Tuesday 17 November, cases followed up before the moment.
    day = ms("2026-11-17 10:00")
    for i, level in enumerate((5, 5, 4, 3, 5)):
        await rate(store, tokens[i % 3], level, day + i)
    fixed = await case_of(store, await rate(store, tokens[0], 1, day + 10))
    unreachable = await case_of(store, await rate(store, tokens[1], 2, day + 11))
    waiting = await case_of(store, await rate(store, tokens[2], 1, day + 12))
    # Sunday evening: amended to 1 on Monday after the moment (through its receipt).
    later_bad = await rate(store, tokens[0], 5, ms("2026-11-22 20:00"))
    await act(fixed, "callback", "2026-11-18 10:00", outcome="reached")
    await act(fixed, "verify", "2026-11-19 10:00", verification="substantiated")
    await act(fixed, "rectify", "2026-11-19 11:00", measures="m")
    await act(unreachable, "callback", "2026-11-18 10:00", outcome="unreachable")
    # Work orders imported on Friday: closed, open past due, no due time (SLA), no unit.
    first = orders_file(
        tmp_path,
        "w1.csv",
        order(
            "A1", 来电时间="2026-11-17 09:00", 办理时限="2026-11-19", 办结时间="2026-11-18 10:00"
        ),
        order("A2", 来电时间="2026-11-17 09:00", 办理时限="2026-11-20"),
        order("A3", 来电时间="2026-11-18 09:00", 办理时限="", 诉求类型="咨询"),
        order("A4", 来电时间="2026-11-18 09:00", 承办单位="胜利所", 涉及民警警号=""),
    )
    await import_orders(store, first, ms("2026-11-20 18:00"))

    then = await weekly_report(store, settings, week=WEEK, now_ms=T)

    # After the moment, everything changes.
    await act(fixed, "close", "2026-11-25 10:00")
    await act(unreachable, "callback", "2026-11-25 10:00", outcome="reached")
    await act(unreachable, "verify", "2026-11-25 11:00", verification="mistaken_malicious")
    await act(waiting, "callback", "2026-11-25 10:00", outcome="reached")
    await act(waiting, "verify", "2026-11-25 11:00", verification="unsubstantiated")
    await act(waiting, "close", "2026-11-25 12:00")
    await act(waiting, "reopen", "2026-11-26 12:00")
    receipt = await store.read(
        lambda tx: tx.one("SELECT receipt FROM ratings WHERE id = ?", (later_bad,))[0]
    )
    # An amendment through the receipt (allowed for a day after the rating).
    await rate(store, tokens[0], 1, ms("2026-11-23 10:00"), receipt=receipt)
    await store.write(sla.set_class, "consultation", "workdays", 5, ms("2026-11-25 08:00"))
    second = orders_file(
        tmp_path,
        "w2.csv",
        order(
            "A1",
            来电时间="2026-11-17 09:00",
            办理时限="2026-11-19",
            办结时间="2026-11-18 10:00",
            回访时间="2026-11-25 10:00",
            回访结果="已回访",
            满意度="不满意",
        ),
        order("A2", 来电时间="2026-11-17 09:00", 办理时限="2026-11-30", 办结时间="2026-11-25"),
        order(
            "A3", 来电时间="2026-11-18 09:00", 办理时限="", 诉求类型="咨询", 承办单位="新华街派出所"
        ),
        order("A4", 来电时间="2026-11-18 09:00", 承办单位="胜利所", 涉及民警警号=""),
        order("A5", 来电时间="2026-11-19 09:00", 办理时限="2026-11-20"),  # imported late
    )
    await import_orders(store, second, ms("2026-11-26 18:00"))
    await store.write(add_alias, "胜利所", "胜利路派出所", ms("2026-11-27 09:00"))

    again = await weekly_report(store, settings, week=WEEK, as_of=MOMENT)
    assert again.generated_at_ms == then.generated_at_ms == T
    for name, table in then.tables().items():
        pdt.assert_frame_equal(again.tables()[name], table, obj=name)

    # The test can fail: today's report of the same week differs in what changed.
    now = await weekly_report(store, settings, week=WEEK, now_ms=ms("2026-11-30 09:00"))
    before = then.summary.set_index("key")["this_week"]
    after = now.summary.set_index("key")["this_week"]
    assert (before["invalidated"], after["invalidated"]) == (0, 1)
    assert (before["bad"], after["bad"]) == (3, 3)  # one invalidated, one amended to bad
    assert (before["wo_received"], after["wo_received"]) == (4, 5)
    assert before["callback_rate"] == 2 / 4  # 2 of 3 bad ratings + the closed order
    assert set(then.overdue["stage"]) == {"回访", "重新回访", "工单办结"}
    assert "单位未匹配" in set(then.overdue["unit_path"])
    # The handling cycle too: then one order was closed (after 25 hours) and no case; now
    # the rectified case is closed as well, and the re-opened one is not.
    cyc_then = then.extra["cycle_channels"].set_index("channel")
    cyc_now = now.extra["cycle_channels"].set_index("channel")
    assert cyc_then.loc["12345", ["received", "closed", "cycle_median_hours"]].tolist() == [
        4,
        1,
        25.0,
    ]
    assert (cyc_then.loc["badge", "closed"], cyc_now.loc["badge", "closed"]) == (0, 1)
    # two called back in time, the third past its callback deadline
    assert cyc_then.loc["badge", "callback_on_time_rate"] == 2 / 3
    assert cyc_now.loc["12345", "closed"] == 2
    # Now: the re-opened case waits for its callback, the invalidated one for its closing.
    assert set(now.overdue["stage"]) == {"回访", "办结", "工单办结"}

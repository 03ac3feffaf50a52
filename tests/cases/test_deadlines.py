"""Deadlines in Chinese working days: holidays, make-up days, provisional years, overrides."""

from __future__ import annotations

import datetime as dt
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from rating.cases import logic
from rating.cases.calendar import SHANGHAI, WorkCalendar, package_years
from rating.cases.model import Deadlines
from rating.settings import Settings
from tests.cases.helpers import act, add_user, case_id_of, cli, login, rows
from tests.conftest import Web, make_settings, open_web

D = dt.date
# A year after every year the installed chinesecalendar package knows.
UNKNOWN = max(package_years()) + 1


def ms(day: dt.date, hour: int = 10) -> int:
    return int(dt.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI).timestamp() * 1000)


def test_callback_due_skips_the_national_day_holiday() -> None:
    cal = WorkCalendar()
    # 2025: 1-8 October off (国庆 + 中秋); Thursday 9 October is the next working day.
    assert cal.add_workdays(D(2025, 9, 30), 1) == (D(2025, 10, 9), False)
    # Saturday 11 October 2025 is a make-up working day (调休).
    assert cal.add_workdays(D(2025, 10, 10), 1) == (D(2025, 10, 11), False)
    # Sunday 28 September 2025 too: a case opened on Saturday 27th is due on Sunday.
    assert cal.add_workdays(D(2025, 9, 27), 1) == (D(2025, 9, 28), False)


def test_rectification_across_national_day_counts_only_working_days() -> None:
    cal = WorkCalendar()
    # From Friday 26 Sep 2025: 28 Sep (Sun, make-up), 29, 30 Sep = 3; 1-8 Oct off; 9, 10,
    # 11 (Sat, make-up) = 6; 13-17 = 11; 20-23 = 15: Thursday 23 October. Counting plain
    # weekdays would have given 17 October.
    assert cal.add_workdays(D(2025, 9, 26), 15) == (D(2025, 10, 23), False)
    # The deadline is the end of that day in Asia/Shanghai.
    due, provisional = cal.due_at(ms(D(2025, 9, 26)), 15)
    assert due == ms(D(2025, 10, 24), 0) and not provisional


def test_unknown_year_is_provisional_weekdays_minus_known_holidays() -> None:
    cal = WorkCalendar()
    last = D(UNKNOWN - 1, 12, 31)
    day, provisional = cal.add_workdays(last, 1)
    assert provisional
    # 1 January is a statutory holiday in every year; never counted as a working day.
    assert day != D(UNKNOWN, 1, 1) and day.weekday() < 5
    assert day == min(D(UNKNOWN, 1, d) for d in range(2, 8) if D(UNKNOWN, 1, d).weekday() < 5)
    # Inside known years nothing is provisional.
    assert cal.add_workdays(D(UNKNOWN - 1, 3, 2), 15)[1] is False


def test_overrides_and_published_years_change_the_count() -> None:
    start = D(UNKNOWN - 1, 12, 31)
    plain, _ = WorkCalendar().add_workdays(start, 1)
    extra = WorkCalendar({plain: False})
    moved, provisional = extra.add_workdays(start, 1)
    assert moved > plain and provisional
    published = WorkCalendar({plain: False}, frozenset({UNKNOWN}))
    assert published.add_workdays(start, 1) == (moved, False)
    # A make-up working day on a weekend counts.
    saturday = next(D(UNKNOWN, 1, d) for d in range(2, 9) if D(UNKNOWN, 1, d).weekday() == 5)
    assert WorkCalendar({saturday: True}).is_workday(saturday) == (True, True)


async def _case_opened_at(web: Web, settings: Settings, when: int) -> int:
    """A bad rating whose case the system opened at `when` (the rating itself is level 5,
    so the case comes only from calling the opening rule at that moment)."""
    r = await web.client.post("/api/v1/ratings", json=web.rating(0, level=5))
    assert r.status_code == 201
    web.client.cookies.clear()
    receipt = r.json()["receipt"]
    rating_id = rows(settings, "SELECT id FROM ratings WHERE receipt = ?", (receipt,))[0][0]
    await web.store.write(logic.on_rating, rating_id, 1, when, web.store.limits.deadlines)
    return case_id_of(settings, receipt)


def _due(settings: Settings, case_id: int) -> tuple[dt.date, int]:
    ((due, provisional),) = rows(
        settings,
        "SELECT callback_due_at, callback_due_provisional FROM cases WHERE id = ?",
        (case_id,),
    )
    day = dt.datetime.fromtimestamp(due / 1000, SHANGHAI).date() - dt.timedelta(days=1)
    return day, provisional


async def test_provisional_deadline_is_recomputed_after_an_override(
    web: Web, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    case_id = await _case_opened_at(web, settings, ms(D(UNKNOWN - 1, 12, 31)))
    first, provisional = _due(settings, case_id)
    assert first.year == UNKNOWN and provisional == 1
    assert (
        await cli(settings, "calendar", "add", first.isoformat(), "holiday", "--note", "调休") == 0
    )
    assert "1 provisional deadline(s) recomputed" in capsys.readouterr().out
    second, provisional = _due(settings, case_id)
    assert second > first and provisional == 1

    assert await cli(settings, "calendar", "publish", str(UNKNOWN)) == 0
    third, provisional = _due(settings, case_id)
    assert third == second and provisional == 0
    notes = rows(
        settings, "SELECT note FROM audit_log WHERE case_id = ? AND action = 'deadline'", (case_id,)
    )
    assert len(notes) == 2 and "callback_due_at" in notes[0][0]

    assert await cli(settings, "calendar") == 0
    out = capsys.readouterr().out
    assert f"published by the bureau: {UNKNOWN}" in out and first.isoformat() in out


async def test_provisional_and_overdue_are_shown_and_listed(
    web: Web, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    late = await _case_opened_at(web, settings, ms(D(2025, 9, 30)))
    # Opened on a New Year's Eve still in the future, so "not overdue" holds on any day.
    future = max(UNKNOWN - 1, dt.date.today().year + 2)
    ahead = await _case_opened_at(web, settings, ms(D(future, 12, 31)))
    await add_user(web, "admin1", "admin")
    await login(web, "admin1")
    page = await web.client.get(f"/admin/cases/{late}")
    assert "回访超期" in page.text and "2025-10-09" in page.text
    page = await web.client.get(f"/admin/cases/{ahead}")
    assert "暂定" in page.text and "回访超期" not in page.text
    listing = await web.client.get("/admin/cases?overdue=1")
    assert f"/admin/cases/{late}" in listing.text and f"/admin/cases/{ahead}" not in listing.text
    export = (await web.client.get("/admin/cases.csv")).text.lstrip("\ufeff").splitlines()
    by_id = {line.split(",")[0]: line.split(",") for line in export[1:]}
    assert by_id[str(late)][7:10] == ["回访超期", "2025-10-09", ""]
    assert by_id[str(ahead)][7] == "" and by_id[str(ahead)][9] == "暂定"

    assert await cli(settings, "cases", "overdue") == 0
    out = capsys.readouterr().out
    assert f"#{late}\t" in out and "callback due 2025-10-09" in out and f"#{ahead}\t" not in out


async def test_working_day_counts_are_settings(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, callback_due_workdays=3, rectify_due_workdays=2)
    async for web in open_web(settings):
        case_id = await _case_opened_at(web, settings, ms(D(2025, 9, 30)))
        # 9, 10 and 11 (Saturday, make-up) October 2025.
        assert _due(settings, case_id) == (D(2025, 10, 11), 0)
        await add_user(web, "admin1", "admin")
        await login(web, "admin1")
        await act(web, case_id, "callback", outcome="reached", note="n")
        await act(web, case_id, "verify", verification="substantiated", note="n")
        await act(web, case_id, "rectify", measures="m")
        ((due, started),) = rows(
            settings,
            "SELECT rectify_due_at, rectify_started_at FROM cases WHERE id = ?",
            (case_id,),
        )
        start = dt.datetime.fromtimestamp(started / 1000, SHANGHAI).date()
        expected, _ = WorkCalendar().add_workdays(start, 2)
        assert dt.datetime.fromtimestamp((due - 1) / 1000, SHANGHAI).date() == expected


def test_working_days_agree_with_the_package_in_known_years() -> None:
    import chinese_calendar

    cal = WorkCalendar()
    day = D(min(package_years()), 1, 1)
    end = D(max(package_years()), 12, 31)
    while day <= end:
        assert cal.is_workday(day) == (chinese_calendar.is_workday(day), False), day
        day += dt.timedelta(days=1)


async def test_every_step_has_a_clock(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from analytics.weekly import weekly_report
    from rating.cases.model import Actor

    settings = make_settings(tmp_path, retry_due_workdays=2)
    async for web in open_web(settings):
        await add_user(web, "admin1", "admin")
        ((admin_id,),) = rows(settings, "SELECT id FROM admin_users WHERE name = 'admin1'")
        # then 28 Sep (Sunday, make-up), 29, 30; 1-8 Oct off
        friday, actor = ms(D(2025, 9, 26)), Actor(admin_id, "admin1", "admin")

        async def step(
            case_id: int, action: str, web: Web = web, who: Actor = actor, **fields: str
        ) -> None:
            note = {"note": "n", **fields}
            await web.store.write(
                logic.transition,
                case_id,
                who,
                action,
                note,
                ms(D(2025, 9, 26)),
                web.store.limits.deadlines,
            )

        unreachable = await _case_opened_at(web, settings, friday)
        await step(unreachable, "callback", outcome="unreachable")
        reached = await _case_opened_at(web, settings, friday)
        await step(reached, "callback", outcome="reached")
        substantiated = await _case_opened_at(web, settings, friday)
        await step(substantiated, "callback", outcome="reached")
        await step(substantiated, "verify", verification="substantiated")
        unfounded = await _case_opened_at(web, settings, friday)
        await step(unfounded, "callback", outcome="declined")
        await step(unfounded, "verify", verification="unsubstantiated")
        rectifying = await _case_opened_at(web, settings, friday)
        await step(rectifying, "callback", outcome="reached")
        await step(rectifying, "verify", verification="partly_substantiated")
        await step(rectifying, "rectify", measures="m")

        due = {
            cid: day
            for cid, day in rows(
                settings,
                "SELECT id, step_due_at FROM cases WHERE step_due_at IS NOT NULL",
            )
        }
        assert set(due) == {unreachable, reached, substantiated, unfounded}

        def day(ms_: int) -> dt.date:
            return dt.datetime.fromtimestamp((ms_ - 1) / 1000, SHANGHAI).date()

        assert day(due[unreachable]) == D(2025, 9, 29)  # retry: 2 working days (setting)
        assert day(due[reached]) == D(2025, 9, 30)  # verification: 3 working days
        assert day(due[substantiated]) == D(2025, 9, 29)  # start of rectification: 2
        assert day(due[unfounded]) == D(2025, 9, 29)  # closing: 2

        await login(web, "admin1")
        expected = {
            unreachable: "重新回访超期",
            reached: "核实超期",
            substantiated: "启动整改超期",
            unfounded: "办结超期",
        }
        for cid, flag in expected.items():
            page = await web.client.get(f"/admin/cases/{cid}")
            assert flag in page.text, cid
        listing = await web.client.get("/admin/cases?overdue=1")
        for cid in expected:
            assert f"/admin/cases/{cid}" in listing.text
        # The rectifying case waits on its rectification deadline (23 October 2025, past).
        page = await web.client.get(f"/admin/cases/{rectifying}")
        assert "整改超期" in page.text and "启动整改" not in page.text
        assert "重新回访 2025-09-29" in listing.text

        assert await cli(settings, "cases", "overdue") == 0
        out = capsys.readouterr().out
        assert f"#{unreachable}\t" in out and "retry due 2025-09-29" in out
        assert "verify due 2025-09-30" in out and "rectify_start due 2025-09-29" in out

        report = await weekly_report(
            web.store, settings, week="2025-W40", now_ms=ms(D(2025, 10, 9))
        )
        stages = report.overdue.set_index("ref")["stage"].tolist()
        assert sorted(stages) == sorted(["重新回访", "核实", "启动整改", "办结"])


async def test_step_deadlines_estimated_by_the_migration_are_recomputed(
    web: Web, settings: Settings
) -> None:
    from rating.cases.deadlines import recompute_provisional

    case_id = await _case_opened_at(web, settings, ms(D(2025, 9, 26)))
    # As migration 0011 leaves a case waiting for verification: a calendar-day estimate,
    # marked provisional.
    called = ms(D(2025, 9, 30))
    with closing(sqlite3.connect(settings.database)) as conn, conn:
        conn.execute(
            "UPDATE cases SET state = 'called_back', callback_at = ?, "
            "callback_outcome = 'reached', step_due_at = ?, step_due_provisional = 1 "
            "WHERE id = ?",
            (called, called + 86_400_000, case_id),
        )
    assert await web.store.write(recompute_provisional, ms(D(2025, 10, 1)), Deadlines()) == 1
    ((due, provisional),) = rows(
        settings, "SELECT step_due_at, step_due_provisional FROM cases WHERE id = ?", (case_id,)
    )
    # Verification: 3 working days after 30 September 2025 = 9, 10, 11 October (1-8 off).
    assert dt.datetime.fromtimestamp((due - 1) / 1000, SHANGHAI).date() == D(2025, 10, 11)
    assert provisional == 0


def test_demo_opens_cases_with_the_configured_callback_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`PINGJING_CALLBACK_DUE_WORKDAYS=10 pingjing demo` once opened cases due in one
    working day: the count lived in a module global only the server's start-up set."""
    from rating.cli import main

    monkeypatch.setenv("PINGJING_CALLBACK_DUE_WORKDAYS", "10")
    settings = make_settings(tmp_path)
    assert main(["--database", settings.database, "demo", "--no-serve"]) == 0
    capsys.readouterr()
    # A re-opened case's callback clock starts again at the re-opening; a letter's case
    # (the demo writes a few) runs on its category's SLA, not the callback count.
    cases = rows(
        settings,
        "SELECT opened_at, callback_due_at FROM cases WHERE reopen_count = 0 AND source = 'rating'",
    )
    assert cases, "the demo opened no case"
    cal = WorkCalendar()
    for opened_at, due in cases:
        assert due == cal.due_at(opened_at, 10)[0]
        assert due > cal.due_at(opened_at, 1)[0]

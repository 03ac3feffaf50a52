"""`pingjing demo`: 12 weeks of history with every case state, the four hotlines, warnings,
a kiosk, letters, a unit code and three accounts; a second run reuses all of it."""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
import sqlite3
from pathlib import Path

import pytest

from rating.cases.model import CaseState
from rating.cli import main
from rating.demo import LETTERS
from tests.cases.helpers import login
from tests.conftest import make_settings, opened

WEEK_MS = 7 * 86_400_000


def query(db: str, sql: str) -> list[tuple[object, ...]]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql).fetchall()


async def run_demo(db: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = await asyncio.to_thread(main, ["--database", db, "demo", "--no-serve"])
    assert code == 0, out.getvalue()
    return out.getvalue()


def passwords(out: str) -> dict[str, str]:
    return dict(re.findall(r"user (\S+), password (\S+)", out))


async def test_demo_tells_the_whole_story_and_a_second_run_reuses_it(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    db = settings.database
    first = await run_demo(db)
    assert "demo: created 50 officers" in first and "reused" not in first

    # Cases open at their rating's time and reach every state; some overdue, some
    # stalled at an unreachable callback, some re-checked, some re-opened.
    states = dict(query(db, "SELECT state, COUNT(*) FROM cases WHERE source = 'rating' "
                            "GROUP BY state"))  # fmt: skip
    # Bad ratings' cases walk their whole path (open -> called back -> verified ->
    # rectifying -> closed).
    rating_path = {CaseState.OPEN, CaseState.CALLED_BACK, CaseState.VERIFIED}
    rating_path |= {CaseState.RECTIFYING, CaseState.CLOSED}
    assert set(states) == {str(s) for s in rating_path}, states
    assert query(db, "SELECT COUNT(*) FROM cases c JOIN ratings r ON r.id = c.rating_id "
                     "WHERE c.opened_at <> r.created_at") == [(0,)]  # fmt: skip
    ((newest,),) = query(db, "SELECT MAX(created_at) FROM ratings")
    ((oldest,),) = query(db, "SELECT MIN(created_at) FROM ratings")
    assert int(newest) - int(oldest) > 11 * WEEK_MS  # 12 weeks of history
    ((overdue,),) = query(
        db, f"SELECT COUNT(*) FROM cases WHERE state = 'open' AND callback_due_at < {newest}"
    )
    assert overdue > 0
    assert query(db, "SELECT COUNT(*) FROM cases WHERE callback_outcome = 'unreachable' "
                     "AND state = 'called_back'")[0][0] > 0  # fmt: skip
    assert query(db, "SELECT COUNT(*) FROM cases WHERE fix_rating IS NOT NULL")[0][0] > 0
    assert query(db, "SELECT COUNT(*) FROM cases WHERE reopen_count > 0")[0][0] > 0

    # Letters walk the loop's whole path: every state from received to closed, through
    # dispatch, the unit's reply (the station's manager replying for its own units), the
    # callback and a rectification; some overdue; one returned (退回) and dispatched again,
    # one re-dispatched (改派). Each case opens when its letter is written.
    letter_states = dict(
        query(db, "SELECT state, COUNT(*) FROM cases WHERE source = 'letter' GROUP BY state")
    )
    letter_path = set(CaseState) - {CaseState.OPEN}
    assert set(letter_states) == {str(s) for s in letter_path}, letter_states
    assert query(
        db,
        "SELECT COUNT(*) FROM cases c JOIN letters l ON l.id = c.source_id "
        "WHERE c.source = 'letter' AND c.opened_at <> l.created_at",
    ) == [(0,)]
    ((late,),) = query(
        db,
        "SELECT COUNT(*) FROM cases WHERE source = 'letter' AND state "
        f"IN ('received', 'accepted', 'dispatched') AND step_due_at < {newest}",
    )
    assert late > 0
    assert query(
        db,
        "SELECT state, dispatch_count FROM cases WHERE source = 'letter' "
        "AND returned_at IS NOT NULL AND return_reason <> ''",
    ) == [("closed", 2)]
    actions = dict(
        query(
            db,
            "SELECT a.action, COUNT(*) FROM audit_log a JOIN cases c ON c.id = a.case_id "
            "WHERE c.source = 'letter' GROUP BY a.action",
        )
    )
    steps = {"accept", "dispatch", "redispatch", "reply", "return", "callback", "verify"}
    assert steps | {"rectify", "complete", "close"} <= set(actions), actions
    assert (
        query(
            db,
            "SELECT COUNT(*) FROM audit_log a JOIN admin_users u ON u.id = a.actor_id "
            "WHERE a.action = 'reply' AND u.name = 'demo-manager'",
        )[0][0]
        > 0
    )
    # The receipts follow their cases: replied letters show the unit's reply.
    receipts = dict(
        query(db, "SELECT status, COUNT(*) FROM letters WHERE reply IS NOT NULL GROUP BY status")
    )
    assert set(receipts) == {"replied", "closed"}, receipts
    assert query(
        db,
        "SELECT COUNT(*) FROM letters l JOIN cases c ON c.source = 'letter' "
        "AND c.source_id = l.id WHERE c.state = 'closed' AND l.status <> 'closed'",
    ) == [(0,)]

    # Work orders on all four hotlines, with callbacks and rectifications.
    channels = dict(query(db, "SELECT channel, COUNT(*) FROM workorders "
                              "WHERE callback_at IS NOT NULL GROUP BY channel"))  # fmt: skip
    assert set(channels) == {"12345", "12389", "12123", "sunshine"}
    assert query(db, "SELECT COUNT(*) FROM workorders WHERE rectification = 'done'")[0][0] > 0
    assert query(db, "SELECT COUNT(*) FROM workorders WHERE closed_at IS NULL")[0][0] > 0
    # A kiosk, letters, a unit code, three accounts with their roles.
    assert query(db, "SELECT COUNT(*) FROM kiosks")[0][0] == 1
    assert query(db, "SELECT COUNT(*) FROM letters")[0][0] >= 12
    assert query(db, "SELECT COUNT(*) FROM unit_tokens WHERE revoked_at IS NULL")[0][0] == 1
    roles = dict(query(db, "SELECT name, role FROM admin_users"))
    assert roles == {"demo": "admin", "demo-manager": "unit_manager", "demo-viewer": "viewer"}
    shown = passwords(first)
    assert set(shown) == set(roles)

    check_intakes(db, first)

    # The weekly report of the last full week shows a baseline jump and a burst.
    from analytics.weekly import weekly_report
    from rating.store import make_store

    store = make_store(settings, one_shot=True)
    await store.open()
    try:
        report = await weekly_report(store, settings, now_ms=int(newest) + 1000)
    finally:
        await store.close()
    kinds = set(report.warnings["kind"])
    assert {"差评率高于基线", "集中好评"} <= kinds, report.warnings
    # `pingjing notify warnings` enqueues them for the managers, once.
    week = report.week.label
    for expected_new in (r", [1-9]\d* new enqueued", r", 0 new enqueued"):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert (
                await asyncio.to_thread(
                    main, ["--database", db, "notify", "warnings", "--week", week]
                )
                == 0
            )
        assert re.search(expected_new, out.getvalue()), out.getvalue()
    kinds_enqueued = {
        k for (k,) in query(db, "SELECT payload FROM notify_events WHERE kind = 'warning'")
    }
    assert any('"baseline"' in k for k in kinds_enqueued) and any(
        '"burst"' in k for k in kinds_enqueued
    )

    # Signed in as the manager; a second run keeps the password and the session.
    async with opened(settings) as web:
        assert (await login(web, "demo-manager", shown["demo-manager"])).status_code == 303
        again = await run_demo(db)
        assert "reused 50 officers" in again and "demo: created" not in again
        assert "reused: password and sessions unchanged" in again
        assert "mailbox letters" not in again  # nothing seeded twice
        assert passwords(again) == shown
        page = await web.client.get("/admin/cases")
        assert page.status_code == 200  # still signed in
        # The supervisor and the rule are found again, with the same link.
        assert "reused citizen supervisor 刘建华" in again
        assert "reused take-in rule 12389 complaint" in again
        assert supervisor_link(again) == supervisor_link(first)
        # The hotline orders the rule took in are in the manager's case list (those of
        # the manager's branch), each case page showing the hotline's order.
        hotline = await web.client.get("/admin/cases?source=workorder")
        ids = re.findall(r'href="/admin/cases/(\d+)"', hotline.text)
        assert ids and set(ids) == {
            str(i) for (i,) in query(db, "SELECT c.id FROM cases c JOIN units u ON u.id = "
                                         "c.unit_id WHERE c.source = 'workorder' AND u.path "
                                         "LIKE '%/桥东分局/%'")
        }  # fmt: skip
        assert "12389-DEMO-" in (await web.client.get(f"/admin/cases/{ids[0]}")).text
        # The printed link is the supervisor's page, with both reports and their progress.
        mine = await web.client.get(supervisor_link(first).split("8000", 1)[1])
        assert mine.status_code == 200
        assert "户籍大厅" in mine.text and "新华街路口" in mine.text
    assert query(db, "SELECT COUNT(*) FROM kiosks")[0][0] == 1
    assert query(db, "SELECT COUNT(*) FROM officers")[0][0] == 50
    assert query(db, "SELECT COUNT(*) FROM letters")[0][0] == len(LETTERS)


def supervisor_link(out: str) -> str:
    found = re.search(r"Citizen supervisor's page \(警风监督员\): (\S+/supervisor/\w+)", out)
    assert found is not None, out
    return found.group(1)


def check_intakes(db: str, out: str) -> None:
    """A citizen supervisor with two reports (one with a photo) in the loop, and a hotline
    take-in rule whose orders are worked as cases; the demo prints where to look."""
    assert query(db, "SELECT name, phone_mask FROM supervisors") == [("刘建华", "138****0000")]
    reports = dict(
        query(
            db,
            "SELECT c.state, (SELECT COUNT(*) FROM supervisor_report_photos p "
            "WHERE p.report_id = r.id) FROM supervisor_reports r JOIN cases c "
            "ON c.source = 'supervisor' AND c.source_id = r.id",
        )
    )
    assert reports == {"rectifying": 1, "received": 0}, reports
    assert query(db, "SELECT channel, order_type, category, created_by FROM workorder_rules") == [
        ("12389", "complaint", "", "demo")
    ]
    taken = query(
        db,
        "SELECT w.channel, w.order_type, w.closed_at, c.state, c.opened_at - w.received_at "
        "FROM cases c JOIN workorders w ON c.source = 'workorder' AND c.source_id = w.id",
    )
    assert len(taken) >= 2, taken
    # Only what the rule matches, open at the hotline, taken in as an import would have.
    assert {(ch, kind, closed) for ch, kind, closed, _, _ in taken} == {
        ("12389", "complaint", None)
    }
    assert all(delay == 2 * 3_600_000 for *_, delay in taken), taken
    assert {"dispatched", "replied"} <= {state for _, _, _, state, _ in taken}, taken
    supervisor_link(out)
    for where in ("/admin/cases?source=supervisor", "/admin/supervisors",
                  "/admin/cases?source=workorder", "/admin/workorders/orders#rules"):  # fmt: skip
        assert f"http://127.0.0.1:8000{where}" in out, where


@pytest.mark.parametrize("name", ["demo-viewer"])
async def test_a_password_changed_since_is_not_printed(tmp_path: Path, name: str) -> None:
    db = make_settings(tmp_path).database
    await run_demo(db)
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("UPDATE admin_users SET password_hash = 'x' WHERE name = ?", (name,))
    again = await run_demo(db)
    assert name not in passwords(again)
    assert f"user {name} (password changed since; not shown)" in again

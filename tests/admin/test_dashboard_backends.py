"""The dashboard's aggregates and the queue's units of work on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from rating.admin import auth, queue
from rating.admin import dashboard_data as data
from rating.cases import service
from rating.domain_errors import Conflict
from rating.store import Store
from tests.cases.test_backends import store, submission  # noqa: F401 - the fixture
from tests.conftest import ROSTER


async def test_figures_assign_and_reveal_on_each_backend(store: Store, tmp_path: Path) -> None:  # noqa: F811
    await store.import_roster(ROSTER)
    officers = await store.list_officers()
    tokens = [o.token for o in officers]
    assert all(tokens)
    r1 = await store.submit_rating(submission(tokens[0], 1))
    await store.submit_rating(submission(tokens[2], 2, device_hash="d2", network_hash="n2"))
    await store.submit_rating(submission(tokens[1], 5, device_hash="d3", network_hash="n3"))
    now = service.now_ms()
    week = data.week_of(now)

    counts = await store.read(data.week_counts, week, week + 1, True)
    total = data.WeekCounts()
    for (wk, _unit), c in counts.items():
        assert wk == week
        total.add(c)
    assert (total.ratings, total.valid, total.satisfied, total.bad, total.cases) == (3, 3, 1, 2, 2)
    assert (total.called_back, total.substantiated, total.rectified) == (0, 0, 0)
    opened = await store.read(data.open_cases, now)
    assert sum(o.count for o in opened) == 2 and all(o.state == "open" for o in opened)
    assert sum(o.overdue for o in opened) == 0
    assert await store.read(data.open_cases, now + 400 * 86_400_000) != []
    late = await store.read(data.open_cases, now + 400 * 86_400_000)
    assert sum(o.overdue for o in late) == 2
    assert await store.read(data.bursts, now - 3_600_000, now + 1, 5, 600_000) == []

    boss = await store.write(
        auth.add_user, "boss", "admin", None, auth.hash_password("x" * 12), now
    )
    east = await store.write(
        auth.add_user, "east", "unit_manager", "张家口市公安局/桥东分局",
        auth.hash_password("x" * 12), now,
    )  # fmt: skip
    cases = await service.list_cases(store, boss.actor(), unassigned=True)
    assert len(cases) == 2
    west_case = next(c for c in cases if "桥西" in c.unit_path)
    east_case = next(c for c in cases if "桥东" in c.unit_path)
    with pytest.raises(Exception, match="承办人|handler"):
        await store.write(queue.assign, [west_case.id, east_case.id], boss.actor(), east, now)
    assert await store.write(queue.assign, [east_case.id], boss.actor(), east, now) == 1
    mine = await service.list_cases(store, east.actor(), handler_id=east.id)
    assert [c.id for c in mine] == [east_case.id]
    assert queue.offered_actions(mine[0], east.actor())[0] != "take"

    token = await store.write(queue.reveal, east_case.id, east.actor(), now)
    assert token is not None
    assert await store.write(queue.take_revealed, token, east_case.id, boss.actor(), now) is None
    assert (
        await store.write(queue.take_revealed, token, east_case.id, east.actor(), now) == "sealed"
    )
    assert await store.write(queue.take_revealed, token, east_case.id, east.actor(), now) is None
    stale = await store.write(queue.reveal, east_case.id, east.actor(), now)
    assert stale is not None
    later = now + queue.REVEAL_TTL_MS + 1
    assert await store.write(queue.take_revealed, stale, east_case.id, east.actor(), later) is None
    assert r1.receipt is not None
    for action, fields in (
        ("callback", {"outcome": "reached", "note": "n"}),
        ("verify", {"verification": "unsubstantiated", "note": "n"}),
        ("close", {"note": "n"}),
    ):
        await service.transition(store, east_case.id, east.actor(), action, fields)
    with pytest.raises(Conflict):
        await store.write(queue.reveal, east_case.id, east.actor(), now)
    entries = [e.action for e in await service.case_audit(store, east_case.id)]
    assert entries[:4] == ["open", "assign", "reveal_phone", "reveal_phone"]

"""Store contract: spot-check sampling and the outcome's rules, on SQLite (writer process
and thread) and PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from rating.cases.model import Actor
from rating.domain_errors import Conflict, Forbidden, Invalid, NotFound
from rating.settings import Settings
from rating.spotcheck import store as spot
from rating.spotcheck.sample import choose, sampling_key
from rating.store import Store
from rating.store.models import Officer
from rating.store.tx import Tx
from tests.conftest import ROSTER
from tests.store.conftest import rating

DAY = date(2026, 11, 30)
START, END = spot.day_window(DAY)
KEY = sampling_key("test-secret")
NOW = END + 3_600_000


async def seed(store: Store) -> list[Officer]:
    """Officers 0-1 at 胜利路派出所, 2 at 新华街派出所; on DAY: ratings with and without a
    phone, on two channels, a bad one whose case closes that day, one the day after."""
    await store.import_roster(ROSTER)
    officers = await store.list_officers()

    async def rate(i: int, level: int, minute: int, phone: bool, channel: str = "web") -> int:
        extra = (
            {"phone_enc": f"enc-{minute}", "phone_hash": f"h{minute}", "phone_mask": "138****0000"}
            if phone
            else {}
        )
        result = await store.submit_rating(
            rating(
                officers[i].token,
                level,
                device=None,
                network=None,
                channel=channel,
                at_ms=START + minute * 60_000,
                **extra,
            )  # fmt: skip
        )
        assert result.rating_id is not None
        return result.rating_id

    for m in range(6):
        await rate(0, 5, m, phone=True)
    for m in range(10, 13):
        await rate(1, 4, m, phone=True, channel="kiosk")
    for m in range(20, 24):
        await rate(2, 3, m, phone=True)
    await rate(0, 5, 30, phone=False)  # no phone: never called
    bad = await rate(2, 1, 40, phone=True)  # opens a case, closed the same day below
    await rate(0, 5, 24 * 60 + 5, phone=True)  # the next day

    await store.write(close_case, bad, START + 50 * 60_000)
    return officers


def close_case(tx: Tx, rating_id: int, at: int) -> None:
    """Close the rating's case at `at` (the case steps are tested in tests/cases)."""
    tx.run("UPDATE cases SET state = 'closed', closed_at = ? WHERE rating_id = ?", (at, rating_id))


def add_user(tx: Tx, name: str, role: str, unit: str | None) -> int:
    unit_id = None
    if unit:
        row = tx.one("SELECT id FROM units WHERE path = ?", (unit,))
        assert row is not None
        unit_id = row[0]
    return tx.insert(
        "INSERT INTO admin_users (name, password_hash, role, unit_id, created_at, "
        "updated_at) VALUES (?, 'x', ?, ?, 0, 0) RETURNING id",
        (name, role, unit_id),
    )


async def user(store: Store, name: str, role: str, unit: str | None = None) -> Actor:
    return Actor(await store.write(add_user, name, role, unit), name, role, unit)


async def test_a_day_is_sampled_once_stratified_and_as_the_pure_rule_says(store: Store) -> None:
    await seed(store)
    found = await store.read(spot.candidates, START, END)
    kinds = sorted((c.kind, c.channel) for c in found)
    assert kinds.count(("rating", "web")) == 10 and kinds.count(("rating", "kiosk")) == 3
    assert kinds.count(("case", "web")) == 1 and len(found) == 14
    expected = choose(found, DAY.isoformat(), KEY, 0.5, 1)

    first = await store.write(spot.sample_day, DAY, KEY, 0.5, 1, NOW)
    assert first.new and first.tasks == len(expected) == 3 + 2 + 2 + 1
    rows = await store.read(
        lambda tx: tx.all("SELECT kind, item_id, unit_id, channel FROM spot_checks ORDER BY id")
    )
    assert {(k, int(i)) for k, i, _, _ in rows} == {(c.kind, c.item_id) for c in expected}

    again = await store.write(spot.sample_day, DAY, KEY, 1.0, 99, NOW + 1)
    assert not again.new and again.tasks == first.tasks
    assert await store.read(lambda tx: tx.one("SELECT COUNT(*) FROM spot_checks")) == (first.tasks,)
    # No item is ever a task twice: what was sampled is no longer a candidate.
    left = await store.read(spot.candidates, START, END)
    assert not {(c.kind, c.item_id) for c in left} & {(c.kind, c.item_id) for c in expected}
    assert len(left) == len(found) - first.tasks


async def test_the_outcome_is_recorded_once_by_the_assignee(store: Store) -> None:
    await seed(store)
    await store.write(spot.sample_day, DAY, KEY, 1.0, 1, NOW)
    admin = await user(store, "centre1", "admin")
    other = await user(store, "centre2", "admin")
    viewer = await user(store, "viewer1", "viewer")
    qiaoxi = await user(store, "qx", "unit_manager", "张家口市公安局/桥西分局")
    tasks = await store.read(spot.list_tasks, admin, "open")
    assert len(tasks) == 14 and all(t.open and t.phone_mask for t in tasks)
    # A unit manager sees only the tasks of the unit's subtree.
    own = await store.read(spot.list_tasks, qiaoxi, "open")
    assert own and all(t.unit_path.startswith("张家口市公安局/桥西分局") for t in own)
    task = next(t for t in tasks if t.unit_path.endswith("胜利路派出所"))
    with pytest.raises(NotFound):
        await store.read(spot.get_task, task.id, qiaoxi)

    with pytest.raises(Forbidden):  # nobody took it yet
        await store.write(spot.record, task.id, admin, "confirmed", "", "", NOW)
    with pytest.raises(Forbidden):
        await store.write(spot.claim, task.id, viewer, NOW)
    await store.write(spot.claim, task.id, admin, NOW)
    with pytest.raises(Forbidden):  # only the assignee sees the number
        await store.write(spot.reveal_phone, task.id, other, NOW)
    assert (await store.write(spot.reveal_phone, task.id, admin, NOW) or "").startswith("enc-")
    with pytest.raises(Forbidden):
        await store.write(spot.record, task.id, other, "confirmed", "", "", NOW)
    for outcome, reason, note, field in [
        ("maybe", "", "", "outcome"),
        ("not_confirmed", "", "", "reason"),
        ("not_confirmed", "bribed", "", "reason"),
        ("not_confirmed", "other", "  ", "note"),
        ("confirmed", "asked_to_rate", "", "reason"),
        ("unreachable", "", "x" * 501, "note"),
    ]:
        with pytest.raises(Invalid) as refused:
            await store.write(spot.record, task.id, admin, outcome, reason, note, NOW)
        assert refused.value.en.startswith(field)
    assert (await store.read(spot.get_task, task.id, admin)).open  # nothing half-stored

    await store.write(spot.record, task.id, admin, "not_confirmed", "asked_to_rate", "", NOW + 5)
    done = await store.read(spot.get_task, task.id, admin)
    assert (done.outcome, done.reason, done.done_at) == ("not_confirmed", "asked_to_rate", NOW + 5)
    with pytest.raises(Conflict):
        await store.write(spot.record, task.id, admin, "confirmed", "", "", NOW + 6)
    assert [t.id for t in await store.read(spot.list_tasks, admin, "done")] == [task.id]
    actions = await store.read(
        lambda tx: tx.all("SELECT action, actor_name FROM audit_log WHERE action LIKE 'spot%'")
    )
    assert sorted(a for a, _ in actions) == [
        "spotcheck_claim",
        "spotcheck_outcome",
        "spotcheck_reveal_phone",
        "spotcheck_sample",
    ]


async def test_a_phone_given_with_a_satisfied_rating_survives_its_amendment(store: Store) -> None:
    """The receipt page's spot-check phone amends a satisfied rating; the phone left with a
    bad rating that is amended up to satisfied is dropped, as before."""
    await store.import_roster(ROSTER)
    token = (await store.list_officers())[0].token
    good = await store.submit_rating(rating(token, 5, device=None))
    assert good.receipt
    await store.submit_rating(
        rating(
            token,
            5,
            device=None,
            receipt=good.receipt,
            phone_enc="e",
            phone_hash="h",
            phone_mask="138****0000",
        )  # fmt: skip
    )
    bad = await store.submit_rating(
        rating(
            token,
            2,
            device=None,
            network="n2",
            phone_enc="e2",
            phone_hash="h2",
            phone_mask="139****0000",
        )  # fmt: skip
    )
    assert bad.receipt
    await store.submit_rating(rating(token, 4, device=None, network="n2", receipt=bad.receipt))
    phones = await store.read(
        lambda tx: tx.all("SELECT receipt, phone_enc FROM ratings ORDER BY id")
    )
    assert phones == [(good.receipt, "e"), (bad.receipt, None)]


async def test_the_weekly_report_shows_verified_satisfaction_and_quick_taps(
    store: Store, tmp_path: Path
) -> None:
    """End to end: sampled, worked, then the report (both databases) — the outcomes and
    the fast flag per unit, the raw rate beside the verified one, and the sheet written."""
    from analytics.weekly import render, weekly_report

    officers = await seed(store)
    await store.write(spot.sample_day, DAY, KEY, 1.0, 1, NOW)
    admin = await user(store, "centre1", "admin")
    tasks = await store.read(spot.list_tasks, admin, "open")
    shengli = [t for t in tasks if t.unit_path.endswith("胜利路派出所")]
    for i, task in enumerate(shengli):
        await store.write(spot.claim, task.id, admin, NOW)
        outcome, reason = [("confirmed", ""), ("not_confirmed", "asked_to_rate"),
                           ("unreachable", "")][i % 3]  # fmt: skip
        await store.write(spot.record, task.id, admin, outcome, reason, "", NOW + 1)
    quick = await store.submit_rating(
        rating(
            officers[0].token, 5, device=None, network=None, fast=True, at_ms=START + 70 * 60_000
        )  # fmt: skip
    )
    assert quick.rating_id is not None

    settings = Settings.load(env={}, database=str(tmp_path / "unused.db"), secret="s")
    report = await weekly_report(store, settings, week="2026-W49", now_ms=NOW + 10)
    table = report.extra["spotcheck"].set_index("path")
    row = table.loc["张家口市公安局/桥东分局/胜利路派出所"]
    # 6 + 3 ratings sampled there (web and kiosk): 3 confirmed, 3 not, 3 unreachable.
    assert (row["checks"], row["reached"], row["confirmed"]) == (9, 6, 3)
    assert row["verified_rate"] == 0.5 and row["unreachable"] == 3
    # 6 + 3 sampled, the one without a phone, the next day's, the quick tap.
    assert row["ratings"] == 12 and row["fast"] == 1
    assert row["fast_share"] == 1 / 12 and row["satisfaction_rate"] == 1.0
    xinhua = table.loc["张家口市公安局/桥西分局/新华街派出所"]
    assert xinhua["checks"] == 5 and xinhua["reached"] == 0  # nothing recorded yet
    # A moment before the outcomes: none of them counts yet.
    before = await weekly_report(store, settings, week="2026-W49", now_ms=NOW)
    assert before.extra["spotcheck"]["reached"].sum() == 0
    written = render(report, tmp_path / "out", ("xlsx", "html"))
    html = next(p for p in written if p.suffix == ".html").read_text(encoding="utf-8")
    assert "抽查回访与快速提交" in html and "核实满意率" in html

"""Hotline work orders taken into the case loop (issue 18, item 4), on SQLite (the writer
process and the thread writer) and PostgreSQL: by hand, by rule at import and on demand,
idempotent across store instances, re-imports that never touch the local handling, closed
orders read-only unless taken in explicitly, the scope, and the case history's loop
columns."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from rating.admin import auth
from rating.cases import logic
from rating.cases.deadlines import load_calendar
from rating.cases.model import Actor, Deadlines
from rating.cases.queries import get_case
from rating.cases.sla import load_sla
from rating.domain_errors import Conflict, Forbidden, Invalid, NotFound
from rating.store import Store
from rating.workorders import service
from rating.workorders.parse import ParsedFile, parse_file
from rating.workorders.profiles import load_profile
from rating.workorders.store import ImportResult, RowKeeper, import_checked, stored_orders
from tests.conftest import ROSTER
from tests.store.conftest import Stores, pg_url, store, stores  # noqa: F401 - fixtures
from tests.workorders.conftest import ms, order, write_csv
from tests.workorders.test_backends import KEYS

SHENGLI = "张家口市公安局/桥东分局/胜利路派出所"
XINHUA = "张家口市公安局/桥西分局/新华街派出所"
QIAOXI = "张家口市公安局/桥西分局"


async def imported(into: Store, path: Path, channel: str = "12345") -> ImportResult:
    """Import as the CLI and the upload do (import_checked: the rules run after it)."""
    parsed = parse_file(path, load_profile("12345"), KEYS)
    kept = RowKeeper()
    kept.rows = list(parsed.rows)

    def rescan(sink: Any) -> ParsedFile:  # the rows were kept: never read again
        raise AssertionError("not streamed")

    return await import_checked(into, parsed, kept, rescan, channel, skip_bad=False)


async def user(into: Store, name: str, role: str, unit: str | None = None) -> Actor:
    row = await into.write(auth.add_user, name, role, unit, auth.hash_password("x" * 12), 1)
    return row.actor()


async def order_ids(into: Store, channel: str = "12345") -> dict[str, int]:
    rows = await into.read(
        lambda tx: tx.all("SELECT order_no, id FROM workorders WHERE channel = ?", (channel,))
    )
    return {str(r[0]): int(r[1]) for r in rows}


async def case_rows(into: Store) -> list[tuple[Any, ...]]:
    return await into.read(
        lambda tx: tx.all(
            "SELECT source_id, state, category, unit_id FROM cases WHERE source = 'workorder' "
            "ORDER BY source_id"
        )
    )


def rows3() -> list[list[Any]]:
    return [
        order("GD001"),  # an open complaint, 户政管理, at 胜利路派出所
        order("GD002", 诉求类型="咨询", 诉求分类="", 承办单位="新华街派出所"),
        order("GD003", 办结时间="2026-11-05 10:00", 满意度="满意"),  # closed by the hotline
    ]


async def test_taken_in_by_hand_becomes_an_accepted_case_due_by_its_sla(
    store: Store,  # noqa: F811
    tmp_path: Path,
) -> None:
    await store.import_roster(ROSTER)
    await imported(store, write_csv(tmp_path / "w.csv", rows3()))
    ids = await order_ids(store)
    centre = await user(store, "centre", "admin")
    [taken] = await service.take_in(store, [ids["GD001"]], centre)
    assert taken.opened

    def read(tx: Any) -> Any:
        case = get_case(tx, taken.case_id, centre, ms(2026, 11, 4))
        due, cls = load_sla(tx).due_at(
            load_calendar(tx), "12345", "户政管理", "complaint", ms(2026, 11, 3, 14, 5)
        )
        entries = tx.all("SELECT actor_name, action, to_state, note FROM audit_log "
                         "WHERE case_id = ?", (taken.case_id,))  # fmt: skip
        return case, due, cls, entries

    case, due, cls, entries = await store.read(read)
    assert (case.source, case.source_id, case.state) == ("workorder", ids["GD001"], "accepted")
    assert (case.category, case.sla_due_at, case.sla_class) == ("户政管理", due, cls)
    assert case.unit_path == SHENGLI and case.handler_id == centre.id
    assert case.comment.startswith("办理户口迁移") and case.phone_mask == "138****5678"
    assert entries == [("centre", "open", "accepted", "12345 GD001 · 户政管理 · 人工转入")]

    # Then worked like any case: dispatched to the unit, which replies.
    unit = next(u for u in await store.list_units() if u.path == SHENGLI)
    counts = Deadlines()
    case = await store.write(logic.transition, taken.case_id, centre, "dispatch",
                             {"unit": unit.code}, ms(2026, 11, 4), counts)  # fmt: skip
    assert case.state == "dispatched" and case.step_due_at == due
    station = await user(store, "station", "unit_manager", SHENGLI)
    case = await store.write(logic.transition, taken.case_id, station, "reply",
                             {"reply": "已约谈窗口民警"}, ms(2026, 11, 5), counts)  # fmt: skip
    assert case.state == "replied"

    # An order without a 诉求分类 takes its order type's name as the category.
    [other] = await service.take_in(store, [ids["GD002"]], centre)
    assert (await service.order_by_id(store, ids["GD002"])).case_id == other.case_id  # type: ignore[union-attr]
    assert [r[2] for r in await case_rows(store)] == ["户政管理", "咨询"]


async def test_scope_and_read_only_accounts_are_refused(
    store: Store,  # noqa: F811
    tmp_path: Path,
) -> None:
    await store.import_roster(ROSTER)
    rows = [*rows3(), order("GD004", 承办单位="无名所")]  # no unit matched
    await imported(store, write_csv(tmp_path / "w.csv", rows))
    ids = await order_ids(store)
    west = await user(store, "west", "unit_manager", QIAOXI)
    viewer = await user(store, "viewer", "viewer")
    # Another unit's order, and one without a unit: as if they did not exist.
    for no in ("GD001", "GD004"):
        with pytest.raises(NotFound):
            await service.take_in(store, [ids[no]], west)
    with pytest.raises(Forbidden):
        await service.take_in(store, [ids["GD002"]], viewer)
    # All or none: the order in scope is not taken in beside the refused one.
    with pytest.raises(NotFound):
        await service.take_in(store, [ids["GD002"], ids["GD001"]], west)
    assert await case_rows(store) == []
    seen = [o.order_no for o in await service.list_orders(store, west)]
    assert seen == ["GD002"]
    [taken] = await service.take_in(store, [ids["GD002"]], west)
    assert taken.opened
    with pytest.raises(Invalid):
        await service.take_in(store, [], west)


async def test_taking_an_order_twice_opens_one_case_even_from_two_instances(
    stores: Stores,  # noqa: F811
    tmp_path: Path,
) -> None:
    one, two = await stores.open(), await stores.open()
    await one.import_roster(ROSTER)
    await imported(one, write_csv(tmp_path / "w.csv", rows3()))
    ids = await order_ids(one)
    a, b = await user(one, "a", "admin"), await user(one, "b", "admin")
    for _ in range(3):  # racing instances, several times over
        got = await asyncio.gather(
            service.take_in(one, [ids["GD001"], ids["GD002"]], a),
            service.take_in(two, [ids["GD002"], ids["GD001"]], b),
        )
        assert len({t.case_id for r in got for t in r}) == 2
    assert len(await case_rows(one)) == 2
    again = await service.take_in(two, [ids["GD001"]], b)
    assert not again[0].opened
    # The database refuses a second case of the same order outright.
    with pytest.raises(Exception):  # noqa: B017, PT011 - either driver's IntegrityError
        await one.write(
            lambda tx: tx.run(
                "INSERT INTO cases (source, source_id, state, opened_at, callback_due_at, "
                "updated_at) VALUES ('workorder', ?, 'accepted', 1, 1, 1)",
                (ids["GD001"],),
            )
        )


async def test_closed_orders_stay_read_only_unless_taken_in_explicitly(
    store: Store,  # noqa: F811
    tmp_path: Path,
) -> None:
    await store.import_roster(ROSTER)
    await service.add_rule(store, "12345", "", "")  # every 12345 order
    result = await imported(store, write_csv(tmp_path / "w.csv", rows3()))
    assert result.taken_in == 2  # not the closed GD003
    ids = await order_ids(store)
    assert [r[0] for r in await case_rows(store)] == [ids["GD001"], ids["GD002"]]
    assert await service.apply_rules(store) == 0
    centre = await user(store, "centre", "admin")
    with pytest.raises(Conflict) as refused:
        await service.take_in(store, [ids["GD003"]], centre)
    assert "closed" in refused.value.en
    [taken] = await service.take_in(store, [ids["GD003"]], centre, closed_ok=True)
    assert taken.opened
    case = await store.read(get_case, taken.case_id, centre, ms(2026, 11, 6))
    assert case.state == "accepted"


async def test_reimport_updates_the_hotline_fields_and_never_the_local_handling(
    store: Store,  # noqa: F811
    tmp_path: Path,
) -> None:
    await store.import_roster(ROSTER)
    await imported(store, write_csv(tmp_path / "w1.csv", rows3()))
    ids = await order_ids(store)
    centre = await user(store, "centre", "admin")
    [taken] = await service.take_in(store, [ids["GD001"]], centre)
    west = next(u for u in await store.list_units() if u.path == XINHUA)
    counts = Deadlines()
    fields = {"unit": west.code, "note": "改由新华街所办理"}
    await store.write(logic.transition, taken.case_id, centre, "dispatch", fields,
                      ms(2026, 11, 4), counts)  # fmt: skip

    def local(tx: Any) -> tuple[Any, ...]:
        row = tx.one(
            "SELECT state, category, sla_due_at, dispatch_unit_id, dispatched_at, unit_id, "
            "handler_id, reply, step_due_at FROM cases WHERE id = ?",
            (taken.case_id,),
        )
        assert row is not None
        return tuple(row)

    before = await store.read(local)
    # The hotline's next export: it closed the order, recategorised it, moved it to another
    # unit and recorded the citizen's satisfaction.
    later = [
        order("GD001", 诉求分类="窗口服务", 办结时间="2026-11-06 09:00", 满意度="不满意",
              回访结果="已回访", 承办单位="新华街派出所"),
        *rows3()[1:],
    ]  # fmt: skip
    result = await imported(store, write_csv(tmp_path / "w2.csv", later))
    assert result.updated == 1
    assert await store.read(local) == before
    gd1 = {o["order_no"]: o for o in await stored_orders(store, "12345")}["GD001"]
    assert (gd1["category"], gd1["satisfaction"]) == ("窗口服务", "dissatisfied")
    assert gd1["closed_at"] == ms(2026, 11, 6, 9, 0) and gd1["unit_id"] == west.id
    shown = await service.order_by_id(store, ids["GD001"])
    assert shown is not None and shown.case_state == "dispatched" and shown.hotline_closed


async def test_rules_per_channel_type_and_category_at_import_and_on_demand(
    store: Store,  # noqa: F811
    tmp_path: Path,
) -> None:
    await store.import_roster(ROSTER)
    rule, new = await service.add_rule(store, "12389", "投诉", "")  # every 12389 complaint
    assert new and (rule.channel, rule.order_type, rule.category) == ("12389", "complaint", "")
    assert not (await service.add_rule(store, "12389", "complaint", ""))[1]  # the same rule
    with pytest.raises(Invalid):
        await service.add_rule(store, "12389", "抱怨", "")
    with pytest.raises(Invalid):
        await service.add_rule(store, "99999", "", "")
    path = write_csv(tmp_path / "w.csv", [
        order("P1"), order("P2", 诉求类型="咨询"), order("P3", 诉求分类="交通秩序"),
    ])  # fmt: skip
    assert (await imported(store, path, "12389")).taken_in == 2  # P1, P3: complaints
    assert (await imported(store, path, "12345")).taken_in == 0  # another channel
    on_12345 = await order_ids(store, "12345")
    added, _ = await service.add_rule(store, "12345", "", "交通秩序")
    assert (await imported(store, path, "12345")).taken_in == 0  # unchanged rows: untouched
    assert await service.apply_rules(store) == 1  # on demand: P3 of 12345
    assert await service.apply_rules(store) == 0
    sources = [r[0] for r in await case_rows(store)]
    assert on_12345["P3"] in sources and on_12345["P1"] not in sources
    notes = await store.read(lambda tx: tx.all(
        "SELECT actor_name, note FROM audit_log WHERE action = 'open' ORDER BY id"))  # fmt: skip
    assert notes[-1] == ("规则", f"12345 P3 · 交通秩序 · 规则 #{added.id}")
    assert await service.remove_rule(store, added.id)
    assert not await service.remove_rule(store, added.id)
    assert [r.id for r in await service.list_rules(store)] == [rule.id]
    assert len(await case_rows(store)) == 3  # removing a rule keeps its cases


async def test_the_case_history_keeps_the_loops_dispatch_and_reply(
    store: Store,  # noqa: F811
    tmp_path: Path,
) -> None:
    await store.import_roster(ROSTER)
    await imported(store, write_csv(tmp_path / "w.csv", rows3()))
    ids = await order_ids(store)
    centre = await user(store, "centre", "admin")
    [taken] = await service.take_in(store, [ids["GD001"]], centre)
    unit = next(u for u in await store.list_units() if u.path == SHENGLI)
    counts = Deadlines()
    await store.write(logic.transition, taken.case_id, centre, "dispatch", {"unit": unit.code},
                      ms(2026, 11, 4), counts)  # fmt: skip
    await store.write(logic.transition, taken.case_id, centre, "reply", {"reply": "已处理"},
                      ms(2026, 11, 5), counts)  # fmt: skip
    history = await store.read(lambda tx: tx.all(
        "SELECT at, state, dispatch_unit_id, dispatched_at, dispatch_count, replied_at, "
        "category FROM case_history WHERE case_id = ? ORDER BY id", (taken.case_id,)))  # fmt: skip
    assert [tuple(h[1:]) for h in history[-2:]] == [
        ("dispatched", unit.id, ms(2026, 11, 4), 1, None, "户政管理"),
        ("replied", unit.id, ms(2026, 11, 4), 1, ms(2026, 11, 5), "户政管理"),
    ]


async def test_an_as_of_report_reads_dispatch_and_reply_as_they_stood(
    store: Store,  # noqa: F811
    tmp_path: Path,
) -> None:
    """The handling cycle's reply rate reads a case's dispatch and reply from the case
    history (migration 0028), so a report for a past moment is what it was then; a hotline
    order's case is left out (the order counts by its own row)."""
    from analytics.load import load_report_data
    from rating.cases.loop import open_case

    await store.import_roster(ROSTER)
    await imported(store, write_csv(tmp_path / "w.csv", rows3()))
    ids = await order_ids(store)
    centre = await user(store, "centre", "admin")
    [taken] = await service.take_in(store, [ids["GD001"]], centre)
    unit = next(u for u in await store.list_units() if u.path == SHENGLI)
    counts, t0, h = Deadlines(), ms(2026, 11, 2, 9), 3_600_000
    case_id = await store.write(open_case, "letter", 1, unit.id, "投诉", t0, counts)
    for at, action, fields in (
        (t0 + h, "accept", {"category": "投诉"}),
        (t0 + 2 * h, "dispatch", {"unit": unit.code}),
        (t0 + 30 * h, "reply", {"reply": "已答复"}),
    ):
        await store.write(logic.transition, case_id, centre, action, fields, at, counts)

    async def at(moment: int) -> tuple[Any, Any]:
        data = await load_report_data(store, t0 - h, t0 + 400 * 24 * h, moment)
        row = data.cases[data.cases["case_id"] == case_id].iloc[0]
        assert taken.case_id not in set(data.cases["case_id"])
        return row["dispatched_at"], row["replied_at"]

    dispatched, replied = await at(t0 + 3 * h)
    assert dispatched == t0 + 2 * h and replied is pd.NA
    assert await at(t0 + 40 * h) == (t0 + 2 * h, t0 + 30 * h)

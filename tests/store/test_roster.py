"""Store contract: units, the officer roster and badge tokens (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses

import pytest

from rating.cases import queries
from rating.cases.model import Actor
from rating.store import Store, logic
from rating.store.models import Outcome, RosterRow, TokenState
from tests.conftest import ROSTER
from tests.store.conftest import rating

BUREAU = "张家口市公安局"


async def test_ensure_unit_path_creates_each_level_once(store: Store) -> None:
    leaf = await store.ensure_unit_path(f"{BUREAU}/桥东分局/胜利路派出所")
    again = await store.ensure_unit_path(f"{BUREAU}/桥东分局/胜利路派出所/")
    assert again == leaf
    units = await store.list_units()
    assert [(u.path, u.depth) for u in units] == [
        (BUREAU, 1),
        (f"{BUREAU}/桥东分局", 2),
        (f"{BUREAU}/桥东分局/胜利路派出所", 3),
    ]
    assert units[1].parent_id == units[0].id and units[2].parent_id == units[1].id
    assert units[0].parent_id is None
    assert leaf.name == "胜利路派出所"
    assert await store.unit_by_code(leaf.code) == leaf
    assert await store.unit_by_code("U0000000000") is None


async def test_import_creates_officers_with_distinct_live_tokens(store: Store) -> None:
    result = await store.import_roster(ROSTER)
    assert result.created == ["100001", "100002", "100003"]
    assert result.errors == [] and result.updated == [] and result.unchanged == []
    assert f"{BUREAU}/桥西分局/新华街派出所" in result.units_created
    officers = await store.list_officers()
    assert [o.badge_no for o in officers] == ["100001", "100002", "100003"]
    tokens = {o.token for o in officers}
    assert len(tokens) == 3 and None not in tokens
    li = next(o for o in officers if o.badge_no == "100002")
    assert (li.name, li.kind, li.status, li.unit_name) == (
        "李娜",
        "auxiliary",
        "active",
        "胜利路派出所",
    )
    assert li.token is not None
    found = await store.lookup_token(li.token)
    assert found.state is TokenState.LIVE and found.officer == li
    assert (await store.lookup_token("ZZZZZZZZZZZZ")).state is TokenState.UNKNOWN


async def test_reimport_of_same_file_changes_nothing(store: Store) -> None:
    await store.import_roster(ROSTER)
    before = await store.list_officers()
    result = await store.import_roster(ROSTER)
    assert result.unchanged == ["100001", "100002", "100003"]
    assert result.created == [] and result.updated == [] and result.units_created == []
    assert await store.list_officers() == before


async def test_reimport_updates_name_and_unit_but_keeps_the_badge_code(store: Store) -> None:
    await store.import_roster(ROSTER)
    old = await store.officer_by_badge("100001")
    moved = dataclasses.replace(ROSTER[0], name="张伟伟", unit=f"{BUREAU}/桥西分局/新华街派出所")
    result = await store.import_roster([moved, *ROSTER[1:]])
    assert result.updated == ["100001"] and result.unchanged == ["100002", "100003"]
    new = await store.officer_by_badge("100001")
    assert old is not None and new is not None
    assert (new.name, new.unit_name, new.token) == ("张伟伟", "新华街派出所", old.token)


async def test_a_bad_row_undoes_the_whole_import(store: Store) -> None:
    rows = [
        *ROSTER,
        RosterRow(5, "100004", "赵敏", "某市公安局/某分局", "police"),
        RosterRow(6, "100005", "钱进", "胜利路派出所", "police"),
    ]
    result = await store.import_roster(rows, prior_errors=[(7, "kind is empty")])
    assert [line for line, _ in result.errors] == [5, 6, 7]
    assert "unknown top unit" in result.errors[0][1]
    assert "unknown unit" in result.errors[1][1]
    assert await store.list_officers(include_retired=True) == []
    assert await store.list_units() == []


async def test_skip_bad_imports_the_good_rows(store: Store) -> None:
    await store.import_roster(ROSTER[:1])
    bad = RosterRow(5, "100009", "孙丽", "某市公安局/某分局", "police")
    result = await store.import_roster([*ROSTER, bad], skip_bad=True)
    assert result.created == ["100002", "100003"] and result.unchanged == ["100001"]
    assert [line for line, _ in result.errors] == [5]
    assert await store.officer_by_badge("100009") is None
    assert len(await store.list_officers()) == 3


async def test_unit_by_code_or_existing_path_in_a_roster_cell(store: Store) -> None:
    await store.import_roster(ROSTER)
    unit = next(u for u in await store.list_units() if u.name == "新华街派出所")
    result = await store.import_roster(
        [
            *ROSTER,
            RosterRow(5, "100004", "赵敏", unit.code, "police"),
            RosterRow(6, "100005", "钱进", BUREAU, "auxiliary"),
        ]
    )
    assert result.created == ["100004", "100005"] and result.errors == []
    zhao = await store.officer_by_badge("100004")
    qian = await store.officer_by_badge("100005")
    assert zhao is not None and zhao.unit_id == unit.id
    assert qian is not None and qian.unit_path == BUREAU


async def test_missing_officers_are_reported_and_retired_on_request(store: Store) -> None:
    await store.import_roster(ROSTER)
    wang = await store.officer_by_badge("100003")
    assert wang is not None and wang.token is not None
    kept = await store.import_roster(ROSTER[:2])
    assert kept.missing == ["100003"] and kept.retired == []
    assert (await store.lookup_token(wang.token)).state is TokenState.LIVE

    retired = await store.import_roster(ROSTER[:2], retire_missing=True)
    assert retired.retired == ["100003"]
    assert [o.badge_no for o in await store.list_officers()] == ["100001", "100002"]
    everyone = await store.list_officers(include_retired=True)
    assert {o.badge_no: o.status for o in everyone}["100003"] == "retired"
    assert (await store.lookup_token(wang.token)).state is TokenState.REVOKED

    back = await store.import_roster(ROSTER)
    assert back.updated == ["100003"]
    assert (await store.lookup_token(wang.token)).state is TokenState.LIVE


async def test_list_officers_by_unit_includes_sub_units_but_not_lookalikes(
    store: Store,
) -> None:
    await store.import_roster(
        [*ROSTER, RosterRow(5, "100004", "赵敏", f"{BUREAU}/桥东分局二/某派出所", "police")]
    )
    east = await store.list_officers(f"{BUREAU}/桥东分局")
    assert [o.badge_no for o in east] == ["100001", "100002"]
    assert len(await store.list_officers(BUREAU)) == 4
    assert await store.list_officers(f"{BUREAU}/没有这个分局") == []


async def test_reissue_revokes_the_old_code(store: Store) -> None:
    await store.import_roster(ROSTER)
    before = await store.officer_by_badge("100001")
    after = await store.reissue_token("100001")
    assert before is not None and after is not None and before.token and after.token
    assert after.token != before.token
    assert (await store.lookup_token(before.token)).state is TokenState.REVOKED
    live = await store.lookup_token(after.token)
    assert live.state is TokenState.LIVE and live.officer == after
    assert await store.reissue_token("999999") is None
    assert await store.officer_by_badge("999999") is None


def _half_done(tx: logic.Tx) -> None:
    logic.ensure_unit_path(tx, f"{BUREAU}/桥东分局", 0)
    raise ValueError("changed my mind")


async def test_a_failing_unit_of_work_leaves_nothing_behind(store: Store) -> None:
    with pytest.raises(ValueError, match="changed my mind"):
        await store.write(_half_done)
    assert await store.list_units() == []
    # The store is still usable afterwards.
    assert (await store.ensure_unit_path(BUREAU)).path == BUREAU


async def test_a_unit_filter_takes_underscores_and_percents_literally(store: Store) -> None:
    # Unit names are free text; in LIKE, `_` and `%` would match a sibling unit too.
    rows = [
        RosterRow(2, "200001", "赵一", f"{BUREAU}/桥_东分局/一所", "police"),
        RosterRow(3, "200002", "钱二", f"{BUREAU}/桥X东分局/二所", "police"),
        RosterRow(4, "200003", "孙三", f"{BUREAU}/100%分局", "police"),
        RosterRow(5, "200004", "李四", f"{BUREAU}/100X分局/三所", "police"),
    ]
    assert not (await store.import_roster(rows)).errors
    names = [o.name for o in await store.list_officers(f"{BUREAU}/桥_东分局")]
    assert names == ["赵一"]
    assert [o.name for o in await store.list_officers(f"{BUREAU}/100%分局")] == ["孙三"]
    assert len(await store.list_officers(BUREAU)) == 4


async def test_a_unit_managers_cases_stop_at_their_subtree(store: Store) -> None:
    rows = [
        RosterRow(2, "200001", "赵一", f"{BUREAU}/桥_东分局/一所", "police"),
        RosterRow(3, "200002", "钱二", f"{BUREAU}/桥X东分局/二所", "police"),
    ]
    assert not (await store.import_roster(rows)).errors
    for officer in await store.list_officers():
        done = await store.submit_rating(rating(officer.token, 1, device=officer.badge_no))
        assert done.outcome is Outcome.CREATED
    manager = Actor(1, "m", "unit_manager", f"{BUREAU}/桥_东分局")
    cases = await store.read(queries.list_cases, manager, 0)
    assert [c.officer_name for c in cases] == ["赵一"]

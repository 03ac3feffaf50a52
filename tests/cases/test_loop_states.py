"""The case loop for every source (issue 18) on SQLite and PostgreSQL: a letter's case from
received to closed, every out-of-order pair of the loop's states refused, dispatch and reply
refusals (unknown unit or category, outside the user's scope, the wrong unit), return and
re-dispatch, bulk dispatch all or none, and a bad rating's case dispatched to a unit."""

from __future__ import annotations

import pytest

from rating.admin import auth
from rating.cases import queries, service, sla
from rating.cases.logic import allowed_actions
from rating.cases.model import Actor, CaseAction, CaseView
from rating.domain_errors import Conflict, Forbidden, Invalid
from rating.mailbox import service as mailbox
from rating.store import Store
from tests.cases.test_backends import store, submission  # noqa: F401
from tests.conftest import ROSTER
from tests.store.test_mailbox import KEYS, letter

STATION = "张家口市公安局/桥东分局/胜利路派出所"
OTHER = "张家口市公安局/桥西分局/新华街派出所"
HOUR = 3_600_000

# Written out by hand, not read from rating/cases/states.py: what each loop state allows.
ALLOWED: dict[str, set[str]] = {
    "received": {"take", "accept"},
    "accepted": {"take", "dispatch"},
    "dispatched": {"take", "redispatch", "reply", "return"},
    "replied": {"take", "redispatch", "callback"},
    "rectified": {"take", "close"},
}


async def _user(store: Store, name: str, role: str, unit: str | None) -> Actor:  # noqa: F811
    code = None
    if unit is not None:
        code = next(u.code for u in await store.list_units() if u.path == unit)
    user = await store.write(
        auth.add_user, name, role, code, auth.hash_password("x" * 12), service.now_ms()
    )
    return user.actor()


async def _code(store: Store, path: str) -> str:  # noqa: F811
    return next(u.code for u in await store.list_units() if u.path == path)


async def _letter_case(store: Store, actor: Actor, **fields: object) -> CaseView:  # noqa: F811
    done = await mailbox.submit_letter(
        store, KEYS, letter(**fields), unit_id=None, device=None, address=None
    )
    assert done.created and done.letter_id is not None
    found = await service.source_cases(store, "letter", [done.letter_id])
    return await service.get_case(store, found[done.letter_id][0], actor)


async def _in_state(store: Store, actor: Actor, name: str) -> CaseView:  # noqa: F811
    case = await _letter_case(store, actor)
    unit = await _code(store, STATION)
    steps: list[tuple[str, dict[str, str]]] = [
        ("accept", {"category": "投诉"}),
        ("dispatch", {"unit": unit}),
        ("reply", {"reply": "已核查并整改"}),
    ]
    order = ["received", "accepted", "dispatched", "replied"]
    if name == "rectified":
        steps += [
            ("callback", {"outcome": "reached", "note": "n"}),
            ("verify", {"verification": "substantiated", "note": "n"}),
            ("rectify", {"measures": "m"}),
            ("complete", {}),
        ]
        n = len(steps)
    else:
        n = order.index(name)
    for action, fields in steps[:n]:
        case = await service.transition(store, case.id, actor, action, fields)
    assert case.state == name
    return case


@pytest.fixture
async def ready(store: Store) -> Store:  # noqa: F811
    await store.import_roster(ROSTER)
    return store


async def test_a_letter_runs_the_whole_loop_and_its_receipt_follows(ready: Store) -> None:
    store = ready  # noqa: F811
    admin = await _user(store, "centre", "admin", None)
    manager = await _user(store, "station", "unit_manager", STATION)
    case = await _letter_case(store, admin)
    assert (case.state, case.source, case.category, case.officer_id) == (
        "received", "letter", "投诉", None,
    )  # fmt: skip
    assert case.step == "accept" and case.due_at is not None and case.sla_due_at is not None
    # A letter to the bureau as a whole: not in any unit's scope until dispatched.
    assert await service.list_cases(store, manager) == []
    case = await service.transition(store, case.id, admin, "accept", {"category": "求助"})
    assert (case.state, case.category, case.step) == ("accepted", "求助", "dispatch")
    unit = await _code(store, STATION)
    case = await service.transition(store, case.id, admin, "dispatch", {"unit": unit})
    assert (case.state, case.dispatch_unit_path, case.step) == ("dispatched", STATION, "reply")
    assert case.due_at == case.sla_due_at  # the unit's deadline is the category's
    # The station's queue shows it; the station replies.
    queue = await service.list_cases(store, manager, state="dispatched")
    assert [c.id for c in queue] == [case.id]
    case = await service.transition(store, case.id, manager, "reply", {"reply": "已联系当事人"})
    assert (case.state, case.reply, case.step) == ("replied", "已联系当事人", "callback")
    view = await mailbox.letter_by_receipt(store, case.receipt)
    assert view is not None and (view.status, view.reply) == ("replied", "已联系当事人")
    for action, fields in [
        ("callback", {"outcome": "reached", "note": "群众认可"}),
        ("verify", {"verification": "partly_substantiated", "note": "n"}),
        ("rectify", {"measures": "加开窗口"}),
        ("complete", {"note": "已完成"}),
        ("close", {"note": "办结"}),
    ]:
        case = await service.transition(store, case.id, admin, action, fields)
    assert case.state == "closed" and case.rectified_at is not None and case.step is None
    view = await mailbox.letter_by_receipt(store, case.receipt)
    assert view is not None and view.status == "closed"
    trail = [e.action for e in await service.case_audit(store, case.id)]
    assert trail == [
        "open", "accept", "dispatch", "reply", "callback", "verify", "rectify", "complete",
        "close",
    ]  # fmt: skip


async def test_every_out_of_order_action_of_the_loop_is_refused(ready: Store) -> None:
    store = ready  # noqa: F811
    admin = await _user(store, "centre", "admin", None)
    refused = 0
    fields = {
        "note": "n", "outcome": "reached", "verification": "substantiated", "measures": "m",
        "category": "投诉", "unit": await _code(store, STATION), "reply": "r", "reason": "x",
    }  # fmt: skip
    for name, allowed in ALLOWED.items():
        case = await _in_state(store, admin, name)
        assert set(allowed_actions(case, admin)) == allowed, name
        before = await service.case_audit(store, case.id)
        for action in CaseAction:
            if action in allowed:
                continue
            with pytest.raises(Conflict):
                await service.transition(store, case.id, admin, action, dict(fields))
            refused += 1
        assert await service.get_case(store, case.id, admin) == case, name
        assert await service.case_audit(store, case.id) == before
    assert refused == len(ALLOWED) * len(CaseAction) - sum(len(a) for a in ALLOWED.values())


async def test_dispatch_and_reply_refusals_name_the_field(ready: Store) -> None:
    store = ready  # noqa: F811
    admin = await _user(store, "centre", "admin", None)
    east = await _user(store, "east", "unit_manager", "张家口市公安局/桥东分局")
    west = await _user(store, "west", "unit_manager", OTHER)
    case = await _letter_case(store, admin)
    with pytest.raises(Invalid, match="^category: unknown"):
        await service.transition(store, case.id, admin, "accept", {"category": "闲聊"})
    case = await service.transition(store, case.id, admin, "accept", {})
    with pytest.raises(Invalid, match="^unit: unknown"):
        await service.transition(store, case.id, admin, "dispatch", {"unit": "NOPE"})
    with pytest.raises(Invalid, match="^unit: required"):
        await service.transition(store, case.id, admin, "dispatch", {})
    case = await service.transition(
        store, case.id, admin, "dispatch", {"unit": await _code(store, STATION)}
    )
    # East (the station's parent) sees it; it may not send it to the west's station.
    with pytest.raises(Forbidden, match="^unit: outside"):
        await service.transition(
            store, case.id, east, "redispatch", {"unit": await _code(store, OTHER), "reason": "x"}
        )
    with pytest.raises(Invalid, match="^reply: required"):
        await service.transition(store, case.id, east, "reply", {"reply": " "})
    # Re-dispatched to the west: the east may no longer reply, the west may return it.
    case = await service.transition(
        store, case.id, admin, "redispatch", {"unit": await _code(store, OTHER), "reason": "辖区"}
    )
    assert case.dispatch_count == 2 and case.dispatch_unit_path == OTHER
    with pytest.raises(Forbidden):
        await service.transition(store, case.id, east, "reply", {"reply": "r"})
    with pytest.raises(Invalid, match="^reason: required"):
        await service.transition(store, case.id, west, "return", {})
    case = await service.transition(store, case.id, west, "return", {"reason": "不属本所辖区"})
    assert (case.state, case.return_reason, case.step) == ("accepted", "不属本所辖区", "dispatch")
    assert case.due_at is not None


async def test_bulk_dispatch_is_all_or_none(ready: Store) -> None:
    store = ready  # noqa: F811
    admin = await _user(store, "centre", "admin", None)
    a = await service.transition(store, (await _letter_case(store, admin)).id, admin, "accept", {})
    b = await _letter_case(store, admin)  # still received: cannot be dispatched
    unit = await _code(store, STATION)
    with pytest.raises(Conflict, match=f"^case {b.id}: "):
        await service.dispatch_many(store, [a.id, b.id], unit, admin)
    assert (await service.get_case(store, a.id, admin)).state == "accepted"
    b = await service.transition(store, b.id, admin, "accept", {})
    done = await service.dispatch_many(store, [a.id, b.id], unit, admin)
    assert [c.state for c in done] == ["dispatched", "dispatched"]
    with pytest.raises(Invalid, match="^ids: "):
        await service.dispatch_many(store, [], unit, admin)


async def test_a_bad_rating_keeps_its_path_and_may_be_dispatched(ready: Store) -> None:
    store = ready  # noqa: F811
    admin = await _user(store, "centre", "admin", None)
    token = (await store.list_officers())[0].token or ""
    await store.submit_rating(submission(token, 1))
    case = (await service.list_cases(store, admin))[0]
    assert (case.state, case.source, case.category) == ("open", "rating", "差评")
    assert set(allowed_actions(case, admin)) == {"take", "callback", "dispatch"}
    case = await service.transition(
        store, case.id, admin, "dispatch", {"unit": await _code(store, STATION)}
    )
    assert case.state == "dispatched" and case.sla_class == "other" and case.due_at
    case = await service.transition(store, case.id, admin, "reply", {"reply": "已约谈民警"})
    progress = await service.progress(store, case.receipt)
    assert progress is not None and progress.reply == "已约谈民警"


async def test_an_urgent_category_is_due_in_hours(ready: Store) -> None:
    store = ready  # noqa: F811

    await store.write(sla.map_category, "mailbox", "求助", "urgent", service.now_ms())
    admin = await _user(store, "centre", "admin", None)
    case = await _letter_case(store, admin, category="求助")
    assert case.sla_class == "urgent" and case.sla_due_at == case.opened_at + 2 * HOUR
    assert case.due_at is not None and case.due_at <= case.opened_at + 2 * HOUR
    # Overdue once the two hours pass undone.
    later = case.opened_at + 3 * HOUR
    late = await store.read(lambda tx: queries.list_cases(tx, admin, later, overdue=True))
    assert [(c.id, c.overdue) for c in late] == [(case.id, "accept")]

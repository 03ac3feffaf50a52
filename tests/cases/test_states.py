"""The case state table: every out-of-order (state, action) pair is refused, on SQLite and
PostgreSQL, leaving the case and its audit log as they were; the case page offers exactly
the actions that are accepted."""

from __future__ import annotations

import pytest

from rating.admin import auth
from rating.cases import service
from rating.cases.logic import allowed_actions
from rating.cases.model import Actor, CaseAction, CaseView
from rating.domain_errors import Conflict, Forbidden, Invalid
from rating.store import Store
from tests.cases.test_backends import store, submission  # noqa: F401
from tests.conftest import ROSTER

# Written out by hand, not read from rating/cases/states.py: what each state allows.
ALLOWED: dict[str, set[str]] = {
    "open": {"take", "callback", "dispatch"},  # dispatch: issue 18's loop
    "called_back": {"take", "callback", "verify"},
    "verified_substantiated": {"take", "rectify"},
    "verified_unsubstantiated": {"take", "close"},
    "rectifying": {"take", "close", "complete"},
    "closed": {"reopen"},
}
# How to bring a fresh case into each state.
STEPS: dict[str, list[tuple[str, dict[str, str]]]] = {
    "open": [],
    "called_back": [("callback", {"outcome": "reached", "note": "n"})],
    "verified_substantiated": [
        ("callback", {"outcome": "reached", "note": "n"}),
        ("verify", {"verification": "substantiated", "note": "n"}),
    ],
    "verified_unsubstantiated": [
        ("callback", {"outcome": "reached", "note": "n"}),
        ("verify", {"verification": "unsubstantiated", "note": "n"}),
    ],
    "rectifying": [
        ("callback", {"outcome": "reached", "note": "n"}),
        ("verify", {"verification": "partly_substantiated", "note": "n"}),
        ("rectify", {"measures": "m"}),
    ],
    "closed": [
        ("callback", {"outcome": "declined", "note": "n"}),
        ("verify", {"verification": "mistaken_malicious", "note": "n"}),
        ("close", {"note": "n"}),
    ],
}
# Every field any action reads, valid: a refusal is then never about the input.
FIELDS = {
    "note": "n",
    "outcome": "reached",
    "verification": "substantiated",
    "measures": "m",
    "category": "投诉",
    "unit": "NOPE",
    "reply": "r",
    "reason": "x",
}


async def _admin(store: Store, name: str = "admin1", role: str = "admin") -> Actor:  # noqa: F811
    user = await store.write(
        auth.add_user, name, role, None, auth.hash_password("x" * 12), service.now_ms()
    )
    return user.actor()


async def _cases(store: Store, actor: Actor) -> dict[str, CaseView]:  # noqa: F811
    """One case in each state of STEPS, reached through the service as the web does."""
    await store.import_roster(ROSTER)
    token = (await store.list_officers())[0].token or ""
    out: dict[str, CaseView] = {}
    for i, (name, steps) in enumerate(STEPS.items()):
        await store.submit_rating(submission(token, 1, device_hash=f"device-{i}"))
        case = max(await service.list_cases(store, actor), key=lambda c: c.id)
        assert case.state == "open" and case.id not in {c.id for c in out.values()}
        for action, fields in steps:
            case = await service.transition(store, case.id, actor, action, fields)
        out[name] = case
    return out


async def test_every_out_of_order_action_is_refused_and_changes_nothing(
    store: Store,  # noqa: F811
) -> None:
    actor = await _admin(store)
    cases = await _cases(store, actor)
    refused = 0
    for name, case in cases.items():
        assert set(allowed_actions(case, actor)) == ALLOWED[name], name
        audit_before = await service.case_audit(store, case.id)
        for action in CaseAction:
            if action in ALLOWED[name]:
                continue
            with pytest.raises(Conflict):
                await service.transition(store, case.id, actor, action, dict(FIELDS))
            refused += 1
        after = await service.get_case(store, case.id, actor)
        assert after == case, f"a refused action changed the {name} case"
        assert await service.case_audit(store, case.id) == audit_before
    # 12 actions x 6 states, minus the 14 allowed pairs (the loop's own states are in
    # tests/cases/test_loop_states.py).
    assert refused == 72 - sum(len(a) for a in ALLOWED.values()) == 58


async def test_refusals_say_why(store: Store) -> None:  # noqa: F811
    actor = await _admin(store)
    cases = await _cases(store, actor)

    async def refusal(name: str, action: str) -> str:
        with pytest.raises(Conflict) as refused:
            await service.transition(store, cases[name].id, actor, action, dict(FIELDS))
        return refused.value.en

    assert await refusal("verified_substantiated", "close") == (
        "a substantiated complaint must be rectified first"
    )
    assert await refusal("verified_unsubstantiated", "rectify") == (
        "only a substantiated complaint is rectified"
    )
    assert await refusal("closed", "take") == "the case is closed"
    assert await refusal("closed", "callback") == "not allowed while the case is closed"
    assert await refusal("open", "verify") == "not allowed while the case is open"


async def test_unknown_action_and_read_only_account(store: Store) -> None:  # noqa: F811
    actor = await _admin(store)
    cases = await _cases(store, actor)
    with pytest.raises(Invalid):
        await service.transition(store, cases["open"].id, actor, "escalate", dict(FIELDS))
    viewer = await _admin(store, "viewer1", "viewer")
    assert allowed_actions(cases["open"], viewer) == []
    with pytest.raises(Forbidden):
        await service.transition(store, cases["open"].id, viewer, "take", {})
    assert await service.get_case(store, cases["open"].id, actor) == cases["open"]

"""The operations behind the officers, users, kiosks and units pages on both databases
(SQLite and PostgreSQL): the SQL they run is portable and scoped as the pages promise."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from rating.admin import access, auth, kiosk_admin, officer_admin, unit_admin
from rating.cases.model import Actor
from rating.clock import now_ms
from rating.store import Store
from tests.backends import BACKENDS, roster_store

EAST = "张家口市公安局/桥东分局"
UNIT = "张家口市公安局/桥东分局/胜利路派出所"


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with roster_store(request.param, tmp_path) as s:
        yield s


async def _admin(store: Store) -> Actor:
    user = await store.write(auth.add_user, "admin1", "admin", None, "x", now_ms())
    return user.actor()


async def test_officer_search_scope_move_retire(store: Store) -> None:
    admin = await _admin(store)
    east = Actor(99, "east", "unit_manager", EAST)
    found = await officer_admin.search(store, admin, "10000", None, False, 10, 0)
    assert [o.badge_no for o in found] == ["100001", "100002", "100003"]
    found = await officer_admin.search(store, east, "", None, False, 10, 0)
    assert [o.badge_no for o in found] == ["100001", "100002"]
    assert [
        o.badge_no for o in await officer_admin.search(store, admin, "王", None, False, 10, 0)
    ] == ["100003"]
    assert await officer_admin.officer(store, east, "100003") is None
    assert await officer_admin.move(store, admin, "100001", EAST)
    assert await officer_admin.retire(store, admin, "100001")
    assert await officer_admin.search(store, admin, "100001", None, False, 10, 0) == []
    (o,) = await officer_admin.search(store, admin, "100001", None, True, 10, 0)
    assert (o.status, o.unit_path) == ("retired", EAST)
    stats = await officer_admin.stats(store, o.id)
    assert sum(stats.by_level.values()) == 0 and len(stats.weeks) == officer_admin.TREND_WEEKS


async def test_access_tokens_kiosks_units(store: Store) -> None:
    admin = await _admin(store)
    await access.add_user(store, admin, "v1", "viewer", None, "a long password")
    await access.change_access(store, admin, "v1", "unit_manager", UNIT)
    users = {u.name: u for u in await access.list_users(store)}
    assert (users["v1"].role, users["v1"].unit_path) == ("unit_manager", UNIT)
    await access.new_token(store, admin, "v1", "script")
    (token,) = await access.list_tokens(store)
    assert token.user_name == "v1" and token.revoked_at is None
    assert await access.revoke_token(store, admin, token.id)
    assert not await access.revoke_token(store, admin, token.id)

    await kiosk_admin.add_kiosk(store, admin, "k1", UNIT)
    (health,) = await kiosk_admin.kiosk_health(store)
    assert (health.kiosk.name, health.last_seen, health.taps_day) == ("k1", None, 0)
    assert await kiosk_admin.revoke_kiosk(store, admin, "k1")

    tree = await unit_admin.unit_tree(store, admin)
    counts = {r.unit.path: r.officers for r in tree}
    assert counts[UNIT] == 2
    assert await unit_admin.unmatched_names(store) == []
    await unit_admin.add_override(store, admin, "2031-10-08", "workday", "")
    cal = await unit_admin.calendar(store)
    assert cal.overrides[0][:2] == ("2031-10-08", "workday") and cal.provisional_cases == 0

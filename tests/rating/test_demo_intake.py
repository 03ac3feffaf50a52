"""The demo's citizen supervisor with PINGJING_SUPERVISOR_UNIT set: the reports go at once
to the discipline unit, whose manager replies, and their scripts go on from there.
(Without the setting, tests/rating/test_demo.py runs the whole demo.)"""

from __future__ import annotations

from pathlib import Path

from rating.crypto import Keys
from rating.demo import BUREAU, DemoResult, _account_actor, ensure_accounts, seed_roster
from rating.demo_intake import SUPERVISOR, seed_intakes
from rating.settings import Settings
from rating.store import make_store
from tests.conftest import make_settings, rows

DAY = 86_400_000
NOW = 1_764_633_600_000  # 2025-12-02 08:00 Asia/Shanghai


async def _seed(tmp_path: Path, route_code: str | None) -> tuple[Settings, list[str], str]:
    """The demo's roster and accounts, then its intakes with `route_code` as the
    discipline unit's code (None: the Qiaodong branch's); the settings, what was made,
    the branch's path."""
    settings = make_settings(tmp_path)
    store = make_store(settings, one_shot=True)
    await store.open()
    try:
        await seed_roster(store, NOW)
        await ensure_accounts(store, "secret", NOW, DemoResult())
        branch = next(u for u in await store.list_units() if u.path == f"{BUREAU}/桥东分局")
        admin = await _account_actor(store, "demo")
        manager = await _account_actor(store, "demo-manager")
        made = await seed_intakes(
            store, Keys("secret"), list(await store.list_officers()), admin, manager, NOW,
            route_code=route_code or branch.code,
        )  # fmt: skip
    finally:
        await store.close()
    return settings, made, branch.path


async def test_reports_routed_to_the_discipline_unit_are_worked_from_there(
    tmp_path: Path,
) -> None:
    settings, made, branch = await _seed(tmp_path, None)
    assert made[0].startswith(f"citizen supervisor {SUPERVISOR} with 2 reports")
    cases = rows(
        settings,
        "SELECT c.state, u.path FROM cases c JOIN units u ON u.id = c.dispatch_unit_id "
        "WHERE c.source = 'supervisor' ORDER BY c.id",
    )
    # The older report went on to its rectification; the newer one waits for the unit.
    assert cases == [("rectifying", branch), ("dispatched", branch)]
    # Routed by the system (no accept or dispatch by the centre), replied by the manager.
    assert rows(
        settings,
        "SELECT a.action, a.actor_name FROM audit_log a JOIN cases c ON c.id = a.case_id "
        "WHERE c.source = 'supervisor' AND a.action IN ('accept', 'dispatch', 'reply') "
        "ORDER BY a.id",
    ) == [("accept", "系统"), ("dispatch", "系统"), ("accept", "系统"), ("dispatch", "系统"),
          ("reply", "demo-manager")]  # fmt: skip


async def test_a_discipline_unit_code_that_names_no_unit_leaves_the_centre_to_route(
    tmp_path: Path,
) -> None:
    settings, _, _ = await _seed(tmp_path, "NO-SUCH-UNIT")
    # The reports wait for the centre, which accepts and dispatches the older one itself.
    assert rows(settings, "SELECT state FROM cases WHERE source = 'supervisor' ORDER BY id") == [
        ("rectifying",),
        ("received",),
    ]
    assert rows(
        settings,
        "SELECT a.actor_name FROM audit_log a JOIN cases c ON c.id = a.case_id "
        "WHERE c.source = 'supervisor' AND a.action = 'accept'",
    ) == [("demo",)]

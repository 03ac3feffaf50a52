"""Named operations behind the units page: the unit tree with counts, the work-order name
aliases with the unmatched names of recent imports, and the working-day calendar.

Alias and calendar changes run the units of work the CLI runs (rating.workorders.store,
rating.cases.deadlines) and are audited under the admin who made them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rating.cases import deadlines
from rating.cases.audit import audit
from rating.cases.calendar import SHANGHAI, package_years
from rating.cases.model import Actor, Deadlines
from rating.clock import now_ms
from rating.store import Store, logic
from rating.store.models import Unit
from rating.workorders import store as wos

if TYPE_CHECKING:
    from rating.store.tx import Tx

RECENT_IMPORTS = 20
UNMATCHED_SHOWN = 50


@dataclass(frozen=True)
class UnitRow:
    unit: Unit
    officers: int  # active officers of the unit itself (not its sub-units)
    ratings_week: int  # ratings of the unit's officers since Monday (Asia/Shanghai)
    open_cases: int


def week_start(now: int) -> int:
    day = dt.datetime.fromtimestamp(now / 1000, SHANGHAI).date()
    monday = day - dt.timedelta(days=day.weekday())
    return int(dt.datetime.combine(monday, dt.time(), SHANGHAI).timestamp() * 1000)


def _counts(tx: Tx, sql: str, params: tuple[int, ...] = ()) -> dict[int, int]:
    """{unit id: count}; rows of no unit (a letter to the whole bureau) belong to no row of
    the tree."""
    return {int(r[0]): int(r[1]) for r in tx.all(sql, params) if r[0] is not None}


def unit_tree_tx(tx: Tx, actor: Actor, now: int) -> list[UnitRow]:
    """The units the actor sees, in tree order (by path), each with its own counts."""
    officers = _counts(
        tx, "SELECT unit_id, COUNT(*) FROM officers WHERE status = 'active' GROUP BY unit_id"
    )
    ratings = _counts(
        tx,
        "SELECT unit_id, COUNT(*) FROM ratings WHERE created_at >= ? GROUP BY unit_id",
        (week_start(now),),
    )
    cases = _counts(
        tx, "SELECT unit_id, COUNT(*) FROM cases WHERE state <> 'closed' GROUP BY unit_id"
    )
    return [
        UnitRow(u, officers.get(u.id, 0), ratings.get(u.id, 0), cases.get(u.id, 0))
        for u in sorted(logic.list_units(tx), key=lambda u: u.path)
        if actor.sees(u.path)
    ]


def unmatched_tx(tx: Tx) -> list[tuple[str, int]]:
    """Handling-unit names of the recent imports' work orders that match no unit, with how
    many work orders carry each, most first."""
    rows = tx.all(
        "SELECT unit_name, COUNT(*) FROM workorders WHERE unit_id IS NULL AND unit_name IS "
        "NOT NULL AND unit_name <> '' AND last_import_id IN (SELECT id FROM "
        "workorder_imports ORDER BY id DESC LIMIT ?) GROUP BY unit_name "
        "ORDER BY COUNT(*) DESC, unit_name LIMIT ?",
        (RECENT_IMPORTS, UNMATCHED_SHOWN),
    )
    return [(str(r[0]), int(r[1])) for r in rows]


def _claim_audit(tx: Tx, actor: Actor, action: str) -> None:
    # The CLI's unit of work wrote its entry as the system; in this same transaction it is
    # the newest such entry: put the admin's name on it instead of writing a second one.
    tx.run(
        "UPDATE audit_log SET actor_id = ?, actor_name = ? WHERE id = (SELECT MAX(id) FROM "
        "audit_log WHERE action = ? AND actor_id IS NULL)",
        (actor.id, actor.name, action),
    )


def add_alias_tx(tx: Tx, alias: str, unit_ref: str, now: int, actor: Actor) -> tuple[str, int]:
    path, rematched = wos.add_alias(tx, alias, unit_ref, now)
    audit(tx, now, actor, "alias_add", note=f"{alias.strip()} -> {path}", items=rematched)
    return path, rematched


def remove_alias_tx(tx: Tx, alias: str, now: int, actor: Actor) -> bool:
    done = wos.remove_alias(tx, alias)
    if done:
        audit(tx, now, actor, "alias_remove", note=alias)
    return done


def add_override_tx(
    tx: Tx, day: str, kind: str, note: str, now: int, actor: Actor, counts: Deadlines
) -> int:
    changed = deadlines.add_override(tx, day, kind, note, now, counts)
    _claim_audit(tx, actor, "calendar")
    return changed


def publish_year_tx(tx: Tx, year: int, note: str, now: int, actor: Actor, counts: Deadlines) -> int:
    changed = deadlines.publish_year(tx, year, note, now, counts)
    _claim_audit(tx, actor, "calendar")
    return changed


@dataclass(frozen=True)
class CalendarView:
    package_years: tuple[int, int]
    published: list[int]
    overrides: list[tuple[str, str, str]]
    provisional_cases: int  # open cases with a deadline still counted provisionally


def calendar_tx(tx: Tx) -> CalendarView:
    overrides, years = deadlines.calendar_rows(tx)
    row = tx.one(
        "SELECT COUNT(*) FROM cases WHERE state <> 'closed' AND (callback_due_provisional = 1 "
        "OR rectify_due_provisional = 1 OR step_due_provisional = 1)"
    )
    pkg = sorted(package_years())
    return CalendarView((pkg[0], pkg[-1]), years, overrides, int(row[0]) if row else 0)


# ---------------------------------------------------------------- named async operations


async def unit_tree(store: Store, actor: Actor) -> list[UnitRow]:
    return await store.read(unit_tree_tx, actor, now_ms())


async def unmatched_names(store: Store) -> list[tuple[str, int]]:
    return await store.read(unmatched_tx)


async def aliases(store: Store) -> list[tuple[str, str, str]]:
    return await store.read(wos.list_aliases)


async def add_alias(store: Store, actor: Actor, alias: str, unit_ref: str) -> tuple[str, int]:
    """(unit path, work orders re-matched). Raises wos.AliasError for an unknown unit."""
    return await store.write(add_alias_tx, alias, unit_ref, now_ms(), actor)


async def remove_alias(store: Store, actor: Actor, alias: str) -> bool:
    return await store.write(remove_alias_tx, alias, now_ms(), actor)


async def calendar(store: Store) -> CalendarView:
    return await store.read(calendar_tx)


async def add_override(store: Store, actor: Actor, day: str, kind: str, note: str) -> int:
    """Make `day` (YYYY-MM-DD) a holiday or working day; provisional deadlines recomputed.
    ValueError for a bad date or kind."""
    day = dt.date.fromisoformat(day).isoformat()
    if kind not in ("holiday", "workday"):
        raise ValueError("kind must be holiday or workday")
    return await store.write(
        add_override_tx, day, kind, note, now_ms(), actor, store.limits.deadlines
    )


async def publish_year(store: Store, actor: Actor, year: int, note: str) -> int:
    if not 2000 <= year <= 2100:
        raise ValueError("the year must be between 2000 and 2100")
    return await store.write(publish_year_tx, year, note, now_ms(), actor, store.limits.deadlines)

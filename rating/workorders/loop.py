"""Hotline work orders taken into the case loop (issue 18, item 4).

An imported work order becomes a case of source `workorder` (its `source_id` the order's
id) when someone takes it in from the admin page (single or bulk; an order the hotline
already closed only when asked to explicitly) or when a rule of `workorder_rules` matches
it: every order of a channel, of an order type and/or a category ('' = any), applied to an
import's orders as it is imported and on demand to every stored order. The case opens
`accepted` — the hotline has accepted the order, the centre has decided to work it — with
the category of the order (its 诉求分类, else its order type) and the due time the SLA table
gives that category on the order's channel from the order's receipt; it is then dispatched
and worked like any case.

The case keeps the local handling; the order keeps the hotline's own fields, which a
re-import updates (rating/workorders/store.py never writes `cases`). Taking an order in
twice returns its case: `cases(source, source_id)` is unique (migration 0021), the order is
locked while it is taken in and the insert does nothing on a conflict, so two instances
cannot open two cases for it.

Units of work over a `Tx`, like rating/workorders/store.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rating.cases.audit import audit
from rating.cases.calendar import WorkCalendar
from rating.cases.deadlines import load_calendar
from rating.cases.model import Actor, CaseSource, CaseState, Deadlines
from rating.cases.sla import SlaTable, load_sla
from rating.clock import now_ms
from rating.domain_errors import Conflict, Forbidden, Invalid, NotFound
from rating.store import Store
from rating.subtree import SUBTREE_SQL, subtree_params
from rating.workorders import CHANNELS
from rating.workorders.schema import CODES, DEFAULT_VALUES

if TYPE_CHECKING:
    from rating.store.tx import Tx

SOURCE = str(CaseSource.WORKORDER)
MAX_BULK = 200  # orders per take-in (one transaction), as the case list's bulk actions
# Orders per write transaction when rules are applied (each order: ~0.3 ms of SQL on
# SQLite, so a chunk holds the write lock ~15 ms), and the pause between two chunks, in
# which a server writing to the same SQLite file takes the lock (as an import's, see
# rating/workorders/store.py IMPORT_PAUSE_S).
RULE_CHUNK = 50
RULE_PAUSE_S = 0.015
MAX_RULE_TEXT = 100
ORDER_TYPES = CODES["order_type"]
# An order type's Chinese name (the first spelling the import understands): the category
# of an order without a 诉求分类.
ORDER_TYPE_NAMES = {
    code: next(k for k, v in DEFAULT_VALUES["order_type"].items() if v == code)
    for code in ORDER_TYPES
}
FALLBACK_CATEGORY = "工单"


@dataclass(frozen=True)
class Taken:
    """One order taken in: its case, and whether this call opened it."""

    order_id: int
    case_id: int
    opened: bool


@dataclass(frozen=True)
class Rule:
    id: int
    channel: str
    order_type: str  # '' = any
    category: str  # '' = any
    created_at: int
    created_by: str


@dataclass(frozen=True)
class OrderView:
    """A work order as the hotline gave it, with its case if it was taken in."""

    id: int
    channel: str
    order_no: str
    received_at: int
    order_type: str | None
    category: str | None
    content: str | None
    unit_name: str | None
    unit_path: str | None
    badge_no: str | None
    dispatched_at: int | None
    due_at: int | None
    due_source: str | None
    closed_at: int | None
    resolution: str | None
    callback_at: int | None
    callback_outcome: str | None
    satisfaction: str | None
    verification: str | None
    rectification: str | None
    rectified_at: int | None
    phone_mask: str | None
    updated_at: int
    case_id: int | None
    case_state: str | None

    @property
    def hotline_closed(self) -> bool:
        return self.closed_at is not None


_ORDER_COLS = (
    "w.id, w.channel, w.order_no, w.received_at, w.order_type, w.category, w.content, "
    "w.unit_name, u.path, w.badge_no, w.dispatched_at, w.due_at, w.due_source, w.closed_at, "
    "w.resolution, w.callback_at, w.callback_outcome, w.satisfaction, w.verification, "
    "w.rectification, w.rectified_at, w.phone_mask, w.updated_at, c.id, c.state"
)
_ORDER_FROM = (
    "FROM workorders w LEFT JOIN units u ON u.id = w.unit_id "
    f"LEFT JOIN cases c ON c.source = '{SOURCE}' AND c.source_id = w.id"
)


def _order(row: Sequence[Any]) -> OrderView:
    return OrderView(*row)


def category_of(category: str | None, order_type: str | None) -> str:
    """The case's category: the order's 诉求分类, else its order type's name."""
    text = (category or "").strip()
    if text:
        return text
    return ORDER_TYPE_NAMES.get(order_type or "", FALLBACK_CATEGORY)


# ---------------------------------------------------------------- taking in


def _in_scope(actor: Actor, unit_path: str | None) -> bool:
    """An order without a matched unit is for bureau-wide users only."""
    return actor.unit_path is None if unit_path is None else actor.sees(unit_path)


@dataclass(frozen=True)
class Lookup:
    """The SLA table and the calendar, read once for many take-ins."""

    sla: SlaTable
    cal: WorkCalendar


def load_lookup(tx: Tx) -> Lookup:
    return Lookup(load_sla(tx), load_calendar(tx))


def take_one(
    tx: Tx,
    order_id: int,
    actor: Actor | None,
    now: int,
    counts: Deadlines,
    *,
    closed_ok: bool = False,
    rule: Rule | None = None,
    lookup: Lookup | None = None,
) -> Taken | None:
    """Open the case of one work order (`actor` None: a rule did it), in the caller's
    transaction; the order's existing case if it has one. An order out of the actor's
    scope is NotFound (as a case would be); one the hotline closed is a Conflict unless
    `closed_ok` (for a rule: None, left alone)."""
    tx.lock(f"workorder:{order_id}")
    row = tx.one(
        "SELECT w.channel, w.order_no, w.received_at, w.order_type, w.category, w.unit_id, "
        "w.officer_id, w.closed_at, u.path FROM workorders w "
        "LEFT JOIN units u ON u.id = w.unit_id WHERE w.id = ?",
        (order_id,),
    )
    if row is None or (actor is not None and not _in_scope(actor, row[8])):
        raise NotFound(f"work order {order_id} not found", f"未找到工单 {order_id}")
    channel, order_no, received, order_type, category, unit_id, officer_id, closed = row[:8]
    found = tx.one("SELECT id FROM cases WHERE source = ? AND source_id = ?", (SOURCE, order_id))
    if found is not None:
        return Taken(order_id, int(found[0]), False)
    if closed is not None and not closed_ok:
        if rule is not None:
            return None
        raise Conflict(
            f"closed: work order {channel} {order_no} was closed by the hotline; it stays "
            "read-only unless you take it in explicitly (closed=1)",
            f"工单 {channel} {order_no} 已由热线办结，"
            "仅在勾选“包括热线已办结的工单”后转入（closed）",
        )
    tables = lookup or load_lookup(tx)
    case_category = category_of(category, order_type)
    due, sla_class = tables.sla.due_at(
        tables.cal, channel, case_category, order_type, int(received)
    )
    step, provisional = tables.cal.due_at(now, counts.dispatch_workdays)
    if due < step:
        step, provisional = due, False
    handler = None if actor is None else actor.id
    created = tx.one(
        "INSERT INTO cases (source, source_id, unit_id, officer_id, state, opened_at, "
        "callback_due_at, category, sla_class, sla_due_at, accepted_at, step_due_at, "
        "step_due_provisional, handler_id, notify_state, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'skipped', ?) "
        "ON CONFLICT (source, source_id) WHERE source_id IS NOT NULL DO NOTHING RETURNING id",
        (SOURCE, order_id, unit_id, officer_id, str(CaseState.ACCEPTED), now, due,
         case_category, sla_class, due, now, step, int(provisional), handler, now),
    )  # fmt: skip
    if created is None:  # another instance took it in meanwhile
        again = tx.one(
            "SELECT id FROM cases WHERE source = ? AND source_id = ?", (SOURCE, order_id)
        )
        assert again is not None
        return Taken(order_id, int(again[0]), False)
    case_id = int(created[0])
    how = f"规则 #{rule.id}" if rule is not None else "人工转入"
    note = f"{channel} {order_no} · {case_category} · {how}"
    if closed is not None:
        note += " · 热线已办结"
    audit(tx, now, actor, "open", case_id=case_id, to_state=str(CaseState.ACCEPTED),
          note=note, actor_name="规则" if rule is not None else "系统")  # fmt: skip
    return Taken(order_id, case_id, True)


def order_ids(ids: Sequence[int]) -> list[int]:
    """The order ids of a take-in, checked: 1..MAX_BULK distinct positive ids."""
    out = list(dict.fromkeys(int(i) for i in ids))
    if not out or len(out) > MAX_BULK or any(not 0 < i < 2**63 for i in out):
        raise Invalid(f"ids: 1 to {MAX_BULK} work orders", f"请选择 1 至 {MAX_BULK} 个工单（ids）")
    return out


def take_in(
    tx: Tx,
    ids: Sequence[int],
    actor: Actor,
    now: int,
    counts: Deadlines,
    closed_ok: bool = False,
) -> list[Taken]:
    """Take orders into the loop by hand, all or none (one transaction)."""
    if not actor.can_act:
        raise Forbidden("read-only account", "只读账号不能转入工单")
    lookup = load_lookup(tx)
    out = []
    for order_id in order_ids(ids):
        taken = take_one(tx, order_id, actor, now, counts, closed_ok=closed_ok, lookup=lookup)
        assert taken is not None  # by hand: a closed order is refused, never skipped
        out.append(taken)
    return out


# ---------------------------------------------------------------- rules


def list_rules(tx: Tx) -> list[Rule]:
    rows = tx.all(
        "SELECT id, channel, order_type, category, created_at, created_by FROM workorder_rules "
        "ORDER BY channel, order_type, category"
    )
    return [Rule(int(r[0]), r[1], r[2], r[3], int(r[4]), r[5]) for r in rows]


def order_type_code(value: str) -> str:
    """An order type as a code: the code itself, or a spelling the import understands."""
    value = value.strip()
    if not value or value in ORDER_TYPES:
        return value
    code = DEFAULT_VALUES["order_type"].get(value)
    if not code:
        raise Invalid(
            f"order_type: unknown order type {value!r} (one of {', '.join(ORDER_TYPES)})",
            f"未知诉求类型（order_type）：{value}",
        )
    return code


def _rule_note(channel: str, order_type: str, category: str) -> str:
    return f"{channel} {order_type or '*'} {category or '*'}"


def add_rule(
    tx: Tx, channel: str, order_type: str, category: str, actor: Actor | None, now: int
) -> tuple[Rule, bool]:
    """Add a rule (channel, order type, category; '' = any), audited; (the rule, whether
    it is new: the same rule twice is one). `actor` None: the command line."""
    channel, category = channel.strip(), category.strip()
    if channel not in CHANNELS:
        raise Invalid(
            f"channel: unknown channel {channel!r} (one of {', '.join(CHANNELS)})",
            f"未知渠道（channel）：{channel}",
        )
    code = order_type_code(order_type)
    if len(category) > MAX_RULE_TEXT:
        raise Invalid("category: too long", "分类过长（category）")
    created = tx.one(
        "INSERT INTO workorder_rules (channel, order_type, category, created_at, created_by) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (channel, order_type, category) DO NOTHING "
        "RETURNING id",
        (channel, code, category, now, "cli" if actor is None else actor.name[:100]),
    )
    row = tx.one(
        "SELECT id, channel, order_type, category, created_at, created_by FROM workorder_rules "
        "WHERE channel = ? AND order_type = ? AND category = ?",
        (channel, code, category),
    )
    assert row is not None
    if created is not None:
        audit(tx, now, actor, "workorder_rule_add", note=_rule_note(channel, code, category),
              actor_name="命令行")  # fmt: skip
    return Rule(int(row[0]), row[1], row[2], row[3], int(row[4]), row[5]), created is not None


def remove_rule(tx: Tx, rule_id: int, actor: Actor | None, now: int) -> bool:
    """Remove a rule, audited (its cases stay in the loop); False if there is none."""
    row = tx.one(
        "SELECT channel, order_type, category FROM workorder_rules WHERE id = ?", (rule_id,)
    )
    if row is None:
        return False
    tx.run("DELETE FROM workorder_rules WHERE id = ?", (rule_id,))
    audit(tx, now, actor, "workorder_rule_remove", note=f"#{rule_id} {_rule_note(*row)}",
          actor_name="命令行")  # fmt: skip
    return True


# Open orders not yet in the loop that a rule matches (the lowest-numbered rule), of one
# import (`last_import_id`, indexed by migration 0028) or of all.
_MATCH_SQL = f"""
SELECT w.id, MIN(r.id) FROM workorders w
JOIN workorder_rules r ON r.channel = w.channel
    AND (r.order_type = '' OR r.order_type = w.order_type)
    AND (r.category = '' OR r.category = w.category)
WHERE w.closed_at IS NULL
    AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.source = '{SOURCE}' AND c.source_id = w.id)
"""


def rule_matches(tx: Tx, import_id: int | None) -> list[tuple[int, int]]:
    """(order id, rule id) of every open order not yet in the loop that a rule matches
    (of import `import_id` when given), by order id. Read-only: run outside the write
    lock; `take_rule_chunk` checks each order again under it."""
    sql, params = _MATCH_SQL, []
    if import_id is not None:
        sql += " AND w.last_import_id = ?"
        params.append(import_id)
    rows = tx.all(sql + " GROUP BY w.id ORDER BY w.id", params)
    return [(int(r[0]), int(r[1])) for r in rows]


def take_rule_chunk(tx: Tx, matches: Sequence[tuple[int, int]], now: int, counts: Deadlines) -> int:
    """Take in some orders a rule matched (one short transaction); how many cases opened
    (an order taken in or closed meanwhile is left alone, a removed rule's skipped)."""
    rules = {r.id: r for r in list_rules(tx)}
    lookup = load_lookup(tx)
    n = 0
    for order_id, rule_id in matches:
        rule = rules.get(rule_id)
        if rule is None:
            continue
        taken = take_one(tx, order_id, None, now, counts, rule=rule, lookup=lookup)
        n += int(taken is not None and taken.opened)
    return n


async def apply_rules(store: Store, import_id: int | None = None) -> int:
    """Take in every open order not yet in the loop that a rule matches (of import
    `import_id` when given): matched in one read, taken in RULE_CHUNK orders a write
    transaction, so the write lock is held briefly; how many were taken in."""
    matches = await store.read(rule_matches, import_id)
    total = 0
    for start in range(0, len(matches), RULE_CHUNK):
        if start:
            await asyncio.sleep(RULE_PAUSE_S)
        part = matches[start : start + RULE_CHUNK]
        total += await store.write(take_rule_chunk, part, now_ms(), store.limits.deadlines)
    return total


# ---------------------------------------------------------------- reading


def list_orders(
    tx: Tx,
    actor: Actor,
    *,
    channel: str | None = None,
    taken: bool | None = None,
    hotline_closed: bool | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[OrderView]:
    """Work orders in the actor's scope (an order without a matched unit: bureau-wide
    users only), newest first."""
    sql = f"SELECT {_ORDER_COLS} {_ORDER_FROM} WHERE 1 = 1"
    params: list[Any] = []
    if actor.unit_path is not None:
        sql += " AND " + SUBTREE_SQL
        params += subtree_params(actor.unit_path)
    if channel is not None:
        sql += " AND w.channel = ?"
        params.append(channel)
    if taken is not None:
        sql += " AND c.id IS NOT NULL" if taken else " AND c.id IS NULL"
    if hotline_closed is not None:
        sql += " AND w.closed_at IS NOT NULL" if hotline_closed else " AND w.closed_at IS NULL"
    sql += " ORDER BY w.received_at DESC, w.id DESC LIMIT ? OFFSET ?"
    params += [limit, offset]
    return [_order(r) for r in tx.all(sql, params)]


def order_by_id(tx: Tx, order_id: int) -> OrderView | None:
    """One work order with its case (for the case page; the case's scope was checked)."""
    row = tx.one(f"SELECT {_ORDER_COLS} {_ORDER_FROM} WHERE w.id = ?", (order_id,))
    return None if row is None else _order(row)

"""The loop's steps for every source (issue 18): opening a case for a letter (or any other
non-rating source), accepting it with a category, dispatching it to a unit (一键派发, one
case or many), the unit's reply or return (退回), re-dispatch (改派), and the end of a
rectification. Units of work over a `Tx`; rating/cases/logic.py runs them from the state
table (rating/cases/states.py) and audits each one.

Deadlines: every state but closed has one clock (rating/cases/model.current_step). The
item's own due time comes from the SLA table by its source's channel and its category
(rating/cases/sla.py, `pingjing sla`), counted from receipt: it is the unit's deadline for
the reply. Accepting and dispatching are due within working-day counts of the settings,
but never after the item's SLA due time (an urgent item is due in hours throughout).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rating.cases.audit import audit
from rating.cases.deadlines import load_calendar
from rating.cases.model import (
    RATING_CATEGORY,
    SOURCE_CHANNELS,
    Actor,
    CaseSource,
    CaseState,
    CaseView,
    Deadlines,
)
from rating.cases.sla import load_sla
from rating.domain_errors import Forbidden, Invalid

if TYPE_CHECKING:
    from rating.store.tx import Tx

MAX_TEXT = 2000
MAX_BULK = 500
MAX_CATEGORY = 40


def _text(fields: dict[str, str], name: str, *, required: bool, zh: str) -> str:
    value = (fields.get(name) or "").strip()
    if required and not value:
        raise Invalid(f"{name}: required", f"请填写{zh}（{name}）")
    if len(value) > MAX_TEXT:
        raise Invalid(f"{name}: longer than {MAX_TEXT} characters", f"{zh}过长（{name}）")
    return value


def known_categories(tx: Tx) -> set[str]:
    """Every category a case may have: the mailbox's list, the SLA table's mapped
    categories, and a bad rating's."""
    names = {str(r[0]) for r in tx.all("SELECT name FROM letter_categories")}
    names |= {str(r[0]) for r in tx.all("SELECT category FROM sla_categories")}
    return names | {RATING_CATEGORY}


def sla_due(tx: Tx, source: str, category: str, received_at: int) -> tuple[int, str]:
    """(due time, SLA class) of an item of `source` and `category` received then."""
    channel = SOURCE_CHANNELS.get(source, source)
    return load_sla(tx).due_at(load_calendar(tx), channel, category, None, received_at)


def _step_due(tx: Tx, now: int, workdays: int, cap: int | None) -> tuple[int, int]:
    """(due, provisional) of a step of `workdays` from `now`, no later than `cap`."""
    due, provisional = load_calendar(tx).due_at(now, workdays)
    if cap is not None and cap < due:
        return cap, 0
    return due, int(provisional)


# ---------------------------------------------------------------- opening


def open_case(
    tx: Tx,
    source: str,
    source_id: int,
    unit_id: int | None,
    category: str,
    now: int,
    counts: Deadlines,
    *,
    new: bool = False,
) -> int:
    """Open the `received` case of a letter (or another non-rating item), in the item's
    own transaction; its id. Idempotent: the item's existing case is returned. `new`: the
    item was inserted in this very transaction, so it has no case yet and its record
    already shows `received` (two statements fewer on the letter's hot path)."""
    if not new:
        found = tx.one(
            "SELECT id FROM cases WHERE source = ? AND source_id = ?", (source, source_id)
        )
        if found is not None:
            return int(found[0])
    due, sla_class = sla_due(tx, source, category, now)
    step, provisional = _step_due(tx, now, counts.accept_workdays, due)
    case_id = tx.insert(
        "INSERT INTO cases (source, source_id, unit_id, state, opened_at, callback_due_at, "
        "category, sla_class, sla_due_at, step_due_at, step_due_provisional, notify_state, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'skipped', ?) RETURNING id",
        (source, source_id, unit_id, str(CaseState.RECEIVED), now, due, category, sla_class,
         due, step, provisional, now),
    )  # fmt: skip
    audit(tx, now, None, "open", case_id=case_id, to_state=str(CaseState.RECEIVED),
          note=f"{source} {category}")  # fmt: skip
    if not new:
        mirror_source(tx, case_id, now)
    return case_id


# ---------------------------------------------------------------- effects


def accept(tx: Tx, case: CaseView, actor: Actor, fields: dict[str, str], now: int,
           counts: Deadlines) -> str:  # fmt: skip
    """Accept a received item: its category (kept, or changed) sets its SLA due time."""
    category = (fields.get("category") or case.category or "").strip()
    if not category:
        raise Invalid("category: required", "请选择分类（category）")
    if len(category) > MAX_CATEGORY or category not in known_categories(tx):
        raise Invalid(f"category: unknown category {category!r}", "未知分类（category）")
    note = _text(fields, "note", required=False, zh="说明")
    due, sla_class = sla_due(tx, case.source, category, case.opened_at)
    step, provisional = _step_due(tx, now, counts.dispatch_workdays, due)
    tx.run(
        "UPDATE cases SET category = ?, sla_class = ?, sla_due_at = ?, accepted_at = ?, "
        "step_due_at = ?, step_due_provisional = ?, handler_id = COALESCE(handler_id, ?), "
        "updated_at = ? WHERE id = ?",
        (category, sla_class, due, now, step, provisional, actor.id, now, case.id),
    )
    return f"[{category}] {note}".strip()


def _target_unit(tx: Tx, actor: Actor, fields: dict[str, str]) -> tuple[int, str]:
    code = (fields.get("unit") or "").strip()
    if not code:
        raise Invalid("unit: required (a unit code)", "请选择承办单位（unit）")
    row = tx.one("SELECT id, path FROM units WHERE code = ?", (code[:100],))
    if row is None:
        raise Invalid(f"unit: unknown unit {code!r}", "未知单位（unit）")
    if not actor.sees(str(row[1])):
        raise Forbidden("unit: outside your scope", "无权派发到该单位（unit）")
    return int(row[0]), str(row[1])


def dispatch(tx: Tx, case: CaseView, actor: Actor, fields: dict[str, str], now: int,
             counts: Deadlines) -> str:  # fmt: skip
    """一键派发: send the case to a unit, due by its category's SLA time."""
    unit_id, path = _target_unit(tx, actor, fields)
    note = _text(fields, "note", required=False, zh="说明")
    return _send(tx, case, unit_id, path, note, now)


def redispatch(tx: Tx, case: CaseView, actor: Actor, fields: dict[str, str], now: int,
               counts: Deadlines) -> str:  # fmt: skip
    """改派: send a dispatched (or replied) case to a unit again, with a reason."""
    unit_id, path = _target_unit(tx, actor, fields)
    reason = _text(fields, "reason", required=True, zh="改派原因")
    return _send(tx, case, unit_id, path, reason, now)


def _send(tx: Tx, case: CaseView, unit_id: int, path: str, note: str, now: int) -> str:
    due, sla_class = case.sla_due_at, case.sla_class
    if due is None:  # a bad rating's case: its SLA due time is fixed on first dispatch
        due, sla_class = sla_due(tx, case.source, case.category or RATING_CATEGORY,
                                 case.opened_at)  # fmt: skip
    tx.run(
        "UPDATE cases SET dispatch_unit_id = ?, dispatched_at = ?, "
        "dispatch_count = dispatch_count + 1, unit_id = COALESCE(unit_id, ?), "
        "category = COALESCE(category, ?), sla_class = ?, sla_due_at = ?, "
        "step_due_at = ?, step_due_provisional = 0, updated_at = ? WHERE id = ?",
        (unit_id, now, unit_id, RATING_CATEGORY, sla_class, due, due, now, case.id),
    )
    return f"→ {path} {note}".strip()


def _unit_only(case: CaseView, actor: Actor) -> None:
    """Replies and returns come from the unit the case was sent to (or the centre)."""
    path = case.dispatch_unit_path
    if path is None or not actor.sees(path):
        raise Forbidden("only the unit the case was dispatched to may do this",
                        "仅承办单位可办理此操作")  # fmt: skip


def reply(tx: Tx, case: CaseView, actor: Actor, fields: dict[str, str], now: int,
          counts: Deadlines) -> str:  # fmt: skip
    """The unit's written reply; the centre then calls back (callback clock)."""
    _unit_only(case, actor)
    text = _text(fields, "reply", required=True, zh="回复内容")
    due, provisional = load_calendar(tx).due_at(now, counts.callback_workdays)
    tx.run(
        "UPDATE cases SET reply = ?, replied_at = ?, replied_by = ?, step_due_at = ?, "
        "step_due_provisional = ?, updated_at = ? WHERE id = ?",
        (text, now, actor.id, due, int(provisional), now, case.id),
    )
    return text


def return_case(tx: Tx, case: CaseView, actor: Actor, fields: dict[str, str], now: int,
                counts: Deadlines) -> str:  # fmt: skip
    """退回: the unit sends the case back to the centre with a reason, to be re-dispatched."""
    _unit_only(case, actor)
    reason = _text(fields, "reason", required=True, zh="退回原因")
    step, provisional = _step_due(tx, now, counts.dispatch_workdays, None)
    tx.run(
        "UPDATE cases SET returned_at = ?, return_reason = ?, step_due_at = ?, "
        "step_due_provisional = ?, updated_at = ? WHERE id = ?",
        (now, reason, step, provisional, now, case.id),
    )
    return reason


def complete(tx: Tx, case: CaseView, actor: Actor, fields: dict[str, str], now: int,
             counts: Deadlines) -> str:  # fmt: skip
    """The rectification is done; the case is then closed within act_workdays."""
    note = _text(fields, "note", required=False, zh="说明")
    due, provisional = load_calendar(tx).due_at(now, counts.act_workdays)
    tx.run(
        "UPDATE cases SET rectified_at = ?, step_due_at = ?, step_due_provisional = ?, "
        "updated_at = ? WHERE id = ?",
        (now, due, int(provisional), now, case.id),
    )
    return note


# ---------------------------------------------------------------- the source's own record

# What a letter's receipt says at each state of its case (rating/mailbox/models.STATUSES).
LETTER_STATUS = {
    CaseState.RECEIVED: "received",
    CaseState.ACCEPTED: "accepted",
    CaseState.OPEN: "accepted",
    CaseState.DISPATCHED: "dispatched",
    CaseState.CLOSED: "closed",
}


def mirror_source(tx: Tx, case_id: int, now: int) -> None:
    """Show the case's step (and the unit's reply) on its source's record: a letter's
    receipt reads the letter, not the loop's tables."""
    row = tx.one(
        "SELECT source, source_id, state, reply, replied_at, replied_by FROM cases WHERE id = ?",
        (case_id,),
    )
    if row is None or row[0] != CaseSource.LETTER or row[1] is None:
        return
    letter_id, state, text = int(row[1]), CaseState(row[2]), row[3]
    if text is not None:
        tx.run(
            "UPDATE letters SET reply = ?, replied_at = ?, replied_by = ? WHERE id = ? "
            "AND (reply IS NULL OR reply <> ? OR replied_at IS NULL OR replied_at <> ?)",
            (text, row[4], row[5], letter_id, text, row[4]),
        )
    status = LETTER_STATUS.get(state, "replied" if text is not None else "accepted")
    # As rating/mailbox/store.set_status does (not imported: rating.cases stays below the
    # store package, tests/cases/test_layering.py).
    tx.run("UPDATE letters SET status = ?, updated_at = ? WHERE id = ?", (status, now, letter_id))


def ids_in(ids: Sequence[int]) -> list[int]:
    """The case ids of a bulk action, checked: 1..MAX_BULK distinct positive ids."""
    out = list(dict.fromkeys(int(i) for i in ids))
    if not out or len(out) > MAX_BULK or any(not 0 < i < 2**63 for i in out):
        raise Invalid(f"ids: 1 to {MAX_BULK} case ids", f"请选择 1 至 {MAX_BULK} 个案件（ids）")
    return out

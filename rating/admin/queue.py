"""The case queue's own units of work: bulk assignment, and a revealed phone shown once.

Each runs in one transaction and audits what it changed, like rating/cases/logic.py.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rating.admin.auth import UserRow
from rating.cases import logic
from rating.cases.audit import audit
from rating.cases.model import Actor, CaseAction, CaseState, CaseView
from rating.cases.queries import get_case
from rating.domain_errors import Conflict, Forbidden, Invalid

if TYPE_CHECKING:
    from rating.store.tx import Tx

REVEAL_TTL_MS = 60_000
MAX_BULK = 200


def offered_actions(case: CaseView, actor: Actor) -> list[str]:
    """The actions a case page offers: the state table's (logic.allowed_actions), less
    taking a case the actor already handles (认领 after taking changes nothing)."""
    return [
        a
        for a in logic.allowed_actions(case, actor)
        if not (a == CaseAction.TAKE and case.handler_id == actor.id)
    ]


def can_handle(user: UserRow) -> bool:
    return not user.disabled and user.actor().can_act


def assign(tx: Tx, case_ids: Sequence[int], actor: Actor, handler: UserRow, now: int) -> int:
    """Make `handler` the handler of each case; all or nothing. Every case must be in the
    actor's scope (NotFound otherwise) and in the handler's, and not closed."""
    if not actor.can_act:
        raise Forbidden("read-only account", "只读账号不能办理案件")
    if not can_handle(handler):
        raise Invalid("handler: this user cannot handle cases", "承办人：该用户不能办理案件")
    if not case_ids:
        raise Invalid("cases: tick at least one case", "请先勾选要分配的案件")
    if len(case_ids) > MAX_BULK:
        raise Invalid(f"cases: at most {MAX_BULK} at once", f"一次最多分配 {MAX_BULK} 件")
    who = handler.actor()
    changed = 0
    for case_id in sorted(set(case_ids)):
        tx.lock(f"case:{case_id}")
        case = get_case(tx, case_id, actor, now)
        if case.state == CaseState.CLOSED:
            raise Conflict(f"case #{case_id} is closed", f"案件 #{case_id} 已办结")
        if not who.sees(case.unit_path):
            raise Invalid(
                f"handler: {handler.name} cannot see case #{case_id}'s unit",
                f"承办人：{handler.name} 无权办理案件 #{case_id}",
            )
        if case.handler_id == handler.id:
            continue
        tx.run(
            "UPDATE cases SET handler_id = ?, updated_at = ? WHERE id = ?",
            (handler.id, now, case_id),
        )
        audit(tx, now, actor, "assign", case_id=case_id, from_state=case.state,
              to_state=case.state, note=handler.name)  # fmt: skip
        changed += 1
    return changed


def reveal(tx: Tx, case_id: int, actor: Actor, now: int) -> str | None:
    """Reveal the phone to the case's handler (audited) and leave a one-time marker for the
    page the POST redirects to; its token, or None when no phone was left. Only while the
    case is not closed: a closed case's phone is waiting to be purged."""
    case = get_case(tx, case_id, actor, now)
    if case.state == CaseState.CLOSED:
        raise Conflict("the case is closed", "案件已办结，不能查看完整电话")
    if logic.reveal_phone(tx, case_id, actor, now) is None:
        return None
    tx.run("DELETE FROM phone_reveals WHERE expires_at < ?", (now,))
    token = secrets.token_urlsafe(18)
    tx.run(
        "INSERT INTO phone_reveals (token, user_id, case_id, expires_at) VALUES (?, ?, ?, ?)",
        (token, actor.id, case_id, now + REVEAL_TTL_MS),
    )
    return token


def take_revealed(tx: Tx, token: str, case_id: int, actor: Actor, now: int) -> str | None:
    """The encrypted phone the marker `token` stands for, once: the marker is deleted.
    None if it is not this user's, not this case's, used or expired."""
    row = tx.one(
        "SELECT expires_at FROM phone_reveals WHERE token = ? AND user_id = ? AND case_id = ?",
        (token, actor.id, case_id),
    )
    if row is None:
        return None
    tx.run("DELETE FROM phone_reveals WHERE token = ?", (token,))
    if int(row[0]) < now:
        return None
    phone = tx.one(logic.PHONE_SQL, (case_id,))
    return None if phone is None or phone[0] is None else str(phone[0])

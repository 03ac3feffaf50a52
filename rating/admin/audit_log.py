"""The audit log's entries that belong to no case — users and their access, kiosks,
notifications, officers, units and the calendar, supervisors, take-in rules, spot checks,
the retention purge — read for the admin audit page (rating/admin/audit_page.py). A
case's own entries are on its case page.

Kinds are data: each kind is the set of actions its area writes (`audit(...)` in that
area's module); a test checks that every action the code writes outside a case is in one.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rating.store.tx import Tx

KINDS: dict[str, tuple[str, ...]] = {
    "users": ("user_add", "user_access", "user_password", "user_disable", "user_unlock",
              "token_add", "token_revoke", "login", "login_failed", "login_locked", "lockout"),
    "kiosks": ("kiosk_add", "kiosk_reenroll", "kiosk_revoke", "kiosk_pin"),
    "notifications": ("notify_add", "notify_edit", "notify_enable", "notify_disable",
                      "notify_test", "notify_retry"),
    "officers": ("roster_import", "officer_retire", "officer_move", "officer_reissue"),
    "units": ("alias_add", "alias_remove", "calendar"),
    "supervisors": ("supervisor_add", "supervisor_end", "supervisor_revoke",
                    "supervisor_reissue"),
    "workorders": ("workorder_rule_add", "workorder_rule_remove"),
    "spotchecks": ("spotcheck_sample", "spotcheck_claim", "spotcheck_reveal_phone",
                   "spotcheck_outcome"),
    "retention": ("purge",),
}  # fmt: skip
ALL_ACTIONS = tuple(a for actions in KINDS.values() for a in actions)
KIND_OF = {a: kind for kind, actions in KINDS.items() for a in actions}
MAX_ACTOR = 100


@dataclass(frozen=True)
class Entry:
    id: int
    at: int
    actor_name: str
    action: str
    note: str
    items: int | None

    @property
    def kind(self) -> str:
        return KIND_OF.get(self.action, "")


def entries(
    tx: Tx, kind: str | None = None, actor: str | None = None, limit: int = 100, offset: int = 0
) -> list[Entry]:
    """Entries of one kind (None: every kind), of one actor (by name) if given, newest
    first. Read through the (action, at) index: one range per action."""
    actions = KINDS[kind] if kind else ALL_ACTIONS
    marks = ", ".join("?" for _ in actions)
    sql = (
        "SELECT id, at, actor_name, action, note, items FROM audit_log "  # noqa: S608
        f"WHERE action IN ({marks})"
    )
    params: list[Any] = list(actions)
    if actor:
        sql += " AND actor_name = ?"
        params.append(actor)
    sql += " ORDER BY at DESC, id DESC LIMIT ? OFFSET ?"
    params += [limit, offset]
    return [
        Entry(int(r[0]), int(r[1]), str(r[2] or ""), str(r[3]), str(r[4] or ""),
              None if r[5] is None else int(r[5]))
        for r in tx.all(sql, params)
    ]  # fmt: skip


def unit_paths(tx: Tx, refs: Collection[str]) -> dict[str, str]:
    """The path of each unit that `refs` name by code or by path (a user's or a kiosk's
    note stores the unit as it was given), keyed by both; a unit not found is left out."""
    if not refs:
        return {}
    marks = ", ".join("?" for _ in refs)
    sql = f"SELECT code, path FROM units WHERE code IN ({marks}) OR path IN ({marks})"  # noqa: S608
    found: dict[str, str] = {}
    for code, path in tx.all(sql, [*refs, *refs]):
        found[str(code)] = found[str(path)] = str(path)
    return found

"""The event history the weekly report reads "as of" a moment.

Cases: after every change (each change writes an audit entry, which calls `snapshot_case`
in the same transaction) the case's follow-up fields are copied into `case_history`; the
state at a moment is the last snapshot at or before it.

Work orders: before an import or an alias re-match overwrites a stored order, its previous
values go into `workorder_revisions` (`keep_workorder_revisions`); the values at a moment
are those of the first revision replaced after it, or the row itself when it has not
changed since.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rating.store.tx import Tx

CASE_FIELDS = (
    "state",
    "callback_due_at",
    "callback_due_provisional",
    "callback_at",
    "callback_outcome",
    "verified_at",
    "verification",
    "rectify_due_at",
    "rectify_due_provisional",
    "step_due_at",
    "step_due_provisional",
    "rectified_at",
    "closed_at",
    "fix_rating",
    # The loop's own (migration 0021; kept in the history since 0028).
    "category",
    "sla_class",
    "sla_due_at",
    "accepted_at",
    "dispatch_unit_id",
    "dispatched_at",
    "dispatch_count",
    "replied_at",
    "returned_at",
)
_CASE_SQL = (
    f"INSERT INTO case_history (case_id, at, {', '.join(CASE_FIELDS)}) "
    f"SELECT id, ?, {', '.join(CASE_FIELDS)} FROM cases WHERE id = ?"
)

WORKORDER_FIELDS = (
    "received_at",
    "unit_id",
    "officer_id",
    "due_at",
    "due_source",
    "closed_at",
    "callback_at",
    "callback_outcome",
    "satisfaction",
    "verification",
    "rectification",
    "rectified_at",
    "updated_at",
)


def snapshot_case(tx: Tx, case_id: int, at: int) -> None:
    """Record the case's follow-up fields as they are now (after a change at `at`)."""
    tx.run(_CASE_SQL, (at, case_id))


def keep_workorder_revisions(
    tx: Tx, where: str, params: Sequence[Any], replaced_at: int, import_id: int | None
) -> int:
    """Copy the current values of the work orders matching `where` (a condition on
    `workorders`) into `workorder_revisions`, before they are overwritten."""
    cols = ", ".join(WORKORDER_FIELDS)
    return tx.run(
        f"INSERT INTO workorder_revisions (workorder_id, replaced_at, import_id, {cols}) "
        f"SELECT id, ?, ?, {cols} FROM workorders WHERE {where}",
        (replaced_at, import_id, *params),
    )

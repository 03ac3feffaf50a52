"""CSV export of the case list (the same filters and scope as the page)."""

from __future__ import annotations

import io
from collections.abc import Iterable

from rating.admin.render import fmt_ts
from rating.cases.model import (
    OUTCOME_LABELS,
    STATE_LABELS,
    STEP_LABELS,
    VERIFICATION_LABELS,
    CaseView,
)
from rating.safecell import SafeWriter

COLUMNS = (
    "case_id",
    "opened_at",
    "unit",
    "officer",
    "badge_no",
    "level",
    "state",
    "overdue",
    "callback_due",
    "callback_due_provisional",
    "callback_at",
    "callback_outcome",
    "verification",
    "rectify_due",
    "rectify_due_provisional",
    "rectified_at",
    "closed_at",
    "fix_rating",
    "handler",
)


def _due_day(ms: int | None) -> str:
    return fmt_ts(ms - 1, False) if ms else ""


def cases_csv(rows: Iterable[CaseView]) -> str:
    """UTF-8 CSV with a BOM so that Excel opens the Chinese text correctly; never phones."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = SafeWriter(out)  # unit and officer names come from imports
    writer.writerow(COLUMNS)
    for c in rows:
        writer.writerow(
            (
                c.id,
                fmt_ts(c.opened_at),
                c.unit_path,
                c.officer_name,
                c.badge_no,
                c.level,
                STATE_LABELS[c.state],
                f"{STEP_LABELS[c.overdue]}超期" if c.overdue else "",
                _due_day(c.callback_due_at),
                "暂定" if c.callback_due_provisional else "",
                fmt_ts(c.callback_at),
                OUTCOME_LABELS.get(c.callback_outcome or "", ""),
                VERIFICATION_LABELS.get(c.verification or "", ""),
                _due_day(c.rectify_due_at),
                "暂定" if c.rectify_due_provisional else "",
                fmt_ts(c.rectified_at),
                fmt_ts(c.closed_at),
                c.fix_rating or "",
                c.handler_name or "",
            )
        )
    return out.getvalue()

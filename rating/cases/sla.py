"""Due times by category (SLA, 时限): the bureau-editable table and the due-time rule.

An item whose source gives no due time (a hotline export without 办理时限, and later any
intake) gets the due time of its category's class: urgent 2 hours, consultation the same
working day, public service 2 working days, everything else 7 working days (the defaults
of migration 0010; `pingjing sla` edits them). Categories are mapped per channel: the
channel's own category text first, then the order type, each for the channel and then for
every channel ('*'); anything unmapped is 'other'.

Units of work over a `Tx` (both stores run them), plus the pure `SlaTable.due_at`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rating.cases.calendar import SHANGHAI, WorkCalendar
from rating.store.tx import MadeFromRows

if TYPE_CHECKING:
    from rating.store.tx import Tx

FILL_CHUNK = 500

ANY_CHANNEL = "*"
DEFAULT_CLASS = "other"
KINDS = ("hours", "same_day", "workdays")
HOUR_MS = 3_600_000


class SlaError(ValueError):
    """An SLA edit that cannot be made (unknown class, bad amount); the message says why."""


@dataclass(frozen=True)
class SlaClass:
    sla_class: str
    label: str
    kind: str  # hours | same_day | workdays
    amount: int

    def describe(self) -> str:
        if self.kind == "hours":
            return f"{self.amount} 小时"
        if self.kind == "same_day":
            return "当日（非工作日受理的，次一工作日）"
        return f"{self.amount} 个工作日"


@dataclass(frozen=True)
class SlaTable:
    classes: Mapping[str, SlaClass]
    categories: Mapping[tuple[str, str], str]  # (channel or '*', category) -> class

    def class_of(self, channel: str, category: str | None, order_type: str | None) -> str:
        """The class of an item: its category, then its order type, for its channel and
        then for every channel; 'other' when nothing matches."""
        for key in (category, order_type):
            if not key:
                continue
            for ch in (channel, ANY_CHANNEL):
                hit = self.categories.get((ch, key.strip()))
                if hit is not None:
                    return hit
        return DEFAULT_CLASS

    def due_at(
        self,
        cal: WorkCalendar,
        channel: str,
        category: str | None,
        order_type: str | None,
        received_at: int,
    ) -> tuple[int, str]:
        """(due time in epoch ms, class) of an item received at `received_at`."""
        name = self.class_of(channel, category, order_type)
        cls = self.classes.get(name) or self.classes[DEFAULT_CLASS]
        return class_due(cal, cls, received_at), cls.sla_class


def class_due(cal: WorkCalendar, cls: SlaClass, received_at: int) -> int:
    """The due time of one class for an item received at `received_at`."""
    if cls.kind == "hours":
        return received_at + cls.amount * HOUR_MS
    if cls.kind == "workdays":
        return cal.due_at(received_at, cls.amount)[0]
    day = dt.datetime.fromtimestamp(received_at / 1000, SHANGHAI).date()
    if not cal.is_workday(day)[0]:
        day, _ = cal.add_workdays(day, 1)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), SHANGHAI)
    return int(end.timestamp() * 1000)


# ---------------------------------------------------------------- store


# The classes migration 0010 seeds; a class missing from the table counts like this.
DEFAULT_CLASSES = {
    c.sla_class: c
    for c in (
        SlaClass("urgent", "紧急", "hours", 2),
        SlaClass("consultation", "咨询", "same_day", 0),
        SlaClass("public_service", "公共服务", "workdays", 2),
        SlaClass("other", "其他", "workdays", 7),
    )
}


def _table(class_rows: list[tuple[Any, ...]], category_rows: list[tuple[Any, ...]]) -> SlaTable:
    classes = {
        **DEFAULT_CLASSES,
        **{r[0]: SlaClass(r[0], r[1], r[2], int(r[3])) for r in class_rows},
    }
    categories = {(r[0], r[1]): r[2] for r in category_rows}
    return SlaTable(classes, categories)


# The same rows make the same table (as deadlines.load_calendar).
load_sla: MadeFromRows[SlaTable] = MadeFromRows(
    _table,
    "SELECT sla_class, label, kind, amount FROM sla_classes",
    "SELECT channel, category, sla_class FROM sla_categories",
)


def list_sla(tx: Tx) -> tuple[list[SlaClass], list[tuple[str, str, str]]]:
    """The classes (by name) and the category map as (channel, category, class)."""
    table = load_sla(tx)
    classes = sorted(table.classes.values(), key=lambda c: c.sla_class)
    mapping = sorted((ch, cat, cls) for (ch, cat), cls in table.categories.items())
    return classes, mapping


def set_class(tx: Tx, sla_class: str, kind: str, amount: int, now: int) -> SlaClass:
    """Change how a class's due time is counted."""
    if kind not in KINDS:
        raise SlaError(f"kind must be one of {', '.join(KINDS)}")
    if amount < 0 or (kind != "same_day" and amount == 0):
        raise SlaError("the amount must be a positive number of hours or working days")
    row = tx.one("SELECT label FROM sla_classes WHERE sla_class = ?", (sla_class,))
    if row is None:
        raise SlaError(f"unknown SLA class {sla_class!r}; see `pingjing sla list`")
    tx.run(
        "UPDATE sla_classes SET kind = ?, amount = ?, updated_at = ? WHERE sla_class = ?",
        (kind, amount, now, sla_class),
    )
    return SlaClass(sla_class, str(row[0]), kind, amount)


def map_category(tx: Tx, channel: str, category: str, sla_class: str, now: int) -> None:
    """Map a channel's category (or '*' for every channel) to a class."""
    channel, category = channel.strip(), category.strip()
    if not channel or not category:
        raise SlaError("channel and category must not be empty")
    if tx.one("SELECT 1 FROM sla_classes WHERE sla_class = ?", (sla_class,)) is None:
        raise SlaError(f"unknown SLA class {sla_class!r}; see `pingjing sla list`")
    tx.run(
        "INSERT INTO sla_categories (channel, category, sla_class, updated_at) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (channel, category) DO UPDATE SET "
        "sla_class = excluded.sla_class, updated_at = excluded.updated_at",
        (channel, category, sla_class, now),
    )


def unmap_category(tx: Tx, channel: str, category: str) -> bool:
    """Remove a mapping (the category falls back to '*' or 'other'); False if none."""
    return (
        tx.run(
            "DELETE FROM sla_categories WHERE channel = ? AND category = ?",
            (channel.strip(), category.strip()),
        )
        > 0
    )


def fill_missing_due(tx: Tx, now: int) -> int:
    """Give every stored work order without a due time (imported before the SLA table
    existed) its category's, keeping the old values as a revision; the number filled."""
    from rating.cases.deadlines import load_calendar
    from rating.cases.history import keep_workorder_revisions

    table, cal = load_sla(tx), load_calendar(tx)
    rows = tx.all(
        "SELECT id, channel, category, order_type, received_at FROM workorders "
        "WHERE due_at IS NULL ORDER BY id"
    )
    for start in range(0, len(rows), FILL_CHUNK):
        chunk = rows[start : start + FILL_CHUNK]
        ids = [int(r[0]) for r in chunk]
        keep_workorder_revisions(tx, f"id IN ({', '.join('?' * len(ids))})", ids, now, None)
        for wid, channel, category, order_type, received in chunk:
            due, _ = table.due_at(cal, channel, category, order_type, int(received))
            tx.run(
                "UPDATE workorders SET due_at = ?, due_source = 'sla', updated_at = ? WHERE id = ?",
                (due, now, wid),
            )
    return len(rows)

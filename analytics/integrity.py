"""The weekly report's integrity and insight tables (issue 19): topics per unit with
emerging-topic warnings, near-duplicate complaints, and participation.

`load_integrity` is the I/O (one read transaction); `integrity_tables` is frames in, frames
out. `add_integrity` runs both for a WeeklyReport that build_weekly has made.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics import duplicates, participation, topic_report
from analytics.load import ReportData, frame
from analytics.metrics import ancestors, attribute_units
from analytics.periods import day_number, local_texts, week_start_days
from analytics.report import ReportOptions, WeeklyReport
from analytics.taxonomy import KeywordRules, Topic
from analytics.topics import TopicModel
from analytics.topics_db import (
    Text,
    assign,
    category_map,
    latest_model,
    load_taxonomy,
)
from rating.services.store import service_volumes
from rating.store import Store
from rating.store.tx import Tx

_ITEMS_SQL = """
SELECT 'rating', r.id, r.unit_id, r.created_at,
       CASE WHEN r.level <= 2 THEN 1 ELSE 0 END, r.channel, r.phone_hash, r.comment, NULL,
       a.topic_code
FROM ratings r LEFT JOIN topic_assignments a
  ON a.item_kind = 'rating' AND a.item_id = r.id AND a.assigned_at <= ?
WHERE r.created_at >= ? AND r.created_at < ? AND r.created_at <= ? AND r.comment <> ''
UNION ALL
SELECT 'workorder', w.id, w.unit_id, w.received_at,
       CASE WHEN w.order_type = 'complaint' THEN 1 ELSE 0 END,
       w.channel, w.phone_hash, w.content, w.category, a.topic_code
FROM workorders w
LEFT JOIN topic_assignments a
  ON a.item_kind = 'workorder' AND a.item_id = w.id AND a.assigned_at <= ?
WHERE w.received_at >= ? AND w.received_at < ? AND w.created_at <= ? AND w.content IS NOT NULL
"""
ITEM_SCHEMA = (
    ("kind", "str"),
    ("item_id", "i64"),
    ("unit_id", "n64"),
    ("at", "i64"),
    ("bad", "flag"),
    ("channel", "str"),
    ("phone_hash", "str"),
    ("text", "str"),
    ("category", "str"),
    ("topic", "str"),
)
SERVICE_SCHEMA = (("unit_id", "i64"), ("day", "i64"), ("services", "i64"))


@dataclass(frozen=True)
class IntegrityData:
    items: pd.DataFrame
    services: pd.DataFrame
    taxonomy: list[Topic]
    mapped: dict[str, str]
    model: tuple[int, TopicModel] | None


def _read(tx: Tx, start_ms: int, end_ms: int, as_of_ms: int) -> IntegrityData:
    # As the rest of the report: only items known at the report moment, with the topics
    # stored by then and the model in use then (a past report made today is the same).
    window = (as_of_ms, start_ms, end_ms, as_of_ms)
    return IntegrityData(
        items=frame(tx.all(_ITEMS_SQL, window + window), ITEM_SCHEMA),
        services=frame(service_volumes(tx, start_ms, end_ms), SERVICE_SCHEMA),
        taxonomy=load_taxonomy(tx),
        mapped=category_map(tx),
        model=latest_model(tx, as_of_ms),
    )


async def load_integrity(store: Store, start_ms: int, end_ms: int, as_of_ms: int) -> IntegrityData:
    return await store.read(_read, start_ms, end_ms, as_of_ms)


def with_topics(data: IntegrityData) -> pd.DataFrame:
    """The items, each with a topic: the stored one, else assigned now as `topics apply`
    would (category, model, keywords) without storing it."""
    items = data.items
    todo = items[items["topic"].isna()]
    if todo.empty:
        return items
    rules = KeywordRules(data.taxonomy)
    texts = [
        Text(k, int(i), str(t), c)
        for k, i, t, c in zip(
            todo["kind"], todo["item_id"], todo["text"], todo["category"], strict=True
        )
    ]
    found = {(k, i): topic for k, i, topic, _, _ in assign(texts, data.model, rules, data.mapped)}
    fill = [found[(k, int(i))] for k, i in zip(todo["kind"], todo["item_id"], strict=True)]
    return items.assign(
        topic=items["topic"].where(
            items["topic"].notna(), pd.Series(fill, index=todo.index, dtype=object)
        )
    )


def as_of_moment(items: pd.DataFrame, report: ReportData) -> pd.DataFrame:
    """Items with their unit and "bad" flag as they stood at the report moment, taken from
    the report's own as-of frames: a later alias, re-import or amended level does not
    change a past report. A rating is bad at level 1–2; a work order when it is a
    complaint or its callback's answer was 不满意."""
    # Only the ratings the items name: an index over a city's every rating is large.
    named = report.ratings["rating_id"].isin(items["item_id"][items["kind"].eq("rating")])
    levels = report.ratings.loc[named, ["rating_id", "level"]].set_index("rating_id")["level"]
    wos = attribute_units(report.workorders, report.officers).set_index("workorder_id")
    is_rating = items["kind"].eq("rating")
    is_order = items["kind"].eq("workorder")
    level = items["item_id"].map(levels)
    rating_bad = level.le(2) & level.notna()
    order_unit = items["item_id"].map(wos["unit_id"]).astype("Int64")
    unhappy = items["item_id"].map(wos["satisfaction"]).astype(object).eq("dissatisfied")
    bad = items["bad"].astype(bool)
    bad = bad.where(~(is_rating & level.notna()), rating_bad)
    bad = bad | (is_order & unhappy)
    unit = items["unit_id"].astype("Int64")
    known = items["item_id"].isin(wos.index)  # unmatched then stays unmatched
    unit = unit.where(~(is_order & known), order_unit)
    return items.assign(unit_id=unit, bad=bad.astype(bool))


def integrity_tables(
    data: IntegrityData, report: ReportData, options: ReportOptions, scope_name: str
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """(tables by name, rows for the warnings table)."""
    week = day_number(options.week.start)
    tree = ancestors(report.units)
    units = report.units
    items = as_of_moment(with_topics(data), report)
    if options.root_unit_id is not None:
        ids = tree.loc[tree["ancestor_id"] == options.root_unit_id, "unit_id"]
        units = units[units["unit_id"].isin(ids)]
        tree = tree[tree["unit_id"].isin(ids) & tree["ancestor_id"].isin(ids)]
        items = items[items["unit_id"].isin(ids).fillna(False).astype(bool)]
    names = {t.code: t.name for t in data.taxonomy}
    paths = dict(zip(units["unit_id"], units["path"], strict=True))

    counts = topic_report.weekly_counts(items, options.week_start)
    people = topic_report.weekly_counts(
        topic_report.one_per_person(items, options.week_start), options.week_start
    )
    em_scope = topic_report.emerging(people, week, by_unit=False)
    em_units = topic_report.emerging(people, week, by_unit=True)
    topics = topic_report.topic_table(counts, week, names, units, scope_name, em_scope, em_units)
    warnings = topic_report.emerging_warnings(em_scope, em_units, names, paths)

    in_week = week_start_days(items["at"], options.week_start) == week
    complaints = items[in_week & ((items["kind"] != "rating") | items["bad"])]
    groups = duplicates.group_duplicates(complaints[duplicates.ITEM_COLUMNS])
    dup = pd.DataFrame(
        {
            "group": groups["group"],
            "size": groups["size"],
            "people": groups["people"],
            "channels": groups["channels"],
            "item": groups["kind"].map({"rating": "评价", "workorder": "工单"}),
            "ref": groups["item_id"].astype(np.int64),
            "channel": groups["channel"],
            "unit_path": groups["unit_id"].map(paths).fillna("（未匹配单位）"),
            "topic_name": groups["topic"].map(names).fillna(groups["topic"]),
            "opened": local_texts(groups["at"].astype(np.int64)),
            "excerpt": groups["text"].astype(str).map(duplicates.excerpt),
        }
    )

    services = data.services[data.services["unit_id"].isin(units["unit_id"])]
    in_scope = report.ratings["unit_id"].isin(units["unit_id"])
    ratings = report.ratings if in_scope.all() else report.ratings[in_scope]
    per_unit = participation.weekly_units(
        ratings, services, tree, options.week_start, options.basic_counts_satisfied
    )
    part = participation.participation_table(per_unit, units, week)
    return {"topics": topics, "duplicates": dup, "participation": part}, warnings


def tables_for(
    report: ReportData, loaded: IntegrityData, options: ReportOptions, scope_name: str
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """`integrity_tables` with the report's frames first (for analytics.colread's
    `Reader.call`, which passes what the reader process holds)."""
    return integrity_tables(loaded, report, options, scope_name)


def apply_integrity(
    report: WeeklyReport, tables: dict[str, pd.DataFrame], warnings: pd.DataFrame
) -> None:
    """Put what `integrity_tables` made into `report`."""
    report.extra.update(tables)
    if not warnings.empty:
        report.warnings = pd.concat([report.warnings, warnings], ignore_index=True)


async def add_integrity(
    store: Store,
    report: WeeklyReport,
    data: ReportData,
    options: ReportOptions,
    loaded: IntegrityData | None = None,
) -> None:
    """Compute the integrity tables into `report` (its `extra` tables and its warnings)
    from `loaded` (what load_integrity read for the same window and moment; read here if
    not given)."""
    if loaded is None:
        loaded = await load_integrity(store, data.start_ms, data.end_ms, data.as_of_ms)
    tables, warnings = await asyncio.to_thread(
        integrity_tables, loaded, data, options, report.scope
    )
    apply_integrity(report, tables, warnings)

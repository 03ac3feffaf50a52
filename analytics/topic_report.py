"""Topics in the weekly report: counts, bad share and week-over-week change per topic and
unit, and emerging topics (a share significantly above the topic's own baseline).

Frames in, new frames out. An item is a rating comment or a work-order content with its
topic; it is *bad* when it is a rating of level 1-2, a work order of type complaint (投诉),
or a work order whose callback answer was dissatisfied.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analytics import alerts
from analytics.metrics import NO_ID
from analytics.periods import week_start_days

ITEM_COLUMNS = ["kind", "item_id", "unit_id", "at", "bad", "topic"]
TABLE_COLUMNS = [
    "topic",
    "topic_name",
    "unit_path",
    "items",
    "bad",
    "bad_share",
    "items_prev",
    "items_change",
    "emerging",
]


def weekly_counts(items: pd.DataFrame, week_start: int) -> pd.DataFrame:
    """(week, unit_id, topic) → items, bad; unit_id NO_ID for a work order without a unit."""
    week = week_start_days(items["at"], week_start)
    frame = pd.DataFrame(
        {
            "week": week.astype(np.int64),
            "unit_id": items["unit_id"].astype("Int64").fillna(NO_ID).astype(np.int64),
            "topic": items["topic"].astype(object),
            "items": np.int64(1),
            "bad": items["bad"].astype(np.int64),
        }
    )
    out = frame.groupby(["week", "unit_id", "topic"], as_index=False)[["items", "bad"]].sum()
    return out.astype({"items": np.int64, "bad": np.int64})


def one_per_person(items: pd.DataFrame, week_start: int) -> pd.DataFrame:
    """The items with a person's repeats dropped: of the items with the same phone (keyed
    hash), topic and week, only the first counts. Items without a phone all count."""
    if "phone_hash" not in items.columns:
        return items
    week = week_start_days(items["at"], week_start)
    keyed = items.assign(_week=week).sort_values("at", kind="stable")
    has_phone = keyed["phone_hash"].notna()
    repeat = keyed.duplicated(["_week", "topic", "phone_hash"]) & has_phone
    return items.loc[keyed.index[~repeat.to_numpy()]].sort_index()


def _share_grid(counts: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Per week and `keys` (the topic's scope, e.g. a unit): valid = every item of the
    scope that week, bad = the topic's items (0 in weeks without any, so the baseline
    counts those weeks too)."""
    scope = [k for k in keys if k != "topic"]
    totals = counts.groupby(["week", *scope], as_index=False)["items"].sum()
    totals = totals.rename(columns={"items": "valid"})
    topics = counts[[*scope, "topic"]].drop_duplicates()
    grid = totals.merge(topics, on=scope, how="inner") if scope else totals.merge(topics, "cross")
    per = counts.groupby(["week", *keys], as_index=False)["items"].sum()
    grid = grid.merge(per.rename(columns={"items": "bad"}), on=["week", *keys], how="left")
    return grid.fillna({"bad": 0}).astype({"bad": np.int64, "valid": np.int64})


def emerging(counts: pd.DataFrame, week: int, by_unit: bool) -> pd.DataFrame:
    """Topics whose share of all items (of the scope, or of each unit) rose significantly
    above their own baseline: the rule of alerts.baseline_alerts (the 8 weeks before, exact
    one-sided binomial test, p < 0.01, at least 3 items this week and 20 in the baseline)
    with "bad" read as "of this topic". Give it counts of `one_per_person` items, so that
    one caller ringing again and again does not make a topic emerge."""
    keys = ["unit_id", "topic"] if by_unit else ["topic"]
    use = counts[counts["unit_id"] != NO_ID] if by_unit else counts
    grid = _share_grid(use, keys)
    found = alerts.baseline_alerts(grid, week, keys)
    return found.rename(
        columns={
            "bad": "items",
            "valid": "all_items",
            "base_bad": "base_items",
            "base_valid": "base_all",
            "bad_rate": "share",
            "baseline_rate": "baseline_share",
        }
    )


def topic_table(
    counts: pd.DataFrame,
    week: int,
    names: dict[str, str],
    units: pd.DataFrame,
    scope_name: str,
    emerging_scope: pd.DataFrame,
    emerging_units: pd.DataFrame,
) -> pd.DataFrame:
    """The report's topics table: per topic a scope row (unit_path = `scope_name`), then
    one row per unit with items this week or last. Ordered by the scope's items."""
    order = list(names)

    def rows(keys: list[str]) -> pd.DataFrame:
        agg = counts.groupby(["week", *keys], as_index=False)[["items", "bad"]].sum()
        this = agg[agg["week"] == week].drop(columns=["week"])
        prev = agg.loc[agg["week"] == week - 7, [*keys, "items"]]
        both = this.merge(prev.rename(columns={"items": "items_prev"}), on=keys, how="outer")
        both = both.fillna({"items": 0, "bad": 0, "items_prev": 0}).astype(
            {"items": np.int64, "bad": np.int64, "items_prev": np.int64}
        )
        return both.assign(
            bad_share=both["bad"] / both["items"].where(both["items"] > 0),
            items_change=both["items"] - both["items_prev"],
        )

    scope = rows(["topic"]).assign(unit_path=scope_name, unit_id=NO_ID, level=0)
    flagged = set(emerging_scope["topic"]) if not emerging_scope.empty else set()
    scope = scope.assign(emerging=scope["topic"].isin(flagged))
    per_unit = rows(["unit_id", "topic"])
    per_unit = per_unit[per_unit["unit_id"] != NO_ID]
    paths = units[["unit_id", "path"]].rename(columns={"path": "unit_path"})
    per_unit = per_unit.merge(paths, on="unit_id", how="inner").assign(level=1)
    pairs = (
        set(zip(emerging_units["unit_id"], emerging_units["topic"], strict=True))
        if not emerging_units.empty
        else set()
    )
    per_unit = per_unit.assign(
        emerging=[
            (int(u), t) in pairs
            for u, t in zip(per_unit["unit_id"], per_unit["topic"], strict=True)
        ]
    )
    table = pd.concat([scope, per_unit], ignore_index=True)
    rank = scope.set_index("topic")["items"].to_dict()
    position = {t: i for i, t in enumerate(order)}
    table = table.assign(
        topic_name=table["topic"].map(names).fillna(table["topic"]),
        _rank=table["topic"].map(rank).fillna(0),
        _pos=table["topic"].map(position).fillna(len(order)),
    )
    table = table.sort_values(
        ["_rank", "_pos", "level", "items", "unit_path"],
        ascending=[False, True, True, False, True],
        ignore_index=True,
    )
    return table.assign(emerging=np.where(table["emerging"], "是", ""))[TABLE_COLUMNS]


def emerging_warnings(
    scope: pd.DataFrame, units: pd.DataFrame, names: dict[str, str], paths: dict[int, str]
) -> pd.DataFrame:
    """Rows for the report's warnings table (its columns)."""
    out = []
    for frame, level in ((scope, "全部"), (units, "单位")):
        for r in frame.itertuples(index=False):
            unit = paths.get(int(r.unit_id)) if level == "单位" else None
            out.append(
                {
                    "kind": "新兴话题",
                    "level": "单位" if level == "单位" else "话题",
                    "who": names.get(str(r.topic), str(r.topic)),
                    "unit": unit,
                    "detail": (
                        f"本周 {r.items}/{r.all_items} = {r.share:.1%}；"
                        f"前{alerts.BASELINE_WEEKS}周基线 {r.baseline_share:.1%}"
                        f"（{r.base_items}/{r.base_all}）；单侧二项检验 p = {r.p_value:.2g}"
                    ),
                    "p_value": float(r.p_value),
                }
            )
    columns = ["kind", "level", "who", "unit", "detail", "p_value"]
    return pd.DataFrame(out, columns=columns).astype({"p_value": float})

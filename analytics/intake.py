"""The intake that is not about one officer: ratings of places (unit codes) and letters to
the chief's mailbox, per unit (rolled up the unit tree) — docs/metrics.md.

A place rating (`unit_ratings`, given through a unit code) counts for its unit and every
unit above it, up to the bureau, and never for an officer: it is read from its own table
and no officer figure reads that table. Letters are counted per unit and category; a
letter to the bureau as a whole (no unit) counts for the top of the tree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.frames import Schema
from analytics.metrics import NO_ID, Rate, add_rates, count_items, rollup

UNIT_RATING_COLS: Schema = (("unit_id", "i64"), ("level", "i8"), ("created_at", "i64"))
UNIT_RATING_SQL = """
SELECT unit_id, level, created_at FROM unit_ratings
WHERE created_at >= ? AND created_at < ? AND created_at <= ?
"""
LETTER_COLS: Schema = (
    ("unit_id", "n64"),
    ("category", "str"),
    ("created_at", "i64"),
    ("replied_at", "n64"),
)
LETTER_SQL = """
SELECT unit_id, category, created_at, replied_at FROM letters
WHERE created_at >= ? AND created_at < ? AND created_at <= ?
"""
PLACE_COUNTS = ("place_ratings", "place_satisfied", "place_good", "place_bad")
PLACE_RATES: tuple[Rate, ...] = (
    Rate("place_satisfaction_rate", "场所满意率", ("place_satisfied",), ("place_ratings",)),
    Rate("place_good_rate", "场所好评率", ("place_good",), ("place_ratings",)),
    Rate("place_bad_rate", "场所差评率", ("place_bad",), ("place_ratings",)),
)
LETTER_COUNTS = ("letters", "letters_replied")
UNIT_INFO = ["unit_id", "code", "name", "path", "depth"]


def place_table(
    unit_ratings: pd.DataFrame,
    units: pd.DataFrame,
    tree: pd.DataFrame,
    basic_counts_satisfied: bool,
) -> pd.DataFrame:
    """One row per unit of `units`: its subtree's place ratings (of the period), satisfied,
    good and bad counts (the officer ratings' level rules) and their rates."""
    level = unit_ratings["level"]
    items = pd.DataFrame(
        {
            "unit_id": unit_ratings["unit_id"].to_numpy(np.int64),
            "place_ratings": np.ones(len(unit_ratings), dtype=bool),
            "place_satisfied": (level >= (3 if basic_counts_satisfied else 4)).to_numpy(bool),
            "place_good": (level >= 4).to_numpy(bool),
            "place_bad": (level <= 2).to_numpy(bool),
        }
    )
    rolled = rollup(count_items(items, ["unit_id"], PLACE_COUNTS), tree, [], PLACE_COUNTS)
    out = units[UNIT_INFO].merge(rolled, on="unit_id", how="left")
    out = out.fillna(dict.fromkeys(PLACE_COUNTS, 0)).astype(dict.fromkeys(PLACE_COUNTS, np.int64))
    return add_rates(out, PLACE_RATES)


def _top_unit(units: pd.DataFrame) -> int:
    """The unit a letter without a unit counts for: the root of the tree (NO_ID when the
    scope has several roots or none)."""
    roots = units[units["parent_id"].isna()]
    return int(roots["unit_id"].iloc[0]) if len(roots) == 1 else NO_ID


def letter_table(
    letters: pd.DataFrame,
    units: pd.DataFrame,
    tree: pd.DataFrame,
    as_of_ms: int,
    scoped: bool,
) -> pd.DataFrame:
    """One row per unit (its subtree) and category with at least one letter of the period:
    letters and those replied by the moment. In a unit's own report (`scoped`) letters to
    the bureau as a whole are not listed."""
    unit = letters["unit_id"].astype("Int64")
    if scoped:
        letters, unit = letters[unit.notna().to_numpy(bool)], unit[unit.notna()]
    replied = letters["replied_at"]
    items = pd.DataFrame(
        {
            "unit_id": unit.fillna(_top_unit(units)).to_numpy(np.int64),
            "category": letters["category"].astype(object).to_numpy(),
            "letters": np.ones(len(letters), dtype=bool),
            "letters_replied": (replied.notna() & (replied <= as_of_ms))
            .fillna(False)
            .to_numpy(bool),
        }
    )
    counts = count_items(items, ["unit_id", "category"], LETTER_COUNTS)
    rolled = counts.merge(tree, on="unit_id", how="inner")
    rolled = rolled.drop(columns=["unit_id"]).rename(columns={"ancestor_id": "unit_id"})
    rolled = count_items(rolled, ["unit_id", "category"], LETTER_COUNTS)
    out = units[UNIT_INFO].merge(rolled, on="unit_id", how="inner")
    return add_rates(
        out, (Rate("letter_reply_rate", "来信回复率", ("letters_replied",), ("letters",)),)
    )[[*UNIT_INFO, "category", *LETTER_COUNTS, "letter_reply_rate"]]


def intake_tables(
    cases: pd.DataFrame,
    workorders: pd.DataFrame,
    unit_ratings: pd.DataFrame,
    letters: pd.DataFrame,
    units: pd.DataFrame,
    tree: pd.DataFrame,
    as_of_ms: int,
    scoped: bool,
    basic_counts_satisfied: bool,
) -> dict[str, pd.DataFrame]:
    """The period's handling-cycle tables (per channel, per unit), place ratings and
    letters. `cases` (CASE_CYCLE_COLS), `workorders` (the period's, units attributed),
    `unit_ratings` and `letters` are of the period; `units` and `tree` the report's scope
    (`scoped`: a unit's own report)."""
    from analytics import cycle

    in_scope = units["unit_id"]
    if scoped:
        cases = cases[cases["unit_id"].isin(in_scope).fillna(False).to_numpy(bool)]
        unit_ratings = unit_ratings[unit_ratings["unit_id"].isin(in_scope)]
    items = pd.concat(
        [cycle.case_items(cases, as_of_ms), cycle.workorder_cycle_items(workorders, as_of_ms)],
        ignore_index=True,
    )
    return {
        "cycle_channels": cycle.channel_table(items),
        "cycle_units": cycle.unit_table(items, units, tree),
        "places": place_table(unit_ratings, units, tree, basic_counts_satisfied),
        "letters": letter_table(letters, units, tree, as_of_ms, scoped),
    }

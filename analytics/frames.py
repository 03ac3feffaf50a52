"""The frames analytics reads: column schemas and rows → typed frames."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

# (column, dtype): "i64" int64, "n64" nullable Int64, "i8" int8, "cat" categorical,
# "str" object strings (None kept), "flag" bool from 0/1/None.
Schema = Sequence[tuple[str, str]]

UNIT_COLS: Schema = (
    ("unit_id", "i64"),
    ("code", "str"),
    ("name", "str"),
    ("parent_id", "n64"),
    ("path", "str"),
    ("depth", "i8"),
)
OFFICER_COLS: Schema = (
    ("officer_id", "i64"),
    ("badge_no", "str"),
    ("officer_name", "str"),
    ("unit_id", "i64"),
    ("kind", "cat"),
    ("status", "cat"),
    ("created_at", "i64"),
    ("updated_at", "i64"),
)
# A rating's follow-up: the fields of its case (read as they stand, or as of a moment by
# analytics.asof from the case's history).
CASE_FOLLOW_UP_COLS: Schema = (
    ("callback_at", "n64"),
    ("callback_outcome", "cat"),
    ("verification", "cat"),
    ("rectified_at", "n64"),
    ("rectify_due_at", "n64"),
    ("fix_rating", "cat"),
)
RATING_COLS: Schema = (
    ("rating_id", "i64"),
    ("officer_id", "i64"),
    ("unit_id", "i64"),
    ("level", "i8"),
    ("reasons", "cat"),
    ("device_hash", "str"),
    ("network_hash", "str"),
    ("created_at", "i64"),
    ("invalidated", "flag"),
    *CASE_FOLLOW_UP_COLS,
)
WORKORDER_COLS: Schema = (
    ("workorder_id", "i64"),
    ("channel", "cat"),
    ("received_at", "i64"),
    ("unit_id", "n64"),
    ("officer_id", "n64"),
    ("due_at", "n64"),
    ("due_source", "cat"),
    ("closed_at", "n64"),
    ("callback_at", "n64"),
    ("callback_outcome", "cat"),
    ("satisfaction", "cat"),
    ("verification", "cat"),
    ("rectification", "cat"),
    ("rectified_at", "n64"),
)
OVERDUE_COLS: Schema = (
    ("item", "str"),
    ("item_id", "i64"),
    ("ref", "str"),
    ("unit_id", "n64"),
    ("officer_id", "n64"),
    ("stage", "str"),
    ("opened_at", "i64"),
    ("due_at", "i64"),
    ("provisional", "flag"),
)


def frame(rows: Sequence[Sequence[Any]], schema: Schema) -> pd.DataFrame:
    """Rows (tuples, as the store returns them) → a frame with the schema's dtypes."""
    names = [name for name, _ in schema]
    if rows and all(kind in ("i64", "i8", "flag") for _, kind in schema):
        # No NULLs possible: one C-level conversion instead of a column-by-column walk.
        flat = itertools.chain.from_iterable(rows)
        block = np.fromiter(flat, dtype=np.int64, count=len(rows) * len(schema))
        block = block.reshape(len(rows), len(schema))
        dtypes = {"i64": np.int64, "i8": np.int8, "flag": bool}
        return pd.DataFrame(
            {n: block[:, j].astype(dtypes[k]) for j, (n, k) in enumerate(schema)}, columns=names
        )
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
    data: dict[str, Any] = {}
    for (name, kind), values in zip(schema, columns, strict=True):
        if kind == "i64":
            data[name] = np.fromiter(values, dtype=np.int64, count=len(values))
        elif kind == "i8":
            data[name] = np.fromiter(values, dtype=np.int8, count=len(values))
        elif kind == "n64":
            data[name] = pd.array(values, dtype="Int64")
        elif kind == "flag":
            data[name] = np.fromiter((bool(v) for v in values), dtype=bool, count=len(values))
        elif kind == "cat":
            data[name] = pd.Categorical(values)
        else:
            data[name] = np.array(values, dtype=object)
    return pd.DataFrame(data, columns=names)

"""Reading large SQLite results as columns, not Python rows.

A weekly report at three times a city's scale reads 1.6 million ratings; fetched through
the `sqlite3` module that is 1.6 million tuples of Python ints (most of the load time and
memory). The ADBC SQLite driver runs the same SQL in C and hands back Arrow columns, which
become numpy arrays without a Python object per value. It opens its own read-only
connection to the file (WAL lets it read beside the writer).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rating.store import Store


def sqlite_path(store: Store) -> str | None:
    """The database file of a SQLite store (None for PostgreSQL or a store in memory)."""
    from rating.store.sqlite import SqliteStore

    if not isinstance(store, SqliteStore):
        return None
    path = str(store.path)
    return path if path and path != ":memory:" and Path(path).exists() else None


def read_int_columns(
    path: str, sql: str, params: Sequence[Any], names: Sequence[str]
) -> dict[str, np.ndarray]:
    """Run `sql` (every column an integer, never NULL) on the SQLite file `path`; the
    columns as int64 arrays by `names`."""
    import adbc_driver_sqlite.dbapi as adbc

    uri = Path(path).resolve().as_uri() + "?mode=ro"
    with contextlib.closing(adbc.connect(uri)) as conn, contextlib.closing(conn.cursor()) as cur:
        cur.execute(sql, tuple(params))
        table = cur.fetch_arrow_table()
    out: dict[str, np.ndarray] = {}
    for name, column in zip(names, table.columns, strict=True):
        values = column.to_numpy()
        out[name] = values.astype(np.int64, copy=False) if len(values) else np.zeros(0, np.int64)
    return out


def int_frame(columns: dict[str, np.ndarray], dtypes: dict[str, Any]) -> pd.DataFrame:
    """Integer columns → a frame with the given numpy dtypes (int8, bool, ...)."""
    return pd.DataFrame(
        {n: v.astype(dtypes.get(n, np.int64), copy=False) for n, v in columns.items()}
    )

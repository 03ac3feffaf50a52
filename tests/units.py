"""Units of work for tests.

`store.write` sends its function to SQLite's writer process, so it must be importable
(module level), not a lambda or a function defined inside a test.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rating.store.logic import Tx


def run_sql(tx: Tx, sql: str, params: Sequence[Any] = ()) -> int:
    """One statement; the number of rows it changed."""
    return tx.run(sql, params)

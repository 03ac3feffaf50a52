"""Cells that a spreadsheet will not run: one function for every CSV and XLSX we write.

Excel and WPS read a cell that begins with = + - @ (or a tab or carriage return, which
they skip before looking) as a formula: a name typed as `=HYPERLINK(...)` into a hotline
form would run on the clerk's desktop. Such text gets a leading apostrophe, which both
show as nothing and which makes the cell text. Numbers stay numbers: an int or float
value is written as it is; only text is neutralised (so "+86 138..." stays text).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """Text that a spreadsheet would read as a formula, made inert with an apostrophe."""
    return "'" + value if value.startswith(FORMULA_START) else value


def restore(value: str) -> str:
    """`neutralise` undone, for a file of ours that is read back (the badge print record)."""
    if value.startswith("'") and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


def safe_cell(value: Any) -> Any:
    """A cell value as written: text neutralised, anything else unchanged."""
    return neutralise(value) if isinstance(value, str) else value


class SafeWriter:
    """csv.writer whose every text cell is neutralised."""

    def __init__(self, out: Any, **kwargs: Any) -> None:
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)

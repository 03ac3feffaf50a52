"""Reading an officer roster file into rows, with the shared table reader (rating/tabular.py):
CSV in UTF-8, GBK/GB18030 or UTF-16, comma- or tab-separated, or XLSX/XLS/ODS.

Every problem is reported with the line number a clerk sees in Excel (the header is
line 1 unless title rows sit above it), and reading never stops at the first bad row.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from rating.store.models import RosterRow
from rating.tabular import ImportFileError, open_sheet

HEADERS = {
    "badge_no": ("警号", "badge_no", "badge", "badge no", "badge number"),
    "name": ("姓名", "name"),
    "unit": ("单位", "unit", "所属单位", "unit_path", "unit code", "单位编码"),
    "kind": ("类别", "kind", "人员类别", "type"),
}
KIND_VALUES = {
    "民警": "police",
    "police": "police",
    "辅警": "auxiliary",
    "auxiliary": "auxiliary",
    "警务辅助人员": "auxiliary",
}
MAX_HEADER_SEARCH = 10


class RosterFileError(ImportFileError):
    """The file as a whole cannot be read (wrong format, no header row)."""

    @classmethod
    def of(cls, exc: ImportFileError) -> RosterFileError:
        return cls(exc.reason.code, **exc.reason.params)


@dataclass
class RosterFile:
    rows: list[RosterRow] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)


def _norm_header(cell: Any) -> str:
    return str(cell or "").strip().lower().replace("\ufeff", "")


def _header_map(cells: list[Any]) -> dict[str, int] | None:
    found: dict[str, int] = {}
    for idx, cell in enumerate(cells):
        h = _norm_header(cell)
        for key, names in HEADERS.items():
            if h in names and key not in found:
                found[key] = idx
    return found if set(found) == set(HEADERS) else None


def _rows(rows: Iterator[tuple[int, list[Any]]]) -> Iterator[tuple[int, list[Any]]]:
    """The reader's rows; a file that turns out broken part-way is a RosterFileError."""
    try:
        yield from rows
    except RosterFileError:
        raise
    except ImportFileError as exc:
        raise RosterFileError.of(exc) from None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a badge number typed as a number in Excel
    return str(value).strip()


def read_roster(path: Path) -> RosterFile:
    """Parse a roster file; bad rows go to `errors` as (line, reason). A CSV is read a
    piece at a time; a workbook is read whole (rating/spreadsheet.py), up to its cap."""
    try:
        sheet = open_sheet(path)
    except ImportFileError as exc:
        raise RosterFileError.of(exc) from None
    lines = _rows(sheet.rows)
    header: dict[str, int] | None = None
    for _, cells in islice(lines, MAX_HEADER_SEARCH):
        header = _header_map(cells)
        if header:
            break
    if header is None:
        raise RosterFileError("roster_no_header", rows=MAX_HEADER_SEARCH)
    out = RosterFile()
    seen: dict[str, int] = {}
    for line, cells in lines:
        values = {k: _cell(cells[i]) if i < len(cells) else "" for k, i in header.items()}
        if not any(_cell(c) for c in cells):
            continue  # blank line
        problems = []
        # NFKC: full-width digits typed in a Chinese input method are the same badge.
        badge = unicodedata.normalize("NFKC", values["badge_no"])
        if not badge:
            problems.append("badge number (警号) is empty")
        elif not (badge.isascii() and badge.isalnum()) or len(badge) > 20:
            problems.append(f"badge number {badge!r} must be letters/digits, at most 20")
        if not values["name"]:
            problems.append("name (姓名) is empty")
        elif len(values["name"]) > 50:
            problems.append("name (姓名) is longer than 50 characters")
        if not values["unit"]:
            problems.append("unit (单位) is empty")
        kind = KIND_VALUES.get(values["kind"].lower())
        if kind is None:
            problems.append(f"kind (类别) {values['kind']!r} must be 民警/police or 辅警/auxiliary")
        if badge and badge in seen:
            problems.append(f"badge number {badge} already on line {seen[badge]}")
        if problems:
            out.errors.append((line, "; ".join(problems)))
            continue
        seen[badge] = line
        # NFKC: a path typed with full-width slashes (张家口市公安局／桥东分局) is the same path.
        unit = unicodedata.normalize("NFKC", values["unit"])
        out.rows.append(RosterRow(line, badge, values["name"], unit, kind or ""))
    if not out.rows and not out.errors:
        raise RosterFileError("roster_no_rows")
    return out

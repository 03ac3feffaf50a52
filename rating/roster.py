"""Reading an officer roster file (CSV in UTF-8/GBK/GB18030, or XLSX/XLS/ODS) into rows.

Every problem is reported with the line number a clerk sees in Excel (the header is
line 1 unless title rows sit above it), and reading never stops at the first bad row.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from rating.spreadsheet import (
    OLE_MAGIC,
    ZIP_MAGIC,
    SpreadsheetError,
    read_workbook,
    read_workbook_file,
)
from rating.store.models import RosterRow
from rating.workorders.reader import scan_text

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


class RosterFileError(Exception):
    """The file as a whole cannot be read (wrong format, no header row)."""


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


def _csv_lines(path: Path) -> Iterator[tuple[int, list[Any]]]:
    """The rows with the text line each ends on, read a piece at a time (see the work-order
    reader): the whole file decodes as UTF-8 or else as GBK/GB18030, or it is refused."""
    try:
        for encoding in ("utf-8-sig", "gb18030"):
            found = scan_text(path, encoding)
            if found.ok:
                break
        else:
            raise RosterFileError("cannot decode the file as UTF-8 or GBK/GB18030 text")
        if found.nul:
            raise RosterFileError("this is not a CSV text file (binary content)")
        fh = path.open("rb")
    except OSError as exc:
        raise RosterFileError(f"cannot read {path}: {exc.strerror}") from None
    return _csv_rows(fh, encoding)


def _csv_rows(fh: io.BufferedReader, encoding: str) -> Iterator[tuple[int, list[Any]]]:
    with fh, io.TextIOWrapper(fh, encoding=encoding, newline="") as text:
        reader = csv.reader(text)
        try:
            for row in reader:
                yield reader.line_num, row
        except csv.Error as exc:
            raise RosterFileError(f"line {reader.line_num}: broken CSV ({exc})") from None


def _workbook_lines(raw: bytes) -> Iterator[tuple[int, list[Any]]]:
    try:
        return enumerate(read_workbook(raw).rows, 1)
    except SpreadsheetError as exc:  # any failure inside the workbook: one line for the clerk
        kind = "XLS" if raw.startswith(OLE_MAGIC) else "XLSX"
        raise RosterFileError(f"cannot open the {kind} file ({exc})") from None


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
        with path.open("rb") as fh:
            first = fh.read(len(ZIP_MAGIC))
    except OSError as exc:
        raise RosterFileError(f"cannot read {path}: {exc.strerror}") from None
    lines: Iterator[tuple[int, list[Any]]]
    if first.startswith((ZIP_MAGIC, OLE_MAGIC)):
        try:
            raw = read_workbook_file(path)
        except OSError as exc:
            raise RosterFileError(f"cannot read {path}: {exc.strerror}") from None
        except SpreadsheetError as exc:
            raise RosterFileError(f"cannot open the workbook ({exc})") from None
        lines = _workbook_lines(raw)
    elif path.suffix.lower() in (".xlsx", ".xlsm"):
        raise RosterFileError("the file is named .xlsx but is not an Excel workbook")
    elif path.suffix.lower() in (".xls", ".ods"):
        raise RosterFileError(
            f"the file is named {path.suffix.lower()} but is not a workbook: open it in "
            "Excel or WPS and save it as .xlsx or CSV"
        )
    else:
        lines = _csv_lines(path)
    header: dict[str, int] | None = None
    for _, cells in islice(lines, MAX_HEADER_SEARCH):
        header = _header_map(cells)
        if header:
            break
    if header is None:
        raise RosterFileError(
            "no header row found: need columns 警号/badge_no, 姓名/name, 单位/unit, "
            "类别/kind in the first 10 lines"
        )
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
        raise RosterFileError("the file has a header but no officer rows")
    return out

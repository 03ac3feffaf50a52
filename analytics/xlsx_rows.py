"""Writing a table's rows into an xlsxwriter worksheet a block at a time.

xlsxwriter spends a few microseconds of Python on every cell (argument checks, a cell
tuple, an attribute list, a row flush): at three times a city's scale the officers sheet
alone has about 750,000 cells, several seconds. `TableWorksheet.write_block` takes the
cells a column at a time and writes the same XML that xlsxwriter's `write_number`,
`write_datetime` and `write_string` would write in constant_memory mode, byte for byte
(tests/analytics/test_render_fast.py compares the two), with one f-string per cell. It uses
xlsxwriter's own helpers for escaping, row tags, dimensions and format indices; only the
per-cell loop is ours.
"""

from __future__ import annotations

import functools
import re
import threading
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import xlsxwriter.workbook
from xlsxwriter.format import Format
from xlsxwriter.utility import _preserve_whitespace, xl_col_to_name
from xlsxwriter.worksheet import Worksheet

# A string that needs none of xlsxwriter's treatment (control characters or a literal
# _xHHHH_, XML escapes, a rich string, leading or trailing space) goes in as it is.
_PLAIN = re.compile(r'[^\x00-\x1f"&<>\ufffe\uffff]*')
_PLAIN_EDGES = re.compile(r"^\s|\s$|_x[0-9a-fA-F]{4}_")
CHUNK_ROWS = 4096  # rows rendered to XML at a time (bounds the memory of the strings)
# zlib level for the parts of the .xlsx file. xlsxwriter leaves zipfile's default (6): at
# three times a city's scale that deflates 25 MB of sheet XML in about a fifth of the
# workbook's time; level 1 takes a quarter of that for a file about a third larger
# (2.6 → 3.5 MB). The cells are the same either way.
DEFLATE_LEVEL = 1
_STORE_LOCK = threading.Lock()


class FastDeflateWorkbook(xlsxwriter.workbook.Workbook):
    """An xlsxwriter Workbook whose file is deflated at DEFLATE_LEVEL.

    xlsxwriter opens the zip file inside `_store_workbook` with the module's `ZipFile`
    and has no option for the level, so the name is pointed at a leveled ZipFile for the
    length of that call (under a lock: two threads storing at once do not see each
    other's swap)."""

    def _store_workbook(self) -> None:
        module = xlsxwriter.workbook
        with _STORE_LOCK:
            original = module.ZipFile
            module.ZipFile = functools.partial(zipfile.ZipFile, compresslevel=DEFLATE_LEVEL)
            try:
                super()._store_workbook()
            finally:
                module.ZipFile = original


def _number_texts(values: Sequence[Any]) -> list[str | None]:
    """Each number as xlsxwriter writes it (`f"{v:.16G}"`; None stays None). A whole number
    below 10**15 (not -0.0) is the same text as its integer's digits, several times faster
    to make: most cells of the report are counts."""
    if not values:
        return []
    arr = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    with np.errstate(invalid="ignore"):
        whole = (np.abs(arr) < 1e15) & (arr == np.floor(arr)) & ~np.signbit(arr)
    ints = np.where(whole, arr, 0).astype(np.int64).tolist()
    return [
        None if v is None else (str(i) if w else f"{v:.16G}")
        for v, i, w in zip(values, ints, whole.tolist(), strict=True)
    ]


@dataclass(frozen=True)
class Column:
    """One column of a block: how its cells are written ("number", "datetime" or "text"),
    one value per row (None: no cell) and the cell format, either one for the column or
    one per row (None: no format)."""

    how: str
    values: Sequence[Any]
    cell_format: Format | None = None
    row_formats: Sequence[Format | None] | None = None

    def format_at(self, i: int) -> Format | None:
        return self.row_formats[i] if self.row_formats is not None else self.cell_format


def _tail(formats: Sequence[Format | None] | None, n: int) -> Sequence[Format | None] | None:
    return None if formats is None else formats[n:]


class TableWorksheet(Worksheet):
    """A worksheet (pass as `worksheet_class` to `Workbook.add_worksheet`) that can write a
    block of rows at once."""

    previous_row: int  # xlsxwriter's: the row pending in constant_memory mode

    def _xml_rich_inline_string(self, string: str, attributes: Any = ()) -> None:
        # xlsxwriter writes a string that starts with <r> and ends with </r> raw, as rich
        # text. Our cells are text, never markup (a complaint's words reach 重复诉求): write
        # it escaped, like any other string.
        self._xml_inline_string(string, _preserve_whitespace(string), list(attributes))

    def write_block(
        self, first_row: int, columns: Sequence[Column], heights: Mapping[int, float] = {}
    ) -> None:
        """Write `columns` (from column 0 on) into rows `first_row`… and set the heights of
        the rows `heights` names (offsets into the block; others are ignored). Like
        `write_number` and friends, except that a NaN number is not accepted (pass None for
        no cell)."""
        n = len(columns[0].values) if columns else 0
        if n == 0:
            return
        last = first_row + n - 1
        if (
            not self.constant_memory
            or first_row <= self.previous_row
            or last >= self.xls_rowmax
            or len(columns) > self.xls_colmax
        ):
            self._write_cells(first_row, columns, heights)
            return
        columns = [
            replace(c, cell_format=self.default_date_format)
            if c.how == "datetime" and c.cell_format is None and c.row_formats is None
            else c
            for c in columns
        ]
        self._write_single_row(first_row)  # flush the pending row, as a cell write would
        # The last row stays pending, as after cell writes: xlsxwriter writes it (and
        # numbers the formats it uses) when the workbook closes.
        n -= 1
        for i, height in heights.items():
            if 0 <= i < n:
                self.set_row(first_row + i, height)
        self._claim(first_row, columns, n)
        plain_row = (
            self.default_row_height == self.original_row_height and self.excel_version != 2010
        )
        for start in range(0, n, CHUNK_ROWS):
            stop = min(start + CHUNK_ROWS, n)
            rows = self._cells_xml(first_row, columns, start, stop)
            # Plain rows are gathered and written in one call (a write per row cost more
            # than its XML); a row with its own attributes goes through xlsxwriter.
            pending: list[str] = []
            for i, cells in zip(range(start, stop), rows, strict=True):
                row = first_row + i
                info = self.row_info.get(row)
                if info is None and plain_row:
                    if cells:
                        pending.append(f'<row r="{row + 1}">{cells}</row>')
                    continue
                if pending:
                    self.fh.write("".join(pending))
                    pending.clear()
                if not cells:
                    if info is not None:
                        self._write_empty_row(row, None, info)
                    continue
                self._write_row(row, None, info)
                self.fh.write(cells)
                self.fh.write("</row>")
            if pending:
                self.fh.write("".join(pending))
        self.previous_row = last
        self.table.clear()
        tail = [
            replace(c, values=c.values[n:], row_formats=_tail(c.row_formats, n)) for c in columns
        ]
        self._write_cells(last, tail, {0: heights[n]} if n in heights else {})

    def _write_cells(
        self, first_row: int, columns: Sequence[Column], heights: Mapping[int, float]
    ) -> None:
        """The same through xlsxwriter's cell calls (without constant_memory, or where a
        block would not fit the sheet)."""
        for i in range(len(columns[0].values)):
            row = first_row + i
            if i in heights:
                self.set_row(row, heights[i])
            for j, col in enumerate(columns):
                v = col.values[i]
                if v is None:
                    continue
                if col.how == "text":
                    self._write_string(row, j, v, col.format_at(i))
                elif col.how == "datetime":
                    self._write_datetime(row, j, v, col.format_at(i))
                else:
                    self._write_number(row, j, v, col.format_at(i))

    def _claim(self, first_row: int, columns: Sequence[Column], n: int) -> None:
        """Dimensions and format indices as cell by cell writing of the first `n` rows
        would leave them: a format's index is assigned where it is first used, row by
        row."""
        first_use: dict[int, tuple[int, int, Format]] = {}
        for j, col in enumerate(columns):
            filled = [i for i, v in enumerate(col.values[:n]) if v is not None]
            if not filled:
                continue
            self._check_dimensions(first_row + filled[0], j)
            self._check_dimensions(first_row + filled[-1], j)
            if col.row_formats is not None:
                uses = [(i, f) for i in filled if (f := col.row_formats[i]) is not None]
            else:
                uses = [(filled[0], col.cell_format)] if col.cell_format is not None else []
            for i, f in uses:
                if id(f) not in first_use or first_use[id(f)][:2] > (i, j):
                    first_use[id(f)] = (i, j, f)
        for _, _, f in sorted(first_use.values(), key=lambda u: u[:2]):
            f._get_xf_index()

    def _cells_xml(
        self, first_row: int, columns: Sequence[Column], start: int, stop: int
    ) -> list[str]:
        """The <c> elements of rows start..stop-1 of the block, one string per row."""
        texts: dict[str, str] = {}  # names repeat: escape each once
        per_column: list[list[str]] = []
        for j, col in enumerate(columns):
            letter = xl_col_to_name(j)
            style = self._style_attrs(col, start, stop)
            values = col.values[start:stop]
            rows = range(first_row + start + 1, first_row + stop + 1)
            if col.how == "text":
                cells = [
                    ""
                    if v is None
                    else f'<c r="{letter}{r}"{s} t="inlineStr">{self._inline(v, texts)}</c>'
                    for v, r, s in zip(values, rows, style, strict=True)
                ]
            else:
                if col.how == "datetime":
                    convert = self._convert_date_time
                    values = [None if v is None else convert(v) for v in values]
                cells = [
                    "" if t is None else f'<c r="{letter}{r}"{s}><v>{t}</v></c>'
                    for t, r, s in zip(_number_texts(values), rows, style, strict=True)
                ]
            per_column.append(cells)
        return list(map("".join, zip(*per_column, strict=True)))

    def _style_attrs(self, col: Column, start: int, stop: int) -> list[str]:
        """Each row's ` s="…"` attribute (formats are indexed by _claim; a format is
        asked for its index only where a cell uses it, as xlsxwriter does)."""
        values = col.values[start:stop]
        if col.row_formats is None:
            f = col.cell_format
            if f is None or all(v is None for v in values):
                return [""] * (stop - start)
            return [f' s="{f._get_xf_index()}"'] * (stop - start)
        return [
            f' s="{f._get_xf_index()}"' if f is not None and v is not None else ""
            for f, v in zip(col.row_formats[start:stop], values, strict=True)
        ]

    def _inline(self, value: str, cache: dict[str, str]) -> str:
        """An inline string's <is> element, as xlsxwriter's _write_cell writes it."""
        if _PLAIN.fullmatch(value) and not _PLAIN_EDGES.search(value):
            return f"<is><t>{value}</t></is>"
        hit = cache.get(value)
        if hit is not None:
            return hit
        string = self._escape_control_characters(value)
        # Always escaped. xlsxwriter's _write_cell writes a string that starts with <r> and
        # ends with </r> raw, as rich text: a complaint's text (the 重复诉求 excerpts) or a
        # name could then break report.xlsx. Our rows are text, never markup.
        preserve = ' xml:space="preserve"' if _preserve_whitespace(string) else ""
        out = f"<is><t{preserve}>{self._escape_data(string)}</t></is>"
        cache[value] = out
        return out

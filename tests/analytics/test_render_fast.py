"""The fast paths of the renderers write what the cell-by-cell code wrote: the xlsx block
writer the same bytes as xlsxwriter's cell calls, the CSV columns the same fields."""

from __future__ import annotations

import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xlsxwriter

from analytics import xlsx_rows
from analytics.render_tables import _csv_column, _csv_field, write_xlsx
from analytics.report import ReportOptions, build_weekly
from analytics.xlsx_rows import Column, FastDeflateWorkbook, TableWorksheet
from tests.analytics.test_print import WEEK, city_data

TEXTS = ["民警1", "'=HYPERLINK(1)", " leading", "a & b < c > d", "tab\there", "x\x01y", "_x0041_"]


def _columns(wb: Any, n: int) -> list[Column]:
    pct = wb.add_format({"num_format": "0.0%"})
    when = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    indents = [wb.add_format({"indent": i}) for i in range(3)]
    return [
        Column("number", [float(i) if i % 5 else None for i in range(n)]),
        Column("text", [TEXTS[i % len(TEXTS)] if i % 3 else None for i in range(n)]),
        Column(
            "text",
            [f"第{i}派出所" for i in range(n)],
            row_formats=[indents[i % 3] if i % 4 else None for i in range(n)],
        ),
        Column("number", [i / 7 if i % 2 else None for i in range(n)], pct),
        Column("datetime", [datetime(2026, 11, 17, 8, i % 60) for i in range(n)], when),
        Column("datetime", [None if i % 2 else datetime(2026, 1, 1) for i in range(n)]),
    ]


def _sheet_xml(path: Path) -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read("xl/worksheets/sheet1.xml") + z.read("xl/styles.xml")


def _workbook(path: Path, n: int, block: bool) -> bytes:
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("表", TableWorksheet)
    ws.write_string(0, 0, "表头", wb.add_format({"bold": True}))
    columns = _columns(wb, n)
    heights = {2: 34.0, 7: 50.0}
    if block:
        ws.write_block(1, columns, heights)
    else:
        ws._write_cells(1, columns, heights)  # xlsxwriter's own cell calls
    ws.autofilter(0, 0, n, len(columns) - 1)
    wb.close()
    return _sheet_xml(path)


@pytest.mark.parametrize("n", [1, 9, 5000])  # 5000 rows: more than one chunk
def test_block_equals_cell_by_cell(tmp_path: Path, n: int) -> None:
    fast = _workbook(tmp_path / "block.xlsx", n, block=True)
    slow = _workbook(tmp_path / "cells.xlsx", n, block=False)
    if n > 3 * len(TEXTS):  # every kind of text was written, escaped
        assert b"_x005F_x0041_" in fast and b"a &amp; b &lt; c &gt; d" in fast
    assert fast == slow


def test_report_workbook_unchanged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    report = build_weekly(city_data(), ReportOptions(week=WEEK))
    write_xlsx(report, tmp_path / "block.xlsx")
    monkeypatch.setattr(
        TableWorksheet, "write_block", lambda ws, first, cols, h={}: ws._write_cells(first, cols, h)
    )
    write_xlsx(report, tmp_path / "cells.xlsx")
    with (
        zipfile.ZipFile(tmp_path / "block.xlsx") as a,
        zipfile.ZipFile(tmp_path / "cells.xlsx") as b,
    ):
        names = [n for n in a.namelist() if not n.startswith("docProps/")]
        assert names == [n for n in b.namelist() if not n.startswith("docProps/")]
        assert any(n.startswith("xl/worksheets/") for n in names)
        for name in names:
            assert a.read(name) == b.read(name), name


@pytest.mark.parametrize(
    "column",
    [
        pd.Series([0.93125, 1.0, np.nan, -0.0, 2 / 3, 12.0]),
        pd.Series([1, 2, 3], dtype=np.int64),
        pd.Series([1, pd.NA, 3], dtype="Int64"),
        pd.Series([True, False]),
        pd.Series(["=SUM(A1)", "民警", None, "+1", "民警"], dtype=object),
        pd.Series(["-x", "a", None], dtype="string"),
        pd.Series(pd.Categorical(["@me", "b", None])),
        pd.Series([1, True, 1.5, "=x", None, np.nan], dtype=object),
    ],
)
def test_csv_columns_as_cell_by_cell(column: pd.Series) -> None:
    assert _csv_column(column) == [_csv_field(v) for v in column.astype(object)]


def test_text_that_looks_like_rich_text_is_written_as_text(tmp_path: Path) -> None:
    """A citizen's complaint or a name of the form "<r>…</r>" is text in the workbook: it
    once went into the sheet XML raw (xlsxwriter's rich-string shortcut) and broke it."""
    import openpyxl

    evil = '<r><t>x</t></r><c r="A1"/></r>'
    wb = xlsxwriter.Workbook(str(tmp_path / "r.xlsx"), {"constant_memory": True})
    ws = wb.add_worksheet("表", TableWorksheet)
    ws.write_block(0, [Column("text", [evil, "正常"])], {})
    wb.close()
    book = openpyxl.load_workbook(tmp_path / "r.xlsx", read_only=True)
    cells = [row[0] for row in book["表"].iter_rows(values_only=True)]
    book.close()
    assert cells == [evil, "正常"]


def test_fast_deflate_changes_only_the_compression(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report's workbook is deflated at level 1: the same parts, byte for byte, as
    xlsxwriter's own (level 6) file, in a larger zip; xlsxwriter's ZipFile is restored
    afterwards (the next plain Workbook deflates as before)."""
    report = build_weekly(city_data(), ReportOptions(week=WEEK))
    write_xlsx(report, tmp_path / "fast.xlsx")
    monkeypatch.setattr("analytics.render_tables.FastDeflateWorkbook", xlsxwriter.Workbook)
    write_xlsx(report, tmp_path / "default.xlsx")
    assert xlsxwriter.workbook.ZipFile is zipfile.ZipFile
    with (
        zipfile.ZipFile(tmp_path / "fast.xlsx") as a,
        zipfile.ZipFile(tmp_path / "default.xlsx") as b,
    ):
        names = [n for n in a.namelist() if not n.startswith("docProps/")]
        assert names == [n for n in b.namelist() if not n.startswith("docProps/")]
        for name in names:
            assert a.read(name) == b.read(name), name
        fast = sum(i.compress_size for i in a.infolist())
        default = sum(i.compress_size for i in b.infolist())
    assert xlsx_rows.DEFLATE_LEVEL < 6 and fast > default
    assert issubclass(FastDeflateWorkbook, xlsxwriter.Workbook)

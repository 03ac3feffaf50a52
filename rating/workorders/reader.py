"""Reading an export file (CSV in any of the usual encodings, or XLSX/XLS/ODS) into rows.

Rows come out as (line, cells) where `line` is the row number a clerk sees when the file
is open in Excel or WPS: for CSV that is the record number, which is also the text line
unless a cell holds line breaks.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePath
from typing import Any

from rating.spreadsheet import (
    EXCEL_1900,
    EXCEL_1904,
    OLE_MAGIC,
    ZIP_MAGIC,
    NoWorksheets,
    SpreadsheetError,
    read_workbook,
)
from rating.workorders.messages import ReasonError

__all__ = ["EXCEL_1900", "EXCEL_1904", "ImportFileError", "Sheet", "open_sheet", "read_sheet"]


class ImportFileError(ReasonError):
    """The file as a whole cannot be read (wrong format, no header row, no rows); `reason`
    says why in either language, `str` in English."""


@dataclass
class Sheet:
    sha256: str
    kind: str  # "csv", "xlsx", "xls" or "ods"
    encoding: str  # text encoding of a CSV; "" for a workbook
    serial_epoch: date  # day 0 of the Excel date serials in this file
    rows: Iterator[tuple[int, list[Any]]]


def _decode(raw: bytes) -> tuple[str, str]:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise ImportFileError("not_utf16") from None
    encodings: tuple[tuple[str, str], ...]
    if raw.startswith(b"\xef\xbb\xbf"):
        encodings = (("utf-8-sig", "UTF-8"),)
    else:
        encodings = (("utf-8", "UTF-8"), ("gb18030", "GBK/GB18030"))
    for codec, label in encodings:
        try:
            return raw.decode(codec), label
        except UnicodeDecodeError:
            continue
    raise ImportFileError("not_utf8_or_gbk")


def _csv_rows(text: str) -> Iterator[tuple[int, list[Any]]]:
    # Some systems export "CSV" with tabs (Excel's Unicode text is tab-separated).
    head = text[:8192]
    delimiter = "\t" if head.count("\t") > head.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 0
    try:
        for line, row in enumerate(reader, 1):
            yield line, row
    except csv.Error as exc:
        raise ImportFileError("broken_csv", line=line + 1, detail=str(exc)) from None


def _workbook_rows(raw: bytes) -> tuple[str, date, Iterator[tuple[int, list[Any]]]]:
    try:
        wb = read_workbook(raw)
    except NoWorksheets:
        raise ImportFileError("no_worksheets") from None
    except SpreadsheetError as exc:
        if raw.startswith(OLE_MAGIC):
            raise ImportFileError("bad_xls", detail=str(exc)) from None
        raise ImportFileError("bad_xlsx", detail=str(exc)) from None
    return wb.kind, wb.epoch, enumerate(wb.rows, 1)


def open_sheet(path: Path) -> Sheet:
    """Open an export for reading; CSV rows are produced lazily."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportFileError("cannot_read", path=path, detail=exc.strerror) from None
    return read_sheet(raw, path.name)


def read_sheet(raw: bytes, name: str) -> Sheet:
    """A sheet from the bytes of an export (an upload); `name` is the file's name, whose
    suffix tells a mislabelled workbook from a CSV."""
    digest = hashlib.sha256(raw).hexdigest()
    suffix = PurePath(name).suffix.lower()
    if raw.startswith((ZIP_MAGIC, OLE_MAGIC)):
        kind, epoch, rows = _workbook_rows(raw)
        return Sheet(digest, kind, "", epoch, rows)
    if suffix in (".xlsx", ".xlsm"):
        raise ImportFileError("misnamed_xlsx")
    if suffix in (".xls", ".ods"):
        raise ImportFileError("misnamed_xls", suffix=suffix)
    text, encoding = _decode(raw)
    del raw
    if "\x00" in text:
        raise ImportFileError("binary")
    return Sheet(digest, "csv", encoding, EXCEL_1900, _csv_rows(text))

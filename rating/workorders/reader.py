"""Reading an export file (CSV in any of the usual encodings, or XLSX) into rows.

Rows come out as (line, cells) where `line` is the row number a clerk sees when the file
is open in Excel or WPS: for CSV that is the record number, which is also the text line
unless a cell holds line breaks.
"""

from __future__ import annotations

import csv
import hashlib
import io
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePath
from typing import Any

from rating.workorders.messages import ReasonError

EXCEL_1900 = date(1899, 12, 30)  # serial 1 = 1900-01-01 once Excel's leap-year bug is counted
EXCEL_1904 = date(1904, 1, 1)


class ImportFileError(ReasonError):
    """The file as a whole cannot be read (wrong format, no header row, no rows); `reason`
    says why in either language, `str` in English."""


@dataclass
class Sheet:
    sha256: str
    kind: str  # "csv" or "xlsx"
    encoding: str  # text encoding of a CSV; "" for XLSX
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


def _xlsx_rows(raw: bytes) -> tuple[date, Iterator[tuple[int, list[Any]]]]:
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            # openpyxl warns about workbook features it ignores (styles, validations).
            warnings.simplefilter("ignore")
            wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise ImportFileError("bad_xlsx", detail=str(exc)) from None
    if not wb.worksheets:
        wb.close()
        raise ImportFileError("no_worksheets")
    epoch = EXCEL_1904 if wb.epoch.year == 1904 else EXCEL_1900
    ws = wb.worksheets[0]
    # Some exporters write a wrong used range; read the rows that are really there.
    ws.reset_dimensions()

    def rows() -> Iterator[tuple[int, list[Any]]]:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for line, row in enumerate(ws.iter_rows(values_only=True), 1):
                    yield line, list(row)
        finally:
            wb.close()

    return epoch, rows()


def open_sheet(path: Path) -> Sheet:
    """Open an export for reading; rows are produced lazily (XLSX is streamed)."""
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
    if raw.startswith(b"PK\x03\x04"):
        epoch, rows = _xlsx_rows(raw)
        return Sheet(digest, "xlsx", "", epoch, rows)
    if suffix in (".xlsx", ".xlsm"):
        raise ImportFileError("misnamed_xlsx")
    if suffix == ".xls" or raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError("old_xls")
    text, encoding = _decode(raw)
    del raw
    if "\x00" in text:
        raise ImportFileError("binary")
    return Sheet(digest, "csv", encoding, EXCEL_1900, _csv_rows(text))

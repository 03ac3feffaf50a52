"""Reading a table file (CSV in any of the usual encodings, tab- or comma-separated, or
XLSX/XLS/ODS) into rows: the one reader of work-order exports, rosters and service counts.

Rows come out as (line, cells) where `line` is the row number a clerk sees when the file
is open in Excel or WPS: for CSV that is the record number, which is also the text line
unless a cell holds line breaks.

A CSV is never held whole: one pass over its bytes (a piece at a time) hashes it, picks
the encoding and checks that the whole file decodes, then the rows are decoded and parsed
a piece at a time, so memory does not grow with the file. Workbooks are bounded as
rating/spreadsheet.py says.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from itertools import chain
from pathlib import Path, PurePath
from typing import Any, BinaryIO

from rating.reasons import ReasonError
from rating.spreadsheet import (
    EXCEL_1900,
    EXCEL_1904,
    OLE_MAGIC,
    ZIP_MAGIC,
    NoWorksheets,
    SpreadsheetError,
    read_workbook,
    read_workbook_file,
)

__all__ = [
    "CHUNK",
    "EXCEL_1900",
    "EXCEL_1904",
    "ImportFileError",
    "Sheet",
    "open_sheet",
    "read_sheet",
    "scan_text",
]


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


# CSV is read in pieces of this size: memory holds a piece and the row being parsed, never
# the file (a 500,000-row export is about 100 MB of text, several times that as a str).
CHUNK = 1 << 18
_HEAD_CHARS = 8192  # the text the delimiter is guessed from
Source = Path | bytes  # a file, or the bytes of an upload already in memory


def _open(source: Source) -> BinaryIO:
    if isinstance(source, bytes):
        return io.BytesIO(source)
    try:
        return source.open("rb")
    except OSError as exc:
        raise ImportFileError("cannot_read", path=source, detail=exc.strerror) from None


def _chunks(source: Source) -> Iterator[bytes]:
    with _open(source) as fh:
        while chunk := fh.read(CHUNK):
            yield chunk


@dataclass
class _Scan:
    """What one pass over the bytes found with one codec."""

    ok: bool = True
    nul: bool = False
    head: str = ""


def scan_text(source: Source, codec: str, digest: Any = None) -> _Scan:
    """Decode the whole file piece by piece (keeping none of it) to learn whether `codec`
    reads all of it, whether it holds a NUL, and its first characters."""
    decoder = codecs.getincrementaldecoder(codec)()
    found = _Scan()
    pieces = _chunks(source)
    for chunk in chain(pieces, [b""]):
        if digest is not None:
            digest.update(chunk)
        if not found.ok:
            continue  # only hashing on
        try:
            text = decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError:
            found.ok = False
            if digest is None:
                break
            continue
        found.nul = found.nul or "\x00" in text
        if len(found.head) < _HEAD_CHARS:
            found.head += text[: _HEAD_CHARS - len(found.head)]
    return found


def _detect(source: Source, first: bytes) -> tuple[str, str, _Scan, str]:
    """(codec, label, scan, sha256): the encoding as the whole file was once decoded to
    choose it, UTF-16 by its BOM, else UTF-8, else GBK/GB18030; a file is read whole by
    one codec or refused, never half in one and half in another."""
    digest = hashlib.sha256()
    if first.startswith((b"\xff\xfe", b"\xfe\xff")):
        found = scan_text(source, "utf-16", digest)
        if not found.ok:
            raise ImportFileError("not_utf16")
        return "utf-16", "UTF-16", found, digest.hexdigest()
    if first.startswith(b"\xef\xbb\xbf"):
        found = scan_text(source, "utf-8-sig", digest)
        if not found.ok:
            raise ImportFileError("not_utf8_or_gbk")
        return "utf-8-sig", "UTF-8", found, digest.hexdigest()
    found = scan_text(source, "utf-8", digest)
    if found.ok:
        return "utf-8", "UTF-8", found, digest.hexdigest()
    found = scan_text(source, "gb18030")
    if not found.ok:
        raise ImportFileError("not_utf8_or_gbk")
    return "gb18030", "GBK/GB18030", found, digest.hexdigest()


def _csv_rows(source: Source, codec: str, delimiter: str) -> Iterator[tuple[int, list[Any]]]:
    line = 0
    with _open(source) as fh:
        text = io.TextIOWrapper(fh, encoding=codec, newline="")
        reader = csv.reader(text, delimiter=delimiter)
        try:
            for line, row in enumerate(reader, 1):
                yield line, row
        except csv.Error as exc:
            raise ImportFileError("broken_csv", line=line + 1, detail=str(exc)) from None
        finally:
            text.detach()


def _workbook_file(path: Path) -> bytes:
    try:
        return read_workbook_file(path)
    except OSError as exc:
        raise ImportFileError("cannot_read", path=path, detail=exc.strerror) from None
    except SpreadsheetError as exc:
        raise ImportFileError("bad_xlsx", detail=str(exc)) from None


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
    """Open a table file for reading; CSV rows are read from the file lazily, a piece at a
    time, so a CSV of any length needs about the same memory."""
    return _sheet(path, path.name)


def read_sheet(raw: bytes, name: str) -> Sheet:
    """A sheet from the bytes of an export (an upload); `name` is the file's name, whose
    suffix tells a mislabelled workbook from a CSV."""
    return _sheet(raw, name)


def _sheet(source: Source, name: str) -> Sheet:
    with _open(source) as fh:
        first = fh.read(len(ZIP_MAGIC))
    suffix = PurePath(name).suffix.lower()
    if first.startswith((ZIP_MAGIC, OLE_MAGIC)):
        raw = source if isinstance(source, bytes) else _workbook_file(source)
        kind, epoch, rows = _workbook_rows(raw)
        return Sheet(hashlib.sha256(raw).hexdigest(), kind, "", epoch, rows)
    if suffix in (".xlsx", ".xlsm"):
        raise ImportFileError("misnamed_xlsx")
    if suffix in (".xls", ".ods"):
        raise ImportFileError("misnamed_xls", suffix=suffix)
    codec, label, found, digest = _detect(source, first)
    if found.nul:
        raise ImportFileError("binary")
    # Some systems export "CSV" with tabs (Excel's Unicode text is tab-separated).
    delimiter = "\t" if found.head.count("\t") > found.head.count(",") else ","
    return Sheet(digest, "csv", label, EXCEL_1900, _csv_rows(source, codec, delimiter))

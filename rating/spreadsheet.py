"""Reading workbooks (XLSX, XLS, ODS) for the roster and work-order imports.

Values come from python-calamine (Rust), which parses a 60,000-row export about ten times
faster than openpyxl; openpyxl stays for writing only. Before the workbook reaches the
parser, a zip-based file (XLSX, ODS) is checked here, because calamine trusts it:
- every part is inflated once, in bounded memory, and the total must stay under
  `MAX_UNZIPPED` (a zip bomb is refused however its sizes are declared: zipfile stops at
  the declared size and the CRC check fails when the data goes on);
- no XML part may carry a document type declaration: spreadsheet XML never does, and it is
  what the billion-laughs and external-entity attacks need (defusedxml's rule).

Every failure is a `SpreadsheetError` with a one-line message, never a parser's traceback.

Memory: unlike CSV (read a piece at a time), calamine loads the whole first sheet into its
own (Rust) cells before the first row comes out: about the size of the sheet's unzipped
XML. So a workbook is bounded by `MAX_WORKBOOK_BYTES` on disk and `MAX_UNZIPPED` inflated,
and its rows are turned into Python objects one row at a time (`iter_rows`), never all at
once. Exports larger than that belong in CSV, which streams.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

EXCEL_1900 = date(1899, 12, 30)  # serial 1 = 1900-01-01 once Excel's leap-year bug is counted
EXCEL_1904 = date(1904, 1, 1)

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the container of old .xls workbooks

# A city's yearly export (60,000 rows) inflates to about 40 MB of XML.
MAX_UNZIPPED = 512 * 1024 * 1024
# Far above any real export (a 500,000-row XLSX is about 40 MB); the file is held in memory.
MAX_WORKBOOK_BYTES = 128 * 1024 * 1024
_CHUNK = 1 << 20
_DTD = b"<!DOCTYPE"
_DATE1904 = re.compile(rb"<(?:\w+:)?workbookPr\b[^>]*\bdate1904\s*=\s*[\"'](?:1|true)[\"']")


class SpreadsheetError(ValueError):
    """The workbook cannot be read; the message is one line, fit for a clerk."""


class NoWorksheets(SpreadsheetError):
    """The workbook holds chart sheets or nothing, but no worksheet."""


@dataclass
class Workbook:
    kind: str  # "xlsx", "ods" or "xls"
    epoch: date  # day 0 of the bare date serials in this workbook
    rows: Iterator[list[Any]]  # the first sheet from A1, a row at a time; empty cells ""


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _check_zip(raw: bytes) -> tuple[str, date]:
    """Refuse zip bombs and XML with a DTD; return the kind and the date epoch."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise SpreadsheetError(f"not a valid zip container ({_one_line(exc)})") from None
    kind, epoch, total = "xlsx", EXCEL_1900, 0
    with zf:
        names = set(zf.namelist())
        if "mimetype" in names and b"opendocument.spreadsheet" in zf.read("mimetype")[:100]:
            kind = "ods"
        for info in zf.infolist():
            if info.is_dir():
                continue
            total += info.file_size
            if total > MAX_UNZIPPED:
                raise SpreadsheetError(
                    f"the workbook inflates to more than {MAX_UNZIPPED // 2**20} MB (zip bomb?)"
                )
            xml = info.filename.endswith((".xml", ".rels", ".vml"))
            tail = b""
            try:
                with zf.open(info) as part:
                    while chunk := part.read(_CHUNK):
                        if xml and _DTD in tail + chunk:
                            raise SpreadsheetError(
                                f"{info.filename} declares a DTD (entities are not allowed "
                                "in spreadsheet XML)"
                            )
                        first = not tail and info.filename == "xl/workbook.xml"
                        if first and _DATE1904.search(chunk[:65536]):
                            epoch = EXCEL_1904
                        tail = chunk[-len(_DTD) :]
            except SpreadsheetError:
                raise
            except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError) as exc:
                # A CRC error here is also how a part inflating past its declared size ends.
                raise SpreadsheetError(f"{info.filename}: {_one_line(exc)}") from None
            except Exception as exc:  # zlib.error and the like
                raise SpreadsheetError(f"{info.filename}: {_one_line(exc)}") from None
    return kind, epoch


def read_workbook_file(path: Path) -> bytes:
    """The bytes of a workbook file, refused past MAX_WORKBOOK_BYTES (OSError passes)."""
    with path.open("rb") as fh:
        raw = fh.read(MAX_WORKBOOK_BYTES + 1)
    if len(raw) > MAX_WORKBOOK_BYTES:
        raise SpreadsheetError(
            f"the workbook is larger than {MAX_WORKBOOK_BYTES // 2**20} MB: save it as CSV"
        )
    return raw


def _from_a1(sheet: Any) -> Iterator[list[Any]]:
    """The sheet's rows as `to_python(skip_empty_area=False)` gives them (padded to A1),
    but made one row at a time."""
    # iter_rows already starts at row 1, but at the sheet's first used column.
    left = sheet.start[1] if sheet.start else 0
    pad = [""] * left
    for row in sheet.iter_rows():
        yield pad + row if left else row


def read_workbook(raw: bytes) -> Workbook:
    """The first worksheet of an XLSX, XLS or ODS file, as rows from A1."""
    from python_calamine import CalamineWorkbook, SheetTypeEnum

    if raw.startswith(ZIP_MAGIC):
        kind, epoch = _check_zip(raw)
    elif raw.startswith(OLE_MAGIC):
        kind, epoch = "xls", EXCEL_1900
    else:
        raise SpreadsheetError("not an XLSX, XLS or ODS workbook")
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(raw))
        try:
            index = next(
                (i for i, m in enumerate(wb.sheets_metadata) if m.typ == SheetTypeEnum.WorkSheet),
                None,
            )
            if index is None:
                raise NoWorksheets("the workbook has no worksheets")
            sheet = wb.get_sheet_by_index(index)
            # From A1, so that row numbers are the ones the clerk sees in Excel.
            rows = _from_a1(sheet)
        finally:
            wb.close()
    except SpreadsheetError:
        raise
    except Exception as exc:  # CalamineError, XmlError, ZipError, PasswordError, ...
        raise SpreadsheetError(_one_line(exc)) from None
    except BaseException as exc:
        # A Rust panic arrives as pyo3's PanicException, a BaseException.
        if type(exc).__name__ != "PanicException":
            raise
        raise SpreadsheetError(f"the workbook is malformed ({_one_line(exc)})") from None
    return Workbook(kind, epoch, rows)

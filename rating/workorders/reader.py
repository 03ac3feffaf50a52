"""The work-order importer's file reader is the shared one (rating/tabular.py); this
module keeps the names the importer's modules import from it."""

from __future__ import annotations

from rating.tabular import (
    CHUNK,
    EXCEL_1900,
    EXCEL_1904,
    ImportFileError,
    Sheet,
    open_sheet,
    read_sheet,
    scan_text,
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

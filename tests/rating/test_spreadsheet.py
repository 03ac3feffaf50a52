"""Reading workbooks with calamine: the same values openpyxl read, the same line and column
in every error, and the XML and zip attacks refused before the parser sees them."""

from __future__ import annotations

import io
import struct
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook as OpenpyxlWorkbook
from openpyxl import load_workbook

from rating import spreadsheet
from rating.crypto import Keys
from rating.roster import RosterFileError, read_roster
from rating.spreadsheet import EXCEL_1900, EXCEL_1904, SpreadsheetError, read_workbook
from rating.tabular import ImportFileError
from rating.workorders.parse import parse_file
from rating.workorders.profiles import load_profile
from tests.workorders.conftest import order, write_csv, write_xlsx

KEYS = Keys("spreadsheet-test-secret")


def xlsx_bytes(cells: dict[str, Any], *, date1904: bool = False) -> bytes:
    wb = OpenpyxlWorkbook()
    ws = wb.active
    assert ws is not None
    for ref, value in cells.items():
        ws[ref] = value
    if date1904:
        wb.epoch = datetime(1904, 1, 1)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def replace_part(raw: bytes, name: str, data: bytes) -> bytes:
    """The same zip with one part's content replaced (or added)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info, data if info.filename == name else zin.read(info))
        if name not in zin.namelist():
            zout.writestr(name, data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def test_values_match_what_openpyxl_read() -> None:
    cells = {
        "C3": 123,
        "D3": 1.5,
        "E3": datetime(2026, 1, 2, 3, 4, 5),
        "F3": "胜利路派出所",
        "G3": True,
        "C4": datetime(2026, 1, 2),
        "D4": 46329.5868,
        "C6": 12345678901234567,
    }
    raw = xlsx_bytes(cells)
    ours = list(read_workbook(raw).rows)
    ws = load_workbook(io.BytesIO(raw), read_only=True, data_only=True).worksheets[0]
    theirs = [list(r) for r in ws.iter_rows(values_only=True)]
    assert len(ours) == len(theirs) == 6  # from row 1, as the clerk counts lines
    for mine, other in zip(ours, theirs, strict=True):
        for a, b in zip(mine, other, strict=True):
            if b is None:
                assert a == ""
            elif isinstance(b, datetime) and not isinstance(a, datetime):
                assert a == b.date() and b.time() == datetime.min.time()  # a date cell
            else:
                assert a == b and type(a) in (type(b), float)


def test_the_1904_date_system_is_recognised() -> None:
    assert read_workbook(xlsx_bytes({"A1": 1})).epoch == EXCEL_1900
    assert read_workbook(xlsx_bytes({"A1": 1}, date1904=True)).epoch == EXCEL_1904


def test_work_orders_from_xlsx_and_csv_give_the_same_rows_and_errors(tmp_path: Path) -> None:
    good = [order("GD1", 来电时间="2026-11-03 09:15:00"), order("GD2", 满意度="满意")]
    bad = [order("GD3", 来电时间="2026-02-30"), order("GD4", 办理时限="明天", 满意度="还行吧")]
    rows = good + bad
    profile = load_profile("12345")
    from_csv = parse_file(write_csv(tmp_path / "a.csv", rows), profile, KEYS)
    from_xlsx = parse_file(write_xlsx(tmp_path / "a.xlsx", rows), profile, KEYS)
    assert from_xlsx.kind == "xlsx" and from_csv.kind == "csv"
    assert [r.line for r in from_xlsx.rows] == [r.line for r in from_csv.rows]
    enc = from_csv.db_columns.index("phone_enc")  # encrypted with a random nonce

    def values(parsed: Any) -> list[tuple[Any, ...]]:
        return [r.values[:enc] + r.values[enc + 1 :] for r in parsed.rows]

    assert values(from_xlsx) == values(from_csv)
    assert len(from_xlsx.errors) == len(from_csv.errors) >= 2
    for x, c in zip(from_xlsx.errors, from_csv.errors, strict=True):
        assert (x.line, x.column, x.reason.code) == (c.line, c.column, c.reason.code)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">
<si><t>&lol9;</t></si></sst>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row></sheetData></worksheet>"""


@pytest.mark.parametrize(
    ("part", "xml"),
    [("xl/sharedStrings.xml", BILLION_LAUGHS), ("xl/worksheets/sheet1.xml", EXTERNAL_ENTITY)],
    ids=["billion-laughs", "external-entity"],
)
def test_xml_entity_attacks_are_refused(tmp_path: Path, part: str, xml: bytes) -> None:
    raw = replace_part(xlsx_bytes({"A1": "警号", "B1": "x"}), part, xml)
    with pytest.raises(SpreadsheetError, match="declares a DTD"):
        read_workbook(raw)
    path = tmp_path / "attack.xlsx"
    path.write_bytes(raw)
    with pytest.raises(ImportFileError, match="declares a DTD"):
        parse_file(path, load_profile("12345"), KEYS)
    with pytest.raises(RosterFileError, match="declares a DTD"):
        read_roster(path)


def test_a_zip_bomb_is_refused_by_its_inflated_size(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spreadsheet, "MAX_UNZIPPED", 4 * 2**20)
    big = b"<x>" + b" " * (8 * 2**20) + b"</x>"  # compresses about a thousandfold
    raw = replace_part(xlsx_bytes({"A1": 1}), "xl/styles.xml", big)
    assert len(raw) < 100_000
    with pytest.raises(SpreadsheetError, match="inflates to more than 4 MB"):
        read_workbook(raw)


def _lie_about_size(raw: bytes, name: str, size: int) -> bytes:
    """Declare `size` as the uncompressed size of `name`, in both of the zip's headers."""
    data = bytearray(raw)
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        info = z.getinfo(name)
    struct.pack_into("<I", data, info.header_offset + 22, size)  # local header
    pos = data.find(b"PK\x01\x02")
    while pos != -1:
        (name_len,) = struct.unpack_from("<H", data, pos + 28)
        if bytes(data[pos + 46 : pos + 46 + name_len]) == name.encode():
            struct.pack_into("<I", data, pos + 24, size)
            break
        pos = data.find(b"PK\x01\x02", pos + 4)
    assert pos != -1
    return bytes(data)


def test_a_zip_bomb_that_understates_its_size_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spreadsheet, "MAX_UNZIPPED", 4 * 2**20)
    big = b"<x>" + b" " * (8 * 2**20) + b"</x>"
    raw = _lie_about_size(
        replace_part(xlsx_bytes({"A1": 1}), "xl/styles.xml", big), "xl/styles.xml", 1000
    )
    with pytest.raises(SpreadsheetError, match="xl/styles.xml"):
        read_workbook(raw)


def test_broken_sheet_xml_is_one_clear_error(tmp_path: Path) -> None:
    raw = xlsx_bytes({"A1": "警号", "B1": "姓名"})
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    raw = replace_part(raw, "xl/worksheets/sheet1.xml", sheet[: len(sheet) // 2])
    with pytest.raises(SpreadsheetError) as info:
        read_workbook(raw)
    assert isinstance(info.value, ValueError) and "\n" not in str(info.value)
    path = tmp_path / "broken.xlsx"
    path.write_bytes(raw)
    with pytest.raises(ImportFileError, match="cannot open the XLSX workbook"):
        parse_file(path, load_profile("12345"), KEYS)
    with pytest.raises(RosterFileError, match="cannot open the XLSX workbook"):
        read_roster(path)


ODS_CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">
<office:body><office:spreadsheet><table:table table:name="名册">
{rows}
</table:table></office:spreadsheet></office:body></office:document-content>"""

MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
 manifest:version="1.2">
<manifest:file-entry manifest:full-path="/"
 manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>"""


def ods_bytes(rows: list[list[str | int]]) -> bytes:
    def cell(v: str | int) -> str:
        if isinstance(v, int):
            return f'<table:table-cell office:value-type="float" office:value="{v}"/>'
        return (
            f'<table:table-cell office:value-type="string"><text:p>{v}</text:p></table:table-cell>'
        )

    body = "\n".join(
        "<table:table-row>" + "".join(cell(v) for v in r) + "</table:table-row>" for r in rows
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        z.writestr("META-INF/manifest.xml", MANIFEST)
        z.writestr("content.xml", ODS_CONTENT.format(rows=body))
    return out.getvalue()


def test_an_ods_roster_is_read(tmp_path: Path) -> None:
    path = tmp_path / "roster.ods"
    path.write_bytes(
        ods_bytes(
            [
                ["警号", "姓名", "单位", "类别"],
                [100001, "张三", "某市公安局/某分局/某派出所", "民警"],
                ["", "李四", "某市公安局/某分局", "辅警"],
            ]
        )
    )
    assert read_workbook(path.read_bytes()).kind == "ods"
    roster = read_roster(path)
    assert [(r.line, r.badge_no, r.kind) for r in roster.rows] == [(2, "100001", "police")]
    assert roster.errors == [(3, "badge number (警号) is empty")]


def test_a_date_cell_reads_as_a_date() -> None:
    rows = list(read_workbook(xlsx_bytes({"A1": date(2026, 11, 3)})).rows)
    assert rows == [[date(2026, 11, 3)]]

"""Reading exports: dates, header detection, whole-file mistakes (no database needed)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from rating.crypto import Keys
from rating.workorders.convert import BadValue, time_ms
from rating.workorders.parse import column_letter, parse_file
from rating.workorders.profiles import load_profile
from rating.workorders.reader import EXCEL_1900, EXCEL_1904, ImportFileError
from tests.workorders.conftest import ms, order, write_csv

KEYS = Keys("test-secret-not-for-production")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2026年11月3日 14:05", ms(2026, 11, 3, 14, 5)),
        ("2026年11月3日14时05分30秒", ms(2026, 11, 3, 14, 5, 30)),
        ("2026/11/3 14:05:00", ms(2026, 11, 3, 14, 5)),
        ("2026/11/3 下午 2:05:00", ms(2026, 11, 3, 14, 5)),
        ("2026-11-03 14:05", ms(2026, 11, 3, 14, 5)),
        ("2026-11-03 14:05:00.000", ms(2026, 11, 3, 14, 5)),
        ("2026-11-03", ms(2026, 11, 3)),
        ("2026.11.03", ms(2026, 11, 3)),
        ("20261103", ms(2026, 11, 3)),
        ("20261103140500", ms(2026, 11, 3, 14, 5)),
        ("2026-11-03T06:05:00Z", ms(2026, 11, 3, 14, 5)),
        ("46329.586805555555", ms(2026, 11, 3, 14, 5)),  # an Excel serial saved as text
        (46329.586805555555, ms(2026, 11, 3, 14, 5)),
        (46329, ms(2026, 11, 3)),
        (datetime(2026, 11, 3, 14, 4, 59, 999_600), ms(2026, 11, 3, 14, 5)),  # float noise
        (datetime(2026, 12, 31, 23, 59, 59, 500_000), ms(2027, 1, 1)),  # rounds up a year
        (datetime(2026, 11, 3, 14, 5, 0, 499_999), ms(2026, 11, 3, 14, 5)),
        (datetime(2026, 11, 3, 14, 5, 7), ms(2026, 11, 3, 14, 5, 7)),
        ("  ", None),
        (None, None),
    ],
)
def test_dates_are_read_as_asia_shanghai(cell: object, expected: int | None) -> None:
    assert time_ms(cell, EXCEL_1900) == expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (datetime(2026, 11, 10), ms(2026, 11, 11) - 1),  # a date: the day's last moment
        (datetime(2026, 11, 9, 23, 59, 59, 600_000), ms(2026, 11, 11) - 1),  # rounds to one
        (datetime(2026, 11, 10, 0, 0, 1), ms(2026, 11, 10, 0, 0, 1)),  # a time: as it is
    ],
)
def test_a_due_date_cell_without_a_time_means_the_end_of_that_day(
    cell: datetime, expected: int
) -> None:
    assert time_ms(cell, EXCEL_1900, end_of_day=True) == expected


def test_1904_workbooks_count_serials_from_1904() -> None:
    assert time_ms(44867, EXCEL_1904) == ms(2026, 11, 3)


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("2026-02-30", "bad date '2026-02-30': 2026-02-30 is not a calendar date"),
        ("2026-11-03 24:10", "bad date '2026-11-03 24:10': 24:10:00 is not a time of day"),
        ("1999-12-31", "bad date '1999-12-31': year 1999 is outside 2000-2099"),
        ("下周三", "bad date '下周三': expected e.g. 2026-11-03 14:05"),
        ("5个工作日", "bad date '5个工作日': expected e.g."),
        (123.5, "Excel date serial 123.5 is in year 1900, outside 2000-2099"),
    ],
)
def test_bad_dates_say_why(cell: object, reason: str) -> None:
    with pytest.raises(BadValue) as info:
        time_ms(cell, EXCEL_1900)
    assert str(info.value).startswith(reason)


def test_column_letters_follow_excel() -> None:
    assert [column_letter(i) for i in (0, 25, 26, 51, 52, 701, 702)] == [
        "A",
        "Z",
        "AA",
        "AZ",
        "BA",
        "ZZ",
        "AAA",
    ]


def test_header_is_found_below_several_title_rows_with_spaced_names(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "12345热线工单\n导出时间：2026-11-23,,\n\n"
        '序号, 工单编号 ,"来电\n时间（北京时间）",*来电时间\n'
        "1,GD1,,2026-11-03 14:05\n,,,\n",
        encoding="utf-8",
    )
    parsed = parse_file(path, load_profile("12345"), KEYS)
    assert parsed.header_line == 4
    assert parsed.columns == {"order_no": "工单编号", "received_at": "*来电时间"}
    assert parsed.ignored == ["序号", "来电\n时间（北京时间）"]
    assert [(r.line, r.values) for r in parsed.rows] == [(5, ("GD1", ms(2026, 11, 3, 14, 5)))]


def test_a_cell_with_line_breaks_keeps_excel_row_numbers(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "t.csv",
        [order("A", 诉求内容="第一行\n第二行\n第三行"), order("B", 来电时间="昨天")],
    )
    parsed = parse_file(path, load_profile("12345"), KEYS)
    assert parsed.rows[0].values[parsed.db_columns.index("content")] == "第一行\n第二行\n第三行"
    assert [str(e) for e in parsed.errors] == [
        "line 4, column B 来电时间: bad date '昨天': expected e.g. 2026-11-03 14:05, "
        "2026/11/3 14:05:00 or 2026年11月3日 14:05"
    ]


def test_excel_rounded_order_numbers_are_refused(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", [order("2.02611E+16"), order("GD2")])
    parsed = parse_file(path, load_profile("12345"), KEYS)
    assert [str(e) for e in parsed.errors] == [
        "line 3, column A 工单编号: order number '2.02611E+16' is in scientific notation "
        "(Excel rounded it); format the column as text and export again"
    ]
    assert [r.values[0] for r in parsed.rows] == ["GD2"]


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (
            "标题\n序号,内容\n1,abc\n".encode(),
            "t.csv",
            "no header row found in the first 20 lines: profile 12345 needs columns "
            "工单编号/工单号/受理编号 and 来电时间/受理时间/登记时间",
        ),
        (
            "工单编号,承办单位,满意度\nGD1,胜利路派出所,满意\n".encode("gbk"),
            "t.csv",
            "line 1 looks like the header but has no column for received_at "
            "(来电时间/受理时间/登记时间); check the channel/profile (12345) or copy and edit "
            "the profile",
        ),
        (
            "工单编号,来电时间\n\n\n".encode(),
            "t.csv",
            "the file has a header (line 1) but no work orders",
        ),
        (b"PK\x03\x04garbage", "t.xlsx", "cannot open the XLSX workbook"),
        (b"\xd0\xcf\x11\xe0old", "t.xls", "cannot open the XLS workbook"),
        (b"<html><table></table></html>", "t.xls", "the file is named .xls but is not a workbook"),
        (b"\x00\x01\x02", "t.csv", "this is not a CSV text file (binary content)"),
    ],
)
def test_unusable_files_get_one_clear_reason(
    tmp_path: Path, content: bytes, name: str, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImportFileError) as info:
        parse_file(path, load_profile("12345"), KEYS)
    assert str(info.value).startswith(message)


def test_utf16_tab_separated_export_is_read(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text("工单编号\t来电时间\t承办单位\nGD1\t2026/11/3 14:05\t胜利路派出所\n", "utf-16")
    parsed = parse_file(path, load_profile("12345"), KEYS)
    assert parsed.encoding == "UTF-16"
    assert [r.values for r in parsed.rows] == [("GD1", ms(2026, 11, 3, 14, 5), "胜利路派出所")]


def test_a_declined_callback_is_declined_as_in_cases(tmp_path: Path) -> None:
    # 拒绝回访 is `declined`, the cases' word; a file or profile still saying the old code
    # `refused` means the same.
    path = write_csv(
        tmp_path / "t.csv",
        [
            order("A", 回访结果="拒绝回访"),
            order("B", 回访结果="拒访"),
            order("C", 回访结果="refused"),
        ],
    )
    parsed = parse_file(path, load_profile("12345"), KEYS)
    assert parsed.errors == []
    at = parsed.db_columns.index("callback_outcome")
    assert [r.values[at] for r in parsed.rows] == ["declined"] * 3

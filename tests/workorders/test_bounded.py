"""A large export does not need memory in proportion to its size: the CSV is read a piece
at a time, and a file of bad rows keeps a count and the first errors, not all of them."""

from __future__ import annotations

import csv
import io
import tracemalloc
from pathlib import Path

import pytest

from rating.crypto import Keys
from rating.workorders import parse, reader
from rating.workorders.parse import KEEP_ERRORS, parse_file, rejects_csv, write_rejects
from rating.workorders.profiles import load_profile
from rating.workorders.reader import ImportFileError, open_sheet
from tests.workorders.conftest import order, write_csv

KEYS = Keys("bounded-test-secret")


def export(path: Path, n: int, encoding: str) -> Path:
    rows = [
        order(f"GD{i:08d}", 诉求内容="窗口排队时间长，工作人员解释不耐心" * 3) for i in range(n)
    ]
    return write_csv(path, rows, encoding=encoding)


def reading_peak(path: Path) -> tuple[int, int]:
    """(rows read, peak bytes allocated while reading every row of `path`)."""
    tracemalloc.start()
    try:
        sheet = open_sheet(path)
        count = sum(1 for _ in sheet.rows)
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("encoding", ["utf-8", "gbk", "utf-16"])
def test_reading_a_csv_needs_the_same_memory_for_four_times_the_rows(
    tmp_path: Path, encoding: str
) -> None:
    small = export(tmp_path / "small.csv", 5_000, encoding)
    large = export(tmp_path / "large.csv", 20_000, encoding)
    assert large.stat().st_size > 3.9 * small.stat().st_size > 4_000_000
    small_rows, small_peak = reading_peak(small)
    large_rows, large_peak = reading_peak(large)
    assert (small_rows, large_rows) == (5_000 + 4, 20_000 + 4)  # title, header, 2 blank
    # Reading the file whole would cost at least its size (and its text more than that);
    # a piece at a time, the peak (about 1.5 MB) does not move with four times the rows.
    assert large_peak < large.stat().st_size / 2
    assert large_peak < 1.2 * small_peak + 200_000


def bad_export(path: Path, n: int) -> Path:
    """`n` rows, every one bad: odd rows once (no received time), even rows twice (and an
    unknown kind of request)."""
    rows = [
        order(f"GD{i:08d}", 来电时间="", 诉求类型="闲聊" if i % 2 == 0 else "投诉")
        for i in range(n)
    ]
    return write_csv(path, rows)


def test_a_file_of_bad_rows_keeps_a_count_and_the_first_errors_only(tmp_path: Path) -> None:
    n = KEEP_ERRORS + 700
    parsed = parse_file(bad_export(tmp_path / "bad.csv", n), load_profile("12345"), KEYS)
    try:
        assert parsed.data_rows == n and not parsed.rows
        assert parsed.bad_lines == n
        assert parsed.error_count == n + (n + 1) // 2  # one per row, two on every even one
        assert len(parsed.errors) == KEEP_ERRORS
        # The first ones, in file order (title on line 1, header on line 2).
        assert [e.line for e in parsed.errors[:3]] == [3, 3, 4]
        assert str(parsed.errors[0]) == "line 3, column B 来电时间: received time is empty"
        # Every bad row is in the rejects CSV, with all its reasons, however many were kept.
        table = list(csv.reader(io.StringIO(rejects_csv(parsed))))
        assert table[0][:3] == ["行号 line", "原因 reason", "工单编号"]
        assert [int(r[0]) for r in table[1:]] == list(range(3, n + 3))
        assert table[-1][2] == f"GD{n - 1:08d}"
        # The last even row: both of its reasons, left to right.
        assert table[-2][1].startswith(
            "B 来电时间: received time is empty; C 诉求类型: unknown value '闲聊'"
        )
        write_rejects(parsed, tmp_path / "bad.rejected.csv")
        on_disk = (tmp_path / "bad.rejected.csv").read_text(encoding="utf-8-sig")
        assert list(csv.reader(io.StringIO(on_disk))) == table
    finally:
        parsed.close()


def test_the_error_objects_kept_do_not_grow_with_the_bad_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parse, "KEEP_ERRORS", 50)
    peaks = []
    for n in (2_000, 8_000):
        path = bad_export(tmp_path / f"bad{n}.csv", n)
        tracemalloc.start()
        try:
            parsed = parse_file(path, load_profile("12345"), KEYS, rows_to=lambda row: None)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
        assert (len(parsed.errors), parsed.bad_lines) == (50, n)
        parsed.close()
    # What still grows is the index of order numbers that finds repeats (~100 B a row),
    # not the rows themselves (~2 KB each as cells and error objects).
    assert peaks[1] - peaks[0] < 6_000 * 400


def test_the_encoding_is_chosen_on_the_whole_file_not_its_first_piece(tmp_path: Path) -> None:
    # ASCII for well past the first piece read, then one GBK row: the file is GBK, and
    # that last row reads as the clerk typed it.
    plain = b"order,received\r\n" + b"GD1,2026-11-03\r\n" * (3 * reader.CHUNK // 16)
    path = tmp_path / "late.csv"
    path.write_bytes(plain + "胜利路,派出所\r\n".encode("gbk"))
    sheet = open_sheet(path)
    assert sheet.encoding == "GBK/GB18030"
    *_, (line, last) = sheet.rows
    assert (line, last) == (3 * reader.CHUNK // 16 + 2, ["胜利路", "派出所"])
    # A byte that neither UTF-8 nor GB18030 reads, past the first piece: refused whole.
    path.write_bytes(plain + b"\xff\xff\r\n")
    with pytest.raises(ImportFileError) as caught:
        open_sheet(path)
    assert caught.value.reason.code == "not_utf8_or_gbk"

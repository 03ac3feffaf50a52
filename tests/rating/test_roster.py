"""Roster files (CSV in every encoding a clerk produces, XLSX) and the `pingjing officers`
commands that import them, list officers with their rating URLs and reissue badges."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import re
import zipfile
from collections.abc import AsyncGenerator, AsyncIterator
from pathlib import Path
from typing import Any, cast

import pytest
from openpyxl import Workbook

from rating import tabular
from rating.cli import main
from rating.roster import RosterFileError, read_roster
from rating.settings import SETTINGS
from rating.store.logic import unit_code_for_path
from tests.conftest import Web, make_settings, open_web

EAST = "张家口市公安局/桥东分局/胜利路派出所"
WEST = "张家口市公安局/桥西分局/新华街派出所"
HEADER_ZH = ["警号", "姓名", "单位", "类别"]
GOOD = [
    ["100001", "张伟", EAST, "民警"],
    ["100002", "李娜", EAST, "辅警"],
    ["100003", "王强", WEST, "民警"],
]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI reads PINGJING_* from the environment: start every test from none."""
    for s in SETTINGS:
        monkeypatch.delenv(f"PINGJING_{s.name.upper()}", raising=False)
    monkeypatch.setenv("PINGJING_SQLITE_SYNCHRONOUS", "NORMAL")  # fast, same behaviour


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "pingjing.db"


def write_csv(
    path: Path, rows: list[list[Any]], encoding: str = "utf-8", header: list[str] = HEADER_ZH
) -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows([header, *rows])  # as Excel saves it
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, rows: list[list[Any]], title: bool = True) -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "民警名册"
    if title:  # the usual merged title and a note row above the header
        ws.append(["张家口市公安局民警名册"])
        ws.merge_cells("A1:D1")
        ws.append(["制表：政治处", None, None, "2026年11月"])
    ws.append(HEADER_ZH)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def run(capsys: pytest.CaptureFixture[str], db: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--database", str(db), *args])
    out, err = capsys.readouterr()
    return code, out, err


def listing(capsys: pytest.CaptureFixture[str], db: Path, *extra: str) -> list[dict[str, str]]:
    code, out, _ = run(capsys, db, "officers", "list", "--format", "csv", *extra)
    assert code == 0
    return list(csv.DictReader(io.StringIO(out)))


@contextlib.asynccontextmanager
async def web_on(db: Path) -> AsyncIterator[Web]:
    agen = cast(
        "AsyncGenerator[Web, None]", open_web(make_settings(db.parent, database=str(db), secret=""))
    )
    try:
        yield await anext(agen)
    finally:
        await agen.aclose()


# ------------------------------------------------------------------ reading files


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_every_encoding(tmp_path: Path, encoding: str) -> None:
    rows = [r[:] for r in GOOD]
    if encoding == "gb18030":
        rows[2][1] = "刘䶮"  # a name GBK cannot spell
    parsed = read_roster(write_csv(tmp_path / "roster.csv", rows, encoding))
    assert parsed.errors == []
    assert [(r.line, r.badge_no, r.name, r.unit, r.kind) for r in parsed.rows] == [
        (2, "100001", "张伟", EAST, "police"),
        (3, "100002", "李娜", EAST, "auxiliary"),
        (4, "100003", rows[2][1], WEST, "police"),
    ]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "gbk"])
def test_tab_separated_and_utf16_rosters_are_read_as_work_orders_are(
    tmp_path: Path, encoding: str
) -> None:
    # Excel's "Unicode text" is UTF-16 with a BOM, tab-separated; some systems export GBK
    # with tabs. The work-order importer reads both; so does the roster.
    text = "\r\n".join("\t".join(row) for row in [HEADER_ZH, *GOOD]) + "\r\n"
    bom = {"utf-16-be": b"\xfe\xff"}.get(encoding, b"")
    path = tmp_path / "roster.txt"
    path.write_bytes(bom + text.encode(encoding))
    parsed = read_roster(path)
    assert parsed.errors == []
    assert [(r.line, r.badge_no, r.name, r.unit, r.kind) for r in parsed.rows] == [
        (2, "100001", "张伟", EAST, "police"),
        (3, "100002", "李娜", EAST, "auxiliary"),
        (4, "100003", "王强", WEST, "police"),
    ]


def test_a_broken_utf16_roster_is_refused_in_both_languages(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes(b"\xff\xfe" + "警号,姓名".encode("utf-16-le") + b"\x00\xd8")  # lone surrogate
    with pytest.raises(RosterFileError, match="cannot decode the file as UTF-16") as info:
        read_roster(path)
    assert info.value.reason.text("zh") == "无法按 UTF-16 文本解码该文件"


def test_a_long_csv_is_gbk_when_its_first_gbk_byte_comes_late(tmp_path: Path) -> None:
    # Read a piece at a time, yet the encoding is the whole file's: ASCII rows for well
    # past the first piece, then a GBK name.
    rows = [[f"2{i:05d}", "Zhang", EAST.split("/")[0], "police"] for i in range(20_000)]
    path = tmp_path / "late.csv"
    with path.open("w", encoding="gbk", newline="") as fh:
        csv.writer(fh).writerows([["badge_no", "name", "unit", "kind"], *rows])
        csv.writer(fh).writerow(["100001", "张伟", EAST, "民警"])
    assert path.stat().st_size > 2 * tabular.CHUNK
    roster = read_roster(path)
    assert not roster.errors
    assert len(roster.rows) == 20_001
    assert (roster.rows[-1].line, roster.rows[-1].name) == (20_002, "张伟")


def test_english_headers_other_order_and_extra_columns(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "roster.csv",
        [
            ["1", "Police", "Zhang Wei", "100001", EAST, "x"],
            ["2", "auxiliary", "Li Na", "A2002", EAST, ""],
        ],
        header=["No.", "Kind", "Name", "Badge_No", "Unit", "Remarks"],
    )
    parsed = read_roster(path)
    assert parsed.errors == []
    assert [(r.badge_no, r.name, r.kind) for r in parsed.rows] == [
        ("100001", "Zhang Wei", "police"),
        ("A2002", "Li Na", "auxiliary"),
    ]


def test_csv_with_a_title_line_above_the_header(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes(
        (
            "张家口市公安局民警名册,,,\r\n"
            + ",".join(HEADER_ZH)
            + "\r\n"
            + ",".join(GOOD[0])
            + "\r\n"
        ).encode("gbk")
    )
    parsed = read_roster(path)
    assert [(r.line, r.badge_no) for r in parsed.rows] == [(3, "100001")]


def test_xlsx_with_title_rows_and_numeric_badges(tmp_path: Path) -> None:
    rows: list[list[Any]] = [
        [100001, "张伟", EAST, "民警"],  # typed as a number in Excel
        [100002.0, "李娜", EAST, "辅警"],  # a number Excel stored as a float
        [None, None, None, None],  # an empty row the clerk left in
        ["100003", " 王强 ", WEST, "民警"],
    ]
    parsed = read_roster(write_xlsx(tmp_path / "roster.xlsx", rows))
    assert parsed.errors == []
    # Line numbers are Excel's row numbers: two title rows, the header on row 3.
    assert [(r.line, r.badge_no, r.name) for r in parsed.rows] == [
        (4, "100001", "张伟"),
        (5, "100002", "李娜"),
        (7, "100003", "王强"),
    ]


def test_xlsx_with_a_wrong_size_record_is_read_to_the_end(tmp_path: Path) -> None:
    # Some exporters write <dimension ref="A1"/>; trusting it would drop every row.
    good = write_xlsx(tmp_path / "good.xlsx", [list(r) for r in GOOD])
    bad = tmp_path / "roster.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]+"\s*/>', b'<dimension ref="A1"/>', data)
            dst.writestr(item, data)
    assert [r.badge_no for r in read_roster(bad).rows] == ["100001", "100002", "100003"]


def test_xlsx_saved_under_a_csv_name_is_still_read(tmp_path: Path) -> None:
    xlsx = write_xlsx(tmp_path / "roster.xlsx", [list(r) for r in GOOD])
    renamed = tmp_path / "roster.csv"
    renamed.write_bytes(xlsx.read_bytes())
    assert len(read_roster(renamed).rows) == 3


def test_full_width_badge_digits_are_the_same_badge(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "roster.csv",
        [["１０００１０", "张伟", EAST, "民警"], ["100010", "张伟", EAST, "民警"]],
    )
    parsed = read_roster(path)
    assert [r.badge_no for r in parsed.rows] == ["100010"]
    assert parsed.errors == [(3, "badge number 100010 already on line 2")]


def test_full_width_slashes_in_a_unit_path(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "roster.csv", [["100001", "张伟", EAST.replace("/", "／"), "民警"]])
    assert [r.unit for r in read_roster(path).rows] == [EAST]


def test_bad_rows_are_reported_with_line_numbers(tmp_path: Path) -> None:
    rows = [
        GOOD[0],
        ["", "无警号", EAST, "民警"],
        ["100004", "", EAST, "民警"],
        ["100005", "赵六", "", "民警"],
        ["100006", "钱七", EAST, "协警"],
        ["10-007", "孙八", EAST, "民警"],
        ["100001", "张伟二", EAST, "民警"],
        GOOD[1],
    ]
    parsed = read_roster(write_csv(tmp_path / "roster.csv", rows))
    assert [r.line for r in parsed.rows] == [2, 9]
    errors = dict(parsed.errors)
    assert sorted(errors) == [3, 4, 5, 6, 7, 8]
    assert "badge number (警号) is empty" in errors[3]
    assert "name (姓名) is empty" in errors[4]
    assert "unit (单位) is empty" in errors[5]
    assert "'协警'" in errors[6] and "民警/police or 辅警/auxiliary" in errors[6]
    assert "'10-007'" in errors[7]
    assert errors[8] == "badge number 100001 already on line 2"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("junk.csv", bytes(range(256)) * 4, "cannot decode the file as UTF-8 or GBK/GB18030"),
        ("nul.csv", b"\x00\x01\x02binary\x00" * 50, "not a CSV text file"),
        ("empty.csv", b"", "no header row found"),
        ("fake.xlsx", "警号,姓名,单位,类别\n".encode(), "is not an Excel workbook"),
        ("zip.xlsx", b"PK\x03\x04" + b"\x00" * 100, "cannot open the XLSX workbook"),
        (
            "bad.xls",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,
            "cannot open the XLS workbook",
        ),
        ("page.xls", b"<html><table><tr><td>1</td></tr></table></html>", "is not a workbook"),
        ("headless.csv", b"a,b,c\n1,2,3\n", "no header row found"),
        ("header-only.csv", "警号,姓名,单位,类别\r\n".encode(), "no officer rows"),
    ],
)
def test_broken_files_raise_one_clear_error(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(RosterFileError, match=re.escape(message)):
        read_roster(path)


def test_a_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "roster.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "not a workbook")
    with pytest.raises(RosterFileError, match="cannot open the XLSX workbook"):
        read_roster(path)


# ------------------------------------------------------------------ pingjing officers import


def test_import_then_list_with_rating_urls(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_csv(tmp_path / "roster.csv", GOOD, "gbk")
    code, out, err = run(capsys, db, "officers", "import", str(path))
    assert code == 0, err
    assert "imported: 3 new, 0 updated, 0 unchanged, 0 skipped; 5 new units" in out
    monkeypatch.setenv("PINGJING_PUBLIC_BASE_URL", "https://pj.example.cn/")
    officers = listing(capsys, db)
    assert [(o["badge_no"], o["name"], o["kind"], o["unit"]) for o in officers] == [
        ("100001", "张伟", "police", EAST),
        ("100002", "李娜", "auxiliary", EAST),
        ("100003", "王强", "police", WEST),
    ]
    for o in officers:
        assert re.fullmatch(r"https://pj\.example\.cn/r/[0-9A-HJKMNP-TV-Z]{12}", o["url"]), o
    assert len({o["url"] for o in officers}) == 3
    # The table form prints the same URLs; the count goes to stderr.
    code, out, err = run(capsys, db, "officers", "list")
    assert code == 0 and "3 officer(s)" in err
    assert officers[0]["url"] in out and "张伟" in out


def test_list_by_unit(tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, db, "officers", "import", str(write_csv(tmp_path / "r.csv", GOOD)))
    east = listing(capsys, db, "--unit", "张家口市公安局/桥东分局")
    assert [o["badge_no"] for o in east] == ["100001", "100002"]
    by_code = listing(capsys, db, "--unit", unit_code_for_path(WEST))
    assert [o["badge_no"] for o in by_code] == ["100003"]
    assert len(listing(capsys, db, "--unit", "张家口市公安局")) == 3
    code, out, err = run(capsys, db, "officers", "list", "--unit", "某某分局")
    assert code == 1 and err.count("\n") == 1 and "unknown unit" in err


def test_xlsx_import_through_the_cli(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows: list[list[Any]] = [[100001, "张伟", EAST, "民警"], [100002, "李娜", EAST, "辅警"]]
    code, out, err = run(
        capsys, db, "officers", "import", str(write_xlsx(tmp_path / "r.xlsx", rows))
    )
    assert code == 0, err
    assert [o["badge_no"] for o in listing(capsys, db)] == ["100001", "100002"]


def test_bad_rows_import_nothing_unless_skip_bad(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [GOOD[0], ["100004", "赵六", EAST, "协警"], GOOD[1], ["100005", "钱七", "NOPE", "民警"]]
    path = write_csv(tmp_path / "roster.csv", rows)
    code, out, err = run(capsys, db, "officers", "import", str(path))
    assert code == 1
    assert f"{path}:3: kind (类别) '协警'" in err
    assert f"{path}:5: unknown unit 'NOPE'" in err  # found by the store, same format
    assert "2 bad row(s); nothing imported" in err
    assert "Traceback" not in err
    assert listing(capsys, db) == []
    code, out, err = run(capsys, db, "officers", "import", "--skip-bad", str(path))
    assert code == 0
    assert f"{path}:3:" in err and f"{path}:5:" in err
    assert "imported: 2 new, 0 updated, 0 unchanged, 2 skipped" in out
    assert [o["badge_no"] for o in listing(capsys, db)] == ["100001", "100002"]


def test_unit_given_by_code(tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, db, "officers", "import", str(write_csv(tmp_path / "a.csv", GOOD)))
    moved = [*GOOD, ["100004", "赵六", unit_code_for_path(WEST), "民警"]]
    code, out, err = run(
        capsys, db, "officers", "import", str(write_csv(tmp_path / "b.csv", moved))
    )
    assert code == 0, err
    assert "1 new, 0 updated, 3 unchanged" in out
    assert {o["badge_no"]: o["unit"] for o in listing(capsys, db)}["100004"] == WEST


def test_unknown_top_unit_is_a_bad_row(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, db, "officers", "import", str(write_csv(tmp_path / "a.csv", GOOD)))
    typo = [*GOOD, ["100004", "赵六", "张家口市公按局/桥东分局/胜利路派出所", "民警"]]
    code, out, err = run(capsys, db, "officers", "import", str(write_csv(tmp_path / "b.csv", typo)))
    assert code == 1 and ":5: unknown top unit '张家口市公按局'" in err
    assert len(listing(capsys, db)) == 3


def test_reimport_is_idempotent_and_keeps_tokens(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path / "roster.csv", GOOD)
    run(capsys, db, "officers", "import", str(path))
    before = listing(capsys, db)
    code, out, _ = run(capsys, db, "officers", "import", str(path))
    assert code == 0
    assert "imported: 0 new, 0 updated, 3 unchanged, 0 skipped; 0 new units" in out
    assert listing(capsys, db) == before


def test_changed_name_and_unit_update_in_place(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, db, "officers", "import", str(write_csv(tmp_path / "a.csv", GOOD)))
    before = {o["badge_no"]: o for o in listing(capsys, db)}
    changed = [["100001", "张伟", WEST, "民警"], ["100002", "李娜娜", EAST, "民警"], GOOD[2]]
    code, out, _ = run(
        capsys, db, "officers", "import", str(write_csv(tmp_path / "b.csv", changed))
    )
    assert code == 0 and "0 new, 2 updated, 1 unchanged" in out
    after = {o["badge_no"]: o for o in listing(capsys, db)}
    assert after["100001"]["unit"] == WEST
    assert (after["100002"]["name"], after["100002"]["kind"]) == ("李娜娜", "police")
    # The badge in the officer's pocket keeps working after a transfer.
    assert {b: o["url"] for b, o in after.items()} == {b: o["url"] for b, o in before.items()}


def test_missing_officers_are_listed_and_retired_only_on_request(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, db, "officers", "import", str(write_csv(tmp_path / "a.csv", GOOD)))
    token = {o["badge_no"]: o["url"].rsplit("/", 1)[1] for o in listing(capsys, db)}["100003"]
    short = write_csv(tmp_path / "b.csv", GOOD[:2])
    code, out, _ = run(capsys, db, "officers", "import", str(short))
    assert code == 0
    assert "1 officer(s) not in this file (use --retire-missing): 100003" in out
    assert len(listing(capsys, db)) == 3  # still active

    code, out, _ = run(capsys, db, "officers", "import", "--retire-missing", str(short))
    assert code == 0 and "1 officer(s) retired: 100003" in out
    assert [o["badge_no"] for o in listing(capsys, db)] == ["100001", "100002"]
    retired = {o["badge_no"]: o for o in listing(capsys, db, "--all")}["100003"]
    assert retired["status"] == "retired"

    async def retired_page() -> None:
        async with web_on(db) as web:
            r = await web.client.get(f"/r/{token}")
            assert r.status_code == 410 and "此二维码已失效" in r.text and "12389" in r.text
            body = {"token": token, "level": 5, "t": web.stamp(token)}
            assert (await web.client.post("/api/v1/ratings", json=body)).status_code == 410

    asyncio.run(retired_page())

    # Back in the roster: back on duty, with the same badge.
    code, out, _ = run(capsys, db, "officers", "import", str(write_csv(tmp_path / "c.csv", GOOD)))
    assert code == 0 and "0 new, 1 updated, 2 unchanged" in out

    async def page_works() -> None:
        async with web_on(db) as web:
            assert (await web.client.get(f"/r/{token}")).status_code == 200

    asyncio.run(page_works())


def test_skip_bad_never_retires_an_officer_on_a_bad_row(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, db, "officers", "import", str(write_csv(tmp_path / "a.csv", GOOD)))
    # 100002 has a typo in the unit, 100003 left the bureau.
    rows = [GOOD[0], ["100002", "李娜", "NOPE", "辅警"]]
    path = write_csv(tmp_path / "b.csv", rows)
    args = ("officers", "import", "--skip-bad", "--retire-missing", str(path))
    code, out, err = run(capsys, db, *args)
    assert code == 0 and f"{path}:3: unknown unit 'NOPE'" in err
    assert "NOT retired because of the bad rows" in out
    assert len(listing(capsys, db)) == 3  # nobody retired
    # Once the file is clean, the same command retires the one who left.
    fixed = write_csv(tmp_path / "b.csv", GOOD[:2])
    code, out, _ = run(
        capsys, db, "officers", "import", "--skip-bad", "--retire-missing", str(fixed)
    )
    assert code == 0 and "1 officer(s) retired: 100003" in out
    assert [o["badge_no"] for o in listing(capsys, db)] == ["100001", "100002"]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("junk.csv", bytes(range(256)) * 4),
        ("fake.xlsx", b"not a zip at all"),
        ("empty.csv", b""),
        ("missing.csv", None),
    ],
)
def test_broken_file_is_a_one_line_error(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str], name: str, content: bytes | None
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    code, out, err = run(capsys, db, "officers", "import", str(path))
    assert code == 1
    assert out == ""
    assert err.startswith(f"pingjing: {path}: ") and err.count("\n") == 1


# ------------------------------------------------------------------ pingjing officers reissue


def test_reissue_prints_a_new_url_and_the_old_code_stops(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PINGJING_PUBLIC_BASE_URL", "https://pj.example.cn")
    run(capsys, db, "officers", "import", str(write_csv(tmp_path / "a.csv", GOOD)))
    old_url = listing(capsys, db)[0]["url"]
    code, out, err = run(capsys, db, "officers", "reissue", "100001")
    assert code == 0, err
    assert "张伟 (100001): the old code no longer works." in out
    match = re.search(r"new rating URL: (https://pj\.example\.cn/r/([0-9A-Z]{12}))$", out, re.M)
    assert match and match.group(1) != old_url
    assert listing(capsys, db)[0]["url"] == match.group(1)
    new_token = match.group(2)

    async def pages() -> None:
        async with web_on(db) as web:
            old = await web.client.get("/r/" + old_url.rsplit("/", 1)[1])
            assert old.status_code == 410 and "12389" in old.text
            new = await web.client.get(f"/r/{new_token}")
            assert new.status_code == 200 and "张伟" in new.text

    asyncio.run(pages())


def test_reissue_of_an_unknown_badge(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, db, "officers", "import", str(write_csv(tmp_path / "a.csv", GOOD)))
    code, out, err = run(capsys, db, "officers", "reissue", "999999")
    assert code == 1 and out == ""
    assert err == "pingjing: no officer with badge number '999999'\n"

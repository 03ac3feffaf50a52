"""Service volumes: the file reader's line and column errors, the import through the store
(SQLite and PostgreSQL) and `pingjing services import`."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from rating.cli import main
from rating.services.parse import local_day, read_services
from rating.services.store import import_services
from rating.store import Store
from rating.store.logic import RollBack
from rating.store.postgres import PostgresStore
from rating.store.sqlite import SqliteStore
from tests.analytics.conftest import Seeded
from tests.analytics.helpers import ms
from tests.conftest import ROSTER
from tests.store.conftest import LIMITS, empty_tables, fresh_database

STATION = "张家口市公安局/桥东分局/胜利路派出所"


def write_csv(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def test_csv_in_gbk_with_a_title_row(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "services.csv",
        [
            "2026年11月业务量统计",
            "单位,日期,业务系统,服务量",
            f"{STATION},2026-11-16,户政,120",
            '新华街派出所,2026/11/16,出入境,"1,204"',
            "胜利路派出所,2026年11月17日,,0",
            ",,,",
        ],
        "gb18030",
    )
    parsed = read_services(path)
    assert parsed.encoding == "GBK/GB18030" and parsed.header_line == 2
    assert parsed.errors == []
    assert [(r.line, r.unit, r.system, r.services) for r in parsed.rows] == [
        (3, STATION, "户政", 120),
        (4, "新华街派出所", "出入境", 1204),
        (5, "胜利路派出所", "", 0),
    ]
    assert parsed.rows[0].day_ms == ms("2026-11-16 00:00")
    assert parsed.rows[2].day_ms == ms("2026-11-17 00:00")


def test_xlsx_with_date_cells_and_numbers(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["unit", "date", "services"])
    ws.append(["胜利路派出所", datetime(2026, 11, 16, 0, 0), 35])
    ws.append(["胜利路派出所", datetime(2026, 11, 17, 15, 30), 36.0])
    wb.save(tmp_path / "s.xlsx")
    parsed = read_services(tmp_path / "s.xlsx")
    assert parsed.kind == "xlsx" and parsed.errors == []
    assert [(r.day_ms, r.services) for r in parsed.rows] == [
        (ms("2026-11-16 00:00"), 35),
        (ms("2026-11-17 00:00"), 36),  # a time of day counts for its day
    ]


def test_bad_rows_name_line_and_column(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "services.csv",
        [
            "单位,日期,服务量",
            "胜利路派出所,2026-11-16,12",
            ",2026-11-16,3",
            "胜利路派出所,2026-02-30,4",
            "胜利路派出所,2026-11-18,-1",
            "胜利路派出所,2026-11-19,2.5",
            "胜利路派出所,2026-11-16,7",
        ],
    )
    parsed = read_services(path)
    assert [str(e) for e in parsed.errors] == [
        "line 3, column A 单位: unit is empty",
        "line 4, column B 日期: bad date '2026-02-30': 2026-02-30 is not a calendar date",
        "line 5, column C 服务量: services '-1' must be a whole number from 0 to 1,000,000",
        "line 6, column C 服务量: services '2.5' must be a whole number from 0 to 1,000,000",
        "line 7, column A 单位: the same unit, date and system as line 2",
    ]
    assert [r.line for r in parsed.rows] == [2]


def test_a_file_without_the_columns_is_refused(tmp_path: Path) -> None:
    from rating.services.parse import ServiceFileError

    path = write_csv(tmp_path / "s.csv", ["单位,日期,人数", "胜利路派出所,2026-11-16,3"])
    with pytest.raises(ServiceFileError, match="服务量/services"):
        read_services(path)


def test_local_day() -> None:
    assert local_day(ms("2026-11-16 23:59")) == ms("2026-11-16 00:00")
    assert local_day(ms("2026-11-17 00:00")) == ms("2026-11-17 00:00")


@pytest.fixture(params=["sqlite", "postgresql"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    if request.param == "sqlite":
        s: Store = SqliteStore(str(tmp_path / "t.db"), LIMITS)
        await s.open()
        try:
            await s.import_roster(ROSTER)
            yield s
        finally:
            await s.close()
        return
    with fresh_database() as url:
        empty_tables(url)
        s = PostgresStore(url, LIMITS, pool_max=2)
        await s.open()
        try:
            await s.import_roster(ROSTER)
            yield s
        finally:
            await s.close()


async def volumes(store: Store) -> list[tuple[Any, ...]]:
    return await store.read(
        lambda tx: tx.all(
            "SELECT u.name, v.day, v.system, v.services FROM service_volumes v "
            "JOIN units u ON u.id = v.unit_id ORDER BY u.name, v.day, v.system"
        )
    )


async def test_import_matches_units_and_upserts(store: Store, tmp_path: Path) -> None:
    first = read_services(
        write_csv(
            tmp_path / "a.csv",
            [
                "单位,日期,服务量",
                "胜利路派出所,2026-11-16,12",
                f"{STATION},2026-11-17,13",
                "新华街派出所,2026-11-16,40",
            ],
        )
    )
    result = await store.write(import_services, first, 1, False)
    assert (result.new, result.updated, result.unchanged) == (3, 0, 0)
    again = read_services(
        write_csv(
            tmp_path / "b.csv",
            ["单位,日期,服务量", "胜利路派出所,2026-11-16,12", "胜利路派出所,2026-11-17,15"],
        )
    )
    result = await store.write(import_services, again, 2, False)
    assert (result.new, result.updated, result.unchanged) == (0, 1, 1)
    d16, d17 = ms("2026-11-16 00:00"), ms("2026-11-17 00:00")
    assert await volumes(store) == [
        ("新华街派出所", d16, "", 40),
        ("胜利路派出所", d16, "", 12),
        ("胜利路派出所", d17, "", 15),
    ]


async def test_unknown_units_store_nothing_unless_skipped(store: Store, tmp_path: Path) -> None:
    parsed = read_services(
        write_csv(
            tmp_path / "a.csv",
            [
                "单位,日期,服务量",
                "胜利路派出所,2026-11-16,12",
                "火星派出所,2026-11-16,3",
                "U-NOPE,2026-11-16,x",
            ],
        )
    )
    with pytest.raises(RollBack) as undone:
        await store.write(import_services, parsed, 1, False)
    assert [str(e) for e in undone.value.result.errors] == [
        "line 3, column A 单位: 火星派出所: no unit has this code, name, path or alias",
        "line 4, column C 服务量: services 'x' must be a whole number from 0 to 1,000,000",
    ]
    assert await volumes(store) == []
    result = await store.write(import_services, parsed, 1, True)
    assert result.new == 1 and len(result.errors) == 2
    assert [v[0] for v in await volumes(store)] == ["胜利路派出所"]


def run(seeded: Seeded, *args: str) -> int:
    return main(["--database", seeded.settings.database, "services", "import", *args])


def test_cli(seeded_file: Seeded, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seeded = seeded_file
    bad = write_csv(
        tmp_path / "s.csv",
        ["单位,日期,服务量", "胜利路派出所,2026-11-16,12", "火星派出所,2026-11-16,3"],
    )
    assert run(seeded, str(bad)) == 1
    err = capsys.readouterr().err
    assert f"{bad}: line 3, column A 单位: 火星派出所: no unit has this code" in err
    assert "1 bad row(s) in s.csv; nothing imported" in err
    assert not (tmp_path / "s.rejected.csv").exists()
    assert run(seeded, str(bad), "--skip-bad") == 0
    out = capsys.readouterr().out
    assert "1 new, 0 updated, 0 unchanged, 1 rejected" in out
    assert f"rejected row(s) with reasons written to {tmp_path / 's.rejected.csv'}" in out
    rejects = (tmp_path / "s.rejected.csv").read_text(encoding="utf-8-sig").splitlines()
    assert rejects == [
        "行号 line,原因 reason,单位,日期,服务量",
        '3,"A 单位: 火星派出所: no unit has this code, name, path or alias",'
        "火星派出所,2026-11-16,3",
    ]
    with contextlib.closing(sqlite3.connect(seeded.settings.database)) as conn:
        assert conn.execute("SELECT SUM(services) FROM service_volumes").fetchone() == (12,)
    assert run(seeded, str(tmp_path / "missing.csv")) == 1
    assert "cannot read" in capsys.readouterr().err

"""Fixtures for work-order imports: a seeded database, the real CLI, export writers.

The exports are written the way hotline systems write them: a title row above the header,
Chinese column names and dates, GBK text, XLSX with real date cells or bare Excel serials,
and blank rows at the end.
"""

from __future__ import annotations

import asyncio
import csv
import sqlite3
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from rating.cli import main
from rating.crypto import Keys
from rating.settings import Settings
from rating.store import make_store
from tests.conftest import ROSTER

SHANGHAI = timezone(timedelta(hours=8))
TITLE = "张家口市12345政务服务便民热线工单明细（2026年11月）"
HEADER_12345 = [
    "工单编号", "来电时间", "诉求类型", "诉求分类", "诉求内容", "承办单位", "涉及民警警号",
    "派单时间", "办理时限", "办结时间", "解决情况", "回访时间", "回访结果", "满意度",
    "核实结论", "整改状态", "整改完成时间", "来电号码", "来电人",
]  # fmt: skip


def ms(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    """Epoch milliseconds of an Asia/Shanghai wall time."""
    moment = datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)
    return int(moment.timestamp() * 1000)


def order(no: str, **cells: Any) -> list[Any]:
    """One 12345 export row: an open complaint unless `cells` (by header) say otherwise."""
    row: dict[str, Any] = dict.fromkeys(HEADER_12345, "")
    row.update(
        {
            "工单编号": no,
            "来电时间": "2026年11月3日 14:05",
            "诉求类型": "投诉",
            "诉求分类": "户政管理",
            "诉求内容": "办理户口迁移时窗口排队时间长，工作人员解释不耐心",
            "承办单位": "胜利路派出所",
            "涉及民警警号": "100001",
            "派单时间": "2026/11/3 14:40:00",
            "办理时限": "2026-11-10",
            "来电号码": "13812345678",
            "来电人": "张先生",
        }
    )
    row.update(cells)
    return [row[h] for h in HEADER_12345]


def write_csv(
    path: Path,
    rows: Sequence[Sequence[Any]],
    *,
    encoding: str = "gbk",
    header: Sequence[str] = HEADER_12345,
    title: str | None = TITLE,
    trailing_blank: int = 2,
) -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        if title:
            w.writerow([title] + [""] * (len(header) - 1))
        w.writerow(header)
        w.writerows(rows)
        for _ in range(trailing_blank):
            w.writerow([""] * len(header))
    return path


def write_xlsx(
    path: Path,
    rows: Sequence[Sequence[Any]],
    *,
    header: Sequence[str] = HEADER_12345,
    title: str | None = TITLE,
    trailing_blank: int = 3,
) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "工单明细"
    if title:
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    for _ in range(trailing_blank):  # rows that only carry formatting, as Excel leaves them
        ws.append([None] * len(header))
        ws.cell(row=ws.max_row, column=1).number_format = "@"
    wb.save(path)
    return path


@dataclass
class Run:
    code: int
    out: str
    err: str


@dataclass
class Env:
    settings: Settings
    tmp: Path
    run: Callable[..., Run]

    @property
    def keys(self) -> Keys:
        return Keys(self.settings.secret)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with closing(sqlite3.connect(self.settings.database)) as conn:
            return conn.execute(sql, params).fetchall()

    def orders(self) -> dict[str, dict[str, Any]]:
        with closing(sqlite3.connect(self.settings.database)) as conn:
            conn.row_factory = sqlite3.Row
            rows = conn.execute("SELECT * FROM workorders ORDER BY order_no").fetchall()
            return {r["order_no"]: dict(r) for r in rows}

    def unit_id(self, path: str) -> int:
        return int(self.query("SELECT id FROM units WHERE path = ?", (path,))[0][0])

    def officer_id(self, badge: str) -> int:
        return int(self.query("SELECT id FROM officers WHERE badge_no = ?", (badge,))[0][0])


@pytest.fixture
def env(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> Env:
    """A database holding the test roster (units 张家口市公安局/桥东分局/胜利路派出所 and
    /桥西分局/新华街派出所; badges 100001-100003) and a runner for `pingjing ...`."""
    monkeypatch.setenv("PINGJING_SECRET", settings.secret)
    monkeypatch.delenv("PINGJING_DATABASE", raising=False)

    async def seed() -> None:
        store = make_store(settings)
        await store.open()
        try:
            await store.import_roster(ROSTER)
        finally:
            await store.close()

    asyncio.run(seed())

    def run(*args: str) -> Run:
        capsys.readouterr()
        code = main(["--database", settings.database, *args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return Env(settings, tmp_path, run)

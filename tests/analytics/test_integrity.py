"""The weekly report's topics, near-duplicates and participation, end to end on SQLite, and
the loader's frames equal on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pandas.testing as pdt
import pytest

from analytics.integrity import _read
from analytics.periods import DAY_MS
from analytics.weekly import render, weekly_report
from rating.cli import main
from rating.store import Store
from rating.store.logic import Tx
from tests.analytics.conftest import Seeded
from tests.analytics.helpers import ms
from tests.analytics.test_backends import both  # noqa: F401  (fixture)
from tests.conftest import ROSTER

WEEK = "2026-W47"  # 16-22 Nov 2026
T = ms("2026-11-17 10:00")
WEEK_MS = 7 * DAY_MS
TRAFFIC = (
    "车辆在长青路被抓拍违停，当时是在临时停车上下客",
    "对一条闯红灯的记录有异议，当时信号灯故障",
    "收到处罚通知扣了六分，认为标线不清楚",
    "手机上处理违法记录一直提示失败",
    "车辆被套牌，收到了外地的多条违法记录",
    "交警贴条时车辆其实在停车位内",
    "高速公路超速抓拍的限速标志被树挡住",
    "电子警察拍到压线，实际是避让救护车",
    "罚单寄到了旧地址，逾期产生了滞纳金",
    "驾驶人信息登记错误导致记分记到别人名下",
)
FRAUD = (
    "网上兼职刷单被骗两万元",
    "接到冒充客服电话，银行卡被转走五千",
    "老人买保健品被骗光积蓄",
    "投资理财平台不能提现，怀疑诈骗",
    "有人冒充领导加微信让汇款",
    "游戏装备交易被骗，对方已拉黑",
    "网购退款链接是假的，被骗三千",
    "冒充公检法说涉嫌洗钱，要求转账到安全账户",
)
NOISE = "胜利路小区旁边的工地每天夜里两点还在施工打桩，吵得居民无法入睡，请求处理"


def seed(seeded: Seeded) -> None:
    n = 0

    def order(at: int, content: str, category: str, **cols: object) -> None:
        nonlocal n
        n += 1
        seeded.workorder(f"GD{n}", at, content=content, category=category, **cols)

    for week in range(1, 9):  # the baseline: traffic every week, fraud twice in 8 weeks
        at = T - week * WEEK_MS
        for i in range(10):
            order(at + i, TRAFFIC[i], "交通违法处理")
        if week in (3, 6):
            order(at, "接到自称客服的电话被骗", "电信网络诈骗")
    for i in range(10):
        order(T + i, TRAFFIC[i], "交通违法处理")
    for i in range(8):  # fraud: 8 of 21 this week
        order(T + i, FRAUD[i], "电信网络诈骗", order_type="complaint")
    # The same noise complaint through three channels, two callers.
    order(T, NOISE, "噪音扰民", channel="12345", phone_hash="p1")
    order(T + 60_000, NOISE.replace("的工地", "工地"), "噪音扰民", channel="12389", phone_hash="p2")
    order(T + 120_000, "市民反映：" + NOISE, "噪音扰民", channel="sunshine", phone_hash="p1")
    # Ratings for participation: station 0 has 3, its services 30 that week.
    for level in (5, 4, 1):
        seeded.rating(0, level, T, comment="态度很好" if level > 2 else "窗口工作人员不耐烦")
    seeded.execute(
        "INSERT INTO service_imports (file_name, file_sha256, rows_total, rows_new, "
        "rows_updated, rows_unchanged, imported_at) VALUES ('s.csv', 'x', 1, 1, 0, 0, ?)",
        (T,),
    )
    seeded.execute(
        "INSERT INTO service_volumes (unit_id, day, system, services, import_id, updated_at) "
        "VALUES (?, ?, '', 30, 1, ?)",
        (seeded.officers[0].unit_id, ms("2026-11-17 00:00"), T),
    )


async def test_report_has_topics_duplicates_and_participation(
    seeded: Seeded, tmp_path: Path
) -> None:
    seed(seeded)
    report = await weekly_report(
        seeded.store, seeded.settings, week=WEEK, now_ms=ms("2026-11-24 09:00")
    )
    topics = report.extra["topics"]
    scope = topics[topics["unit_path"] == "全部单位"].set_index("topic")
    assert scope.loc["fraud", "items"] == 8 and scope.loc["fraud", "emerging"] == "是"
    assert scope.loc["fraud", "bad_share"] == 1.0  # complaints
    assert scope.loc["traffic_violation", "emerging"] == ""
    assert scope.loc["traffic_violation", "items_change"] == 0
    # The comments, by keywords (no model): 态度很好 is praise, not attitude.
    assert scope.loc["attitude", "items"] == 1 and scope.loc["praise", "items"] == 2
    assert topics["topic_name"].iloc[0] == "交通违法处理"  # the most items first
    warning = report.warnings[report.warnings["kind"] == "新兴话题"]
    # Noise is new this week, but its 3 complaints come from 2 callers (one rang twice):
    # counted once per caller, 2 is below the 3 the rule needs.
    assert set(warning["who"]) == {"诈骗"}
    assert "本周 8/23 = 34.8%" in warning["detail"].iloc[0]

    dup = report.extra["duplicates"]
    assert dup["group"].tolist() == [1, 1, 1]
    assert dup["people"].tolist() == [2, 2, 2]
    assert dup["channels"].iloc[0] == "12345/12389/sunshine"
    assert set(dup["topic_name"]) == {"噪音扰民"}

    part = report.extra["participation"].set_index("path")
    station = ROSTER[0].unit
    assert part.loc[station, "services"] == 30 and part.loc[station, "ratings"] == 3
    assert part.loc[station, "participation"] == pytest.approx(0.1)
    assert part.loc[station, "satisfaction_rate"] == pytest.approx(2 / 3)

    written = render(report, tmp_path, ("xlsx", "html", "csv"))
    wb = openpyxl.load_workbook(tmp_path / "report.xlsx")
    assert {"话题分析", "重复诉求", "参评率"} <= set(wb.sheetnames)
    assert (tmp_path / "duplicates.csv") in written
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<h2>重复诉求（前 60 条）</h2>" in html and "噪音扰民" in html


def test_cli_lists_the_duplicate_groups(
    seeded_file: Seeded, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(seeded_file)
    assert main(["--database", seeded_file.settings.database, "topics", "duplicates",
                 "--week", WEEK]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "group 1: 3 complaints from 2 people via 12345/12389/sunshine (噪音扰民)" in out
    assert out.count("  工单 #") == 3


def put(tx: Tx) -> None:
    officer, unit = tx.one("SELECT id, unit_id FROM officers ORDER BY badge_no") or (0, 0)
    tx.insert(
        "INSERT INTO ratings (receipt, officer_id, unit_id, token, channel, level, comment, "
        "phone_hash, created_at, updated_at) VALUES ('R1', ?, ?, 't', 'badge', 1, '态度差', "
        "'h1', ?, ?) RETURNING id",
        (officer, unit, T, T),
    )
    imp = tx.insert(
        "INSERT INTO service_imports (file_name, file_sha256, rows_total, rows_new, "
        "rows_updated, rows_unchanged, imported_at) VALUES ('s', 'x', 1, 1, 0, 0, ?) "
        "RETURNING id",
        (T,),
    )
    tx.run(
        "INSERT INTO service_volumes (unit_id, day, system, services, import_id, updated_at) "
        "VALUES (?, ?, 'a', 5, ?, ?), (?, ?, 'b', 7, ?, ?)",
        (unit, T, imp, T, unit, T, imp, T),
    )
    tx.run(
        "INSERT INTO topic_assignments (item_kind, item_id, topic_code, source, assigned_at) "
        "VALUES ('rating', 1, 'attitude', 'keywords', ?)",
        (T,),
    )


async def test_postgres_loads_what_sqlite_loads(both: tuple[Store, Store]) -> None:  # noqa: F811
    loaded = []
    for store in both:
        await store.import_roster(ROSTER)
        await store.write(put)
        loaded.append(await store.read(_read, T - WEEK_MS, T + WEEK_MS, T + WEEK_MS))
    a, b = loaded
    assert len(a.items) == 1 and a.items["topic"].iloc[0] == "attitude"
    assert a.services["services"].tolist() == [12]  # summed over systems
    pdt.assert_frame_equal(a.items, b.items)
    pdt.assert_frame_equal(a.services, b.services)
    assert a.taxonomy == b.taxonomy and a.model is None and b.model is None
    assert isinstance(a.items["bad"].iloc[0], np.bool_)
    assert isinstance(a.items, pd.DataFrame)

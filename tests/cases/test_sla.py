"""Due times by category: the rule, the bureau's table on every store, the CLI, imports."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from rating.cases import sla
from rating.cases.calendar import WorkCalendar
from rating.cases.deadlines import load_calendar
from rating.store import Store
from rating.store.logic import Tx
from tests.store.conftest import pg_url, store, stores  # noqa: F401 - fixtures
from tests.workorders.conftest import Env, env, ms, order, write_csv  # noqa: F401

CAL = WorkCalendar()
HOUR = 3_600_000


def table() -> sla.SlaTable:
    return sla.SlaTable(
        sla.DEFAULT_CLASSES,
        {
            ("*", "consultation"): "consultation",
            ("*", "help"): "public_service",
            ("*", "紧急"): "urgent",
            ("12345", "紧急"): "public_service",  # the channel's own mapping wins
        },
    )


def test_due_time_of_each_class() -> None:
    friday = ms(2026, 11, 20, 10)
    t = table()
    assert t.due_at(CAL, "12389", "紧急", None, friday) == (friday + 2 * HOUR, "urgent")
    # Consultation: the end of the same working day; received on Saturday, the end of
    # Monday.
    assert t.due_at(CAL, "12389", None, "consultation", friday) == (
        ms(2026, 11, 21),
        "consultation",
    )
    saturday = ms(2026, 11, 21, 9)
    assert t.due_at(CAL, "12389", None, "consultation", saturday)[0] == ms(2026, 11, 24)
    # Public service: 2 working days (Monday, Tuesday), due at the end of Tuesday.
    assert t.due_at(CAL, "12389", None, "help", friday) == (ms(2026, 11, 25), "public_service")
    # Other: 7 working days, counted by the calendar.
    due, cls = t.due_at(CAL, "12389", "户政管理", "complaint", friday)
    assert (due, cls) == (CAL.due_at(friday, 7)[0], "other")
    assert due == ms(2026, 12, 2)  # Mon 23 Nov + 7 working days = Tue 1 Dec, end of day


def test_category_mapping_precedence() -> None:
    t = table()
    assert t.class_of("12345", "紧急", "consultation") == "public_service"  # channel's own
    assert t.class_of("12389", "紧急", "consultation") == "urgent"  # category before type
    assert t.class_of("12389", "户政", "consultation") == "consultation"  # then the type
    assert t.class_of("12389", None, None) == "other"


async def test_table_is_seeded_and_edited_on_every_store(store: Store) -> None:  # noqa: F811
    classes, mapping = await store.read(sla.list_sla)
    assert {c.sla_class: (c.kind, c.amount) for c in classes} == {
        "consultation": ("same_day", 0),
        "other": ("workdays", 7),
        "public_service": ("workdays", 2),
        "urgent": ("hours", 2),
    }
    assert ("*", "consultation", "consultation") in mapping
    await store.write(sla.set_class, "other", "workdays", 5, 1)
    await store.write(sla.map_category, "12345", "户政管理", "public_service", 1)
    await store.write(sla.map_category, "12345", "户政管理", "urgent", 2)  # re-mapped

    def due(tx: Tx) -> tuple[tuple[int, str], tuple[int, str]]:
        t = sla.load_sla(tx)
        cal = load_calendar(tx)
        friday = ms(2026, 11, 20, 10)
        return (
            t.due_at(cal, "12345", "户政管理", None, friday),
            t.due_at(cal, "12389", "户政管理", None, friday),
        )

    mapped, other = await store.read(due)
    assert mapped == (ms(2026, 11, 20, 12), "urgent")
    assert other == (ms(2026, 11, 28), "other")  # 5 working days: end of Friday 27 Nov
    assert await store.write(sla.unmap_category, "12345", "户政管理") is True
    assert await store.write(sla.unmap_category, "12345", "户政管理") is False
    with pytest.raises(sla.SlaError, match="unknown SLA class 'fast'"):
        await store.write(sla.map_category, "12345", "x", "fast", 3)
    with pytest.raises(sla.SlaError, match="positive"):
        await store.write(sla.set_class, "urgent", "hours", 0, 3)


def test_cli_lists_and_edits_the_table(env: Env) -> None:  # noqa: F811
    listed = env.run("sla", "list")
    assert listed.code == 0
    assert "urgent\t紧急\t2 小时" in listed.out and "other\t其他\t7 个工作日" in listed.out
    r = env.run("sla", "set", "public_service", "--workdays", "3")
    assert (r.code, r.out.splitlines()[0]) == (0, "public_service (公共服务): 3 个工作日")
    assert env.run("sla", "map", "12345", "户政管理", "public_service").code == 0
    assert "12345\t户政管理\tpublic_service" in env.run("sla", "list").out
    bad = env.run("sla", "map", "12345", "户政管理", "fast")
    assert (bad.code, bad.err.strip()) == (
        1,
        "pingjing: unknown SLA class 'fast'; see `pingjing sla list`",
    )
    gone = env.run("sla", "unmap", "12345", "没有的分类")
    assert gone.code == 1 and "no mapping" in gone.err


def test_import_gives_every_order_a_due_time(env: Env, tmp_path: Path) -> None:  # noqa: F811
    assert env.run("sla", "map", "12345", "户政管理", "public_service").code == 0
    path = write_csv(
        tmp_path / "w.csv",
        [
            order("S1"),  # the file's own due time
            order("S2", 办理时限=""),  # 户政管理 → public service: 2 working days
            order("S3", 办理时限="", 诉求分类="", 诉求类型="咨询"),  # consultation
        ],
    )
    assert env.run("workorders", "import", str(path), "--channel", "12345").code == 0
    orders = env.orders()
    received = ms(2026, 11, 3, 14, 5)  # a Tuesday
    assert (orders["S1"]["due_at"], orders["S1"]["due_source"]) == (ms(2026, 11, 11) - 1, "source")
    assert (orders["S2"]["due_at"], orders["S2"]["due_source"]) == (ms(2026, 11, 6), "sla")
    assert (orders["S3"]["due_at"], orders["S3"]["due_source"]) == (ms(2026, 11, 4), "sla")
    assert orders["S2"]["received_at"] == received
    # A later file without the due-time column keeps the stored due times.
    slim = write_csv(
        tmp_path / "cb.csv",
        [["S2", "2026-11-03 14:05", "2026-11-08 10:00", "已回访", "满意"]],
        header=["工单编号", "来电时间", "回访时间", "回访结果", "满意度"],
    )
    assert env.run("workorders", "import", str(slim), "--channel", "12345").code == 0
    assert env.orders()["S2"]["due_at"] == ms(2026, 11, 6)


def test_fill_gives_older_orders_their_sla(env: Env, tmp_path: Path) -> None:  # noqa: F811
    path = write_csv(tmp_path / "w.csv", [order("F1", 办理时限="", 诉求类型="咨询")])
    assert env.run("workorders", "import", str(path), "--channel", "12345").code == 0
    # As if imported before the SLA table existed.
    with closing(sqlite3.connect(env.settings.database)) as conn, conn:
        conn.execute("UPDATE workorders SET due_at = NULL, due_source = NULL")
    r = env.run("sla", "fill")
    assert (r.code, r.out.strip()) == (0, "1 work order(s) without a due time got their category's")
    got = env.orders()["F1"]
    assert (got["due_at"], got["due_source"]) == (ms(2026, 11, 4), "sla")
    assert env.query("SELECT due_at, due_source FROM workorder_revisions") == [(None, None)]
    assert env.run("sla", "fill").out.startswith("0 work order(s)")

"""`pingjing workorders import`: what a clerk sees and what ends up in the database."""

from __future__ import annotations

import csv
from datetime import datetime

from tests.workorders.conftest import HEADER_12345, Env, ms, order, write_csv, write_xlsx

SHENGLI = "张家口市公安局/桥东分局/胜利路派出所"
XINHUA = "张家口市公安局/桥西分局/新华街派出所"


def test_gbk_csv_below_title_row_is_imported_in_shanghai_time(env: Env) -> None:
    path = write_csv(
        env.tmp / "12345-1103.csv",
        [
            order("GD20261103001"),
            order(
                "GD20261103002",
                **{
                    "来电时间": "2026/11/3 9:30:00",
                    "承办单位": "新华街派出所",
                    "涉及民警警号": "100003",
                    "办结时间": "2026-11-05 16:20",
                    "解决情况": "已解决",
                    "回访时间": "2026年11月6日10时15分",
                    "回访结果": "已回访",
                    "满意度": "基本满意",
                },
            ),
        ],
        encoding="gbk",
    )
    r = env.run("workorders", "import", str(path), "--channel", "12345")
    assert r.code == 0, r.err
    assert "CSV GBK/GB18030" in r.out and "header on line 2" in r.out and "2 row(s)" in r.out
    assert "2 new, 0 updated, 0 unchanged, 0 rejected" in r.out
    assert "columns not imported: 来电人" in r.out  # the caller's name is never stored
    orders = env.orders()
    assert set(orders) == {"GD20261103001", "GD20261103002"}
    first, second = orders["GD20261103001"], orders["GD20261103002"]
    assert first["channel"] == "12345"
    assert first["received_at"] == ms(2026, 11, 3, 14, 5)
    assert first["dispatched_at"] == ms(2026, 11, 3, 14, 40)
    # A due date without a time of day is met by a closure any time that day.
    assert first["due_at"] == ms(2026, 11, 10, 23, 59, 59) + 999
    assert (first["order_type"], first["category"]) == ("complaint", "户政管理")
    assert first["content"] == "办理户口迁移时窗口排队时间长，工作人员解释不耐心"
    assert first["unit_id"] == env.unit_id(SHENGLI)
    assert first["officer_id"] == env.officer_id("100001")
    assert first["closed_at"] is None and first["satisfaction"] is None
    assert second["received_at"] == ms(2026, 11, 3, 9, 30)
    assert second["unit_id"] == env.unit_id(XINHUA)
    assert second["closed_at"] == ms(2026, 11, 5, 16, 20)
    assert second["callback_at"] == ms(2026, 11, 6, 10, 15)
    assert (second["resolution"], second["callback_outcome"], second["satisfaction"]) == (
        "resolved",
        "reached",
        "basically_satisfied",
    )


def test_utf8_bom_and_gb18030_csv_are_read(env: Env) -> None:
    # 𠀋 is outside GBK; GB18030 encodes it, and a UTF-8 file with a BOM is read as UTF-8.
    content = "反映𠀋字姓名无法录入户籍系统"
    bom = write_csv(env.tmp / "bom.csv", [order("A1", 诉求内容=content)], encoding="utf-8-sig")
    gb = write_csv(env.tmp / "gb.csv", [order("A2", 诉求内容=content)], encoding="gb18030")
    assert env.run("workorders", "import", str(bom), "--channel", "12345").code == 0
    assert env.run("workorders", "import", str(gb), "--channel", "12345").code == 0
    orders = env.orders()
    assert orders["A1"]["content"] == content
    assert orders["A2"]["content"] == content


def test_xlsx_with_title_row_date_cells_and_serials(env: Env) -> None:
    rows = [
        order(
            "GD-X-1",
            **{
                "来电时间": datetime(2026, 11, 3, 14, 5),  # a real Excel date cell
                "派单时间": 46329.611111111111,  # a bare serial: 2026-11-03 14:40
                "办理时限": 46336,  # a whole serial: the date 2026-11-10
                "办结时间": "2026年11月5日 16:20",
                "来电号码": 13812345678,  # a number cell
            },
        ),
        order("GD-X-2", 工单编号=20261103000002, 来电时间=46329.5),  # numeric order number
    ]
    path = write_xlsx(env.tmp / "12345.xlsx", rows)
    r = env.run("workorders", "import", str(path), "--channel", "12345")
    assert r.code == 0, r.err
    assert "XLSX" in r.out and "header on line 2" in r.out and "2 row(s)" in r.out
    assert "2 new" in r.out
    orders = env.orders()
    assert set(orders) == {"GD-X-1", "20261103000002"}
    one = orders["GD-X-1"]
    assert one["received_at"] == ms(2026, 11, 3, 14, 5)
    assert one["dispatched_at"] == ms(2026, 11, 3, 14, 40)
    assert one["due_at"] == ms(2026, 11, 10, 23, 59, 59) + 999
    assert one["closed_at"] == ms(2026, 11, 5, 16, 20)
    assert one["phone_mask"] == "138****5678"
    assert orders["20261103000002"]["received_at"] == ms(2026, 11, 3, 12, 0)


def test_same_order_in_two_exports_is_updated_not_duplicated(env: Env) -> None:
    week1 = write_csv(env.tmp / "week1.csv", [order("GD1"), order("GD2"), order("GD3")])
    week2 = write_xlsx(
        env.tmp / "week2.xlsx",
        [
            order(
                "GD1",
                **{
                    "办结时间": "2026-11-06 11:00",
                    "解决情况": "部分解决",
                    "回访时间": "2026-11-07 09:00",
                    "回访结果": "已回访",
                    "满意度": "不满意",
                    "核实结论": "部分属实",
                    "整改状态": "整改中",
                },
            ),
            order("GD2"),
            order("GD4"),
        ],
    )
    assert env.run("workorders", "import", str(week1), "--channel", "12345").code == 0
    r = env.run("workorders", "import", str(week2), "--channel", "12345")
    assert r.code == 0, r.err
    assert "1 new, 1 updated, 1 unchanged, 0 rejected" in r.out
    orders = env.orders()
    assert sorted(orders) == ["GD1", "GD2", "GD3", "GD4"]
    gd1 = orders["GD1"]
    assert gd1["closed_at"] == ms(2026, 11, 6, 11, 0)
    assert (gd1["resolution"], gd1["satisfaction"]) == ("partly_resolved", "dissatisfied")
    assert (gd1["verification"], gd1["rectification"]) == ("partly_substantiated", "in_progress")
    assert gd1["first_import_id"] != gd1["last_import_id"]
    assert orders["GD2"]["last_import_id"] == orders["GD2"]["first_import_id"]

    # A later export taking the rectification to done, then the same file once more.
    week3 = write_csv(
        env.tmp / "week3.csv",
        [order("GD1", 整改状态="已整改", 整改完成时间="2026-11-12 17:00", 满意度="不满意")],
    )
    assert env.run("workorders", "import", str(week3), "--channel", "12345").code == 0
    again = env.run("workorders", "import", str(week3), "--channel", "12345")
    assert "0 new, 0 updated, 1 unchanged" in again.out
    assert "this same file was imported before (import #3" in again.out
    gd1 = env.orders()["GD1"]
    assert (gd1["rectification"], gd1["rectified_at"]) == ("done", ms(2026, 11, 12, 17, 0))
    assert gd1["closed_at"] is None  # the later export says it is open again

    log = [line.split("\t") for line in env.run("workorders", "imports").out.splitlines()]
    assert log[0][4:11] == ["file", "sha256", "rows", "new", "updated", "unchanged", "rejected"]
    # Four imports, newest first: file, rows, new, updated, unchanged, rejected.
    assert [[r[4], *r[6:11]] for r in log[1:]] == [
        ["week3.csv", "1", "0", "0", "1", "0"],
        ["week3.csv", "1", "0", "1", "0", "0"],
        ["week2.xlsx", "3", "1", "1", "1", "0"],
        ["week1.csv", "3", "3", "0", "0", "0"],
    ]
    assert log[1][5] == log[2][5] != log[3][5]  # the same file has the same sha256


def test_same_order_number_on_another_channel_is_another_order(env: Env) -> None:
    path = write_csv(env.tmp / "a.csv", [order("100")])
    assert env.run("workorders", "import", str(path), "--channel", "12345").code == 0
    assert env.run("workorders", "import", str(path), "--channel", "other").code == 0
    assert env.query("SELECT channel FROM workorders ORDER BY channel") == [("12345",), ("other",)]


def bad_file(env: Env) -> tuple[str, list[list[str]]]:
    rows = [
        order("OK1"),
        order("BAD1", 来电时间="2026年13月3日 14:05"),  # line 4
        order("", 满意度="很好"),  # line 5: two problems
        order("OK2"),
        order("OK1", 诉求类型="吐槽"),  # line 7: duplicate and unknown type
        order("BAD2", 来电时间=""),  # line 8
    ]
    return str(write_csv(env.tmp / "bad.csv", rows)), rows


def test_bad_rows_are_all_reported_and_nothing_is_stored(env: Env) -> None:
    path, _ = bad_file(env)
    r = env.run("workorders", "import", path, "--channel", "12345")
    assert r.code == 1
    problems = [ln for ln in r.err.splitlines() if ln.startswith(path)]
    assert problems == [
        f"{path}: line 4, column B 来电时间: bad date '2026年13月3日 14:05': "
        "2026-13-03 is not a calendar date",
        f"{path}: line 5, column A 工单编号: order number is empty",
        f"{path}: line 5, column N 满意度: unknown value '很好'; expected one of 满意, "
        "基本满意, 不满意 (other spellings go in the profile's [values.satisfaction])",
        f"{path}: line 7, column A 工单编号: order number OK1 already on line 3",
        f"{path}: line 7, column C 诉求类型: unknown value '吐槽'; expected one of 投诉, 举报, "
        "咨询, 求助, 建议, 表扬, 其他 (other spellings go in the profile's [values.order_type])",
        f"{path}: line 8, column B 来电时间: received time is empty",
    ]
    assert r.err.strip().splitlines()[-1] == (
        "pingjing: 4 bad row(s) in bad.csv; nothing imported "
        "(fix them, or use --skip-bad to import the good rows)"
    )
    assert "Traceback" not in r.err
    assert env.query("SELECT COUNT(*) FROM workorders") == [(0,)]
    assert env.query("SELECT COUNT(*) FROM workorder_imports") == [(0,)]


def test_skip_bad_imports_good_rows_and_writes_rejects_beside_the_input(env: Env) -> None:
    path, _ = bad_file(env)
    r = env.run("workorders", "import", path, "--channel", "12345", "--skip-bad")
    assert r.code == 0, r.err
    assert "2 new, 0 updated, 0 unchanged, 4 rejected" in r.out
    assert sorted(env.orders()) == ["OK1", "OK2"]
    rejects = env.tmp / "bad.rejected.csv"
    assert f"4 rejected row(s) with reasons written to {rejects}" in r.out
    with rejects.open(encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh))
    assert table[0] == ["行号 line", "原因 reason", *HEADER_12345]
    assert [row[0] for row in table[1:]] == ["4", "5", "7", "8"]
    assert table[2][1] == (
        "A 工单编号: order number is empty; N 满意度: unknown value '很好'; expected one of "
        "满意, 基本满意, 不满意 (other spellings go in the profile's [values.satisfaction])"
    )
    assert table[1][2:5] == ["BAD1", "2026年13月3日 14:05", "投诉"]
    # The caller's number is masked in the rejects file too.
    assert {row[2 + HEADER_12345.index("来电号码")] for row in table[1:]} == {"138****5678"}
    assert "13812345678" not in rejects.read_text(encoding="utf-8-sig")
    log = env.run("workorders", "imports").out.splitlines()[1].split("\t")
    assert log[6:11] == ["6", "2", "0", "0", "4"]


def test_unmatched_unit_is_kept_and_listed_then_matched_by_alias(env: Env) -> None:
    rows = [
        order("U1", 承办单位="胜利路所"),
        order("U2", 承办单位="胜利路所", 涉及民警警号="999999"),
        order("U3", 承办单位="桥东分局胜利路派出所"),  # path written without separators
        order("U4", 承办单位="张家口市公安局/桥西分局/新华街派出所"),
        order("U5", 承办单位=""),
    ]
    path = write_csv(env.tmp / "units.csv", rows)
    r = env.run("workorders", "import", str(path), "--channel", "12345")
    assert r.code == 0, r.err
    assert "5 new" in r.out
    assert "1 unit name(s) matched nothing; 2 work order(s) kept with the unit unknown" in r.out
    assert "胜利路所  (2 row(s), first on line 3)" in r.out
    assert "pingjing workorders aliases add" in r.out
    assert "1 badge number(s) matched nothing; 1 work order(s) kept without an officer" in r.out
    assert "999999  (1 row(s), first on line 4)" in r.out
    orders = env.orders()
    assert orders["U1"]["unit_id"] is None and orders["U1"]["unit_name"] == "胜利路所"
    assert orders["U2"]["officer_id"] is None and orders["U2"]["badge_no"] == "999999"
    assert orders["U3"]["unit_id"] == env.unit_id(SHENGLI)
    assert orders["U4"]["unit_id"] == env.unit_id(XINHUA)
    assert orders["U5"]["unit_id"] is None
    log = env.run("workorders", "imports").out.splitlines()[1].split("\t")
    assert log[11:13] == ["2", "1"]

    added = env.run("workorders", "aliases", "add", "胜利路所", SHENGLI)
    assert added.code == 0, added.err
    assert "2 stored work order(s) re-matched" in added.out
    assert env.orders()["U1"]["unit_id"] == env.unit_id(SHENGLI)
    again = env.run("workorders", "import", str(path), "--channel", "12345")
    assert "unit name(s) matched nothing" not in again.out
    assert "5 unchanged" in again.out
    listed = env.run("workorders", "aliases", "list")
    assert listed.out.splitlines()[0].split("\t")[0::2] == ["胜利路所", SHENGLI]


def test_alias_to_unknown_unit_is_a_one_line_error(env: Env) -> None:
    r = env.run("workorders", "aliases", "add", "某某所", "不存在的单位")
    assert r.code == 1
    assert r.err.strip() == (
        "pingjing: unknown unit '不存在的单位': give a unit code, full path or unique name"
    )
    assert env.query("SELECT COUNT(*) FROM unit_aliases") == [(0,)]


def test_a_file_without_a_column_leaves_that_column_alone(env: Env) -> None:
    full = write_csv(env.tmp / "full.csv", [order("C1", 涉及民警警号="100009、100002")])
    assert env.run("workorders", "import", str(full), "--channel", "12345").code == 0
    before = env.orders()["C1"]
    assert before["badge_no"] == "100009,100002"
    assert before["officer_id"] == env.officer_id("100002")  # the first badge that matches
    slim = write_csv(
        env.tmp / "callbacks.csv",
        [["C1", "2026-11-03 14:05", "2026-11-08 10:00", "已回访", "满意"]],
        header=["工单编号", "来电时间", "回访时间", "回访结果", "满意度"],
    )
    r = env.run("workorders", "import", str(slim), "--channel", "12345")
    assert "0 new, 1 updated" in r.out
    after = env.orders()["C1"]
    assert (after["callback_outcome"], after["satisfaction"]) == ("reached", "satisfied")
    for column in ("unit_name", "unit_id", "officer_id", "content", "due_at", "phone_enc"):
        assert after[column] == before[column], column


def test_unit_by_code_and_ambiguous_names(env: Env) -> None:
    roster = env.tmp / "roster.csv"
    roster.write_text(
        "警号,姓名,单位,类别\n100004,赵敏,张家口市公安局/宣化分局/新华街派出所,民警\n",
        encoding="utf-8",
    )
    assert env.run("officers", "import", str(roster)).code == 0
    code = env.query("SELECT code FROM units WHERE path = ?", (SHENGLI,))[0][0]
    path = write_csv(
        env.tmp / "u.csv",
        [order("K1", 承办单位=code), order("K2", 承办单位="新华街派出所")],
    )
    r = env.run("workorders", "import", str(path), "--channel", "12345")
    assert r.code == 0, r.err
    assert (
        "新华街派出所  (1 row(s), first on line 4): ambiguous: 2 units match "
        "(张家口市公安局/宣化分局/新华街派出所; 张家口市公安局/桥西分局/新华街派出所); add an alias"
    ) in r.out
    orders = env.orders()
    assert orders["K1"]["unit_id"] == env.unit_id(SHENGLI)
    assert orders["K2"]["unit_id"] is None
    assert env.run("workorders", "aliases", "add", "新华街派出所", XINHUA).code == 0
    assert env.orders()["K2"]["unit_id"] == env.unit_id(XINHUA)
    removed = env.run("workorders", "aliases", "remove", "新华街派出所")
    assert removed.code == 0
    assert env.run("workorders", "aliases", "list").out == ""
    assert env.run("workorders", "aliases", "remove", "新华街派出所").code == 1


def test_skip_bad_refuses_when_the_rejects_file_cannot_be_written(env: Env) -> None:
    path, _ = bad_file(env)
    (env.tmp / "bad.rejected.csv").mkdir()  # something in the way
    r = env.run("workorders", "import", path, "--channel", "12345", "--skip-bad")
    assert r.code == 1
    assert (
        r.err.strip()
        .splitlines()[-1]
        .startswith(f"pingjing: cannot write {env.tmp / 'bad.rejected.csv'}: ")
    )
    assert r.err.strip().endswith("; nothing imported")
    assert env.query("SELECT COUNT(*) FROM workorders") == [(0,)]

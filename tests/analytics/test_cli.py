"""`pingjing report weekly` end to end: the files a clerk opens."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest

from analytics.render_tables import neutralise
from rating.cli import main
from tests.analytics.conftest import Seeded
from tests.analytics.helpers import ms

WEEK = "2026-W40"  # 28 Sep – 4 Oct 2026


def seed_week(seeded: Seeded) -> None:
    t = ms("2026-09-29 10:00")
    for level in (5, 5, 4, 3):
        seeded.rating(0, level, t)
    bad = seeded.rating(1, 1, t, reasons="attitude")
    seeded.case(bad, t, callback_at=t + 60_000, callback_outcome="reached", state="called_back")
    seeded.rating(2, 5, ms("2026-09-22 10:00"))  # the week before
    # A place rating through the unit code and letters (one under a category that looks
    # like a formula, one to the bureau as a whole).
    unit = seeded.officers[1].unit_id
    seeded.execute(
        "INSERT INTO unit_tokens (token, unit_id, issued_at) VALUES ('u1', ?, ?)", (unit, t)
    )
    for level in (5, 2):
        seeded.execute(
            "INSERT INTO unit_ratings (unit_id, token, level, created_at) VALUES (?, 'u1', ?, ?)",
            (unit, level, t),
        )
    for i, (where, category) in enumerate(((unit, "=cmd|' /C calc'!A0"), (None, "建议"))):
        seeded.execute(
            "INSERT INTO letters (receipt, unit_id, category, body, created_at, updated_at) "
            "VALUES (?, ?, ?, 'text', ?, ?)",
            (f"L{i}", where, category, t, t),
        )
    # A name that Excel would run as a formula if written raw.
    seeded.execute(
        "UPDATE officers SET name = ? WHERE id = ?",
        ('=HYPERLINK("http://evil.example","点我")', seeded.officers[1].id),
    )


def run(seeded: Seeded, *args: str) -> int:
    return main(["--database", seeded.settings.database, "report", "weekly", *args])


def test_neutralise() -> None:
    assert neutralise("=1+1") == "'=1+1"
    assert neutralise("+86") == "'+86"
    assert neutralise("-2") == "'-2"
    assert neutralise("@SUM(A1)") == "'@SUM(A1)"
    assert neutralise("张伟") == "张伟"


def test_weekly_xlsx_and_csv(
    seeded_file: Seeded, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seeded = seeded_file
    seed_week(seeded)
    out = tmp_path / "out"
    assert run(seeded, "--week", WEEK, "--out", str(out), "--formats", "xlsx,csv") == 0
    printed = capsys.readouterr().out
    assert "2026-W40 (2026-09-28 – 2026-10-04)" in printed
    assert "generated at 20" in printed

    wb = openpyxl.load_workbook(out / "report.xlsx")
    assert wb.sheetnames == [
        "汇总",
        "单位",
        "单位计数",
        "民警",
        "红黑榜",
        "逾期",
        "工单渠道",
        "预警",
        "12周趋势",
        "差评原因",
        "办理周期·渠道",
        "办理周期·单位",
        "场所评价",
        "局长信箱来信",
        "话题分析",
        "重复诉求",
        "参评率",
        "抽查与快评",
        "监督员报告",
        "指标定义",
    ]
    summary = wb["汇总"]
    values = {row[0].value: row for row in summary.iter_rows(min_row=7)}
    satisfaction = values["满意率"][1]
    assert satisfaction.value == pytest.approx(4 / 5)
    assert satisfaction.number_format == "0.0%"
    # No work orders: the hotline rates are empty, not 0%.
    assert values["按时办结率"][1].value is None
    assert "生成时间" in str(summary["A3"].value)

    officers = wb["民警"]
    assert officers.freeze_panes == "C2"  # header row and the name column
    cells = [c for row in wb["民警"].iter_rows() for c in row]
    assert '\'=HYPERLINK("http://evil.example","点我")' in [c.value for c in cells]
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
                assert not (isinstance(c.value, str) and c.value[:1] in "=+-@"), c.value
    assert wb["单位"].conditional_formatting  # colour scales on the rate columns

    with (out / "officers.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    by_badge = {r["警号"]: r for r in rows}
    assert by_badge["100002"]["姓名"].startswith("'=")
    assert float(by_badge["100001"]["满意率"]) == 1.0
    assert by_badge["100001"]["回访率"] == ""  # no bad rating: nothing due, empty cell
    assert float(by_badge["100002"]["回访率"]) == 1.0
    # 100003 was rated only the week before: not listed for this week
    assert "100003" not in by_badge
    # The case closed nothing yet: an empty cycle; it was called back on time (1 working
    # day), so the callback step is on time; the place ratings count for units only.
    with (out / "cycle_channels.csv").open(encoding="utf-8-sig") as fh:
        cycle = {r["渠道"]: r for r in csv.DictReader(fh)}
    assert cycle["扫码评价"]["受理"] == "1" and cycle["扫码评价"]["办理周期中位数（小时）"] == ""
    assert cycle["扫码评价"]["回访按时率"] == "1" and cycle["全部渠道"]["回复率"] == ""
    with (out / "places.csv").open(encoding="utf-8-sig") as fh:
        places = {r["单位路径"]: r for r in csv.DictReader(fh)}
    bureau = places["张家口市公安局"]
    assert (bureau["场所评价数"], bureau["场所满意率"]) == ("2", "0.5")
    assert "场所评价数" not in (out / "officers.csv").read_text(encoding="utf-8-sig")
    with (out / "letters.csv").open(encoding="utf-8-sig") as fh:
        letters = list(csv.DictReader(fh))
    top = [(r["来信类别"], r["来信数"]) for r in letters if r["单位路径"] == "张家口市公安局"]
    assert sorted(top) == [("'=cmd|' /C calc'!A0", "1"), ("建议", "1")]
    with (out / "bad_reasons.csv").open(encoding="utf-8-sig") as fh:
        assert list(csv.reader(fh)) == [
            ["原因", "原因代码", "差评数"],
            ["服务态度", "attitude", "1"],
        ]
    # An officer with 5 ratings is below the list minimum (10): the red/black list is empty.
    with (out / "red_black_list.csv").open(encoding="utf-8-sig") as fh:
        assert len(list(csv.reader(fh))) == 1


def test_unit_scope_and_mistakes(
    seeded_file: Seeded, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seeded = seeded_file
    seed_week(seeded)
    station = seeded.officers[2].unit_code  # 新华街派出所, under 桥西分局
    out = tmp_path / "scoped"
    args = ("--week", WEEK, "--unit", station, "--out", str(out), "--formats", "csv")
    assert run(seeded, *args) == 0
    with (out / "units.csv").open(encoding="utf-8-sig") as fh:
        paths = [r["单位路径"] for r in csv.DictReader(fh)]
    assert paths == ["张家口市公安局/桥西分局/新华街派出所"]
    capsys.readouterr()

    assert run(seeded, "--unit", "NOPE", "--out", str(out)) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown unit 'NOPE'" in err
    assert run(seeded, "--week", "2026-47", "--out", str(out)) == 1
    assert "2026-W47" in capsys.readouterr().err
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert run(seeded, "--week", WEEK, "--out", str(blocker / "sub"), "--formats", "csv") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot write the report" in err


def test_as_of_moment(
    seeded_file: Seeded, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seeded = seeded_file
    seed_week(seeded)  # the bad rating was called back at 2026-09-29 10:01
    out = tmp_path / "then"
    args = ("--week", WEEK, "--out", str(out), "--formats", "csv")
    assert run(seeded, *args, "--as-of", "2026-09-29 10:00") == 0
    assert "generated at 2026-09-29 10:00:00" in capsys.readouterr().out
    with (out / "summary.csv").open(encoding="utf-8-sig") as fh:
        summary = {r["指标"]: r for r in csv.DictReader(fh)}
    assert float(summary["回访率"]["本周"]) == 0.0  # due, not yet done at that moment
    assert run(seeded, *args, "--as-of", "2026-09-29T10:05") == 0
    with (out / "summary.csv").open(encoding="utf-8-sig") as fh:
        summary = {r["指标"]: r for r in csv.DictReader(fh)}
    assert float(summary["回访率"]["本周"]) == 1.0
    capsys.readouterr()
    assert run(seeded, *args, "--as-of", "yesterday") == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "must look like 2026-11-24 09:00" in err
    assert run(seeded, *args, "--as-of", "2999-01-01") == 1
    assert "is in the future" in capsys.readouterr().err

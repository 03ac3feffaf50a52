"""Every import error reason exists in Simplified Chinese and English."""

from __future__ import annotations

import re
from pathlib import Path
from string import Formatter

import pytest

from rating.reasons import MESSAGES, Reason
from rating.tabular import EXCEL_1900
from rating.workorders.convert import BadValue, time_ms

RATING = Path(__file__).resolve().parents[2] / "rating"
# Where reasons are raised: the importers and the table reader they share.
SOURCES = [*(RATING / "workorders").glob("*.py"), RATING / "tabular.py", RATING / "roster.py"]
CJK = re.compile(r"[\u4e00-\u9fff]")
# The codes raised: BadValue("code"…), ImportFileError("code"…), Reason("code"…), and the
# roster's RosterFileError("code"…).
RAISED = re.compile(r'(?:BadValue|ImportFileError|RosterFileError|Reason)\(\s*"([a-z0-9_]+)"')


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name}


@pytest.mark.parametrize("code", sorted(MESSAGES["zh"]))
def test_every_code_has_both_languages_with_the_same_placeholders(code: str) -> None:
    zh, en = MESSAGES["zh"][code], MESSAGES["en"][code]
    assert en.strip() and zh.strip()
    assert CJK.search(zh), f"{code}: the Chinese text is not Chinese"
    assert en != zh
    assert placeholders(en) == placeholders(zh), code


def test_every_code_the_importer_raises_has_texts_and_none_is_unused() -> None:
    used = {code for path in SOURCES for code in RAISED.findall(path.read_text(encoding="utf-8"))}
    assert used, "found no reasons raised in rating/workorders"
    assert sorted(used - set(MESSAGES["zh"])) == []
    assert sorted(set(MESSAGES["zh"]) - used) == []


def test_a_nested_reason_is_shown_in_the_same_language() -> None:
    with pytest.raises(BadValue) as info:
        time_ms("2026-02-30", EXCEL_1900)
    reason = info.value.reason
    assert reason.code == "bad_date_because"
    assert reason.text("zh") == "日期时间 '2026-02-30' 有误：2026-02-30 不是有效的日期"
    assert str(reason) == reason.text("en") == str(info.value)
    assert str(info.value) == "bad date '2026-02-30': 2026-02-30 is not a calendar date"


def test_reasons_render_in_english_unless_chinese_is_asked() -> None:
    reason = Reason("order_no_repeated", {"order_no": "GD1", "line": 3})
    assert reason.text("zh") == "工单编号 GD1 已在第 3 行出现"
    assert reason.text("en") == str(reason) == "order number GD1 already on line 3"

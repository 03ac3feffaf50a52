"""Why an import (work orders, rosters, service counts) is refused, in Chinese and English.

A reason is a stable code plus its parameters, rendered when it is shown: the command line
and the rejected-rows CSV in English (`str(reason)`), the admin upload page in the page's
language (`reason.text(lang)`). Parameters are cell values, line numbers and header names,
shown as they are in either language; a parameter may itself be a `Reason` (a bad date
says why) or a `Joined` list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# code -> (Chinese, English), the shape of every bilingual table (see rating/i18n.py);
# `{name}` placeholders are filled from the reason's params.
MESSAGES: dict[str, tuple[str, str]] = {
    # Cells
    "order_no_rounded": (
        "工单编号被 Excel 存成了数字，末几位已丢失；请把该列设为文本格式后重新导出",
        "order number was stored by Excel as a number and its last digits are lost; "
        "format the column as text and export again",
    ),
    "order_no_scientific": (
        "工单编号 {value} 是科学计数法（已被 Excel 舍入）；请把该列设为文本格式后重新导出",
        "order number {value} is in scientific notation (Excel rounded it); "
        "format the column as text and export again",
    ),
    "order_no_too_long": (
        "工单编号超过 64 个字符",
        "order number is longer than 64 characters",
    ),
    "order_no_empty": (
        "工单编号为空",
        "order number is empty",
    ),
    "order_no_repeated": (
        "工单编号 {order_no} 已在第 {line} 行出现",
        "order number {order_no} already on line {line}",
    ),
    "received_empty": (
        "来电时间（受理时间）为空",
        "received time is empty",
    ),
    "bad_date": (
        "日期时间 {value} 无法识别：应写作 2026-11-03 14:05、2026/11/3 14:05:00 "
        "或 2026年11月3日 14:05 等",
        "bad date {value}: expected e.g. 2026-11-03 14:05, 2026/11/3 14:05:00 "
        "or 2026年11月3日 14:05",
    ),
    "bad_date_because": (
        "日期时间 {value} 有误：{detail}",
        "bad date {value}: {detail}",
    ),
    "year_out_of_range": (
        "年份 {year} 不在 {min}-{max} 之间",
        "year {year} is outside {min}-{max}",
    ),
    "not_a_calendar_date": (
        "{date} 不是有效的日期",
        "{date} is not a calendar date",
    ),
    "not_a_time_of_day": (
        "{time} 不是有效的时刻",
        "{time} is not a time of day",
    ),
    "not_an_excel_serial": (
        "{serial} 不是 Excel 日期序列值",
        "{serial} is not an Excel date serial",
    ),
    "excel_serial_out_of_range": (
        "Excel 日期序列值 {serial} 对应 {year} 年，不在 {min}-{max} 之间",
        "Excel date serial {serial} is in year {year}, outside {min}-{max}",
    ),
    "unknown_value": (
        "无法识别的值 {value}；应为以下之一：{expected}（其他写法可加入列配置的 [values.{field}]）",
        "unknown value {value}; expected one of {expected} "
        "(other spellings go in the profile's [values.{field}])",
    ),
    "no_badge": (
        "{value} 中没有警号",
        "no badge number in {value}",
    ),
    "bad_phone": (
        "不是大陆手机或固定电话号码（{masked}）",
        "not a mainland mobile or landline number ({masked})",
    ),
    "bad_phone_no_digits": (
        "不是大陆手机或固定电话号码（没有数字）",
        "not a mainland mobile or landline number (no digits)",
    ),
    # Whole files
    "cannot_read": (
        "无法读取 {path}：{detail}",
        "cannot read {path}: {detail}",
    ),
    "not_utf16": (
        "无法按 UTF-16 文本解码该文件",
        "cannot decode the file as UTF-16 text",
    ),
    "not_utf8_or_gbk": (
        "无法按 UTF-8 或 GBK/GB18030 文本解码该文件",
        "cannot decode the file as UTF-8 or GBK/GB18030 text",
    ),
    "broken_csv": (
        "第 {line} 行：CSV 格式损坏（{detail}）",
        "line {line}: broken CSV ({detail})",
    ),
    "bad_xlsx": (
        "无法打开 XLSX 工作簿（{detail}）",
        "cannot open the XLSX workbook ({detail})",
    ),
    "bad_xls": (
        "无法打开 XLS 工作簿（{detail}）",
        "cannot open the XLS workbook ({detail})",
    ),
    "no_worksheets": (
        "工作簿中没有工作表",
        "the workbook has no worksheets",
    ),
    "changed_during_import": (
        "文件在导入过程中被修改，请重新导入",
        "the file changed while it was being imported; import it again",
    ),
    "misnamed_xlsx": (
        "文件名是 .xlsx，但不是 Excel 工作簿",
        "the file is named .xlsx but is not an Excel workbook",
    ),
    "misnamed_xls": (
        "文件名是 {suffix}，但不是工作簿（有些系统把网页存成这个名字）："
        "请用 Excel 或 WPS 打开后另存为 .xlsx 或 CSV",
        "the file is named {suffix} but is not a workbook (some systems save a web page "
        "under that name): open it in Excel or WPS and save it as .xlsx or CSV",
    ),
    "binary": (
        "这不是 CSV 文本文件（内容为二进制）",
        "this is not a CSV text file (binary content)",
    ),
    "header_incomplete": (
        "第 {line} 行像是表头，但缺少以下列：{missing}；"
        "请检查渠道/列配置（{profile}），或复制并修改列配置",
        "line {line} looks like the header but has no column for {missing}; "
        "check the channel/profile ({profile}) or copy and edit the profile",
    ),
    "no_header": (
        "前 {rows} 行中找不到表头：列配置 {profile} 需要以下列：{columns}",
        "no header row found in the first {rows} lines: profile {profile} needs columns {columns}",
    ),
    "roster_no_header": (
        "前 {rows} 行中找不到表头：需要 警号/badge_no、姓名/name、单位/unit、类别/kind 四列",
        "no header row found: need columns 警号/badge_no, 姓名/name, 单位/unit, "
        "类别/kind in the first {rows} lines",
    ),
    "roster_no_rows": ("文件有表头，但没有民警信息行", "the file has a header but no officer rows"),
    "no_rows": (
        "文件有表头（第 {line} 行），但没有工单",
        "the file has a header (line {line}) but no work orders",
    ),
}


@dataclass(frozen=True)
class Joined:
    """A list parameter, joined with the separator of the language it is shown in."""

    items: tuple[str, ...]
    en: str = ", "
    zh: str = "、"


@dataclass(frozen=True)
class Reason:
    """Why a cell or a file cannot be imported: `code` names a MESSAGES entry."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def text(self, lang: str) -> str:
        """The reason in `lang` ("zh" for Chinese, anything else English)."""
        i = 0 if lang == "zh" else 1
        values = {k: _shown(v, lang) for k, v in self.params.items()}
        return MESSAGES[self.code][i].format(**values)

    def __str__(self) -> str:
        return self.text("en")


def _shown(value: Any, lang: str) -> Any:
    if isinstance(value, Reason):
        return value.text(lang)
    if isinstance(value, Joined):
        return (value.zh if lang == "zh" else value.en).join(value.items)
    return value


class ReasonError(Exception):
    """An error carrying a `Reason`; its message (`str`) is the English text."""

    def __init__(self, code: str, **params: Any) -> None:
        self.reason = Reason(code, params)
        super().__init__(str(self.reason))

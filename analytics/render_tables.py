"""The report's tables as report.xlsx and CSV files.

Every text cell is neutralised against formula injection: a cell that starts with one of
= + - @ (or a tab / carriage return) gets a leading apostrophe, so a unit or officer name
like `=HYPERLINK(...)` stays text in Excel and WPS.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from analytics.metrics import RATE_NAMES, RATES
from analytics.report import WeeklyReport

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

SHEET_NAMES = {
    "summary": "汇总",
    "units": "单位",
    "officers": "民警",
    "red_black_list": "红黑榜",
    "overdue": "逾期",
    "workorders_by_channel": "工单渠道",
    "warnings": "预警",
    "trend": "12周趋势",
    "bad_reasons": "差评原因",
    "topics": "话题分析",
    "duplicates": "重复诉求",
    "participation": "参评率",
    "definitions": "指标定义",
}

LABELS: dict[str, str] = {
    **{r.name: r.label for r in RATES},
    **{f"{r.name}_wow": f"{r.label}环比" for r in RATES},
    "unit_id": "单位ID",
    "officer_id": "民警ID",
    "code": "单位代码",
    "name": "单位",
    "path": "单位路径",
    "depth": "层级",
    "badge_no": "警号",
    "officer_name": "姓名",
    "unit_name": "单位",
    "kind": "类别",
    "ratings": "评价数",
    "invalidated": "误评/恶意",
    "valid": "有效评价",
    "satisfied": "满意",
    "good": "好评",
    "bad": "差评",
    "cb_due": "差评应回访",
    "cb_done": "差评已回访",
    "cb_reached": "差评回访联系上",
    "substantiated": "属实",
    "rectified": "已整改",
    "rectified_on_time": "按期整改",
    "fix_answered": "整改回评",
    "fix_ok": "整改回评满意",
    "wo_received": "工单数",
    "wo_closed": "工单办结",
    "wo_closed_on_time": "按时办结",
    "wo_ontime_due": "应按时办结",
    "wo_cb_due": "工单应回访",
    "wo_cb_done": "工单已回访",
    "wo_cb_reached": "工单回访联系上",
    "wo_satisfied": "工单满意",
    "wo_substantiated": "工单属实",
    "wo_rectified": "工单已整改",
    "active_officers": "在岗民警",
    "officers_rated": "有评价民警",
    "ratings_per_officer": "人均评价",
    "list": "榜单",
    "level": "对象",
    "rank": "名次",
    "who": "名称",
    "score": "Wilson下限",
    "item": "类型",
    "ref": "编号",
    "stage": "环节",
    "unit_path": "单位",
    "officer": "民警",
    "opened": "受理时间",
    "due": "期限",
    "provisional": "暂定",
    "days_overdue": "逾期天数",
    "channel": "渠道",
    "unit": "单位",
    "detail": "说明",
    "p_value": "p值",
    "week_start": "周起始日",
    "reason": "原因代码",
    "reason_label": "原因",
    "bad_ratings": "差评数",
    "rate": "指标",
    "numerator": "分子",
    "denominator": "分母",
    "note": "说明",
    "metric": "指标",
    "this_week": "本周",
    "previous_week": "上周",
    "change": "环比",
    # Topics, near-duplicates and participation (analytics.integrity)
    "topic": "话题代码",
    "topic_name": "话题",
    "items": "条数",
    "bad_share": "负面占比",
    "items_prev": "上周条数",
    "items_change": "环比增减",
    "emerging": "新兴话题",
    "group": "组号",
    "size": "组内条数",
    "people": "人数",
    "channels": "涉及渠道",
    "excerpt": "内容摘要",
    "services": "服务量",
    "participation": "参评率",
    "peer_participation": "同级参评率中位数",
    "flag": "参评率异常",
}
PERCENT = {*RATE_NAMES, "score", "bad_share", "participation", "peer_participation"}
PERCENT_CHANGE = {f"{r}_wow" for r in RATE_NAMES}
HIGHER_IS_WORSE = {"bad_rate"}
HIDDEN = {"unit_id", "officer_id", "is_rate", "key", "depth"}


def neutralise(value: str) -> str:
    """Text that Excel would read as a formula, made inert with a leading apostrophe."""
    return "'" + value if value.startswith(FORMULA_START) else value


def _cell(value: Any) -> Any:
    """A cell value for the files: NaN/NA → None (empty), text neutralised."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str):
        return neutralise(value)
    if hasattr(value, "item"):  # numpy scalars
        return _cell(value.item())
    return value


def _visible(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c not in HIDDEN]


def _csv_field(value: Any) -> Any:
    v = _cell(value)
    if v is None:
        return ""
    if isinstance(v, float):
        return int(v) if v.is_integer() else round(v, 4)
    return v


def write_csv(report: WeeklyReport, out: Path) -> list[Path]:
    """One CSV per table (UTF-8 with BOM, for Excel); empty fields where a rate has no
    denominator. Rates are fractions (0.9312)."""
    written = []
    for name, table in report.tables().items():
        path = out / f"{name}.csv"
        columns = _visible(table)
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow([LABELS.get(c, c) for c in columns])
            for row in table[columns].itertuples(index=False):
                writer.writerow([_csv_field(x) for x in row])
        written.append(path)
    return written


def write_xlsx(report: WeeklyReport, path: Path) -> None:
    """report.xlsx: one sheet per table, headers frozen, rates as percentages, colour
    scales on rates, red/black list rows coloured."""
    # constant_memory: rows go to disk as they are written (a city has ~10,000 officers).
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    try:
        fmt = {
            "head": wb.add_format({"bold": True, "bg_color": "#DDE4EE", "border": 1}),
            "pct": wb.add_format({"num_format": "0.0%"}),
            "pp": wb.add_format({"num_format": "+0.0%;-0.0%;0.0%"}),
            "num": wb.add_format({"num_format": "0.##"}),
            "title": wb.add_format({"bold": True, "font_size": 14}),
            "red": wb.add_format({"bg_color": "#F8D7DA"}),
            "green": wb.add_format({"bg_color": "#D4EDDA"}),
        }
        for name, table in report.tables().items():
            ws = wb.add_worksheet(SHEET_NAMES[name])
            if name == "summary":
                _summary_sheet(ws, report, table, fmt)
            else:
                _table_sheet(ws, table, fmt, first_row=0)
                if name == "red_black_list" and not table.empty:
                    for text, colour in (("红榜", "green"), ("黑榜", "red")):
                        rule = {"type": "cell", "criteria": "==", "value": f'"{text}"'}
                        ws.conditional_format(1, 0, len(table), 0, {**rule, "format": fmt[colour]})
    finally:
        wb.close()


def _write(ws: Worksheet, row: int, col: int, value: Any, cell_format: Any = None) -> None:
    v = _cell(value)
    if v is None:
        ws.write_blank(row, col, None, cell_format)
    elif isinstance(v, str):
        ws.write_string(row, col, v, cell_format)  # never write() — it would parse "=…"
    elif isinstance(v, bool):
        ws.write_boolean(row, col, v, cell_format)
    else:
        ws.write_number(row, col, v, cell_format)


def _column_cells(column: pd.Series) -> tuple[bool, list[Any]]:
    """(is text, cell values) for one column: numbers as floats with None for missing,
    anything else as neutralised text with None for missing."""
    if pd.api.types.is_bool_dtype(column.dtype):
        return False, [float(v) for v in column.to_numpy()]
    if pd.api.types.is_numeric_dtype(column.dtype):
        values = column.astype("float64").to_numpy()
        return False, [None if math.isnan(v) else v for v in values.tolist()]
    cells = column.astype(object).where(column.notna(), None).tolist()
    return True, [None if v is None else neutralise(str(v)) for v in cells]


def _table_sheet(ws: Worksheet, table: pd.DataFrame, fmt: dict[str, Any], first_row: int) -> None:
    columns = _visible(table)
    for j, c in enumerate(columns):
        _write(ws, first_row, j, LABELS.get(c, c), fmt["head"])
        width = 28 if c in ("path", "who", "unit", "unit_path", "detail", "numerator") else 11
        ws.set_column(j, j, width)
    ws.freeze_panes(first_row + 1, 0)
    styles = [
        fmt["pct"]
        if c in PERCENT or c in ("bad_rate", "baseline_rate")
        else fmt["pp"]
        if c in PERCENT_CHANGE
        else fmt["num"]
        if c in ("ratings_per_officer", "days_overdue")
        else None
        for c in columns
    ]
    # Column by column: decide once whether a column is numbers or text, convert it in one
    # pass, then write cells with the matching xlsxwriter call (tens of thousands of rows).
    prepared = [_column_cells(table[c]) for c in columns]
    for i in range(len(table)):
        row = first_row + 1 + i
        for j, (is_text, cells) in enumerate(prepared):
            v = cells[i]
            if v is None:
                continue  # an empty cell (e.g. a rate without denominator)
            if is_text:
                ws.write_string(row, j, v, styles[j])  # never write(): it would parse "=…"
            else:
                ws.write_number(row, j, v, styles[j])
    last = first_row + len(table)
    if len(table) == 0:
        return
    for j, c in enumerate(columns):
        if c in RATE_NAMES:
            good, bad = "#63BE7B", "#F8696B"
            lo, hi = (good, bad) if c in HIGHER_IS_WORSE else (bad, good)
            ws.conditional_format(
                first_row + 1,
                j,
                last,
                j,
                {"type": "2_color_scale", "min_color": lo, "max_color": hi},
            )
        elif c in PERCENT_CHANGE:
            worse = "<" if c.removesuffix("_wow") not in HIGHER_IS_WORSE else ">"
            ws.conditional_format(
                first_row + 1,
                j,
                last,
                j,
                {"type": "cell", "criteria": worse, "value": 0, "format": fmt["red"]},
            )


def _summary_sheet(
    ws: Worksheet, report: WeeklyReport, table: pd.DataFrame, fmt: dict[str, Any]
) -> None:
    _write(ws, 0, 0, f"评警周报 {report.week.describe()}", fmt["title"])
    _write(ws, 1, 0, f"范围：{report.scope}")
    _write(ws, 2, 0, f"生成时间（回访、整改等状态截至此刻）：{report.generated_at}")
    basic = "计入" if report.basic_counts_satisfied else "不计入"
    _write(ws, 3, 0, f"基本满意{basic}满意率；分母为 0 的比率留空")
    head = 5
    for j, c in enumerate(("metric", "this_week", "previous_week", "change")):
        _write(ws, head, j, LABELS[c], fmt["head"])
    ws.set_column(0, 0, 22)
    ws.set_column(1, 3, 12)
    ws.freeze_panes(head + 1, 0)
    for i, r in enumerate(table.itertuples(index=False), start=head + 1):
        style = fmt["pct"] if r.is_rate else None
        _write(ws, i, 0, r.metric)
        _write(ws, i, 1, r.this_week, style)
        _write(ws, i, 2, r.previous_week, style)
        _write(ws, i, 3, r.change, fmt["pp"] if r.is_rate else None)

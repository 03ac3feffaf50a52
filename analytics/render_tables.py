"""The report's tables as report.xlsx and CSV files.

The workbook is made to be printed by a clerk: every sheet is landscape A4 fitted to the
page width with its header row repeated, columns sized to their (Chinese) headers and
contents, the name column frozen, an autofilter on every table, units in tree order,
codes as Chinese labels, changes in percentage points and times as Excel date-times.

Every text cell is neutralised against formula injection: a cell that starts with one of
= + - @ (or a tab / carriage return) gets a leading apostrophe, so a unit or officer name
like `=HYPERLINK(...)` stays text in Excel and WPS.
"""

from __future__ import annotations

import csv
import math
import re
import unicodedata
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from xlsxwriter.worksheet import Worksheet

from analytics.cycle import CYCLE_RATE_NAMES, CYCLE_RATES, HOURS
from analytics.intake import PLACE_RATES
from analytics.metrics import COUNTS, RATE_NAMES, RATES
from analytics.periods import DAY_MS, SHANGHAI_OFFSET_MS
from analytics.report import WeeklyReport
from analytics.xlsx_rows import Column, FastDeflateWorkbook, TableWorksheet
from rating.cases.calendar import WorkCalendar
from rating.safecell import FORMULA_START, neutralise  # noqa: F401 (one function for all)
from rating.workorders import CHANNEL_LABELS

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
    "spotcheck": "抽查与快评",
    "supervisors": "监督员报告",
    "definitions": "指标定义",
    "assessment": "考核",
    "cycle_channels": "办理周期·渠道",
    "cycle_units": "办理周期·单位",
    "places": "场所评价",
    "letters": "局长信箱来信",
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
    "wo_due_sla": "期限按时限表",
    "wo_closed": "工单办结",
    "wo_closed_on_time": "按时办结",
    "wo_ontime_due": "应按时办结",
    "wo_cb_due": "工单应回访",
    "wo_cb_done": "工单已回访",
    "wo_cb_reached": "工单回访联系上",
    "wo_cb_answered": "工单满意度已答",
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
    "peer_group": "比较范围",
    "peer_bad_rate": "同级差评率",
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
    "section": "类别",
    "young": "未满期（比率未定）",
    "period_start": "期起始日",
    "level_label": "层级",
    "peers": "同级单位数",
    "reply_rate": "回复率",
    "closure_rate": "办结率",
    "assessment_satisfaction": "满意度",
    "score_total": "综合得分",
    "peer_rank": "同级排名",
    "items": "诉求件数",
    "replied": "已回复",
    "closed": "已办结",
    "answered": "回访有答复",
    "satisfied_answers": "满意+基本满意",
    # Handling cycle, place ratings and letters (analytics.cycle, analytics.intake)
    **{r.name: r.label for r in (*CYCLE_RATES, *PLACE_RATES)},
    "cycle_median_hours": "办理周期中位数（小时）",
    "cycle_p90_hours": "办理周期90%分位（小时）",
    "received": "受理",
    "day_ended": "受理日已过",
    "closed_same_day": "当日办结",
    "dispatched": "已派发",
    "callback_step_due": "回访应按时",
    "callback_step_on_time": "按时回访",
    "verify_step_due": "核实应按时",
    "verify_step_on_time": "按时核实",
    "rectify_step_due": "整改应按时",
    "rectify_step_on_time": "按时整改",
    "close_step_due": "办结应按时",
    "close_step_on_time": "按时办结",
    "place_ratings": "场所评价数",
    "place_satisfied": "满意",
    "place_good": "好评",
    "place_bad": "差评",
    "category": "来信类别",
    "letters": "来信数",
    "letters_replied": "已答复",
    "letter_reply_rate": "答复率",
    # Topics, near-duplicates and participation (analytics.integrity)
    "topic": "话题代码",
    "topic_name": "话题",
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
    # Spot-check callbacks and quick taps (analytics.spotcheck)
    "fast": "快速提交",
    "fast_share": "快速提交占比",
    "checks": "抽查数",
    "reached": "抽查联系上",
    "confirmed": "证实",
    "not_confirmed": "未证实",
    "unreachable": "未联系上",
    "verified_rate": "核实满意率",
    "not_confirmed_share": "未证实占比",
    "rest_not_confirmed_share": "其余单位未证实占比",
    "spot_flag": "未证实偏高",
    # Citizen supervisors' reports (analytics.supervisors)
    "supervisor_reports": "监督员报告数",
    "verified": "已核实",
    "substantiation_rate": "属实率",
}
# Codes a clerk should never have to decode.
CODE_LABELS: dict[str, dict[str, str]] = {
    "kind": {"police": "民警", "auxiliary": "辅警"},
    "channel": {
        **CHANNEL_LABELS["zh"],
        "badge": "扫码评价",
        "kiosk": "窗口评价器",
        "web": "网页评价",
        "case": "其他来源案件",
        "all": "全部渠道",
    },
}
# The column that names a row, frozen on the left with everything before it.
NAME_COLUMN = {
    "summary": "metric",
    "units": "name",
    "officers": "officer_name",
    "red_black_list": "who",
    "overdue": "ref",
    "workorders_by_channel": "channel",
    "warnings": "who",
    "trend": "week_start",
    "bad_reasons": "reason_label",
    "definitions": "rate",
    "assessment": "name",
    "cycle_channels": "channel",
    "cycle_units": "name",
    "places": "name",
    "letters": "name",
}
# The 单位 sheet holds what a clerk reads and prints (rates, the main changes, participation:
# legible on landscape A4); every count behind the rates is on 单位计数, next to it.
UNIT_SHEET_COLUMNS = (
    "unit_id",
    "code",
    "name",
    "depth",
    "ratings",
    "valid",
    "bad",
    "wo_received",
    *RATE_NAMES,
    "satisfaction_rate_wow",
    "bad_rate_wow",
    "callback_rate_wow",
    "rectification_rate_wow",
    "ontime_closure_rate_wow",
    "active_officers",
    "officers_rated",
    "ratings_per_officer",
)
UNIT_COUNTS_SHEET = "单位计数"
DATETIME_COLUMNS = {"opened", "due"}
DATE_COLUMNS = {"week_start", "period_start"}
WRAP_COLUMNS = {"note", "numerator", "denominator", "detail"}
MAX_WIDTH = {"note": 70, "numerator": 36, "denominator": 36, "detail": 60}
# A week's cases get a callback within 1 and a rectification within 15 working days (the
# default deadlines): until that has passed, its callback and rectification rates still move.
YOUNG_WORKDAYS = 16
POINTS_FORMAT = '+0.0"个百分点";-0.0"个百分点";0.0"个百分点"'

PERCENT = {
    *RATE_NAMES,
    *CYCLE_RATE_NAMES,
    *(r.name for r in PLACE_RATES),
    "letter_reply_rate",
    "score",
    "reply_rate",
    "closure_rate",
    "assessment_satisfaction",
    "score_total",
    "peer_bad_rate",
    "bad_share",
    "participation",
    "peer_participation",
    # analytics.spotcheck
    "fast_share",
    "verified_rate",
    "not_confirmed_share",
    "rest_not_confirmed_share",
    # analytics.supervisors
    "substantiation_rate",
}
PERCENT_CHANGE = {f"{r}_wow" for r in RATE_NAMES}
HIGHER_IS_WORSE = {"bad_rate"}
HIDDEN = {"unit_id", "officer_id", "is_rate", "key", "depth"}
# Tables with one row per unit (or unit and category), shown in tree order.
UNIT_TABLES = ("units", "assessment", "cycle_units", "places", "letters")


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


def natural_key(text: str) -> tuple[tuple[Any, ...], ...]:
    """Sort key of a unit path: component by component, digits as numbers, so 第2分局
    sorts before 第10分局 and a unit right after its parent."""
    if (
        isinstance(text, str) and text.isdigit() and text.isascii()
    ):  # a badge number: what re.split would give
        return (("", int(text), ""),)
    return tuple(
        tuple(int(p) if i % 2 else p for i, p in enumerate(re.split(r"(\d+)", part)))
        for part in str(text).split("/")
    )


def _natural_keys(column: pd.Series) -> list[tuple[tuple[Any, ...], ...]]:
    """natural_key of every value (computed once per distinct value: names repeat)."""
    values = column.tolist()
    keys = {v: natural_key(v) for v in set(values)}
    return [keys[v] for v in values]


def _ordered(name: str, table: pd.DataFrame) -> pd.DataFrame:
    if table.empty:
        return table
    if name in UNIT_TABLES and "path" in table.columns:
        paths = _natural_keys(table["path"])
        order = sorted(range(len(table)), key=paths.__getitem__)
        return table.iloc[order].reset_index(drop=True)
    if name == "officers" and {"unit_name", "badge_no"} <= set(table.columns):
        keys = list(
            zip(_natural_keys(table["unit_name"]), _natural_keys(table["badge_no"]), strict=True)
        )
        order = sorted(range(len(table)), key=keys.__getitem__)
        return table.iloc[order].reset_index(drop=True)
    return table


def _labelled(table: pd.DataFrame) -> pd.DataFrame:
    changes = {
        c: table[c].astype(object).map(lambda v, m=m: m.get(v, v) if isinstance(v, str) else v)
        for c, m in CODE_LABELS.items()
        if c in table.columns
    }
    return table.assign(**changes) if changes else table


def young_weeks(week_starts: pd.Series, as_of_ms: int) -> pd.Series:
    """True for a week (given by its first day, 'YYYY-MM-DD') whose cases may still be in
    callback or rectification at `as_of_ms`: less than YOUNG_WORKDAYS working days have
    passed since its last day, so its callback and rectification rates are not final."""
    cal = WorkCalendar()
    flags = []
    for text in week_starts.astype(str):
        start = date.fromisoformat(text)
        last_day_end = (start - date(1970, 1, 1)).days * DAY_MS - SHANGHAI_OFFSET_MS + 7 * DAY_MS
        due, _ = cal.due_at(last_day_end - 1, YOUNG_WORKDAYS)
        flags.append(due > as_of_ms)
    return pd.Series(flags, index=week_starts.index, dtype=bool)


def display_tables(report: WeeklyReport) -> dict[str, pd.DataFrame]:
    """The report's tables as a clerk reads them: units and officers in tree order (by
    natural sort), codes as Chinese labels, young trend weeks marked."""
    tables = {name: _labelled(_ordered(name, t)) for name, t in report.tables().items()}
    trend = tables.get("trend")
    if trend is not None and "week_start" in trend.columns:
        young = young_weeks(trend["week_start"], report.generated_at_ms)
        tables["trend"] = trend.assign(young=young.map({True: "未满期", False: None}))
    return tables


def text_width(text: str) -> int:
    """Display width in Excel column units: CJK characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _csv_field(value: Any) -> Any:
    v = _cell(value)
    if v is None:
        return ""
    if isinstance(v, float):
        return int(v) if v.is_integer() else round(v, 4)
    return v


def _csv_column(column: pd.Series) -> list[Any]:
    """_csv_field of every value, a column at a time: numbers without a Python call per
    value, each distinct text neutralised once."""
    dtype = column.dtype
    if pd.api.types.is_float_dtype(dtype) and isinstance(dtype, np.dtype):
        return [
            "" if v != v else int(v) if v.is_integer() else round(v, 4)
            for v in column.to_numpy(np.float64).tolist()
        ]
    if isinstance(dtype, np.dtype) and (
        pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
    ):
        return list(column.tolist())
    seen: dict[str, Any] = {}
    out = []
    for v in column.astype(object).tolist():
        if type(v) is str:  # names repeat (unit names on every officer row)
            hit = seen.get(v)
            if hit is None:
                hit = seen[v] = _csv_field(v)
            out.append(hit)
        else:
            out.append(_csv_field(v))
    return out


def write_csv(
    report: WeeklyReport, out: Path, tables: dict[str, pd.DataFrame] | None = None
) -> list[Path]:
    """One CSV per table (UTF-8 with BOM, for Excel); empty fields where a rate has no
    denominator. Rates are fractions (0.9312). `tables`: the report's display_tables, if
    made already."""
    written = []
    for name, table in (tables if tables is not None else display_tables(report)).items():
        path = out / f"{name}.csv"
        columns = _visible(table)
        labels = LABELS
        if name == "summary" and hasattr(report, "assessment"):
            labels = {**LABELS, "this_week": "本期", "previous_week": "上期"}
        cells = [_csv_column(table[c]) for c in columns]
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow([labels.get(c, c) for c in columns])
            writer.writerows(zip(*cells, strict=True))
        written.append(path)
    return written


def write_xlsx(
    report: WeeklyReport, path: Path, tables: dict[str, pd.DataFrame] | None = None
) -> None:
    """report.xlsx: one sheet per table, ready to print (see the module docstring), rates
    as percentages with colour scales, red/black list rows coloured. `tables`: the report's
    display_tables, if made already."""
    # constant_memory: rows go to disk as they are written (a city has ~10,000 officers).
    wb = FastDeflateWorkbook(str(path), {"constant_memory": True})
    try:
        fmt = {
            "head": wb.add_format(
                {
                    "bold": True,
                    "bg_color": "#DDE4EE",
                    "border": 1,
                    "text_wrap": True,
                    "valign": "top",
                }
            ),
            "pct": wb.add_format({"num_format": "0.0%"}),
            "pp": wb.add_format({"num_format": POINTS_FORMAT}),
            "num": wb.add_format({"num_format": "0.##"}),
            "int": wb.add_format({"num_format": "0"}),
            "datetime": wb.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
            "date": wb.add_format({"num_format": "yyyy-mm-dd"}),
            "wrap": wb.add_format({"text_wrap": True, "valign": "top"}),
            "title": wb.add_format({"bold": True, "font_size": 14}),
            "red": wb.add_format({"bg_color": "#F8D7DA"}),
            "green": wb.add_format({"bg_color": "#D4EDDA"}),
        }
        # One format per tree depth: unit names indented under their parent.
        indents = [wb.add_format({"indent": i}) for i in range(8)]
        title = f"评警{_kind_name(report)} {report.week.describe()}  {report.scope}"
        shown = tables if tables is not None else display_tables(report)
        for name, table in shown.items():
            ws = wb.add_worksheet(SHEET_NAMES[name], TableWorksheet)
            if name == "summary":
                _summary_sheet(ws, report, table, fmt)
                _print_setup(ws, title, 5)
                continue
            if name == "units":
                main = [c for c in UNIT_SHEET_COLUMNS if c in table.columns]
                _table_sheet(ws, name, table[main], fmt, indents)
                _print_setup(ws, title, 0)
                ws = wb.add_worksheet(UNIT_COUNTS_SHEET, TableWorksheet)
                rest = [c for c in table.columns if c not in main and c != "depth"]
                counts = ["code", "name", "depth", *[c for c in COUNTS if c in table.columns]]
                _table_sheet(
                    ws, name, table[counts + [c for c in rest if c not in counts]], fmt, indents
                )
            else:
                if name in UNIT_TABLES[2:]:  # the intake's: names indented, no paths
                    table = table.drop(columns=["path"], errors="ignore")
                _table_sheet(ws, name, table, fmt, indents)
            _print_setup(ws, title, 0)
            if name == "red_black_list" and not table.empty:
                for text, colour in (("红榜", "green"), ("黑榜", "red")):
                    rule = {"type": "cell", "criteria": "==", "value": f'"{text}"'}
                    ws.conditional_format(1, 0, len(table), 0, {**rule, "format": fmt[colour]})
    finally:
        wb.close()


def _kind_name(report: WeeklyReport) -> str:
    return str(getattr(report, "kind_name", "周报"))


def _print_setup(ws: Worksheet, title: str, header_row: int) -> None:
    """Landscape A4, one page wide (as many pages tall as needed), the header row repeated
    on every page, gridlines printed, sheet name and page numbers in the footer."""
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(header_row)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.hide_gridlines(0)
    ws.set_header(f"&L&8{title.replace('&', '&&')}")
    ws.set_footer("&L&8工作表：&A&R&8第 &P 页 / 共 &N 页")


def _width(column: str, header: str, cells: list[Any], style: str | None) -> float:
    """A column width from its header (wrapped onto at most two lines) and its longest
    cell among the first thousand."""
    head = text_width(header)
    need = head if head <= 8 else max(8, math.ceil(head / 2))
    for v in cells[:1000]:
        if v is None:
            continue
        if style in ("pct", "num"):
            w = 7
        elif style == "pp":
            w = 14
        elif style == "datetime":
            w = 16
        elif style == "date":
            w = 10
        elif isinstance(v, float):
            w = len(f"{v:.0f}")
        else:
            w = text_width(str(v))
        need = max(need, w)
    return min(need + 2, MAX_WIDTH.get(column, 40))


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


def _column_cells(column: pd.Series, kind: str | None = None) -> tuple[str, list[Any]]:
    """(how to write, cell values) for one column: "number" (floats, None for missing),
    "datetime" (datetime objects) or "text" (neutralised strings)."""
    if kind in ("datetime", "date"):
        stamps = pd.to_datetime(column, errors="coerce")
        values = stamps.astype(object).where(stamps.notna(), None).tolist()
        return "datetime", [None if v is None else v.to_pydatetime() for v in values]
    if pd.api.types.is_bool_dtype(column.dtype):
        return "number", [float(v) for v in column.to_numpy()]
    if pd.api.types.is_numeric_dtype(column.dtype):
        values = column.astype("float64").to_numpy()
        if kind == "pp":
            values = values * 100  # the format says 个百分点: the cell holds points
        return "number", [None if math.isnan(v) else v for v in values.tolist()]
    cells = column.astype(object).where(column.notna(), None).tolist()
    return "text", [None if v is None else neutralise(str(v)) for v in cells]


def _style(column: str) -> str | None:
    if column in PERCENT or column in ("bad_rate", "baseline_rate"):
        return "pct"
    if column in PERCENT_CHANGE:
        return "pp"
    if column == "ratings_per_officer" or column in HOURS:
        return "num"
    if column == "days_overdue":
        return "int"
    if column in DATETIME_COLUMNS:
        return "datetime"
    if column in DATE_COLUMNS:
        return "date"
    if column in WRAP_COLUMNS:
        return "wrap"
    return None


def _table_sheet(
    ws: TableWorksheet, name: str, table: pd.DataFrame, fmt: dict[str, Any], indents: list[Any]
) -> None:
    columns = _visible(table)
    styles = [_style(c) for c in columns]
    # Column by column: decide once whether a column is numbers, times or text, convert it
    # in one pass, then write the rows as one block (tens of thousands of rows; see
    # analytics/xlsx_rows.py).
    prepared = [_column_cells(table[c], s) for c, s in zip(columns, styles, strict=True)]
    headers = [LABELS.get(c, c) for c in columns]
    widths = [
        _width(c, header, prepared[j][1], styles[j])
        for j, (c, header) in enumerate(zip(columns, headers, strict=True))
    ]
    for j, width in enumerate(widths):
        ws.set_column(j, j, width)
    wrapped = [j for j, st in enumerate(styles) if st == "wrap"]
    longest = max((text_width(h) for h in headers), default=0)
    ws.set_row(0, 30 if longest > 8 else None)
    for j, header in enumerate(headers):
        _write(ws, 0, j, header, fmt["head"])
    name_col = NAME_COLUMN.get(name)
    if name_col not in columns and name == "trend":
        name_col = "period_start"
    frozen = columns.index(name_col) + 1 if name_col in columns else 0
    ws.freeze_panes(1, frozen)
    depth = table["depth"].to_numpy() if "depth" in table.columns else None
    top = int(depth.min()) if depth is not None and len(depth) else 0
    heights: dict[int, float] = {}
    for i in range(len(table)) if wrapped else ():
        # Wrapped text gets the height it needs: LibreOffice and WPS do not grow a row
        # when they open a file.
        lines = max(
            math.ceil(text_width(str(prepared[j][1][i] or "")) / max(widths[j] - 3, 1))
            for j in wrapped
        )
        if lines > 1:
            heights[i] = 16 * lines + 2
    block = []
    for j, (how, cells) in enumerate(prepared):
        kind = styles[j]
        style = fmt[kind] if kind is not None else None
        if depth is not None and columns[j] == name_col:
            # Unit names indented under their parent.
            per_row = [indents[min(int(d) - top, len(indents) - 1)] for d in depth.tolist()]
            block.append(Column(how, cells, row_formats=per_row))
        else:
            block.append(Column(how, cells, style))
    ws.write_block(1, block, heights)
    last = len(table)
    ws.autofilter(0, 0, max(last, 1), max(len(columns) - 1, 0))
    if len(table) == 0:
        return
    for j, c in enumerate(columns):
        if c in RATE_NAMES:
            good, bad = "#63BE7B", "#F8696B"
            lo, hi = (good, bad) if c in HIGHER_IS_WORSE else (bad, good)
            ws.conditional_format(
                1, j, last, j, {"type": "2_color_scale", "min_color": lo, "max_color": hi}
            )
        elif c in PERCENT_CHANGE:
            worse = "<" if c.removesuffix("_wow") not in HIGHER_IS_WORSE else ">"
            ws.conditional_format(
                1, j, last, j, {"type": "cell", "criteria": worse, "value": 0, "format": fmt["red"]}
            )


def _summary_sheet(
    ws: Worksheet, report: WeeklyReport, table: pd.DataFrame, fmt: dict[str, Any]
) -> None:
    _write(ws, 0, 0, f"评警{_kind_name(report)} {report.week.describe()}", fmt["title"])
    _write(ws, 1, 0, f"范围：{report.scope}")
    _write(ws, 2, 0, f"生成时间（回访、整改等状态截至此刻）：{report.generated_at}")
    basic = "计入" if report.basic_counts_satisfied else "不计入"
    _write(ws, 3, 0, f"基本满意{basic}满意率；分母为 0 的比率留空；环比单位为个百分点")
    head = 5
    period = hasattr(report, "assessment")
    names = {**LABELS, "this_week": "本期", "previous_week": "上期"} if period else LABELS
    for j, c in enumerate(("metric", "this_week", "previous_week", "change")):
        _write(ws, head, j, names[c], fmt["head"])
    ws.set_column(0, 0, 22)
    ws.set_column(1, 2, 12)
    ws.set_column(3, 3, 16)
    ws.freeze_panes(head + 1, 1)
    for i, r in enumerate(table.itertuples(index=False), start=head + 1):
        style = fmt["pct"] if r.is_rate else None
        _write(ws, i, 0, r.metric)
        _write(ws, i, 1, r.this_week, style)
        _write(ws, i, 2, r.previous_week, style)
        change = r.change * 100 if r.is_rate else r.change
        _write(ws, i, 3, change, fmt["pp"] if r.is_rate else None)
    ws.autofilter(head, 0, head + max(len(table), 1), 3)

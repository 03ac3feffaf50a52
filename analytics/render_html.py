"""report.html: one self-contained page, charts as inline base64 PNG (matplotlib, Agg)."""

from __future__ import annotations

import base64
import html
import io
import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display; must precede pyplot

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from analytics.metrics import RATES  # noqa: E402
from analytics.render_tables import (  # noqa: E402
    LABELS,
    PERCENT,
    PERCENT_CHANGE,
    display_tables,
)
from analytics.report import WeeklyReport  # noqa: E402

CJK_PREFERENCE = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Serif CJK SC")
RATE_LABEL = {r.name: r.label for r in RATES}
TOP_UNITS = 20


class FontMissing(RuntimeError):
    """No CJK font for the charts (install fonts-noto-cjk)."""


def cjk_font() -> str:
    """The family name of an installed CJK font matplotlib can use."""
    names = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_PREFERENCE:
        if name in names:
            return name
    cjk = sorted(n for n in names if "CJK" in n)
    if cjk:
        return cjk[0]
    raise FontMissing("no CJK font found for the report charts; install fonts-noto-cjk")


def warm() -> None:
    """The charts' first-use work done now: the CJK font found and its file loaded (a
    report process does this while its reader process reads; render processes forked
    later inherit it). A missing font is reported when the page is written."""
    try:
        font = cjk_font()
    except FontMissing:
        return
    font_manager.get_font(font_manager.findfont(font_manager.FontProperties(family=[font])))


def _figure(width: float, height: float) -> tuple[Figure, Any]:
    # Figure objects, not pyplot: no global figure registry, so reports rendered in
    # threads (admin downloads) do not share state.
    fig = Figure(figsize=(width, height))
    return fig, fig.add_subplot()


def _png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _is_week(report: WeeklyReport) -> bool:
    return not hasattr(report, "assessment")


def _this(report: WeeklyReport) -> str:
    return "本周" if _is_week(report) else "本期"


def trend_chart(report: WeeklyReport, tables: dict[str, pd.DataFrame] | None = None) -> str:
    """The trend chart; `tables` are the report's display_tables (made here if not given)."""
    t = (tables if tables is not None else display_tables(report))["trend"]
    start_col = "week_start" if "week_start" in t.columns else "period_start"
    young = t["young"].notna().to_numpy() if "young" in t.columns else np.zeros(len(t), bool)
    fig, ax = _figure(8, 3.6)
    x = list(range(len(t)))
    if young.any():
        # Weeks whose callbacks and rectifications are still under way: shaded, hollow
        # markers, so a clerk does not read a young week's low rate as a fall.
        first = int(young.argmax())
        ax.axvspan(first - 0.5, len(t) - 0.5, color="#f0ad4e", alpha=0.15, lw=0)
        ax.text(first - 0.4, 3, "未满期：回访、整改仍在进行，比率未定", fontsize=8, color="#8a5a00")
    for name in ("satisfaction_rate", "callback_rate", "rectification_rate"):
        values = t[name] * 100
        (line,) = ax.plot(x, values, marker="o", label=RATE_LABEL[name])
        if young.any():
            ax.plot(
                [i for i in x if young[i]],
                values[young],
                linestyle="none",
                marker="o",
                markerfacecolor="white",
                markeredgecolor=line.get_color(),
            )
    ax.set_xticks(x, t[start_col].tolist())
    ax.set_ylabel("%")
    ax.set_ylim(0, 105)
    span = f"近{len(t)}周" if start_col == "week_start" else "本期逐周" if len(t) > 1 else "本期"
    if start_col != "week_start" and len(t) > 1 and t[start_col].str.endswith("-01").all():
        span = "本期逐月"
    ax.set_title(f"{span} 满意率 / 回访率 / 整改率")
    ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    ax.legend(loc="lower left", fontsize=8)
    ax.grid(alpha=0.3)
    return _png(fig)


def ranking_axis(rates_pct: pd.Series) -> tuple[float, float]:
    """The x-axis range of the ranking chart, zoomed to the data: units differ by a few
    points, which a 0–100 axis hides. Whole percents, padded, within 0–100 (the bars carry
    their value, and the axis label says where it starts)."""
    if not len(rates_pct):
        return 0.0, 100.0
    low, high = float(rates_pct.min()), float(rates_pct.max())
    pad = max(0.5, (high - low) * 0.15)
    return max(0.0, float(math.floor(low - pad))), min(100.0, float(math.ceil(high + 1.5 * pad)))


def reasons_chart(report: WeeklyReport) -> str:
    r = report.reasons
    labels = r["reason_label"].astype(str).tolist()
    fig, ax = _figure(6, 3)
    ax.barh(labels[::-1], r["bad_ratings"].tolist()[::-1], color="#d9534f")
    ax.set_title(f"{_this(report)}差评原因")
    ax.set_xlabel("差评数")
    return _png(fig)


def ranking_chart(report: WeeklyReport) -> str:
    u = report.units.dropna(subset=["satisfaction_rate"])
    u = u[u["depth"] == u["depth"].min() + 1] if (u["depth"] > u["depth"].min()).any() else u
    u = u.sort_values("satisfaction_rate").tail(TOP_UNITS)
    fig, ax = _figure(7, max(2.5, 0.32 * len(u) + 1))
    values = u["satisfaction_rate"] * 100
    bars = ax.barh(u["name"].astype(str), values, color="#5b8def")
    start, end = ranking_axis(values)
    ax.set_xlim(start, end)
    ax.bar_label(bars, labels=[f"{v:.1f}%" for v in values], fontsize=7, padding=2)
    ax.set_xlabel(f"满意率 %（横轴从 {start:.0f}% 起）" if start > 0 else "满意率 %")
    ax.set_title(f"单位满意率排名（{_this(report)}）")
    return _png(fig)


def _fmt(column: str, value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if column in PERCENT or column in ("bad_rate", "baseline_rate"):
        return f"{value:.1%}"
    if column in PERCENT_CHANGE:
        return f"{value * 100:+.1f} 个百分点"
    if isinstance(value, float):
        return f"{value:.2f}" if not value.is_integer() else str(int(value))
    return html.escape(str(value))


def _table(frame: pd.DataFrame, columns: list[str], limit: int | None = None) -> str:
    rows = frame[columns] if limit is None else frame[columns].head(limit)
    head = "".join(f"<th>{html.escape(LABELS.get(c, c))}</th>" for c in columns)
    body = "".join(
        "<tr>"
        + "".join(f"<td>{_fmt(c, v)}</td>" for c, v in zip(columns, r, strict=True))
        + "</tr>"
        for r in rows.itertuples(index=False)
    )
    empty = "" if len(rows) else f'<tr><td colspan="{len(columns)}">（无）</td></tr>'
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{body}{empty}</tbody></table>"
    return f"<div class='wide'>{table}</div>"  # wide tables scroll on a phone, not the page


STYLE = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:24px;color:#222}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{border:1px solid #ccc;padding:3px 6px;text-align:right}
th{background:#eef2f7}td:first-child,th:first-child{text-align:left}
.meta{color:#555}img{max-width:100%;height:auto}
.wide{overflow-x:auto}
@media (max-width:600px){body{margin:8px}table{font-size:12px}}
"""


def summary_table(report: WeeklyReport) -> str:
    rows = []
    for r in report.summary.itertuples(index=False):
        vals = (r.this_week, r.previous_week, r.change)
        if r.is_rate:
            cells = [_fmt("satisfaction_rate", v) for v in vals[:2]]
            cells.append(_fmt("satisfaction_rate_wow", vals[2]))
        else:
            cells = [_fmt("", v) for v in vals]
        rows.append(
            f"<tr><td>{html.escape(r.metric)}</td>" + "".join(f"<td>{c}</td>" for c in cells)
        )
    this, before = ("本周", "上周") if _is_week(report) else ("本期", "上期")
    head = f"<tr><th>指标</th><th>{this}</th><th>{before}</th><th>环比</th></tr>"
    table = f"<table><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"
    return f"<div class='wide'>{table}</div>"


_CYCLE_COLUMNS = ["received", "closed", "cycle_median_hours", "cycle_p90_hours"]
_CYCLE_COLUMNS += ["intake_closure_rate", "same_day_closure_rate", "intake_reply_rate"]
_CYCLE_COLUMNS += ["callback_on_time_rate", "verify_on_time_rate", "rectify_on_time_rate"]
_CYCLE_COLUMNS += ["close_on_time_rate"]
EXTRA_SECTIONS = {
    "cycle_channels": ("办理周期与办结（按渠道）", ["channel", *_CYCLE_COLUMNS]),
    "cycle_units": ("办理周期与办结（按单位，前 60 行）", ["path", *_CYCLE_COLUMNS]),
    "places": (
        "场所评价（单位码，只计单位，不计民警；前 60 行）",
        ["path", "place_ratings", "place_satisfaction_rate", "place_good_rate", "place_bad_rate"],
    ),
    "letters": (
        "局长信箱来信（按单位与类别，前 60 行）",
        ["path", "category", "letters", "letters_replied", "letter_reply_rate"],
    ),
    "topics": (
        "话题分析（前 60 行）",
        ["topic_name", "unit_path", "items", "bad", "bad_share", "items_change", "emerging"],
    ),
    "duplicates": (
        "重复诉求（前 60 条）",
        ["group", "size", "people", "channels", "item", "unit_path", "opened", "excerpt"],
    ),
    "participation": (
        "参评率",
        ["path", "services", "ratings", "participation", "satisfaction_rate", "flag"],
    ),
    "spotcheck": (
        "抽查回访与快速提交",
        [
            "path",
            "ratings",
            "fast_share",
            "satisfaction_rate",
            "reached",
            "verified_rate",
            "not_confirmed_share",
            "spot_flag",
        ],
    ),  # fmt: skip
    "supervisors": (
        "警风监督员报告（按民警所在单位）",
        ["path", "supervisor_reports", "verified", "substantiated", "substantiation_rate"],
    ),
}


def _extra_sections(report: WeeklyReport, shown: dict[str, pd.DataFrame]) -> list[str]:
    """Headings and tables for the report's `extra` tables (intake, integrity), as shown."""
    out = []
    for name, (title, columns) in EXTRA_SECTIONS.items():
        table = shown.get(name) if name in report.extra else None
        if table is not None:
            out += [f"<h2>{title}</h2>", _table(table, columns, limit=60)]
    return out


def write_html(
    report: WeeklyReport, path: Path, tables: dict[str, pd.DataFrame] | None = None
) -> None:
    """Write the self-contained HTML report (no external requests). `tables`: the report's
    display_tables, if made already."""
    font = cjk_font()
    # The same value every time, so setting it process-wide is safe across threads.
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = [font]
    # Unit and officer names are text, never mathtext: `$\frac{a$分局` once failed the
    # whole report (and the admin download with a 500).
    matplotlib.rcParams["text.parse_math"] = False
    tables = tables if tables is not None else display_tables(report)
    charts = [trend_chart(report, tables), reasons_chart(report), ranking_chart(report)]
    kind = str(getattr(report, "kind_name", "周报"))
    assessment = []
    if "assessment" in tables:
        assess_cols = ["path", "level_label", "items", "reply_rate", "closure_rate"]
        assess_cols += ["assessment_satisfaction", "score_total", "peer_rank", "peers"]
        assessment = [
            "<h2>巨好办考核（回复率、办结率、满意度，同级排名）</h2>",
            _table(tables["assessment"], assess_cols),
        ]
    rates = ["satisfaction_rate", "bad_rate", "callback_rate", "rectification_rate"]
    unit_cols = ["path", "valid", *rates, "satisfaction_rate_wow", "ratings_per_officer"]
    basic = "计入" if report.basic_counts_satisfied else "不计入"
    imgs = [f'<img alt="chart" src="data:image/png;base64,{c}">' for c in charts]
    parts = [
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>评警{kind} {html.escape(report.week.label)}</title><style>{STYLE}</style>",
        "</head><body>",
        f"<h1>评警{kind} {html.escape(report.week.describe())}</h1>",
        f"<p class='meta'>范围：{html.escape(report.scope)}；生成时间："
        f"{html.escape(report.generated_at)}（回访、整改等状态截至此刻）；基本满意{basic}满意率；"
        "分母为 0 的比率留空。</p>",
        "<h2>汇总</h2>",
        summary_table(report),
        "<h2>趋势</h2>",
        imgs[0],
        "<h2>差评原因</h2>",
        imgs[1],
        "<h2>单位排名</h2>",
        imgs[2],
        "<h2>单位</h2>",
        _table(tables["units"], unit_cols),
        *assessment,
        "<h2>红黑榜</h2>",
        _table(
            report.red_black,
            ["list", "peer_group", "rank", "who", "valid", "score", "satisfaction_rate"]
            + ["bad_rate"],
        ),
        "<h2>预警</h2>",
        _table(report.warnings, ["kind", "level", "who", "detail"]),
        *_extra_sections(report, tables),
        "<h2>逾期（前 50 条）</h2>",
        _table(
            tables["overdue"],
            ["item", "ref", "stage", "unit_path", "due", "days_overdue"],
            limit=50,
        ),
        "<h2>指标定义</h2>",
        _table(tables["definitions"], ["section", "rate", "numerator", "denominator", "note"]),
        "</body></html>",
    ]
    path.write_text("\n".join(parts), encoding="utf-8")

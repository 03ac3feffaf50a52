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

import pandas as pd  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from analytics.metrics import RATES  # noqa: E402
from analytics.render_tables import LABELS, PERCENT, PERCENT_CHANGE  # noqa: E402
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


def _figure(width: float, height: float) -> tuple[Figure, Any]:
    # Figure objects, not pyplot: no global figure registry, so reports rendered in
    # threads (admin downloads) do not share state.
    fig = Figure(figsize=(width, height))
    return fig, fig.add_subplot()


def _png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def trend_chart(report: WeeklyReport) -> str:
    t = report.trend
    fig, ax = _figure(8, 3.6)
    x = list(range(len(t)))
    for name in ("satisfaction_rate", "callback_rate", "rectification_rate"):
        ax.plot(x, t[name] * 100, marker="o", label=RATE_LABEL[name])
    ax.set_xticks(x, t["week_start"].tolist())
    ax.set_ylabel("%")
    ax.set_ylim(0, 105)
    ax.set_title("近12周 满意率 / 回访率 / 整改率")
    ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    ax.legend(loc="lower left", fontsize=8)
    ax.grid(alpha=0.3)
    return _png(fig)


def reasons_chart(report: WeeklyReport) -> str:
    r = report.reasons
    labels = r["reason_label"].astype(str).tolist()
    fig, ax = _figure(6, 3)
    ax.barh(labels[::-1], r["bad_ratings"].tolist()[::-1], color="#d9534f")
    ax.set_title("本周差评原因")
    ax.set_xlabel("差评数")
    return _png(fig)


def ranking_chart(report: WeeklyReport) -> str:
    u = report.units.dropna(subset=["satisfaction_rate"])
    u = u[u["depth"] == u["depth"].min() + 1] if (u["depth"] > u["depth"].min()).any() else u
    u = u.sort_values("satisfaction_rate").tail(TOP_UNITS)
    fig, ax = _figure(7, max(2.5, 0.32 * len(u) + 1))
    ax.barh(u["name"].astype(str), u["satisfaction_rate"] * 100, color="#5b8def")
    ax.set_xlim(0, 100)
    ax.set_xlabel("满意率 %")
    ax.set_title("单位满意率排名（本周）")
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
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}{empty}</tbody></table>"


STYLE = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:24px;color:#222}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{border:1px solid #ccc;padding:3px 6px;text-align:right}
th{background:#eef2f7}td:first-child,th:first-child{text-align:left}
.meta{color:#555}img{max-width:100%}
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
    head = "<tr><th>指标</th><th>本周</th><th>上周</th><th>环比</th></tr>"
    return f"<table><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"


EXTRA_SECTIONS = {
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
}


def _extra_sections(report: WeeklyReport) -> list[str]:
    """Headings and tables for the tables analytics.integrity adds."""
    out = []
    for name, (title, columns) in EXTRA_SECTIONS.items():
        table = report.extra.get(name)
        if table is not None:
            out += [f"<h2>{title}</h2>", _table(table, columns, limit=60)]
    return out


def write_html(report: WeeklyReport, path: Path) -> None:
    """Write the self-contained HTML report (no external requests)."""
    font = cjk_font()
    # The same value every time, so setting it process-wide is safe across threads.
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = [font]
    charts = [trend_chart(report), reasons_chart(report), ranking_chart(report)]
    rates = ["satisfaction_rate", "bad_rate", "callback_rate", "rectification_rate"]
    unit_cols = ["path", "valid", *rates, "satisfaction_rate_wow", "ratings_per_officer"]
    basic = "计入" if report.basic_counts_satisfied else "不计入"
    imgs = [f'<img alt="chart" src="data:image/png;base64,{c}">' for c in charts]
    parts = [
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>",
        f"<title>评警周报 {html.escape(report.week.label)}</title><style>{STYLE}</style>",
        "</head><body>",
        f"<h1>评警周报 {html.escape(report.week.describe())}</h1>",
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
        _table(report.units, unit_cols),
        "<h2>红黑榜</h2>",
        _table(
            report.red_black,
            ["list", "level", "rank", "who", "valid", "score", "satisfaction_rate", "bad_rate"],
        ),
        "<h2>预警</h2>",
        _table(report.warnings, ["kind", "level", "who", "detail"]),
        *_extra_sections(report),
        "<h2>逾期（前 50 条）</h2>",
        _table(
            report.overdue, ["item", "ref", "stage", "unit_path", "due", "days_overdue"], limit=50
        ),
        "<h2>指标定义</h2>",
        _table(report.definitions, ["rate", "numerator", "denominator"]),
        "</body></html>",
    ]
    path.write_text("\n".join(parts), encoding="utf-8")

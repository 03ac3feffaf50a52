"""The 指标定义 sheet: every formula and rule, in the report itself.

A clerk holding only the workbook (or the printed page) must be able to check every figure:
the formulas of the rates, which items a period holds (cohort), which moment the follow-up
states are read at, how the red and black lists and the warnings are made, and how overdue
is counted. The thresholds are read from the modules that apply them, so the text cannot
drift from the code.
"""

from __future__ import annotations

import pandas as pd

from analytics import alerts, lists
from analytics.cycle import CYCLE_RATES
from analytics.intake import PLACE_RATES
from analytics.metrics import RATES

# Plain-language names of the counts that make up the rates.
COUNT_NAMES = {
    "valid": "有效评价（评价数 − 误评/恶意；修改过的评价只计一次）",
    "good": "好评（5 非常满意 + 4 满意）",
    "bad": "差评（2 不满意 + 1 非常不满意，有效评价中）",
    "cb_done": "差评已回访（回访时间不晚于生成时刻）",
    "wo_cb_done": "已办结工单已回访（记录了回访时间或结果）",
    "cb_due": "应回访差评（全部差评，含后经核实为误评/恶意者）",
    "wo_cb_due": "已办结工单（应回访）",
    "cb_reached": "差评回访联系上本人",
    "wo_cb_reached": "工单回访联系上本人",
    "wo_satisfied": "工单回访答“满意”或“基本满意”",
    "rectified": "案件已整改（整改完成时间不晚于生成时刻）",
    "wo_rectified": "工单已整改",
    "substantiated": "案件核实为属实或部分属实",
    "wo_substantiated": "工单核实为属实或部分属实",
    "rectified_on_time": "案件在整改期限内完成整改",
    "wo_closed_on_time": "工单在办理期限内办结",
    "wo_ontime_due": "已办结或期限已过的工单",
    "fix_ok": "“问题解决了吗”答满意或基本满意",
    "fix_answered": "“问题解决了吗”已回答",
    "wo_cb_answered": "工单回访联系上本人且记录了满意度答复（不论是否办结）",
    "wo_due_sla": "期限取自类别时限表的工单",
    # Handling cycle and closure (analytics.cycle): cases of every source + work orders.
    "received": "本期受理的案件和工单",
    "closed": "其中截至生成时刻已办结",
    "day_ended": "受理当日已结束（北京时间 24:00 早于生成时刻）的案件和工单",
    "closed_same_day": "其中在受理当日 24:00 前办结",
    "dispatched": "已派发（工单：热线派来的每一件；案件：已派发承办单位）",
    "replied": "其中截至生成时刻已回复（工单：已办结回复；案件：承办单位已书面回复）",
    "callback_step_due": "回访期限已到或已回访的案件",
    "callback_step_on_time": "其中在回访期限内回访",
    "verify_step_due": "核实期限已到或已核实的案件",
    "verify_step_on_time": "其中在核实期限内核实",
    "rectify_step_due": "属实且整改期限已到或已整改的案件",
    "rectify_step_on_time": "其中在整改期限内整改",
    "close_step_due": "办结期限已到或已办结的案件和工单",
    "close_step_on_time": "其中在办结期限内办结",
    "place_ratings": "本期场所评价（扫单位码，只计单位，不计任何民警）",
    "place_satisfied": "场所评价中的满意（同评价满意口径）",
    "place_good": "场所评价中的好评（5 + 4）",
    "place_bad": "场所评价中的差评（2 + 1）",
}

RATE_NOTES = {
    "callback_rate": "差评和已办结工单都要回访；误评/恶意要靠回访才能发现，所以仍计入分母",
    "effective_callback_rate": "只计联系上本人的回访",
    "hotline_satisfaction": "分母为回访联系上本人且记录了满意度答复的工单（不论是否办结）",
    "ontime_closure_rate": "每件工单都有期限：来源给出的期限，否则按类别的时限（SLA）",
    "intake_closure_rate": "按渠道和单位（含下级）；截至生成时刻的状态",
    "same_day_closure_rate": "日办结率：受理当日 24:00（北京时间）前办结；受理日未过完的不计",
    "intake_reply_rate": (
        "工单的回复即其办结回复；案件自派单功能启用后按承办单位的书面回复计，此前无派发案件"
    ),
    "close_on_time_rate": (
        "工单按办理时限；案件属实的按整改期限，其余按核实后的办结期限（派单功能启用后按类别时限）"
    ),
}

CYCLE_RULES = [
    (
        "办理周期",
        "办理周期（小时）",
        "受理（案件开案、工单受理时间）至办结的小时数；只计截至生成时刻已办结的案件和工单，"
        "取中位数和 90% 分位数（线性插值），按渠道和单位（含下级单位）分别计算；无办结则留空。",
    ),
    (
        "办理周期",
        "归属与范围",
        "按受理时间归入本期；案件包括各种来源（差评及派单功能启用后的来信、单位码留言等），"
        "渠道为差评的评价渠道或案件来源；单位未匹配的事项只计入渠道表。",
    ),
    (
        "场所评价",
        "场所评价",
        "扫单位码对场所服务的评价，计入该单位及其上级直至市局，从不计入任何民警；"
        "满意、好评、差评的等级口径同民警评价。",
    ),
    (
        "局长信箱",
        "来信",
        "本期写给局长信箱的来信，按单位（含下级）和类别计数；写给全局（未指定单位）的来信"
        "计入市局；已答复 = 截至生成时刻已有书面答复。",
    ),
]


def _satisfied(basic_counts_satisfied: bool) -> str:
    if basic_counts_satisfied:
        return "满意（5 非常满意 + 4 满意 + 3 基本满意，有效评价中）"
    return "满意（5 非常满意 + 4 满意，有效评价中；基本满意不计）"


def _list_rules() -> list[tuple[str, str, str]]:
    """The red/black list rule in the lists module's own words."""
    return [("红黑榜", str(title), str(text)) for title, text in lists.rule_text()]


def _rules(period: str) -> list[tuple[str, str, str]]:
    """(section, name, text) of every rule that is not a single formula."""
    z = f"{lists.Z95:.2f}"
    wilson = f"(p + z²/2n − z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n)，p = k/n，z = {z}（95%）"
    return [
        (
            "口径",
            "归属期（队列）",
            f"每条评价按评价时间、每件工单按受理时间归入所在的{period}；"
            "周为北京时间周一 0:00 至周日 24:00（起始日可配置），只统计该期内产生的事项。",
        ),
        (
            "口径",
            "截至时刻",
            "回访时间与结果、核实、误评/恶意认定、整改、办结、整改回评及工单各字段，"
            "一律按“生成时间”（见汇总表）那一刻的状态计算；此后发生的步骤不计入。"
            "同一时刻再次生成，结果相同。",
        ),
        ("口径", "分母为 0", "比率留空（不是 0%）；计数为 0 时显示 0。"),
        (
            "口径",
            "环比",
            "本期比率 − 上期比率（上期为紧接在前、长度相同的一期），单位为“个百分点”；"
            "任一期分母为 0 时留空。",
        ),
        (
            "口径",
            "单位汇总",
            "单位一行含其全部下级单位；比率由汇总后的计数计算，不是下级比率的平均。"
            "单位未匹配但民警已匹配的工单计入该民警所在单位。",
        ),
        (
            "口径",
            "人均评价",
            "单位（含下级）在岗民警的有效评价数 ÷ 在岗民警数。",
        ),
        (
            "红黑榜",
            "参评门槛",
            f"同级比较：民警与民警比，单位与同层级单位比（分局与分局、派出所与派出所）。"
            f"单位本期有效评价至少 {lists.MIN_VALID_UNIT} 条、民警至少 "
            f"{lists.MIN_VALID_OFFICER} 条才参评；同一对象不会同时上红榜和黑榜。",
        ),
        (
            "红黑榜",
            "红榜",
            f"按满意率的 Wilson 置信下限由高到低取前 {lists.LIST_SIZE} 名"
            f"（k = 满意，n = 有效评价）。",
        ),
        (
            "红黑榜",
            "黑榜",
            f"至少有 1 条差评者，按差评率的 Wilson 置信下限由高到低取前 {lists.LIST_SIZE} 名"
            f"（k = 差评，n = 有效评价）。",
        ),
        ("红黑榜", "Wilson 置信下限", wilson + "。样本少的结论更不确定，排名因此靠后。"),
        (
            "预警",
            "差评率高于基线",
            f"本周有效评价 n 中差评 x 条；基线差评率 p₀ = (基线差评 + 1) / (基线有效评价 + 2)，"
            f"取本周之前 {alerts.BASELINE_WEEKS} 周。基线有效评价至少 "
            f"{alerts.BASELINE_MIN_VALID} 条、x ≥ {alerts.MIN_BAD}，且单侧精确二项检验 "
            f"P(X ≥ x | n, p₀) < {alerts.P_THRESHOLD} 时预警。",
        ),
        (
            "预警",
            "集中好评",
            f"同一设备或同一网络在 {alerts.BURST_WINDOW_MS // 60000} 分钟内给同一民警 "
            f"至少 {alerts.BURST_MIN} 个“非常满意”（疑似刷好评）；设备与网络标识只保留"
            "较短时间，过期后无法检查。",
        ),
        (
            "预警",
            "逾期",
            "每件未办结事项都有当前环节（回访、未联系上后的再次回访、核实、整改、回复、办结）"
            "的期限；截至生成时刻已过期限的列入“逾期”表和预警。单位未匹配的逾期事项列在"
            "“单位未匹配”下。",
        ),
        (
            "期限",
            "办理时限（SLA）",
            "来源未给期限时按本局的类别时限表（默认：紧急 2 小时，咨询当日，公共服务 "
            "2 个工作日，其他 7 个工作日）；差评属实的整改期限 5–15 个工作日。",
        ),
        (
            "期限",
            "逾期工作日",
            "期限所在日之后至生成当日（含）的工作日数，按整日计；不足一个工作日记 0。"
            "工作日按国家法定节假日和调休安排（局内可调整）；超出已知日历的年份按周一至周五"
            "减法定节日计算，并标“暂定”。",
        ),
        (
            "时间",
            "时区",
            "所有时间均为北京时间（Asia/Shanghai），表格中的时间为 Excel 日期时间，可排序筛选。",
        ),
    ]


ASSESSMENT_RULES = [
    (
        "巨好办考核",
        "诉求件数",
        "本期受理的工单 + 本期的差评（每条差评都开案件），归属其单位并逐级汇总。",
    ),
    (
        "巨好办考核",
        "回复率",
        "已回复 ÷ 诉求件数；已回复 = 工单已办结或已回访，案件已回访（截至生成时刻）。",
    ),
    (
        "巨好办考核",
        "办结率",
        "已办结 ÷ 诉求件数；已办结 = 工单已办结，案件已回访且（不属实，或属实已整改）。",
    ),
    (
        "巨好办考核",
        "满意度",
        "（有效评价中的满意 + 工单回访答满意/基本满意 + 整改后回评满意/基本满意）÷"
        "（有效评价 + 工单回访联系上 + 整改后已回评）。",
    ),
    (
        "巨好办考核",
        "综合得分与同级排名",
        "综合得分 = 回复率、办结率、满意度的平均（等权；缺项不计）；只与同一层级的单位"
        "比较（分局级与分局级，所队级与所队级），本期无诉求的单位不排名；得分相同名次相同。",
    ),
]


def definitions(basic_counts_satisfied: bool, period: str = "周") -> pd.DataFrame:
    """The 指标定义 table: one row per rate (formula), then one per rule."""
    names = {**COUNT_NAMES, "satisfied": _satisfied(basic_counts_satisfied)}
    rows: list[dict[str, str | None]] = []
    for r in (*RATES, *CYCLE_RATES, *PLACE_RATES):
        rows.append(
            {
                "section": "比率",
                "rate": r.label,
                "numerator": " + ".join(names.get(c, c) for c in r.numerator),
                "denominator": " + ".join(names.get(c, c) for c in r.denominator),
                "note": RATE_NOTES.get(r.name),
            }
        )
    rows[0]["note"] = (
        "基本满意计入满意" if basic_counts_satisfied else "基本满意不计入满意（本局设置）"
    )
    rules = _rules(period)
    # the lists module's own words replace ours
    rules = [r for r in rules if r[0] != "红黑榜"] + _list_rules()
    rules += CYCLE_RULES
    rules += ASSESSMENT_RULES if period != "周" else []
    for section, name, text in rules:
        rows.append(
            {"section": section, "rate": name, "numerator": None, "denominator": None, "note": text}
        )
    return pd.DataFrame(rows, columns=["section", "rate", "numerator", "denominator", "note"])

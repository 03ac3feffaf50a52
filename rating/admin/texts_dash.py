"""Texts of the dashboard, the case queue, the callback script and the admin error page.

Registered into rating.admin.texts' table (its `_TEXT.update(TEXT)`), so the templates
reach them as `t.<key>` like every other admin text: {key: (Chinese, English)}.
"""

from __future__ import annotations

import re
from typing import Any

TEXT: dict[str, tuple[str, str]] = {
    # Navigation
    "nav_dashboard": ("概览", "Dashboard"),
    "nav_mine": ("我的案件", "My cases"),
    "nav_unassigned": ("待分配", "Unassigned"),
    "skip_to_main": ("跳到正文", "Skip to content"),
    # Dashboard
    "dash_title": ("工作概览", "Dashboard"),
    "dash_scope_bureau": ("全局", "Whole bureau"),
    "dash_week": (
        "本周 {start} 至 {end}，与上周对比",
        "This week, {start} to {end}, against last week",
    ),
    "dash_this_week": ("本周", "This week"),
    "dash_last_week": ("上周", "Last week"),
    "dash_trend": ("近 12 周", "Last 12 weeks"),
    "dash_ratings": ("评价数", "Ratings"),
    "dash_satisfaction": ("满意率", "Satisfaction"),
    "dash_bad": ("差评数", "Bad ratings"),
    "dash_callback_rate": ("差评回访率", "Callback rate (bad ratings)"),
    "dash_rectify_rate": ("整改率", "Rectification rate"),
    "dash_open": ("在办案件（按当前环节）", "Open cases by step"),
    "dash_step": ("环节", "Step"),
    "dash_count": ("在办", "Open"),
    "dash_overdue": ("超期", "Overdue"),
    "dash_total": ("合计", "Total"),
    "dash_no_open": ("没有在办案件", "No open cases"),
    "dash_top_units": ("超期最多的单位", "Units with the most overdue cases"),
    "dash_no_overdue": ("没有超期案件", "No overdue cases"),
    "dash_warnings": ("预警", "Warnings"),
    "dash_no_warnings": ("本周暂无预警", "No warnings this week"),
    "dash_jump": (
        "{unit}：本周差评率 {rate}（{bad}/{valid}），高于近 8 周基线 {base}",
        "{unit}: bad rate {rate} this week ({bad} of {valid}), above its 8-week baseline {base}",
    ),
    "dash_burst_device": (
        "{name}（{badge}）：同一设备 {n} 条非常满意，{first} 至 {last}",
        "{name} ({badge}): {n} top ratings from one device, {first} to {last}",
    ),
    "dash_burst_network": (
        "{name}（{badge}）：同一网络 {n} 条非常满意，{first} 至 {last}",
        "{name} ({badge}): {n} top ratings from one network, {first} to {last}",
    ),
    "dash_spark": ("{name}近 12 周：{values}", "{name}, last 12 weeks: {values}"),
    "dash_na": ("—", "—"),
    # Case queue
    "queue_all": ("全部案件", "All cases"),
    "queue_mine": ("我承办的", "My cases"),
    "queue_unassigned": ("本范围待分配", "Unassigned in my scope"),
    "queue_views": ("案件视图", "Case views"),
    "select_case": ("选择案件 #{id}", "Select case #{id}"),
    "bulk_assign": ("分配所选案件", "Assign the selected cases"),
    "assign_to": ("承办人", "Handler"),
    "assign_me": ("我", "Me"),
    "assign_submit": ("分配", "Assign"),
    "assigned_n": ("已分配 {n} 件案件给 {name}。", "Assigned {n} case(s) to {name}."),
    "assign_none": ("请先勾选要分配的案件。", "Tick the cases to assign first."),
    "left_days": ("还剩 {n} 天", "{n} day(s) left"),
    "left_hours": ("还剩 {n} 小时", "{n} hour(s) left"),
    "left_minutes": ("还剩 {n} 分钟", "{n} minute(s) left"),
    "late_days": ("逾期 {n} 天", "{n} day(s) overdue"),
    "late_hours": ("逾期 {n} 小时", "{n} hour(s) overdue"),
    "late_minutes": ("逾期 {n} 分钟", "{n} minute(s) overdue"),
    "col_select": ("选择", "Select"),
    "page_n": ("第 {n} 页", "Page {n}"),
    # Case detail: the phone shown once after a reveal, the callback script
    "phone_shown_once": (
        "完整号码仅显示这一次，刷新后不再显示；查看已记录。",
        "The full number is shown this once and not after a reload; the view is logged.",
    ),
    "script_title": ("回访话术", "Callback script"),
    "script_say": ("开场白", "What to say"),
    "script_intro": (
        "您好，我是{unit}的工作人员。您在 {date} 对民警 {officer} 的服务作出了“{level}”的评价，"
        "我们想了解具体情况，耽误您几分钟可以吗？",
        "Hello, I am calling from {unit}. On {date} you rated officer {officer}'s service "
        "“{level}”. We would like to hear what happened; do you have a few minutes?",
    ),
    "script_ask": ("要问的问题", "Questions to ask"),
    "script_q1": ("当时办理的是什么事情？在哪里？", "What matter was it, and where?"),
    "script_q2": ("具体哪里让您不满意？", "What exactly were you dissatisfied with?"),
    "script_q3": (
        "问题现在解决了吗？您希望我们怎么处理？",
        "Is it resolved now? What would you like us to do?",
    ),
    "script_q4": (
        "我们核实整改后再联系您，方便吗？",
        "May we call you again once we have checked and fixed it?",
    ),
    "script_rating": ("群众的评价", "The citizen's rating"),
    "script_reasons": ("所选原因", "Reasons chosen"),
    "script_close": (
        "结束语：感谢您的监督，我们会认真核实，处理结果会再告知您。",
        "To close: thank you for telling us; we will check and let you know the outcome.",
    ),
    # Error page
    "err_title_403": ("无权访问", "Access denied"),
    "err_title_404": ("页面不存在", "Page not found"),
    "err_title_other": ("出错了", "Something went wrong"),
    "err_back": ("返回概览", "Back to the dashboard"),
}

# Audit actions that are not case-state actions (rating.cases.model.ACTION_LABELS has those).
AUDIT_LABELS: dict[str, tuple[str, str]] = {
    "assign": ("分配承办人", "Handler assigned"),
}

# Rating channels and officer kinds as words (the officer page and case pages showed codes).
CHANNEL_LABELS: dict[str, tuple[str, str]] = {
    "badge": ("警号牌扫码", "Badge QR code"),
    "kiosk": ("窗口评价器", "Service-window tablet"),
    "web": ("网页", "Web"),
}
KIND_LABELS: dict[str, tuple[str, str]] = {
    "police": ("民警", "Police officer"),
    "auxiliary": ("辅警", "Auxiliary officer"),
}


def countdown(due_ms: int, now_ms: int, t: dict[str, str]) -> str:
    """ "还剩 2 天" / "逾期 3 小时": the time to a deadline, in the largest whole unit."""
    delta = due_ms - now_ms
    kind = "left" if delta >= 0 else "late"
    span = abs(delta)
    for unit, ms in (("days", 86_400_000), ("hours", 3_600_000)):
        if span >= ms:
            return t[f"{kind}_{unit}"].format(n=span // ms)
    return t[f"{kind}_minutes"].format(n=max(1, span // 60_000))


_CODED_NOTE = re.compile(r"\[([a-z_]+)\] ?(.*)", re.S)


def audit_note(action: str, note: str, labels: dict[str, dict[Any, str]], sep: str) -> str:
    """An audit entry's note with its codes as words: "[reached] ..." (a callback's outcome,
    a verification's finding) and a citizen's answer about the fix."""
    if action == "fix_rating":
        return labels["fix_labels"].get(note, note)
    m = _CODED_NOTE.fullmatch(note or "")
    if m is None:
        return note
    code, rest = m.group(1), m.group(2)
    table = labels["outcome_labels"] if action == "callback" else labels["verification_labels"]
    word = table.get(code) or labels["outcome_labels"].get(code)
    if word is None:
        return note
    return f"{word}{sep}{rest}" if rest else word

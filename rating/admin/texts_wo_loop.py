"""Texts of the work-order list and its take-in into the case loop (issue 18, item 4),
kept apart from the shared table in rating/admin/texts.py."""

from __future__ import annotations

from rating.i18n import LANGS, by_lang
from rating.workorders.schema import CODES

_TEXT: dict[str, tuple[str, str]] = {
    "title": ("热线工单", "Hotline work orders"),
    "orders_link": ("工单列表与转入", "Orders and take-in"),
    "import_link": ("工单导入", "Import"),
    "filter": ("筛选", "Filter"),
    "any": ("全部", "All"),
    "taken": ("是否转入", "In the loop"),
    "taken_yes": ("已转入", "Taken in"),
    "taken_no": ("未转入", "Not taken in"),
    "hotline_state": ("热线状态", "Hotline status"),
    "hotline_open": ("热线未办结", "Open at the hotline"),
    "hotline_closed": ("热线已办结", "Closed by the hotline"),
    "order_no": ("工单编号", "Order number"),
    "received": ("受理时间", "Received"),
    "type": ("诉求类型", "Type"),
    "category": ("诉求分类", "Category"),
    "unit": ("承办单位（热线）", "Unit (hotline)"),
    "case": ("案件", "Case"),
    "pick": ("选择", "Select"),
    "read_only": ("只读", "Read-only"),
    "take_one": ("转入", "Take in"),
    "take_many": ("转入所选工单", "Take the selected orders in"),
    "take_closed": (
        "包括热线已办结的工单（明确转入，按本地流程继续办理）",
        "Include orders the hotline closed (taken in explicitly, worked locally)",
    ),
    "take_hint": (
        "转入后生成“热线工单”来源的案件：按诉求分类的时限（时限表）计算期限，进入待派发，之后与其他案件一样派发、回复、回访、办结。重新导入热线数据只更新热线字段，不会覆盖本地办理。",
        "A taken-in order becomes a case of source “hotline work order”, due by its "
        "category's SLA, awaiting dispatch; it is then dispatched, replied, called back and "
        "closed like any case. Re-importing the hotline's export updates only the hotline's "
        "fields, never the local handling.",
    ),
    "taken_done": ("已转入 {n} 件工单。", "{n} work order(s) taken in."),
    "none": ("没有符合条件的工单。", "No work orders match."),
    "more": ("下一页", "Next page"),
    "rules": ("自动转入规则", "Take-in rules"),
    "rules_hint": (
        "导入时，符合规则且热线未办结的工单自动转入案件流程；新规则只作用于之后导入的工单，点“立即应用”可作用于已导入的工单。",
        "At import, open orders that match a rule are taken into the case loop; a new rule "
        "applies to orders imported afterwards, “Apply now” applies it to stored orders.",
    ),
    "rule_any": ("（任意）", "(any)"),
    "rule_add": ("添加规则", "Add rule"),
    "rule_remove": ("删除", "Remove"),
    "rule_apply": ("立即应用到已导入的工单", "Apply now to stored orders"),
    "rule_by": ("添加人", "Added by"),
    "no_rules": ("尚无规则。", "No rules yet."),
    "applied": ("规则已应用：转入 {n} 件工单。", "Rules applied: {n} work order(s) taken in."),
    "rules_took": (
        "按自动转入规则，{n} 件工单已转入案件流程。",
        "The rules took {n} order(s) into the case loop.",
    ),
    "rule_added": ("已添加规则。", "Rule added."),
    "rule_removed": ("已删除规则（已转入的案件保留）。", "Rule removed (its cases stay)."),
    # The case page: the hotline's own fields beside the local handling.
    "hotline": (
        "热线工单（热线数据，随导入更新）",
        "Hotline work order (the hotline's data, updated by imports)",
    ),
    "local": ("本地办理", "Local handling"),
    "content": ("诉求内容", "Content"),
    "badge": ("涉及民警警号", "Officer badge"),
    "hotline_dispatched": ("热线派单时间", "Dispatched by the hotline"),
    "hotline_due": ("热线办理时限", "Hotline due"),
    "hotline_closed_at": ("热线办结时间", "Closed by the hotline"),
    "resolution": ("解决情况", "Resolution"),
    "hotline_callback": ("热线回访", "Hotline callback"),
    "satisfaction": ("满意度", "Satisfaction"),
    "hotline_verification": ("热线核实结论", "Hotline verification"),
    "rectification": ("整改状态", "Rectification"),
    "updated": ("最近导入更新", "Last updated by an import"),
}
_TEXTS = by_lang(_TEXT)

# The schema's codes by language (order types and the hotline's answers).
_CODE_TEXT: dict[str, tuple[str, str]] = {
    "complaint": ("投诉", "Complaint"),
    "report": ("举报", "Report"),
    "consultation": ("咨询", "Consultation"),
    "help": ("求助", "Help"),
    "suggestion": ("建议", "Suggestion"),
    "praise": ("表扬", "Praise"),
    "other": ("其他", "Other"),
    "resolved": ("已解决", "Resolved"),
    "partly_resolved": ("部分解决", "Partly resolved"),
    "unresolved": ("未解决", "Unresolved"),
    "answered": ("已答复", "Answered"),
    "reached": ("已联系上", "Reached"),
    "unreachable": ("无法联系", "Unreachable"),
    "declined": ("拒绝回访", "Declined"),
    "refused": ("拒绝回访", "Declined"),
    "satisfied": ("满意", "Satisfied"),
    "basically_satisfied": ("基本满意", "Basically satisfied"),
    "dissatisfied": ("不满意", "Dissatisfied"),
    "substantiated": ("属实", "Substantiated"),
    "partly_substantiated": ("部分属实", "Partly substantiated"),
    "unsubstantiated": ("不属实", "Unsubstantiated"),
    "unverifiable": ("无法核实", "Unverifiable"),
    "not_required": ("无需整改", "Not required"),
    "pending": ("待整改", "Pending"),
    "in_progress": ("整改中", "In progress"),
    "done": ("已整改", "Done"),
}
_CODES = by_lang(_CODE_TEXT)
ORDER_TYPES = CODES["order_type"]


def wo_texts(lang: str) -> dict[str, str]:
    return _TEXTS[lang if lang in LANGS else "en"]


def code_labels(lang: str) -> dict[str, str]:
    return _CODES[lang if lang in LANGS else "en"]

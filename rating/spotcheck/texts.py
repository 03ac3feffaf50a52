"""The spot-check pages' texts (zh, en), added to the admin table under `spot_*` keys so
the admin templates reach them as `t.spot_*` like every other text."""

from __future__ import annotations

from rating.admin.texts import admin_texts
from rating.bilingual import add_to

TEXT: dict[str, tuple[str, str]] = {
    "spot_nav": ("抽查回访", "Spot-checks"),
    "spot_title": ("抽查回访", "Spot-check callbacks"),
    "spot_task_no": ("抽查 #{id}", "Spot-check #{id}"),
    "spot_open": ("待回访", "To call"),
    "spot_done": ("已完成", "Done"),
    "spot_all": ("全部", "All"),
    "spot_none": ("没有抽查任务。", "No spot-check tasks."),
    "spot_day": ("抽样日期", "Sample day"),
    "spot_kind": ("来源", "Source"),
    "spot_kind_rating": ("满意评价", "Satisfied rating"),
    "spot_kind_case": ("已办结案件", "Closed case"),
    "spot_unit": ("单位", "Unit"),
    "spot_officer": ("民警", "Officer"),
    "spot_channel": ("渠道", "Channel"),
    "spot_rating": ("评价", "Rating"),
    "spot_rated_at": ("评价时间", "Rated at"),
    "spot_receipt": ("回执号", "Receipt"),
    "spot_phone": ("回访电话", "Phone"),
    "spot_no_phone": ("电话已按期删除", "The phone was purged"),
    "spot_reveal": ("查看完整号码", "Show the full number"),
    "spot_assignee": ("承办人", "Assignee"),
    "spot_unassigned": ("未领取", "Not taken"),
    "spot_claim": ("领取任务", "Take this task"),
    "spot_outcome": ("回访结果", "Outcome"),
    "spot_reason": ("未证实原因", "Reason (not confirmed)"),
    "spot_note": ("备注", "Note"),
    "spot_save": ("登记结果", "Record the outcome"),
    "spot_recorded": ("结果已登记。", "The outcome is recorded."),
    "spot_claimed": ("已领取，可以回访。", "Taken: you can call now."),
    "spot_script_title": ("回访话术", "Script"),
    "spot_script": (
        "您好，这里是公安局民意智感中心。您在{day}对{officer}（{unit}）的服务作了评价，"
        "我们想花一分钟核实服务质量：您是否本人自愿作出了这个评价？评价时民警是否在旁边"
        "或要求您给好评？您对这次服务的真实感受如何？感谢您的支持。",
        "Hello, this is the police bureau's public-opinion centre. On {day} you rated the "
        "service of {officer} ({unit}); may we take one minute to check its quality? Did "
        "you give this rating yourself, freely? Was the officer beside you, or did anyone "
        "ask you for a good rating? How did you really find the service? Thank you.",
    ),
    "spot_outcome_confirmed": ("证实（评价属实）", "Confirmed"),
    "spot_outcome_not_confirmed": ("未证实", "Not confirmed"),
    "spot_outcome_unreachable": ("未联系上", "Unreachable"),
    "spot_reason_": ("—", "—"),
    "spot_reason_in_front_of_officer": ("当着民警的面评价", "Rated in front of the officer"),
    "spot_reason_asked_to_rate": ("被要求给好评", "Was asked to rate"),
    "spot_reason_other": ("其他（请写备注）", "Other (write a note)"),
    "spot_back": ("返回抽查列表", "Back to the spot-checks"),
    "spot_channel_badge": ("扫码评价", "Badge scan"),
    "spot_channel_kiosk": ("窗口评价器", "Service-window kiosk"),
    "spot_channel_web": ("网页", "Web"),
}


def register() -> None:
    """Add the texts to the admin table (idempotent)."""
    add_to(admin_texts, TEXT)


register()

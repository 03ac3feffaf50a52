"""Texts of the admin audit page (rating/admin/audit_page.py): its frame, the kinds of
entry and the names of the actions that belong to no case, kept apart from the shared
tables."""

from __future__ import annotations

from rating.admin import render
from rating.admin.render import fmt_ts
from rating.bilingual import by_lang
from rating.i18n import LANGS

_TEXT: dict[str, tuple[str, str]] = {
    "nav": ("审计日志", "Audit log"),
    "title": ("审计日志", "Audit log"),
    "intro": (
        "用户与权限、评价器、通知、民警、单位与日历、监督员、转入规则、抽查回访和到期清理的操作记录，最新的在前。案件的操作记录见各案件页面。",
        "Changes to users and access, kiosks, notifications, officers, units and the "
        "calendar, supervisors, take-in rules, spot checks and the retention purge, newest "
        "first. A case's own entries are on its case page.",
    ),
    "kind": ("类别", "Kind"),
    "any": ("全部", "All"),
    "actor": ("操作人", "By"),
    "actor_hint": ("用户名，精确匹配", "user name, exactly"),
    "filter": ("筛选", "Filter"),
    "time": ("时间", "Time"),
    "action": ("操作", "Action"),
    "note": ("内容", "Details"),
    "count": ("条数", "Items"),
    "none": ("没有符合条件的记录。", "No entries match."),
    "older": ("更早的记录", "Older entries"),
    "newer": ("较新的记录", "Newer entries"),
}
_KIND: dict[str, tuple[str, str]] = {
    "users": ("用户与权限", "Users and access"),
    "kiosks": ("评价器", "Kiosks"),
    "notifications": ("通知", "Notifications"),
    "officers": ("民警", "Officers"),
    "units": ("单位与日历", "Units and calendar"),
    "supervisors": ("监督员", "Supervisors"),
    "workorders": ("工单转入规则", "Take-in rules"),
    "spotchecks": ("抽查回访", "Spot checks"),
    "retention": ("到期清理", "Retention purge"),
}
_ACTION: dict[str, tuple[str, str]] = {
    "user_add": ("新增用户", "User added"),
    "user_access": ("修改角色或范围", "Role or scope changed"),
    "user_password": ("重置密码", "Password reset"),
    "user_disable": ("停用用户", "User disabled"),
    "user_unlock": ("解除锁定", "User unlocked"),
    "token_add": ("签发 API 令牌", "API token issued"),
    "token_revoke": ("吊销 API 令牌", "API token revoked"),
    "login": ("登录", "Signed in"),
    "login_failed": ("登录失败", "Sign-in failed"),
    "login_locked": ("锁定期间尝试登录", "Sign-in while locked"),
    "lockout": ("多次失败后锁定", "Locked after failures"),
    "kiosk_add": ("新增评价器", "Kiosk added"),
    "kiosk_reenroll": ("重新登记评价器", "Kiosk re-enrolled"),
    "kiosk_revoke": ("吊销评价器", "Kiosk revoked"),
    "kiosk_pin": ("设置评价器 PIN", "Kiosk PIN set"),
    "notify_add": ("新增通知接收方", "Notification target added"),
    "notify_edit": ("修改通知接收方", "Notification target changed"),
    "notify_enable": ("启用通知接收方", "Notification target enabled"),
    "notify_disable": ("停用通知接收方", "Notification target disabled"),
    "notify_test": ("发送测试通知", "Test notification sent"),
    "notify_retry": ("重发失败通知", "Failed notifications retried"),
    "roster_import": ("导入民警名册", "Roster imported"),
    "officer_retire": ("民警离岗", "Officer retired"),
    "officer_move": ("民警调动", "Officer moved"),
    "officer_reissue": ("补发警号码", "Badge code reissued"),
    "alias_add": ("新增单位别名", "Unit alias added"),
    "alias_remove": ("删除单位别名", "Unit alias removed"),
    "calendar": ("工作日历变更", "Calendar changed"),
    "supervisor_add": ("聘任监督员", "Supervisor appointed"),
    "supervisor_end": ("终止监督员任期", "Supervisor's term ended"),
    "supervisor_revoke": ("吊销监督员链接", "Supervisor's link revoked"),
    "supervisor_reissue": ("重新签发监督员链接", "Supervisor's link reissued"),
    "workorder_rule_add": ("新增转入规则", "Take-in rule added"),
    "workorder_rule_remove": ("删除转入规则", "Take-in rule removed"),
    "spotcheck_sample": ("抽取抽查样本", "Spot-check sample drawn"),
    "spotcheck_claim": ("认领抽查任务", "Spot check claimed"),
    "spotcheck_reveal_phone": ("查看抽查电话", "Spot-check phone revealed"),
    "spotcheck_outcome": ("记录抽查结果", "Spot-check outcome recorded"),
    "purge": ("到期清理", "Retention purge"),
}
# The retention purge's notes (rating/cases/purge.py and the mailbox's and supervisors'
# purges), as words; "phone numbers before <ms>" carries the cutoff.
_PURGE: dict[str, tuple[str, str]] = {
    "phone numbers": ("评价电话号码（{time} 之前）", "Rating phone numbers (before {time})"),
    "device data": ("评价设备数据", "Rating device data"),
    "work-order phone numbers": ("工单来电号码", "Work-order caller numbers"),
    "letter phones and photos": ("来信电话与照片", "Letters' phones and photos"),
    "supervisor phones and photos": (
        "监督员电话与报告照片",
        "Supervisors' phones and report photos",
    ),
}
_PURGE_TEXTS = by_lang(_PURGE)
_TEXTS = by_lang(_TEXT)
KIND_LABELS = by_lang(_KIND)
ACTION_LABELS = by_lang(_ACTION)


def audit_texts(lang: str) -> dict[str, str]:
    return _TEXTS[lang if lang in LANGS else "en"]


def kind_labels(lang: str) -> dict[str, str]:
    return KIND_LABELS[lang if lang in LANGS else "en"]


def action_labels(lang: str) -> dict[str, str]:
    return ACTION_LABELS[lang if lang in LANGS else "en"]


def entry_note(action: str, note: str, lang: str) -> str:
    """An entry's note as the page shows it: the purge's own notes in words, anything
    else (names, paths, masked targets, what a person typed) as written."""
    if action != "purge":
        return note
    words = _PURGE_TEXTS[lang if lang in LANGS else "en"]
    head, _, cutoff = note.partition(" before ")
    if head in words and cutoff.isdigit():
        return words[head].format(time=fmt_ts(int(cutoff)))
    word = words.get(note, note)
    return note if "{time}" in word else word


# The shared frame shows the page's link to admins (rating/admin/templates/_nav_people.html).
render._env.globals["nav_audit"] = audit_texts

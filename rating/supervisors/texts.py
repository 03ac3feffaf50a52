"""Texts of the supervisor's own page (report form and progress), Simplified Chinese and
English."""

from __future__ import annotations

from rating.bilingual import by_lang

_TEXT: dict[str, tuple[str, str]] = {
    "title": ("警风监督员", "Citizen supervisor"),
    "hello": ("{name}，您好", "Hello, {name}"),
    "term": ("任期：{start} 至 {end}", "Term: {start} to {end}"),
    "intro": (
        "请如实报告您看到的民警执法、服务和作风问题。报告将转交督察部门核实处理，"
        "您可以在本页查看进度和答复。",
        "Report what you saw of an officer's conduct or service. The discipline unit "
        "checks each report; its progress and reply appear on this page.",
    ),
    "new_report": ("新报告", "New report"),
    "badge": ("民警警号", "Officer's badge number"),
    "badge_hint": (
        "警号印在民警胸前的警号牌和评价二维码上。",
        "The number is on the officer's badge and on the rating QR code.",
    ),
    "place": ("地点", "Place"),
    "event_at": ("事发时间", "Time of the event"),
    "text": ("事情经过（2000字以内）", "What happened (up to 2,000 characters)"),
    "text_ro": ("事情经过", "What happened"),
    "photos": ("照片（选填，最多3张，每张不超过5MB）", "Photos (optional, up to 3, 5 MB each)"),
    "photos_again": (
        "照片未保存，请重新选择。",
        "Photos are not kept when a report is refused: please choose them again.",
    ),
    "send": ("提交报告", "Send report"),
    "fix": (
        "请修改标出的内容后重新提交，您填写的文字已保留。",
        "Please correct the marked field and send again; what you typed is kept.",
    ),
    "sent": ("报告已收到，已转交督察部门。", "Your report is received and passed on."),
    "mine": ("我的报告", "My reports"),
    "none": ("还没有报告。", "No reports yet."),
    "report_no": ("报告 #{id}", "Report #{id}"),
    "officer": ("民警", "Officer"),
    "status": ("办理状态", "Status"),
    "reply": ("答复", "Reply"),
    "no_reply": ("尚未答复。", "No reply yet."),
    "written_at": ("提交时间", "Sent"),
    "photos_n": ("附照片", "Photos"),
    "refused_unknown": ("未找到该链接", "Link not found"),
    "refused_revoked": ("此链接已失效", "This link is no longer valid"),
    "refused_not_started": ("任期尚未开始", "Your term has not started"),
    "refused_ended": ("任期已结束", "Your term has ended"),
    "refused_body": (
        "此链接现在不能提交报告。如有疑问，请联系公安局聘任您的部门。",
        "Reports cannot be sent through this link now. If this is unexpected, please "
        "contact the office of the bureau that appointed you.",
    ),
    "refused_term": ("任期：{start} 至 {end}。", "Term: {start} to {end}."),
    # What the supervisor sees of the case's state: steps, not the centre's internals.
    "state_received": ("已收到", "Received"),
    "state_accepted": ("已受理", "Accepted"),
    "state_dispatched": ("督察部门办理中", "With the discipline unit"),
    "state_replied": ("已答复", "Replied"),
    "state_called_back": ("核实中", "Being verified"),
    "state_verified": ("已核实", "Verified"),
    "state_rectifying": ("整改中", "Being rectified"),
    "state_rectified": ("已整改", "Rectified"),
    "state_closed": ("已办结", "Closed"),
}

_TEXTS = by_lang(_TEXT)


def stexts(lang: str) -> dict[str, str]:
    """The supervisor pages' texts in `lang` (shared: do not modify)."""
    return _TEXTS[lang if lang in _TEXTS else "en"]

"""Texts of the mailbox and unit-code pages, Simplified Chinese and English."""

from __future__ import annotations

from rating.bilingual import by_lang

_TEXT: dict[str, tuple[str, str]] = {
    "mailbox": ("局长信箱", "Letter to the Chief"),
    "mailbox_intro": (
        "您可以在这里向公安局反映问题、举报线索、提出建议或求助。",
        "Write to the bureau here: a complaint, a report, a suggestion or a request for help.",
    ),
    "to_unit": ("写给", "To"),
    "category": ("类别", "Category"),
    "text_ro": ("内容", "Letter"),
    "text": ("内容（2000字以内）", "Your letter (up to 2,000 characters)"),
    "phone": ("手机号（选填，需要答复时留下）", "Phone (optional, if you want a reply)"),
    "consent": (
        "我同意公安机关使用此号码就本信件联系我。",
        "I agree that the police may contact me about this letter on this number.",
    ),
    "anon_hint": (
        "可以匿名：不留电话即为匿名信件，可凭回执号查看答复。",
        "You may stay anonymous: without a phone the letter is anonymous; "
        "your receipt number shows the reply.",
    ),
    "photos": ("照片（选填，最多3张，每张不超过5MB）", "Photos (optional, up to 3, 5 MB each)"),
    "photos_again": (
        "照片未保存，请重新选择。",
        "Photos are not kept when a letter is refused: please choose them again.",
    ),
    "send": ("提交信件", "Send letter"),
    "fix": (
        "请修改标出的内容后重新提交，您填写的文字已保留。",
        "Please correct the marked field and send again; what you typed is kept.",
    ),
    "letter_receipt": ("信件回执", "Letter receipt"),
    "letter_stored": (
        "您的信件已收到，我们会尽快处理。",
        "Your letter has been received; we will deal with it soon.",
    ),
    "receipt_no": ("回执号", "Receipt number"),
    "receipt_keep": (
        "请保存回执号，可凭此查询处理进度和答复。",
        "Keep this number to see the progress and the reply.",
    ),
    "status": ("办理状态", "Status"),
    "status_received": ("已收到", "Received"),
    "status_accepted": ("已受理", "Accepted"),
    "status_dispatched": ("已转交承办单位", "Passed to the unit in charge"),
    "status_replied": ("已答复", "Replied"),
    "status_closed": ("已办结", "Closed"),
    "reply": ("答复", "Reply"),
    "no_reply": ("尚未答复。", "No reply yet."),
    "written_at": ("来信时间", "Written at"),
    "photos_n": ("附照片", "Photos attached"),
    "lookup": ("查询信件", "Look up a letter"),
    "lookup_go": ("查询", "Look up"),
    "lookup_missing": ("未找到该回执号。", "No letter with this receipt number."),
    "place_rate": ("您对本单位的服务满意吗？", "How satisfied are you with this place's service?"),
    "place_rated": ("感谢您的评价，已记录。", "Thank you: your rating has been recorded."),
    "find_officer": ("按警号查找民警并评价", "Rate an officer by badge number"),
    "badge_no": ("警号", "Badge no."),
    "find": ("查找", "Find"),
    "officer_missing": ("未找到该警号的在岗民警。", "No serving officer has this badge number."),
    "on_duty": ("正在窗口服务的民警", "Officers serving at the windows now"),
    "write_letter": ("给局长写信（本单位）", "Write a letter about this place"),
    "place_unknown": ("未找到该二维码", "Code not found"),
    "place_revoked": ("此二维码已失效", "This code is no longer valid"),
    "place_gone_body": (
        "请核对二维码或网址，或直接给局长写信。",
        "Please check the code or address, or write to the chief directly.",
    ),
    "bureau_wide": ("全局", "The whole bureau"),
}

_TEXTS = by_lang(_TEXT)


def mtexts(lang: str) -> dict[str, str]:
    """The mailbox pages' texts in `lang` (shared: do not modify)."""
    return _TEXTS[lang if lang in _TEXTS else "en"]

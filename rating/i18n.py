"""Page texts in Simplified Chinese (default) and English, and picking the language."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from rating.bilingual import LANGS as LANGS
from rating.bilingual import by_lang as by_lang
from rating.labels import LEVEL_LABELS as LEVEL_LABELS
from rating.labels import REASON_LABELS as REASON_LABELS

LANG_COOKIE = "pj_lang"

# Every bilingual table is {key: (Chinese, English)}; `by_lang` turns one into a dict per
# language for the templates.
_TEXT: dict[str, tuple[str, str]] = {
    "title": ("评价民警", "Rate this officer"),
    "you_rate": ("您正在评价", "You are rating"),
    "badge_no": ("警号", "Badge no."),
    "unit": ("单位", "Unit"),
    "kind_police": ("民警", "Police officer"),
    "kind_auxiliary": ("辅警", "Auxiliary officer"),
    "question": ("您对本次服务满意吗？", "How satisfied are you with this service?"),
    "details_title": ("请告诉我们哪里不满意", "Please tell us what went wrong"),
    "reasons": ("原因（可多选）", "Reasons (choose any)"),
    "comment": ("具体情况（选填，500字以内）", "Details (optional, up to 500 characters)"),
    "phone": ("手机号（选填，用于回访）", "Phone (optional, for a call back)"),
    "consent": (
        "我同意公安机关使用此号码就本次评价回访我。",
        "I agree that the police may call me back about this rating on this number.",
    ),
    "phone_notice": (
        "号码加密保存，仅用于本次回访，办结后按规定期限删除。",
        "Stored encrypted, used only for this call back, deleted after the case closes.",
    ),
    "submit": ("提交评价", "Submit"),
    "send_details": ("提交补充说明", "Send details"),
    "switch_lang": ("English", "中文"),
    "thanks": ("感谢您的评价！", "Thank you for your rating!"),
    "stored": ("您的评价已记录。", "Your rating has been recorded."),
    "receipt": ("评价回执号", "Receipt number"),
    "receipt_hint": (
        "请保存回执号，可凭此查询处理进度。",
        "Keep this number to follow up on your rating.",
    ),
    "your_rating": ("您的评价", "Your rating"),
    "officer": ("民警", "Officer"),
    "rated_at": ("评价时间", "Rated at"),
    "amended": ("已更新", "Updated"),
    "phone_left": ("已留下回访电话", "A call-back number was left"),
    "details_optional": (
        "如愿意，可补充不满意的原因和联系方式：",
        "If you like, add what went wrong and how to reach you:",
    ),
    "revoked_title": ("此二维码已失效", "This code is no longer valid"),
    "revoked_body": (
        "该评价码已停用（可能已更换新的工作证）。如需反映问题，请拨打：",
        "This rating code has been withdrawn (the badge may have been replaced). "
        "To give feedback or complain, call:",
    ),
    "unknown_title": ("未找到该评价码", "Rating code not found"),
    "unknown_body": (
        "请核对二维码或网址。如需反映问题，请拨打：",
        "Please check the code or address. To give feedback or complain, call:",
    ),
    "error_title": ("出错了", "Something went wrong"),
    "back": ("返回", "Back"),
    "retry_hint": ("请再次点击您的评价。", "Please tap your rating again."),
    "receipt_not_found": ("未找到该回执", "Receipt not found"),
    "progress": ("处理进度", "Progress"),
    "unit_reply": ("承办单位答复", "Reply of the unit in charge"),
    "step_received": ("受理", "Received"),
    "step_called_back": ("回访", "Call back"),
    "step_verified": ("核实", "Verification"),
    "step_rectified": ("整改", "Rectification"),
    "step_no_rectify": ("经核实无需整改", "No rectification needed"),
    "step_closed": ("办结", "Closed"),
    "step_done": ("已完成", "done"),
    "fix_question": ("问题解决了吗？请评价整改结果：", "Is it fixed? Please rate the result:"),
    "fix_satisfied": ("满意", "Satisfied"),
    "fix_basically_satisfied": ("基本满意", "Basically satisfied"),
    "fix_dissatisfied": ("不满意", "Dissatisfied"),
    "fix_answered": ("您对整改结果的评价", "Your rating of the result"),
    # Read-only labels on the receipt (the form prompts carry "choose any", "optional").
    "reasons_ro": ("原因", "Reasons"),
    "comment_ro": ("具体情况", "Details"),
    "list_sep": ("、", ", "),
    "phone_ro": ("回访电话", "Call back"),
    "receipt_title": ("评价回执", "Your rating receipt"),
    "details_saved": ("您的补充说明已保存。", "Your details have been saved."),
    "fix_saved": (
        "感谢您对整改结果的评价，已记录。",
        "Thank you: your rating of the result has been recorded.",
    ),
    "callback_due": ("回访期限", "Call back due by"),
    "callback_no_phone": (
        "您未留电话，我们无法回访；如需回访，可补充手机号。",
        "You left no phone number, so we cannot call you back; add one if you want a call.",
    ),
    "stored_at_tap": (
        "您的评价已记录。如愿意，可补充不满意的原因和联系方式：",
        "Your rating has been recorded. If you like, add what went wrong and how to reach you:",
    ),
    "form_fix": (
        "请修改标出的内容后重新提交，您填写的内容已保留。",
        "Please correct the marked field and send again; what you typed is kept.",
    ),
    "details_not_saved": (
        "您的评价已记录；补充说明尚未保存。",
        "Your rating is recorded; your details are not saved yet.",
    ),
    "lookup_title": ("查询评价回执", "Look up a rating receipt"),
    "lookup_label": ("回执号", "Receipt number"),
    "lookup_hint": (
        "评价后页面显示的12位回执号，可含短横线，不区分大小写。",
        "The 12-character number shown after rating; dashes and lower case are fine.",
    ),
    "lookup_submit": ("查询", "Look up"),
    "lookup_malformed": (
        "回执号应为12位字母或数字，请核对后重新输入。",
        "A receipt number has 12 letters or digits; please check it and try again.",
    ),
    "lookup_missing": (
        "未找到该回执，请核对回执号。",
        "No receipt has this number; please check it.",
    ),
    "footer_lookup": ("查询评价回执", "Look up a receipt"),
    "phone_bad": (
        "手机号格式不正确（应为11位手机号或带区号的固定电话）",
        "Enter an 11-digit mobile number, or a landline number with its area code.",
    ),
    "consent_needed": (
        "留下电话需勾选同意回访",
        "Tick the box to agree to a call back, or leave the phone empty.",
    ),
}


def pick_lang(request: Request) -> str:
    """?lang= beats the language cookie, which beats Accept-Language; default Chinese."""
    q = request.query_params.get("lang")
    if q in LANGS:
        return q
    c = request.cookies.get(LANG_COOKIE)
    if c in LANGS:
        return c
    accept = request.headers.get("accept-language", "")
    best, best_q = "zh", -1.0
    for part in accept.split(","):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower()
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        primary = tag.split("-", 1)[0]
        # q=0 means "not acceptable" (RFC 9110), not "least preferred".
        if primary in LANGS and weight > 0 and weight > best_q:
            best, best_q = primary, weight
    return best


_TEXTS = by_lang(_TEXT)


def texts(lang: str) -> dict[str, str]:
    """The citizen pages' texts in `lang` (shared: do not modify)."""
    return _TEXTS[lang if lang in LANGS else "en"]


def other_lang_href(path: str, query: Mapping[str, str], lang: str) -> str:
    """The link that shows the same page in the other language (`?lang=` also sets the cookie)."""
    params = {k: v for k, v in query.items() if k != "lang"}
    params["lang"] = "en" if lang == "zh" else "zh"
    return path + "?" + urlencode(params)


def remember_lang(request: Request, response: Response, secure: bool) -> None:
    """Keep a `?lang=` choice in the language cookie, as the citizen pages do."""
    chosen = request.query_params.get("lang")
    if chosen in LANGS:
        response.set_cookie(
            LANG_COOKIE,
            chosen,
            max_age=365 * 86400,
            httponly=True,
            samesite="lax",
            secure=secure,
        )

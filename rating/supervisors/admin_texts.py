"""The supervisors admin page's texts (zh, en), added to the admin table under `sup_*` keys
so the admin templates reach them as `t.sup_*` like every other text."""

from __future__ import annotations

from rating.admin.texts import admin_texts
from rating.i18n import LANGS

TEXT: dict[str, tuple[str, str]] = {
    "sup_nav": ("监督员", "Supervisors"),
    "sup_title": ("警风监督员", "Citizen supervisors"),
    "sup_intro": (
        "每位监督员有一个个人链接，可在任期内提交报告；报告立案后派发至督察部门（{unit}）。",
        "Each supervisor has a personal link for sending reports during the term; each "
        "report opens a case dispatched to the discipline unit ({unit}).",
    ),
    "sup_no_unit": (
        "未设置督察部门（PINGJING_SUPERVISOR_UNIT）：报告立案后待指挥中心受理派发",
        "no discipline unit set (PINGJING_SUPERVISOR_UNIT): reports wait for the centre",
    ),
    "sup_unknown_unit": (
        "PINGJING_SUPERVISOR_UNIT 的单位代码 {code} 不存在：报告立案后待指挥中心受理派发",
        "PINGJING_SUPERVISOR_UNIT names no unit ({code}): reports wait for the centre",
    ),
    "sup_none": ("尚未聘任监督员。", "No supervisors yet."),
    "sup_add": ("聘任监督员", "Appoint a supervisor"),
    "sup_name": ("姓名", "Name"),
    "sup_phone": ("手机号（选填）", "Phone (optional)"),
    "sup_term_start": ("任期开始", "Term starts"),
    "sup_term_end": ("任期结束", "Term ends"),
    "sup_save": ("聘任", "Appoint"),
    "sup_term": ("任期", "Term"),
    "sup_reports": ("报告数", "Reports"),
    "sup_link": ("个人链接", "Personal link"),
    "sup_no_link": ("链接已撤销", "Link revoked"),
    "sup_state_live": ("任期中", "Serving"),
    "sup_state_not_started": ("任期未开始", "Term not started"),
    "sup_state_ended": ("任期已结束", "Term ended"),
    "sup_state_revoked": ("链接已撤销", "Link revoked"),
    "sup_end": ("结束任期", "End the term"),
    "sup_revoke": ("撤销链接", "Revoke the link"),
    "sup_reissue": ("重发链接", "Issue a new link"),
    "sup_done_added": (
        "已聘任，请把个人链接交给监督员本人。",
        "Appointed: give the link to the supervisor.",
    ),
    "sup_done_ended": (
        "任期已结束，链接不再接受报告。",
        "The term is ended; the link takes no more reports.",
    ),
    "sup_done_revoked": ("链接已撤销。", "The link is revoked."),
    "sup_done_reissued": (
        "已发新链接，旧链接已失效。",
        "A new link is issued; the old one no longer works.",
    ),
}


def register() -> None:
    """Add the texts to the admin table (idempotent)."""
    for i, lang in enumerate(LANGS):
        table = admin_texts(lang)
        for key, pair in TEXT.items():
            table.setdefault(key, pair[i])


register()

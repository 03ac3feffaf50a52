"""Admin page texts in Simplified Chinese (default) and English.

The language is picked exactly as on the citizen pages (`rating.i18n.pick_lang`: `?lang=`,
then the `pj_lang` cookie, then Accept-Language, else Chinese). Texts with `{name}`
placeholders are filled with `str.format` in the views or with the `fmt` template filter,
which escapes the values.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape
from starlette.requests import Request

from rating.admin import texts_dash
from rating.cases.model import (
    ACTION_LABELS,
    ACTION_LABELS_EN,
    FIX_LABELS,
    FIX_LABELS_EN,
    OUTCOME_LABELS,
    OUTCOME_LABELS_EN,
    STATE_LABELS,
    STATE_LABELS_EN,
    VERIFICATION_LABELS,
    VERIFICATION_LABELS_EN,
)
from rating.i18n import LANGS, LEVEL_LABELS, REASON_LABELS, by_lang, pick_lang
from rating.workorders import CHANNEL_LABELS as HOTLINE_CHANNEL_LABELS

# Hotline channels (rating.workorders) and rating channels (badge, kiosk, web) by language.
CHANNEL_LABELS = {
    lang: {**HOTLINE_CHANNEL_LABELS[lang], **labels}
    for lang, labels in by_lang(texts_dash.CHANNEL_LABELS).items()
}
_AUDIT_EXTRA = by_lang(texts_dash.AUDIT_LABELS)
_KIND_LABELS = by_lang(texts_dash.KIND_LABELS)
ROLE_LABELS = by_lang(
    {
        "admin": ("管理员", "Administrator"),
        "unit_manager": ("单位负责人", "Unit manager"),
        "viewer": ("只读", "Read-only"),
    }
)

_TEXT: dict[str, tuple[str, str]] = {
    # Frame and navigation
    "site": ("评警", "Pingjing"),
    "admin_title": ("评警 管理", "Pingjing admin"),
    "brand": ("评警 · 案件管理", "Pingjing · Case management"),
    "nav_cases": ("案件", "Cases"),
    "nav_overdue": ("超期", "Overdue"),
    "nav_report_xlsx": ("周报（Excel）", "Weekly report (Excel)"),
    "nav_report_html": ("周报（网页）", "Weekly report (web page)"),
    "nav_reports": ("报表存档", "Report archive"),
    "nav_workorders": ("工单导入", "Work-order import"),
    "nav_workorder_orders": ("热线工单", "Hotline orders"),
    "who": ("{name}（{role}）", "{name} ({role})"),
    "logout": ("退出", "Log out"),
    "switch_lang": ("English", "中文"),
    "switch_lang_title": ("Show this page in English", "以中文显示此页"),
    "list_sep": ("、", ", "),
    "colon": ("：", ": "),
    "lparen": ("（", " ("),
    "rparen": ("）", ")"),
    # Login
    "login": ("登录", "Log in"),
    "user_name": ("用户名", "User name"),
    "password": ("密码", "Password"),
    "login_failed": (
        "用户名或密码错误。多次失败后账号会暂时锁定，可稍后再试、在曾登录过的设备上登录，或联系管理员解锁。",
        "Wrong user name or password. After repeated failures the account is locked for a "
        "while: try again later, log in from a device you used before, or ask an "
        "administrator to unlock it.",
    ),
    "login_throttled": (
        "此网络登录失败次数过多，请15分钟后再试。",
        "Too many failed logins from this network; try again in 15 minutes.",
    ),
    # Deadlines
    "provisional": ("暂定", "provisional"),
    "provisional_hint": (
        "跨入日历未公布的年份，按周一至周五扣除已知法定节假日暂定，日历更新后自动重算",
        "Falls in a year the holiday calendar does not cover yet: counted on weekdays minus "
        "known statutory holidays, recomputed when the calendar is updated",
    ),
    # Case list
    "case_list": ("案件列表", "Cases"),
    "unit": ("单位", "Unit"),
    "all": ("全部", "All"),
    "state": ("状态", "State"),
    "overdue_only": ("仅超期", "Overdue only"),
    "opened_from": ("立案自", "Opened from"),
    "opened_to": ("至", "to"),
    "filter": ("筛选", "Filter"),
    "export_csv": ("导出 CSV", "Export CSV"),
    "col_no": ("编号", "No."),
    "opened_at": ("立案时间", "Opened"),
    "officer": ("民警", "Officer"),
    "rating": ("评价", "Rating"),
    "due": ("期限", "Due"),
    "handler": ("承办人", "Handler"),
    "overdue": ("超期", "Overdue"),
    "due_callback": ("回访", "Callback"),
    "due_rectify": ("整改", "Rectification"),
    "due_retry": ("重新回访", "Callback retry"),
    "due_verify": ("核实", "Verification"),
    "due_rectify_start": ("启动整改", "Start of rectification"),
    "due_close": ("办结", "Closing"),
    # The loop's own steps (issue 18): the case page's countdown names them too.
    "due_accept": ("受理", "Acceptance"),
    "due_dispatch": ("派发", "Dispatch"),
    "due_reply": ("单位回复", "Unit's reply"),
    "no_cases_match": ("没有符合条件的案件", "No cases match"),
    "prev_page": ("上一页", "Previous page"),
    "next_page": ("下一页", "Next page"),
    # Case detail
    "case_no": ("案件 #{id}", "Case #{id}"),
    "callback_overdue": ("回访超期", "Callback overdue"),
    "rectify_overdue": ("整改超期", "Rectification overdue"),
    "retry_overdue": ("重新回访超期", "Callback retry overdue"),
    "verify_overdue": ("核实超期", "Verification overdue"),
    "rectify_start_overdue": ("启动整改超期", "Start of rectification overdue"),
    "close_overdue": ("办结超期", "Closing overdue"),
    # The loop's own steps (issue 18).
    "accept_overdue": ("受理超期", "Acceptance overdue"),
    "dispatch_overdue": ("派发超期", "Dispatch overdue"),
    "reply_overdue": ("单位回复超期", "Unit's reply overdue"),
    "step_due": ("当前环节期限", "Current step due"),
    "citizen_comment": ("群众意见", "Citizen's comment"),
    "callback_phone": ("回访电话", "Callback phone"),
    "reveal_phone": ("查看完整号码（将被记录）", "Show the full number (this is logged)"),
    "no_phone": ("未留电话", "No phone number left"),
    "not_taken": ("未认领", "Not taken"),
    "callback_due": ("回访期限", "Callback due"),
    "callback": ("回访", "Callback"),
    "verification": ("核实", "Verification"),
    "measures": ("整改措施", "Rectification measures"),
    "rectify_due": ("整改期限", "Rectification due"),
    "rectified": ("整改完成", "Rectified"),
    "closed": ("办结", "Closed"),
    "fix_rating": ("群众对整改评价", "Citizen's rating of the rectification"),
    "actions": ("办理", "Actions"),
    "callback_outcome": ("回访结果", "Callback outcome"),
    "verification_finding": ("核实结论", "Verification finding"),
    "note": ("说明", "Note"),
    "history": ("办理记录", "Case history"),
    "time": ("时间", "Time"),
    "actor": ("操作人", "By"),
    "action": ("操作", "Action"),
    "state_change": ("状态变化", "State change"),
    # Officer and unit pages
    "kind_police": ("民警", "Police officer"),
    "kind_auxiliary": ("辅警", "Auxiliary officer"),
    "recent_ratings": ("近 90 天评价（最新 50 条）", "Ratings of the last 90 days (latest 50)"),
    "reasons": ("原因", "Reasons"),
    "channel": ("渠道", "Channel"),
    "not_counted": ("误评或恶意，不计入", "Mistaken or malicious; not counted"),
    "no_ratings": ("近 90 天暂无评价", "No ratings in the last 90 days"),
    "cases": ("案件", "Cases"),
    "no_cases": ("暂无案件", "No cases yet"),
    "subunits": ("下级单位", "Sub-units"),
    "officers": ("民警", "Officers"),
    "none": ("无", "None"),
    # Work-order import
    "wo_title": ("工单导入", "Work-order import"),
    "wo_source": (
        "{channel} · {kind} · 列配置 {profile} · 表头在第 {header_line} 行 · 共 {rows} 行工单",
        "{channel} · {kind} · column profile {profile} · header on line {header_line} · "
        "work-order rows: {rows}",
    ),
    "wo_csv_kind": ("CSV（{encoding}）", "CSV ({encoding})"),
    "wo_ignored": ("未导入的列：", "Columns not imported: "),
    "wo_done": (
        "导入完成（导入 #{id}）：新增 <strong>{new}</strong> 条，更新 <strong>{updated}</strong>"
        " 条，未变 <strong>{unchanged}</strong> 条，拒绝 <strong>{rejected}</strong> 条。",
        "Imported (import #{id}): <strong>{new}</strong> new, <strong>{updated}</strong> "
        "updated, <strong>{unchanged}</strong> unchanged, <strong>{rejected}</strong> rejected.",
    ),
    "wo_previous": (
        "注意：同一文件此前已导入过（导入 #{id}，{at}），重复导入不会产生重复工单。",
        "Note: this file was imported before (import #{id}, {at}); importing it again "
        "creates no duplicate work orders.",
    ),
    "wo_rejects_link": (
        "下载被拒绝的 {n} 行（CSV，含原因，电话号码已脱敏）",
        "Download the rejected lines ({n}; CSV with reasons, phone numbers masked)",
    ),
    "wo_rejects_hint": (
        "：在原始导出文件中改正后重新导入即可。",
        ": correct them in the original export and import it again.",
    ),
    "wo_not_stored": (
        "文件中有 {n} 行有误，<strong>未导入任何工单</strong>。请改正后重新上传，"
        "或勾选“导入正确的行，跳过有误的行”。",
        "Lines with errors: {n}. <strong>No work orders were imported.</strong> Correct the "
        "lines and upload again, or tick “Import the good lines, skip the bad ones”.",
    ),
    "wo_errors": ("错误明细（行号 · 列 · 原因）", "Errors (line · column · reason)"),
    "wo_error_line": (
        "第 {line} 行，{column} 列：{reason}",
        "Line {line}, column {column}: {reason}",
    ),
    "wo_more_errors": ("另有 {n} 条错误未列出。", "Errors not listed: {n}."),
    "wo_units_kept": (
        "{n} 个承办单位未匹配；{rows} 条工单已导入，单位记为未知",
        "Handling units not matched: {n}; their work orders ({rows}) were imported with the "
        "unit unknown",
    ),
    "wo_units_keep": (
        "{n} 个承办单位未匹配；{rows} 条工单将导入，单位记为未知",
        "Handling units not matched: {n}; their work orders ({rows}) would be imported with "
        "the unit unknown",
    ),
    "wo_badges_kept": (
        "{n} 个民警警号未匹配；{rows} 条工单已导入，不关联民警",
        "Badge numbers not matched: {n}; their work orders ({rows}) were imported without an "
        "officer",
    ),
    "wo_badges_keep": (
        "{n} 个民警警号未匹配；{rows} 条工单将导入，不关联民警",
        "Badge numbers not matched: {n}; their work orders ({rows}) would be imported "
        "without an officer",
    ),
    "wo_unit_col": ("承办单位", "Handling unit"),
    "wo_badge_col": ("民警警号", "Badge no."),
    "wo_orders": ("工单数", "Work orders"),
    "wo_first_line": ("首次出现行号", "First seen on line"),
    "wo_more_unmatched": ("另有 {n} 个未列出", "Not listed: {n}"),
    "wo_units_hint": (
        "可在命令行添加别名：pingjing workorders aliases add 名称 单位代码或路径",
        "Add an alias on the command line: pingjing workorders aliases add NAME UNIT_CODE_OR_PATH",
    ),
    "wo_badges_hint": (
        "请先导入民警名册，再重新导入该文件。",
        "Import the officer roster first, then import this file again.",
    ),
    "wo_upload": ("上传热线导出文件", "Upload a hotline export"),
    "wo_file": (
        "文件（CSV、XLSX、XLS 或 ODS，不超过 {mb} MB）",
        "File (CSV, XLSX, XLS or ODS, up to {mb} MB)",
    ),
    "wo_profile": ("列配置", "Column profile"),
    "wo_same_as_channel": ("与渠道相同", "Same as the channel"),
    "wo_skip_bad": ("导入正确的行，跳过有误的行", "Import the good lines, skip the bad ones"),
    "wo_import": ("导入", "Import"),
    "wo_upload_hint": (
        "同一渠道按工单编号更新，重复上传同一文件不会产生重复工单。"
        "默认情况下，文件中只要有一行有误就不导入任何工单。",
        "Work orders are updated by their number within a channel, so uploading the same "
        "file again creates no duplicates. By default, one bad line in the file means no "
        "work order is imported.",
    ),
    "wo_log": ("导入记录", "Import log"),
    "wo_file_col": ("文件", "File"),
    "wo_rows": ("行数", "Rows"),
    "wo_new": ("新增", "New"),
    "wo_updated": ("更新", "Updated"),
    "wo_unchanged": ("未变", "Unchanged"),
    "wo_rejected": ("拒绝", "Rejected"),
    "wo_units_unmatched": ("单位未匹配", "Units unmatched"),
    "wo_officers_unmatched": ("民警未匹配", "Officers unmatched"),
    "wo_no_imports": ("尚无导入记录", "No imports yet"),
    # Messages from the upload view
    "wo_too_big": (
        "文件超过 {mb} MB，请拆分后分批上传。",
        "The file is larger than {mb} MB; split it and upload the parts one by one.",
    ),
    "wo_choose_file": ("请选择要导入的文件。", "Choose a file to import."),
    "wo_empty": ("{name}：文件是空的。", "{name}: the file is empty."),
    "wo_unreadable": (
        "{name}：无法导入（{reason}），未导入任何工单。",
        "{name}: cannot import ({reason}); no work orders were imported.",
    ),
}

_TEXT.update(texts_dash.TEXT)  # the dashboard's, the case queue's and the error page's

_TEXTS = by_lang(_TEXT)


def admin_texts(lang: str) -> dict[str, str]:
    """The admin pages' texts in `lang` (shared: do not modify)."""
    return _TEXTS[lang if lang in LANGS else "en"]


def text(request: Request, key: str, **values: Any) -> str:
    """One admin text in the request's language, with `{name}` placeholders filled."""
    return admin_texts(pick_lang(request))[key].format(**values)


# Only these strings, our own, may carry markup (<strong>) into a page.
_TRUSTED = frozenset(s for pair in _TEXT.values() for s in pair)


def fill(template: str, **values: Any) -> Markup:
    """Fill a text's `{name}` placeholders for a template; the values are escaped."""
    if template not in _TRUSTED:
        return escape(template).format(**values)
    return Markup(template).format(**values)  # noqa: S704 - one of our own texts above


def labels(lang: str) -> dict[str, dict[Any, str]]:
    """The code -> label tables the admin templates use, in `lang`."""
    zh = lang == "zh"
    return {
        "state_labels": STATE_LABELS if zh else STATE_LABELS_EN,
        "outcome_labels": OUTCOME_LABELS if zh else OUTCOME_LABELS_EN,
        "verification_labels": VERIFICATION_LABELS if zh else VERIFICATION_LABELS_EN,
        "fix_labels": FIX_LABELS if zh else FIX_LABELS_EN,
        "action_labels": {**(ACTION_LABELS if zh else ACTION_LABELS_EN), **_AUDIT_EXTRA[lang]},
        "level_labels": LEVEL_LABELS[lang],
        "reason_labels": REASON_LABELS[lang],
        "channel_labels": CHANNEL_LABELS[lang],
        "role_labels": ROLE_LABELS[lang],
        "kind_labels": _KIND_LABELS[lang],
    }

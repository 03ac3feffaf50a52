"""Texts of the officers, users, kiosks and units pages, in Chinese (default) and English.

Kept apart from rating/admin/texts.py (the shared table) so that pages added in parallel
merge cleanly; the views hand them to templates as `p`. None of them carries markup.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from rating.admin import render
from rating.admin.auth import SessionInfo
from rating.admin.web import page
from rating.i18n import LANGS, by_lang, pick_lang

_TEXT: dict[str, tuple[str, str]] = {
    # Navigation
    "nav_officers": ("民警", "Officers"),
    "nav_users": ("用户", "Users"),
    "nav_kiosks": ("评价器", "Kiosks"),
    "nav_units": ("单位与日历", "Units & calendar"),
    "failed": ("未完成：{reason}", "Not done: {reason}"),
    "done": ("已完成。", "Done."),
    "save": ("保存", "Save"),
    "name": ("姓名", "Name"),
    "unit": ("单位", "Unit"),
    "unit_hint": ("单位编码或完整路径", "Unit code or full path"),
    "all_units": ("全部单位", "All units"),
    "status": ("状态", "Status"),
    "created": ("创建时间", "Created"),
    "none": ("无", "None"),
    "search": ("查找", "Search"),
    "prev_page": ("上一页", "Previous page"),
    "next_page": ("下一页", "Next page"),
    # Users and access
    "users_title": ("用户与权限", "Users and access"),
    "user_name": ("用户名", "User name"),
    "role": ("角色", "Role"),
    "scope": ("范围", "Scope"),
    "whole_bureau": ("全局", "Whole bureau"),
    "locked": ("已锁定", "Locked"),
    "disabled": ("已停用", "Disabled"),
    "active": ("正常", "Active"),
    "add_user": ("新增用户", "Add a user"),
    "password_opt": (
        "密码（至少 10 位；留空则自动生成并只显示一次）",
        "Password (at least 10 characters; leave empty to generate one, shown once)",
    ),
    "add": ("新增", "Add"),
    "disable": ("停用", "Disable"),
    "reset_password": ("重置密码", "Reset password"),
    "change_access": ("修改角色与范围", "Change role and scope"),
    "new_token": ("新建 API 令牌", "New API token"),
    "token_label": ("用途说明", "Label"),
    "tokens": ("API 令牌", "API tokens"),
    "owner": ("所属用户", "User"),
    "last_used": ("最近使用", "Last used"),
    "revoked": ("已吊销", "Revoked"),
    "revoke": ("吊销", "Revoke"),
    "no_tokens": ("暂无令牌", "No tokens"),
    "secret_once": (
        "请立即记下，此内容只显示这一次：",
        "Note it now; this is shown only once:",
    ),
    "password_for": ("{name} 的密码", "Password of {name}"),
    "token_for": ("{name} 的 API 令牌", "API token of {name}"),
    "user_added": ("已新增用户 {name}。", "User {name} added."),
    "user_disabled": (
        "已停用 {name}：会话已结束，令牌已吊销。",
        "{name} disabled: sessions ended, API tokens revoked.",
    ),
    "password_reset": (
        "{name} 的密码已更改，其会话和令牌已失效。",
        "Password of {name} changed; their sessions and tokens ended.",
    ),
    "access_changed": ("{name} 的角色与范围已更改。", "Role and scope of {name} changed."),
    "token_revoked": ("令牌已吊销。", "Token revoked."),
    "actions": ("操作", "Actions"),
    # Officers
    "officers_title": ("民警", "Officers"),
    "search_hint": ("姓名或警号", "Name or badge number"),
    "with_retired": ("含已调离/退休", "Include retired"),
    "kind": ("类别", "Kind"),
    "retired": ("已退出", "Retired"),
    "no_officers": ("没有符合条件的民警", "No officers match"),
    "roster_upload": ("上传民警名册", "Upload a roster"),
    "roster_file": (
        "名册文件（CSV、XLSX、XLS 或 ODS，不超过 {mb} MB；列：警号、姓名、单位、类别）",
        "Roster file (CSV, XLSX, XLS or ODS, up to {mb} MB; columns: badge number, name, "
        "unit, kind)",
    ),
    "retire_missing": (
        "名册中没有的在岗民警标记为已退出",
        "Retire active officers who are not in the file",
    ),
    "preview": ("预览", "Preview"),
    "roster_hint": (
        "先预览将新增、变更和退出的民警，确认后才导入。只要有一行有误，就不导入任何内容。",
        "You see what will be added, changed and retired before anything is imported. One "
        "bad line means nothing is imported.",
    ),
    "roster_preview": ("名册预览", "Roster preview"),
    "roster_bad": (
        "文件中有 {n} 行有误，未导入任何内容。请改正后重新上传：",
        "Lines with errors: {n}. Nothing was imported; correct them and upload again:",
    ),
    "roster_choose": ("请选择名册文件。", "Choose a roster file."),
    "roster_too_big": ("文件超过 {mb} MB。", "The file is larger than {mb} MB."),
    "roster_unreadable": ("{name}：无法读取（{reason}）。", "{name}: cannot be read ({reason})."),
    "back_to_officers": ("返回民警列表", "Back to the officers"),
    "will_add": ("将新增", "Will be added"),
    "will_change": ("将变更", "Will be changed"),
    "unchanged": ("不变", "Unchanged"),
    "will_retire": ("将退出", "Will be retired"),
    "missing": ("名册中没有（不退出）", "Not in the file (not retired)"),
    "new_units": ("将新建单位", "New units"),
    "and_more": ("等共另 {n} 个", "and {n} more"),
    "roster_import": ("确认导入", "Import"),
    "cancel": ("取消", "Cancel"),
    "roster_done": (
        "名册已导入：新增 {new}，变更 {updated}，不变 {unchanged}，退出 {retired}。",
        "Roster imported: {new} new, {updated} changed, {unchanged} unchanged, {retired} retired.",
    ),
    "by_level": ("近 12 周评价（按等级）", "Ratings of the last 12 weeks by level"),
    "trend_title": ("近 12 周趋势", "Trend over 12 weeks"),
    "trend_hint": (
        "柱：每周评价数；线：每周平均等级（1–5）。不含误评和恶意评价。",
        "Bars: ratings per week; line: the week's mean level (1-5). Mistaken and "
        "malicious ratings are not counted.",
    ),
    "note": ("备注", "Note"),
    "channel_badge": ("扫码", "Badge QR code"),
    "channel_web": ("网页/接口", "Web or API"),
    "channel_kiosk": ("评价器", "Kiosk"),
    "reissue": ("重新生成评价码", "Reissue the badge code"),
    "reissue_hint": (
        "旧工牌上的二维码立即失效，需打印新工牌。",
        "The old badge's QR code stops working at once; print the new badge.",
    ),
    "badge_download_hint": (
        "新评价码已生成，请下载并打印这一张工牌：",
        "A new code was issued; download and print this one badge:",
    ),
    "badge_zip": ("下载工牌（PNG 和 PDF，zip）", "Download the badge (PNG and PDF, zip)"),
    "move_to": ("调往单位", "Move to unit"),
    "move": ("调动", "Move"),
    "retire": ("标记为已退出", "Retire"),
    "retire_hint": (
        "退出后其评价码不再接受评价，历史数据保留。",
        "The officer's code stops taking ratings; the history is kept.",
    ),
    "reissued": ("{badge} 的评价码已重新生成。", "A new code was issued for {badge}."),
    "retired_msg": ("{badge} 已标记为已退出。", "{badge} retired."),
    "moved": ("{badge} 已调动。", "{badge} moved."),
    # Units, aliases, calendar
    "units_title": ("单位、别名与日历", "Units, aliases and the calendar"),
    "unit_tree": ("单位", "Units"),
    "unit_code": ("编码", "Code"),
    "officers_n": ("在岗民警", "Officers"),
    "ratings_week": ("本周评价", "Ratings this week"),
    "open_cases": ("未办结案件", "Open cases"),
    "tree_hint": (
        "各数字只计本单位，不含下级单位。",
        "Each figure counts the unit itself, not its sub-units.",
    ),
    "aliases_title": ("工单承办单位别名", "Work-order unit name aliases"),
    "alias": ("热线中的单位名称", "Unit name in the hotline export"),
    "add_alias": ("添加别名", "Add alias"),
    "unmatched_title": ("近期导入中未匹配的单位名称", "Unmatched unit names of recent imports"),
    "orders": ("工单数", "Work orders"),
    "make_alias": ("设为别名", "Make an alias"),
    "aliases_known": ("已有别名", "Aliases"),
    "remove": ("删除", "Remove"),
    "alias_added": (
        "“{alias}”已指向 {path}，{n} 条工单已重新匹配。",
        "“{alias}” now means {path}; work orders re-matched: {n}.",
    ),
    "alias_removed": ("别名已删除。", "Alias removed."),
    "calendar_title": ("工作日历", "Working-day calendar"),
    "package_years": ("内置日历覆盖年份", "Years in the built-in calendar"),
    "published_years": ("本局已完整录入的年份", "Years the bureau has entered in full"),
    "provisional_cases": ("期限为暂定的未办结案件", "Open cases with a provisional deadline"),
    "calendar_hint": (
        "其他年份按周一至周五扣除已知法定节假日和下列调整暂定，录入后自动重算。",
        "Other years count Monday to Friday minus known statutory holidays and the changes "
        "below, provisionally; deadlines are recomputed when the calendar changes.",
    ),
    "overrides": ("节假日与调休", "Holidays and make-up working days"),
    "date": ("日期", "Date"),
    "day_kind": ("类型", "Kind"),
    "holiday": ("休息日", "Holiday"),
    "workday": ("工作日（调休）", "Working day (make-up)"),
    "add_override": ("添加", "Add"),
    "year": ("年份", "Year"),
    "publish_year": ("标记该年已完整录入", "Mark the year as entered in full"),
    "override_added": (
        "日历已更新，{n} 个暂定期限已重算。",
        "Calendar updated; provisional deadlines recomputed: {n}.",
    ),
    "year_published": (
        "{year} 年已标记为完整录入，{n} 个暂定期限已重算。",
        "{year} marked as entered in full; provisional deadlines recomputed: {n}.",
    ),
    # Kiosks
    "kiosks_title": ("评价器", "Kiosks"),
    "kiosk_name": ("名称", "Name"),
    "on_duty": ("当班民警", "On duty"),
    "last_seen": ("最近上传", "Last seen"),
    "never": ("从未", "Never"),
    "queue_health": ("队列（24 小时）", "Queue (24 hours)"),
    "health_line": ("收到 {taps} 次评价，延迟 {late} 次", "{taps} taps received, {late} late"),
    "queue_late": ("有积压", "Backlog"),
    "health_hint": (
        "“最近上传”是评价器最近一次上传评价的时间；"
        "“延迟”指在平板队列中等待超过 5 分钟才上传的评价（多为断网）。",
        "“Last seen” is the kiosk's latest upload of a rating; “late” counts ratings that "
        "waited over 5 minutes in the tablet's queue before upload (usually a lost network).",
    ),
    "awaiting_enrolment": ("待启用", "Awaiting enrolment"),
    "reenroll": ("重新启用（换平板）", "Re-enrol (new tablet)"),
    "no_kiosks": ("尚无评价器", "No kiosks yet"),
    "add_kiosk": ("新增评价器", "Add a kiosk"),
    "set_pin": ("设置民警评价器 PIN", "Set an officer's kiosk PIN"),
    "badge_no": ("警号", "Badge no."),
    "pin": ("PIN（4–12 位数字）", "PIN (4-12 digits)"),
    "enroll_url": (
        "一次性启用链接（7 天内有效，仅可使用一次）",
        "One-time enrolment URL (valid 7 days, works once)",
    ),
    "enroll_qr": (
        "启用链接二维码，用平板扫描",
        "Enrolment URL as a QR code, to scan with the tablet",
    ),
    "kiosk_added": ("已新增评价器 {name}。", "Kiosk {name} added."),
    "kiosk_reenrolled": (
        "{name} 的旧平板已停用，请用新链接启用新平板。",
        "The old tablet of {name} no longer works; enrol the new one with this URL.",
    ),
    "kiosk_revoked": ("已吊销评价器 {name}。", "Kiosk {name} revoked."),
    "pin_set": ("已设置警号 {badge} 的 PIN。", "PIN of badge {badge} set."),
}

_TEXTS = by_lang(_TEXT)


def people_texts(lang: str) -> dict[str, str]:
    return _TEXTS[lang if lang in LANGS else "en"]


def ptext(request: Request, key: str, **values: Any) -> str:
    return people_texts(pick_lang(request))[key].format(**values)


def people_page(request: Request, template: str, me: SessionInfo, **ctx: Any) -> Response:
    """An admin page of this area: the shared frame plus this area's texts as `p`."""
    return page(request, template, me, p=people_texts(pick_lang(request)), **ctx)


# The shared frame (base.html, every admin page) shows this area's navigation links in the
# page's language: register the table with the template environment instead of adding to
# the shared texts.
render._env.globals["nav_people"] = people_texts

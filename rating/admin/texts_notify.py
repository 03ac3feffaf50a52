"""Texts of the notifications page (/admin/notifications), Chinese and English."""

from __future__ import annotations

from rating.admin import render
from rating.i18n import LANGS, by_lang

_TEXT: dict[str, tuple[str, str]] = {
    "title": ("消息通知", "Notifications"),
    "subs": ("订阅", "Subscriptions"),
    "subs_hint": (
        "每个订阅把一个单位（含下级单位）或全局的事件发到一个企业微信、钉钉群机器人或邮箱"
        "（邮件按间隔汇总）。也可用命令 pingjing notify add 添加。",
        "Each subscription sends the events of one unit (with the units below it) or of the "
        "whole bureau to a WeCom or DingTalk group robot, or to an e-mail address (digests). "
        "`pingjing notify add` does the same on the command line.",
    ),
    "no_subs": ("尚无订阅", "No subscriptions yet"),
    "sender": ("发送方式", "Sender"),
    "target": ("目标", "Target"),
    "unit": ("单位", "Unit"),
    "bureau": ("全局", "Whole bureau"),
    "events": ("事件", "Events"),
    "state": ("状态", "State"),
    "active": ("启用", "Active"),
    "disabled": ("已停用", "Stopped"),
    "pending": ("待发送", "Pending"),
    "dead": ("失败", "Dead"),
    "dead_title": ("发送失败（死信）", "Dead letters"),
    "dead_hint": (
        "多次重试仍未送达的消息；排除故障后可重新发送。",
        "Messages that failed every retry; send them again once the fault is fixed.",
    ),
    "no_dead": ("没有发送失败的消息", "No dead letters"),
    "event": ("事件", "Event"),
    "time": ("时间", "Time"),
    "attempts": ("尝试次数", "Attempts"),
    "error": ("错误", "Error"),
    "retry": ("重新发送", "Send again"),
    "retry_all": ("全部重新发送", "Send all again"),
    "retried": ("已重新排队 {n} 条消息。", "{n} messages queued again."),
    "nav": ("消息通知", "Notifications"),
    "label": ("名称", "Name"),
    "actions": ("操作", "Actions"),
    "edit": ("修改", "Edit"),
    "save": ("保存", "Save"),
    "stop": ("停用", "Stop"),
    "start": ("重新启用", "Start again"),
    "test": ("发送测试消息", "Send a test message"),
    "add_title": ("添加订阅", "Add a subscription"),
    "add": ("添加", "Add"),
    "target_hint": (
        "群机器人的 Webhook 地址（https://…），或邮箱地址",
        "The robot's webhook URL (https://…), or an e-mail address",
    ),
    "new_target": ("新的目标地址（留空则不变）", "New target (leave empty to keep it)"),
    "secret": ("钉钉加签密钥（SEC…）", "DingTalk signing secret (SEC…)"),
    "new_secret": ("新的加签密钥（留空则不变）", "New signing secret (leave empty to keep it)"),
    "secret_set": ("已设置加签密钥", "Signing secret set"),
    "not_retyped": (
        "为保护密钥，目标地址和加签密钥不会回显，请重新填写。",
        "The target and the signing secret are never shown back: type them again.",
    ),
    "added": ("已添加订阅 #{id}。", "Subscription #{id} added."),
    "saved": ("已保存订阅 #{id}。", "Subscription #{id} saved."),
    "disabled_msg": ("已停用订阅 #{id}。", "Subscription #{id} stopped."),
    "enabled_msg": ("已重新启用订阅 #{id}。", "Subscription #{id} started again."),
    "test_ok": ("测试消息已发送到订阅 #{id}。", "Test message sent to subscription #{id}."),
    "test_failed": (
        "测试消息发送到订阅 #{id} 失败：{error}",
        "The test message to subscription #{id} failed: {error}",
    ),
    "failed": ("未保存：{reason}", "Not saved: {reason}"),
    "outbox_title": ("待发送", "Outbox"),
    "outbox_hint": (
        "尚未送达的消息：新消息，以及失败后等待重试的消息（间隔逐次加倍）。",
        "Messages not delivered yet: new ones, and failed ones waiting for their next "
        "attempt (the wait doubles each time).",
    ),
    "no_outbox": ("没有待发送的消息", "Nothing waiting to be sent"),
    "next_at": ("下次发送", "Next attempt"),
    "summary": ("内容", "About"),
    "view_only": (
        "订阅由管理员维护；单位负责人可查看并重新发送失败的消息。",
        "Administrators manage subscriptions; unit managers see them and send failed "
        "messages again.",
    ),
}
SENDER_LABELS = by_lang(
    {
        "wecom": ("企业微信群机器人", "WeCom robot"),
        "dingtalk": ("钉钉群机器人", "DingTalk robot"),
        "email": ("邮件摘要", "E-mail digest"),
    }  # fmt: skip
)
EVENT_LABELS = by_lang(
    {
        "bad_rating": ("新差评", "New bad rating"),
        "overdue": ("案件超期", "Case overdue"),
        "warning": ("预警", "Warning"),
    }  # fmt: skip
)
_TEXTS = by_lang(_TEXT)


def notify_texts(lang: str) -> dict[str, str]:
    return _TEXTS[lang if lang in LANGS else "en"]


# The shared frame (base.html) links this page for admins and unit managers, in the page's
# language: the table is registered with the template environment (as texts_people does).
render._env.globals["nav_notify"] = notify_texts

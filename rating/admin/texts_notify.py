"""Texts of the notifications page (/admin/notifications), Chinese and English."""

from __future__ import annotations

from rating.i18n import LANGS, by_lang

_TEXT: dict[str, tuple[str, str]] = {
    "title": ("消息通知", "Notifications"),
    "subs": ("订阅", "Subscriptions"),
    "subs_hint": (
        "用命令 pingjing notify add 添加订阅（企业微信、钉钉群机器人或邮件摘要）。",
        "Add subscriptions with `pingjing notify add` (WeCom or DingTalk group robot, or "
        "e-mail digests).",
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

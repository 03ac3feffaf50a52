"""The text of a notification, from an event's payload (Chinese: the bureau's language).

A payload carries nothing personal beyond the masked phone (138****5678): no comment (a
citizen may write anything in it), no name of the citizen, never the full phone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rating.cases.calendar import SHANGHAI
from rating.cases.model import STATE_LABELS, STEP_LABELS
from rating.labels import REASON_LABELS

TITLES = {"bad_rating": "新差评", "overdue": "案件超期", "warning": "预警"}
WARNING_LABELS = {"baseline": "差评率高于基线", "burst": "短时集中好评"}
CHANNEL_LABELS = {"badge": "警号码", "kiosk": "评价器", "web": "网页"}


def _ts(ms: Any) -> str:
    if ms is None:
        return ""
    return datetime.fromtimestamp(int(ms) / 1000, SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _unit(path: Any) -> str:
    return str(path or "全局").rsplit("/", 1)[-1]


def lines(kind: str, p: dict[str, Any], base_url: str) -> list[str]:
    """The markdown lines of one event (a title line first)."""
    link = f"{base_url.rstrip('/')}/admin/cases/{p['case_id']}" if "case_id" in p else ""
    if kind == "bad_rating":
        channel = CHANNEL_LABELS.get(p.get("channel", ""), p.get("channel", ""))
        reasons = "、".join(REASON_LABELS["zh"].get(r, r) for r in p.get("reasons", [])) or "未选择"
        out = [
            f"**{TITLES[kind]}** {p['level']} 级 · {_unit(p.get('unit'))}",
            f"> 警号：{p.get('badge_no', '')}　渠道：{channel}",
            f"> 原因：{reasons}",
            f"> 回访期限：{_ts(p.get('due_at'))}",
        ]
        if p.get("phone_mask"):
            out.append(f"> 电话：{p['phone_mask']}")
    elif kind == "overdue":
        out = [
            f"**{TITLES[kind]}** {STEP_LABELS.get(p.get('step', ''), p.get('step'))} · "
            f"{_unit(p.get('unit'))}",
            f"> 案件 #{p['case_id']}（{STATE_LABELS.get(p.get('state', ''), p.get('state'))}）"
            f" 警号：{p.get('badge_no', '')}",
            f"> 期限：{_ts(p.get('due_at'))}",
        ]
    else:
        label = WARNING_LABELS.get(p.get("warning", ""), p.get("warning", ""))
        out = [
            f"**{TITLES['warning']}** {label} · {_unit(p.get('unit'))}",
            f"> {p.get('detail', '')}",
        ]
    if link:
        out.append(f"[查看案件 #{p['case_id']}]({link})")
    return out


def render(kind: str, payload: dict[str, Any], base_url: str) -> tuple[str, str]:
    """(title, markdown) of one event's robot message."""
    title = f"评警 · {TITLES.get(kind, kind)}"
    return title, "\n".join(lines(kind, payload, base_url))


def digest(items: Sequence[tuple[str, dict[str, Any]]], base_url: str) -> tuple[str, str]:
    """(subject, plain text) of one e-mail digest of several events."""
    counts: dict[str, int] = {}
    for kind, _ in items:
        counts[kind] = counts.get(kind, 0) + 1
    subject = "评警通知：" + "，".join(f"{TITLES.get(k, k)} {n} 条" for k, n in counts.items())
    blocks = []
    for kind, payload in items:
        text = "\n".join(lines(kind, payload, base_url))
        blocks.append(text.replace("**", "").replace("> ", "  "))
    return subject, "\n\n".join(blocks) + "\n"


def test_message(base_url: str, now_ms: int) -> tuple[str, str]:
    """(title, markdown) of the test message the admin page sends to a new target."""
    return "评警 · 测试消息", "\n".join(
        [
            "**测试消息**",
            f"> 这是评警发出的测试消息（{_ts(now_ms)}），收到即表示该群机器人或邮箱配置正确。",
            f"[打开评警管理]({base_url.rstrip('/')}/admin/notifications)",
        ]
    )

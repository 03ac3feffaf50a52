"""One round of notification work: scan for new events, send what is due, record it.

The background task (rating/cases/background.py) runs `run_once` every
PINGJING_NOTIFY_POLL_SECONDS with the wall clock; tests run it with any clock they like.
Robot messages go one per event; e-mail deliveries due together for one subscription go
as one digest.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rating import metrics
from rating.notify import messages, senders
from rating.notify import store as nstore

if TYPE_CHECKING:
    from rating.settings import Settings
    from rating.store import Store

log = logging.getLogger("pingjing.notify")


@dataclass(frozen=True)
class Config:
    base_url: str
    max_attempts: int
    base_ms: int
    digest_ms: int
    smtp_url: str
    smtp_from: str

    @classmethod
    def from_settings(cls, s: Settings) -> Config:
        return cls(
            base_url=s.public_base_url,
            max_attempts=max(1, s.notify_max_attempts),
            base_ms=int(s.notify_retry_seconds * 1000),
            digest_ms=max(0, s.notify_digest_minutes) * 60_000,
            smtp_url=s.smtp_url,
            smtp_from=s.smtp_from,
        )


@dataclass(frozen=True)
class Round:
    enqueued: int
    sent: int
    failed: int


def send_group(group: list[nstore.Due], cfg: Config, now: int) -> tuple[bool, str]:
    """Send one message for `group` (one event for a robot; a digest for e-mail)."""
    first = group[0]
    if first.sender == "email":
        subject, text = messages.digest([(d.kind, d.payload) for d in group], cfg.base_url)
        return senders.send_email(cfg.smtp_url, cfg.smtp_from, first.target, subject, text, now)
    title, markdown = messages.render(first.kind, first.payload, cfg.base_url)
    if first.sender == "dingtalk":
        return senders.send_dingtalk(first.target, first.secret, title, markdown, now)
    return senders.send_wecom(first.target, markdown)


def send_test(target: nstore.Target, cfg: Config, now: int) -> tuple[bool, str]:
    """One test message to `target`, in its sender's format."""
    title, markdown = messages.test_message(cfg.base_url, now)
    if target.sender == "email":
        text = markdown.replace("**", "").replace("> ", "  ") + "\n"
        return senders.send_email(cfg.smtp_url, cfg.smtp_from, target.target, title, text, now)
    if target.sender == "dingtalk":
        return senders.send_dingtalk(target.target, target.secret, title, markdown, now)
    return senders.send_wecom(target.target, markdown)


def groups(due: list[nstore.Due]) -> list[list[nstore.Due]]:
    out: list[list[nstore.Due]] = []
    mail: dict[int, list[nstore.Due]] = {}
    for d in due:
        if d.sender == "email":
            if d.subscription_id not in mail:
                mail[d.subscription_id] = []
                out.append(mail[d.subscription_id])
            mail[d.subscription_id].append(d)
        else:
            out.append([d])
    return out


async def run_once(
    store: Store, cfg: Config, now: int, send: Callable[..., tuple[bool, str]] = send_group
) -> Round:
    """Scan, then send every due delivery once. Never logs a target or a secret."""
    enqueued = await store.write(nstore.scan, now, cfg.digest_ms)
    sent = failed = 0
    for group in groups(await store.write(nstore.claim_due, now)):
        ok, error = await asyncio.to_thread(send, group, cfg, now)
        if not ok:
            log.warning(
                "notification %s to subscription %d failed: %s",
                group[0].kind, group[0].subscription_id, error,
            )  # fmt: skip
        metrics.NOTIFY.labels(group[0].sender, "ok" if ok else "failed").inc()
        results = [(d.id, d.attempts + 1, ok, error) for d in group]
        await store.write(nstore.mark, results, now, cfg.max_attempts, cfg.base_ms)
        sent += len(group) if ok else 0
        failed += 0 if ok else len(group)
    return Round(enqueued, sent, failed)

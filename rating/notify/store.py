"""Notification units of work over a `Tx`: subscriptions, the outbox, deliveries.

An event is one row of `notify_events` (unique by its dedup key) plus one delivery row per
subscription that wants it, written in the same transaction: once an event is stored its
deliveries exist, and whatever happens to the process after that, the background task
finds them. Deliveries are retried with the webhook's backoff (rating/cases/webhook.py)
and end in the dead-letter list after the maximum attempts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from rating.cases import webhook
from rating.cases.audit import audit
from rating.cases.model import Actor
from rating.cases.queries import overdue_cases
from rating.domain_errors import Invalid, NotFound
from rating.store.tx import Tx, named, select_list

SENDERS = ("wecom", "dingtalk", "email")
KINDS = ("bad_rating", "overdue", "warning")
# Cases opened before this when the scan first sees them are not announced (the scan was
# off, or the subscription is new): a notification is about now, not last month.
NEW_CASE_MAX_AGE_MS = 86_400_000
OVERDUE_MAX_AGE_MS = 7 * 86_400_000
LEASE_MS = webhook.LEASE_MS
BATCH = 200
MAX_ERROR = 300


# ---------------------------------------------------------------- subscriptions


@dataclass(frozen=True)
class Subscription:
    id: int
    unit_path: str | None
    sender: str
    target: str
    events: tuple[str, ...]
    label: str
    disabled: bool
    created_at: int
    pending: int = 0
    dead: int = 0

    @property
    def target_masked(self) -> str:
        return mask_target(self.sender, self.target)


def mask_target(sender: str, target: str) -> str:
    """What pages and the CLI show of a target: the robot's key is a secret, the URL's
    host is not; an e-mail address shows its domain."""
    if sender == "email":
        local, _, domain = target.partition("@")
        return (local[:1] + "***@" + domain) if domain else "***"
    head, _, query = target.partition("?")
    return head + ("?***" if query else "")


def parse_events(text: str) -> tuple[str, ...]:
    events = tuple(dict.fromkeys(e.strip() for e in text.split(",") if e.strip()))
    unknown = [e for e in events if e not in KINDS]
    if unknown or not events:
        raise Invalid(
            f"events must be a comma-separated list of {', '.join(KINDS)}", "事件类型无效"
        )
    return events


def check_target(sender: str, target: str, secret: str) -> None:
    if sender not in SENDERS:
        raise Invalid(f"sender must be one of {', '.join(SENDERS)}", "发送方式无效")
    if sender == "email":
        if "@" not in target or any(c.isspace() for c in target) or len(target) > 254:
            raise Invalid("target: an e-mail address is required", "请填写有效的邮箱地址")
    elif not target.startswith(("https://", "http://")):
        raise Invalid(
            "target: the robot's webhook URL (https://...) is required", "请填写机器人地址"
        )
    if sender == "dingtalk" and not secret:
        raise Invalid(
            "secret: a DingTalk robot needs its signing secret (SEC...)", "请填写钉钉加签密钥"
        )


def add_subscription(
    tx: Tx,
    unit_ref: str | None,
    sender: str,
    target: str,
    secret: str,
    events: tuple[str, ...],
    label: str,
    now: int,
    scope: str | None = None,
    actor: Actor | None = None,
) -> int:
    check_target(sender, target, secret)
    check_fields(target, label)
    unit_id = _unit_id(tx, unit_ref, scope)
    sub_id = tx.insert(
        "INSERT INTO notify_subscriptions (unit_id, sender, target, secret, events, label, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (unit_id, sender, target, secret, ",".join(events), label, now),
    )
    if actor is not None:  # the page's; the CLI's additions are the operator's own
        audit(tx, now, actor, "notify_add", note=f"#{sub_id} {mask_target(sender, target)}")
    return sub_id


MAX_TARGET = 2000
MAX_LABEL = 100


def check_fields(target: str, label: str) -> None:
    if len(target) > MAX_TARGET:
        raise Invalid(f"target: at most {MAX_TARGET} characters", "目标地址过长")
    if len(label) > MAX_LABEL:
        raise Invalid(f"label: at most {MAX_LABEL} characters", f"名称不能超过 {MAX_LABEL} 字")


def _unit_id(tx: Tx, unit_ref: str | None, scope: str | None) -> int | None:
    """The unit of a subscription: its code or path (None: the whole bureau), within
    `scope` (an actor scoped to a unit may not subscribe outside it, nor bureau-wide)."""
    if not unit_ref:
        if scope is not None:
            raise Invalid("unit: choose a unit of your scope", "请选择本单位范围内的单位")
        return None
    row = tx.one("SELECT id, path FROM units WHERE code = ? OR path = ?", (unit_ref, unit_ref))
    if row is None:
        raise Invalid(f"unit: unknown unit {unit_ref!r}", "未找到该单位")
    if scope is not None and not _within(str(row[1]), scope):
        raise Invalid("unit: choose a unit of your scope", "请选择本单位范围内的单位")
    return int(row[0])


def get_subscription(tx: Tx, sub_id: int, scope: str | None = None) -> Subscription:
    """One subscription (within `scope`), else NotFound."""
    for sub in list_subscriptions(tx, scope, sub_id):
        return sub
    raise NotFound("no such subscription", "未找到该订阅")


def update_subscription(
    tx: Tx, sub_id: int, unit_ref: str | None, target: str, secret: str,
    events: tuple[str, ...], label: str, now: int, scope: str | None = None,
    actor: Actor | None = None,
) -> Subscription:  # fmt: skip
    """Change a subscription's unit, events and label; its target and secret only when
    given (empty: keep them, as the page never shows them back). Audited, target masked."""
    old = get_subscription(tx, sub_id, scope)
    target = target or old.target
    if not secret:
        found = tx.one("SELECT secret FROM notify_subscriptions WHERE id = ?", (sub_id,))
        secret = "" if found is None else str(found[0])
    check_target(old.sender, target, secret)
    check_fields(target, label)
    unit_id = _unit_id(tx, unit_ref, scope)
    tx.run(
        "UPDATE notify_subscriptions SET unit_id = ?, target = ?, secret = ?, events = ?, "
        "label = ? WHERE id = ?",
        (unit_id, target, secret, ",".join(events), label, sub_id),
    )
    audit(tx, now, actor, "notify_edit", note=f"#{sub_id} {mask_target(old.sender, target)}")
    return get_subscription(tx, sub_id)


def set_disabled(
    tx: Tx, sub_id: int, disabled: bool, now: int, scope: str | None = None,
    actor: Actor | None = None,
) -> bool:  # fmt: skip
    """Stop (or start again) a subscription within `scope`; False when it already was.
    Deliveries still pending while it was stopped are not sent afterwards: they stay
    pending in the history (the sender skips a stopped subscription's deliveries) and are
    marked dead on restart, so a restarted robot does not get a backlog of old news."""
    get_subscription(tx, sub_id, scope)
    changed = (
        tx.run(
            "UPDATE notify_subscriptions SET disabled = ? WHERE id = ? AND disabled = ?",
            (int(disabled), sub_id, int(not disabled)),
        )
        == 1
    )
    if changed:
        if not disabled:
            tx.run(
                "UPDATE notify_deliveries SET state = 'dead', last_error = ? "
                "WHERE subscription_id = ? AND state = 'pending'",
                (STOPPED_ERROR, sub_id),
            )
        audit(tx, now, actor, "notify_disable" if disabled else "notify_enable",
              note=f"#{sub_id}")  # fmt: skip
    return changed


STOPPED_ERROR = "subscription was stopped"


@dataclass(frozen=True)
class Target:
    """Where a subscription sends (secrets included: for the sender only)."""

    id: int
    sender: str
    target: str
    secret: str


def subscription_target(tx: Tx, sub_id: int, scope: str | None = None) -> Target:
    get_subscription(tx, sub_id, scope)
    row = tx.one("SELECT sender, target, secret FROM notify_subscriptions WHERE id = ?", (sub_id,))
    if row is None:
        raise NotFound("no such subscription", "未找到该订阅")
    return Target(sub_id, str(row[0]), str(row[1]), str(row[2]))


def audit_test(tx: Tx, sub_id: int, ok: bool, error: str, now: int, actor: Actor | None) -> None:
    audit(tx, now, actor, "notify_test", note=f"#{sub_id} " + ("ok" if ok else error[:MAX_ERROR]))


def remove_subscription(tx: Tx, sub_id: int) -> bool:
    """Disable (not delete): its deliveries stay in the history; nothing more is sent."""
    return (
        tx.run(
            "UPDATE notify_subscriptions SET disabled = 1 WHERE id = ? AND disabled = 0", (sub_id,)
        )
        == 1
    )


_SUB_COLUMNS = {
    "id": "s.id",
    "unit_path": "u.path",
    "sender": "s.sender",
    "target": "s.target",
    "events": "s.events",
    "label": "s.label",
    "disabled": "s.disabled",
    "created_at": "s.created_at",
    "pending": "(SELECT COUNT(*) FROM notify_deliveries d WHERE d.subscription_id = s.id "
    "AND d.state = 'pending')",
    "dead": "(SELECT COUNT(*) FROM notify_deliveries d WHERE d.subscription_id = s.id "
    "AND d.state = 'dead')",
}


def list_subscriptions(
    tx: Tx, scope: str | None = None, sub_id: int | None = None
) -> list[Subscription]:
    """Every subscription (of `scope`'s subtree, by unit path, when given; only `sub_id`
    when given)."""
    where, params = ("WHERE s.id = ? ", (sub_id,)) if sub_id is not None else ("", ())
    rows = tx.all(
        f"SELECT {select_list(_SUB_COLUMNS)} FROM notify_subscriptions s "
        f"LEFT JOIN units u ON u.id = s.unit_id {where}ORDER BY s.id",
        params,
    )
    out = []
    for row in rows:
        f = named(_SUB_COLUMNS, row)
        sub = Subscription(
            **{
                **f,
                "id": int(f["id"]),
                "events": tuple(e for e in f["events"].split(",") if e),
                "disabled": bool(f["disabled"]),
                "created_at": int(f["created_at"]),
                "pending": int(f["pending"]),
                "dead": int(f["dead"]),
            }
        )
        if scope is None or _within(sub.unit_path, scope):
            out.append(sub)
    return out


def _within(path: str | None, scope: str) -> bool:
    return path is not None and (path == scope or path.startswith(scope + "/"))


# ---------------------------------------------------------------- the outbox


def enqueue(
    tx: Tx, kind: str, unit_id: int | None, dedup_key: str, payload: dict[str, Any], now: int,
    digest_ms: int,
) -> int | None:  # fmt: skip
    """Store one event and a delivery for each subscription that wants it; None when the
    event was stored before (its dedup key). E-mail deliveries wait for the end of the
    digest interval, so that one message carries everything of that interval."""
    row = tx.one(
        "INSERT INTO notify_events (kind, unit_id, dedup_key, payload, created_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (dedup_key) DO NOTHING RETURNING id",
        (kind, unit_id, dedup_key, json.dumps(payload, ensure_ascii=False, sort_keys=True), now),
    )
    if row is None:
        return None
    event_id = int(row[0])
    path = None
    if unit_id is not None:
        found = tx.one("SELECT path FROM units WHERE id = ?", (unit_id,))
        path = None if found is None else str(found[0])
    subs = tx.all(
        "SELECT s.id, s.sender, s.events, u.path FROM notify_subscriptions s "
        "LEFT JOIN units u ON u.id = s.unit_id WHERE s.disabled = 0 ORDER BY s.id"
    )
    for sub_id, sender, events, sub_path in subs:
        if kind not in events.split(","):
            continue
        # A unit's subscription hears its own subtree; an event of no unit (a bureau-wide
        # warning) goes to bureau-wide subscriptions only.
        if sub_path is not None and not (path is not None and _within(path, sub_path)):
            continue
        due = now
        if sender == "email" and digest_ms > 0:
            due = (now // digest_ms + 1) * digest_ms
        tx.run(
            "INSERT INTO notify_deliveries (event_id, subscription_id, next_at, created_at) "
            "VALUES (?, ?, ?, ?)",
            (event_id, int(sub_id), due, now),
        )
    return event_id


def scan(tx: Tx, now: int, digest_ms: int) -> int:
    """Enqueue the events nobody has enqueued yet: cases opened by bad ratings in the last
    day, and cases whose current step went overdue in the last week. Returns how many.

    A scan rather than an INSERT in the rating's transaction: the case row, committed with
    the rating, already is the durable record (as it is for the webhook), the rating path
    (Python and PL/pgSQL) stays as it is, and overdue has no transaction to hook anyway."""
    made = 0
    rows = tx.all(
        "SELECT c.id, c.opened_at, c.callback_due_at, r.level, r.reasons, r.channel, "
        "r.phone_mask, c.unit_id, u.path, o.badge_no FROM cases c "
        "JOIN ratings r ON r.id = c.rating_id JOIN units u ON u.id = c.unit_id "
        "JOIN officers o ON o.id = c.officer_id "
        "WHERE c.opened_at >= ? AND c.opened_at <= ? AND NOT EXISTS (SELECT 1 FROM "
        "notify_events e WHERE e.dedup_key = 'bad_rating:' || CAST(c.id AS TEXT)) "
        "ORDER BY c.id LIMIT ?",
        (now - NEW_CASE_MAX_AGE_MS, now, BATCH),
    )
    for cid, opened, due, level, reasons, channel, mask, unit_id, path, badge in rows:
        payload = {
            "case_id": int(cid),
            "level": int(level),
            "reasons": [x for x in (reasons or "").split(",") if x],
            "channel": channel,
            "phone_mask": mask,
            "unit": path,
            "badge_no": badge,
            "opened_at": int(opened),
            "due_at": int(due),
        }
        made += enqueue(tx, "bad_rating", int(unit_id), f"bad_rating:{cid}", payload, now,
                        digest_ms) is not None  # fmt: skip
    late = [c for c in overdue_cases(tx, now) if c.due_at and c.due_at >= now - OVERDUE_MAX_AGE_MS]
    if late:
        known = {
            r[0]
            for r in tx.all(
                "SELECT dedup_key FROM notify_events WHERE kind = 'overdue' AND created_at >= ?",
                (now - OVERDUE_MAX_AGE_MS - 86_400_000,),
            )
        }
        unit_ids = {
            r[1]: int(r[0]) for r in tx.all("SELECT id, path FROM units")
        } if late else {}  # fmt: skip
        for case in late:
            key = f"overdue:{case.id}:{case.overdue}:{case.due_at}"
            if key in known:
                continue
            payload = {
                "case_id": case.id,
                "step": case.overdue,
                "state": case.state,
                "due_at": case.due_at,
                "unit": case.unit_path,
                "badge_no": case.badge_no,
                "level": case.level,
                "phone_mask": case.phone_mask,
            }
            unit_id = unit_ids.get(case.unit_path)
            made += enqueue(tx, "overdue", unit_id, key, payload, now, digest_ms) is not None
    return made


def enqueue_warning(
    tx: Tx, unit_path: str | None, key: str, payload: dict[str, Any], now: int, digest_ms: int
) -> bool:
    """One analytics warning (baseline jump, burst), once per `key`."""
    unit_id = None
    if unit_path:
        row = tx.one("SELECT id FROM units WHERE path = ?", (unit_path,))
        unit_id = None if row is None else int(row[0])
    return enqueue(tx, "warning", unit_id, "warning:" + key, payload, now, digest_ms) is not None


# ---------------------------------------------------------------- deliveries


@dataclass(frozen=True)
class Due:
    """One claimed delivery: its attempt number so far, the event and where it goes."""

    id: int
    attempts: int
    subscription_id: int
    sender: str
    target: str
    secret: str
    kind: str
    payload: dict[str, Any]
    created_at: int


_DUE_COLUMNS = {
    "id": "d.id",
    "attempts": "d.attempts",
    "next_at": "d.next_at",
    "subscription_id": "d.subscription_id",
    "sender": "s.sender",
    "target": "s.target",
    "secret": "s.secret",
    "kind": "e.kind",
    "payload": "e.payload",
    "created_at": "e.created_at",
}


def claim_due(tx: Tx, now: int) -> list[Due]:
    """Pending deliveries whose attempt is due, each claimed for LEASE_MS (compare-and-set
    on its next attempt time, as the webhook claims cases) so that two app instances on
    one database never send the same message at once."""
    rows = tx.all(
        f"SELECT {select_list(_DUE_COLUMNS)} FROM notify_deliveries d "
        "JOIN notify_events e ON e.id = d.event_id "
        "JOIN notify_subscriptions s ON s.id = d.subscription_id "
        "WHERE d.state = 'pending' AND d.next_at <= ? AND s.disabled = 0 "
        "ORDER BY d.next_at, d.id LIMIT ?",
        (now, BATCH),
    )
    out = []
    for row in rows:
        f = named(_DUE_COLUMNS, row)
        if (
            tx.run(
                "UPDATE notify_deliveries SET next_at = ? WHERE id = ? AND state = 'pending' "
                "AND next_at = ?",
                (now + LEASE_MS, f["id"], f["next_at"]),
            )
            != 1
        ):
            continue
        out.append(
            Due(
                id=int(f["id"]),
                attempts=int(f["attempts"]),
                subscription_id=int(f["subscription_id"]),
                sender=f["sender"],
                target=f["target"],
                secret=f["secret"],
                kind=f["kind"],
                payload=json.loads(f["payload"]),
                created_at=int(f["created_at"]),
            )
        )
    return out


def mark(
    tx: Tx,
    results: list[tuple[int, int, bool, str]],
    now: int,
    max_attempts: int,
    base_ms: int,
) -> None:
    """Record attempts: (delivery id, attempt number, ok, error) each; the schedule is the
    webhook's `backoff`, and a delivery that used up its attempts becomes dead."""
    for delivery_id, attempts, ok, error in results:
        state, next_at = webhook.backoff(ok, attempts, now, max_attempts, base_ms)
        tx.run(
            "UPDATE notify_deliveries SET state = ?, attempts = ?, next_at = ?, last_error = ?, "
            "sent_at = ? WHERE id = ?",
            (
                "dead" if state == "failed" else state,
                attempts,
                next_at,
                error[:MAX_ERROR],
                now if ok else None,
                delivery_id,
            ),
        )


@dataclass(frozen=True)
class DeadLetter:
    """One delivery as the page lists it: a dead letter, or a pending one of the outbox."""

    id: int
    subscription_id: int
    sender: str
    target_masked: str
    unit_path: str | None
    kind: str
    attempts: int
    last_error: str
    event_at: int
    summary: str
    next_at: int = 0


def _deliveries(tx: Tx, state: str, scope: str | None, limit: int) -> list[DeadLetter]:
    order = "d.id DESC" if state == "dead" else "d.next_at, d.id"
    rows = tx.all(
        "SELECT d.id, d.subscription_id, s.sender, s.target, u.path, e.kind, d.attempts, "
        "d.last_error, e.created_at, e.payload, d.next_at FROM notify_deliveries d "
        "JOIN notify_events e ON e.id = d.event_id "
        "JOIN notify_subscriptions s ON s.id = d.subscription_id "
        f"LEFT JOIN units u ON u.id = e.unit_id WHERE d.state = ? ORDER BY {order} LIMIT ?",
        (state, limit),
    )
    out = []
    for did, sid, sender, target, path, kind, attempts, error, at, payload, next_at in rows:
        if scope is not None and not _within(path, scope):
            continue
        data = json.loads(payload)
        summary = f"#{data['case_id']}" if "case_id" in data else str(data.get("week", ""))
        out.append(
            DeadLetter(
                int(did),
                int(sid),
                sender,
                mask_target(sender, target),
                path,
                kind,
                int(attempts),
                error,
                int(at),
                summary,
                int(next_at),
            )  # fmt: skip
        )
    return out


def dead_letters(tx: Tx, scope: str | None = None, limit: int = 200) -> list[DeadLetter]:
    return _deliveries(tx, "dead", scope, limit)


def outbox(tx: Tx, scope: str | None = None, limit: int = 100) -> list[DeadLetter]:
    """Deliveries still to be sent (first due first): new ones, and failed ones waiting for
    their next attempt (`attempts` > 0, with the last error)."""
    return _deliveries(tx, "pending", scope, limit)


def retry_dead(
    tx: Tx, delivery_id: int | None, now: int, scope: str | None = None,
    actor: Actor | None = None,
) -> int:  # fmt: skip
    """Send dead deliveries again (one, or all when `delivery_id` is None), from attempt 1;
    audited (who asked, how many)."""
    letters = [d for d in dead_letters(tx, scope, limit=10_000)
               if delivery_id is None or d.id == delivery_id]  # fmt: skip
    if delivery_id is not None and not letters:
        raise NotFound("no such dead letter", "未找到该失败消息")
    for d in letters:
        tx.run(
            "UPDATE notify_deliveries SET state = 'pending', attempts = 0, next_at = ? "
            "WHERE id = ? AND state = 'dead'",
            (now, d.id),
        )
    audit(tx, now, actor, "notify_retry", note=f"#{delivery_id}" if delivery_id else "all",
          items=len(letters), actor_name="命令行")  # fmt: skip
    return len(letters)

"""Spot-check units of work on a Tx (both databases run the same rules): the day's sample,
the queue, claiming a task, revealing its phone, recording the outcome."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from rating.cases.audit import audit
from rating.cases.model import Actor
from rating.domain_errors import Conflict, Forbidden, Invalid, NotFound
from rating.spotcheck.model import OUTCOMES, REASONS, Outcome, Reason, SampleResult, Task
from rating.spotcheck.sample import Candidate, choose
from rating.store.tx import Tx, named, select_list
from rating.subtree import SUBTREE_SQL, subtree_params

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Ratings at this level or above are "satisfied" and may be checked (the satisfaction rate
# counts them; level 3 too, since that is what the published figure counts by default).
SATISFIED_LEVEL = 3
MAX_NOTE = 500


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid(
            f"day must be YYYY-MM-DD, not {text[:20]!r}", "日期格式应为 YYYY-MM-DD"
        ) from None


def day_window(day: date) -> tuple[int, int]:
    """[start, end) of the day in Asia/Shanghai, epoch ms."""
    start = datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)
    end = start + timedelta(days=1)
    return int(start.timestamp() * 1000), int(end.timestamp() * 1000)


def local_day(ms: int) -> date:
    return datetime.fromtimestamp(ms / 1000, SHANGHAI).date()


def candidates(tx: Tx, start: int, end: int) -> list[Candidate]:
    """The day's items that may be checked and never were: satisfied valid ratings made that
    day with a phone, and cases closed that day whose rating still has its phone."""
    rows = tx.all(
        "SELECT 'rating', r.id, r.id, r.unit_id, r.channel FROM ratings r "
        "WHERE r.created_at >= ? AND r.created_at < ? AND r.level >= ? "
        "AND r.phone_enc IS NOT NULL AND r.invalidated IS NULL "
        "AND NOT EXISTS (SELECT 1 FROM spot_checks s WHERE s.kind = 'rating' "
        "AND s.item_id = r.id) "
        "UNION ALL "
        "SELECT 'case', c.id, r.id, c.unit_id, r.channel FROM cases c "
        "JOIN ratings r ON r.id = c.rating_id "
        "WHERE c.state = 'closed' AND c.closed_at >= ? AND c.closed_at < ? "
        "AND r.phone_enc IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM spot_checks s WHERE s.kind = 'case' AND s.item_id = c.id)",
        (start, end, SATISFIED_LEVEL, start, end),
    )
    return [Candidate(str(k), int(i), int(r), int(u), str(ch)) for k, i, r, u, ch in rows]


def sample_day(tx: Tx, day: date, key: bytes, share: float, minimum: int, now: int) -> SampleResult:
    """Turn the day's sample into tasks, once per day (a second call adds nothing)."""
    text = day.isoformat()
    if not tx.run(
        "INSERT INTO spot_check_days (day, sampled_at, tasks) VALUES (?, ?, 0) "
        "ON CONFLICT (day) DO NOTHING",
        (text, now),
    ):
        row = tx.one("SELECT tasks FROM spot_check_days WHERE day = ?", (text,))
        return SampleResult(text, int(row[0]) if row else 0, new=False)
    found = candidates(tx, *day_window(day))
    chosen = choose(found, text, key, share, minimum)
    n = 0
    for c in chosen:
        n += tx.run(
            "INSERT INTO spot_checks (day, kind, item_id, rating_id, unit_id, channel, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kind, item_id) DO NOTHING",
            (text, c.kind, c.item_id, c.rating_id, c.unit_id, c.channel, now),
        )
    tx.run("UPDATE spot_check_days SET tasks = ? WHERE day = ?", (n, text))
    if n:  # an empty day leaves its row above, not an audit line
        audit(tx, now, None, "spotcheck_sample", note=f"day {text}", items=n)
    return SampleResult(text, n, new=True, candidates=len(found))


_TASK_COLUMNS = {
    "id": "s.id",
    "day": "s.day",
    "kind": "s.kind",
    "item_id": "s.item_id",
    "rating_id": "s.rating_id",
    "receipt": "r.receipt",
    "level": "r.level",
    "channel": "s.channel",
    "unit_path": "u.path",
    "officer_name": "o.name",
    "badge_no": "o.badge_no",
    "rated_at": "r.created_at",
    "phone_mask": "r.phone_mask",
    "assignee_id": "s.assignee_id",
    "assignee_name": "a.name",
    "outcome": "s.outcome",
    "reason": "s.reason",
    "note": "s.note",
    "done_at": "s.done_at",
}
_FROM = (
    " FROM spot_checks s JOIN ratings r ON r.id = s.rating_id JOIN units u ON u.id = s.unit_id"
    " JOIN officers o ON o.id = r.officer_id LEFT JOIN admin_users a ON a.id = s.assignee_id"
)


def _task(row: tuple[Any, ...]) -> Task:
    return Task(**named(_TASK_COLUMNS, row))


def list_tasks(tx: Tx, actor: Actor, status: str = "open", limit: int = 200) -> list[Task]:
    """Tasks in the actor's scope: "open" (oldest first), "done" (newest first) or "all"."""
    where, params = "WHERE 1 = 1", list[Any]()
    if actor.unit_path is not None:
        where += " AND " + SUBTREE_SQL
        params += subtree_params(actor.unit_path)
    elif not actor.sees(""):
        return []
    if status == "open":
        where += " AND s.outcome IS NULL"
        order = "s.day, s.id"
    elif status == "done":
        where += " AND s.outcome IS NOT NULL"
        order = "s.done_at DESC, s.id DESC"
    else:
        order = "s.day DESC, s.id"
    rows = tx.all(
        f"SELECT {select_list(_TASK_COLUMNS)}{_FROM} {where} ORDER BY {order} LIMIT ?",
        (*params, limit),
    )
    return [_task(r) for r in rows]


def get_task(tx: Tx, task_id: int, actor: Actor) -> Task:
    """The task, if the actor may see it (NotFound otherwise: no hint that it exists)."""
    row = tx.one(f"SELECT {select_list(_TASK_COLUMNS)}{_FROM} WHERE s.id = ?", (task_id,))
    if row is None:
        raise NotFound("spot-check task not found", "未找到该抽查任务")
    task = _task(row)
    if not actor.sees(task.unit_path):
        raise NotFound("spot-check task not found", "未找到该抽查任务")
    return task


def _acting(tx: Tx, task_id: int, actor: Actor) -> Task:
    task = get_task(tx, task_id, actor)
    if not actor.can_act:
        raise Forbidden("viewers cannot work on spot-checks", "只读账号不能处理抽查任务")
    if not task.open:
        raise Conflict("this spot-check already has its outcome", "该抽查任务已有结果")
    return task


def claim(tx: Tx, task_id: int, actor: Actor, now: int) -> None:
    """Take the task: the assignee alone sees the full phone and records the outcome."""
    task = _acting(tx, task_id, actor)
    tx.run("UPDATE spot_checks SET assignee_id = ? WHERE id = ?", (actor.id, task_id))
    audit(tx, now, actor, "spotcheck_claim", note=f"spot-check {task_id}",
          from_state=str(task.assignee_id or ""), to_state=str(actor.id))  # fmt: skip


def reveal_phone(tx: Tx, task_id: int, actor: Actor, now: int) -> str | None:
    """The encrypted phone of the task's rating, for its assignee only; audited."""
    task = get_task(tx, task_id, actor)
    if task.assignee_id != actor.id:
        raise Forbidden(
            "only the task's assignee may see the phone number", "仅抽查任务承办人可查看完整电话"
        )
    row = tx.one("SELECT phone_enc FROM ratings WHERE id = ?", (task.rating_id,))
    if row is None or row[0] is None:
        return None
    audit(tx, now, actor, "spotcheck_reveal_phone", note=f"spot-check {task_id}")
    return str(row[0])


def record(
    tx: Tx, task_id: int, actor: Actor, outcome: str, reason: str, note: str, now: int
) -> None:
    """Store the callback's outcome (once): confirmed, unreachable, or not confirmed with a
    reason from the list ("other" needs a note)."""
    task = _acting(tx, task_id, actor)
    if task.assignee_id != actor.id:
        raise Forbidden(
            "only the task's assignee may record the outcome; take the task first",
            "请先领取该任务，仅承办人可登记结果",
        )
    if outcome not in OUTCOMES:
        raise Invalid("outcome: choose confirmed, not_confirmed or unreachable", "请选择回访结果")
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise Invalid(f"note: at most {MAX_NOTE} characters", f"备注最多 {MAX_NOTE} 字")
    if outcome == Outcome.NOT_CONFIRMED:
        if reason not in REASONS:
            raise Invalid("reason: choose why the rating was not confirmed", "请选择未证实的原因")
        if reason == Reason.OTHER and not note:
            raise Invalid(
                "note: say what happened when the reason is 'other'", "原因为其他时请填写备注"
            )
    elif reason:
        raise Invalid("reason: only for a rating not confirmed", "只有未证实的评价需要选择原因")
    tx.run(
        "UPDATE spot_checks SET outcome = ?, reason = ?, note = ?, done_at = ?, done_by = ? "
        "WHERE id = ? AND outcome IS NULL",
        (outcome, reason or None, note, now, actor.id, task_id),
    )
    audit(tx, now, actor, "spotcheck_outcome", note=f"spot-check {task_id}",
          from_state="open", to_state=outcome)  # fmt: skip

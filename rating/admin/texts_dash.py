"""Deadlines and audit notes in words for the dashboard and the case queue (their texts are
the `[dash]` table of rating/locale/admin.toml, part of the admin pages' texts)."""

from __future__ import annotations

import re
from typing import Any


def countdown(due_ms: int, now_ms: int, t: dict[str, str]) -> str:
    """ "还剩 2 天" / "逾期 3 小时": the time to a deadline, in the largest whole unit."""
    delta = due_ms - now_ms
    kind = "left" if delta >= 0 else "late"
    span = abs(delta)
    for unit, ms in (("days", 86_400_000), ("hours", 3_600_000)):
        if span >= ms:
            return t[f"{kind}_{unit}"].format(n=span // ms)
    return t[f"{kind}_minutes"].format(n=max(1, span // 60_000))


_CODED_NOTE = re.compile(r"\[([a-z_]+)\] ?(.*)", re.S)


def audit_note(action: str, note: str, labels: dict[str, dict[Any, str]], sep: str) -> str:
    """An audit entry's note with its codes as words: "[reached] ..." (a callback's outcome,
    a verification's finding) and a citizen's answer about the fix."""
    if action == "fix_rating":
        return labels["fix_labels"].get(note, note)
    m = _CODED_NOTE.fullmatch(note or "")
    if m is None:
        return note
    code, rest = m.group(1), m.group(2)
    table = labels["outcome_labels"] if action == "callback" else labels["verification_labels"]
    word = table.get(code) or labels["outcome_labels"].get(code)
    if word is None:
        return note
    return f"{word}{sep}{rest}" if rest else word

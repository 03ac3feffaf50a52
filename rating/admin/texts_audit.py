"""Audit entries in words, in the page's language: the notes the system writes in Chinese
or with codes ("评价 2 级", "letter 咨询", "callback_due_at: 1764… -> 1764…") and the names of
actors that are not users ("系统", "群众"), as the case page shows them.

The stored notes stay as they are (the audit log is a record; reports and the PL/pgSQL
batch function write the same formats); only their display is translated. A note this
module does not recognise (what a person typed) is shown unchanged.
"""

from __future__ import annotations

import re
from typing import Any

from rating.admin.render import fmt_ts
from rating.admin.texts_dash import audit_note
from rating.i18n import table

TEXTS = table("admin.audit")
# The case columns the deadline recomputation changes (rating/cases/deadlines.py).
FIELDS = table("admin.audit_fields")
# Who acted when no user did (rating/cases/audit.py and its callers).
ACTORS = table("admin.audit_actors")

_RATED = re.compile(r"评价 ([1-5]) 级")
_CHANGED = re.compile(r"群众将评价改为 ([1-5]) 级")
_SOURCE = re.compile(r"([a-z_]+)(?: (.*))?", re.S)
_CHANGE = re.compile(r"([a-z_]+): (\S+) -> (\S+)")


def _value(field: str, raw: str, lang: str) -> str:
    t = TEXTS[lang]
    if raw == "None":
        return t["none"]
    if field.endswith("_provisional"):
        return t["yes"] if raw in ("1", "True") else t["no"]
    return fmt_ts(int(raw)) if raw.isdigit() else raw


def audit_text(action: str, note: str, labels: dict[str, Any], sep: str, lang: str = "zh") -> str:
    """An audit entry's note in words (`labels`: the page's label tables, as
    rating.admin.texts.labels gives them, plus `source_labels`)."""
    lang = lang if lang in TEXTS else "en"
    t = TEXTS(lang)
    note = note or ""
    if action in ("open", "auto_close", "reopen"):
        rated, changed = _RATED.fullmatch(note), _CHANGED.fullmatch(note)
        if rated or changed:
            m = rated or changed
            assert m is not None
            level = labels["level_labels"].get(int(m.group(1)), m.group(1))
            return t["rated" if rated else "changed"].format(level=level)
        source = _SOURCE.fullmatch(note) if action == "open" else None
        if source and source.group(1) in labels.get("source_labels", {}):
            word = labels["source_labels"][source.group(1)]
            return f"{word}{sep}{source.group(2)}" if source.group(2) else word
    if action == "deadline":
        parts = [_CHANGE.fullmatch(p.strip()) for p in note.split(";")]
        if parts and all(parts):
            names = FIELDS[lang]
            joiner = "；" if lang == "zh" else "; "
            return joiner.join(
                f"{names.get(m.group(1), m.group(1))}{sep}"
                f"{_value(m.group(1), m.group(2), lang)} → {_value(m.group(1), m.group(3), lang)}"
                for m in parts
                if m is not None
            )
    return audit_note(action, note, labels, sep)


def actor_name(name: str, lang: str) -> str:
    """A user's name as it is; the system's and the citizen's in the page's language."""
    return ACTORS(lang).get(name, name)

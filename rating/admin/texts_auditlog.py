"""Texts of the admin audit page (rating/admin/audit_page.py): its frame, the kinds of
entry and the names of the actions that belong to no case, kept apart from the shared
tables: the `[auditlog*]` tables of rating/locale/admin.toml."""

from __future__ import annotations

from rating.admin import render
from rating.admin.render import fmt_ts
from rating.i18n import table

audit_texts = table("admin.auditlog")
kind_labels = table("admin.auditlog_kinds")
action_labels = table("admin.auditlog_actions")
_purge_texts = table("admin.auditlog_purge")


def entry_note(action: str, note: str, lang: str) -> str:
    """An entry's note as the page shows it: the purge's own notes in words, anything
    else (names, paths, masked targets, what a person typed) as written."""
    if action != "purge":
        return note
    words = _purge_texts(lang)
    head, _, cutoff = note.partition(" before ")
    if head in words and cutoff.isdigit():
        return words[head].format(time=fmt_ts(int(cutoff)))
    word = words.get(note, note)
    return note if "{time}" in word else word


# The shared frame shows the page's link to admins (rating/admin/templates/_nav_people.html).
render._env.globals["nav_audit"] = audit_texts

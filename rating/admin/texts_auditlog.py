"""Texts of the admin audit page (rating/admin/audit_page.py): its frame, the kinds of
entry and the names of the actions that belong to no case, kept apart from the shared
tables: the `[auditlog*]` tables of rating/locale/admin.toml. The notes are worded in
rating/admin/audit_notes.py."""

from __future__ import annotations

from rating.admin import render
from rating.i18n import table

audit_texts = table("admin.auditlog")
kind_labels = table("admin.auditlog_kinds")
action_labels = table("admin.auditlog_actions")

# The shared frame shows the page's link to admins (rating/admin/templates/_nav_people.html).
render._env.globals["nav_audit"] = audit_texts

"""Texts of the notifications page (/admin/notifications): rating/locale/admin_notify.toml."""

from __future__ import annotations

from rating.admin import render
from rating.i18n import table

notify_texts = table("admin_notify.pages")
SENDER_LABELS = table("admin_notify.senders")
EVENT_LABELS = table("admin_notify.events")


# The shared frame (base.html) links this page for admins and unit managers, in the page's
# language: the table is registered with the template environment (as texts_people does).
render._env.globals["nav_notify"] = notify_texts

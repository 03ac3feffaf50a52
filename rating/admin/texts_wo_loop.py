"""Texts of the work-order list and its take-in into the case loop (issue 18, item 4):
rating/locale/admin_workorders.toml, apart from the shared admin table."""

from __future__ import annotations

from rating.i18n import table
from rating.workorders.schema import CODES

wo_texts = table("admin_workorders.pages")

# The schema's codes by language (order types and the hotline's answers).
code_labels = table("admin_workorders.codes")
ORDER_TYPES = CODES["order_type"]

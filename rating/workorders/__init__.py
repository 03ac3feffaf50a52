"""Hotline work orders (工单): importing 12345, 12389, 12123 and 阳光理政 exports.

The pipeline is: `reader` turns a CSV or XLSX file into spreadsheet rows, `parse` finds
the header with a column `profile` and converts each row into the normalized schema
(`schema`), and `store` upserts the rows by (channel, order number) in one transaction.
Every bad row is reported with its line, column and reason; nothing is stored half-done.
"""

from __future__ import annotations

from rating.i18n import table

CHANNELS = ("12345", "12389", "12123", "sunshine", "other")
# The channels' names by language (admin pages, the weekly report): here rather than with
# the admin texts, so that the report (analytics) need not import the admin package.
CHANNEL_LABELS = table("workorders.channels")

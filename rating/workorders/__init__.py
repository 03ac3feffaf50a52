"""Hotline work orders (工单): importing 12345, 12389, 12123 and 阳光理政 exports.

The pipeline is: `reader` turns a CSV or XLSX file into spreadsheet rows, `parse` finds
the header with a column `profile` and converts each row into the normalized schema
(`schema`), and `store` upserts the rows by (channel, order number) in one transaction.
Every bad row is reported with its line, column and reason; nothing is stored half-done.
"""

from __future__ import annotations

CHANNELS = ("12345", "12389", "12123", "sunshine", "other")

"""Small literal frames in the shapes analytics.load produces."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd

from analytics.load import RATING_COLS, UNIT_COLS, WORKORDER_COLS, frame


def ms(text: str) -> int:
    """'2026-11-16 00:00' in Asia/Shanghai → epoch ms UTC."""
    local = datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    return int(local.timestamp() * 1000) - 8 * 3600 * 1000


RATING_DEFAULTS: dict[str, Any] = {
    "rating_id": 0,
    "officer_id": 1,
    "unit_id": 3,
    "channel": "badge",
    "level": 5,
    "reasons": "",
    "device_hash": None,
    "network_hash": None,
    "created_at": 0,
    "invalidated": 0,
    "callback_at": None,
    "callback_outcome": None,
    "verification": None,
    "rectified_at": None,
    "rectify_due_at": None,
    "fix_rating": None,
}

WORKORDER_DEFAULTS: dict[str, Any] = {
    "workorder_id": 0,
    "channel": "12345",
    "received_at": 0,
    "unit_id": 3,
    "officer_id": None,
    "due_at": None,
    "due_source": None,
    "closed_at": None,
    "callback_at": None,
    "callback_outcome": None,
    "satisfaction": None,
    "verification": None,
    "rectification": None,
    "rectified_at": None,
}


def ratings(*rows: dict[str, Any]) -> pd.DataFrame:
    full = [{**RATING_DEFAULTS, "rating_id": i + 1, **r} for i, r in enumerate(rows)]
    return frame([tuple(r[c] for c, _ in RATING_COLS) for r in full], RATING_COLS)


def workorders(*rows: dict[str, Any]) -> pd.DataFrame:
    full = [{**WORKORDER_DEFAULTS, "workorder_id": i + 1, **r} for i, r in enumerate(rows)]
    return frame([tuple(r[c] for c, _ in WORKORDER_COLS) for r in full], WORKORDER_COLS)


# bureau 1 → branches 2, 4 → station 3 under 2, station 5 under 4
UNITS = frame(
    [
        (1, "B", "市局", None, "市局", 0),
        (2, "B1", "东分局", 1, "市局/东分局", 1),
        (3, "S1", "东站", 2, "市局/东分局/东站", 2),
        (4, "B2", "西分局", 1, "市局/西分局", 1),
        (5, "S2", "西站", 4, "市局/西分局/西站", 2),
    ],
    UNIT_COLS,
)

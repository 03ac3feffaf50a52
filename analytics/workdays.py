"""Whole working days between deadlines and the report moment (for 逾期天数)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from analytics.periods import (
    DAY_MS,
    SHANGHAI_OFFSET_MS,
    day_from_number,
    day_number,
    local_date,
)
from rating.cases.calendar import WorkCalendar


def overdue_workdays(
    due_ms: pd.Series, as_of_ms: int, calendar: WorkCalendar | None = None
) -> pd.Series:
    """For each deadline, the working days after its due day up to and including the day
    of `as_of_ms` (Asia/Shanghai): 0 while the first working day past the deadline has not
    begun. A deadline at the end of a day (midnight) belongs to that day."""
    cal = WorkCalendar() if calendar is None else calendar
    if due_ms.empty:
        return pd.Series(np.zeros(0, dtype=np.int64), index=due_ms.index, name="days_overdue")
    days = (due_ms.astype("int64").to_numpy() - 1 + SHANGHAI_OFFSET_MS) // DAY_MS
    end = day_number(local_date(as_of_ms))
    first = int(min(days.min(), end))
    span = end - first + 1
    work = np.fromiter(
        (cal.is_workday(day_from_number(first) + timedelta(days=i))[0] for i in range(span)),
        dtype=np.int64,
        count=span,
    )
    cum = np.concatenate([[0], np.cumsum(work)])  # cum[i] = working days in [first, first+i)
    # working days in (due_day, end] = cum[end-first+1] - cum[due_day-first+1]
    counts = cum[span] - cum[np.clip(days - first + 1, 0, span)]
    return pd.Series(np.maximum(counts, 0), index=due_ms.index, name="days_overdue")

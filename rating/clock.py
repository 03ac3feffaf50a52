"""The one wall clock: the current time in milliseconds since the epoch (UTC).

Units of work take `now` as a parameter; only the edges (views, the CLI, background
loops) read the clock, through this function.
"""

from __future__ import annotations

import time


def now_ms() -> int:
    return int(time.time() * 1000)

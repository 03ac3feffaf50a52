"""`python -m tests.shifted_clock SECONDS ARGS...`: run `pingjing ARGS...` with its wall clock
(time.time) SECONDS ahead, as libfaketime would.

`hold_mid_hour` injects the clock of a store a test opened itself. A test that starts
servers in their own processes injects a clock this way: the network
limit counts per clock hour, and a server that starts just past the hour lets the test run
without waiting for the next hour to begin. Intervals (time.monotonic, the event loop) are
not shifted. Every clock our code reads for a rating, a stamp or a limit is time.time.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rating.store import Store


def shift(seconds: float) -> None:
    """Move this process's time.time `seconds` ahead."""
    real = time.time
    real_ns = time.time_ns
    time.time = lambda: real() + seconds
    time.time_ns = lambda: real_ns() + int(seconds * 1e9)


def hold_mid_hour(store: Store) -> int:
    """Apply the store's ratings at one moment, the middle of the current clock hour, and
    return it. The network limit counts in fixed hourly windows, so a test straddling two
    would start counting afresh; the store reads its clock where a batch is sent (in this
    process), not in the SQLite writer's process, so setting it here reaches the limit."""
    now = int(time.time() * 1000)
    moment = now - now % 3_600_000 + 1_800_000
    store.clock = lambda: moment
    return moment


def seconds_to_next_hour(margin_s: float = 1.0) -> float:
    """The shift that puts a clock `margin_s` past the start of the next hour."""
    return 3600 - time.time() % 3600 + margin_s


if __name__ == "__main__":
    shift(float(sys.argv[1]))
    from rating.cli import main

    sys.argv = ["pingjing", *sys.argv[2:]]
    sys.exit(main())

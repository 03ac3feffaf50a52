"""The weekly report's baseline warning, for the dashboard: in plain Python over counts.

The server never loads pandas (analytics/alerts.py does the same test on frames in the
report worker). The rule and its constants are the report's; a test checks that both
agree on the same counts, so the dashboard warns exactly where the report will.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# analytics.alerts: BASELINE_WEEKS, BASELINE_MIN_VALID, MIN_BAD, P_THRESHOLD, BURST_MIN,
# BURST_WINDOW_MS (tests/admin/test_dashboard.py checks they are equal).
BASELINE_WEEKS = 8
BASELINE_MIN_VALID = 20
MIN_BAD = 3
P_THRESHOLD = 0.01
BURST_MIN = 5
BURST_WINDOW_MS = 10 * 60 * 1000


def binomial_sf(x: int, n: int, p: float) -> float:
    """P(X >= x) for X ~ Binomial(n, p), summed exactly in log space."""
    if x <= 0:
        return 1.0
    if x > n or p <= 0.0:
        return 0.0
    if p >= 1.0:
        return 1.0
    lp, lq, ln = math.log(p), math.log1p(-p), math.lgamma(n + 1)
    total = 0.0
    for k in range(x, n + 1):
        total += math.exp(ln - math.lgamma(k + 1) - math.lgamma(n - k + 1) + k * lp + (n - k) * lq)
    return min(1.0, total)


@dataclass(frozen=True)
class Jump:
    """A unit whose bad rate this week is significantly above its own baseline."""

    unit_id: int
    valid: int
    bad: int
    bad_rate: float
    baseline_rate: float
    p_value: float


def baseline_jump(
    unit_id: int, valid: int, bad: int, base_valid: int, base_bad: int
) -> Jump | None:
    """The report's test for one unit: `valid`/`bad` this week, `base_*` over the
    BASELINE_WEEKS weeks before it."""
    if base_valid < BASELINE_MIN_VALID or bad < MIN_BAD or valid <= 0:
        return None
    p0 = (base_bad + 1) / (base_valid + 2)
    p = binomial_sf(bad, valid, p0)
    if p >= P_THRESHOLD:
        return None
    return Jump(unit_id, valid, bad, bad / valid, p0, p)

"""Early warnings: bad rate above the own baseline, bursts of top ratings."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from analytics.periods import week_start_days

BASELINE_WEEKS = 8
BASELINE_MIN_VALID = 20
MIN_BAD = 3
P_THRESHOLD = 0.01
BURST_MIN = 5
BURST_WINDOW_MS = 10 * 60 * 1000


def binomial_sf(x: int, n: int, p: float) -> float:
    """P(X ≥ x) for X ~ Binomial(n, p), summed exactly in log space."""
    if x <= 0:
        return 1.0
    if x > n:
        return 0.0
    if p <= 0.0:
        return 0.0
    if p >= 1.0:
        return 1.0
    k = np.arange(x, n + 1)
    lf = _log_factorials(n)
    logs = lf[n] - lf[k] - lf[n - k] + k * math.log(p) + (n - k) * math.log1p(-p)
    return float(min(1.0, np.exp(logs).sum()))


_LOG_FACTORIALS = np.zeros(1)


def _log_factorials(n: int) -> np.ndarray:
    """log(i!) for i = 0..n (at least), kept between calls: a city has thousands of tests."""
    global _LOG_FACTORIALS
    if len(_LOG_FACTORIALS) <= n:
        size = max(n + 1, 2 * len(_LOG_FACTORIALS))
        _LOG_FACTORIALS = np.concatenate(([0.0], np.cumsum(np.log(np.arange(1, size)))))
    return _LOG_FACTORIALS


def baseline_alerts(counts: pd.DataFrame, week: int, keys: Sequence[str]) -> pd.DataFrame:
    """Rows of `week` whose bad rate is significantly above their own baseline.

    `counts` holds `week`, the `keys`, `valid` and `bad` for the report week and the
    weeks before it. Baseline: the BASELINE_WEEKS weeks before `week`, p0 = (bad + 1) /
    (valid + 2). Flagged: baseline valid ≥ BASELINE_MIN_VALID, bad ≥ MIN_BAD this week, and
    the one-sided exact binomial P(X ≥ bad | valid, p0) < P_THRESHOLD.
    """
    first = week - 7 * BASELINE_WEEKS
    base = counts[(counts["week"] >= first) & (counts["week"] < week)]
    base = base.groupby(list(keys), as_index=False)[["valid", "bad"]].sum()
    base = base.rename(columns={"valid": "base_valid", "bad": "base_bad"})
    this = counts.loc[counts["week"] == week, [*keys, "valid", "bad"]]
    both = this.merge(base, on=list(keys), how="inner")
    both = both[(both["base_valid"] >= BASELINE_MIN_VALID) & (both["bad"] >= MIN_BAD)]
    p0 = (both["base_bad"] + 1) / (both["base_valid"] + 2)
    pvalues = [
        binomial_sf(int(x), int(n), float(p))
        for x, n, p in zip(both["bad"], both["valid"], p0, strict=True)
    ]
    out = both.assign(
        bad_rate=both["bad"] / both["valid"],
        baseline_rate=p0,
        p_value=pd.Series(pvalues, index=both.index, dtype=float),
    )
    out = out[out["p_value"] < P_THRESHOLD]
    return out.sort_values("p_value", kind="stable", ignore_index=True)


def bursts(
    ratings: pd.DataFrame,
    week: int,
    week_start: int,
    *,
    min_count: int = BURST_MIN,
    window_ms: int = BURST_WINDOW_MS,
) -> pd.DataFrame:
    """Officers who got at least `min_count` level-5 ratings from one device or one network
    within `window_ms`, in `week`: officer_id, source (device/network), hash, the largest
    count in one window, and the window's first and last rating time."""
    in_week = week_start_days(ratings["created_at"], week_start) == week
    top = ratings[in_week & (ratings["level"] == 5)]
    found = []
    for source, column in (("device", "device_hash"), ("network", "network_hash")):
        rows = top.loc[top[column].notna(), ["officer_id", column, "created_at"]]
        if rows.empty:
            continue
        rows = rows.sort_values(["officer_id", column, "created_at"], ignore_index=True)
        group = rows.groupby(["officer_id", column], sort=False).ngroup().to_numpy(np.int64)
        t = rows["created_at"].to_numpy(np.int64)
        # One sortable key per (group, time): group in the high bits, time below (< 2^42 ms).
        key = (group << 42) + t
        first = np.searchsorted(key, key - window_ms, side="left")
        in_window = np.arange(len(key)) - first + 1
        hit = rows.assign(in_window=in_window, window_first=t[first])
        hit = hit[hit["in_window"] >= min_count]
        if hit.empty:
            continue
        best = hit.sort_values("in_window", ascending=False, kind="stable")
        best = best.drop_duplicates(["officer_id", column])
        found.append(
            pd.DataFrame(
                {
                    "officer_id": best["officer_id"].to_numpy(np.int64),
                    "source": source,
                    "hash": best[column].astype(str).str[:12].to_numpy(),
                    "top_ratings": best["in_window"].to_numpy(np.int64),
                    "first_at": best["window_first"].to_numpy(np.int64),
                    "last_at": best["created_at"].to_numpy(np.int64),
                }
            )
        )
    if not found:
        return pd.DataFrame(
            {
                "officer_id": pd.Series(dtype=np.int64),
                "source": pd.Series(dtype=object),
                "hash": pd.Series(dtype=object),
                "top_ratings": pd.Series(dtype=np.int64),
                "first_at": pd.Series(dtype=np.int64),
                "last_at": pd.Series(dtype=np.int64),
            }
        )
    return pd.concat(found, ignore_index=True)

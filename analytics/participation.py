"""Participation: ratings per service given, beside satisfaction, per unit and week; and
the units whose participation is implausibly high or low among their peers.

A unit's participation = its ratings / the services its business systems counted (both
rolled up the unit tree). The rule for "implausible" (docs/integrity.md) compares a unit
with the units of the same level that have at least MIN_SERVICES services that week:
- peers' typical participation m = the median of their participations;
- a robust distance z = (ln p − median ln p) / (1.4826 × MAD of ln p) (the modified
  z-score of Iglewicz and Hoaglin; where the MAD is 0, 1.2533 × the mean absolute
  deviation), and
- the exact binomial tail of the unit's ratings given its services and m;
flagged "high" when z > Z_LIMIT and P(X ≥ ratings) < P_THRESHOLD, "low" when z < −Z_LIMIT
and P(X ≤ ratings) < P_THRESHOLD. Both must hold: the distance alone would flag tiny
units by chance, the test alone would flag every large unit that differs at all. More
ratings than services is always "high".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.alerts import P_THRESHOLD, binomial_sf
from analytics.metrics import count_items, rollup
from analytics.periods import week_start_days

MIN_SERVICES = 50
MIN_PEERS = 5
Z_LIMIT = 3.5
MAD_SCALE = 1.4826
MEANAD_SCALE = 1.2533

COLUMNS = [
    "unit_id",
    "path",
    "depth",
    "services",
    "ratings",
    "participation",
    "peer_participation",
    "satisfaction_rate",
    "flag",
    "p_value",
]


def weekly_units(
    ratings: pd.DataFrame,
    services: pd.DataFrame,
    tree: pd.DataFrame,
    week_start: int,
    basic_counts_satisfied: bool = True,
) -> pd.DataFrame:
    """(week, unit_id) → services, ratings, valid, satisfied, rolled up the tree.
    `ratings`: unit_id, level, created_at, invalidated; `services`: unit_id, day (epoch ms
    of local midnight), services."""
    low = 3 if basic_counts_satisfied else 4
    valid = ~ratings["invalidated"].astype(bool)
    columns = ["services", "ratings", "valid", "satisfied"]
    # Counted per week and unit first, from 1-byte indicators: a city's ratings as int64
    # columns (and their copy in the concatenation) were a few hundred megabytes.
    r = count_items(
        pd.DataFrame(
            {
                "week": week_start_days(ratings["created_at"], week_start).astype(np.int64),
                "unit_id": ratings["unit_id"].astype(np.int64),
                "ratings": np.ones(len(ratings), dtype=bool),
                "valid": valid,
                "satisfied": (ratings["level"] >= low) & valid,
            }
        ),
        ["week", "unit_id"],
        columns,
    )
    s = pd.DataFrame(
        {
            "week": week_start_days(services["day"], week_start).astype(np.int64),
            "unit_id": services["unit_id"].astype(np.int64),
            "ratings": np.int64(0),
            "valid": np.int64(0),
            "satisfied": np.int64(0),
            "services": services["services"].astype(np.int64),
        }
    )
    both = pd.concat([r, s[r.columns]], ignore_index=True)
    return rollup(both, tree, ["week"], columns)


def _robust_z(logs: np.ndarray) -> np.ndarray:
    centre = np.median(logs)
    dev = np.abs(logs - centre)
    mad = np.median(dev)
    scale = MAD_SCALE * mad if mad > 0 else MEANAD_SCALE * dev.mean()
    if scale == 0:
        return np.zeros_like(logs)
    scores: np.ndarray = (logs - centre) / scale
    return scores


def flag_units(week_rows: pd.DataFrame) -> pd.DataFrame:
    """Adds participation, peer_participation, flag ("high", "low" or "") and p_value to
    one week's unit rows (unit_id, depth, services, ratings, valid, satisfied)."""
    rows = week_rows.assign(
        participation=week_rows["ratings"] / week_rows["services"].where(week_rows["services"] > 0),
        peer_participation=np.nan,
        flag="",
        p_value=np.nan,
    )
    parts = []
    for _, peers in rows.groupby("depth", sort=True):
        eligible = peers["services"] >= MIN_SERVICES
        peers = peers.copy()
        if eligible.sum() >= MIN_PEERS:
            e = peers[eligible]
            rate = e["participation"].to_numpy(float)
            typical = float(np.median(rate))
            z = _robust_z(np.log(np.maximum(rate, 0.5 / e["services"].to_numpy(float))))
            flags, pvals = [], []
            for zi, k, n in zip(z, e["ratings"], e["services"], strict=True):
                k, n = int(k), int(n)
                if k > n:
                    flags.append("high")
                    pvals.append(0.0)
                elif zi > Z_LIMIT and (p := binomial_sf(k, n, typical)) < P_THRESHOLD:
                    flags.append("high")
                    pvals.append(p)
                elif zi < -Z_LIMIT and (p := 1.0 - binomial_sf(k + 1, n, typical)) < P_THRESHOLD:
                    flags.append("low")
                    pvals.append(p)
                else:
                    flags.append("")
                    pvals.append(np.nan)
            peers.loc[eligible, "peer_participation"] = typical
            peers.loc[eligible, "flag"] = flags
            peers.loc[eligible, "p_value"] = pvals
        parts.append(peers)
    if not parts:
        return rows
    return pd.concat(parts).sort_index()


def participation_table(counts: pd.DataFrame, units: pd.DataFrame, week: int) -> pd.DataFrame:
    """The report's participation table for `week`: units with services or ratings, with
    their participation, satisfaction rate and flag (empty when the bureau imported no
    service volumes for the week)."""
    this = counts[counts["week"] == week].drop(columns=["week"])
    if this.empty or int(this["services"].sum()) == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    info = units[["unit_id", "path", "depth"]]
    rows = info.merge(this, on="unit_id", how="inner")
    rows = rows[(rows["services"] > 0) | (rows["ratings"] > 0)]
    rows = flag_units(rows.reset_index(drop=True))
    rows = rows.assign(
        satisfaction_rate=rows["satisfied"] / rows["valid"].where(rows["valid"] > 0),
        flag=rows["flag"].map({"high": "偏高", "low": "偏低", "": ""}),
    )
    return rows.sort_values("path", ignore_index=True)[COLUMNS]

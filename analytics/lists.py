"""Red and black lists: minimum volume, ranked by a Wilson score lower bound."""

from __future__ import annotations

import numpy as np
import pandas as pd

Z95 = 1.959963984540054
MIN_VALID_OFFICER = 10
MIN_VALID_UNIT = 30
LIST_SIZE = 10


def wilson_lower(k: pd.Series, n: pd.Series, z: float = Z95) -> pd.Series:
    """Wilson score interval lower bound of k/n (NaN where n is 0)."""
    nf = n.astype(float).where(n > 0)
    p = k.astype(float) / nf
    z2 = z * z
    centre = p + z2 / (2 * nf)
    spread = z * np.sqrt(p * (1 - p) / nf + z2 / (4 * nf * nf))
    return (centre - spread) / (1 + z2 / nf)


def red_black(rates: pd.DataFrame, min_valid: int, size: int = LIST_SIZE) -> pd.DataFrame:
    """The red list (highest Wilson lower bound of the satisfaction rate) and the black list
    (highest Wilson lower bound of the bad rate, at least one bad rating) among rows with at
    least `min_valid` valid ratings. Adds `list` (红榜/黑榜), `rank` and `score`."""
    eligible = rates[rates["valid"] >= min_valid]
    red = eligible.assign(score=wilson_lower(eligible["satisfied"], eligible["valid"]))
    red = red.sort_values(["score", "valid"], ascending=[False, False], kind="stable").head(size)
    bad = eligible[eligible["bad"] > 0]
    black = bad.assign(score=wilson_lower(bad["bad"], bad["valid"]))
    black = black.sort_values(["score", "valid"], ascending=[False, False], kind="stable")
    black = black.head(size)
    parts = [
        red.assign(list="红榜", rank=np.arange(1, len(red) + 1)),
        black.assign(list="黑榜", rank=np.arange(1, len(black) + 1)),
    ]
    return pd.concat(parts, ignore_index=True)

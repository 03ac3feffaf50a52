"""Red and black lists: peers ranked by a Wilson score lower bound, with a minimum sample.

Officers are ranked among officers, units among the units of the same level of the tree
(branches with branches, stations and brigades with each other): a bureau is never compared
with its own stations. The black list takes only those whose bad rate is significantly
above their peers' (the Wilson lower bound of their bad rate exceeds the peers' pooled bad
rate), ranked by that bound; the red list takes the highest Wilson lower bounds of the
satisfaction rate among the rest, so nobody is on both lists.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

Z95 = 1.959963984540054
MIN_VALID_OFFICER = 10
MIN_VALID_UNIT = 30
LIST_SIZE = 10

# Unit levels by depth in the tree: the peer groups' names.
LEVEL_NAMES = {0: "市局", 1: "分局级", 2: "所队级"}


def level_name(depth: int) -> str:
    return LEVEL_NAMES.get(depth, f"第{depth}级")


def wilson_lower(k: pd.Series, n: pd.Series, z: float = Z95) -> pd.Series:
    """Wilson score interval lower bound of k/n (NaN where n is 0)."""
    nf = n.astype(float).where(n > 0)
    p = k.astype(float) / nf
    z2 = z * z
    centre = p + z2 / (2 * nf)
    spread = z * np.sqrt(p * (1 - p) / nf + z2 / (4 * nf * nf))
    return (centre - spread) / (1 + z2 / nf)


def _empty(rates: pd.DataFrame) -> pd.DataFrame:
    return rates.iloc[0:0].assign(
        list=pd.Series(dtype=object),
        rank=pd.Series(dtype=np.int64),
        score=pd.Series(dtype=float),
        peer_bad_rate=pd.Series(dtype=float),
    )


def red_black(rates: pd.DataFrame, min_valid: int, size: int = LIST_SIZE) -> pd.DataFrame:
    """The lists of one peer group (`rates`: one row per peer with valid, satisfied, bad).

    Eligible: at least `min_valid` valid ratings. Black list (黑榜): eligible peers whose
    Wilson lower bound of the bad rate exceeds the group's pooled bad rate (Σbad / Σvalid
    over the eligible), highest bound first. Red list (红榜): the highest Wilson lower
    bounds of the satisfaction rate among the eligible not on the black list. Adds `list`,
    `rank`, `score` (the bound ranked on) and `peer_bad_rate`."""
    eligible = rates[rates["valid"] >= min_valid]
    if eligible.empty:
        return _empty(rates)
    peer_bad = float(eligible["bad"].sum()) / float(eligible["valid"].sum())
    scored = eligible.assign(
        _bad_lb=wilson_lower(eligible["bad"], eligible["valid"]),
        _sat_lb=wilson_lower(eligible["satisfied"], eligible["valid"]),
        peer_bad_rate=peer_bad,
    )
    flagged = scored[scored["_bad_lb"] > peer_bad]
    black = flagged.sort_values(["_bad_lb", "valid"], ascending=[False, False], kind="stable")
    black = black.head(size).assign(score=lambda f: f["_bad_lb"])
    rest = scored.drop(index=flagged.index)
    red = rest.sort_values(["_sat_lb", "valid"], ascending=[False, False], kind="stable")
    red = red.head(size).assign(score=lambda f: f["_sat_lb"])
    parts = [
        red.assign(list="红榜", rank=np.arange(1, len(red) + 1)),
        black.assign(list="黑榜", rank=np.arange(1, len(black) + 1)),
    ]
    return pd.concat(parts, ignore_index=True).drop(columns=["_bad_lb", "_sat_lb"])


def peer_lists(units: pd.DataFrame, officers: pd.DataFrame) -> pd.DataFrame:
    """Red and black lists of every peer group: units of each level of the tree that has
    at least two units, and the officers. Adds `level` (单位/民警) and `peer_group`."""
    parts = []
    for depth, group in units.groupby("depth", sort=True):
        if len(group) < 2:  # a level with one unit (the bureau) has no peers
            continue
        lists = red_black(group, MIN_VALID_UNIT)
        parts.append(lists.assign(level="单位", peer_group=level_name(int(depth))))
    lists = red_black(officers, MIN_VALID_OFFICER)
    parts.append(lists.assign(level="民警", peer_group="民警"))
    return pd.concat(parts, ignore_index=True)


def rule_text() -> list[tuple[str, str]]:
    """The lists' rule as (title, text) lines, printed in the report itself."""
    return [
        (
            "红黑榜·同级比较",
            "民警与民警比较；单位只与同一层级的单位比较（分局级与分局级，所队级与所队级），"
            "市局不参与排名。",
        ),
        (
            "红黑榜·最低样本",
            f"本周有效评价：民警至少 {MIN_VALID_OFFICER} 条，单位至少 {MIN_VALID_UNIT} 条，"
            "不足者不上榜。",
        ),
        (
            "红黑榜·Wilson下限",
            "k/n 的 Wilson 95% 区间下限 = (p + z²/2n − z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n)，"
            "p = k/n，z = 1.96；样本越少，下限越低。",
        ),
        (
            "黑榜",
            "差评率的 Wilson 下限高于同级合计差评率（Σ差评/Σ有效评价，"
            "只计达到最低样本者）者，按该下限从高到低，"
            f"至多 {LIST_SIZE} 名：显著差于同级才上黑榜。",
        ),
        (
            "红榜",
            "其余达到最低样本者按满意率的 Wilson 下限从高到低，"
            f"至多 {LIST_SIZE} 名；上了黑榜的不上红榜。",
        ),
    ]

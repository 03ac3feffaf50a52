"""The 巨好办 assessment: reply rate, closure rate and satisfaction per unit, ranked among
the units of the same level (branches with branches, stations with stations).

Intakes assessed: the hotline work orders received in the period and the bad ratings (each
opens a case) made in it, attributed to their unit and rolled up the unit tree.

- reply 已回复: a work order closed or called back, a case called back, by the report moment;
- closure 已办结: a work order closed; a case called back and, where substantiated, rectified;
- satisfaction 满意度: (valid ratings at 满意 level + work orders answering 满意/基本满意 +
  rectified cases answering 满意/基本满意) / (valid ratings + work-order callbacks that
  reached the citizen + answered "问题解决了吗");
- score 综合得分: the mean of the three rates (equal weights; a missing rate is left out);
  rank 同级排名 by score among the units of one level that have at least one intake.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.metrics import NO_ID, rollup

ASSESS_COUNTS = (
    "items",
    "replied",
    "closed",
    "answered",
    "satisfied_answers",
)
RATE_COLUMNS = ("reply_rate", "closure_rate", "assessment_satisfaction")


def assessment_items(r_items: pd.DataFrame, w_items: pd.DataFrame) -> pd.DataFrame:
    """Per-item indicators (unit_id + ASSESS_COUNTS) from the report's rating and work-order
    items (of one period): bad ratings are the case intakes, valid ratings answer
    satisfaction."""
    case = r_items["cb_due"].astype(bool)
    case_closed = case & r_items["cb_done"] & (~r_items["substantiated"] | r_items["rectified"])
    ratings = pd.DataFrame(
        {
            "unit_id": r_items["unit_id"].to_numpy(np.int64),
            "items": case,
            "replied": case & r_items["cb_done"],
            "closed": case_closed,
            "answered": r_items["valid"],
            "satisfied_answers": r_items["satisfied"],
        }
    )
    # The citizen's answer to "问题解决了吗" after a rectification is a second answer.
    fixed = r_items["fix_answered"].astype(bool)
    fix = pd.DataFrame(
        {
            "unit_id": r_items.loc[fixed, "unit_id"].to_numpy(np.int64),
            "items": False,
            "replied": False,
            "closed": False,
            "answered": True,
            "satisfied_answers": r_items.loc[fixed, "fix_ok"].to_numpy(bool),
        }
    )
    cb_reached = w_items["wo_cb_reached"].astype(bool)
    orders = pd.DataFrame(
        {
            "unit_id": w_items["unit_id"].to_numpy(np.int64),
            "items": True,
            "replied": w_items["wo_closed"] | w_items["wo_cb_done"],
            "closed": w_items["wo_closed"],
            "answered": cb_reached,
            "satisfied_answers": w_items["wo_satisfied"],
        }
    )
    out = pd.concat([ratings, fix, orders], ignore_index=True)
    return out[out["unit_id"] != NO_ID].astype({c: bool for c in ASSESS_COUNTS})


def level_label(depth_from_top: int) -> str:
    return {0: "市局", 1: "分局级", 2: "所队级"}.get(depth_from_top, f"第{depth_from_top + 1}级")


def assessment(
    items: pd.DataFrame, units: pd.DataFrame, tree: pd.DataFrame, top_depth: int | None = None
) -> pd.DataFrame:
    """One row per unit (rolled up its subtree): counts, the three rates, the score and
    the rank among the units of its level with at least one intake. `top_depth` is the
    bureau's depth (default: the shallowest of `units`), so a branch's report still calls
    its stations 所队级."""
    per_unit = items.groupby("unit_id", as_index=False)[list(ASSESS_COUNTS)].sum()
    rolled = rollup(per_unit, tree, [], ASSESS_COUNTS)
    info = units[["unit_id", "code", "name", "path", "depth"]]
    out = info.merge(rolled, on="unit_id", how="left").fillna(dict.fromkeys(ASSESS_COUNTS, 0))
    out = out.astype(dict.fromkeys(ASSESS_COUNTS, np.int64))

    def rate(num: str, den: str) -> pd.Series:
        d = out[den].astype(float)
        return out[num].astype(float) / d.where(d > 0)

    out = out.assign(
        reply_rate=rate("replied", "items"),
        closure_rate=rate("closed", "items"),
        assessment_satisfaction=rate("satisfied_answers", "answered"),
    )
    out = out.assign(score_total=out[list(RATE_COLUMNS)].mean(axis=1, skipna=True))
    top = top_depth if top_depth is not None else int(out["depth"].min()) if len(out) else 0
    out = out.assign(level_label=[level_label(int(d) - top) for d in out["depth"]])
    ranked = out[(out["items"] > 0) & out["score_total"].notna()]
    peers = ranked.groupby("depth")["unit_id"].transform("count")
    ranked = ranked[peers >= 2]  # a unit alone on its level (the bureau) has no peers
    peers = peers[peers >= 2]
    rank = ranked.groupby("depth")["score_total"].rank(method="min", ascending=False)
    out = out.assign(
        peer_rank=rank.reindex(out.index).astype("Int64"),
        peers=peers.reindex(out.index).astype("Int64"),
    )
    return out[
        ["unit_id", "code", "name", "path", "depth", "level_label", *ASSESS_COUNTS]
        + [*RATE_COLUMNS, "score_total", "peer_rank", "peers"]
    ]

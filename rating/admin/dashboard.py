"""The dashboard at /admin: this week against last for the user's scope, from SQL aggregates.

A page view costs a few aggregate queries, never the weekly report: the ratings and cases
of the current week are counted per unit (bounded by one week's rows), the eleven weeks
before come from an in-process table of per-unit counts (a few thousand small rows,
shared by every scope) refreshed after ROLLUP_TTL_MS, and the open cases are counted by
state. Scope: an admin (or a viewer without a unit) sees the bureau; a unit manager or a
viewer with a unit, their unit's subtree.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import Response

from rating.admin import dashboard_alerts as alerts
from rating.admin import dashboard_data as data
from rating.admin.auth import SessionInfo
from rating.admin.render import fmt_ts
from rating.admin.texts_loop import step_labels
from rating.admin.web import login_required, page
from rating.cases.model import Actor, current_step
from rating.clock import now_ms
from rating.i18n import pick_lang
from rating.service import svc
from rating.store import Store

WEEKS = 12  # the sparklines' span, this week included (the baseline needs 8 before it)
ROLLUP_TTL_MS = 10 * 60_000  # a past week's counts change only by late verifications
# The current week's rating counts and burst check are reused for a minute: at city scale
# they read up to a week of ratings (about 44,000 index entries), the rest of the page
# (open and overdue cases) is read on every view.
LIVE_TTL_MS = 60_000
TOP_UNITS = 5
# The steps in the order a case goes through them (labels: texts' due_<step>).
STEPS = ("accept", "dispatch", "reply", "callback", "retry", "verify", "rectify_start", "close",
         "rectify")  # fmt: skip


log = logging.getLogger("pingjing.admin")


@dataclass
class _Rollup:
    weeks: dict[int, tuple[int, dict[int, data.WeekCounts]]] = field(default_factory=dict)
    # Held while the past weeks are read, so that a view arriving during the start-up's
    # warm-up (`warm`) waits for its result instead of reading the same weeks again.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # The current week: (week, computed at, counts by unit, bursts).
    live: tuple[int, int, dict[int, data.WeekCounts], list[data.Burst]] | None = None


_ROLLUPS: weakref.WeakKeyDictionary[Store, dict[bool, _Rollup]] = weakref.WeakKeyDictionary()


def _rollup(store: Store, basic: bool) -> _Rollup:
    return _ROLLUPS.setdefault(store, {}).setdefault(basic, _Rollup())


async def _past_weeks(store: Store, now: int, basic: bool) -> _Rollup:
    """The rollup with every past week the dashboard shows at `now` read (missing ones in
    one range query, else at most one stale week refreshed) and older ones dropped."""
    cur = data.week_of(now)
    first = cur - WEEKS + 1
    roll = _rollup(store, basic)
    async with roll.lock:
        missing = [w for w in range(first, cur) if w not in roll.weeks]
        stale = [
            w
            for w in range(first, cur)
            if w in roll.weeks and roll.weeks[w][0] < now - ROLLUP_TTL_MS
        ]
        if missing:  # one range query for them all (a cold start, or a new week begun)
            got = await store.read(data.week_counts, min(missing), cur, basic)
            for w in range(min(missing), cur):
                roll.weeks[w] = (now, {u: c for (wk, u), c in got.items() if wk == w})
        elif stale:  # one stale week per view keeps each view's cost bounded
            w = min(stale, key=lambda x: roll.weeks[x][0])
            got = await store.read(data.week_counts, w, w + 1, basic)
            roll.weeks[w] = (now, {u: c for (_, u), c in got.items()})
    for w in [w for w in roll.weeks if w < first]:
        del roll.weeks[w]
    return roll


async def weekly_counts(
    store: Store, now: int, basic: bool
) -> tuple[dict[int, dict[int, data.WeekCounts]], list[data.Burst]]:
    """{week: {unit_id: counts}} for the WEEKS weeks up to the one holding `now`, and the
    current week's bursts."""
    cur = data.week_of(now)
    first = cur - WEEKS + 1
    roll = await _past_weeks(store, now, basic)
    if roll.live is None or roll.live[0] != cur or roll.live[1] < now - LIVE_TTL_MS:
        live = await store.read(data.week_counts, cur, cur + 1, basic)
        found = await store.read(
            data.bursts, data.week_start(cur), now + 1, alerts.BURST_MIN, alerts.BURST_WINDOW_MS
        )
        roll.live = (cur, now, {u: c for (_, u), c in live.items()}, found)
    out = {w: roll.weeks[w][1] for w in range(first, cur)}
    out[cur] = roll.live[2]
    return out, roll.live[3]


async def warm(store: Store, basic: bool) -> None:
    """Read the past weeks' counts once at start-up (the server's lifespan), so that the
    first dashboard view does not pay for them (about 0.35 s at city scale, measured)."""
    try:
        await _past_weeks(store, now_ms(), basic)  # not the current week: it is live
    except Exception as exc:  # the first view reads them instead
        log.warning("warming the dashboard's counts failed: %s", exc)


def warmed(store: Store, basic: bool, now: int) -> bool:
    """Whether every past week's counts the dashboard shows at `now` are held."""
    cur = data.week_of(now)
    weeks = _rollup(store, basic).weeks
    return all(w in weeks for w in range(cur - WEEKS + 1, cur))


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def sparkline(values: list[float | None], label: str, width: int = 96, height: int = 24) -> Markup:
    """A small inline SVG line of `values` (None: a gap), labelled for screen readers."""
    known = [v for v in values if v is not None]
    if not known:
        return Markup("")
    lo, hi = min(known), max(known)
    span = (hi - lo) or 1.0
    step = width / max(1, len(values) - 1)
    points = " ".join(
        f"{i * step:.1f},{height - 2 - (v - lo) / span * (height - 4):.1f}"
        for i, v in enumerate(values)
        if v is not None
    )
    # Numbers we formatted and the escaped label only.
    return Markup(  # noqa: S704
        f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(label)}"><polyline fill="none" stroke="currentColor" '
        f'stroke-width="1.5" points="{points}"/></svg>'
    )


@dataclass(frozen=True)
class Figure:
    key: str  # the text key of its label
    this: float | None
    last: float | None
    series: list[float | None]
    href: str
    percent: bool = False


def spark(f: Figure, template: str, name: str) -> Markup:
    """The figure's sparkline, its values spelled out in its label (`dash_spark` text)."""
    values = ", ".join(
        "-" if v is None else (f"{v * 100:.1f}%" if f.percent else str(int(v))) for v in f.series
    )
    return sparkline(f.series, template.format(name=name, values=values))


def _total(by_unit: dict[int, data.WeekCounts], scope: set[int] | None) -> data.WeekCounts:
    out = data.WeekCounts()
    for unit, c in by_unit.items():
        if scope is None or unit in scope:
            out.add(c)
    return out


def _cases_href(**q: Any) -> str:
    return "/admin/cases?" + urlencode({k: v for k, v in q.items() if v not in (None, "")})


async def build(store: Store, actor: Actor, now: int, basic: bool) -> dict[str, Any]:
    """Everything the dashboard shows for `actor` at `now`."""
    units = await store.list_units()
    seen = [u for u in units if actor.sees(u.path)]
    by_id = {u.id: u for u in seen}
    scope = None if actor.unit_path is None else set(by_id)
    unit_code = next((u.code for u in seen if u.path == actor.unit_path), None)
    weeks, found = await weekly_counts(store, now, basic)
    order = sorted(weeks)
    totals = [_total(weeks[w], scope) for w in order]
    cur, prev = totals[-1], totals[-2]
    day = 86_400_000

    def span(w: int) -> dict[str, str]:
        start = data.week_start(w)
        return {"from": fmt_ts(start, False), "to": fmt_ts(start + 6 * day, False)}

    this_week = span(order[-1])
    figures = [
        Figure("dash_ratings", cur.ratings, prev.ratings, [t.ratings for t in totals],
               "/admin/report/weekly?format=html"),
        Figure("dash_satisfaction", _ratio(cur.satisfied, cur.valid),
               _ratio(prev.satisfied, prev.valid),
               [_ratio(t.satisfied, t.valid) for t in totals],
               "/admin/report/weekly?format=html", percent=True),
        Figure("dash_bad", cur.bad, prev.bad, [t.bad for t in totals],
               _cases_href(unit=unit_code, **this_week)),
        Figure("dash_callback_rate", _ratio(cur.called_back, cur.cases),
               _ratio(prev.called_back, prev.cases),
               [_ratio(t.called_back, t.cases) for t in totals],
               _cases_href(unit=unit_code, state="open", **this_week), percent=True),
        Figure("dash_rectify_rate", _ratio(cur.rectified, cur.substantiated),
               _ratio(prev.rectified, prev.substantiated),
               [_ratio(t.rectified, t.substantiated) for t in totals],
               _cases_href(unit=unit_code, state="rectifying"), percent=True),
    ]  # fmt: skip

    # Open cases by the step they wait for; overdue ones; the units with most overdue.
    steps: dict[str, list[Any]] = {}
    late_by_unit: dict[int, int] = {}
    for row in await store.read(data.open_cases, now):
        unitless = row.unit_id == data.NO_UNIT and scope is None
        if row.unit_id not in by_id and not unitless:
            continue
        step = current_step(row.state, row.callback_outcome, row.verification) or row.state
        entry = steps.setdefault(step, [step, row.state, 0, 0])
        entry[2] += row.count
        entry[3] += row.overdue
        if row.overdue and not unitless:
            late_by_unit[row.unit_id] = late_by_unit.get(row.unit_id, 0) + row.overdue
    by_step = [
        {
            "step": s,
            "count": e[2],
            "overdue": e[3],
            "href": _cases_href(unit=unit_code, state=e[1]),
            "overdue_href": _cases_href(unit=unit_code, state=e[1], overdue=1),
        }
        for s, e in sorted(steps.items(), key=lambda kv: _step_rank(kv[0]))
    ]
    top = sorted(late_by_unit.items(), key=lambda kv: (-kv[1], by_id[kv[0]].path))[:TOP_UNITS]
    top_units = [
        {"unit": by_id[u], "overdue": n, "href": _cases_href(unit=by_id[u].code, overdue=1)}
        for u, n in top
    ]

    # Warnings: the report's two early warnings, on the current week so far.
    jumps: list[dict[str, Any]] = []
    for unit_id, c in weeks[order[-1]].items():
        if unit_id not in by_id:
            continue
        base = data.WeekCounts()
        for w in order[-1 - alerts.BASELINE_WEEKS : -1]:
            base.add(weeks[w].get(unit_id, data.WeekCounts()))
        jump = alerts.baseline_jump(unit_id, c.valid, c.bad, base.valid, base.bad)
        if jump is not None:
            jumps.append({"jump": jump, "unit": by_id[unit_id]})
    jumps.sort(key=lambda j: float(j["jump"].p_value))
    bursts = [b for b in found if b.unit_id in by_id]
    return {
        "figures": figures,
        "by_step": by_step,
        "open_total": sum(s["count"] for s in by_step),
        "overdue_total": sum(s["overdue"] for s in by_step),
        "top_units": top_units,
        "jumps": jumps,
        "bursts": bursts,
        "week_from": this_week["from"],
        "week_to": this_week["to"],
        "scope_path": actor.unit_path,
        "overdue_href": _cases_href(unit=unit_code, overdue=1),
    }


def _step_rank(step: str) -> int:
    return STEPS.index(step) if step in STEPS else len(STEPS)


@login_required()
async def dashboard(request: Request, me: SessionInfo) -> Response:
    s = svc(request)
    started = time.perf_counter()
    ctx = await build(s.store, me.actor, now_ms(), s.settings.report_basic_counts_satisfied)
    steps = step_labels(pick_lang(request))
    response = page(request, "dashboard.html", me, spark=spark, step_labels=steps, **ctx)
    # The server's own time for the page (the bench reads it; a browser shows it in its
    # network panel).
    response.headers["server-timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
    return response

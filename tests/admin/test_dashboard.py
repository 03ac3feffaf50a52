"""The dashboard at /admin: figures for the user's scope, links to the lists behind them,
sparklines, open and overdue cases by step, the units with most overdue, warnings."""

from __future__ import annotations

import contextlib
import html
import re
import sqlite3
from typing import Any

import pandas as pd
import pytest

from analytics import alerts as report_alerts
from rating.admin import dashboard_alerts as alerts
from rating.admin import dashboard_data as data
from rating.cases.service import now_ms
from rating.settings import Settings
from tests.cases.helpers import QIAODONG, QIAOXI, add_user, bad_rating, case_id_of, login
from tests.conftest import Web

WEEK = 7 * 86_400_000


def execute(settings: Settings, sql: str, params: tuple[Any, ...] = ()) -> None:
    with contextlib.closing(sqlite3.connect(settings.database)) as conn, conn:
        conn.execute(sql, params)


def figure(page: str, key: str) -> str:
    m = re.search(rf'id="fig-{key}">.*?class="fig-value">([^<]*)<', page, re.S)
    assert m, f"no figure {key}"
    return html.unescape(m.group(1))


def insert_rating(settings: Settings, officer_badge: str, level: int, at: int, **cols: Any) -> None:
    """A rating written behind the app's back (what an import of old data would leave)."""
    execute(
        settings,
        "INSERT INTO ratings (receipt, officer_id, unit_id, token, channel, level, created_at, "
        "updated_at, device_hash, network_hash) SELECT ?, o.id, o.unit_id, 't', 'badge', ?, ?, ?, "
        "?, ? FROM officers o WHERE o.badge_no = ?",
        (cols.get("receipt", f"X{at}{level}{officer_badge}"), level, at, at,
         cols.get("device"), cols.get("device"), officer_badge),
    )  # fmt: skip


async def forget_past_weeks(web: Web) -> None:
    """Drop the past weeks' counts the server read at start-up (after waiting for them)."""
    from rating.admin import dashboard
    from tests.polling import until

    basic = web.svc.settings.report_basic_counts_satisfied
    await until(lambda: dashboard.warmed(web.store, basic, now_ms()), "the warm-up", 15)
    dashboard._ROLLUPS.pop(web.store, None)


async def test_admin_sees_the_bureau_and_each_figure_links_to_its_list(
    web: Web, settings: Settings
) -> None:
    east = case_id_of(settings, await bad_rating(web, 0))
    await bad_rating(web, 1, level=2)
    west = case_id_of(settings, await bad_rating(web, 2))
    r = await web.client.post("/api/v1/ratings", json=web.rating(1, level=5))
    assert r.status_code == 201
    # A rating of last week, for the "last week" column, written behind the app's back
    # after its start-up read the past weeks: read afresh, as a server started now would.
    insert_rating(settings, "100001", 5, now_ms() - WEEK)
    await forget_past_weeks(web)
    # One case overdue at its callback.
    execute(
        settings, "UPDATE cases SET callback_due_at = ? WHERE id = ?", (now_ms() - 3_600_000, west)
    )
    await add_user(web, "chief", "admin")
    await login(web, "chief")

    page = await web.client.get("/admin")
    assert page.status_code == 200
    text = page.text
    assert figure(text, "dash_ratings") == "4"
    assert figure(text, "dash_bad") == "3"
    assert figure(text, "dash_satisfaction") == "25.0%"
    assert "上周 1" in text  # last week's rating
    # A line per figure; none for the rectification rate, which has nothing to count yet.
    assert text.count('<svg class="spark"') == 4 and "<script" not in text
    assert figure(text, "dash_rectify_rate") == "—"
    # Open cases by step: three wait for their callback, one of them overdue.
    step = re.search(r"回访</th>\s*<td[^>]*><a href=\"([^\"]+)\">3</a>", text)
    assert step and html.unescape(step.group(1)) == "/admin/cases?state=open"
    listed = await web.client.get(html.unescape(step.group(1)))
    assert f"/admin/cases/{east}" in listed.text and f"/admin/cases/{west}" in listed.text
    # The unit with most overdue, linked to its overdue list.
    west_unit = next(u for u in await web.store.list_units() if u.path.endswith("新华街派出所"))
    href = f"/admin/cases?unit={west_unit.code}&amp;overdue=1"
    assert href in text and west_unit.path in text
    late = await web.client.get(html.unescape(href))
    assert f"/admin/cases/{west}" in late.text and f"/admin/cases/{east}" not in late.text

    english = await web.client.get("/admin?lang=en")
    assert "Bad ratings" in english.text and "Units with the most overdue cases" in english.text


def open_total(page: str) -> str:
    m = re.search(r'<tr class="total">.*?<td[^>]*>(\d+)</td>', page, re.S)
    assert m, "no total row"
    return m.group(1)


async def test_cases_of_no_unit_count_for_the_bureau_only(web: Web, settings: Settings) -> None:
    """A letter to the bureau as a whole, or a work order whose unit matched nobody, is a
    case without a unit: the bureau's dashboard counts it (this 500ed), a unit's does not."""
    await bad_rating(web, 0)
    unitless = case_id_of(settings, await bad_rating(web, 1))
    execute(settings, "UPDATE cases SET unit_id = NULL, callback_due_at = ? WHERE id = ?",
            (now_ms() - 3_600_000, unitless))  # fmt: skip
    await add_user(web, "chief", "admin")
    await add_user(web, "east", "unit_manager", QIAODONG)
    await login(web, "chief")
    page = await web.client.get("/admin")
    assert page.status_code == 200, page.text
    assert open_total(page.text) == "2"
    web.client.cookies.clear()
    await login(web, "east")
    page = await web.client.get("/admin")
    assert page.status_code == 200 and open_total(page.text) == "1"


async def test_a_unit_manager_sees_only_their_subtree(web: Web, settings: Settings) -> None:
    await bad_rating(web, 0)
    await bad_rating(web, 1)
    await bad_rating(web, 2)
    await add_user(web, "west", "unit_manager", QIAOXI)
    await login(web, "west")
    page = await web.client.get("/admin")
    assert page.status_code == 200
    assert figure(page.text, "dash_ratings") == "1" and figure(page.text, "dash_bad") == "1"
    assert QIAOXI in page.text and "胜利路派出所" not in page.text
    # Its links keep the scope: the case list of its own unit.
    west = next(u for u in await web.store.list_units() if u.path == QIAOXI)
    assert f"unit={west.code}" in page.text


async def test_a_viewer_scoped_to_a_unit_sees_that_unit(web: Web, settings: Settings) -> None:
    await bad_rating(web, 0)
    await bad_rating(web, 2)
    await add_user(web, "look", "viewer", QIAODONG)
    await login(web, "look")
    page = await web.client.get("/admin")
    assert figure(page.text, "dash_bad") == "1"


async def test_a_burst_of_top_ratings_from_one_device_is_a_warning(
    web: Web, settings: Settings
) -> None:
    start = now_ms() - 60_000 * 8
    for i in range(5):
        insert_rating(settings, "100002", 5, start + i * 60_000, device="d" * 32, receipt=f"B{i}")
    found = await web.store.read(
        data.bursts, data.week_start(data.week_of(now_ms())), now_ms() + 1, 5, 600_000
    )
    assert [(b.badge_no, b.source, b.top_ratings) for b in found] == [
        ("100002", "device", 5),
        ("100002", "network", 5),
    ]
    await add_user(web, "chief", "admin")
    await login(web, "chief")
    page = await web.client.get("/admin")
    assert "李娜（100002）：同一设备 5 条非常满意" in page.text
    assert 'href="/admin/officers/100002"' in page.text
    # Four in the window are not a burst.
    assert not await web.store.read(data.bursts, start + 60_000, now_ms() + 1, 5, 600_000)


def test_the_baseline_rule_is_the_reports() -> None:
    for name in ("BASELINE_WEEKS", "BASELINE_MIN_VALID", "MIN_BAD", "P_THRESHOLD", "BURST_MIN",
                 "BURST_WINDOW_MS"):  # fmt: skip
        assert getattr(alerts, name) == getattr(report_alerts, name), name
    for x, n, p in ((0, 5, 0.1), (3, 10, 0.05), (7, 40, 0.02), (50, 50, 0.5), (6, 5, 0.3)):
        assert alerts.binomial_sf(x, n, p) == pytest.approx(report_alerts.binomial_sf(x, n, p))
    counts = pd.DataFrame(
        {
            "week": [0, 7, 14, 56, 0, 56],
            "unit": ["a", "a", "a", "a", "b", "b"],
            "valid": [30, 30, 30, 40, 100, 50],
            "bad": [1, 0, 1, 9, 5, 4],
        }
    )
    flagged = report_alerts.baseline_alerts(counts, 56, ["unit"])
    assert list(flagged["unit"]) == ["a"]
    jump_a = alerts.baseline_jump(1, 40, 9, 90, 2)
    jump_b = alerts.baseline_jump(2, 50, 4, 100, 5)
    assert jump_a is not None and jump_b is None
    assert jump_a.p_value == pytest.approx(float(flagged["p_value"][0]))


def test_sparkline_is_inline_svg_with_a_label() -> None:
    from rating.admin.dashboard import sparkline

    svg = str(sparkline([1, None, 3, 2], "评价数 <x>"))
    assert svg.startswith('<svg class="spark"') and 'aria-label="评价数 &lt;x&gt;"' in svg
    assert svg.count(",") == 3  # three points: the gap is left out
    assert str(sparkline([None, None], "x")) == ""


async def test_week_counts_put_each_rating_in_its_week_at_the_day_edges(
    web: Web, settings: Settings
) -> None:
    """The counts are read a day at a time: a rating at the first or last millisecond of a
    day or a week lands in the week that holds it, as one query over the weeks would."""
    first = data.week_of(now_ms()) - 3
    start = data.week_start(first)
    times = [start, start + data.DAY_MS - 1, start + data.DAY_MS, start + data.WEEK_MS - 1,
             start + data.WEEK_MS, start + 2 * data.WEEK_MS + 5 * data.DAY_MS + 123,
             start + 3 * data.WEEK_MS - 1, start + 3 * data.WEEK_MS]  # fmt: skip
    for i, at in enumerate(times):
        insert_rating(settings, "100001", 1 + i % 5, at, receipt=f"EDGE{i}")
    got = await web.store.read(data.week_counts, first, first + 3, True)
    expected: dict[int, list[int]] = {}
    for i, at in enumerate(times):
        if at < data.week_start(first + 3):
            week = expected.setdefault(data.week_of(at), [0, 0])
            week[0] += 1
            week[1] += 1 + i % 5 <= 2
    assert {wk: [c.ratings, c.bad] for (wk, _), c in got.items()} == expected
    assert sorted(expected) == [first, first + 1, first + 2]


async def test_the_server_reads_the_past_weeks_at_start_up_not_at_the_first_view(
    web: Web,
) -> None:
    """The lifespan's warm-up fills the past weeks' counts with no view at all; a view
    then reads only the current week."""
    from rating.admin import dashboard
    from tests.polling import until

    basic = web.svc.settings.report_basic_counts_satisfied
    await until(lambda: dashboard.warmed(web.store, basic, now_ms()), "the warm-up", 15)
    reads: list[str] = []
    real = web.store.read

    async def counted(fn: Any, *args: Any) -> Any:
        reads.append(getattr(fn, "__name__", ""))
        return await real(fn, *args)

    web.store.read = counted  # type: ignore[method-assign]
    try:
        await add_user(web, "boss", "admin")
        await login(web, "boss")
        assert (await web.client.get("/admin")).status_code == 200
    finally:
        web.store.read = real  # type: ignore[method-assign]
    assert reads.count("week_counts") == 1  # the current week only

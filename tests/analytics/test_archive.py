"""Reports built in worker processes and kept in the archive; the admin reports page."""

from __future__ import annotations

import asyncio
import os
import re
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from analytics import archive
from analytics.worker import ReportWorkers
from rating.cli import main
from rating.settings import Settings
from rating.store import make_store
from tests.admin.test_reports import this_week
from tests.analytics.conftest import Seeded
from tests.analytics.test_cli import seed_week
from tests.cases.helpers import QIAODONG, add_user, bad_rating, login
from tests.conftest import ROSTER, Web
from tests.store.conftest import fresh_database

URL = "/admin/report/weekly"


def local(ms: int) -> str:
    return (datetime.fromtimestamp(ms / 1000, UTC) + timedelta(hours=8)).strftime(
        "%Y-%m-%dT%H:%M:%S"
    )


async def test_page_opens_in_browser_and_is_archived(web: Web) -> None:
    await bad_rating(web, 0)
    await add_user(web, "admin1", "admin")
    await login(web, "admin1")
    r = await web.client.get(URL, params={"format": "html", "week": this_week()})
    assert r.status_code == 200
    assert r.headers["content-disposition"].startswith("inline;")  # opens, not downloads
    assert r.headers["content-type"].startswith("text/html")
    assert "img-src data:" in r.headers["content-security-policy"]
    assert "<meta name='viewport' content='width=device-width, initial-scale=1'>" in r.text

    root = archive.archive_root(web.svc.settings)
    [entry] = archive.entries(root)
    assert entry.week == this_week() and entry.scope == archive.ALL
    assert entry.meta["source"] == "admin"
    # Built in a worker process, not in the server's.
    assert isinstance(entry.meta["worker_pid"], int) and entry.meta["worker_pid"] != os.getpid()
    assert {"report.html", "report.xlsx", "report.zip", "units.csv"} <= set(entry.files)

    page = await web.client.get("/admin/reports")
    assert page.status_code == 200
    assert "<h1>报表存档</h1>" in page.text
    english = await web.client.get("/admin/reports", params={"lang": "en"})
    assert "<h1>Report archive</h1>" in english.text and entry.key in english.text
    links = re.findall(r'href="(/admin/reports/[^"]+)"', page.text)
    assert f"/admin/reports/{entry.key}/report.xlsx" in links
    # The week and unit pickers narrow the list.
    for params, listed in (
        ({"week": entry.week}, True),
        ({"week": "2020-W01"}, False),
        ({"unit": archive.ALL}, True),
        ({"unit": "NOPE"}, False),
    ):
        text = (await web.client.get("/admin/reports", params=params)).text
        assert (entry.key in text) is listed, params
    kept = await web.client.get(f"/admin/reports/{entry.key}/report.html")
    assert kept.status_code == 200 and kept.text == r.text
    assert kept.headers["content-disposition"].startswith("inline;")
    xlsx = await web.client.get(f"/admin/reports/{entry.key}/report.xlsx")
    assert xlsx.headers["content-disposition"].startswith("attachment;")
    assert xlsx.content[:2] == b"PK"
    for bad in ("report.exe", "..%2Fmeta.json", "meta.json"):
        assert (await web.client.get(f"/admin/reports/{entry.key}/{bad}")).status_code == 404
    assert (await web.client.get("/admin/reports/2026-W01/ALL/x/report.html")).status_code == 404


async def test_as_of_moment_is_used_and_kept(web: Web) -> None:
    await bad_rating(web, 0)
    await add_user(web, "admin1", "admin")
    await login(web, "admin1")
    moment = (int(time.time()) - 120) * 1000
    r = await web.client.get(
        URL, params={"format": "zip", "week": this_week(), "as_of": local(moment)}
    )
    assert r.status_code == 200 and r.headers["content-disposition"].startswith("attachment;")
    root = archive.archive_root(web.svc.settings)
    [entry] = archive.entries(root)
    assert entry.as_of_ms == moment
    assert entry.moment == archive.stamp(moment)
    # The same moment again: the same entry, not a second one.
    again = await web.client.get(
        URL, params={"format": "xlsx", "week": this_week(), "as_of": local(moment)}
    )
    assert again.status_code == 200
    assert len(archive.entries(root)) == 1
    # The as-of picker of the archive page: only reports made as of that moment or before.
    listed = await web.client.get("/admin/reports", params={"as_of": local(moment - 60_000)})
    assert entry.key not in listed.text
    listed = await web.client.get("/admin/reports", params={"as_of": local(moment)})
    assert entry.key in listed.text
    future = local(int(time.time() * 1000) + 3_600_000)
    late = await web.client.get(URL, params={"as_of": future})
    assert late.status_code == 400 and "future" in late.text
    assert (await web.client.get(URL, params={"as_of": "yesterday"})).status_code == 400
    assert (await web.client.get(URL, params={"format": "html", "week": "W1"})).status_code == 400


async def test_unit_manager_sees_own_archive_only(web: Web) -> None:
    await bad_rating(web, 0)
    await add_user(web, "admin1", "admin")
    await add_user(web, "east", "unit_manager", QIAODONG)
    await login(web, "admin1")
    assert (await web.client.get(URL, params={"week": this_week()})).status_code == 200
    root = archive.archive_root(web.svc.settings)
    [bureau] = archive.entries(root)
    await login(web, "east")
    assert (await web.client.get(URL, params={"week": this_week()})).status_code == 200
    own = [e for e in archive.entries(root) if e.scope != archive.ALL]
    assert [e.unit_path for e in own] == [QIAODONG]
    page = await web.client.get("/admin/reports")
    assert own[0].key in page.text and bureau.key not in page.text
    denied = await web.client.get(f"/admin/reports/{bureau.key}/report.html")
    assert denied.status_code == 404


async def test_reports_wait_for_a_free_worker(settings: Settings, seeded: Seeded) -> None:
    workers = ReportWorkers(replace(settings, report_workers=1))
    most = 0

    async def watch() -> None:
        nonlocal most
        while True:
            most = max(most, workers.running)
            await asyncio.sleep(0.01)

    watcher = asyncio.create_task(watch())
    moments = [(int(time.time()) - 60 * i) * 1000 for i in range(1, 4)]
    try:
        entries = await asyncio.gather(
            *(workers.weekly(week="2026-W40", unit=None, as_of_ms=m) for m in moments)
        )
    finally:
        watcher.cancel()
    assert most == 1  # one at a time: the other two waited
    assert sorted(e.as_of_ms for e in entries) == sorted(moments)
    assert workers.running == 0 and workers.waiting == 0


def test_schedule_and_cli_keep_reports(
    seeded_file: Seeded, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_week(seeded_file)
    db = seeded_file.settings.database
    root = archive.archive_root(seeded_file.settings)
    assert main(["--database", db, "report", "schedule", "--week", "2026-W40", "--branches"]) == 0
    out = capsys.readouterr().out
    kept = archive.entries(root)
    assert len(kept) == 3  # the bureau and its two branches
    assert {e.meta["source"] for e in kept} == {"schedule"}
    assert len({e.moment for e in kept}) == 1  # one moment for the whole run
    assert {e.meta["scope_name"] for e in kept} >= {
        "全部单位",
        QIAODONG,
    }
    assert "archived in" in out
    folder = str(tmp_path)
    assert main(["--database", db, "report", "weekly", "--week", "2026-W40", "--out", folder]) == 0
    assert len(archive.entries(root)) == 4
    assert (
        main(
            [
                "--database",
                db,
                "report",
                "weekly",
                "--week",
                "2026-W40",
                "--out",
                folder,
                "--no-archive",
            ]
        )
        == 0
    )
    assert len(archive.entries(root)) == 4


async def test_a_worker_past_its_time_is_stopped(settings: Settings, seeded: Seeded) -> None:
    from analytics.worker import MAX_WAITING, ReportBusy, ReportFailed

    workers = ReportWorkers(replace(settings, report_timeout_seconds=0))
    with pytest.raises(ReportFailed, match="longer than 0 s"):
        await workers.weekly(week="2026-W40", unit=None, as_of_ms=None)
    assert workers.running == 0
    assert archive.entries(archive.archive_root(settings)) == []
    workers.waiting = MAX_WAITING  # as if eight requests were queued already
    with pytest.raises(ReportBusy):
        await workers.weekly(week="2026-W40", unit=None, as_of_ms=None)


async def test_worker_reports_from_postgres(tmp_path: Path) -> None:
    """The worker process opens its own PostgreSQL connection; the report is archived."""
    with fresh_database() as url:
        settings = Settings.load(
            env={}, database=url, secret="pg-secret", report_archive_dir=str(tmp_path)
        )
        store = make_store(settings)
        await store.open()
        try:
            await store.import_roster(ROSTER)
        finally:
            await store.close()
        entry = await ReportWorkers(settings).weekly(week="2026-W40", unit=None, as_of_ms=None)
    assert entry.meta["scope_name"] == "全部单位"
    units = (tmp_path / "weekly" / entry.key / "units.csv").read_text(encoding="utf-8-sig")
    assert "张家口市公安局/桥东分局" in units

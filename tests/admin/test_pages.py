"""Admin pages: case list filters, officer and unit pages, the CLI for accounts."""

from __future__ import annotations

import asyncio
import io

import pytest

from rating.cli import main
from rating.settings import Settings
from tests.cases.helpers import (
    PASSWORD,
    QIAODONG,
    act,
    add_user,
    bad_rating,
    case_id_of,
    cli,
    login,
    rows,
)
from tests.conftest import Web


async def test_case_list_filters(web: Web, settings: Settings) -> None:
    east = case_id_of(settings, await bad_rating(web, 0))
    west = case_id_of(settings, await bad_rating(web, 2))
    await add_user(web, "admin1", "admin")
    await login(web, "admin1")
    await act(web, west, "callback", outcome="reached", note="n")
    east_code = (await web.store.list_units())[1].code
    assert (await web.store.list_units())[1].path == QIAODONG

    async def ids(query: str) -> set[int]:
        page = await web.client.get("/admin/cases" + query)
        assert page.status_code == 200
        return {i for i in (east, west) if f'href="/admin/cases/{i}"' in page.text}

    assert await ids("") == {east, west}
    assert await ids(f"?unit={east_code}") == {east}
    assert await ids("?state=called_back") == {west}
    assert await ids("?state=open") == {east}
    assert await ids("?from=2000-01-01&to=2000-01-02") == set()
    assert await ids("?from=2000-01-01") == {east, west}
    assert await ids("?overdue=1") == set()  # both were opened moments ago
    assert (await web.client.get("/admin/cases?state=bogus")).status_code == 400
    assert (await web.client.get("/admin/cases?from=yesterday")).status_code == 400


async def test_officer_and_unit_pages(web: Web, settings: Settings) -> None:
    case_id = case_id_of(settings, await bad_rating(web, 0, phone="13812345678", consent=True))
    await add_user(web, "admin1", "admin")
    await login(web, "admin1")
    officer = await web.client.get("/admin/officers/100001")
    assert officer.status_code == 200
    assert "张伟" in officer.text and "非常不满意" in officer.text
    assert f"/admin/cases/{case_id}" in officer.text
    assert "138****5678" not in officer.text and "13812345678" not in officer.text
    unit = next(u for u in await web.store.list_units() if u.path == QIAODONG)
    page = await web.client.get(f"/admin/units/{unit.code}")
    assert page.status_code == 200
    assert "待回访 1" in page.text and "胜利路派出所" in page.text and "张伟" in page.text
    assert (await web.client.get("/admin/units/NOPE")).status_code == 404


async def test_users_add_command(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Unit codes come from the roster; without a roster no unit exists yet.
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    code = await asyncio.to_thread(
        main, ["--database", settings.database, "users", "add", "chief", "--role", "admin"]
    )
    assert code == 0 and "user chief added: admin" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    code = await asyncio.to_thread(
        main,
        ["--database", settings.database, "users", "add", "m", "--role", "unit_manager"],
    )
    err = capsys.readouterr().err
    assert code == 1 and err.strip() == "pingjing: a unit manager needs --unit"
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    code = await asyncio.to_thread(
        main,
        [
            "--database", settings.database, "users", "add", "m", "--role", "unit_manager",
            "--unit", "NOPE",
        ],
    )  # fmt: skip
    assert code == 1 and "unknown unit 'NOPE'" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    code = await asyncio.to_thread(
        main, ["--database", settings.database, "users", "add", "x", "--role", "viewer"]
    )
    assert code == 1 and "at least 10 characters" in capsys.readouterr().err
    assert rows(settings, "SELECT name, role FROM admin_users") == [("chief", "admin")]


async def test_unit_manager_created_by_cli_can_log_in(
    web: Web, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert (
        await cli(settings, "users", "add", "li", "--role", "unit_manager", "--unit", QIAODONG) == 0
    )
    r = await login(web, "li")
    assert r.status_code == 303
    assert "li" in (await web.client.get("/admin/cases")).text
    assert await cli(settings, "users", "token", "li", "--label", "report") == 0
    assert rows(settings, "SELECT COUNT(*) FROM api_tokens WHERE revoked_at IS NULL") == [(1,)]
    # Disabling ends the session at once and revokes the token.
    assert await cli(settings, "users", "disable", "li") == 0
    assert (await web.client.get("/admin/cases")).status_code == 303
    assert rows(settings, "SELECT COUNT(*) FROM api_tokens WHERE revoked_at IS NULL") == [(0,)]
    assert (await login(web, "li")).status_code == 401


async def test_settings_command_hides_the_webhook_secret(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PINGJING_WEBHOOK_SECRET", "hush-hush-123")
    assert await asyncio.to_thread(main, ["--database", settings.database, "settings"]) == 0
    out = capsys.readouterr().out
    assert "PINGJING_WEBHOOK_SECRET=(set)" in out and "hush-hush-123" not in out


async def test_case_list_pages_and_csv_export(
    web: Web, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rating.admin import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    ids = [
        case_id_of(settings, await bad_rating(web, i, phone="13812345678", consent=True))
        for i in (0, 1, 2)
    ]
    await add_user(web, "admin1", "admin")
    await login(web, "admin1")
    first = await web.client.get("/admin/cases?state=open")
    assert [i for i in ids if f'href="/admin/cases/{i}"' in first.text] == ids[1:]  # newest first
    assert 'href="/admin/cases?state=open&amp;page=2"' in first.text
    second = await web.client.get("/admin/cases?state=open&page=2")
    assert [i for i in ids if f'href="/admin/cases/{i}"' in second.text] == ids[:1]
    assert "下一页" not in second.text and "上一页" in second.text

    export = await web.client.get("/admin/cases.csv?state=open")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    lines = export.text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("case_id,opened_at,unit,officer,badge_no,level,state")
    assert sorted(int(line.split(",")[0]) for line in lines[1:]) == ids
    assert "13812345678" not in export.text and "138****5678" not in export.text
    assert "待回访" in export.text
    web.client.cookies.clear()
    assert (await web.client.get("/admin/cases.csv")).status_code == 303

"""The rest of the `pingjing` command: backup, demo seeding, settings, usage errors."""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import cast

import pytest

from rating.cli import main
from rating.settings import SETTINGS
from tests.conftest import Web, make_settings, open_web

ROSTER_CSV = (
    "警号,姓名,单位,类别\r\n"
    "100001,张伟,张家口市公安局/桥东分局/胜利路派出所,民警\r\n"
    "100002,李娜,张家口市公安局/桥东分局/胜利路派出所,辅警\r\n"
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for s in SETTINGS:
        monkeypatch.delenv(f"PINGJING_{s.name.upper()}", raising=False)
    monkeypatch.setenv("PINGJING_SQLITE_SYNCHRONOUS", "NORMAL")


@pytest.fixture
def db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A database with two officers, imported through the CLI."""
    path = tmp_path / "pingjing.db"
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER_CSV, encoding="utf-8")
    assert main(["--database", str(path), "officers", "import", str(roster)]) == 0
    capsys.readouterr()
    return path


def count(path: Path, table: str) -> int:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        (n,) = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
        return int(n)


def test_backup_writes_a_readable_copy(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = tmp_path / "backup" / "copy.db"
    dest.parent.mkdir()
    assert main(["--database", str(db), "backup", str(dest)]) == 0
    assert capsys.readouterr().out == f"backup written to {dest}\n"
    with contextlib.closing(sqlite3.connect(dest)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        names = conn.execute("SELECT badge_no, name FROM officers ORDER BY badge_no").fetchall()
    assert names == [("100001", "张伟"), ("100002", "李娜")]
    assert count(dest, "badge_tokens") == 2


def test_backup_refuses_an_existing_file(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = tmp_path / "keep.db"
    dest.write_bytes(b"yesterday's backup")
    assert main(["--database", str(db), "backup", str(dest)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err == f"pingjing: {dest} already exists; choose a new file name\n"
    assert dest.read_bytes() == b"yesterday's backup"


def test_backup_into_a_missing_folder(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = tmp_path / "nowhere" / "copy.db"
    assert main(["--database", str(db), "backup", str(dest)]) == 1
    assert capsys.readouterr().err == f"pingjing: folder {dest.parent} does not exist\n"
    assert not dest.parent.exists()


def test_backup_includes_ratings_just_made(db: Path, tmp_path: Path) -> None:
    async def rate() -> None:
        agen = cast(
            "AsyncGenerator[Web, None]",
            open_web(make_settings(tmp_path, database=str(db), secret="")),
        )
        web = await anext(agen)
        try:
            r = await web.client.post("/api/v1/ratings", json=web.rating(level=5))
            assert r.status_code == 201
        finally:
            await agen.aclose()

    asyncio.run(rate())
    dest = tmp_path / "copy.db"
    assert main(["--database", str(db), "backup", str(dest)]) == 0
    assert count(dest, "ratings") == 1


def test_demo_seeds_officers_and_ratings_and_prints_their_pages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "demo.db"
    assert main(["--database", str(path), "demo", "--no-serve", "--port", "8123"]) == 0
    out = capsys.readouterr().out
    assert f"demo: created 50 officers in {path}" in out
    assert re.search(rf"demo: created (\d+) ratings over 12 weeks in {re.escape(str(path))}", out)
    tokens = re.findall(r"http://127\.0\.0\.1:8123/r/([0-9A-Z]{12})", out)
    assert len(tokens) == 5
    assert count(path, "officers") == 50
    stored = re.search(r"created (\d+) ratings", out)
    assert stored and count(path, "ratings") == int(stored.group(1))  # every one stored
    with contextlib.closing(sqlite3.connect(path)) as conn:
        levels = dict(conn.execute("SELECT level, COUNT(*) FROM ratings GROUP BY level"))
        units = conn.execute("SELECT COUNT(*) FROM units WHERE depth = 3").fetchone()[0]
    assert set(levels) == {1, 2, 3, 4, 5} and levels[5] > levels[1]
    assert units >= 4

    async def pages() -> None:
        agen = cast(
            "AsyncGenerator[Web, None]",
            open_web(make_settings(tmp_path, database=str(path), secret="")),
        )
        web = await anext(agen)
        try:
            for token in tokens:
                assert (await web.client.get(f"/r/{token}")).status_code == 200
        finally:
            await agen.aclose()

    asyncio.run(pages())

    # A second run keeps the data and serves it.
    assert main(["--database", str(path), "demo", "--no-serve"]) == 0
    assert "demo: reused 50 officers" in capsys.readouterr().out
    assert count(path, "officers") == 50


def test_settings_never_prints_the_secret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PINGJING_SECRET", "do-not-print-me")
    monkeypatch.setenv("PINGJING_PUBLIC_BASE_URL", "https://pj.example.cn")
    assert main(["--database", str(tmp_path / "x.db"), "settings"]) == 0
    out = capsys.readouterr().out
    assert "do-not-print-me" not in out
    assert "PINGJING_SECRET=(set)\n" in out
    assert "PINGJING_PUBLIC_BASE_URL=https://pj.example.cn\n" in out
    assert f"PINGJING_DATABASE={tmp_path / 'x.db'}\n" in out


def test_a_bad_setting_is_a_one_line_error(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PINGJING_AMEND_WINDOW_MINUTES", "half an hour")
    assert main(["--database", str(db), "officers", "list"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "PINGJING_AMEND_WINDOW_MINUTES" in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["officers", "reissue"])
    assert exit_info.value.code == 2
    assert "badge_no" in capsys.readouterr().err


async def test_demo_prints_an_admin_login_that_works(tmp_path: Path) -> None:
    import io

    from tests.cases.helpers import login
    from tests.conftest import make_settings, opened

    settings = make_settings(tmp_path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = await asyncio.to_thread(
            main, ["--database", settings.database, "demo", "--no-serve"]
        )
    assert code == 0
    found = re.search(r"user (\S+), password (\S+)", out.getvalue())
    assert found, out.getvalue()
    async with opened(settings) as web:
        wrong = await login(web, found.group(1), "not-the-password")
        assert wrong.status_code != 303
        ok = await login(web, found.group(1), found.group(2))
        assert ok.status_code == 303, ok.text
        assert ok.headers["location"].startswith("/admin")

"""Small leaks (issue 14, item 11)."""

from __future__ import annotations

import asyncio
import re
import stat
from pathlib import Path

import pytest

from rating.cli import main, mask_password
from tests.conftest import Web, make_settings, opened

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "value",
    [
        "postgresql://pingjing:s3cr%40t@db.example:5432/pingjing",
        "postgresql://pingjing:s3cret@db.example/pingjing?sslmode=require",
        "postgresql://db.example/pingjing?user=pj&password=s3cret",
        "host=db.example user=pj password=s3cret dbname=pingjing",
        "https://hook:s3cret@hooks.example/cases",
    ],
)
def test_settings_masks_passwords_in_urls(value: str) -> None:
    masked = mask_password(value)
    assert "s3cr" not in masked and "***" in masked


def test_settings_command_prints_no_database_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PINGJING_DATABASE", "postgresql://pj:hunter2@db.example/pingjing")
    assert main(["settings"]) == 0
    out = capsys.readouterr().out
    assert "hunter2" not in out
    assert "PINGJING_DATABASE=postgresql://pj:***@db.example/pingjing" in out


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_database_wal_and_backup_are_owner_only(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    async with opened(settings) as web:
        r = await web.client.post("/api/v1/ratings", json=web.rating())
        assert r.status_code == 201
        db = Path(settings.database)
        for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            assert path.exists() and mode(path) == 0o600, path
    backup = tmp_path / "backup.db"
    code = await asyncio.to_thread(main, ["--database", settings.database, "backup", str(backup)])
    assert code == 0 and mode(backup) == 0o600 and backup.stat().st_size > 0


async def test_personal_json_is_not_cached_and_pages_refuse_frames(web: Web) -> None:
    r = await web.client.post("/api/v1/ratings", json=web.rating())
    assert r.status_code == 201 and r.headers["cache-control"] == "no-store"
    page = await web.client.get(f"/r/{web.token()}")
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    receipt = await web.client.get(r.json()["receipt_url"])
    assert receipt.headers["x-frame-options"] == "DENY"
    login = await web.client.get("/admin/login")
    assert login.headers["x-frame-options"] == "DENY"


def test_deployment_doc_shows_hsts_and_scopes_body_sizes_per_location() -> None:
    doc = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    assert re.search(r'add_header Strict-Transport-Security "max-age=\d+', doc)
    upload = re.search(r"location = /admin/workorders/import \{(.*?)\}", doc, re.S)
    assert upload and re.search(r"client_max_body_size 2[01]m;", upload.group(1))
    login = re.search(r"location = /admin/login \{(.*?)\}", doc, re.S)
    assert login and "client_max_body_size 16k;" in login.group(1)

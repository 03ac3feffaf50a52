"""`pingjing report weekly|period|schedule` refuse what they cannot do before building
anything, each with a message naming the option (the reports themselves: test_cli.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rating.cli import main


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("PINGJING_DATABASE", "PINGJING_SECRET", "PINGJING_REPORT_ARCHIVE_DIR"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "pingjing.db"


def refused(capsys: pytest.CaptureFixture[str], db: Path, *argv: str) -> str:
    assert main(["--database", str(db), "report", *argv]) == 1
    out, err = capsys.readouterr()
    assert not out
    return err


@pytest.mark.parametrize("kind", [("weekly",), ("period", "--month", "2026-11")])
def test_unknown_formats_and_a_file_for_a_folder_are_refused(
    kind: tuple[str, ...], db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    err = refused(capsys, db, *kind, "--out", str(out), "--formats", "xlsx,pdf")
    assert "unknown format 'pdf'; choose from" in err
    assert "unknown format" in refused(capsys, db, *kind, "--out", str(out), "--formats", ",")
    a_file = tmp_path / "report.xlsx"
    a_file.write_bytes(b"")
    assert f"{a_file} is not a folder" in refused(capsys, db, *kind, "--out", str(a_file))
    assert not out.exists()


def test_period_options_are_checked(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "out")
    err = refused(capsys, db, "period", "--month", "2026-11", "--to", "2026-11-30", "--out", out)
    assert "--to goes with --from" in err
    assert "--month" in refused(capsys, db, "period", "--month", "2026-13", "--out", out)
    err = refused(capsys, db, "period", "--from", "2026-11-30", "--to", "2026-11-01", "--out", out)
    assert "--from" in err


def test_an_impossible_week_is_refused_by_weekly_and_schedule(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "out")
    assert "2026-W99" in refused(capsys, db, "weekly", "--week", "2026-W99", "--out", out)
    assert "2026-W99" in refused(capsys, db, "schedule", "--week", "2026-W99")

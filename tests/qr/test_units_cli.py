"""`pingjing units codes`: the list of place codes and the refusals of `print` (the posters
themselves, reissue and revoke: tests/mailbox/test_places.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from rating.cli import main

STATION = "张家口市公安局/桥东分局/胜利路派出所"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("PINGJING_DATABASE", "PINGJING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PINGJING_PUBLIC_BASE_URL", "https://pj.example.cn")
    roster = tmp_path / "roster.csv"
    roster.write_text(f"badge_no,name,unit,kind\n100001,张伟,{STATION},police\n", encoding="utf-8")
    path = tmp_path / "pingjing.db"
    assert main(["--database", str(path), "officers", "import", str(roster)]) == 0
    return path


def test_list_shows_each_unit_with_its_live_code_or_none(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    codes = ["--database", str(db), "units", "codes"]
    assert main([*codes, "list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 3 and all(line.endswith("\t-") for line in listed)  # none issued yet
    assert main([*codes, "reissue", STATION]) == 0
    capsys.readouterr()
    with sqlite3.connect(db) as conn:
        (token,) = conn.execute("SELECT token FROM unit_tokens WHERE revoked_at IS NULL").fetchone()
    assert main([*codes, "list"]) == 0
    by_path = {
        line.split("\t")[1]: line.split("\t")[2] for line in capsys.readouterr().out.splitlines()
    }
    assert by_path[STATION] == f"https://pj.example.cn/u/{token}"
    assert by_path["张家口市公安局"] == "-"
    assert main([*codes, "revoke", STATION]) == 0
    capsys.readouterr()
    assert main([*codes, "list"]) == 0
    assert all(line.endswith("\t-") for line in capsys.readouterr().out.splitlines())


def test_print_refuses_a_local_base_url_a_missing_font_and_an_unwritable_folder(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "posters"
    printing = ["--database", str(db), "units", "codes", "print", "--out", str(out)]
    monkeypatch.setenv("PINGJING_PUBLIC_BASE_URL", "http://127.0.0.1:8000")
    assert main(printing) == 1
    assert "PINGJING_PUBLIC_BASE_URL" in capsys.readouterr().err and not out.exists()
    monkeypatch.setenv("PINGJING_PUBLIC_BASE_URL", "https://pj.example.cn")

    assert main([*printing, "--font", str(tmp_path / "none.ttf")]) == 1
    assert "none.ttf does not exist" in capsys.readouterr().err and not out.exists()

    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    inside = ["--database", str(db), "units", "codes", "print", "--out", str(blocker / "p")]
    assert main(inside) == 1
    assert "cannot write to" in capsys.readouterr().err


def test_print_with_no_units_says_to_import_a_roster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("PINGJING_DATABASE", "PINGJING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PINGJING_PUBLIC_BASE_URL", "https://pj.example.cn")
    empty = ["--database", str(tmp_path / "empty.db"), "units", "codes", "print"]
    assert main([*empty, "--out", str(tmp_path / "p")]) == 1
    assert "no units yet" in capsys.readouterr().err

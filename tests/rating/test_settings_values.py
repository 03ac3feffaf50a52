"""Settings from the environment: each value is read as its setting's type, and a wrong one
is refused with a message naming the variable (the CLI prints it and exits 1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rating.cli import main
from rating.settings import Settings


def test_values_are_read_as_their_settings_type() -> None:
    s = Settings.load(
        {
            "PINGJING_COOKIE_SECURE": " yes ",
            "PINGJING_ACCESS_LOG": "off",
            "PINGJING_ADMIN_SESSION_HOURS": "8",
            "PINGJING_MIN_SUBMIT_SECONDS": "0.5",
        }
    )
    assert (s.cookie_secure, s.access_log, s.admin_session_hours) == (True, False, 8)
    assert s.min_submit_seconds == 0.5
    assert Settings.load({"PINGJING_COOKIE_SECURE": ""}).cookie_secure is False


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PINGJING_COOKIE_SECURE": "maybe"}, "PINGJING_COOKIE_SECURE: expected true/false"),
        ({"PINGJING_ADMIN_SESSION_HOURS": "12h"}, "PINGJING_ADMIN_SESSION_HOURS: expected a whole"),
        ({"PINGJING_MIN_SUBMIT_SECONDS": "fast"}, "PINGJING_MIN_SUBMIT_SECONDS: expected a number"),
        ({"PINGJING_METRICS_ALLOW": "10.0.0.0/8,intranet"}, "'intranet' is not an address"),
        ({"PINGJING_SPOTCHECK_SHARE": "1.5"}, "PINGJING_SPOTCHECK_SHARE must be between 0 and 1"),
        ({"PINGJING_SPOTCHECK_MIN_PER_UNIT": "-1"}, "PINGJING_SPOTCHECK_MIN_PER_UNIT must be 0"),
        ({"PINGJING_LOG_FORMAT": "xml"}, "PINGJING_LOG_FORMAT must be json or text"),
        ({"PINGJING_SQLITE_SYNCHRONOUS": "OFF"}, "PINGJING_SQLITE_SYNCHRONOUS must be FULL"),
    ],
)
def test_a_wrong_value_names_its_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Settings.load(env)


def test_an_unknown_override_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown setting 'databse'"):
        Settings.load({}, databse="x.db")


def test_postgres_needs_a_shared_secret_and_sqlite_keeps_its_own(tmp_path: Path) -> None:
    pg = Settings.load({"PINGJING_DATABASE": "postgresql://127.0.0.1/pingjing"})
    with pytest.raises(ValueError, match="PINGJING_SECRET must be set"):
        pg.resolved_secret()
    lite = Settings.load({"PINGJING_DATABASE": str(tmp_path / "db" / "p.db")})
    first = lite.resolved_secret()
    secret_file = tmp_path / "db" / "p.db.secret"
    assert secret_file.stat().st_mode & 0o777 == 0o600
    assert lite.resolved_secret() == first  # read back, not made anew


def test_the_cli_prints_a_settings_mistake_and_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PINGJING_LOG_FORMAT", "xml")
    assert main(["--database", str(tmp_path / "p.db"), "officers", "list"]) == 1
    assert "pingjing: PINGJING_LOG_FORMAT must be json or text" in capsys.readouterr().err

"""Printed URLs (issue 13): badges refuse a public base URL that phones cannot reach,
every command prints the badges' base URL, the demo matches its port, and the badge
carries a call to action and the bureau's name while every code still decodes."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from qr.fonts import find_font, load_font
from qr.layout import BadgeText, badge_height, layout_badge
from rating.cli import main
from rating.settings import public_url_problem
from tests.qr.conftest import BASE_URL, Cli, dark, decode_one, url_of

REFUSED = [
    "http://127.0.0.1:8000",
    "http://localhost:8000",
    "http://[::1]:8000",
    "http://192.168.1.10",
    "https://10.0.0.5",
    "https://172.16.3.4:8443",
    "http://169.254.1.1",
    "http://pj.example.cn",  # a public host, but plain http
    "pj.example.cn",
]


@pytest.mark.parametrize("url", REFUSED)
def test_badges_refuse_a_base_url_phones_cannot_reach(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("PINGJING_PUBLIC_BASE_URL", url)
    run = cli.badges(tmp_path / "out")
    assert run.code == 1
    assert run.err.count("\n") == 1 and run.err.startswith("pingjing: PINGJING_PUBLIC_BASE_URL")
    assert "--allow-local" in run.err and "https://" in run.err
    assert not (tmp_path / "out").exists()


def test_badges_refuse_the_unset_default(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PINGJING_PUBLIC_BASE_URL")
    run = cli.badges(tmp_path / "out")
    assert run.code == 1 and "127.0.0.1" in run.err and "--allow-local" in run.err


def test_allow_local_prints_anyway(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PINGJING_PUBLIC_BASE_URL", "http://127.0.0.1:8123")
    run = cli.badges(tmp_path / "out", "--badge", "100001", "--formats", "png", "--allow-local")
    assert run.code == 0, run.err
    officer = {o.badge_no: o for o in cli.officers()}["100001"]
    image = Image.open(tmp_path / "out" / "png" / "100001.png")
    assert decode_one(image) == f"http://127.0.0.1:8123/r/{officer.token}"


@pytest.mark.parametrize("url", ["https://pj.example.cn", "https://pj.example.cn/pingjing/"])
def test_public_https_base_is_fine(url: str) -> None:
    assert public_url_problem(url) is None


def test_every_command_prints_the_badges_base_url(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    officer = {o.badge_no: o for o in cli.officers()}["100001"]
    listed = cli("officers", "list")
    assert url_of(officer) in listed.out and listed.err.count("note:") == 0
    reissued = cli("officers", "reissue", "100001")
    fresh = {o.badge_no: o for o in cli.officers()}["100001"]
    assert f"new rating URL: {url_of(fresh)}" in reissued.out
    added = cli("kiosks", "add", "窗口Z", "--unit", "张家口市公安局")
    assert re.search(rf"{re.escape(BASE_URL)}/kiosk/#enroll=\S+", added.out)
    # A local base URL is printed the same way, with a note on stderr (not in the output).
    monkeypatch.setenv("PINGJING_PUBLIC_BASE_URL", "http://127.0.0.1:8000")
    for run in (cli("officers", "list"), cli("kiosks", "add", "窗口Y", "--unit", "张家口市公安局")):
        assert "http://127.0.0.1:8000/" in run.out
        assert "note: PINGJING_PUBLIC_BASE_URL" in run.err and "note" not in run.out


@pytest.mark.parametrize("env", [None, "http://127.0.0.1:8000"])
def test_demo_urls_match_the_port_it_serves_on(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    env: str | None,
) -> None:
    if env is None:
        monkeypatch.delenv("PINGJING_PUBLIC_BASE_URL")
    else:
        monkeypatch.setenv("PINGJING_PUBLIC_BASE_URL", env)
    db = tmp_path / "demo.db"
    assert main(["--database", str(db), "demo", "--no-serve", "--port", "8123"]) == 0
    out = capsys.readouterr().out
    assert len(re.findall(r"http://127\.0\.0\.1:8123/r/[0-9A-Z]{12}", out)) == 5
    assert set(re.findall(r"https?://[^\s/]+", out)) == {"http://127.0.0.1:8123"}
    assert "PINGJING_PUBLIC_BASE_URL=http://127.0.0.1:8123 " in out


def _layout(cta: str, bureau: str, width_mm: float = 40.0) -> list[tuple[str, float]]:
    text = BadgeText(
        "100001",
        "张伟",
        "police",
        "a/b",
        "胜利路派出所",
        "ABCDEFGHJKMN",
        "https://pj.example.cn/r/ABCDEFGHJKMN",
        cta=cta,
        bureau=bureau,
    )
    badge = layout_badge(text, np.zeros((33, 33), dtype=bool), width_mm, load_font(*find_font()))
    assert badge.height_mm == pytest.approx(width_mm * 1.45)  # the size the badges had
    assert badge.runs[-1].baseline_mm < badge.height_mm
    return [(run.text, run.baseline_mm) for run in badge.runs]


def test_call_to_action_under_the_code_and_bureau_above_the_address() -> None:
    runs = _layout("扫码评价", "张家口市公安局")
    assert [text for text, _ in runs][:1] == ["扫码评价"]
    assert runs[0][1] > 40.0  # below the code and its quiet zone
    assert [text for text, _ in runs][4] == "张家口市公安局"
    assert runs[-1][0] == "pj.example.cn/r/ABCD-EFGH-JKMN"
    baselines = [b for _, b in runs]
    assert baselines == sorted(baselines)  # top to bottom, no line over another
    assert badge_height(40.0) == pytest.approx(58.0)


@pytest.mark.parametrize("size", ["40", "21"])  # the default and the smallest allowed
def test_badge_with_call_to_action_still_decodes(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: str
) -> None:
    monkeypatch.setenv("PINGJING_BADGE_CALL_TO_ACTION", "扫码评价 Scan to rate")
    monkeypatch.setenv("PINGJING_BUREAU_NAME", "张家口市公安局")
    officer = {o.badge_no: o for o in cli.officers()}["100001"]
    out = tmp_path / "with"
    assert cli.badges(out, "--badge", "100001", "--size", size, "--formats", "png,svg").code == 0
    image = Image.open(out / "png" / "100001.png")
    assert decode_one(image) == url_of(officer)
    # The call to action is ink right under the code, where a badge without one is blank.
    monkeypatch.setenv("PINGJING_BADGE_CALL_TO_ACTION", "")
    bare = tmp_path / "without"
    assert cli.badges(bare, "--badge", "100001", "--size", size, "--formats", "png").code == 0
    plain = Image.open(bare / "png" / "100001.png")
    assert plain.size == image.size  # same badge size either way
    band = slice(image.size[0], image.size[0] + round(image.size[0] * 0.07))
    assert dark(image)[band].any() and not dark(plain)[band].any()

"""report.html: one self-contained page with the charts and the report moment."""

from __future__ import annotations

import base64
import re
from pathlib import Path

from rating.cli import main
from tests.analytics.conftest import Seeded
from tests.analytics.test_cli import WEEK, seed_week


def test_html_is_self_contained_with_three_charts(seeded_file: Seeded, tmp_path: Path) -> None:
    seed_week(seeded_file)
    out = tmp_path / "out"
    db = seeded_file.settings.database
    args = ["--database", db, "report", "weekly", "--week", WEEK, "--out", str(out)]
    assert main([*args, "--formats", "html"]) == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 3
    assert all(base64.b64decode(i).startswith(b"\x89PNG") for i in images)
    # Nothing fetched from elsewhere: no src/href to another address.
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "生成时间" in page and "2026-W40" in page
    assert "80.0%" in page  # this week's satisfaction rate: 4 of 5

"""The work-order rejects file is formula-safe (issue 14, item 6): its cells are what
citizens told the hotline."""

from __future__ import annotations

import csv

from tests.workorders.conftest import Env, order, write_csv

PAYLOAD = '=HYPERLINK("http://evil.example","点此")'


def test_rejects_file_neutralises_citizen_text(env: Env) -> None:
    rows = [order("OK1"), order("BAD1", 来电时间="坏日期", 诉求内容=PAYLOAD)]
    path = write_csv(env.tmp / "bad.csv", rows)
    r = env.run("workorders", "import", str(path), "--channel", "12345", "--skip-bad")
    assert r.code == 0, r.err
    with (env.tmp / "bad.rejected.csv").open(encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh))
    cells = [c for row in table[1:] for c in row]
    assert "'" + PAYLOAD in cells and PAYLOAD not in cells
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)

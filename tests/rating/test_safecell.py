"""Every CSV the project writes is formula-safe, through one function (issue 14, item 6)."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import pytest

from rating.safecell import SafeWriter, neutralise
from rating.store.models import RosterRow
from tests.cases.helpers import add_user, bad_rating, login
from tests.conftest import ROSTER, make_settings, opened

EVIL = ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


@pytest.mark.parametrize("value", EVIL)
def test_formula_starts_are_neutralised(value: str) -> None:
    assert neutralise(value) == "'" + value


def test_text_and_numbers_stay_as_they_are() -> None:
    assert neutralise("张伟") == "张伟" and neutralise("a=b") == "a=b"
    out = io.StringIO()
    SafeWriter(out).writerow([3, -2, 1.5, "=x", None])
    assert out.getvalue() == "3,-2,1.5,'=x,\r\n"  # ints and floats stay numbers


async def test_case_export_and_officer_listing_are_formula_safe(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(tmp_path)
    unit = "张家口市公安局/=cmd分局/+派出所"
    async with opened(settings) as web:
        await web.store.import_roster(
            [*ROSTER, RosterRow(5, "100009", "=HYPERLINK(1)", unit, "police")]
        )
        web.officers = await web.store.list_officers()
        i = next(k for k, o in enumerate(web.officers) if o.badge_no == "100009")
        await bad_rating(web, i)
        await add_user(web, "admin1", "admin")
        await login(web, "admin1")
        r = await web.client.get("/admin/cases.csv")
        assert r.status_code == 200
        table = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff"))))
    row = next(row for row in table if "'=HYPERLINK(1)" in row)
    assert unit in row  # starts with 张: nothing to neutralise
    assert not any(c.startswith(("=", "+", "-", "@")) for r_ in table for c in r_)
    from rating.cli import main

    argv = ["--database", settings.database, "officers", "list", "--format", "csv"]
    assert await asyncio.to_thread(main, argv) == 0  # the CLI runs its own event loop
    listing = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert any("'=HYPERLINK(1)" in r_ for r_ in listing)
    assert not any(c.startswith(("=", "+", "-", "@")) for r_ in listing for c in r_)


def test_the_badge_print_record_is_formula_safe_and_reads_back(tmp_path: Path) -> None:
    from qr.output import MANIFEST, ManifestRow, manifest_bytes, read_manifest

    row = ManifestRow("100009", "=HYPERLINK(1)", "police", "@unit", "TOKEN", "https://x/r/T")
    data = manifest_bytes([row])
    cells = next(csv.reader(io.StringIO(data.decode("utf-8-sig").splitlines()[1])))
    assert cells[1] == "'=HYPERLINK(1)" and cells[3] == "'@unit"
    (tmp_path / MANIFEST).write_bytes(data)
    assert read_manifest(tmp_path)["100009"] == row  # the run compares with what it printed

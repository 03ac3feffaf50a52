"""A workbook whose sheet XML is broken (issue 14, item 7): a one-line error on the CLI
and a 400 page on the upload, whichever spreadsheet library reads it underneath."""

from __future__ import annotations

import zipfile
from pathlib import Path

from rating.settings import Settings
from tests.admin.test_workorder_upload import as_admin, text, upload
from tests.cases.helpers import rows
from tests.conftest import Web
from tests.workorders.conftest import Env, order, write_xlsx


def break_sheet(path: Path) -> Path:
    """The same .xlsx with its first sheet's XML cut off in the middle of a row."""
    out = path.with_name("broken-" + path.name)
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2] + b"<row r=<<&"
            dst.writestr(item, data)
    return out


def test_cli_says_one_line_and_stores_nothing(env: Env) -> None:
    path = break_sheet(write_xlsx(env.tmp / "export.xlsx", [order("A1"), order("A2")]))
    r = env.run("workorders", "import", str(path), "--channel", "12345")
    assert r.code == 1
    assert "Traceback" not in r.err
    lines = [ln for ln in r.err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "XLSX" in lines[0], r.err
    assert env.query("SELECT COUNT(*) FROM workorders") == [(0,)]


async def test_upload_answers_a_400_page(web: Web, settings: Settings, tmp_path: Path) -> None:
    csrf = await as_admin(web)
    path = break_sheet(write_xlsx(tmp_path / "export.xlsx", [order("A1"), order("A2")]))
    page = await upload(web, csrf, path)
    assert page.status_code == 400, page.text
    assert "XLSX" in text(page)
    assert rows(settings, "SELECT COUNT(*) FROM workorders") == [(0,)]


def test_roster_import_says_one_line(env: Env) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["警号", "姓名", "单位", "类别"])
    for i in range(40):
        ws.append([f"2000{i:02d}", f"民警{i}", "张家口市公安局/桥东分局", "民警"])
    wb.save(env.tmp / "roster.xlsx")
    r = env.run("officers", "import", str(break_sheet(env.tmp / "roster.xlsx")))
    assert r.code == 1 and "Traceback" not in r.err
    lines = [ln for ln in r.err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "XLSX" in lines[0], r.err

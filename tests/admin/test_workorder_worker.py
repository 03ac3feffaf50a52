"""An admin upload is parsed and imported in a worker process (issue 14, item 12): the
server's event loop and its citizen reader never carry it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rating.settings import Settings
from rating.workorders import worker
from tests.admin.test_workorder_upload import GOOD, as_admin, stored, text, upload
from tests.conftest import Web
from tests.workorders.conftest import write_csv


async def test_the_upload_is_imported_out_of_the_server_process(
    web: Web, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def not_here(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the server process parsed the upload itself")

    # Parsing or importing in this (the server's) process would fail the upload.
    monkeypatch.setattr(worker, "read_export", not_here)
    monkeypatch.setattr(worker, "import_checked", not_here)
    csrf = await as_admin(web)
    page = await upload(web, csrf, write_csv(tmp_path / "w.csv", GOOD))
    assert page.status_code == 200, page.text
    assert "新增 3 条" in text(page)
    assert set(stored(settings)) == {"GD001", "GD002", "GD003"}

"""Hotline work orders taken into the case loop in a real browser (issue 18, item 4), at a
phone's 390x844 and a laptop's 1366x768: the order list (stacked rows, 44 px targets, no
sideways scroll, axe), ticking two orders and taking them in with one plain form post,
one order by its row's button, and its case page with the hotline's fields."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import SECRET, Contexts, Server, axe
from tests.browser.test_admin_console import SIZES, _admin, _fits, _login, _small_targets
from tests.workorders.conftest import HEADER_12345, order


def _import(server: Server, path: Path, rows: list[list[Any]]) -> None:
    """`pingjing workorders import` on the server's database, as a clerk runs it."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER_12345)
        writer.writerows(rows)
    env = dict(os.environ, PINGJING_DATABASE=str(server.db), PINGJING_SECRET=SECRET)
    done = subprocess.run(
        [sys.executable, "-m", "rating.cli", "workorders", "import", str(path),
         "--channel", "12389", "--profile", "12345"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("size", SIZES)
def test_orders_taken_in_from_the_list(
    contexts: Contexts, server: Server, shot: Any, size: dict[str, Any], tmp_path: Path
) -> None:
    tag = f"{size['viewport']['width']}x{size['viewport']['height']}"
    nos = [f"B{tag}-{i}" for i in range(3)]
    _import(server, tmp_path / "orders.csv", [order(no) for no in nos])
    _admin(server, "hotline-desk")
    page = _login(contexts, server, "hotline-desk", size)
    page.goto(server.base + "/admin/workorders/orders?channel=12389&taken=0")
    assert page.locator("h1").first.inner_text() == "热线工单"
    _fits(page)
    shot(page, f"admin-workorders-{tag}")
    axe(page, f"work-order list {tag}")
    if size["viewport"]["width"] == 390:
        assert _small_targets(page, "#take button, #take label.check, #rules button") == []

    for no in nos[:2]:
        page.locator(f"tr:has-text('{no}') input[name=order]").check()
    page.locator("#take-many").click()
    page.wait_for_url("**/admin/workorders/orders?taken_n=2")
    assert "已转入 2 件工单" in page.locator("#notice").inner_text()

    page.goto(server.base + "/admin/workorders/orders?channel=12389&taken=0")
    page.locator(f"tr:has-text('{nos[2]}') button[name=one]").click()
    page.wait_for_url("**/admin/cases/*")
    assert "待派发" in page.locator("h1").inner_text()
    assert nos[2] in page.locator("#hotline").inner_text()
    _fits(page)
    shot(page, f"admin-workorder-case-{tag}")
    axe(page, f"work-order case {tag}")

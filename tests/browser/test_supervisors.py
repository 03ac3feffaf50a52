"""A citizen supervisor on a phone (390x844) in a real browser: the personal link appointed
by the command, the report form (a wrong badge number refused beside its field with the
text kept, then sent with a photo), the progress page before and after the discipline
unit's reply given on the admin case page — each page checked with axe and for fitting
the phone's width — and the refusal page once the link is revoked."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from PIL import Image

from rating.admin import auth
from tests.browser.conftest import SECRET, Contexts, Server, axe

PASSWORD = "correct horse battery"
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}
PAGE_BUDGET_BYTES = 14 * 1024
TEXT = "民警在户籍窗口办理业务时玩手机，群众排队四十分钟。"
REPLY = "经督察核实，已对该民警批评教育并通报。"


def fits(page: Any) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, overflow


def pingjing(server: Server, *args: str) -> str:
    env = dict(os.environ, PINGJING_DATABASE=str(server.db), PINGJING_SECRET=SECRET,
               PINGJING_PUBLIC_BASE_URL=server.base)  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "rating.cli", *args],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def _transferred(requests: list[Any]) -> int:
    total = 0
    for request in requests:
        sizes = request.sizes()
        total += sizes["responseBodySize"] + sizes["responseHeadersSize"]
    return total


def test_a_supervisor_reports_and_follows_the_progress_on_a_phone(
    contexts: Contexts, server: Server, shot: Any, tmp_path: Path
) -> None:
    today = datetime.now(ZoneInfo("Asia/Shanghai"))
    out = pingjing(server, "supervisors", "add", "--name", "周监督", "--phone", "13900001111",
                   "--from", today.date().isoformat(), "--to",
                   (today + timedelta(days=365)).date().isoformat())  # fmt: skip
    sid, link = out.split("\t")[0], out.strip().split("\t")[-1]
    assert link.startswith(server.base + "/supervisor/")
    photo = tmp_path / "window.jpg"
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (40.0, 49.0, 0.0), 3: "E", 4: (114.0, 53.0, 0.0)}
    Image.new("RGB", (800, 600), (40, 90, 40)).save(photo, "JPEG", exif=exif)

    page = contexts.new(**PHONE).new_page()
    finished: list[Any] = []
    page.on("requestfinished", lambda request: finished.append(request))
    response = page.goto(link)
    assert response is not None and response.status == 200
    page.wait_for_load_state("networkidle")
    assert _transferred(finished) <= PAGE_BUDGET_BYTES
    assert page.locator("#no-reports").is_visible()
    fits(page)
    axe(page, "supervisor form 390x844")

    page.get_by_label("民警警号").fill("999999")
    page.get_by_label("地点").fill("胜利路派出所户籍窗口")
    page.get_by_label("事发时间").fill((today - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label(re.compile("事情经过")).fill(TEXT)
    page.get_by_label(re.compile("照片")).set_input_files(str(photo))
    shot(page, "supervisor-form-390x844")
    with page.expect_navigation():
        page.get_by_role("button", name="提交报告").click()
    assert page.locator("#badge-err").is_visible()
    assert "未找到该警号的在岗民警" in page.locator("#badge-err").inner_text()
    assert page.get_by_label(re.compile("事情经过")).input_value() == TEXT
    assert page.get_by_label("地点").input_value() == "胜利路派出所户籍窗口"
    fits(page)
    axe(page, "supervisor form refused")

    page.get_by_label("民警警号").fill("100001")
    page.get_by_label(re.compile("照片")).set_input_files(str(photo))
    with page.expect_navigation():
        page.get_by_role("button", name="提交报告").click()
    assert re.search(r"/supervisor/[0-9A-Z]{12}\?sent=\d+", page.url)
    assert page.locator("#sent").is_visible()
    report = page.locator("section.report").first
    assert "督察部门办理中" in report.inner_text() and "张伟（100001）" in report.inner_text()
    assert "尚未答复" in report.inner_text()
    fits(page)
    axe(page, "supervisor progress 390x844")
    shot(page, "supervisor-progress-390x844")

    # The discipline unit replies on the admin case page (the bureau itself in this server).
    ((case_id, state),) = server.query(
        "SELECT id, state FROM cases WHERE source = 'supervisor' ORDER BY id DESC LIMIT 1"
    )
    assert state == "dispatched"
    now = int(time.time() * 1000)
    server.execute(
        "INSERT INTO admin_users (name, password_hash, role, created_at, updated_at) "
        "VALUES (?, ?, 'admin', ?, ?)",
        ("ducha", auth.hash_password(PASSWORD), now, now),
    )
    admin = contexts.new(**PHONE).new_page()
    admin.goto(server.base + "/admin/login")
    admin.fill("input[name=name]", "ducha")
    admin.fill("input[name=password]", PASSWORD)
    with admin.expect_navigation():
        admin.click("button[type=submit]")
    admin.goto(f"{server.base}/admin/cases/{case_id}")
    assert TEXT in admin.content()
    admin.fill("form[action$='/reply'] textarea[name=reply]", REPLY)
    with admin.expect_navigation():
        admin.click("form[action$='/reply'] button[type=submit]")
    admin.goto(server.base + "/admin/supervisors")
    assert "周监督" in admin.content() and "139****1111" in admin.content()
    assert "派发至督察部门（张家口市公安局）" in admin.locator("#route").inner_text()
    assert "13900001111" not in admin.content()
    fits(admin)
    axe(admin, "admin supervisors 390x844")
    shot(admin, "admin-supervisors-390x844")

    page.reload()
    report = page.locator("section.report").first
    assert "已答复" in report.inner_text() and REPLY in report.inner_text()
    axe(page, "supervisor progress replied")

    ((stored,),) = server.query(
        "SELECT p.data FROM supervisor_report_photos p JOIN supervisor_reports r "
        "ON r.id = p.report_id WHERE r.body = ?",
        (TEXT,),
    )
    assert not Image.open(io.BytesIO(stored)).getexif()

    pingjing(server, "supervisors", "revoke", sid)
    gone = page.goto(link)
    assert gone is not None and gone.status == 410
    assert "此链接已失效" in page.content() and page.locator("#report").count() == 0
    axe(page, "supervisor link revoked")

"""The whole loop in a real browser, on the app's real server (issue 18): a citizen writes
to the chief's mailbox on a 390x844 phone with a photo (a real JPEG carrying EXIF and GPS,
stored without them); the centre sees the letter's photo on the case page (a thumbnail
that loads, linking to the full image, the stored bytes), accepts the letter and
dispatches it to a station (一键派发); the station's manager, signed in with a scope
limited to the station, finds it in the queue (and cannot open another unit's case), sees
the photo too and replies in writing; the citizen's receipt shows the reply and the
progress; the centre calls back, verifies, has it rectified and closes it; the receipt
then says closed. axe (no serious or critical violation) on every page visited. Waits are
Playwright's own (auto-waiting locators, expected responses, wait_for_function): no
sleeps."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path
from typing import Any

from PIL import Image
from playwright.sync_api import expect

from rating.admin import auth
from tests.browser.conftest import Contexts, Server, axe
from tests.polling import until_sync

PASSWORD = "correct horse battery"
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
LAPTOP = {"viewport": {"width": 1366, "height": 768}}
STATION = "张家口市公安局/桥东分局/胜利路派出所"
TEXT = "胜利路派出所门口的台阶夜里没有照明，老人来办户籍差点摔倒，请尽快处理。"
REPLY = "已在门口加装两盏感应灯，台阶边缘贴了反光条，值班民警夜间引导。"
CAMERA = "JourneyCam X1"
LOADED_MS = 30_000


def _jpeg_with_exif(path: Path) -> None:
    """A photo as a phone writes it: camera make/model, time and a GPS position."""
    exif = Image.Exif()
    exif[0x010F] = CAMERA  # Make
    exif[0x0110] = "JC-1"  # Model
    exif[0x0132] = "2026:12:01 19:42:07"  # DateTime
    exif[0x8825] = {1: "N", 2: (40.0, 49.0, 12.0), 3: "E", 4: (114.0, 53.0, 7.0)}
    Image.new("RGB", (1024, 768), (90, 70, 40)).save(path, "JPEG", exif=exif, quality=90)
    with Image.open(path) as check:  # the test's own input really carries EXIF
        assert check.getexif()[0x010F] == CAMERA and check.getexif().get_ifd(0x8825)


def _user(server: Server, name: str, role: str, unit_path: str | None = None) -> None:
    now = int(time.time() * 1000)
    unit_id = None
    if unit_path is not None:
        ((unit_id,),) = server.query("SELECT id FROM units WHERE path = ?", (unit_path,))
    server.execute(
        "INSERT INTO admin_users (name, password_hash, role, unit_id, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING",
        (name, auth.hash_password(PASSWORD), role, unit_id, now, now),
    )


def _login(contexts: Contexts, server: Server, name: str, size: dict[str, Any]) -> Any:
    page = contexts.new(**size).new_page()
    page.goto(server.base + "/admin/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server.base + "/admin")
    return page


def _fits(page: Any) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the page scrolls sideways by {overflow} px"


def _act(page: Any, case_id: int, action: str, state: str, **fields: str) -> None:
    """Fill the case page's form for `action` and post it; land on the case page again
    (POST/redirect/GET) showing `state`. Selects are chosen by their option's label."""
    form = page.locator(f"form[action='/admin/cases/{case_id}/{action}']")
    for name, value in fields.items():
        field = form.locator(f"[name={name}]")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(label=value)
        else:
            field.fill(value)
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith(f"/{case_id}/{action}")
    ) as posted:
        form.locator("button[type=submit]").click()
    assert posted.value.status == 303, posted.value.text()
    # The redirect's page may be slow on a loaded machine: wait longer than expect's 5 s.
    expect(page.locator("h1 .state")).to_have_text(state, timeout=LOADED_MS)
    assert page.url == f"{page.url.split('/admin/')[0]}/admin/cases/{case_id}"


def _photo_loads(page: Any, width: int) -> None:
    """The case page's first letter photo has loaded (the browser decoded it) at `width`
    pixels, shown scaled down within the page."""
    page.wait_for_function(
        "() => { const i = document.querySelector('#photos img');"
        " return i !== null && i.complete && i.naturalWidth > 0; }",
        timeout=LOADED_MS,
    )
    natural, shown = page.evaluate(
        "() => { const i = document.querySelector('#photos img');"
        " return [i.naturalWidth, i.getBoundingClientRect().width]; }"
    )
    assert natural == width and 0 < shown < width


def _receipt(page: Any, url: str, status: str, name: str) -> str:
    """The citizen opens the receipt again; its progress line reads `status`."""
    response = page.goto(url)
    assert response is not None and response.status == 200
    expect(page.locator("#status")).to_have_text(status)
    _fits(page)
    axe(page, name)
    return str(page.locator("#reply").inner_text())


def test_letter_journey_from_phone_to_closure(
    contexts: Contexts, server: Server, shot: Any, tmp_path: Path
) -> None:
    photo = tmp_path / "steps.jpg"
    _jpeg_with_exif(photo)
    _user(server, "journey-centre", "admin")
    _user(server, "journey-station", "unit_manager", STATION)

    # 1. The citizen writes on a phone: category, text, a photo, no phone number.
    citizen = contexts.new(**PHONE).new_page()
    response = citizen.goto(f"{server.base}/mailbox")
    assert response is not None and response.status == 200
    _fits(citizen)
    axe(citizen, "journey: mailbox form 390x844")
    citizen.get_by_label("类别").select_option("投诉")
    citizen.get_by_label(re.compile("内容")).fill(TEXT)
    citizen.get_by_label(re.compile("照片")).set_input_files(str(photo))
    citizen.get_by_role("button", name="提交信件").click()
    citizen.wait_for_url(re.compile(r"/mailbox/receipt/[0-9A-Z]{12}\?new=1$"))
    receipt_url = citizen.url.split("?")[0]
    code = receipt_url.rsplit("/", 1)[1]
    expect(citizen.locator("#status")).to_have_text("已收到")
    assert "尚未答复" in citizen.locator("#reply").inner_text()
    _fits(citizen)
    shot(citizen, "journey-1-receipt-390x844")
    axe(citizen, "journey: receipt, new")

    # The stored photo: the same picture, re-encoded, without EXIF or GPS.
    ((letter_id, data),) = server.query(
        "SELECT l.id, p.data FROM letters l JOIN letter_photos p ON p.letter_id = l.id "
        "WHERE l.receipt = ?",
        (code,),
    )
    stored = Image.open(io.BytesIO(bytes(data)))
    assert stored.format == "JPEG" and stored.size == (1024, 768)
    assert not stored.getexif() and "exif" not in stored.info
    assert CAMERA.encode() not in bytes(data) and b"Exif\x00\x00" not in bytes(data)
    ((case_id, state),) = server.query(
        "SELECT id, state FROM cases WHERE source = 'letter' AND source_id = ?", (letter_id,)
    )
    assert state == "received"

    # A case of another unit (桥西's station), which the station's manager must not see.
    rater = contexts.new(**PHONE).new_page()
    rater.goto(f"{server.base}/r/{server.tokens['100003']}")
    with rater.expect_response(lambda r: r.request.method == "POST") as tapped:
        rater.get_by_role("button", name="非常不满意", exact=True).click()
    assert tapped.value.status == 201
    other: list[tuple[Any, ...]] = []

    def other_case_opened() -> bool:
        other[:] = server.query(
            "SELECT c.id FROM cases c JOIN officers o ON o.id = c.officer_id "
            "WHERE o.badge_no = '100003' ORDER BY c.id DESC LIMIT 1"
        )
        return bool(other)

    until_sync(other_case_opened, "the bad rating's case at 新华街派出所")
    ((other_id,),) = other

    # 2. The centre accepts the letter and dispatches it to the station (一键派发).
    centre = _login(contexts, server, "journey-centre", LAPTOP)
    centre.goto(f"{server.base}/admin/cases/{case_id}")
    expect(centre.locator("#source")).to_contain_text("投诉")
    assert TEXT in centre.locator("dd.comment").first.inner_text()
    axe(centre, "journey: case page, received")
    # The letter's photo: a thumbnail that loads, linking to the full image (staff only).
    _photo_loads(centre, 1024)
    photo_url = f"/admin/cases/{case_id}/photos/1"
    assert centre.locator("#photos a").get_attribute("href") == photo_url
    with centre.expect_response(lambda r: r.url.endswith(photo_url)) as full:
        centre.locator("#photos a").click()
    assert full.value.status == 200 and full.value.headers["content-type"] == "image/jpeg"
    assert full.value.body() == bytes(data)  # the stored bytes, EXIF-free
    assert "no-store" in full.value.headers["cache-control"]
    centre.goto(f"{server.base}/admin/cases/{case_id}")
    _act(centre, case_id, "accept", "待派发", category="投诉")
    _act(centre, case_id, "dispatch", "已派发", unit=STATION)
    expect(centre.locator("#dispatch-unit")).to_contain_text(STATION)
    shot(centre, "journey-2-dispatched-1366x768")
    axe(centre, "journey: case page, dispatched")
    _receipt(citizen, receipt_url, "已转交承办单位", "journey: receipt, dispatched")

    # 3. The station's manager (scope: the station) finds it in the queue and replies.
    station = _login(contexts, server, "journey-station", PHONE)
    station.goto(f"{server.base}/admin/cases?state=dispatched")
    row = station.locator(
        "table.cases tbody tr", has=station.locator(f"a[href='/admin/cases/{case_id}']")
    )
    expect(row).to_have_count(1)
    assert station.locator(f"a[href='/admin/cases/{other_id}']").count() == 0
    _fits(station)
    shot(station, "journey-3-station-queue-390x844")
    axe(station, "journey: station's queue 390x844")
    hidden = station.goto(f"{server.base}/admin/cases/{other_id}")
    assert hidden is not None and hidden.status == 404  # outside the station's scope
    station.goto(f"{server.base}/admin/cases")
    station.locator(f"a[href='/admin/cases/{case_id}']").click()
    station.wait_for_url(f"{server.base}/admin/cases/{case_id}")
    # The station may reply or return it, not dispatch it elsewhere or close it.
    assert station.locator(f"form[action='/admin/cases/{case_id}/reply']").count() == 1
    assert station.locator(f"form[action='/admin/cases/{case_id}/close']").count() == 0
    _photo_loads(station, 1024)  # the station (in scope) sees the photo too, on a phone
    _fits(station)
    axe(station, "journey: station's case page 390x844")
    _act(station, case_id, "reply", "已回复", reply=REPLY)
    expect(station.locator("#reply")).to_contain_text(REPLY)
    shot(station, "journey-4-replied-390x844")
    axe(station, "journey: station's case page, replied")

    # 4. The citizen's receipt shows the reply and the progress.
    reply_text = _receipt(citizen, receipt_url, "已答复", "journey: receipt, replied")
    assert REPLY in reply_text
    shot(citizen, "journey-5-receipt-replied-390x844")

    # 5. The centre calls back, verifies, has it rectified and closes it.
    centre.goto(f"{server.base}/admin/cases/{case_id}")
    expect(centre.locator("#reply")).to_contain_text(REPLY)
    _act(centre, case_id, "callback", "已回访", outcome="已联系上",
         note="群众确认已装灯，表示满意")  # fmt: skip
    axe(centre, "journey: case page, called back")
    _act(centre, case_id, "verify", "已核实", verification="属实",
         note="台阶照明不足属实")  # fmt: skip
    _act(centre, case_id, "rectify", "整改中", measures="加装照明，夜间引导")
    _act(centre, case_id, "complete", "已整改", note="照明已安装")
    _act(centre, case_id, "close", "已办结", note="群众满意，办结")
    history = centre.locator("table.audit").inner_text()
    for step in ("受理", "派发", "单位回复", "回访", "核实", "整改", "整改完成", "办结"):
        assert step in history, step
    assert centre.locator("form.action").count() <= 1  # at most re-open is offered
    shot(centre, "journey-6-closed-1366x768")
    axe(centre, "journey: case page, closed")

    # 6. The receipt says closed and still shows the reply.
    assert REPLY in _receipt(citizen, receipt_url, "已办结", "journey: receipt, closed")
    shot(citizen, "journey-7-receipt-closed-390x844")
    assert server.query("SELECT state FROM cases WHERE id = ?", (case_id,)) == [("closed",)]
    assert server.query("SELECT status, reply FROM letters WHERE id = ?", (letter_id,)) == [
        ("closed", REPLY)
    ]

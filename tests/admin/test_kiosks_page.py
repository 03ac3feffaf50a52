"""The kiosks page: add shows the one-time enrolment URL as text and as a QR code that
decodes to it; re-enrol, revoke and PINs work as the CLI's do; admins only; audited."""

from __future__ import annotations

import re

import numpy as np
import zxingcpp

from rating.kiosk import service as kiosk_service
from rating.settings import Settings
from tests.cases.helpers import QIAODONG, add_user, hidden, login, rows
from tests.conftest import Web

UNIT = "张家口市公安局/桥东分局/胜利路派出所"


def _svg_qr(page: str) -> str:
    """Decode the page's inline SVG QR code with zxing-cpp (rasterised from its path)."""
    svg = re.search(r'<div class="qr"><svg[^>]*viewBox="0 0 (\d+) \1"[^>]*>.*?d="([^"]+)"', page)
    assert svg, "no QR code on the page"
    size, scale = int(svg.group(1)), 8
    image = np.full((size * scale, size * scale), 255, dtype=np.uint8)
    for x, y, w in re.findall(r"M(\d+) (\d+)h(\d+)", svg.group(2)):
        x0, y0 = int(x) * scale, int(y) * scale
        image[y0 : y0 + scale, x0 : x0 + int(w) * scale] = 0
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1
    return str(found[0].text)


async def _post(web: Web, path: str, **fields: str) -> tuple[int, str]:
    page = await web.client.get("/admin/kiosks")
    assert page.status_code == 200, page.text
    r = await web.client.post(path, data={"csrf": hidden(page.text, "csrf"), **fields})
    if r.status_code != 303:
        return r.status_code, r.text
    return 303, (await web.client.get("/admin/kiosks")).text


async def test_add_kiosk_shows_url_and_qr_once_and_enrols(web: Web, settings: Settings) -> None:
    await add_user(web, "admin1", "admin")
    await login(web, "admin1")
    status, page = await _post(web, "/admin/kiosks/add", name="户籍窗口9", unit=UNIT)
    assert status == 303
    url = re.search(r'<code class="secret" id="secret">([^<]+)</code>', page)
    assert url and url.group(1).startswith("https://pj.example.cn/kiosk/#enroll=")
    assert _svg_qr(page) == url.group(1)
    assert "户籍窗口9" in page and "待启用" in page
    assert 'id="secret"' not in (await web.client.get("/admin/kiosks")).text
    code = url.group(1).split("#enroll=")[1]
    enrolled = await kiosk_service.enroll(web.store, code)
    assert enrolled is not None and enrolled[0].name == "户籍窗口9"
    assert rows(
        settings, "SELECT actor_name, action FROM audit_log WHERE action LIKE 'kiosk%'"
    ) == [("admin1", "kiosk_add")]


async def test_revoke_reenrol_pin(web: Web, settings: Settings) -> None:
    await add_user(web, "admin1", "admin")
    await login(web, "admin1")
    await _post(web, "/admin/kiosks/add", name="k1", unit=UNIT)
    status, page = await _post(web, "/admin/kiosks/revoke", name="k1")
    assert status == 303 and "已吊销" in page
    status, page = await _post(web, "/admin/kiosks/reenroll", name="k1")
    assert status == 303 and "#enroll=" in page
    status, _ = await _post(web, "/admin/kiosks/pin", badge_no="100001", pin="482913")
    assert status == 303
    check = await kiosk_service.check_pin(web.store, "100001", "482913")
    assert check.check is kiosk_service.PinCheck.OK
    status, page = await _post(web, "/admin/kiosks/pin", badge_no="100001", pin="12ab")
    assert status == 400 and "4 to 12 digits" in page
    status, page = await _post(web, "/admin/kiosks/pin", badge_no="999999", pin="482913")
    assert status == 400 and "999999" in page
    status, page = await _post(web, "/admin/kiosks/add", name="k1", unit=UNIT)
    assert status == 400 and "already exists" in page
    acts = rows(
        settings,
        "SELECT action, note FROM audit_log WHERE actor_name = 'admin1' "
        "AND action LIKE 'kiosk%' ORDER BY id",
    )
    assert acts == [
        ("kiosk_add", f"k1 {UNIT}"),
        ("kiosk_revoke", "k1"),
        ("kiosk_reenroll", "k1"),
        ("kiosk_pin", "100001"),
    ]
    assert "482913" not in str(rows(settings, "SELECT * FROM audit_log"))


async def test_kiosk_refusals(web: Web, settings: Settings) -> None:
    await add_user(web, "admin1", "admin")
    await add_user(web, "east", "unit_manager", QIAODONG)
    await login(web, "east")
    assert (await web.client.get("/admin/kiosks")).status_code == 403
    csrf = hidden((await web.client.get("/admin/cases")).text, "csrf")
    r = await web.client.post("/admin/kiosks/add", data={"csrf": csrf, "name": "x", "unit": UNIT})
    assert r.status_code == 403
    await login(web, "admin1")
    r = await web.client.post("/admin/kiosks/add", data={"name": "x", "unit": UNIT})
    assert r.status_code == 403
    assert rows(settings, "SELECT name FROM kiosks") == []
    en = await web.client.get("/admin/kiosks?lang=en")
    assert "<h1>Kiosks</h1>" in en.text and "No kiosks yet" in en.text

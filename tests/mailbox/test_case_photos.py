"""A letter's photos on its case page and at /admin/cases/{id}/photos/{n} (issue 18: kept
with the case, shown only to staff in scope, purged with the letter's phone)."""

from __future__ import annotations

import io
import re

from PIL import Image

from rating.admin import auth
from rating.cases.service import now_ms, run_purge
from rating.mailbox import service as mailbox
from rating.mailbox.models import Photo
from rating.mailbox.photos import clean_photo
from tests.cases.helpers import QIAODONG, QIAOXI, add_user, bad_rating, case_id_of, login, rows
from tests.conftest import Web
from tests.store.test_mailbox import KEYS, letter

STATION = "张家口市公安局/桥东分局/胜利路派出所"
DAY_MS = 86_400_000


def _photo(color: tuple[int, int, int], size: tuple[int, int]) -> Photo:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return clean_photo(out.getvalue(), 1)


async def _letter_case(web: Web, *photos: Photo, at_ms: int | None = None) -> tuple[int, int]:
    """A letter to the station with `photos`; (its case id, its letter id)."""
    unit = await web.store.ensure_unit_path(STATION)
    done = await mailbox.submit_letter(
        web.store, KEYS, letter(photos=photos), unit_id=unit.id, device=None, address=None,
        at_ms=at_ms,
    )  # fmt: skip
    assert done.receipt
    view = await mailbox.letter_by_receipt(web.store, done.receipt)
    assert view is not None
    [(case_id,)] = rows(
        web.svc.settings, "SELECT id FROM cases WHERE source = 'letter' AND source_id = ?",
        (view.id,),
    )  # fmt: skip
    return int(case_id), view.id


async def test_staff_in_scope_see_the_photos_and_get_the_exact_bytes(web: Web) -> None:
    red, blue = _photo((200, 20, 20), (64, 48)), _photo((20, 20, 200), (30, 60))
    case_id, _ = await _letter_case(web, red, blue)
    await add_user(web, "qiaodong", "unit_manager", QIAODONG)
    await login(web, "qiaodong")

    page = await web.client.get(f"/admin/cases/{case_id}")
    assert page.status_code == 200
    links = re.findall(r'<a href="(/admin/cases/\d+/photos/\d+)"><img src="([^"]+)"', page.text)
    assert links == [(f"/admin/cases/{case_id}/photos/{n}",) * 2 for n in (1, 2)]
    assert 'alt="来信照片 1（64×48）"' in page.text and 'width="30" height="60"' in page.text

    for n, photo in ((1, red), (2, blue)):
        r = await web.client.get(f"/admin/cases/{case_id}/photos/{n}")
        assert r.status_code == 200
        assert r.content == photo.data
        assert r.headers["content-type"] == "image/jpeg"
        assert r.headers["cache-control"] == "private, no-store"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "default-src 'none'" in r.headers["content-security-policy"]
    # The English page names them too.
    page = await web.client.get(f"/admin/cases/{case_id}?lang=en")
    assert 'alt="Photo 2 (30×60)"' in page.text
    for bad in ("3", "0", "x", "01x", "9" * 30):
        r = await web.client.get(f"/admin/cases/{case_id}/photos/{bad}")
        assert r.status_code == 404, bad
        assert r.content != red.data and r.content != blue.data


async def test_staff_out_of_scope_get_404_for_the_page_and_the_photo(web: Web) -> None:
    photo = _photo((200, 20, 20), (64, 48))
    case_id, _ = await _letter_case(web, photo)
    await add_user(web, "qiaoxi", "unit_manager", QIAOXI)
    await login(web, "qiaoxi")
    assert (await web.client.get(f"/admin/cases/{case_id}")).status_code == 404
    r = await web.client.get(f"/admin/cases/{case_id}/photos/1")
    assert r.status_code == 404 and photo.data not in r.content
    # The same 404 as a case that does not exist: no hint that it does.
    missing = await web.client.get(f"/admin/cases/{case_id + 1000}/photos/1")
    assert missing.status_code == 404


async def test_not_signed_in_goes_to_the_login_page(web: Web) -> None:
    case_id, _ = await _letter_case(web, _photo((200, 20, 20), (64, 48)))
    r = await web.client.get(f"/admin/cases/{case_id}/photos/1")
    assert r.status_code == 303
    assert r.headers["location"] == f"/admin/login?next=/admin/cases/{case_id}/photos/1"


async def test_a_rating_case_and_a_letter_without_photos_have_none(web: Web) -> None:
    rating_case = case_id_of(web.svc.settings, await bad_rating(web))
    bare_case, _ = await _letter_case(web)
    await add_user(web, "centre", "admin")
    await login(web, "centre")
    for case_id in (rating_case, bare_case):
        page = await web.client.get(f"/admin/cases/{case_id}")
        assert page.status_code == 200 and 'id="photos"' not in page.text
        assert (await web.client.get(f"/admin/cases/{case_id}/photos/1")).status_code == 404


async def test_purged_photos_answer_404_and_leave_the_page(web: Web) -> None:
    start = 1_800_000_000_000
    case_id, letter_id = await _letter_case(web, _photo((200, 20, 20), (64, 48)), at_ms=start)
    await mailbox.set_reply(web.store, letter_id, "已处理", now=start + DAY_MS)
    await add_user(web, "centre", "admin")
    await login(web, "centre")
    assert (await web.client.get(f"/admin/cases/{case_id}/photos/1")).status_code == 200

    retention = web.svc.settings.phone_retention_days
    await run_purge(web.store, web.svc.settings, now=start + (retention + 2) * DAY_MS)
    assert rows(web.svc.settings, "SELECT COUNT(*) FROM letter_photos") == [(0,)]
    await login(web, "centre")  # the purge, run days ahead, also ended the session
    assert (await web.client.get(f"/admin/cases/{case_id}/photos/1")).status_code == 404
    page = await web.client.get(f"/admin/cases/{case_id}")
    assert page.status_code == 200 and 'id="photos"' not in page.text


async def _token(web: Web, name: str, role: str, unit: str | None = None) -> dict[str, str]:
    await add_user(web, name, role, unit)
    token = await web.store.write(auth.new_api_token, name, "t", now_ms())
    return {"authorization": f"Bearer {token}"}


async def test_the_api_lists_the_photo_urls_and_serves_them_in_scope_only(web: Web) -> None:
    red, blue = _photo((200, 20, 20), (64, 48)), _photo((20, 20, 200), (30, 60))
    case_id, _ = await _letter_case(web, red, blue)
    bare_case, _ = await _letter_case(web)
    qiaodong = await _token(web, "qiaodong", "unit_manager", QIAODONG)
    qiaoxi = await _token(web, "qiaoxi", "unit_manager", QIAOXI)

    r = await web.client.get("/api/v1/letters", headers=qiaodong)
    assert r.status_code == 200
    by_case = {x["case_id"]: x for x in r.json()["letters"]}
    urls = [f"/api/v1/cases/{case_id}/photos/{n}" for n in (1, 2)]
    assert by_case[case_id]["photos"] == 2 and by_case[case_id]["photo_urls"] == urls
    assert by_case[bare_case]["photos"] == 0 and by_case[bare_case]["photo_urls"] == []
    for url, photo in zip(urls, (red, blue), strict=True):
        got = await web.client.get(url, headers=qiaodong)
        assert got.status_code == 200 and got.content == photo.data
        assert got.headers["content-type"] == "image/jpeg"
        assert got.headers["cache-control"] == "private, no-store"
        assert got.headers["x-content-type-options"] == "nosniff"

    # Another unit's manager: the letter is not listed and its photo is a JSON 404.
    assert (await web.client.get("/api/v1/letters", headers=qiaoxi)).json()["letters"] == []
    r = await web.client.get(urls[0], headers=qiaoxi)
    assert r.status_code == 404 and r.json()["ok"] is False and red.data not in r.content
    r = await web.client.get(f"/api/v1/cases/{case_id}/photos/3", headers=qiaodong)
    assert r.status_code == 404 and r.json()["status"] == 404
    # No token (a session cookie does not count here): 401.
    r = await web.client.get(urls[0])
    assert r.status_code == 401 and r.json()["status"] == 401


async def test_the_api_says_how_many_photos_the_purge_removed(web: Web) -> None:
    start = 1_800_000_000_000
    red, blue = _photo((200, 20, 20), (64, 48)), _photo((20, 20, 200), (30, 60))
    case_id, letter_id = await _letter_case(web, red, blue, at_ms=start)
    bare_case, _ = await _letter_case(web, at_ms=start)
    await mailbox.set_reply(web.store, letter_id, "已处理", now=start + DAY_MS)
    centre = await _token(web, "centre", "admin")
    before = {
        x["case_id"]: x
        for x in (await web.client.get("/api/v1/letters", headers=centre)).json()["letters"]
    }
    assert before[case_id]["photos"] == 2 and before[case_id]["photos_removed"] == 0

    retention = web.svc.settings.phone_retention_days
    await run_purge(web.store, web.svc.settings, now=start + (retention + 2) * DAY_MS)
    r = await web.client.get("/api/v1/letters", headers=centre)
    assert r.status_code == 200
    after = {x["case_id"]: x for x in r.json()["letters"]}
    assert (after[case_id]["photos"], after[case_id]["photos_removed"]) == (0, 2)
    assert after[case_id]["photo_urls"] == []
    # A letter that never had photos lost none (it was not replied: its phone stays too).
    assert (after[bare_case]["photos"], after[bare_case]["photos_removed"]) == (0, 0)

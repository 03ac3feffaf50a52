"""After the retention purge, the case page of a letter or a supervisor's report says how
many photos were removed ("N photos removed after the retention period"), in Chinese and
English, instead of showing nothing."""

from __future__ import annotations

import io

from PIL import Image

from rating.cases.service import run_purge
from rating.mailbox import service as mailbox
from rating.mailbox.models import Photo
from rating.mailbox.photos import clean_photo
from rating.store.tx import Tx
from rating.supervisors import service as supervisors
from rating.supervisors.model import ReportInput
from rating.supervisors.store import add_supervisor
from tests.cases.helpers import add_user, login, rows
from tests.conftest import Web
from tests.store.test_mailbox import KEYS, letter

STATION = "张家口市公安局/桥东分局/胜利路派出所"
DAY_MS = 86_400_000
START = 1_800_000_000_000  # 2027-01-15


def _photo(n: int) -> Photo:
    out = io.BytesIO()
    Image.new("RGB", (40 + n, 30), (200, 20 * n, 20)).save(out, "JPEG")
    return clean_photo(out.getvalue(), n)


async def _page(web: Web, case_id: int, lang: str = "zh") -> str:
    page = await web.client.get(f"/admin/cases/{case_id}?lang={lang}")
    assert page.status_code == 200
    return page.text


async def _purge(web: Web) -> None:
    retention = web.svc.settings.phone_retention_days
    await run_purge(web.store, web.svc.settings, now=START + (retention + 2) * DAY_MS)
    await login(web, "centre")  # the purge, run days ahead, also ended the session


def _close(tx: Tx, case_id: int, at: int) -> None:
    tx.run("UPDATE cases SET state = 'closed', closed_at = ? WHERE id = ?", (at, case_id))


async def test_a_purged_letter_says_how_many_photos_went(web: Web) -> None:
    unit = await web.store.ensure_unit_path(STATION)
    done = await mailbox.submit_letter(
        web.store, KEYS, letter(photos=(_photo(1), _photo(2))), unit_id=unit.id, device=None,
        address=None, at_ms=START,
    )  # fmt: skip
    view = await mailbox.letter_by_receipt(web.store, done.receipt or "")
    assert view is not None
    [(case_id,)] = rows(
        web.svc.settings, "SELECT id FROM cases WHERE source = 'letter' AND source_id = ?",
        (view.id,),
    )  # fmt: skip
    # A letter without photos: no note before or after the purge.
    bare = await mailbox.submit_letter(
        web.store, KEYS, letter(), unit_id=unit.id, device=None, address=None, at_ms=START
    )
    bare_view = await mailbox.letter_by_receipt(web.store, bare.receipt or "")
    assert bare_view is not None
    [(bare_case,)] = rows(
        web.svc.settings, "SELECT id FROM cases WHERE source = 'letter' AND source_id = ?",
        (bare_view.id,),
    )  # fmt: skip
    for lid in (view.id, bare_view.id):
        await mailbox.set_reply(web.store, lid, "已处理", now=START + DAY_MS)
    await add_user(web, "centre", "admin")
    await login(web, "centre")
    before = await _page(web, case_id)
    assert 'id="photos"' in before and 'id="photos-removed"' not in before

    await _purge(web)
    assert rows(web.svc.settings, "SELECT COUNT(*) FROM letter_photos") == [(0,)]
    after = await _page(web, case_id)
    assert 'id="photos"' not in after
    assert '<span class="muted" id="photos-removed">2 张照片已在保存期满后删除</span>' in after
    english = await _page(web, case_id, "en")
    assert "2 photos removed after the retention period" in english
    assert 'id="photos-removed"' not in await _page(web, bare_case)
    # A second purge finds nothing more to remove and counts nothing twice.
    await _purge(web)
    assert "2 张照片已在保存期满后删除" in await _page(web, case_id)


async def test_a_purged_supervisor_report_says_so_too(web: Web) -> None:
    at = START
    appointed = await web.store.write(
        add_supervisor, "刘建华", None, ("2027-01-01", "2027-12-31"), None, at
    )
    assert appointed.token is not None
    badge = web.officers[0].badge_no
    inp = ReportInput(badge, "户籍大厅", at - 3_600_000, "窗口民警玩手机", "zh", None, (_photo(1),))
    filed = await supervisors.file_report(web.store, appointed.token, inp, "", now=at)
    assert filed.report_id is not None
    [(case_id,)] = rows(
        web.svc.settings, "SELECT id FROM cases WHERE source = 'supervisor' AND source_id = ?",
        (filed.report_id,),
    )  # fmt: skip
    await web.store.write(_close, int(case_id), at + DAY_MS)
    await add_user(web, "centre", "admin")
    await _purge(web)
    assert rows(web.svc.settings, "SELECT COUNT(*) FROM supervisor_report_photos") == [(0,)]
    assert "1 photo removed after the retention period" in await _page(web, case_id, "en")
    assert "1 张照片已在保存期满后删除" in await _page(web, case_id)

"""The daily purge (`pingjing purge`) takes letters' phones and photos after retention."""

from __future__ import annotations

from rating.cases.service import run_purge
from rating.mailbox import service
from rating.mailbox.models import Photo
from rating.mailbox.service import LetterInput
from tests.conftest import Web, rows

DAY_MS = 86_400_000


async def test_purge_clears_phone_and_photos_of_a_replied_letter_after_retention(
    web: Web,
) -> None:
    photo = Photo(b"\xff\xd8\xff\xd9", "image/jpeg", 1, 1)
    inp = LetterInput("投诉", "信", "13800138000", True, "zh", None, (photo,))
    start = 1_800_000_000_000
    done = await service.submit_letter(
        web.store, web.keys, inp, unit_id=None, device=None, address=None, at_ms=start
    )
    assert done.receipt
    view = await service.letter_by_receipt(web.store, done.receipt)
    assert view
    await service.set_reply(web.store, view.id, "已处理", now=start + DAY_MS)
    retention = web.svc.settings.phone_retention_days
    # Within retention: kept.
    await run_purge(web.store, web.svc.settings, now=start + retention * DAY_MS)
    assert rows(web.svc.settings, "SELECT COUNT(*) FROM letter_photos") == [(1,)]
    # After it: the phone and the photo go, the letter and its reply stay.
    await run_purge(web.store, web.svc.settings, now=start + (retention + 2) * DAY_MS)
    assert rows(web.svc.settings, "SELECT phone_enc, phone_mask, body, reply FROM letters") == [
        (None, None, "信", "已处理")
    ]
    assert rows(web.svc.settings, "SELECT COUNT(*) FROM letter_photos") == [(0,)]
    audited = rows(
        web.svc.settings,
        "SELECT items FROM audit_log WHERE action = 'purge' AND note = 'letter phones and photos'",
    )
    # One entry per run (the server's start-up purge included); only the last took one.
    assert [n for (n,) in audited][-2:] == [0, 1] and sum(n for (n,) in audited) == 1

"""Mailbox and unit-code store functions on SQLite (writer process and thread) and
PostgreSQL: letters with photos in one transaction, receipts, scopes, replies, purge,
unit tokens and unit ratings."""

from __future__ import annotations

import time

from rating.crypto import Keys
from rating.mailbox import service
from rating.mailbox.models import Photo
from rating.mailbox.service import LetterInput
from rating.store import Store
from rating.store.models import TokenState

KEYS = Keys("test-secret-not-for-production")
PHOTO = Photo(b"\xff\xd8jpeg-bytes\x00\xff\xd9", "image/jpeg", 640, 480)


def letter(**fields: object) -> LetterInput:
    values: dict[str, object] = {
        "category": "投诉",
        "body": "窗口排队两小时无人办理",
        "phone": None,
        "consent": False,
        "lang": "zh",
        "stamp": None,
    }
    values.update(fields)
    return LetterInput(**values)  # type: ignore[arg-type]


async def test_letter_with_photos_and_phone_is_stored_and_read_by_receipt(store: Store) -> None:
    unit = await store.ensure_unit_path("张家口市公安局/桥东分局/胜利路派出所")
    inp = letter(phone="13800138000", consent=True, photos=(PHOTO, PHOTO))
    done = await service.submit_letter(
        store, KEYS, inp, unit_id=unit.id, device="dev-1", address="203.0.113.7"
    )
    assert done.created and done.receipt and done.refused is None
    view = await service.letter_by_receipt(store, done.receipt)
    assert view is not None
    assert (view.category, view.body, view.status) == ("投诉", "窗口排队两小时无人办理", "received")
    assert view.phone_mask == "138****8000" and view.consent and not view.anonymous
    assert view.unit_display == "桥东分局 · 胜利路派出所"
    assert [(p.mime, p.width, p.height, p.size) for p in view.photos] == [
        ("image/jpeg", 640, 480, len(PHOTO.data))
    ] * 2
    got = await service.letter_photo(store, view.id, view.photos[0].id)
    assert got == (PHOTO.data, "image/jpeg")
    # Encrypted at rest: only the assigned handler decrypts it.
    from rating.mailbox import store as mstore

    enc = await store.read(mstore.letter_phone, view.id)
    assert enc and "13800138000" not in enc and KEYS.decrypt_phone(enc) == "13800138000"


async def test_anonymous_letter_has_no_phone(store: Store) -> None:
    done = await service.submit_letter(
        store, KEYS, letter(), unit_id=None, device=None, address=None
    )
    assert done.receipt
    view = await service.letter_by_receipt(store, done.receipt)
    assert view and view.anonymous and view.phone_mask is None and view.unit_id is None


async def test_same_stamp_answers_the_first_letter(store: Store) -> None:
    first = await service.submit_letter(
        store, KEYS, letter(stamp="1.abc"), unit_id=None, device="d", address="a"
    )
    again = await service.submit_letter(
        store, KEYS, letter(stamp="1.abc", body="changed"), unit_id=None, device="d", address="a"
    )
    assert first.created and not again.created and again.receipt == first.receipt
    assert len(await service.list_letters(store, None)) == 1


async def test_unknown_category_and_unit_store_nothing(store: Store) -> None:
    bad = await service.submit_letter(
        store, KEYS, letter(category="闲聊"), unit_id=None, device="d", address="a"
    )
    assert bad.refused == "category" and bad.receipt is None
    bad = await service.submit_letter(
        store, KEYS, letter(), unit_id=987654, device="d", address="a"
    )
    assert bad.refused == "unit"
    assert await service.list_letters(store, None) == []


async def test_device_limit_refuses_and_stores_nothing(store: Store) -> None:
    now = int(time.time() * 1000)
    for _ in range(service.LETTERS_PER_DEVICE_HOUR):
        ok = await service.submit_letter(
            store, KEYS, letter(), unit_id=None, device="d", address="a", at_ms=now
        )
        assert ok.created
    over = await service.submit_letter(
        store, KEYS, letter(), unit_id=None, device="d", address="a", at_ms=now
    )
    assert over.refused == "rate_device"
    assert len(await service.list_letters(store, None)) == service.LETTERS_PER_DEVICE_HOUR


async def test_categories_are_editable_and_letters_keep_theirs(store: Store) -> None:
    defaults = await service.list_categories(store)
    assert [c for c, _ in defaults] == ["投诉", "举报", "建议", "求助", "咨询"]
    done = await service.submit_letter(
        store, KEYS, letter(category="建议"), unit_id=None, device=None, address=None
    )
    await service.set_categories(store, [("意见", "Opinion"), ("求助", "Help")])
    try:
        assert await service.list_categories(store) == [("意见", "Opinion"), ("求助", "Help")]
        assert done.receipt
        view = await service.letter_by_receipt(store, done.receipt)
        assert view and view.category == "建议"
        refused = await service.submit_letter(
            store, KEYS, letter(category="建议"), unit_id=None, device=None, address=None
        )
        assert refused.refused == "category"
    finally:  # the PostgreSQL database is shared by the run's tests: put the list back
        await service.set_categories(store, defaults)


async def test_list_letters_by_scope_and_reply(store: Store) -> None:
    east = await store.ensure_unit_path("局/桥东分局/胜利路派出所")
    west = await store.ensure_unit_path("局/桥西分局/新华街派出所")
    for unit_id in (east.id, west.id, None):
        await service.submit_letter(
            store, KEYS, letter(), unit_id=unit_id, device=None, address=None
        )
    assert len(await service.list_letters(store, None)) == 3
    in_east = await service.list_letters(store, "局/桥东分局")
    assert [v.unit_id for v in in_east] == [east.id]
    assert await service.set_reply(
        store, in_east[0].id, "已核实，窗口已增派人员。", now=1_700_000_000_000
    )
    view = await service.letter_by_id(store, in_east[0].id)
    assert view and view.status == "replied" and view.reply == "已核实，窗口已增派人员。"
    assert view.replied_at == 1_700_000_000_000
    assert not await service.set_reply(store, 999_999, "x")
    assert await service.set_status(store, in_east[0].id, "closed")


async def test_purge_takes_phones_and_photos_of_settled_letters_only(store: Store) -> None:
    inp = letter(phone="13800138000", consent=True, photos=(PHOTO,))
    old = await service.submit_letter(
        store, KEYS, inp, unit_id=None, device=None, address=None, at_ms=1000
    )
    open_ = await service.submit_letter(
        store, KEYS, inp, unit_id=None, device=None, address=None, at_ms=1000
    )
    assert old.receipt and open_.receipt
    view = await service.letter_by_receipt(store, old.receipt)
    assert view
    await service.set_reply(store, view.id, "已答复", now=2000)
    assert await service.purge_letters(store, cutoff=10_000, now=20_000) == 1
    purged = await service.letter_by_receipt(store, old.receipt)
    kept = await service.letter_by_receipt(store, open_.receipt)
    assert purged and purged.phone_mask is None and purged.photos == () and purged.reply == "已答复"
    assert kept and kept.phone_mask == "138****8000" and len(kept.photos) == 1
    # How many photos went is kept with the letter (the API's `photos_removed`).
    assert purged.photos_purged == 1 and kept.photos_purged == 0
    listed = {x.receipt: x.photos_purged for x in await service.list_letters(store, None)}
    assert listed == {old.receipt: 1, open_.receipt: 0}


async def test_unit_tokens_issue_reissue_revoke(store: Store) -> None:
    unit = await store.ensure_unit_path("局/桥东分局/胜利路派出所")
    tokens = await service.unit_tokens(store, [unit])
    first = tokens[unit.id]
    assert (await service.unit_tokens(store, [unit]))[unit.id] == first  # printing again
    found = await service.place_by_token(store, first)
    assert found.state is TokenState.LIVE and found.unit == unit
    second = await service.issue_unit_token(store, unit)
    assert second != first
    assert (await service.place_by_token(store, first)).state is TokenState.REVOKED
    assert (await service.place_by_token(store, second)).state is TokenState.LIVE
    assert await service.revoke_unit_token(store, unit)
    assert not await service.revoke_unit_token(store, unit)
    assert (await service.place_by_token(store, second)).state is TokenState.REVOKED
    assert (await service.place_by_token(store, "NOSUCHTOKEN0")).state is TokenState.UNKNOWN


async def test_unit_ratings_count_for_the_unit_and_bureau_never_an_officer(store: Store) -> None:
    east = await store.ensure_unit_path("局/桥东分局/胜利路派出所")
    west = await store.ensure_unit_path("局/桥西分局/新华街派出所")
    token = await service.issue_unit_token(store, east)
    for level, stamp in ((5, "s1"), (2, "s2"), (4, "s2")):
        await service.rate_unit(
            store, KEYS, east, token, level, stamp=stamp, lang="zh", device="d", address="a"
        )
    await service.rate_unit(
        store, KEYS, west, "T", 1, stamp=None, lang="zh", device="e", address="b"
    )
    # The second post of stamp s2 changed its level instead of adding a rating.
    assert await service.unit_rating_counts(store, "局/桥东分局") == {5: 1, 4: 1}
    assert await service.unit_rating_counts(store, None) == {5: 1, 4: 1, 1: 1}
    assert await store.count_ratings() == 0


async def test_letter_photos_are_read_by_their_number_in_order(store: Store) -> None:
    first = Photo(b"\xff\xd8first\xff\xd9", "image/jpeg", 10, 20)
    second = Photo(b"\xff\xd8second\xff\xd9", "image/jpeg", 30, 40)
    done = await service.submit_letter(
        store, KEYS, letter(photos=(first, second)), unit_id=None, device=None, address=None
    )
    assert done.receipt
    view = await service.letter_by_receipt(store, done.receipt)
    assert view is not None
    assert [(p.position, p.width) for p in view.photos] == [(1, 10), (2, 30)]
    assert await service.letter_photo_at(store, view.id, 1) == (first.data, "image/jpeg")
    assert await service.letter_photo_at(store, view.id, 2) == (second.data, "image/jpeg")
    assert await service.letter_photo_at(store, view.id, 3) is None
    assert await service.letter_photo_at(store, view.id + 1, 1) is None

"""The one bilingual table shape, {key: (Chinese, English)}, and how a part adds its texts
to a shared per-language table."""

from __future__ import annotations

from rating.bilingual import add_to, by_lang, zh_en

TABLE = {"ok": ("好", "OK"), "back": ("返回", "Back")}


def test_a_table_splits_into_one_dict_per_language() -> None:
    assert by_lang(TABLE) == {
        "zh": {"ok": "好", "back": "返回"},
        "en": {"ok": "OK", "back": "Back"},
    }
    assert zh_en(TABLE) == ({"ok": "好", "back": "返回"}, {"ok": "OK", "back": "Back"})


def test_a_part_adds_its_texts_without_overriding_the_shared_ones() -> None:
    shared = {"zh": {"back": "后退"}, "en": {"back": "Go back"}}
    add_to(shared.__getitem__, TABLE)
    assert shared == {"zh": {"back": "后退", "ok": "好"}, "en": {"back": "Go back", "ok": "OK"}}
    add_to(shared.__getitem__, TABLE)  # registering again changes nothing
    assert shared == {"zh": {"back": "后退", "ok": "好"}, "en": {"back": "Go back", "ok": "OK"}}

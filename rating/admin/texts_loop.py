"""Texts of the case loop's parts of the case page (issue 18: dispatch, reply, return),
kept apart from the shared table in rating/admin/texts.py. Labels of states, actions and
sources come from rating/cases/model.py."""

from __future__ import annotations

from rating.cases.model import SOURCE_LABELS, SOURCE_LABELS_EN, STEP_LABELS, STEP_LABELS_EN
from rating.i18n import LANGS, by_lang

_TEXT: dict[str, tuple[str, str]] = {
    "source": ("来源", "Source"),
    "category": ("分类", "Category"),
    "sla_due": ("时限（按分类）", "Due (by category)"),
    "dispatch_unit": ("承办单位", "Unit in charge"),
    "dispatched_at": ("派发时间", "Dispatched"),
    "reply": ("单位回复", "Unit's reply"),
    "reason": ("原因", "Reason"),
    "returned": ("退回", "Returned"),
    "letter_body": ("来信内容", "Letter"),
    "step_due": ("当前环节时限", "Current step due"),
}
_TEXTS = by_lang(_TEXT)


def loop_texts(lang: str) -> dict[str, str]:
    return _TEXTS[lang if lang in LANGS else "en"]


def source_labels(lang: str) -> dict[str, str]:
    return SOURCE_LABELS if lang == "zh" else SOURCE_LABELS_EN


def step_labels(lang: str) -> dict[str, str]:
    return STEP_LABELS if lang == "zh" else STEP_LABELS_EN

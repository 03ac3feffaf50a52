"""Texts of the case loop's parts of the case page (issue 18: dispatch, reply, return), the
`[loop]` table of rating/locale/admin.toml. Labels of states, actions and sources come from
rating/cases/model.py."""

from __future__ import annotations

from rating.cases.model import SOURCE_LABELS, SOURCE_LABELS_EN, STEP_LABELS, STEP_LABELS_EN
from rating.i18n import table

loop_texts = table("admin.loop")


def source_labels(lang: str) -> dict[str, str]:
    return SOURCE_LABELS if lang == "zh" else SOURCE_LABELS_EN


def step_labels(lang: str) -> dict[str, str]:
    return STEP_LABELS if lang == "zh" else STEP_LABELS_EN

"""The rating vocabulary's labels by language: levels (the national 好差评 scale) and
reasons. Apart from rating.i18n, which picks a request's language (and so imports
starlette), so that the reports (analytics) can use them too."""

from __future__ import annotations

from rating.bilingual import by_lang

_LEVELS: dict[int, tuple[str, str]] = {
    5: ("非常满意", "Very satisfied"),
    4: ("满意", "Satisfied"),
    3: ("基本满意", "Basically satisfied"),
    2: ("不满意", "Dissatisfied"),
    1: ("非常不满意", "Very dissatisfied"),
}
_REASONS: dict[str, tuple[str, str]] = {
    "attitude": ("服务态度", "Attitude"),
    "efficiency": ("办事效率", "Efficiency"),
    "conduct": ("执法规范", "Lawful conduct"),
    "integrity": ("廉洁自律", "Integrity"),
    "buck_passing": ("推诿扯皮", "Passing the buck"),
    "other": ("其他", "Other"),
}

LEVEL_LABELS = by_lang(_LEVELS)
REASON_LABELS = by_lang(_REASONS)

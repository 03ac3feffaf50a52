"""The spot-check offer's texts on the citizen's receipt page (the admin pages' texts are in
rating/spotcheck/texts.py; this module imports only the citizen side's table)."""

from __future__ import annotations

from rating.bilingual import add_to
from rating.i18n import texts

# The receipt page of a satisfied rating (citizen side), under `spot_` keys of the citizen
# pages' table.
CITIZEN_TEXT: dict[str, tuple[str, str]] = {
    "spot_ask": (
        "可以打电话向您了解本次服务的质量吗？（选填）",
        "May we call you about the quality of this service? (optional)",
    ),
    "spot_ask_hint": (
        "公安局会随机抽取部分评价回访，核实服务是否真实满意。",
        "The bureau calls a random few raters back to check that the service was really good.",
    ),
    "spot_phone": ("手机号", "Phone"),
    "spot_send": ("同意回访", "Yes, you may call"),
}


def register_citizen() -> None:
    """Add the receipt page's texts to the citizen pages' table (idempotent)."""
    add_to(texts, CITIZEN_TEXT)


register_citizen()

"""The rating vocabulary's labels by language: levels (the national 好差评 scale) and
reasons (rating/locale/labels.toml). Apart from the page texts so that the reports
(analytics) and the notifications can use them too."""

from __future__ import annotations

from rating.i18n import table

# Levels are numbers: {lang: {5: "非常满意", …}}.
LEVEL_LABELS: dict[str, dict[int, str]] = {
    lang: {int(level): label for level, label in labels.items()}
    for lang, labels in table("labels.levels").items()
}
REASON_LABELS = table("labels.reasons")

"""Admin page texts in Simplified Chinese (default) and English (rating/locale/admin.toml).

The language is picked exactly as on the citizen pages (`rating.i18n.pick_lang`: `?lang=`,
then the `pj_lang` cookie, then Accept-Language, else Chinese). Texts with `{name}`
placeholders are filled with `str.format` in the views or with the `fmt` template filter,
which escapes the values.
"""

from __future__ import annotations

import functools
from typing import Any

from markupsafe import Markup, escape
from starlette.requests import Request

from rating.cases.model import (
    ACTION_LABELS,
    ACTION_LABELS_EN,
    FIX_LABELS,
    FIX_LABELS_EN,
    OUTCOME_LABELS,
    OUTCOME_LABELS_EN,
    STATE_LABELS,
    STATE_LABELS_EN,
    VERIFICATION_LABELS,
    VERIFICATION_LABELS_EN,
)
from rating.i18n import pick_lang, table
from rating.labels import LEVEL_LABELS, REASON_LABELS

# The admin pages' texts (rating/locale/admin.toml: the shared frame, cases and work-order
# imports; the dashboard's, the case queue's and the error page's), with the spot-check and
# supervisors pages' `spot_*` and `sup_*` keys, so that every admin template reaches them
# as `t.<key>`.
_OWN = ("admin.pages", "admin.dash")
admin_texts = table(*_OWN, "spotcheck.admin", "supervisors.admin")
_OWN_TEXTS = table(*_OWN)
# Hotline channels (rating.workorders) and rating channels (badge, kiosk, web) by language.
CHANNEL_LABELS = table("workorders.channels", "admin.rating_channels")
# Audit actions that are not case-state actions (rating.cases.model.ACTION_LABELS has those).
_AUDIT_EXTRA = table("admin.audit_actions")
_KIND_LABELS = table("admin.kinds")
ROLE_LABELS = table("admin.roles")


def text(request: Request, key: str, **values: Any) -> str:
    """One admin text in the request's language, with `{name}` placeholders filled."""
    return admin_texts(pick_lang(request))[key].format(**values)


@functools.cache
def _trusted() -> frozenset[str]:
    """Only these strings, admin.toml's own page texts, may carry markup (<strong>)."""
    return frozenset(s for texts in _OWN_TEXTS.values() for s in texts.values())


def fill(template: str, **values: Any) -> Markup:
    """Fill a text's `{name}` placeholders for a template; the values are escaped."""
    if template not in _trusted():
        return escape(template).format(**values)
    return Markup(template).format(**values)  # noqa: S704 - one of our own texts


def labels(lang: str) -> dict[str, dict[Any, str]]:
    """The code -> label tables the admin templates use, in `lang`."""
    zh = lang == "zh"
    return {
        "state_labels": STATE_LABELS if zh else STATE_LABELS_EN,
        "outcome_labels": OUTCOME_LABELS if zh else OUTCOME_LABELS_EN,
        "verification_labels": VERIFICATION_LABELS if zh else VERIFICATION_LABELS_EN,
        "fix_labels": FIX_LABELS if zh else FIX_LABELS_EN,
        "action_labels": {**(ACTION_LABELS if zh else ACTION_LABELS_EN), **_AUDIT_EXTRA(lang)},
        "level_labels": LEVEL_LABELS["zh" if zh else "en"],
        "reason_labels": REASON_LABELS(lang),
        "channel_labels": CHANNEL_LABELS(lang),
        "role_labels": ROLE_LABELS(lang),
        "kind_labels": _KIND_LABELS(lang),
    }

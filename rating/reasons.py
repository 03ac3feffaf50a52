"""Why an import (work orders, rosters, service counts) is refused, in Chinese and English.

A reason is a stable code plus its parameters, rendered when it is shown: the command line
and the rejected-rows CSV in English (`str(reason)`), the admin upload page in the page's
language (`reason.text(lang)`). Parameters are cell values, line numbers and header names,
shown as they are in either language; a parameter may itself be a `Reason` (a bad date
says why) or a `Joined` list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rating.i18n import table

# code -> text by language (rating/locale/reasons.toml); `{name}` placeholders are filled
# from the reason's params.
MESSAGES = table("reasons.messages")


@dataclass(frozen=True)
class Joined:
    """A list parameter, joined with the separator of the language it is shown in."""

    items: tuple[str, ...]
    en: str = ", "
    zh: str = "、"


@dataclass(frozen=True)
class Reason:
    """Why a cell or a file cannot be imported: `code` names a MESSAGES entry."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def text(self, lang: str) -> str:
        """The reason in `lang` ("zh" for Chinese, anything else English)."""
        values = {k: _shown(v, lang) for k, v in self.params.items()}
        return MESSAGES(lang)[self.code].format(**values)

    def __str__(self) -> str:
        return self.text("en")


def _shown(value: Any, lang: str) -> Any:
    if isinstance(value, Reason):
        return value.text(lang)
    if isinstance(value, Joined):
        return (value.zh if lang == "zh" else value.en).join(value.items)
    return value


class ReasonError(Exception):
    """An error carrying a `Reason`; its message (`str`) is the English text."""

    def __init__(self, code: str, **params: Any) -> None:
        self.reason = Reason(code, params)
        super().__init__(str(self.reason))

"""Errors the domain code raises (cases, and the store's rules), free of any web framework.

Each carries an English and a Chinese message. rating/errors.py maps them to HTTP in one
place (`to_http`), so a unit of work says *what* went wrong and the web layer says how
it is answered.
"""

from __future__ import annotations


class BilingualError(Exception):
    """An error with an English and a Chinese message: the class's defaults, or the ones
    given (an English message alone stands for both). rating.errors.HTTPError is one too."""

    default_en = "error"
    default_zh = "出错了"

    def __init__(self, en: str | None = None, zh: str | None = None) -> None:
        self.en = en or self.default_en
        self.zh = zh or (self.default_zh if en is None else en)
        super().__init__(self.en)

    def message(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


class DomainError(BilingualError):
    default_en = "the request cannot be done"
    default_zh = "无法完成该操作"


class Invalid(DomainError):
    """The input is wrong (a missing note, an unknown choice)."""

    default_en = "invalid input"
    default_zh = "请求有误"


class NotFound(DomainError):
    """No such thing, or one the actor may not know exists."""

    default_en = "not found"
    default_zh = "页面不存在"


class Forbidden(DomainError):
    """The actor may see it but not do this."""

    default_en = "forbidden"
    default_zh = "无权访问"


class Conflict(DomainError):
    """Not allowed in the thing's current state."""

    default_en = "conflict"
    default_zh = "请求冲突"

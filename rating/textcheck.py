"""Text the databases can store: Unicode scalar values without NUL.

JSON can carry a lone UTF-16 surrogate ("\\ud800"), which no UTF-8 encoder accepts, and
any text can carry NUL, which PostgreSQL refuses in text columns. Both pass a type check
and then fail deep in the store, where they once took a whole batch of other people's
ratings down with them. Every endpoint checks its text here first and answers 400,
naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from rating.errors import BadRequest

_BAD = re.compile("[\x00\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored ("NUL", "surrogate"), or None if it can."""
    if value.isascii():
        return "NUL" if "\x00" in value else None
    found = _BAD.search(value)
    if found is None:
        return None
    return "NUL" if found.group() == "\x00" else "surrogate"


def bad_text(field: str, problem: str) -> BadRequest:
    if problem == "NUL":
        return BadRequest(
            f"{field} contains a NUL character (U+0000)", f"{field} 含有不允许的空字符（U+0000）"
        )
    return BadRequest(
        f"{field} is not valid Unicode text (it contains a lone surrogate)",
        f"{field} 含有无效的字符（不成对的代理码位）",
    )


def check_text(field: str, value: str) -> str:
    """`value`, or BadRequest naming `field` if it holds a surrogate or NUL."""
    problem = text_problem(value)
    if problem is not None:
        raise bad_text(field, problem)
    return value


MAX_DEPTH = 32


def check_tree(data: Any, path: str = "", depth: int = 0) -> None:
    """Check every string (keys too) in parsed JSON; the error names the field's path,
    e.g. `reasons[1]`. Nesting deeper than MAX_DEPTH (no request of ours needs more than
    two levels) is refused too."""
    if depth > MAX_DEPTH:
        raise BadRequest("body is nested too deeply", "提交内容嵌套层数过多")
    if isinstance(data, str):
        check_text(path or "body", data)
    elif isinstance(data, Mapping):
        for key, value in data.items():
            name = f"{path}.{key}" if path else str(key)
            if isinstance(key, str):
                problem = text_problem(key)
                if problem is not None:
                    raise bad_text("a field name", problem)
            check_tree(value, name, depth + 1)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            check_tree(value, f"{path}[{i}]", depth + 1)


def check_fields(fields: Mapping[str, Any]) -> None:
    """Check a form's (or query string's) names and text values."""
    for key, value in fields.items():
        problem = text_problem(key)
        if problem is not None:
            raise bad_text("a field name", problem)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                check_text(key, item)

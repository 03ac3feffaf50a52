"""Unit paths (a/b/c): SQL for "a unit and everything below it", shared by the store and
the case queries, and a path's names as pages show them.

A leaf module: rating.store and rating.cases both import it.
"""

from __future__ import annotations

# A unit and its whole subtree, by path. `%` and `_` in a unit's name match only
# themselves (ESCAPE), so 桥_东分局 never takes in a sibling such as 桥X东分局.
SUBTREE_SQL = "(u.path = ? OR u.path LIKE ? ESCAPE '\\')"


def subtree_params(path: str) -> list[str]:
    """The two parameters of SUBTREE_SQL for the unit at `path`."""
    escaped = path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return [path, escaped + "/%"]


def unit_name(path: str) -> str:
    """The unit's own name: the last part of its path."""
    return path.rsplit("/", 1)[-1]


def unit_display(path: str) -> str:
    """The unit below the bureau, e.g. 桥东分局 · 胜利路派出所, for citizens to check."""
    parts = path.split("/")
    return " · ".join(parts[1:] if len(parts) > 1 else parts)

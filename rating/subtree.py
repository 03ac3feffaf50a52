"""SQL for "a unit and everything below it", shared by the store and the case queries.

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

"""Column profiles: TOML files mapping a channel's column headers onto the schema.

The built-in profiles live in ``rating/workorders/profiles/<name>.toml``. A bureau whose
export differs copies one (``pingjing workorders profiles show 12345 > ours.toml``), edits
it and imports with ``--profile ours.toml``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from rating.workorders.schema import CODES, DEFAULT_VALUES, FIELD_BY_NAME, FIELDS, RENAMED_CODES

PROFILE_DIR = Path(__file__).resolve().parent / "profiles"
DEFAULT_HEADER_SEARCH_ROWS = 20

_SPACE = re.compile(r"[\s\u3000\ufeff*＊]+")
_FULLWIDTH = str.maketrans({"（": "(", "）": ")", "：": ":", "【": "[", "】": "]"})


class ProfileError(Exception):
    """A profile file cannot be used (missing, not TOML, or naming unknown fields)."""


def norm_header(cell: object) -> str:
    """A header cell as compared with a profile: no spaces or line breaks, no required-field
    asterisks, ASCII parentheses, no trailing colon, case-insensitive."""
    text = _SPACE.sub("", str(cell or "")).translate(_FULLWIDTH).rstrip(":")
    return text.casefold()


def norm_value(cell: str) -> str:
    return _SPACE.sub("", cell).casefold()


@dataclass(frozen=True)
class Profile:
    name: str
    title: str
    source: Path
    header_search_rows: int
    columns: dict[str, tuple[str, ...]]  # field -> header spellings, in order of preference
    values: dict[str, dict[str, str]]  # enum field -> normalized spelling -> code ('' = none)

    def header_index(self) -> dict[str, tuple[str, int]]:
        """Normalized header spelling -> (field, preference), the field name itself last."""
        index: dict[str, tuple[str, int]] = {}
        for field in FIELDS:
            spellings = [*self.columns.get(field.name, ()), field.name]
            for rank, spelling in enumerate(spellings):
                index.setdefault(norm_header(spelling), (field.name, rank))
        return index


def builtin_names() -> list[str]:
    return sorted(p.stem for p in PROFILE_DIR.glob("*.toml"))


def profile_path(ref: str) -> Path:
    """The file a --profile argument names: a built-in profile name or a .toml path."""
    if ref in builtin_names():
        return PROFILE_DIR / f"{ref}.toml"
    path = Path(ref)
    if path.suffix.lower() == ".toml" or "/" in ref or "\\" in ref:
        if not path.is_file():
            raise ProfileError(f"profile file {ref} does not exist")
        return path
    raise ProfileError(
        f"unknown profile {ref!r}: use one of {', '.join(builtin_names())} or a .toml file"
    )


def _strings(value: object, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ProfileError(f"{where} must be a list of header names")
    return tuple(v.strip() for v in value)


def load_profile(ref: str) -> Profile:
    """Load and check a profile; every mistake in it is reported with the file name."""
    path = profile_path(ref)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"cannot read profile {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"profile {path} is not valid TOML: {exc}") from None
    where = f"profile {path}"
    unknown = set(data) - {"name", "title", "header_search_rows", "columns", "values"}
    if unknown:
        raise ProfileError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    columns_raw = data.get("columns", {})
    if not isinstance(columns_raw, dict):
        raise ProfileError(f"{where}: [columns] must be a table")
    columns: dict[str, tuple[str, ...]] = {}
    for field, spellings in columns_raw.items():
        if field not in FIELD_BY_NAME:
            raise ProfileError(
                f"{where}: [columns] names unknown field {field!r} "
                f"(fields: {', '.join(f.name for f in FIELDS)})"
            )
        columns[field] = _strings(spellings, f"{where}: columns.{field}")
    claimed: dict[str, str] = {}
    for field, spellings in columns.items():
        for spelling in spellings:
            other = claimed.setdefault(norm_header(spelling), field)
            if other != field:
                raise ProfileError(
                    f"{where}: header {spelling!r} is listed for both {other} and {field}"
                )
    values: dict[str, dict[str, str]] = {
        field: {norm_value(k): v for k, v in mapping.items()}
        for field, mapping in DEFAULT_VALUES.items()
    }
    for field, codes in CODES.items():
        for code in codes:  # the codes themselves are always understood
            values[field].setdefault(norm_value(code), code)
    for field, renamed in RENAMED_CODES.items():
        for old, new in renamed.items():
            values[field].setdefault(norm_value(old), new)
    values_raw = data.get("values", {})
    if not isinstance(values_raw, dict):
        raise ProfileError(f"{where}: [values] must be a table")
    for field, mapping in values_raw.items():
        if field not in CODES:
            raise ProfileError(
                f"{where}: [values.{field}]: only {', '.join(CODES)} have value lists"
            )
        if not isinstance(mapping, dict):
            raise ProfileError(f"{where}: [values.{field}] must be a table")
        for spelling, code in mapping.items():
            if field in RENAMED_CODES and code in RENAMED_CODES[field]:
                code = RENAMED_CODES[field][code]
            if code != "" and code not in CODES[field]:
                raise ProfileError(
                    f"{where}: values.{field}.{spelling} = {code!r}: "
                    f'expected one of {", ".join(CODES[field])} or ""'
                )
            values[field][norm_value(spelling)] = code
    rows = data.get("header_search_rows", DEFAULT_HEADER_SEARCH_ROWS)
    if not isinstance(rows, int) or not 1 <= rows <= 1000:
        raise ProfileError(f"{where}: header_search_rows must be a whole number 1-1000")
    return Profile(
        name=str(data.get("name") or path.stem),
        title=str(data.get("title", "")),
        source=path,
        header_search_rows=rows,
        columns=columns,
        values=values,
    )

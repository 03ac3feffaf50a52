"""A service-volume file (CSV in UTF-8/GBK/GB18030, or XLSX) → rows, every bad row with
its line number and column, as the other imports report them.

Columns (header names in Chinese or English, header row within the first 10 lines):
单位/unit (code, full path, name or alias), 日期/date, 服务量/services (a whole number
≥ 0), and optionally 业务系统/system. Parsing is pure: units are matched in the store.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rating.tabular import ImportFileError, Sheet, open_sheet
from rating.workorders import convert
from rating.workorders.convert import DAY_MS, SHANGHAI_OFFSET_MS, BadValue
from rating.workorders.parse import column_letter
from rating.workorders.profiles import norm_header

HEADERS: dict[str, tuple[str, ...]] = {
    "unit": ("单位", "unit", "单位名称", "单位编码", "unit code", "unit_path", "所属单位"),
    "day": ("日期", "date", "day", "业务日期", "办理日期"),
    "services": ("服务量", "services", "办件量", "业务量", "服务人次", "count", "办理量"),
    "system": ("业务系统", "system", "系统", "来源系统"),
}
REQUIRED = ("unit", "day", "services")
HEADER_SEARCH = 10
MAX_SERVICES = 1_000_000  # per unit and day: more is a typo (or a sum pasted twice)
_NUMBER = re.compile(r"^\d{1,3}(,\d{3})+$|^\d+$")


class ServiceFileError(ValueError):
    """The file as a whole cannot be used; the message says why (with a line number)."""


@dataclass(frozen=True)
class ServiceRow:
    line: int
    unit: str
    day_ms: int  # local midnight of the day, epoch ms
    system: str
    services: int


@dataclass(frozen=True)
class RowError:
    line: int
    column: str  # "C 服务量": letter and the file's own header
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.reason}"


@dataclass
class ServiceFile:
    path: Path
    sha256: str
    kind: str
    encoding: str
    header_line: int
    rows: list[ServiceRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # field -> "C 服务量"
    header: list[str] = field(default_factory=list)
    cells: dict[int, list[str]] = field(default_factory=dict)  # line -> its cells, as text

    @property
    def bad_lines(self) -> int:
        return len({e.line for e in self.errors})


def _header(cells: list[Any]) -> dict[str, int]:
    found: dict[str, int] = {}
    for i, cell in enumerate(cells):
        h = norm_header(convert.text(cell) or "")
        for key, names in HEADERS.items():
            if key not in found and h in {norm_header(n) for n in names}:
                found[key] = i
    return found


def local_day(ms: int) -> int:
    """The epoch ms of the Asia/Shanghai midnight that starts the day holding `ms`."""
    return (ms + SHANGHAI_OFFSET_MS) // DAY_MS * DAY_MS - SHANGHAI_OFFSET_MS


def _services(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        n = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise ValueError
        n = int(value)
    else:
        text = (convert.text(value) or "").replace("，", ",")
        if not _NUMBER.match(text):
            raise ValueError
        n = int(text.replace(",", ""))
    if n < 0 or n > MAX_SERVICES:
        raise ValueError
    return n


def read_services(path: Path) -> ServiceFile:
    """Parse every row; raises ServiceFileError (or the reader's ImportFileError) for a file
    that cannot be used at all, collects bad rows in `errors`."""
    sheet: Sheet = open_sheet(path)
    header_line, cols, header = 0, {}, []
    for searched, (line, cells) in enumerate(sheet.rows, 1):
        cols = _header(cells)
        if all(k in cols for k in REQUIRED):
            header_line, header = line, [convert.text(c) or "" for c in cells]
            break
        if searched >= HEADER_SEARCH:
            break
    if not header_line:
        raise ServiceFileError(
            f"no header row in the first {HEADER_SEARCH} lines: need columns 单位/unit, "
            "日期/date and 服务量/services (业务系统/system optional)"
        )
    out = ServiceFile(path, sheet.sha256, sheet.kind, sheet.encoding, header_line)
    out.columns = {k: f"{column_letter(i)} {header[i]}" for k, i in cols.items()}
    out.header = header
    seen: dict[tuple[str, int, str], int] = {}
    width = max(cols.values()) + 1
    for line, cells in sheet.rows:
        if not any((convert.text(c) or "") for c in cells):
            continue
        cells = [*cells, *[None] * (width - len(cells))]
        out.cells[line] = [convert.text(c) or "" for c in cells]
        problems: list[RowError] = []
        unit = convert.text(cells[cols["unit"]])
        if unit is None:
            problems.append(RowError(line, out.columns["unit"], "unit is empty"))
        day: int | None = None
        try:
            at = convert.time_ms(cells[cols["day"]], sheet.serial_epoch)
            if at is None:
                problems.append(RowError(line, out.columns["day"], "date is empty"))
            else:
                day = local_day(at)
        except BadValue as exc:
            problems.append(RowError(line, out.columns["day"], str(exc.reason)))
        services: int | None = None
        try:
            services = _services(cells[cols["services"]])
        except ValueError:
            shown = convert.shown(convert.text(cells[cols["services"]]) or "")
            problems.append(
                RowError(
                    line,
                    out.columns["services"],
                    f"services {shown} must be a whole number from 0 to {MAX_SERVICES:,}",
                )
            )
        system = convert.text(cells[cols["system"]]) if "system" in cols else None
        system = (system or "")[:40]
        if unit is not None and day is not None:
            key = (unit, day, system)
            if key in seen:
                problems.append(
                    RowError(
                        line,
                        out.columns["unit"],
                        f"the same unit, date and system as line {seen[key]}",
                    )
                )
            else:
                seen[key] = line
        if problems:
            out.errors.extend(problems)
            continue
        assert unit is not None and day is not None and services is not None
        out.rows.append(ServiceRow(line, unit, day, system, services))
    if not out.rows and not out.errors:
        raise ImportFileError("no_rows", line=header_line)
    return out


def rejects_path(path: Path) -> Path:
    """Where --skip-bad writes the rejected rows: beside the input file."""
    return path.with_name(path.stem + ".rejected.csv")


def rejects_csv(parsed: ServiceFile, errors: Sequence[RowError]) -> str:
    """The rejected lines with their reasons and original cells (UTF-8 with a BOM is added
    by the writer, so that Excel opens it): fix them and import this file again."""
    reasons: dict[int, list[str]] = {}
    for err in errors:
        reasons.setdefault(err.line, []).append(f"{err.column}: {err.reason}")
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(["行号 line", "原因 reason", *parsed.header])
    for line in sorted(reasons):
        writer.writerow([line, "; ".join(reasons[line]), *parsed.cells.get(line, [])])
    return out.getvalue()

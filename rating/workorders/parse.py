"""An export file -> normalized work-order rows, plus every bad row with its reason.

Parsing is pure: it reads the file, never the database, so a file with bad rows is
rejected before anything is written. Unit and officer matching happen in the store.
"""

from __future__ import annotations

import functools
import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import chain
from pathlib import Path
from typing import IO, Any, NamedTuple

from rating.crypto import Keys, mask_phone, normalize_phone
from rating.safecell import SafeWriter
from rating.workorders import convert
from rating.workorders.convert import BadValue
from rating.workorders.messages import Joined, Reason
from rating.workorders.profiles import Profile, load_profile, norm_header
from rating.workorders.reader import ImportFileError, Sheet, open_sheet, read_sheet
from rating.workorders.schema import CODES, DB_COLUMNS, FIELD_BY_NAME, FIELDS

# A file can hold hundreds of thousands of bad rows (a wrong export: every row bad). Only
# the first KEEP_ERRORS are kept as objects (for the screen); the rest are counted, and
# every rejected row goes to the rejects CSV as it is found, so memory does not grow with
# the number of bad rows.
KEEP_ERRORS = 1000
# The rejects CSV stays in memory up to this size, then moves to a temporary file.
_REJECTS_IN_MEMORY = 1 << 20


@dataclass(frozen=True)
class RowError:
    line: int
    column: str  # "C 受理时间": the column's letter and the file's own header for it
    reason: Reason  # str(reason) is English; reason.text(lang) for a page
    position: int = 0  # column index, to list a row's problems left to right

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.reason}"


class OrderRow(NamedTuple):
    line: int
    values: tuple[Any, ...]  # aligned with ParsedFile.db_columns; values[0] is order_no


@dataclass
class ParsedFile:
    path: Path
    sha256: str
    kind: str
    encoding: str
    profile: Profile
    header_line: int
    header: list[str]
    columns: dict[str, str]  # field -> the file's header for it
    ignored: list[str]  # headers no field uses
    db_columns: tuple[str, ...]
    rows: list[OrderRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)  # the first KEEP_ERRORS
    error_count: int = 0  # all of them
    bad_lines: int = 0  # rows with at least one error (each one is in the rejects CSV)
    # The rejects CSV (see `rejects_csv`), written as the bad rows are read; None if none.
    rejects: IO[str] | None = field(default=None, repr=False)
    _rejects_writer: SafeWriter | None = field(default=None, repr=False)
    data_rows: int = 0

    def close(self) -> None:
        """Let go of the rejects CSV (a temporary file once it is large)."""
        if self.rejects is not None:
            self.rejects.close()

    def _reject(self, line: int, problems: list[RowError], cells: list[str]) -> None:
        self.error_count += len(problems)
        self.bad_lines += 1
        room = KEEP_ERRORS - len(self.errors)
        if room > 0:
            self.errors.extend(problems[:room])
        if self.rejects is None:
            self.rejects = tempfile.SpooledTemporaryFile(  # noqa: SIM115 (lives with self)
                _REJECTS_IN_MEMORY, "w+", encoding="utf-8", newline=""
            )
            # Closed with this object at the latest (a forgotten close() is no leak).
            weakref.finalize(self, self.rejects.close)
            self._rejects_writer = SafeWriter(self.rejects)
            self._rejects_writer.writerow(["行号 line", "原因 reason", *self.header])
        reasons = "; ".join(f"{p.column}: {p.reason}" for p in problems)
        assert self._rejects_writer is not None
        self._rejects_writer.writerow([line, reasons, *cells])


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA (as Excel names columns)."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def _find_header(
    rows: Iterator[tuple[int, list[Any]]], profile: Profile
) -> tuple[int, list[Any], dict[str, int]]:
    """(header line, header cells, field -> column index); `rows` continues after it."""
    index = profile.header_index()
    required = {f.name for f in FIELDS if f.required}
    best: tuple[int, int, set[str]] | None = None  # (matched, line, fields)
    for searched, (line, cells) in enumerate(rows, 1):
        chosen: dict[str, tuple[int, int]] = {}  # field -> (rank, column)
        for col, cell in enumerate(cells):
            hit = index.get(norm_header(cell))
            if hit and (hit[0] not in chosen or hit[1] < chosen[hit[0]][0]):
                chosen[hit[0]] = (hit[1], col)
        if required <= set(chosen):
            return line, cells, {f: c for f, (_, c) in chosen.items()}
        if chosen and (best is None or len(chosen) > best[0]):
            best = (len(chosen), line, set(chosen))
        if searched >= profile.header_search_rows:
            break
    if best is not None and best[0] >= 2:
        missing = sorted(required - best[2])
        names = tuple(
            f"{name} ({'/'.join(profile.columns.get(name, ())[:3] or (name,))})" for name in missing
        )
        raise ImportFileError(
            "header_incomplete",
            line=best[1],
            missing=Joined(names, "; ", "；"),
            profile=profile.name,
        )
    columns = tuple("/".join(profile.columns.get(n, ())[:3] or (n,)) for n in sorted(required))
    raise ImportFileError(
        "no_header",
        rows=profile.header_search_rows,
        profile=profile.name,
        columns=Joined(columns, " and ", " 和 "),
    )


def _converter(name: str, profile: Profile, keys: Keys, epoch: date) -> Callable[[Any], Any]:
    kind = FIELD_BY_NAME[name].kind
    if name == "order_no":
        return convert.identifier
    if kind == "time":
        return functools.partial(convert.time_ms, epoch=epoch, end_of_day=name == "due_at")
    if kind == "enum":
        primary: dict[str, str] = {}
        for spelling, code in profile.values[name].items():
            if code and not spelling.isascii():
                primary.setdefault(code, spelling)
        expected = tuple(primary.get(code, code) for code in CODES[name])
        return convert.enum_converter(profile.values[name], expected, name)
    if kind == "badge":
        return convert.badges
    if kind == "phone":
        return functools.partial(convert.phone, keys=keys)
    return convert.text


def _masked_cell(cell: Any) -> str:
    raw = convert.text(cell) or ""
    digits = normalize_phone(raw.lstrip("'"))
    if digits:
        return mask_phone(digits)
    only = "".join(ch for ch in raw if ch.isdigit())
    return mask_phone(only) if only else raw


def read_export(
    source: Path | bytes,
    channel: str,
    profile: str | None,
    keys: Keys,
    *,
    name: str = "",
    rows_to: Callable[[OrderRow], None] | None = None,
) -> ParsedFile:
    """Parse an export as `pingjing workorders import` and the admin upload both do: with
    the column profile `profile` (a built-in name or a .toml file), else the channel's own.
    `source` is a file, or the bytes of an upload called `name`. Raises ProfileError or
    ImportFileError for what cannot be used at all; bad rows are in the result's `errors`."""
    loaded = load_profile(profile or channel)
    if isinstance(source, bytes):
        return parse_file(Path(name or "upload"), loaded, keys, raw=source, rows_to=rows_to)
    return parse_file(source, loaded, keys, rows_to=rows_to)


def _guarded(sheet: Sheet) -> Iterator[tuple[int, list[Any]]]:
    """The sheet's rows, with whatever the spreadsheet library raises on a broken file
    (broken sheet XML: a ParseError deep inside it) as one ImportFileError: a one-line
    message on the CLI, a 400 page on the upload. Only the reading is guarded; errors in
    our own handling of a row are not disguised as a broken file."""
    rows = iter(sheet.rows)
    while True:
        try:
            item = next(rows)
        except StopIteration:
            return
        except Exception as exc:
            if sheet.kind != "xlsx" or isinstance(exc, ImportFileError):
                raise
            detail = f"{type(exc).__name__}: {exc}"
            raise ImportFileError("bad_xlsx", detail=detail) from None
        yield item


def parse_file(
    path: Path,
    profile: Profile,
    keys: Keys,
    *,
    raw: bytes | None = None,
    rows_to: Callable[[OrderRow], None] | None = None,
) -> ParsedFile:
    """Read and check every row of an export (from `raw` when given, `path` naming it).
    Raises ImportFileError for a file that cannot be used at all; bad rows are collected
    in `errors`, never raised. Good rows are kept in `rows`, or handed to `rows_to` one by
    one and not kept (a large file's rows need not all be in memory at once)."""
    try:
        sheet: Sheet = open_sheet(path) if raw is None else read_sheet(raw, path.name)
    except ImportFileError:
        raise
    except Exception as exc:  # whatever the spreadsheet library raises on a broken file
        raise ImportFileError("bad_xlsx", detail=f"{type(exc).__name__}: {exc}") from None
    lines = _guarded(sheet)
    header_line, header_cells, field_cols = _find_header(lines, profile)
    header = [convert.text(c) or "" for c in header_cells]
    present = [f.name for f in FIELDS if f.name in field_cols]
    used = set(field_cols.values())
    parsed = ParsedFile(
        path=path,
        sha256=sheet.sha256,
        kind=sheet.kind,
        encoding=sheet.encoding,
        profile=profile,
        header_line=header_line,
        header=header,
        columns={name: header[field_cols[name]] for name in present},
        ignored=[h for i, h in enumerate(header) if h and i not in used],
        db_columns=tuple(chain.from_iterable(DB_COLUMNS[name] for name in present)),
    )
    # Phone is the schema's last field, so its three columns end each row's values.
    plan = [
        (
            field_cols[name],
            f"{column_letter(field_cols[name])} {header[field_cols[name]]}",
            _converter(name, profile, keys, sheet.serial_epoch),
        )
        for name in present
    ]
    phone_col = field_cols.get("caller_phone")
    phone_plan = plan.pop() if phone_col is not None else None
    (order_col, order_label, _), (received_col, received_label, _) = plan[0], plan[1]
    width = max(field_cols.values()) + 1
    first_line: dict[str, int] = {}
    rows = parsed.rows
    for line, cells in lines:
        for cell in cells:
            if (
                cell is not None
                and cell != ""
                and (cell.__class__ is not str or not cell.isspace())
            ):
                break
        else:
            continue  # a blank row
        parsed.data_rows += 1
        if len(cells) < width:
            cells = [*cells, *[None] * (width - len(cells))]
        values: list[Any] = []
        problems: list[RowError] = []
        for col, label, conv in plan:
            try:
                values.append(conv(cells[col]))
            except BadValue as exc:
                problems.append(RowError(line, label, exc.reason, col))
                values.append(None)
        if phone_plan is not None:
            col, label, conv = phone_plan
            try:
                values.extend(conv(cells[col]))
            except BadValue as exc:
                problems.append(RowError(line, label, exc.reason, col))
                values.extend((None, None, None))
        order_no = values[0]
        if order_no is None and not any(p.position == order_col for p in problems):
            problems.append(RowError(line, order_label, Reason("order_no_empty"), order_col))
        if values[1] is None and not any(p.position == received_col for p in problems):
            empty = Reason("received_empty")
            problems.append(RowError(line, received_label, empty, received_col))
        if order_no is not None:
            earlier = first_line.setdefault(order_no, line)
            if earlier != line:
                reason = Reason("order_no_repeated", {"order_no": order_no, "line": earlier})
                problems.append(RowError(line, order_label, reason, order_col))
        if problems:
            kept = [convert.text(c) or "" for c in cells]
            if phone_col is not None:
                kept[phone_col] = _masked_cell(cells[phone_col])
            parsed._reject(line, sorted(problems, key=lambda p: p.position), kept)
            continue
        if rows_to is None:
            rows.append(OrderRow(line, tuple(values)))
        else:
            rows_to(OrderRow(line, tuple(values)))
    if not parsed.data_rows:
        raise ImportFileError("no_rows", line=header_line)
    return parsed


def rejects_path(path: Path) -> Path:
    """Where --skip-bad writes the rejected rows: beside the input file."""
    return path.with_name(path.stem + ".rejected.csv")


def write_rejects(parsed: ParsedFile, dest: Path) -> None:
    """The rejected rows with their reasons, as UTF-8 CSV with a BOM (Excel opens it).
    Phone numbers are masked: fix the rows in the original export and import it again."""
    with dest.open("w", encoding="utf-8-sig", newline="") as fh:
        if parsed.rejects is not None:
            parsed.rejects.seek(0)
            shutil.copyfileobj(parsed.rejects, fh)


def rejects_csv(parsed: ParsedFile) -> str:
    """The text of the rejects CSV (line, reasons, the original cells with phones masked);
    written with a UTF-8 BOM so that Excel opens it. The reasons are in English, as the
    command prints them. The cells are hotline content, typed by citizens: written with
    SafeWriter (no formulas)."""
    if parsed.rejects is None:
        return ""
    parsed.rejects.seek(0)
    return parsed.rejects.read()

"""The output folder: files written whole, their names, and the manifest.

The manifest (manifest.csv) is also the print record: `--only-changed` prints the
officers whose printed content (token, URL, name, unit, kind) differs from their row,
or who have none, or whose files are missing.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import os
import re
from dataclasses import dataclass, fields
from pathlib import Path

from qr.layout import BadgeText
from rating.safecell import SafeWriter, restore

MANIFEST = "manifest.csv"
PART = ".part"


class OutputError(Exception):
    """The output folder cannot be written."""


@dataclass(slots=True)
class ManifestRow:
    badge_no: str
    name: str
    kind: str
    unit: str
    token: str
    url: str
    png: str = ""
    png_sha256: str = ""
    svg: str = ""
    svg_sha256: str = ""
    sheet: str = ""
    sheet_page: str = ""
    sheet_sha256: str = ""


COLUMNS = tuple(f.name for f in fields(ManifestRow))


# ------------------------------------------------------------------ files


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that no reader ever sees a half-written file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}{PART}")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def sweep_partial(out: Path) -> None:
    """Remove temporary files an interrupted or killed run left behind."""
    for folder in (out, out / "png", out / "svg", out / "sheets"):
        if folder.is_dir():
            for leftover in folder.glob(f".*{PART}"):
                with contextlib.suppress(OSError):
                    leftover.unlink()


def prepare_out(out: Path, formats: tuple[str, ...]) -> None:
    folders = [out] + [
        out / sub
        for sub, fmt in (("png", "png"), ("svg", "svg"), ("sheets", "pdf"))
        if fmt in formats
    ]
    try:
        for folder in folders:
            folder.mkdir(parents=True, exist_ok=True)
        probe = out / f".write-test.{os.getpid()}{PART}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise OutputError(f"cannot write to output folder {out}: {reason}") from None


def safe_name(badge_no: str) -> str:
    """A file name for a badge number (badge numbers are letters and digits)."""
    if re.fullmatch(r"[0-9A-Za-z_-]+", badge_no):
        return badge_no
    digest = hashlib.sha256(badge_no.encode("utf-8")).hexdigest()[:8]
    return f"{re.sub(r'[^0-9A-Za-z_-]+', '_', badge_no)}-{digest}"


def safe_label(label: str) -> str:
    return re.sub(r"[^0-9A-Za-z_-]+", "_", label).strip("_") or "badges"


# ------------------------------------------------------------------ manifest


def read_manifest(out: Path) -> dict[str, ManifestRow]:
    """The print record in `out`, by badge number (empty if there is none)."""
    path = out / MANIFEST
    if not path.is_file():
        return {}
    rows = {}
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            for raw in csv.DictReader(f):
                values = {c: restore(raw.get(c) or "") for c in COLUMNS}
                rows[values["badge_no"]] = ManifestRow(**values)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise OutputError(
            f"cannot read the print record {path} ({exc}); move it away to start a new one"
        ) from None
    return rows


def manifest_bytes(rows: list[ManifestRow]) -> bytes:
    buf = io.StringIO(newline="")
    # Names and units come from the roster: a name typed as a formula stays text in Excel.
    writer = SafeWriter(buf, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([getattr(row, c) for c in COLUMNS])
    # With a byte-order mark, Excel on a Chinese Windows desktop opens it as UTF-8.
    return buf.getvalue().encode("utf-8-sig")


def changed_since_last_print(
    texts: list[BadgeText], out: Path, formats: tuple[str, ...]
) -> list[BadgeText]:
    """Badges that are new, re-issued or otherwise different from the last print."""
    previous = read_manifest(out)
    changed = []
    for text in texts:
        row = previous.get(text.badge_no)
        same = row is not None and (row.token, row.url, row.name, row.unit, row.kind) == (
            text.token,
            text.url,
            text.name,
            text.unit_path,
            text.kind,
        )
        if same and row is not None:
            files = {"png": row.png, "svg": row.svg, "pdf": row.sheet}
            same = all(files[f] and (out / files[f]).is_file() for f in formats)
        if not same:
            changed.append(text)
    return changed


def merge_rows(
    previous: dict[str, ManifestRow], printed: list[ManifestRow], sheet: str
) -> list[ManifestRow]:
    fresh = {r.badge_no for r in printed}
    # A row pointing into the sheet file this run replaced would describe the wrong page.
    kept = [r for b, r in previous.items() if b not in fresh and not (sheet and r.sheet == sheet)]
    return sorted(kept + printed, key=lambda r: (r.unit, r.badge_no))

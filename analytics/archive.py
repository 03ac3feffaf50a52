"""The report archive: every weekly report generated, kept as files with the moment it used.

Layout under the archive folder (`PINGJING_REPORT_ARCHIVE_DIR`, default `reports/` beside
the SQLite file):

    weekly/<2026-W47>/<unit code or ALL>/<20261124T090000>/   the moment, Asia/Shanghai
        report.xlsx  report.html  report.zip  *.csv  meta.json

An entry is written into a temporary folder and renamed into place, so a listed entry is
always complete. The same week, scope and moment give the same report, so a second run for
an existing entry keeps the first. Light on purpose: no pandas (the admin pages list it).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rating.settings import Settings

ALL = "ALL"
KIND = "weekly"
META = "meta.json"
_WEEK_RE = re.compile(r"^\d{4}-W\d{2}$")
_SCOPE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_STAMP_RE = re.compile(r"^\d{8}T\d{6}$")
_FILE_RE = re.compile(r"^[a-z_]+\.(xlsx|html|zip|csv)$")
SHANGHAI = timedelta(hours=8)

MEDIA = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
    "zip": "application/zip",
    "csv": "text/csv; charset=utf-8",
}


def archive_root(settings: Settings) -> Path:
    """The archive folder: the setting, else `reports/` beside the SQLite file (or in the
    working folder for PostgreSQL)."""
    if settings.report_archive_dir:
        return Path(settings.report_archive_dir)
    if settings.is_postgres:
        return Path("reports")
    return Path(settings.database).resolve().parent / "reports"


def stamp(ms: int) -> str:
    """Epoch ms → '20261124T090000' (Asia/Shanghai), the folder name of a moment."""
    local = datetime.fromtimestamp(ms / 1000, UTC) + SHANGHAI
    return local.strftime("%Y%m%dT%H%M%S")


def scope_key(unit_code: str | None) -> str:
    return unit_code or ALL


@dataclass(frozen=True)
class Entry:
    """One archived report."""

    week: str
    scope: str  # the unit code, or ALL
    moment: str  # stamp of the as-of moment
    meta: dict[str, object]

    @property
    def key(self) -> str:
        return f"{self.week}/{self.scope}/{self.moment}"

    @property
    def as_of_ms(self) -> int:
        return int(str(self.meta.get("as_of_ms", 0)))

    @property
    def unit_path(self) -> str | None:
        value = self.meta.get("unit_path")
        return None if value is None else str(value)

    @property
    def files(self) -> list[str]:
        return [str(f) for f in self.meta.get("files", [])]  # type: ignore[attr-defined]


def entry_dir(root: Path, week: str, scope: str, moment: str) -> Path:
    """The folder of one entry; ValueError for a name that is not one of ours (no path
    tricks reach the file system)."""
    if not (_WEEK_RE.match(week) and _SCOPE_RE.match(scope) and _STAMP_RE.match(moment)):
        raise ValueError("not an archive entry")
    return root / KIND / week / scope / moment


def commit(root: Path, staging: Path, meta: dict[str, object]) -> Entry:
    """Move a folder of rendered files into the archive as one entry (with meta.json)."""
    week, scope, moment = str(meta["week"]), str(meta["scope"]), str(meta["moment"])
    final = entry_dir(root, week, scope, moment)
    files = sorted(p.name for p in staging.iterdir() if _FILE_RE.match(p.name))
    meta = {**meta, "files": files}
    (staging / META).write_text(json.dumps(meta, ensure_ascii=False, indent=1), "utf-8")
    final.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(staging, final)
    except OSError:
        if not (final / META).exists():
            raise
        shutil.rmtree(staging, ignore_errors=True)  # the same report is already kept
        return load_entry(root, week, scope, moment)
    return Entry(week, scope, moment, meta)


def staging_dir(root: Path) -> Path:
    """A fresh folder on the archive's file system (so the final rename is atomic)."""
    base = root / ".staging"
    base.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="report-", dir=base))


def load_entry(root: Path, week: str, scope: str, moment: str) -> Entry:
    folder = entry_dir(root, week, scope, moment)
    meta = json.loads((folder / META).read_text("utf-8"))
    return Entry(week, scope, moment, meta)


def entries(
    root: Path, *, week: str | None = None, scope: str | None = None, limit: int = 200
) -> list[Entry]:
    """Archived reports, newest week first and newest moment first within a week."""
    base = root / KIND
    if not base.is_dir():
        return []
    found: list[Entry] = []
    weeks = sorted((p.name for p in base.iterdir() if _WEEK_RE.match(p.name)), reverse=True)
    for w in weeks:
        if week and w != week:
            continue
        for s_dir in sorted((base / w).iterdir()):
            if not _SCOPE_RE.match(s_dir.name) or (scope and s_dir.name != scope):
                continue
            for m_dir in sorted(s_dir.iterdir(), reverse=True):
                if _STAMP_RE.match(m_dir.name) and (m_dir / META).exists():
                    found.append(load_entry(root, w, s_dir.name, m_dir.name))
        if len(found) >= limit:
            break
    found.sort(key=lambda e: (e.week, e.moment), reverse=True)
    return found[:limit]


def file_path(root: Path, entry: Entry, name: str) -> Path:
    """The path of one file of an entry; ValueError if the entry has no such file."""
    if not _FILE_RE.match(name) or name not in entry.files:
        raise ValueError("no such file in this report")
    return entry_dir(root, entry.week, entry.scope, entry.moment) / name

"""An admin upload imported in a process of its own.

Parsing a large export is pure Python: in a thread of the server it would hold the GIL
against the event loop, and a 500,000-row file once pushed citizens' rating latency to
9-10 s. So the server saves the upload to a file (Starlette has already spooled it to
disk) and runs this module's `main` in a child process: the child checks the file, opens
its own connection to the database and imports as `pingjing workorders import` does, in
short transactions (`import_streamed`), so the server's writer commits ratings between
them, and without holding the file's rows in memory. The server only waits for a small
summary: the counts and the first errors to show. Request and reply are pickles on the
child's stdin and stdout, between this server and the process it started.
"""

from __future__ import annotations

import asyncio
import pickle
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rating.crypto import Keys
from rating.settings import Settings
from rating.store import make_store
from rating.workorders.messages import Reason
from rating.workorders.parse import OrderRow, ParsedFile, RowError, read_export
from rating.workorders.profiles import ProfileError
from rating.workorders.reader import ImportFileError
from rating.workorders.store import ImportResult, RowKeeper, at_low_priority, import_checked

SHOW_ERRORS = 200


@dataclass(frozen=True)
class Job:
    settings: Settings
    path: str  # the saved upload (named "upload" plus the file's own suffix)
    name: str  # the file's name as uploaded
    channel: str
    profile: str | None
    skip_bad: bool


@dataclass
class Summary:
    """What the upload page shows of an import (never the rows themselves)."""

    name: str
    kind: str
    encoding: str
    profile: str
    header_line: int
    data_rows: int
    ignored: list[str]
    stored: bool
    bad_lines: int
    errors: list[RowError]  # the first SHOW_ERRORS
    error_count: int
    rejects: bool
    result: ImportResult = field(default_factory=ImportResult)


class ImportFailed(Exception):
    """The worker could not run or died; the message says why (English)."""


async def _run(job: Job) -> Summary:
    keys = Keys(job.settings.resolved_secret())
    path = Path(job.path)

    def scan(rows_to: Callable[[OrderRow], None]) -> ParsedFile:
        return read_export(path, job.channel, job.profile, keys, rows_to=rows_to)

    # Check every row, keeping the good ones up to KEEP_ROWS; a larger file is read
    # again into the database a chunk at a time (if it may be stored), so memory does
    # not grow with it.
    kept = RowKeeper()
    parsed = at_low_priority(lambda: scan(kept))
    parsed.path = Path(job.name)  # the name the admin knows it by, for the import log
    store = make_store(job.settings, one_shot=True)
    await store.open()
    try:
        result = await import_checked(store, parsed, kept, scan, job.channel, skip_bad=job.skip_bad)
    finally:
        await store.close()
        parsed.close()
    return Summary(
        name=parsed.path.name,
        kind=parsed.kind,
        encoding=parsed.encoding,
        profile=parsed.profile.name,
        header_line=parsed.header_line,
        data_rows=parsed.data_rows,
        ignored=parsed.ignored,
        stored=not parsed.errors or job.skip_bad,
        bad_lines=parsed.bad_lines,
        errors=parsed.errors[:SHOW_ERRORS],
        error_count=parsed.error_count,
        rejects=parsed.rejects is not None,
        result=result,
    )


def main() -> None:
    # Admin work yields the CPU to citizens' requests: the parsing and matching run at
    # IMPORT_NICE (`at_low_priority`), the short write transactions at the server's
    # priority, so that the write lock is never held by a thread that waits for the CPU.
    job: Job = pickle.load(sys.stdin.buffer)  # noqa: S301 (from the server that started us)
    reply: tuple[str, object]
    try:
        reply = ("ok", asyncio.run(_run(job)))
    except ImportFileError as exc:
        reply = ("file", exc.reason)
    except ProfileError as exc:
        reply = ("profile", str(exc))
    sys.stdout.buffer.write(pickle.dumps(reply))
    sys.stdout.buffer.flush()


async def run_import(job: Job) -> Summary:
    """Run `job` in a child process; raise ImportFileError or ProfileError as the parse
    would, ImportFailed if the child fails otherwise."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        # The server's sys.path, so the child imports the same code.
        f"import sys; sys.path[:] = {sys.path!r}; "
        "from rating.workorders.worker import main; main()",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=None,
    )
    out, err = await proc.communicate(pickle.dumps(job))
    if proc.returncode != 0 or not out:
        tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        raise ImportFailed(f"the import worker failed (exit {proc.returncode}): {tail[0]}")
    kind, value = pickle.loads(out)  # noqa: S301 (our own child)
    if kind == "file":
        assert isinstance(value, Reason)
        raise ImportFileError(value.code, **value.params)
    if kind == "profile":
        raise ProfileError(str(value))
    assert isinstance(value, Summary)
    return value

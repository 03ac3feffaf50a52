"""Reports built outside the server process (the server side of analytics.job).

A report at city scale reads half a million rows and peaks at a few hundred megabytes of
pandas frames. Built inside the server, it shared the connection that looks up badge codes
and the interpreter that serves citizens, and four at once stalled a citizen's page for
seconds and left the server holding 800 MB. Here each report is a child process with its
own read connection, at a lower CPU priority; at most `PINGJING_REPORT_WORKERS` run at once
and a few more may wait; a child past `PINGJING_REPORT_TIMEOUT_SECONDS` is stopped. No
pandas is imported into the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import sys

from analytics import archive
from rating.settings import Settings

MAX_WAITING = 8


class ReportBusy(Exception):
    """Too many reports waiting already."""


class ReportFailed(Exception):
    """The worker process failed (crashed, timed out): not the user's mistake."""


class ReportRejected(ValueError):
    """The request itself is wrong (unknown unit, malformed week)."""


class ReportWorkers:
    """Runs report jobs in child processes, at most `limit` at once."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.limit = max(1, settings.report_workers)
        self._slots = asyncio.Semaphore(self.limit)
        self.waiting = 0
        self.running = 0

    async def weekly(
        self,
        *,
        week: str | None,
        unit: str | None,
        as_of_ms: int | None,
        source: str = "admin",
    ) -> archive.Entry:
        """Build (and archive) one weekly report in a worker process; its archive entry."""
        if self.waiting >= MAX_WAITING:
            raise ReportBusy("too many reports are being prepared; try again in a minute")
        self.waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self.waiting -= 1
        self.running += 1
        try:
            request = {
                "settings": dataclasses.asdict(self.settings),
                "week": week,
                "unit": unit,
                "as_of_ms": as_of_ms,
                "source": source,
            }
            reply = await self._run(json.dumps(request).encode())
        finally:
            self.running -= 1
            self._slots.release()
        week_label, scope, moment = str(reply["entry"]).split("/")
        root = archive.archive_root(self.settings)
        return await asyncio.to_thread(archive.load_entry, root, week_label, scope, moment)

    async def _run(self, payload: bytes) -> dict[str, object]:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "analytics.job",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            out, err = await asyncio.wait_for(
                proc.communicate(payload), timeout=self.settings.report_timeout_seconds
            )
        except (TimeoutError, asyncio.CancelledError) as exc:
            # Timed out, or the client went away: the child's work is no longer wanted.
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            with contextlib.suppress(Exception):
                await asyncio.shield(proc.wait())
            if isinstance(exc, TimeoutError):
                limit = self.settings.report_timeout_seconds
                raise ReportFailed(
                    f"the report took longer than {limit} s and was stopped"
                ) from None
            raise
        lines = out.decode("utf-8", "replace").strip().splitlines()
        try:
            reply: dict[str, object] = json.loads(lines[-1]) if lines else {}
        except ValueError:
            reply = {}
        if proc.returncode == 2 and reply.get("ok") is False:
            raise ReportRejected(str(reply.get("error", "bad report request")))
        if proc.returncode != 0 or not reply.get("ok"):
            tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
            raise ReportFailed(f"report worker failed (exit {proc.returncode}): {tail[0]}")
        return reply

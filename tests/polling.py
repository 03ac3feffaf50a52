"""One way to wait in tests for something another process or task does: poll a condition
until it holds or a deadline passes, then fail naming what was awaited. (A clock can be
injected for our own rules; a server starting or a background task finishing cannot be.)"""

from __future__ import annotations

import asyncio
import inspect
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path


async def until(
    condition: Callable[[], bool | Awaitable[bool]],
    what: str,
    timeout: float = 10.0,
    every: float = 0.02,
) -> None:
    """Poll `condition` (plain or async) in the event loop until it is true."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(every)


def until_sync(
    condition: Callable[[], bool], what: str, timeout: float = 10.0, every: float = 0.1
) -> None:
    """Poll `condition` from a plain (not async) test or fixture until it is true."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(every)


def wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    """Wait for a server started as `proc` to answer `url`/healthz with 200; fail with its
    log if it exits or does not answer in time."""

    def answers() -> bool:
        if proc.poll() is not None:
            raise AssertionError(
                f"server exited with {proc.returncode}:\n" + log.read_text(errors="replace")
            )
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as r:  # noqa: S310
                return bool(r.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    try:
        until_sync(answers, f"{url}/healthz", timeout)
    except AssertionError as exc:
        if "timed out" not in str(exc):
            raise
        raise AssertionError(f"{exc}\n" + log.read_text(errors="replace")) from None

"""The rating writer both stores share: a queue of submitted ratings, taken in batches by
a write loop, each batch committed in one transaction and every request answered with
its own result; rate-limit counters pruned every few minutes.

Each store says only how a batch is committed (`_commit_batch`) and what follows it
(`_after_batch`); the SQLite writer process, which takes its batches without a queue,
uses `_settle` and `_prune_due` alone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

from rating import metrics
from rating.clock import now_ms
from rating.store.base import (
    Pending,
    StoreUnavailable,
    all_unavailable,
    fail_all,
    next_batch,
    settle,
)
from rating.store.models import RatingResult, RatingSubmission

log = logging.getLogger("pingjing.store")

PRUNE_EVERY_MS = 600_000


class BatchWriter:
    """Mixin for a store's rating writer (see the module docstring)."""

    batch_max: int
    # The clock a batch of ratings is applied at (rate-limit windows, amend times), read
    # on this side and sent with the batch: the SQLite writer runs in a process of its
    # own, so a test injects its clock here (tests/rating/test_api.py).
    clock: Callable[[], int]
    _queue: asyncio.Queue[Pending | None]
    _last_prune: int = 0
    _failed: bool = False

    async def _commit_batch(
        self, subs: list[RatingSubmission]
    ) -> Sequence[RatingResult | BaseException]:
        """Commit `subs` in one transaction; raise only if nothing of it was stored."""
        raise NotImplementedError

    async def _after_batch(self) -> None:
        """What runs after each batch has been answered (nothing by default)."""

    def _prune_due(self) -> bool:
        """Whether the rate-limit counters are due for pruning (then they count as pruned)."""
        now = now_ms()
        if now - self._last_prune > PRUNE_EVERY_MS:
            self._last_prune = now
            return True
        return False

    def _settle(self, batch: list[Pending], done: asyncio.Future[Any]) -> None:
        """Answer every request of `batch` from its commit's outcome `done`."""
        exc = done.exception()
        if exc is not None:  # the commit failed: nothing in the batch is stored
            log.error("rating batch of %d failed to commit: %s", len(batch), exc)
            self._failed = True
            fail_all(batch, exc)
        else:
            results = done.result()
            # One bad rating is no outage: healthz turns only when the database is.
            self._failed = all_unavailable(results)
            settle(batch, results)

    def _fail_queued(self, reason: str) -> int:
        """Answer every rating still waiting in the queue (none of it sent to the database)
        with StoreUnavailable; the stop sentinel stays. Called when the database is found
        gone: ratings queued behind a batch that waits for it would otherwise wait for that
        batch's timeout first and then for their own (twice the timeout, measured)."""
        waiting: list[Pending] = []
        stops = 0
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if item is None:
                stops += 1
            else:
                waiting.append(item)
        for _ in range(stops):
            self._queue.put_nowait(None)
        fail_all(waiting, StoreUnavailable(reason))
        return len(waiting)

    async def _write_loop(self) -> None:
        """Take one batch at a time from the queue until the stop sentinel (None)."""
        while True:
            batch, stop = await next_batch(self._queue, self.batch_max)
            if not batch:
                return
            done = asyncio.ensure_future(self._commit_batch([s for s, _ in batch]))
            metrics.batch_sent(len(batch), done)
            await asyncio.wait([done])
            self._settle(batch, done)
            await self._after_batch()
            if stop:
                return

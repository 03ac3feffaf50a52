"""Background work of the server: purge at start-up and periodically, webhook delivery,
notifications (scan for new events and send them: rating/notify)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from rating.cases import service, webhook
from rating.clock import now_ms

if TYPE_CHECKING:
    from rating.service import Services

log = logging.getLogger("pingjing.background")


class Background:
    def __init__(self, services: Services) -> None:
        self.svc = services
        self.tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        settings = self.svc.settings
        # Provisional deadlines: the calendar package may have been upgraded since.
        try:
            await service.recompute(self.svc.store)
        except Exception:
            log.exception("recomputing provisional deadlines failed")
        self.tasks.append(asyncio.create_task(self._purge_loop(), name="pingjing-purge"))
        if settings.notify_poll_seconds > 0:
            self.tasks.append(asyncio.create_task(self._notify_loop(), name="pingjing-notify"))
        self.tasks.append(asyncio.create_task(self._spotcheck_loop(), name="pingjing-spotcheck"))
        if settings.webhook_url:
            if not settings.webhook_secret:
                log.error("PINGJING_WEBHOOK_URL is set without PINGJING_WEBHOOK_SECRET: not sent")
            else:
                self.tasks.append(
                    asyncio.create_task(self._webhook_loop(), name="pingjing-webhook")
                )

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.tasks.clear()

    async def _purge_loop(self) -> None:
        interval = max(1, self.svc.settings.purge_interval_hours) * 3600
        while True:
            try:
                result = await service.run_purge(self.svc.store, self.svc.settings)
                log.info(
                    "purged %d phone numbers, %d device records", result.phones, result.devices
                )
            except Exception:
                log.exception("purge failed")
            await asyncio.sleep(interval)

    async def _spotcheck_loop(self) -> None:
        # Hourly, so a server started after midnight still samples yesterday; a day is
        # sampled once whichever instance comes first (rating/spotcheck/store.py).
        from rating.spotcheck import service as spotcheck

        while True:
            try:
                await spotcheck.sample_yesterday(self.svc.store, self.svc.settings, now_ms())
            except Exception:
                log.exception("spot-check sample failed")
            await asyncio.sleep(3600)

    async def _webhook_loop(self) -> None:
        s = self.svc.settings
        while True:
            try:
                await webhook.deliver_due(
                    self.svc.store,
                    s.webhook_url,
                    s.webhook_secret,
                    now_ms(),
                    s.webhook_max_attempts,
                    int(s.webhook_retry_seconds * 1000),
                )
            except Exception:
                log.exception("webhook delivery failed")
            await asyncio.sleep(s.webhook_poll_seconds)

    async def _notify_loop(self) -> None:
        from rating.notify import deliver

        config = deliver.Config.from_settings(self.svc.settings)
        while True:
            # Sleep first: start-up stays quick, and a server that lives for seconds (a
            # test, a migration check) sends nothing.
            await asyncio.sleep(self.svc.settings.notify_poll_seconds)
            try:
                await deliver.run_once(self.svc.store, config, now_ms())
            except Exception:
                log.exception("notification round failed")

"""The store: one interface, SQLite by default (PostgreSQL behind the same interface)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rating.cases.model import Deadlines
from rating.settings import Settings
from rating.store.models import RateLimits

if TYPE_CHECKING:
    from rating.store.base import Store, StoreUnavailable

__all__ = ["Store", "StoreUnavailable", "make_store", "limits_from"]


def __getattr__(name: str) -> Any:
    # Store and StoreUnavailable load on first use: the units of work (rating/cases/*)
    # import rating.store.tx and rating.store.receipts, and running base.py (which
    # imports the rating rules, which import rating/cases/logic.py) from this package's
    # start would make that an import cycle.
    if name in ("Store", "StoreUnavailable"):
        from rating.store import base

        return getattr(base, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def limits_from(settings: Settings) -> RateLimits:
    return RateLimits(
        device_per_hour=settings.rate_limit_device_per_hour,
        network_per_hour=settings.rate_limit_network_per_hour,
        amend_window_ms=settings.amend_window_minutes * 60_000,
        deadlines=Deadlines(
            callback_workdays=settings.callback_due_workdays,
            rectify_workdays=settings.rectify_due_workdays,
            retry_workdays=settings.retry_due_workdays,
            verify_workdays=settings.verify_due_workdays,
            act_workdays=settings.act_due_workdays,
        ),
    )


def make_store(settings: Settings, *, one_shot: bool = False) -> Store:
    """The store the settings name (not yet opened).

    `one_shot`: for a CLI command that opens the store for a moment. SQLite then writes
    on a thread of this process instead of starting its writer process.
    """
    if settings.is_postgres:
        from rating.store.postgres import PostgresStore

        return PostgresStore(
            settings.database,
            limits_from(settings),
            batch_max=settings.write_batch_max,
            timeout=settings.database_timeout_seconds,
        )
    from rating.store.sqlite import SqliteStore

    return SqliteStore(
        settings.database,
        limits_from(settings),
        synchronous=settings.sqlite_synchronous,
        batch_max=settings.write_batch_max,
        writer="thread" if one_shot else "process",
    )

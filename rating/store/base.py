"""The store interface every backend implements.

Views, the CLI and the analytics package talk to this interface only. Backends differ in
how they run a unit of work (see `logic.py`); the rules themselves live in `logic.py`.
"""

from __future__ import annotations

import abc
import asyncio
import functools
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from rating.clock import now_ms
from rating.store import logic
from rating.store.models import (
    Officer,
    RateLimits,
    RatingResult,
    RatingSubmission,
    RatingView,
    RosterResult,
    RosterRow,
    TokenLookup,
    Unit,
)
from rating.store.tx import RollBack

T = TypeVar("T")
log = logging.getLogger("pingjing.store")

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


DIALECTS = ("sqlite", "postgres")


def migration_files(dialect: str = "sqlite") -> list[tuple[int, str, str]]:
    """(version, name, sql) for every numbered migration, in order.

    Most migrations are one portable file. A change the two databases make differently
    (SQLite rebuilds a table to drop a constraint) comes as NNNN_name.sqlite.sql and
    NNNN_name.postgres.sql; each database takes its own, under the one name."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown SQL dialect {dialect!r}")
    out = []
    for path in sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql")):
        name, _, own = path.stem.partition(".")
        if own and own != dialect:
            continue
        out.append((int(path.name[:4]), name, path.read_text(encoding="utf-8")))
    return out


def split_sql(script: str) -> list[str]:
    """Statements of a migration file (no semicolons inside literals in our migrations,
    except in a $$-quoted function body, which stays whole)."""
    lines = [ln for ln in script.splitlines() if not ln.strip().startswith("--")]
    stmts: list[str] = []
    buf = ""
    for n, part in enumerate("\n".join(lines).split("$$")):
        if n % 2:  # inside $$ ... $$
            buf += "$$" + part + "$$"
            continue
        first, *rest = part.split(";")
        buf += first
        for piece in rest:
            stmts.append(buf)
            buf = piece
    stmts.append(buf)
    return [s.strip() for s in stmts if s.strip()]


class StoreUnavailable(Exception):
    """The database could not commit; nothing was stored."""


class RatingFailed(Exception):
    """This one rating could not be stored, for a reason of its own (not the database
    being unavailable): the others of its batch were stored. Retrying will not help.

    `status` is what its request answers: 400 for data the database refuses (text that is
    not valid Unicode, a number out of range), 500 for anything else.
    """

    def __init__(self, message: str, status: int = 500) -> None:
        super().__init__(message, status)
        self.message = message
        self.status = status

    def __str__(self) -> str:
        return self.message


Pending = tuple[RatingSubmission, "asyncio.Future[RatingResult]"]
S = TypeVar("S")
R = TypeVar("R")


# SQLSTATE classes that mean the server cannot take the work now: connection exception,
# insufficient resources, operator intervention (shutdown, statement timeout), system error.
UNAVAILABLE_SQLSTATE_CLASSES = ("08", "53", "57", "58")


def looks_unavailable(exc: BaseException) -> bool:
    """A driver-neutral guess whether `exc` means the database is unavailable: what both
    sqlite3 and psycopg call OperationalError, an OSError, or such an SQLSTATE class."""
    if isinstance(exc, (StoreUnavailable, OSError)):
        return True
    if any(t.__name__ == "OperationalError" for t in type(exc).__mro__):
        return True
    sqlstate = getattr(exc, "sqlstate", None)
    return isinstance(sqlstate, str) and sqlstate[:2] in UNAVAILABLE_SQLSTATE_CLASSES


def item_failure(
    exc: BaseException, unavailable: Callable[[BaseException], bool] = looks_unavailable
) -> Exception:
    """What one rating's own failure tells its request: StoreUnavailable (503, try again)
    only when the database is unavailable, else a RatingFailed of its own."""
    if isinstance(exc, (StoreUnavailable, RatingFailed)):
        return exc
    if unavailable(exc):
        return StoreUnavailable(str(exc))
    # Data the database (or its driver) refuses: validation should have caught it.
    data = isinstance(exc, ValueError) or type(exc).__name__ == "DataError"
    return RatingFailed(f"{type(exc).__name__}: {exc}", 400 if data else 500)


def run_isolated(
    run: Callable[[list[S]], list[R | BaseException]],
    items: list[S],
    unavailable: Callable[[BaseException], bool],
) -> list[R | BaseException]:
    """`run(items)` (one transaction for the batch); if it fails for a reason other than
    the database being unavailable, `run([item])` for each item in turn, so that only the
    bad one fails and every other one commits.

    Returns one result or exception (StoreUnavailable or RatingFailed) per item. Raises
    only when the batch as a whole failed because the database is unavailable: then
    nothing was stored. Both backends use it around their batch of ratings.
    """
    try:
        return run(items)
    except Exception as exc:
        if unavailable(exc):
            raise
        if len(items) == 1:
            return [item_failure(exc, unavailable)]
        # The type only: an error's text can quote what a citizen typed.
        log.warning(
            "rating batch of %d failed (%s); storing its items one by one",
            len(items),
            type(exc).__name__,
        )
    out: list[R | BaseException] = []
    for item in items:
        try:
            out += run([item])
        except Exception as one:
            failure = item_failure(one, unavailable)
            if isinstance(failure, RatingFailed):
                log.error("a rating could not be stored (%s)", type(one).__name__)
            out.append(failure)
    return out


async def next_batch(
    queue: asyncio.Queue[Pending | None], batch_max: int
) -> tuple[list[Pending], bool]:
    """Wait for one queued rating, then take whatever else is already waiting.

    Returns the batch and whether the stop sentinel (None) was seen.
    """
    first = await queue.get()
    if first is None:
        return [], True
    batch = [first]
    while len(batch) < batch_max and not queue.empty():
        item = queue.get_nowait()
        if item is None:
            return batch, True
        batch.append(item)
    return batch, False


def settle(batch: list[Pending], results: Sequence[RatingResult | BaseException]) -> None:
    """Answer each waiting request with its own result; an item's error fails only it.

    A RatingFailed or StoreUnavailable reaches its request as it is; any other error (a
    backend that did not classify its items' errors) is classified by `looks_unavailable`.
    """
    for (_, fut), res in zip(batch, results, strict=True):
        if fut.done():
            continue
        if isinstance(res, BaseException):
            fut.set_exception(item_failure(res))
        else:
            fut.set_result(res)


def all_unavailable(results: Sequence[RatingResult | BaseException]) -> bool:
    """Whether every item of a settled batch failed for want of the database."""
    return bool(results) and all(isinstance(r, StoreUnavailable) for r in results)


def fail_all(batch: list[Pending], exc: BaseException) -> None:
    """The batch's commit failed: nothing in it is stored, every request hears so."""
    for _, fut in batch:
        if not fut.done():
            fut.set_exception(StoreUnavailable(str(exc)))


class Store(abc.ABC):
    """Async store. Every write is one transaction; ratings are committed in batches."""

    limits: RateLimits

    @abc.abstractmethod
    async def open(self) -> None: ...

    @abc.abstractmethod
    async def close(self) -> None: ...

    @abc.abstractmethod
    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a read-only unit of work."""

    @abc.abstractmethod
    async def write(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(tx, *args)` in one write transaction (through the single write path).

        `fn` and `args` must pickle (a module-level function, or functools.partial of
        one): SQLite's writer runs in a process of its own.
        """

    async def write_grouped(self, fn: Callable[..., T], *args: Any) -> T:
        """`write`, for a small unit of work many requests make at once (a letter): the
        store may commit it together with others in one transaction, each under a
        savepoint of its own, so they share one commit (one fsync). Still returns only
        after the commit is durable; a unit that raises is undone alone and raises here,
        the others commit. Same pickling rule as `write`.

        By default one transaction each, as `write` (PostgreSQL: concurrent commits on
        the pool, which the database itself flushes together)."""
        return await self.write(fn, *args)

    @abc.abstractmethod
    async def submit_rating(self, sub: RatingSubmission) -> RatingResult:
        """Store a rating; returns only after the commit is durable."""

    @abc.abstractmethod
    async def backup(self, dest: str) -> None: ...

    @abc.abstractmethod
    def healthy(self) -> bool: ...

    # ---- named operations, shared by all backends

    async def lookup_token(self, token: str) -> TokenLookup:
        return await self.read(logic.lookup_token, token)

    async def page_epoch(self) -> int:
        return await self.read(logic.page_epoch)

    async def officer_by_badge(self, badge_no: str) -> Officer | None:
        return await self.read(logic.officer_by_badge, badge_no)

    async def list_officers(
        self, unit_path: str | None = None, include_retired: bool = False
    ) -> list[Officer]:
        return await self.read(logic.list_officers, unit_path, include_retired)

    async def list_units(self) -> list[Unit]:
        return await self.read(logic.list_units)

    async def unit_by_code(self, code: str) -> Unit | None:
        return await self.read(logic.unit_by_code, code)

    async def ensure_unit_path(self, path: str) -> Unit:
        return await self.write(logic.ensure_unit_path, path, now_ms())

    async def reissue_token(self, badge_no: str) -> Officer | None:
        return await self.write(logic.reissue_token, badge_no, now_ms())

    async def import_roster(
        self,
        rows: Sequence[RosterRow],
        *,
        skip_bad: bool = False,
        retire_missing: bool = False,
        prior_errors: Sequence[tuple[int, str]] = (),
    ) -> RosterResult:
        work = functools.partial(
            logic.import_roster,
            now=now_ms(),
            skip_bad=skip_bad,
            retire_missing=retire_missing,
            prior_errors=tuple(prior_errors),
        )
        try:
            return await self.write(work, list(rows))
        except RollBack as undone:
            result: RosterResult = undone.result
            return result

    async def rating_by_receipt(self, receipt: str) -> RatingView | None:
        return await self.read(logic.rating_by_receipt, receipt)

    async def count_ratings(self) -> int:
        return await self.read(logic.count_ratings)

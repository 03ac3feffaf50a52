"""Prometheus metrics (prometheus-client), served at /metrics to allowed scrapers only
(rating/metrics_web.py; this module holds the counters, which the store updates too, and
imports nothing of the web side or the store).

Cheap on the citizen path: a rating costs two counter increments, a gauge up and down and
one histogram observation, each on a label child looked up once and kept (no label
parsing per request). Everything else (cases by state, overdue cases) is read from the
database when Prometheus scrapes, not counted on the write path. PINGJING_METRICS=false
removes even that (no middleware, /metrics answers 404).

The SQLite writer runs in a process of its own; the commit latency measured here is the
app's view of it: from sending a batch to the writer until its reply (its fsync included).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

# Request latency buckets around the citizen target (p99 < 50 ms) and up to a slow import.
_LATENCY = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_BATCH = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
_JOB = (0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600)

REQUESTS = Counter(
    "pingjing_http_requests_total", "HTTP requests by route template, method and status",
    ["route", "method", "status"],
)  # fmt: skip
LATENCY = Histogram(
    "pingjing_http_request_duration_seconds", "HTTP request latency by route and status",
    ["route", "method", "status"], buckets=_LATENCY,
)  # fmt: skip
RATINGS = Counter(
    "pingjing_ratings_total", "Ratings stored, by level, channel and outcome (created/amended)",
    ["level", "channel", "outcome"],
)  # fmt: skip
IN_FLIGHT = Gauge(
    "pingjing_writer_queue_depth", "Ratings submitted and waiting for their commit (writer queue)"
)
BATCH_SIZE = Histogram(
    "pingjing_writer_batch_size", "Ratings committed per write batch", buckets=_BATCH
)
COMMIT = Histogram(
    "pingjing_writer_commit_seconds",
    "Rating batch commit latency seen by the app (send to durable reply)",
    buckets=_LATENCY,
)
COMMIT_FAILURES = Counter("pingjing_writer_commit_failures_total", "Rating batches that failed")
IMPORT_SECONDS = Histogram(
    "pingjing_import_duration_seconds", "Work-order import duration (admin upload)",
    ["outcome"], buckets=_JOB,
)  # fmt: skip
REPORT_SECONDS = Histogram(
    "pingjing_report_duration_seconds", "Weekly report generation duration (admin download)",
    ["format"], buckets=_JOB,
)  # fmt: skip
WEBHOOK = Counter(
    "pingjing_webhook_deliveries_total", "Webhook delivery attempts by outcome", ["outcome"]
)
NOTIFY = Counter(
    "pingjing_notify_deliveries_total",
    "Notification send attempts (one per robot message or e-mail digest) by sender, outcome",
    ["sender", "outcome"],
)
CASES = Gauge("pingjing_cases", "Follow-up cases by state (read at scrape time)", ["state"])
CASES_OVERDUE = Gauge("pingjing_cases_overdue", "Cases past their current deadline")
CASES_OPENED = Gauge("pingjing_cases_opened", "Cases ever opened (read at scrape time)")

_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
_rating_children: dict[tuple[int, str, bool], Any] = {}


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    """Count one HTTP request (label children cached: no label handling per request)."""
    key = (route, method, status)
    pair = _children.get(key)
    if pair is None:
        labels = (route, method, str(status))
        pair = _children[key] = (REQUESTS.labels(*labels), LATENCY.labels(*labels))
    pair[0].inc()
    pair[1].observe(seconds)


def observe_rating(level: int, channel: str, amended: bool) -> None:
    key = (level, channel, amended)
    child = _rating_children.get(key)
    if child is None:
        outcome = "amended" if amended else "created"
        child = _rating_children[key] = RATINGS.labels(str(level), channel, outcome)
    child.inc()


def batch_sent(size: int, done: Any) -> None:
    """A batch of `size` ratings went to the writer; `done` is its future (or task)."""
    BATCH_SIZE.observe(size)
    started = time.perf_counter()

    def finished(fut: Any) -> None:
        COMMIT.observe(time.perf_counter() - started)
        if fut.cancelled() or fut.exception() is not None:
            COMMIT_FAILURES.inc()

    done.add_done_callback(finished)


@contextmanager
def timed(histogram: Histogram, *labels: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        histogram.labels(*labels).observe(time.perf_counter() - started)


async def in_flight(call: Awaitable[Any]) -> Any:
    """Await a rating submission, counted in the writer queue depth meanwhile."""
    IN_FLIGHT.inc()
    try:
        return await call
    finally:
        IN_FLIGHT.dec()

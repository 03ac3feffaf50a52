"""How an import shares the machine with citizens (issue 14): its parsing and matching
run at a lower CPU priority on a thread of their own, and its write transactions are
spaced so that the server's writer gets the write lock between them."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from rating.workorders.store import (
    IDLE_AFTER_S,
    IMPORT_CHUNK,
    IMPORT_CHUNK_IDLE,
    IMPORT_NICE,
    IMPORT_PAUSE_S,
    Pacer,
    at_low_priority,
)

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="per-thread nice is Linux's")


def thread_nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@linux_only
def test_the_heavy_part_runs_at_a_lower_priority_and_the_caller_keeps_its_own() -> None:
    before = thread_nice()
    seen = at_low_priority(lambda: (thread_nice(), threading.get_native_id()))
    assert seen[0] == max(IMPORT_NICE, before)
    assert seen[1] != threading.get_native_id()  # a thread of its own
    assert thread_nice() == before  # the CLI runs inside the tests' process: not reniced


def test_an_error_of_the_heavy_part_reaches_the_caller() -> None:
    def fail() -> None:
        raise ValueError("bad sheet")

    with pytest.raises(ValueError, match="bad sheet"):
        at_low_priority(fail)


def test_the_pause_between_transactions_is_what_the_work_has_not_filled() -> None:
    now = [100.0]
    pacer = Pacer(clock=lambda: now[0])
    assert pacer.wait_s() == 0.0  # nothing committed yet: no pause before the first
    pacer.committed()
    assert pacer.wait_s() == pytest.approx(IMPORT_PAUSE_S)
    now[0] += IMPORT_PAUSE_S / 3  # preparing the next chunk took a third of the pause
    assert pacer.wait_s() == pytest.approx(IMPORT_PAUSE_S * 2 / 3)
    now[0] += IMPORT_PAUSE_S  # it took longer than the pause: no sleep at all
    assert pacer.wait_s() == 0.0


def test_transactions_stay_small_while_citizens_rate_and_grow_when_none_do() -> None:
    now = [0.0]
    pacer = Pacer(clock=lambda: now[0])
    assert pacer.chunk_size() == IMPORT_CHUNK  # nothing known: citizens may be rating
    pacer.committed(last_rating=40)
    assert pacer.chunk_size() == IMPORT_CHUNK_IDLE  # nobody rated since the import began
    now[0] += 0.1
    pacer.committed(last_rating=41)  # a rating went in between two transactions
    assert pacer.chunk_size() == IMPORT_CHUNK
    now[0] += IDLE_AFTER_S / 2
    pacer.committed(last_rating=41)
    assert pacer.chunk_size() == IMPORT_CHUNK  # still within IDLE_AFTER_S of that rating
    now[0] += IDLE_AFTER_S
    pacer.committed(last_rating=41)
    assert pacer.chunk_size() == IMPORT_CHUNK_IDLE

"""The operations runner when another program holds the store: a busy write is tried again, for a bounded time.

A lead's long import (another process) can hold SQLite's write lock longer than the busy timeout; a
moderator's decision must then wait and land, not fail with "database is locked". Each test shortens the
writer's busy timeout to 100 ms and holds the lock from a second connection, as the import would.
"""

from __future__ import annotations

import sqlite3
import threading

import pytest

from review.errors import StoreBusy
from ui.operations import Operations


@pytest.fixture
def hold(store):
    """A second connection on the store's file; ``hold()`` takes the write lock, ``release()`` ends it."""
    store.db.execute("PRAGMA busy_timeout = 100")
    other = sqlite3.connect(str(store.path), isolation_level=None, check_same_thread=False)

    class Holder:
        def hold(self):
            other.execute("BEGIN IMMEDIATE")

        def release(self):
            if other.in_transaction:
                other.execute("COMMIT")

    holder = Holder()
    yield holder
    holder.release()
    other.close()


def _ops(store, **kwargs):
    return Operations(store, max_threads=2, **kwargs)


def test_a_write_held_up_longer_than_the_busy_timeout_is_tried_again_and_lands(qapp, qtbot, store, hold):
    ops = _ops(store)
    done, failed = [], []
    hold.hold()
    release = threading.Timer(1.0, hold.release)  # ten busy timeouts later, as an import's chunk ends
    release.start()
    try:
        ops.write(lambda s: s.add_queue("spam").name, on_done=done.append, on_error=failed.append)
        qtbot.waitUntil(lambda: bool(done or failed), timeout=10_000)
    finally:
        release.join()
        ops.close()
    assert failed == [] and done == ["spam"]


def test_a_store_busy_for_longer_than_the_bound_is_said_and_nothing_is_written(qapp, qtbot, store, hold):
    ops = _ops(store, busy_retry_s=0.5)
    failed = []
    hold.hold()
    try:
        ops.write(lambda s: s.add_queue("spam"), on_error=failed.append)
        qtbot.waitUntil(lambda: bool(failed), timeout=10_000)
    finally:
        hold.release()
        ops.close()
    assert isinstance(failed[0], StoreBusy)
    assert "stayed busy" in str(failed[0]) and "another program" in str(failed[0])
    assert [q.name for q in store.queues()] == []


def test_a_write_that_stored_part_of_its_work_before_the_store_was_busy_is_not_run_twice(qapp, qtbot, store, hold):
    ops = _ops(store, busy_retry_s=5)
    calls, failed = [], []

    def two_steps(s):
        calls.append(1)
        s.add_queue("first")  # committed: running this again would add it twice (refused) or act twice
        hold.hold()
        s.add_queue("second")

    try:
        ops.write(two_steps, on_error=failed.append)
        qtbot.waitUntil(lambda: bool(failed), timeout=10_000)
    finally:
        hold.release()
        ops.close()
    assert len(calls) == 1 and isinstance(failed[0], StoreBusy)
    assert [q.name for q in store.queues()] == ["first"]

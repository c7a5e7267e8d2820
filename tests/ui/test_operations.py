"""The operations runner: reads on readers, writes in order on the writer, changes told to pages."""

from __future__ import annotations

import threading
import time

import pytest

from review.errors import StoreConflict
from ui.operations import Operations


@pytest.fixture
def ops(qapp, store):
    runner = Operations(store, max_threads=3)
    yield runner
    runner.close()


def test_a_query_runs_off_the_gui_thread_on_a_reader_connection(ops, store, qtbot):
    store.add_queue("spam")
    seen = []
    ops.query(lambda s: (threading.get_ident(), s is store, [q.name for q in s.queues()]), on_done=seen.append)
    qtbot.waitUntil(lambda: bool(seen))
    thread, is_writer, names = seen[0]
    assert thread != threading.get_ident()
    assert not is_writer
    assert names == ["spam"]


def test_writes_run_one_at_a_time_in_the_order_they_were_asked_for(ops, qtbot):
    ran, delivered = [], []
    active = []

    def write(n):
        def fn(s):
            active.append(n)
            assert len(active) == 1, "two writes at once"
            s.add_queue(f"q{n:02d}")
            ran.append(n)
            active.remove(n)
            return n
        return fn

    for n in range(20):
        ops.write(write(n), on_done=delivered.append)
    qtbot.waitUntil(lambda: len(delivered) == 20)
    assert ran == list(range(20))
    assert delivered == list(range(20))


def test_a_write_tells_pages_which_kinds_changed(ops, qtbot):
    with qtbot.waitSignal(ops.changed, timeout=5000) as signal:
        ops.write(lambda s: s.add_queue("spam"))
    assert signal.args[0] == frozenset({"queue"})


def test_a_read_or_a_write_that_changes_nothing_tells_nothing(ops, qtbot):
    heard, done = [], []
    ops.changed.connect(heard.append)
    ops.query(lambda s: s.queues(), on_done=done.append)
    ops.write(lambda s: s.users(), on_done=done.append)
    qtbot.waitUntil(lambda: len(done) == 2)
    assert heard == []


def test_a_failed_write_reaches_on_error_as_veils_error_and_changes_nothing(ops, store, qtbot):
    store.add_queue("spam")
    errors, heard = [], []
    ops.changed.connect(heard.append)
    ops.write(lambda s: s.add_queue("spam"), on_error=errors.append)  # a second queue of that name
    qtbot.waitUntil(lambda: bool(errors))
    assert isinstance(errors[0], StoreConflict)
    assert heard == []
    assert [q.name for q in store.queues()] == ["spam"]


def test_slow_work_runs_on_the_same_pool_with_progress(ops, qtbot):
    steps, done = [], []

    def work(x, progress):
        progress(1)
        progress(2)
        return x * 2

    ops.run(work, 21, on_done=done.append, on_progress=steps.append)
    qtbot.waitUntil(lambda: bool(done))
    assert done == [42]
    assert steps == [1, 2]


def test_after_close_nothing_is_delivered_and_readers_are_closed(ops, qtbot):
    done = []
    ops.query(lambda s: s.queues(), on_done=done.append)
    assert ops.wait_idle()
    assert ops._readers  # a reader was opened for the worker
    ops.close()
    ops.query(lambda s: s.queues(), on_done=done.append)
    ops.write(lambda s: s.add_queue("late"), on_done=done.append)
    assert ops.wait_idle()
    assert len(done) == 1
    assert ops._readers == {}


def test_writes_asked_for_before_close_all_land(ops, store):
    for n in range(10):
        ops.write(lambda s, n=n: s.add_queue(f"q{n}"))
    ops.close()
    assert len(store.queues()) == 10


def test_a_long_read_reports_progress_from_its_reader(ops, store, qtbot):
    store.add_queue("spam")
    steps, done = [], []

    def export(reader, progress):
        for n, queue in enumerate(reader.queues(), 1):
            progress(n, queue.name)
        return "written"

    ops.query(export, on_done=done.append, on_progress=lambda *step: steps.append(step))
    qtbot.waitUntil(lambda: bool(done))
    assert steps == [(1, "spam")]
    assert done == ["written"]


def test_close_waits_for_a_write_held_up_longer_than_its_timeout(ops, store):
    """A decision waiting for another program's lock still lands: close never drops or cuts a write."""
    released = threading.Event()
    threading.Timer(0.3, released.set).start()  # the other program lets go later than close's timeout

    def held_decision(s):
        assert released.wait(10)
        s.add_queue("landed")

    ops.write(held_decision)
    ops.write(lambda s: s.add_queue("after it"))
    assert ops.close(timeout_ms=10)
    assert [q.name for q in store.queues()] == ["after it", "landed"]


def test_a_read_outliving_close_keeps_its_connection(ops, qtbot):
    """Closing a reader under a running read would crash: close says False and leaves it open."""
    go, finished, seen = threading.Event(), threading.Event(), []

    def slow_report(reader):
        assert go.wait(10)
        seen.append([q.name for q in reader.queues()])  # the connection is still open
        finished.set()

    ops.query(slow_report)
    qtbot.waitUntil(lambda: bool(ops._readers))
    assert ops.close(timeout_ms=10) is False
    go.set()
    assert finished.wait(10)
    assert seen == [[]]


def test_closing_never_waits_for_a_read_busy_in_python(ops, qtbot):
    """Issue 22: at 1 M items a lead's sign-out waited 93 s for a statements check still running. A read busy in
    Python is abandoned: close returns at once, nothing is delivered, and the read's connection is closed by its
    own thread when it ends."""
    stop, used, delivered, closed_on = threading.Event(), [], [], []

    def statements_check(reader):
        close = reader.close
        reader.close = lambda: (closed_on.append(threading.get_ident()), close())
        used.append(threading.get_ident())
        while not stop.wait(0.005):  # a pure-Python loop over many rows: no statement to interrupt
            pass
        return "checked"

    ops.query(statements_check, on_done=delivered.append)
    qtbot.waitUntil(lambda: bool(used))
    started = time.monotonic()
    assert ops.close() is False  # said: a read was left running
    assert time.monotonic() - started < 1.0
    assert closed_on == []  # never closed under the running read
    stop.set()
    qtbot.waitUntil(lambda: bool(closed_on))
    assert closed_on == used  # closed by the read's own thread, once it had ended
    assert ops._readers == {}
    qtbot.wait(50)
    assert delivered == []


def test_closing_interrupts_a_read_waiting_on_a_long_statement(ops, qtbot):
    """A read inside one long statement is stopped at once (SQLite's interrupt, PostgreSQL's cancel) and its
    connection closed; a write asked for before closing still lands."""
    running, failed = threading.Event(), []

    def endless(reader):
        running.set()
        try:
            return reader.db.execute("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)"
                                     " SELECT COUNT(*) FROM c").fetchone()
        except Exception as exc:
            failed.append(exc)
            raise

    ops.query(endless)
    assert running.wait(5)
    ops.write(lambda s: s.add_queue("kept"))
    started = time.monotonic()
    assert ops.close() is True  # the interrupted read ended within the grace: nothing was left running
    assert time.monotonic() - started < 1.0
    assert failed and "interrupt" in str(failed[0]).lower()
    assert [q.name for q in ops.store.queues()] == ["kept"]
    assert ops._readers == {}

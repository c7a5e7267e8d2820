"""ui.refresh.SingleFlight: one background load at a time (a read through the operations runner), one more queued."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QObject

from ui.operations import Operations
from ui.refresh import SingleFlight, reason

WAIT_MS = 5000


class Gated:
    """A load that blocks until released; counts calls, the most running at once, and the stores it got."""

    def __init__(self):
        self.gate = threading.Event()
        self.calls = 0
        self.running = 0
        self.most = 0
        self.fail: BaseException | None = None
        self.stores = []
        self._lock = threading.Lock()

    def __call__(self, store):
        with self._lock:
            self.stores.append(store)
            self.calls += 1
            self.running += 1
            self.most = max(self.most, self.running)
            n = self.calls
        try:
            assert self.gate.wait(WAIT_MS / 1000)
            if self.fail is not None:
                raise self.fail
            return n
        finally:
            with self._lock:
                self.running -= 1


@pytest.fixture
def setup(qapp, store):
    owner = QObject()
    runner = Operations(store, parent=owner)  # several threads: the helper alone keeps it to one
    load = Gated()
    flight = SingleFlight(load, runner, parent=owner)
    got, failed = [], []
    flight.loaded.connect(got.append)
    flight.failed.connect(failed.append)
    yield flight, runner, load, got, failed
    load.gate.set()
    runner.close()
    owner.deleteLater()


def test_the_load_reads_on_a_reader_connection_not_the_writer(setup, store):
    flight, runner, load, got, _ = setup
    load.gate.set()
    flight.request()
    assert runner.wait_idle(WAIT_MS)
    assert got == [1]
    assert load.stores[0] is not store and load.stores[0].path == store.path


def test_one_load_at_a_time(setup):
    flight, runner, load, got, _ = setup
    assert not flight.busy
    assert flight.request() is True
    assert flight.busy
    assert flight.request() is False
    assert flight.request() is False
    load.gate.set()
    assert runner.wait_idle(WAIT_MS)
    assert load.most == 1
    assert got == [1, 2]  # the first load, then the one follow-up
    assert not flight.busy


def test_requests_during_a_load_run_exactly_once_afterwards(setup):
    flight, runner, load, got, _ = setup
    flight.request()
    for _ in range(3):
        flight.request()  # three asks while busy make one follow-up, not three
    busy_when_delivered = []
    flight.loaded.connect(lambda _: busy_when_delivered.append(flight.busy))
    load.gate.set()
    assert runner.wait_idle(WAIT_MS)
    assert load.calls == 2
    assert got == [1, 2]
    assert busy_when_delivered == [False, False]  # busy is already False in the slots
    assert runner.wait_idle(WAIT_MS) and load.calls == 2  # and nothing more after it


def test_no_follow_up_without_a_request_during_the_load(setup):
    flight, runner, load, got, _ = setup
    load.gate.set()
    flight.request()
    assert runner.wait_idle(WAIT_MS)
    assert got == [1] and load.calls == 1
    assert flight.request() is True  # free again
    assert runner.wait_idle(WAIT_MS)
    assert got == [1, 2]


def test_a_failure_is_delivered_and_the_queued_request_still_runs(setup):
    flight, runner, load, got, failed = setup
    load.fail = RuntimeError("database is locked")
    flight.request()
    flight.request()
    load.gate.set()
    assert runner.wait_idle(WAIT_MS)
    assert got == []
    assert [str(e) for e in failed] == ["database is locked"] * 2
    assert all(isinstance(e, RuntimeError) for e in failed)
    assert not flight.busy


def test_nothing_is_delivered_after_close(setup):
    flight, runner, load, got, failed = setup
    flight.request()
    flight.request()  # a follow-up that must not run either
    flight.close()
    assert flight.closed
    load.gate.set()
    assert runner.wait_idle(WAIT_MS)
    assert got == [] and failed == []
    assert load.calls == 1
    assert flight.request() is False
    assert runner.pending() == 0


def test_nothing_starts_once_the_runner_is_closed(setup):
    flight, runner, load, got, _ = setup
    runner.close()
    assert flight.closed
    assert flight.request() is False
    assert load.calls == 0 and got == []


def test_reason_names_the_type_when_the_message_is_empty():
    assert reason(RuntimeError("locked")) == "locked"
    assert reason(TimeoutError()) == "TimeoutError"


def test_a_change_of_a_shown_kind_reloads_while_wanted_and_never_after_close(qapp, store, qtbot):
    owner = QObject()
    runner = Operations(store, parent=owner)
    load = Gated()
    load.gate.set()
    shown = [True]
    flight = SingleFlight(load, runner, parent=owner, reload_on={"queue"}, when=lambda: shown[0])
    results = []
    flight.loaded.connect(results.append)
    with qtbot.waitSignal(flight.loaded, timeout=WAIT_MS):
        runner.write(lambda s: s.add_queue("spam"))  # a "queue" change: reloads
    runner.write(lambda s: s.mark_changed("setting"))  # a kind it does not show: nothing
    shown[0] = False
    runner.write(lambda s: s.add_queue("scams"))  # shown, but not wanted now (a hidden page): nothing
    assert runner.wait_idle(WAIT_MS)
    flight.close()
    shown[0] = True
    runner.write(lambda s: s.add_queue("hate"))  # closed: nothing
    assert runner.wait_idle(WAIT_MS)
    assert results == [1] and load.calls == 1
    runner.close()

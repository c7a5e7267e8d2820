"""The thread pool under the operations runner: functions run on workers, results land on the GUI thread.

:class:`TaskRunner` is the engine of :class:`ui.operations.Operations`,
which owns the app's one instance; pages and dialogs never create one
(they get the window's ``Operations``).  A plain function is handed over,
it runs on a worker thread (a ``QThreadPool``), and its result or
exception is delivered to a callback on the GUI thread, where touching
widgets is safe::

    runner.submit(load_rows, store_path, on_done=self.show_rows, on_error=self.show_problem)

Rules the runner keeps, so callers do not have to:

- callbacks always run on the thread the runner lives on (the GUI thread);
- a callback whose target was deleted is skipped: a bound method of a
  ``QObject`` whose C++ object is gone, or anything submitted with an
  ``owner=`` that has been destroyed;
- after :meth:`TaskRunner.close` no callback runs at all (a late result is
  dropped), and ``close`` waits a bounded time for running work, then
  abandons it (its pool lives on apart from the runner until it ends);
- an exception in the worker goes to ``on_error``; without one it is logged,
  never silently lost.

For long work (building a demo, exporting) pass ``on_progress``: the
function then receives a ``progress`` keyword, a callable it may call from
the worker with any arguments; each call reaches ``on_progress`` on the GUI
thread.  The function must not touch widgets; a ``QImage`` is fine to
build in a worker, a ``QPixmap`` is not.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import (
    QCoreApplication,
    QDeadlineTimer,
    QElapsedTimer,
    QEvent,
    QObject,
    QRunnable,
    Qt,
    QThread,
    QThreadPool,
    Signal,
    Slot,
)

log = logging.getLogger(__name__)

__all__ = ["TaskRunner", "alive"]

_DONE, _ERROR, _PROGRESS = 0, 1, 2
_WAIT_STEP_MS = 20


class _Relay(QObject):
    """Lives on the runner's thread as its pool's child; workers emit, the runner's thread receives."""

    message = Signal(int, int, object)  # task id, kind, payload


class _Job(QRunnable):
    def __init__(self, task_id: int, fn: Callable[..., Any], args: tuple, kwargs: dict, relay: _Relay):
        super().__init__()
        # The runner keeps this object until its result is delivered; the pool
        # must not delete it behind Python's back.
        self.setAutoDelete(False)
        self.task_id = task_id
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.relay = relay

    def run(self) -> None:  # on a pool thread
        try:
            result = self.fn(*self.args, **self.kwargs)
        except BaseException as exc:  # noqa: BLE001 - delivered, never swallowed
            kind, payload = _ERROR, exc
        else:
            kind, payload = _DONE, result
        self.relay.message.emit(self.task_id, kind, payload)  # its runner may be gone: the relay is not


class _Pending:
    __slots__ = ("job", "on_done", "on_error", "on_progress", "owner")

    def __init__(self, job, on_done, on_error, on_progress, owner):
        self.job = job
        self.on_done = on_done
        self.on_error = on_error
        self.on_progress = on_progress
        self.owner = owner


class TaskRunner(QObject):
    """Run functions on a thread pool; deliver results on this object's thread.

    Each runner owns its own ``QThreadPool`` (``max_threads`` workers, by
    default the machine's ideal thread count), so :meth:`wait_idle` and
    :meth:`close` concern only this runner's work.  Create it on the GUI
    thread, usually as a child of the widget it serves: deleting the widget
    deletes the runner, and no callback of that widget ever runs afterwards.
    """

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        max_threads: int | None = None,
        name: str = "veil-tasks",
        keep_threads: bool = False,
    ):
        super().__init__(parent)
        self.setObjectName(name)
        self._pool = QThreadPool(self)
        self._pool.setObjectName(name)
        if max_threads is not None:
            self._pool.setMaxThreadCount(max(1, max_threads))
        if keep_threads:  # threads that hold per-thread resources (connections) live until close()
            self._pool.setExpiryTimeout(-1)
        # The relay is the pool's child, not the runner's: a task that close() abandoned may still emit on it
        # when it ends, and freeing it under that emit crashed the process (a segfault in CI); the pool, so the
        # relay, outlives the runner until its last task has ended (see _abandon).
        self._relay = _Relay(self._pool)
        self._relay.message.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._pending: dict[int, _Pending] = {}
        self._ids = itertools.count(1)
        self._closed = False
        self._lock = threading.Lock()  # guards _closed as seen from workers (progress)

    # ------------------------------------------------------------------ API
    @property
    def closed(self) -> bool:
        return self._closed

    def pending(self) -> int:
        """How many submitted tasks have not had their callback delivered yet."""
        return len(self._pending)

    def submit(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_done: Callable[[Any], Any] | None = None,
        on_error: Callable[[BaseException], Any] | None = None,
        on_progress: Callable[..., Any] | None = None,
        owner: QObject | None = None,
    ) -> None:
        """Run ``fn(*args)`` on a worker; then ``on_done(result)`` or ``on_error(exc)`` here.

        With ``on_progress``, ``fn`` is called with an extra ``progress=``
        keyword (see the module docstring).  With ``owner``, the callbacks
        are skipped if *owner* has been deleted by the time the result
        arrives.  Submitting to a closed runner does nothing.  Call it on the
        runner's own thread (the GUI thread).
        """
        if self._closed:
            log.debug("task %r submitted to a closed runner; ignored", fn)
            return
        task_id = next(self._ids)
        kwargs: dict[str, Any] = {}
        if on_progress is not None:
            kwargs["progress"] = self._progress_reporter(task_id)
        job = _Job(task_id, fn, args, kwargs, self._relay)
        self._pending[task_id] = _Pending(job, on_done, on_error, on_progress, owner)
        self._pool.start(job)

    def wait_idle(self, timeout_ms: int = 5000) -> bool:
        """Wait until every submitted task has finished *and* its callback ran.

        Processes events meanwhile (callbacks are delivered through the event
        loop).  For tests and shutdown; returns False on timeout.
        """
        clock = QElapsedTimer()
        clock.start()
        while self._pending:
            left = timeout_ms - clock.elapsed()
            if left <= 0:
                return False
            self._pool.waitForDone(QDeadlineTimer(min(left, 20)))
            QCoreApplication.sendPostedEvents(self, QEvent.Type.MetaCall)  # queued results land on self
            QCoreApplication.processEvents()
        return True

    def close(self, timeout_ms: int = 5000, *, while_waiting: Callable[[], None] | None = None) -> bool:
        """Stop: drop queued work, wait for running work, deliver nothing more.

        *while_waiting* is called every few milliseconds of the wait (the
        operations runner interrupts its readers' statements with it: one may
        only just have begun). Safe to call twice.  Returns False if running work did not finish
        within *timeout_ms*: it is abandoned (its result will be dropped when
        it ends), and its pool lives on apart from this runner until then, so
        deleting the runner never waits for it.  A job still running keeps its
        Python object until it ends: freeing the ``QRunnable`` under a running
        thread would crash the process later.
        """
        with self._lock:
            if self._closed:
                return True
            self._closed = True
        self._pool.clear()  # tasks not started yet never start
        deadline = QDeadlineTimer(max(0, timeout_ms))
        while True:
            if while_waiting is not None:
                while_waiting()
            step = deadline if while_waiting is None else min(QDeadlineTimer(_WAIT_STEP_MS), deadline)
            if (finished := self._pool.waitForDone(step)) or deadline.hasExpired():
                break
        if finished:
            self._pending.clear()
            # Let idle worker threads end now rather than at their expiry.
            self._pool.setExpiryTimeout(0)
            self._pool.waitForDone(QDeadlineTimer(100))
        else:
            _abandon(self._pool, [entry.job for entry in self._pending.values()])
        return finished

    # ------------------------------------------------------------- internals
    def _progress_reporter(self, task_id: int) -> Callable[..., None]:
        relay = self._relay

        def progress(*values: Any) -> None:
            with self._lock:
                if self._closed:
                    return
            relay.message.emit(task_id, _PROGRESS, values)

        return progress

    @Slot(int, int, object)
    def _deliver(self, task_id: int, kind: int, payload: Any) -> None:
        assert QThread.currentThread() is self.thread()
        if self._closed:
            return
        if kind == _PROGRESS:
            entry = self._pending.get(task_id)
            if entry is not None and entry.on_progress is not None and alive(entry.owner, entry.on_progress):
                entry.on_progress(*payload)
            return
        entry = self._pending.pop(task_id, None)
        if entry is None:
            return
        entry.job = None  # drop the function, arguments and result references here, on this thread
        callback = entry.on_done if kind == _DONE else entry.on_error
        if kind == _ERROR and callback is None:
            log.error("background task failed", exc_info=(type(payload), payload, payload.__traceback__))
            return
        if callback is None or not alive(entry.owner, callback):
            return
        callback(payload)


#: Pools whose runner closed while they still ran a task: kept here, not with the runner, because deleting a
#: ``QThreadPool`` waits for its running tasks — a closed window must not wait on a read it no longer wants. Each
#: pool keeps its relay (its child), which its tasks emit on when they end.
_ABANDONED: list[tuple[QThreadPool, list[_Job | None]]] = []


def _abandon(pool: QThreadPool, jobs: list[_Job | None]) -> None:
    """Keep *pool* and its *jobs* alive, apart from their runner, until the running ones end; forget those that
    have ended."""
    _ABANDONED[:] = [(p, j) for p, j in _ABANDONED if p.activeThreadCount()]
    pool.setExpiryTimeout(0)  # each thread ends with its task
    pool.setParent(None)
    _ABANDONED.append((pool, jobs))


def alive(owner: QObject | None, callback: Callable[..., Any]) -> bool:
    """False when the owner, or the QObject a bound-method callback belongs to, was deleted."""
    if owner is not None and not shiboken6.isValid(owner):
        return False
    target = getattr(callback, "__self__", None)
    return not (isinstance(target, QObject) and not shiboken6.isValid(target))

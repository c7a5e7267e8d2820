"""The one door from the GUI to the domain: reads, writes and slow work off the GUI thread.

Modelled on Anki's ``CollectionOp``/``QueryOp``. A page turns a key into
one call on a desk and hands it here::

    ops.write(lambda store: desk.decide(store, user, item_id, …), on_done=self.show_next, on_error=self.say)
    ops.query(lambda store: desk.work_list(store, user), on_done=self.fill)
    ops.run(prepare_picture, path, size, on_done=self.paint)

- **Reads** (:meth:`query`) run on the app's one pool, each worker thread
  with its own reader connection (``Store.second_connection``), so a slow
  report never blocks a decision.
- **Writes** (:meth:`write`) run one at a time, in the order they were
  asked for, on the process's one writer connection (the store the app
  opened), on one writer thread that waits for them: two keys pressed
  quickly are two transactions in key order, and a decision never queues
  behind a slow report on the pool.
- **Slow work** (:meth:`run`) — decoding, blurring, hashing, exporting —
  shares the same pool.
- Results and errors land on the GUI thread (``on_done``/``on_error``);
  errors are Veil's own (``review.errors.VeilError``), the store having
  turned the driver's into them.
- A write that finds the store busy past its busy timeout (another
  program — a lead's import — holds SQLite's write lock) is tried again,
  with a growing pause, for up to :data:`BUSY_RETRY_S`: a moderator's
  decision waits for the import's chunk to end instead of failing. It is
  tried again only when none of it was committed (``Store.commits``), so a
  call is never run twice; past the bound its ``StoreBusy`` says how long
  the store stayed busy, and the page keeps the decision on screen.
- After every write that changed something, :attr:`changed` carries the
  kinds that changed (``"decision"``, ``"queue"``, ``"audit"`` …, from the
  events the write appended), so pages refresh what they show instead of
  polling. Another process's changes are not seen this way; pages keep a
  slow timer for those.

The delivery rules are :class:`~ui.tasks.TaskRunner`'s: callbacks of a
deleted owner are skipped, nothing is delivered after :meth:`close`, and
``close`` waits for running work. Create one per signed-in window, on the
GUI thread; the desktop wiring passes it to every page.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QCoreApplication, QElapsedTimer, QEvent, QEventLoop, QObject, Qt, Signal, Slot

from review.errors import StoreBusy
from review.store import Store
from ui.tasks import TaskRunner, alive

__all__ = ["Operations"]

log = logging.getLogger(__name__)

T = TypeVar("T")
#: How long a write is tried again while another program holds the store (each try waits the busy timeout too).
BUSY_RETRY_S = 60.0
_FIRST_PAUSE_S, _LONGEST_PAUSE_S = 0.05, 2.0
Callback = Callable[[Any], Any] | None


class _WriteRelay(QObject):
    """Carries a write's outcome from the writer thread to the GUI thread, in order."""

    finished = Signal(int, bool, object)  # write number, failed, (result, changes) or the exception


class Operations(QObject):
    """Run desk calls and slow work off the GUI thread; tell pages what changed."""

    changed = Signal(object)  # frozenset[str]: the kinds of data a write changed

    def __init__(self, store: Store, *, parent: QObject | None = None, max_threads: int | None = None,
                 busy_retry_s: float = BUSY_RETRY_S):
        super().__init__(parent)
        self.store = store
        self.busy_retry_s = busy_retry_s
        self._tasks = TaskRunner(self, max_threads=max_threads, name="veil-operations", keep_threads=True)
        self._readers: dict[int, Store] = {}
        self._readers_lock = threading.Lock()
        self._writes: queue.SimpleQueue[tuple[int, Callable[[Store], Any]] | None] = queue.SimpleQueue()
        self._waiting: dict[int, tuple[Callback, Callback, QObject | None]] = {}  # GUI thread only
        self._numbers = 0
        self._closed = False
        self._relay = _WriteRelay(self)
        self._relay.finished.connect(self._write_finished, Qt.ConnectionType.QueuedConnection)
        self._writer = threading.Thread(target=self._write_loop, name="veil-writer", daemon=True)
        self._writer.start()

    # ------------------------------------------------------------------ API
    @property
    def closed(self) -> bool:
        return self._closed

    def query(self, fn: Callable[..., T], *, on_done: Callback = None, on_error: Callback = None,
              on_progress: Callable[..., Any] | None = None, owner: QObject | None = None) -> None:
        """``fn(reader)`` on a worker with its own reader connection; the result to ``on_done``.

        With ``on_progress`` (a long read: an export, a report), ``fn`` is
        called as ``fn(reader, progress=…)`` and each ``progress(…)`` reaches
        ``on_progress`` on the GUI thread.
        """
        self._tasks.submit(self._read, fn, on_done=on_done, on_error=on_error, on_progress=on_progress, owner=owner)

    def write(self, fn: Callable[[Store], T], *, on_done: Callback = None, on_error: Callback = None,
              owner: QObject | None = None) -> None:
        """``fn(writer)`` after every earlier write; then ``on_done``, then :attr:`changed`."""
        if self._closed:
            log.debug("write %r asked of a closed runner; ignored", fn)
            return
        number = self._numbers
        self._numbers += 1
        self._waiting[number] = (on_done, on_error, owner)
        self._writes.put((number, fn))

    def run(self, fn: Callable[..., T], *args: Any, on_done: Callback = None, on_error: Callback = None,
            on_progress: Callable[..., Any] | None = None, owner: QObject | None = None) -> None:
        """Any other slow work: ``fn(*args)`` on the pool (``progress=`` given with ``on_progress``)."""
        self._tasks.submit(fn, *args, on_done=on_done, on_error=on_error, on_progress=on_progress, owner=owner)

    def pending(self) -> int:
        """How many calls have not had their result delivered yet."""
        return self._tasks.pending() + len(self._waiting)

    def wait_idle(self, timeout_ms: int = 5000) -> bool:
        """Wait until every call has finished and its callbacks ran (tests, shutdown)."""
        clock = QElapsedTimer()
        clock.start()
        while self._waiting and clock.elapsed() < timeout_ms:
            QCoreApplication.sendPostedEvents(self._relay, QEvent.Type.MetaCall)
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        left = max(0, timeout_ms - clock.elapsed())
        return self._tasks.wait_idle(left) and not self._waiting

    def close(self, timeout_ms: int = 5000) -> bool:
        """Let every write asked for land, deliver nothing more, close the reader connections.

        A write is a person's action (a decision, a score, giving an item
        back): it is never dropped because a window closed, so this waits
        for the writer however long it takes — each write is bounded by the
        store's busy timeout and :attr:`busy_retry_s`. Reads and slow work not started yet are
        dropped; a read still running after *timeout_ms* keeps its reader
        connection (closing it under the read would crash), and False says
        so. The writer store is the caller's: the app closes it afterwards,
        safely, since the writer thread has ended.
        """
        if self._closed:
            return True
        self._closed = True
        self._writes.put(None)  # after every write already asked for
        self._writer.join()
        self._waiting.clear()
        if not self._tasks.close(timeout_ms):
            log.warning("a background read outlived closing; its connection is left to the process's end")
            return False
        with self._readers_lock:
            readers, self._readers = list(self._readers.values()), {}
        for reader in readers:
            reader.close()
        return True

    # ------------------------------------------------------------ workers
    def _read(self, fn: Callable[..., T], **progress: Any) -> T:
        return fn(self._reader(), **progress)

    def _reader(self) -> Store:
        key = threading.get_ident()
        with self._readers_lock:
            reader = self._readers.get(key)
            if reader is None:
                reader = self._readers[key] = self.store.second_connection()
        return reader

    def _write_loop(self) -> None:  # on the writer thread
        while (job := self._writes.get()) is not None:
            number, fn = job
            try:
                outcome: Any = (self._attempt(fn), self.store.take_changes())
                failed = False
            except BaseException as exc:  # noqa: BLE001 - delivered to on_error, never swallowed
                self.store.take_changes()  # rolled back: nothing changed
                outcome, failed = exc, True
            try:
                self._relay.finished.emit(number, failed, outcome)
            except RuntimeError:  # the window is gone: the write stands, nobody is left to tell
                log.debug("result of write %s not delivered: the runner was deleted", number)

    def _attempt(self, fn: Callable[[Store], T]) -> T:  # on the writer thread
        """``fn(writer)``, run again after a pause while the store is busy and none of it was committed."""
        started, pause = time.monotonic(), _FIRST_PAUSE_S
        while True:
            commits = self.store.commits
            try:
                return fn(self.store)
            except StoreBusy as exc:
                waited = time.monotonic() - started
                if self.store.commits != commits:
                    raise  # part of it is stored: running it again could act twice; said as it is
                if waited + pause > self.busy_retry_s:
                    raise StoreBusy(f"the store stayed busy for {waited:.0f} s: another program (an import, "
                                    "another Veil) is writing to it; try again in a moment") from exc
                log.info("store busy; trying the write again in %.2f s", pause)
                time.sleep(pause)
                pause = min(pause * 2, _LONGEST_PAUSE_S)

    @Slot(int, bool, object)
    def _write_finished(self, number: int, failed: bool, outcome: Any) -> None:  # on the GUI thread
        entry = self._waiting.pop(number, None)
        if entry is None or self._closed:
            return
        on_done, on_error, owner = entry
        if failed:
            if on_error is None:
                log.error("write failed", exc_info=(type(outcome), outcome, outcome.__traceback__))
            elif alive(owner, on_error):
                on_error(outcome)
            return
        result, changes = outcome
        try:
            if on_done is not None and alive(owner, on_done):
                on_done(result)
        finally:  # a page's failing callback must not hide the change from the others
            if changes:
                self.changed.emit(changes)

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
  opened): two keys pressed quickly are two transactions in key order.
- **Slow work** (:meth:`run`) — decoding, blurring, hashing, exporting —
  shares the same pool.
- Results and errors land on the GUI thread (``on_done``/``on_error``);
  errors are Veil's own (``review.errors.VeilError``), the store having
  turned the driver's into them.
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
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal

from review.store import Store
from ui.tasks import TaskRunner, alive

__all__ = ["Operations"]

log = logging.getLogger(__name__)

T = TypeVar("T")
Callback = Callable[[Any], Any] | None


class Operations(QObject):
    """Run desk calls and slow work on one pool; tell pages what changed."""

    changed = Signal(object)  # frozenset[str]: the kinds of data a write changed

    def __init__(self, store: Store, *, parent: QObject | None = None, max_threads: int | None = None):
        super().__init__(parent)
        self.store = store
        self._tasks = TaskRunner(self, max_threads=max_threads, name="veil-operations", keep_threads=True)
        self._readers: dict[int, Store] = {}
        self._readers_lock = threading.Lock()
        # Writes are numbered as they are asked for and run strictly in that
        # order: the pool starts jobs first-in first-out, and each waits for
        # its turn, so a later write never overtakes an earlier one.
        self._turn = threading.Condition()
        self._next_ticket = 0
        self._serving = 0
        self._arrived: dict[int, Callable[[], None]] = {}  # GUI thread only
        self._next_delivery = 0

    # ------------------------------------------------------------------ API
    @property
    def closed(self) -> bool:
        return self._tasks.closed

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
        ticket = self._next_ticket
        self._next_ticket += 1

        def done(outcome: tuple[Any, frozenset[str]]) -> None:
            result, changes = outcome
            if on_done is not None and alive(owner, on_done):
                on_done(result)
            if changes:
                self.changed.emit(changes)

        def failed(exc: BaseException) -> None:
            if on_error is None:
                log.error("write failed", exc_info=(type(exc), exc, exc.__traceback__))
            elif alive(owner, on_error):
                on_error(exc)

        self._tasks.submit(
            self._write, fn, ticket,
            on_done=lambda outcome: self._deliver_in_order(ticket, lambda: done(outcome)),
            on_error=lambda exc: self._deliver_in_order(ticket, lambda: failed(exc)),
        )

    def _deliver_in_order(self, ticket: int, deliver: Callable[[], None]) -> None:
        """Results of writes reach the page in the order the writes were asked for."""
        self._arrived[ticket] = deliver
        while self._next_delivery in self._arrived:
            self._arrived.pop(self._next_delivery)()
            self._next_delivery += 1

    def run(self, fn: Callable[..., T], *args: Any, on_done: Callback = None, on_error: Callback = None,
            on_progress: Callable[..., Any] | None = None, owner: QObject | None = None) -> None:
        """Any other slow work: ``fn(*args)`` on the pool (``progress=`` given with ``on_progress``)."""
        self._tasks.submit(fn, *args, on_done=on_done, on_error=on_error, on_progress=on_progress, owner=owner)

    def pending(self) -> int:
        """How many calls have not had their result delivered yet."""
        return self._tasks.pending()

    def wait_idle(self, timeout_ms: int = 5000) -> bool:
        """Wait until every call has finished and its callbacks ran (tests, shutdown)."""
        return self._tasks.wait_idle(timeout_ms)

    def close(self, timeout_ms: int = 5000) -> bool:
        """Let every write asked for land, deliver nothing more, close the reader connections.

        A write is a person's action (a decision, a score): it is never
        dropped because a window closed. Reads and slow work not started yet
        are. The writer store is the caller's: the app closes it after the
        window.
        """
        with self._turn:
            self._turn.wait_for(lambda: self._serving >= self._next_ticket, timeout=timeout_ms / 1000)
            self._serving = self._next_ticket  # after a time-out, nothing waits for its turn forever
            self._turn.notify_all()
        finished = self._tasks.close(timeout_ms)
        with self._readers_lock:
            readers, self._readers = list(self._readers.values()), {}
        for reader in readers:
            reader.close()
        return finished

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

    def _write(self, fn: Callable[[Store], T], ticket: int) -> tuple[T, frozenset[str]]:
        with self._turn:
            self._turn.wait_for(lambda: self._serving >= ticket)
        try:
            if self._tasks.closed:
                raise RuntimeError("the operations runner was closed before this write ran")
            try:
                result = fn(self.store)
            except BaseException:
                self.store.take_changes()  # rolled back: nothing changed
                raise
            return result, self.store.take_changes()
        finally:
            with self._turn:
                self._serving = max(self._serving, ticket + 1)
                self._turn.notify_all()

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
- A write that finds a server store unreachable (a restart, a dropped
  connection: ``ServerUnreachable``) with none of it committed is tried
  again, with pauses growing to :data:`RECONNECT_PAUSE_S`, until the server
  is back or the runner closes; meanwhile :attr:`reconnecting` says True
  (once), and False when a write gets through. Later writes wait behind it
  in order, so a decision pressed meanwhile is kept and stored when the
  server is back, never made twice (every call for an item names its
  claim) — as long as the window stays open: closing during the outage
  stores none of them, and :attr:`unsaved` says how many so the window
  tells the person. A connection lost during ``COMMIT`` (``SaveUncertain``:
  it may be stored) is never tried again: the page says it. Only the writer
  thread reopens the writer connection (``reconnect_only_here``): a read
  the GUI thread makes on it meanwhile fails at once instead of waiting.
- After every write that changed something, :attr:`changed` carries the
  kinds that changed (``"decision"``, ``"queue"``, ``"audit"`` …, from the
  events the write appended), so pages refresh what they show instead of
  polling. Another process's changes are not seen this way; pages keep a
  slow timer for those.

The delivery rules are :class:`~ui.tasks.TaskRunner`'s: callbacks of a
deleted owner are skipped, nothing is delivered after :meth:`close`, and
``close`` lets the writes asked for land but never waits for a read: a running read's statement is
interrupted, and one still busy after :data:`READ_GRACE_MS` is abandoned (sign-out at 1 M items waited 93 s
for one; issue 22). Create one per signed-in window, on the GUI thread; the desktop wiring passes it to every
page.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QCoreApplication, QElapsedTimer, QEvent, QEventLoop, QObject, Qt, Signal, Slot

from review.errors import StoreBusy, StoreUnavailable
from review.store import Store
from ui.tasks import TaskRunner, alive

__all__ = ["Operations"]

log = logging.getLogger(__name__)

T = TypeVar("T")
#: How long a write is tried again while another program holds the store (each try waits the busy timeout too).
BUSY_RETRY_S = 60.0
_FIRST_PAUSE_S, _LONGEST_PAUSE_S = 0.05, 2.0
#: The longest pause between two tries of a write while the store's server cannot be reached.
RECONNECT_PAUSE_S = 5.0
_FIRST_RECONNECT_PAUSE_S = 0.25
#: Beyond :attr:`Operations.busy_retry_s`, how long closing waits for the writer: a write's own busy timeout and a
#: server's connect and lost-connection timeouts (``review.store.server.CONNECT_DEFAULTS``) all end within it.
WRITE_GRACE_S = 30.0
#: How long closing waits for reads still running once their statements were interrupted: a read busy in Python
#: past it is abandoned (its result dropped, its connection closed by its own thread when it ends), never waited for.
READ_GRACE_MS = 250
Callback = Callable[[Any], Any] | None


class _WriteRelay(QObject):
    """Carries a write's outcome from the writer thread to the GUI thread, in order."""

    finished = Signal(int, bool, object)  # write number, failed, (result, changes) or the exception
    reconnecting = Signal(bool)  # a write is waiting for the server (True) or got through again (False)


class Operations(QObject):
    """Run desk calls and slow work off the GUI thread; tell pages what changed."""

    changed = Signal(object)  # frozenset[str]: the kinds of data a write changed
    reconnecting = Signal(bool)  # True: writes wait for the store's server to be reachable again; False: it is

    def __init__(self, store: Store, *, parent: QObject | None = None, max_threads: int | None = None,
                 busy_retry_s: float = BUSY_RETRY_S):
        super().__init__(parent)
        self.store = store
        self.busy_retry_s = busy_retry_s
        self._tasks = TaskRunner(self, max_threads=max_threads, name="veil-operations", keep_threads=True)
        self._readers: dict[int, Store] = {}
        self._readers_lock = threading.Lock()
        self._reading: set[int] = set()  # the worker threads running a read now (under _readers_lock)
        self._writes: queue.SimpleQueue[tuple[int, Callable[[Store], Any]] | None] = queue.SimpleQueue()
        self._waiting: dict[int, tuple[Callback, Callback, QObject | None]] = {}  # GUI thread only
        self._numbers = 0
        self._closed = False
        self._relay = _WriteRelay(self)
        self._relay.finished.connect(self._write_finished, Qt.ConnectionType.QueuedConnection)
        self._relay.reconnecting.connect(self.reconnecting, Qt.ConnectionType.QueuedConnection)
        self._closing = threading.Event()  # wakes a write waiting for the server, so closing never waits for it
        self._server_away = False  # the last write met an unreachable server (writer thread)
        self._ended = 0  # writes the writer has ended, stored or refused, not left unsaved for an outage
        self.unsaved = 0  # after close: writes asked for that were not stored because the server was away
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

    def close(self, timeout_ms: int = 5000, *, writes_timeout_ms: int | None = None) -> bool:
        """Let the writes asked for land while the store answers, deliver nothing more, close the readers.

        A write is a person's action (a decision, a score, giving an item
        back), so the writes already asked for still run, a write held by
        another program's lock included. But closing never waits for an
        absent server: a write waiting for it stops, those behind it are not
        tried, and the GUI thread waits for the writer at most
        *writes_timeout_ms* (default: :attr:`busy_retry_s` and
        :data:`WRITE_GRACE_S`, longer than a connect or a lost connection's
        timeouts take). :attr:`unsaved` then says how many writes were not stored,
        for the window to tell the person. Reads are never waited for:
        reads and slow work not started yet are dropped, the statements of
        running reads are interrupted (they fail; nobody wants their result
        now), and a read still running after *timeout_ms* (at most
        :data:`READ_GRACE_MS`: one busy in Python) is abandoned — it keeps its
        reader connection (closing it under the read would crash) until it
        ends, on its own thread, and False says so, as does a writer still
        running. At 1 M items a lead's sign-out waited 93 s here for a
        statements check (issue 22). The writer store is the caller's: the
        app closes it afterwards.
        """
        if self._closed:
            return True
        self._closed = True
        self._closing.set()
        self._interrupt_reads()  # first: a write in flight may be waiting for what a read holds
        self._writes.put(None)  # after every write already asked for
        self._writer.join(writes_timeout_ms / 1000 if writes_timeout_ms is not None
                          else self.busy_retry_s + WRITE_GRACE_S)
        writer_ended = not self._writer.is_alive()
        self.unsaved = self._numbers - self._ended
        if self.unsaved:
            log.warning("%s write(s) not stored: the store's server could not be reached", self.unsaved)
        if writer_ended:
            _reconnect_only_on_writer(self.store, False)  # the next runner's writer (or the sign-in page) may
        self._waiting.clear()
        if not self._tasks.close(min(timeout_ms, READ_GRACE_MS), while_waiting=self._interrupt_reads):
            log.info("a background read outlived closing: abandoned, its connection closes when it ends")
        with self._readers_lock:  # the readers of reads still running are closed by their own threads
            idle = [key for key in self._readers if key not in self._reading]
            readers = [self._readers.pop(key) for key in idle]
            reads_ended = not self._reading
        for reader in readers:
            reader.close()
        if not writer_ended:
            _outlived(self)
        return writer_ended and reads_ended

    def discard(self) -> None:
        """Delete the runner after :meth:`close` — later, on this thread — unless its writer outlived closing:
        such a runner is kept (:data:`_OUTLIVED`) past its writer's end, which then sends nothing anywhere."""
        if not self._writer.is_alive():
            self.deleteLater()

    # ------------------------------------------------------------ workers
    def _read(self, fn: Callable[..., T], **progress: Any) -> T:
        key = threading.get_ident()
        with self._readers_lock:
            if self._closed:
                raise StoreUnavailable("the window closed before this read started")
            reader = self._readers.get(key)
            if reader is None:
                reader = self._readers[key] = self.store.second_connection()
            self._reading.add(key)
        try:
            return fn(reader, **progress)
        finally:
            with self._readers_lock:
                self._reading.discard(key)
                abandoned = self._closed and self._readers.pop(key, None) is not None
            if abandoned:  # close() left this read running: its connection is closed here, by its own thread
                reader.close()

    def _interrupt_reads(self) -> None:
        """Stop the statement each running read is waiting on (it fails at once; its result is not wanted)."""
        with self._readers_lock:
            running = [self._readers[key] for key in self._reading if key in self._readers]
        for reader in running:
            _interrupt(reader)

    def _write_loop(self) -> None:  # on the writer thread
        _reconnect_only_on_writer(self.store, True)
        while (job := self._writes.get()) is not None:
            number, fn = job
            if self._closing.is_set() and self._server_away:
                continue  # closing while the server is away: not tried (each try could wait a connect timeout)
            try:
                outcome: Any = (self._attempt(fn), self.store.take_changes())
                failed = self._server_away = False
            except BaseException as exc:  # noqa: BLE001 - delivered to on_error, never swallowed
                self.store.take_changes()  # rolled back: nothing changed
                outcome, failed = exc, True
                self._server_away = isinstance(exc, StoreUnavailable) and _unreachable(exc)
            if not (self._closing.is_set() and self._server_away):
                self._ended += 1
            try:
                self._relay.finished.emit(number, failed, outcome)
            except RuntimeError:  # the window is gone: the write stands, nobody is left to tell
                log.debug("result of write %s not delivered: the runner was deleted", number)

    def _attempt(self, fn: Callable[[Store], T]) -> T:  # on the writer thread
        """``fn(writer)``, run again after a pause while the store is busy or its server unreachable and none of
        it was committed."""
        started, pause, reconnect_pause = time.monotonic(), _FIRST_PAUSE_S, _FIRST_RECONNECT_PAUSE_S
        waited_for_server = False
        try:
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
                except StoreUnavailable as exc:
                    if self.store.commits != commits or self._closing.is_set() or not _unreachable(exc):
                        raise
                    if not waited_for_server:
                        waited_for_server = True
                        self._relay.reconnecting.emit(True)
                    log.info("the store's server cannot be reached (%s); trying again in %.2f s", exc, reconnect_pause)
                    if self._closing.wait(reconnect_pause):
                        raise  # closing: not tried once more (a try may wait for a connect timeout)
                    reconnect_pause = min(reconnect_pause * 2, RECONNECT_PAUSE_S)
        finally:
            if waited_for_server:
                self._relay.reconnecting.emit(False)

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


#: Runners whose writer outlived :meth:`Operations.close`, apart from any parent; each is let go, on the GUI thread,
#: the next time one is kept after its writer has ended (a writer stuck past closing is rare). The
#: writer thread holds its runner (its loop is a method); were that the last reference, the thread would free the
#: runner's QObjects when it ends, on itself, while the GUI thread delivers their queued events: a crash (seen in
#: ``test_closing_waits_for_a_writer_that_cannot_end_only_so_long``, one run in two).
_OUTLIVED: list[Operations] = []


def _outlived(runner: Operations) -> None:
    """Keep *runner* (its writer still runs) until its writer ends; let go of those whose writer has (on the GUI
    thread, so their QObjects are freed here)."""
    _OUTLIVED[:] = [kept for kept in _OUTLIVED if kept._writer.is_alive()]
    runner.setParent(None)  # a parent's deletion would free it under the writer too
    _OUTLIVED.append(runner)


def _reconnect_only_on_writer(store: Store, here: bool) -> None:
    """Only the calling writer thread reopens a server store's lost connection (*here* False: any thread again),
    so the GUI thread's reads on it never wait for a connect."""
    claim = getattr(store.db, "reconnect_only_here", None)  # a server store's connection; a file has none
    if claim is not None:
        claim(here)


def _interrupt(reader: Store) -> None:
    """Make the statement *reader* runs now fail at once: SQLite's ``interrupt()``, psycopg's ``cancel()`` (both
    safe from another thread). A reader between statements is not touched."""
    connection = getattr(reader.db, "conn", None)
    stop = getattr(connection, "interrupt", None) or getattr(connection, "cancel", None)
    if stop is None:
        return
    try:
        stop()
    except Exception as exc:  # noqa: BLE001 - closing goes on: the read is abandoned, not waited for
        log.debug("could not interrupt a read: %s", exc)


def _unreachable(exc: StoreUnavailable) -> bool:
    """Whether *exc* says the store's server cannot be reached (only a server store raises it; its module, and
    so the server's driver, is imported only once a store error is met)."""
    from review.store.server_errors import ServerUnreachable

    return isinstance(exc, ServerUnreachable)

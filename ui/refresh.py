"""One background load at a time, with at most one more queued behind it.

Several pages (the queue overview, the dashboard, my results, disputes, the
audit work list) refresh their figures the same way: the load is a read
(``load(store)``) run through the operations runner (:meth:`Operations.query
<ui.operations.Operations.query>`, on a reader connection), only one load
runs at a time, a refresh asked for while one is running is remembered and
run *once* when it ends (a change notification plus an F5 press make one
extra load, not two), and the result or the failure comes back on the GUI
thread.  They each carried a copy of that bookkeeping; :class:`SingleFlight`
is the one copy::

    self._loads = SingleFlight(lambda store: desk.rows(store, user), ops, parent=self,
                               reload_on={"audit", "dispute"}, when=self.isVisible)
    self._loads.loaded.connect(self._show_rows)
    self._loads.failed.connect(self._show_problem)
    ...
    self._loads.request()

With *reload_on*, a write in this window that changed one of those kinds
(``Operations.changed``) starts a load by itself, while *when* holds (the
page is shown; a hidden page loads on its next show instead).

What the page does with the result (keeping the old figures on a failure,
saying "Could not refresh (reason); figures from HH:MM", emitting its own
signals) stays on the page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import QObject, Signal

from review.store import Store
from ui.operations import Operations

__all__ = ["SingleFlight", "reason"]


def reason(exc: BaseException) -> str:
    """The words to show for a failed load: its message, or its type when it has none."""
    return str(exc) or type(exc).__name__


class SingleFlight(QObject):
    """Run ``load(reader)`` through *ops*, one at a time; a request made meanwhile runs once afterwards.

    :attr:`loaded` carries the load's result, :attr:`failed` the exception it
    raised; both are emitted on the GUI thread with :attr:`busy`
    already False, and the queued request, if any, starts right after the
    slots return.  After :meth:`close` (or once *ops* is closed) nothing
    starts and nothing more is delivered.  Give the page as *parent*: when it
    is deleted, so is this object, and a late result is dropped.
    """

    loaded = Signal(object)
    failed = Signal(object)  # the exception

    def __init__(self, load: Callable[[Store], Any], ops: Operations, parent: QObject | None = None, *,
                 reload_on: Iterable[str] = (), when: Callable[[], bool] | None = None):
        super().__init__(parent)
        self._load = load
        self._ops = ops
        self._busy = False
        self._again = False
        self._closed = False
        self._reload_on = frozenset(reload_on)
        self._when = when
        if self._reload_on:
            ops.changed.connect(self._changed)

    @property
    def busy(self) -> bool:
        """True from a started load until its result or failure has been delivered."""
        return self._busy

    @property
    def closed(self) -> bool:
        return self._closed or self._ops.closed

    def request(self) -> bool:
        """Start a load; if one is running, remember to run one more after it. True if started now."""
        if self.closed:
            return False
        if self._busy:
            self._again = True
            return False
        self._busy = True
        self._ops.query(self._load, on_done=self._done, on_error=self._error, owner=self)
        return True

    def close(self) -> None:
        """Start nothing more and drop the result of a load still running."""
        if self._reload_on and not self._closed:
            self._ops.changed.disconnect(self._changed)
        self._closed = True
        self._again = False

    def _changed(self, kinds: frozenset[str]) -> None:
        if kinds & self._reload_on and (self._when is None or self._when()):
            self.request()

    def _done(self, result: Any) -> None:
        self._busy = False
        if self._closed:
            return
        self.loaded.emit(result)
        self._follow_up()

    def _error(self, exc: BaseException) -> None:
        self._busy = False
        if self._closed:
            return
        self.failed.emit(exc)
        self._follow_up()

    def _follow_up(self) -> None:
        if self._again and not self.closed:
            self._again = False
            self.request()

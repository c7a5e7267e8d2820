"""The wellbeing controller: one person's ``WellbeingSession`` on a 1 s timer, its notices turned into signals."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer, Signal

from review.clock import Clock
from review.errors import StoreUnavailable
from review.serving import Item
from review.store import Store, User
from review.wellbeing.exposure import ExposureRecord
from review.wellbeing.meter import MeterState
from review.wellbeing.notices import Notice
from review.wellbeing.policy import WellbeingPolicy, load_policy
from review.wellbeing.session import Polled, WellbeingSession
from ui.operations import Operations

log = logging.getLogger(__name__)


class _ActivityFilter(QObject):
    """Sees the application's events until the first input, then rests until the controller's next tick.

    A filter on the application, written in Python, runs for every event of
    every object — ten thousand to open a page — and each call waits for the
    interpreter while a background read holds it: on a big store that made
    opening a page take seconds (issue 22). Idleness is judged in minutes,
    so the first input of each second is all it needs: the filter takes
    itself off at once and is put back by :meth:`WellbeingController.tick`.
    """

    KINDS = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove, QEvent.Type.Wheel}

    def __init__(self, controller: WellbeingController, target: QObject) -> None:
        super().__init__(controller)
        self.controller, self.target = controller, target
        self.resting = True
        self.wake()

    def wake(self) -> None:
        if self.resting:
            self.resting = False
            self.target.installEventFilter(self)

    def rest(self) -> None:
        if not self.resting:
            self.resting = True
            self.target.removeEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in self.KINDS:
            self.rest()
            self.controller.activity()
        return False


class WellbeingController(QObject):
    """The Qt face of :class:`review.wellbeing.session.WellbeingSession` for one person (see ``ui.wellbeing``).

    Given *ops* (the session's runner), each tick's reads of the store — a break another window started, a
    lead's lift — run on one of its readers, one poll at a time, and what they found is applied when it
    arrives; and the session's writes — an item's exposure row, a prompt, a break — run on its writer thread,
    after the writes asked before them (a decision's), in the order the session made them. So nothing here
    waits on the GUI thread for the writer connection (a decision's commit on a busy disk, a server statement
    waiting for a row lock, a server away: its writes wait for it, as a decision's do). Without *ops* (tests,
    tools) the session reads and writes where it runs; after :meth:`close` it polls no more, and its writes
    (the last item's row, as a page closes) still follow the earlier ones on the runner until that closes too.
    """

    banner = Signal(str)
    dialog = Signal(str, int)
    enforce_break = Signal(int, bool, str)  # seconds, cool-down puzzle offered, what the break screen says
    break_remaining = Signal(int)
    break_over = Signal()
    prompt_cleared = Signal()
    idle_pause = Signal()
    meter_changed = Signal(object)  # MeterState
    serving_rule_changed = Signal(str)

    def __init__(
        self,
        store: Store,
        user: User,
        clock: Clock | None = None,
        policy: WellbeingPolicy | None = None,
        parent: QObject | None = None,
        *,
        ops: Operations | None = None,
    ) -> None:
        super().__init__(parent)
        self.store, self.user = store, user
        self._ops = ops
        self._writer = ops  # kept after close(): the writes asked for after it still follow the earlier ones
        self._polling = False
        self.clock = clock or store.clock
        self.policy = policy or load_policy(store)
        self.session = WellbeingSession(store, user, self.policy, clock=self.clock,
                                        write=self._write if ops is not None else None)
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.tick)
        self._filter: _ActivityFilter | None = None
        self._meter: MeterState | None = None
        self._rule: str | None = None
        self._remaining: int | None = None

    # ------------------------------------------------------------ queries
    @property
    def serving_rule(self) -> str:
        return self.session.serving_rule

    @property
    def meter(self) -> MeterState:
        return self.session.meter()

    @property
    def stage(self) -> str:
        return self.session.stage

    @property
    def on_break(self) -> bool:
        return self.session.on_break

    def may_claim(self) -> bool:
        return self.session.may_claim()

    # ------------------------------------------------------------- inputs
    def tick(self) -> None:
        """Call every second (or :meth:`start` the built-in timer).

        While a server store is away the tick does nothing (the window says it is reconnecting); the next tick
        after it returns catches up, as the session measures from the clock, not from the ticks.
        """
        if self._filter is not None:
            self._filter.wake()
        if self._ops is not None:
            self._poll(self._ops)
        try:
            notices = self.session.advance() if self._ops is not None else self.session.update()
        except StoreUnavailable:
            return
        self._emit(notices)

    def _poll(self, reads: Operations) -> None:
        """Start reading what the store says changed, unless the last poll is still running (a busy reader)."""
        if self._polling or reads.closed:
            return
        self._polling = True
        reads.query(self.session.poll, on_done=self._polled, on_error=self._poll_failed, owner=self)

    def _polled(self, polled: Polled) -> None:
        self._polling = False
        if self._ops is None:  # closed meanwhile
            return
        try:
            notices = self.session.advance(polled)
        except StoreUnavailable:
            return
        self._emit(notices)

    def _write(self, fn: Callable[[Store], object], failed: Callable[[Exception], None]) -> None:
        """The session's writes: on the runner's writer thread; here, as the session would, once it is closed."""
        ops = self._writer
        if ops is None or ops.closed:
            self.session.write_here(fn, failed)
            return
        ops.write(fn, on_error=lambda exc: self._write_failed(exc, failed), owner=self)

    def _write_failed(self, exc: Exception, failed: Callable[[Exception], None]) -> None:
        failed(exc)
        if self._ops is not None:  # still signed in: what the failure owes the person (an exposure row's banner), now
            self.tick()

    def _poll_failed(self, exc: BaseException) -> None:
        """A poll that failed (the server away, the reader interrupted at sign-out) is simply tried next tick."""
        self._polling = False
        log.debug("wellbeing poll failed: %s", exc)

    def item_shown(self, item: Item | None) -> None:
        """An item is on screen; None (a page's "no item") is ignored. Text is not veiled: its time is shown time."""
        if item is None:
            return
        self._emit(self.session.item_shown(item.severity, veiled=item.kind != "text"))

    def item_left(self, record: ExposureRecord | None) -> None:
        """The item left the screen: book its exposure (*record*, None if none was measured) and show what follows.

        Call it last when an item leaves: an enforced break may start inside it.
        """
        if record is None and not self.session.item_open:
            return
        self._emit(self.session.item_left(record))

    def activity(self) -> None:
        notices = self.session.activity()
        if notices:
            self._emit(notices)

    def set_window_active(self, active: bool) -> None:
        self._emit(self.session.set_window_active(active))

    def take_break(self) -> None:
        self._emit(self.session.take_break())

    def snooze(self) -> bool:
        """Snooze the dialog; False (refused) when none is showing or no snoozes are left."""
        accepted, notices = self.session.snooze()
        self._emit(notices)
        return accepted

    def acknowledge(self) -> None:
        self.session.acknowledge()

    def check_in(self, score: int) -> None:
        self.session.check_in(score)

    # ------------------------------------------------------------- timers
    def start(self, interval_ms: int = 1000) -> None:
        self._timer.setInterval(interval_ms)
        self._timer.start()
        self.tick()

    def stop(self) -> None:
        self._timer.stop()

    def watch_input(self, target: QObject) -> None:
        """Treat a key press, click, mouse move or wheel on *target* (the application) as activity: the first one
        after each :meth:`tick` (see ``_ActivityFilter``)."""
        self.unwatch_input()
        self._filter = _ActivityFilter(self, target)

    def unwatch_input(self) -> None:
        if self._filter is not None:
            self._filter.rest()
            self._filter.deleteLater()
        self._filter = None

    def close(self) -> None:
        """Sign-out or quit: stop the timer, the input filter and the polls (the ledger is already written)."""
        self.stop()
        self.unwatch_input()
        self._ops = None

    # ----------------------------------------------------------- signals
    def _emit(self, notices: list[Notice]) -> None:
        for notice in notices:
            if notice.kind == "banner":
                self.banner.emit(notice.text)
            elif notice.kind == "dialog":
                self.dialog.emit(notice.text, notice.snoozes_left)
            elif notice.kind == "enforce_break":
                self._remaining = notice.seconds
                self.enforce_break.emit(notice.seconds, notice.cooldown, notice.text)
            elif notice.kind == "break_over":
                self._remaining = None
                self.break_over.emit()
            elif notice.kind == "clear_prompt":
                self.prompt_cleared.emit()
            elif notice.kind == "idle_pause":
                self.idle_pause.emit()
        if self.session.on_break:
            remaining = self.session.break_remaining_s()
            if remaining != self._remaining:
                self._remaining = remaining
                self.break_remaining.emit(remaining)
        meter = self.session.meter()
        if self._meter is None or _shown(meter) != _shown(self._meter):
            self._meter = meter
            self.meter_changed.emit(meter)
        rule = self.session.serving_rule
        if rule != self._rule:
            self._rule = rule
            self.serving_rule_changed.emit(rule)


def _shown(state: MeterState) -> tuple[str, str, bool]:
    """What a person would see change (minutes, level), so the meter is not repainted every second."""
    return state.text(), state.level, state.break_due

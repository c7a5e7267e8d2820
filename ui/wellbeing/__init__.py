"""Wellbeing on screen: the exposure meter, break prompts, the break screen, and the controller.

Integration
===========

The logic lives in ``review.wellbeing`` (Qt-free); this module is the thin
Qt layer. The composition root builds one :class:`WellbeingController` per
signed-in person and hands it to the review page; :class:`WellbeingWidgets`
builds and connects the widgets. The page does the page things (leave the
item, release the lease, do not claim during a break).

Main window / desktop wiring (once per sign-in)::

    from review import wellbeing as wb
    from desktop.devclock import clock_from_env        # VEIL_CLOCK_SPEED=60 for demos
    clock = clock_from_env()                          # pass the same clock to open_store(...)
    controller = WellbeingController(store, user, clock, wb.load_policy(store), parent=window)
    widgets = WellbeingWidgets(controller, host=window.centralWidget(), dialog_parent=window)
    window.statusBar().addPermanentWidget(widgets.meter)   # always visible, small
    controller.watch_input(QGuiApplication.instance())     # any key/mouse input = activity (idle detection)
    controller.start()                                     # a 1 s QTimer calling tick()
    # on sign-out / close: controller.close(); widgets.close()

``host`` is what the break screen covers: the whole central widget (pages
and navigation rail), so nothing from a page shows during a break. Put
``widgets.banner`` at the top of the review page (it is a thin strip,
hidden until needed)::

    page_layout.insertWidget(0, widgets.banner)

Review page (``ui/review_page.py``), given ``self.wellbeing = controller``:

1. ``_claim_next``: first ``if not self.wellbeing.may_claim(): return``,
   then pass ``severe=self.wellbeing.serving_rule`` to ``claim_next`` (and
   to ``peek_next`` in ``_prefetch_next``).
2. ``_show``: after ``self.tracker.start(...)`` call
   ``self.wellbeing.item_shown(item)``. Optionally apply
   ``review.media.viewing.for_severity(self.view, item.severity, presets)``.
3. ``_leave_item``: at the very end (after ``self.item = None`` and after
   ``exposure.save``) call ``self.wellbeing.item_finished(record)``
   (``record`` may be None). An enforced break may start inside this call;
   that is why it comes last.
4. ``_set_active``: also ``self.wellbeing.set_window_active(active and visible)``.
5. Connect the controller's signals::

       controller.enforce_break.connect(self._wellbeing_pause)   # (seconds, cooldown)
       controller.idle_pause.connect(self._wellbeing_idle)
       controller.break_over.connect(lambda: self._show_idle("Break over. Press Enter when you are ready."))

   where ``_wellbeing_pause`` hides and gives back the item::

       def _wellbeing_pause(self, *_):
           current = self.item
           self._leave_item()                      # books exposure; media reblurred and cleared
           if current is not None:
               serving.release(self.store, self.user, current.id, reason="break")
           self._show_idle("On a break.")

   and ``_wellbeing_idle`` does the same with reason ``"idle"`` and the text
   "Paused after 5 minutes without input. Press Enter to continue."
6. ``undo``: return early unless ``self.wellbeing.may_claim()`` (undo puts
   an item back on screen; not during a break).
7. After the break: ``widgets.screen.back_to_work.connect(page.setFocus)``
   so the keys work again at once.
8. ``close_page``: ``self.wellbeing.close()`` if the page owns it.

A worked example of exactly this wiring, as a subclass, is ``WiredPage`` in
``tests/test_wellbeing_ui.py`` (its test decides items until an enforced
break and checks nothing is claimed or shown behind the break screen).

Signals (all emitted synchronously from the call that caused them):
``banner(str)``, ``dialog(str, snoozes_left)``, ``enforce_break(seconds,
cooldown)`` — every break start, chosen or enforced; a break cannot end
early — ``break_remaining(seconds)``, ``break_over()``, ``prompt_cleared()``
(time away already counted as the break), ``idle_pause()``,
``meter_changed(MeterState)`` and ``serving_rule_changed(str)`` (only on change).

Developer clock: ``VEIL_CLOCK_SPEED=60`` (``desktop.devclock``) makes a
minute pass each second, so a run under a virtual screen reaches the
50-minute prompt in under a minute. Use the same clock for the store.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QPainter
from PySide6.QtWidgets import (
    QDialog, QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget,
)

from review import wellbeing as wb
from review.clock import Clock
from review.store import Store, User
from review.wellbeing import MeterState, Notice, WellbeingPolicy, WellbeingSession
from ui import theme
from ui.wellbeing.cooldown import BlockGame, CooldownPuzzle

LEVEL_COLOURS = {"calm": "muted", "attention": "at_risk", "limit": "breached"}


# ================================================================ meter
class ExposureMeter(QWidget):
    """"Revealed today 3 min · Severe 1 h 10 / 4 h · Since break 42 min", small and calm.

    Neutral grey until a threshold: desaturated amber at the budget's
    warning share or when a break is due, desaturated brick at 100 %. The
    colour always comes with words ("break due", "budget used"), never alone.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("exposureMeter")
        self.label = QLabel(self)
        self.label.setObjectName("exposureMeterText")
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 0, 8, 0)
        layout.addWidget(self.label)
        self.setToolTip(
            "Time on screen today, counted only while Veil is in front.\n"
            "Revealed: time anything was unblurred. Severe: time on severe items, against today's budget.\n"
            "Since break: review time since your last break."
        )
        self.state: MeterState | None = None
        self.level = "calm"
        self.set_state(MeterState(0, 0, WellbeingPolicy().budget_ms, 0, False))

    def set_state(self, state: MeterState) -> None:
        self.state = state
        self.level = state.level
        words = state.text()
        if state.level == "limit":
            words += " · budget used"
        elif state.break_due:
            words += " · break due"
        self.label.setText(words)
        self.setAccessibleName(words)
        self.label.setStyleSheet(f"color: {self.colour()};")

    def colour(self) -> str:
        return theme.COLORS[LEVEL_COLOURS[self.level]]

    def text(self) -> str:
        return self.label.text()


# =============================================================== prompts
class BreakBanner(QFrame):
    """A thin, non-modal strip: the first, gentlest prompt (and budget notes)."""

    take_break = Signal()
    later = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("breakBanner")
        self.setStyleSheet(
            f"QFrame#breakBanner {{ background: {theme.COLORS['raised']}; border: 1px solid {theme.COLORS['border']};"
            f" border-radius: 4px; }} QFrame#breakBanner QLabel {{ color: {theme.COLORS['text']}; }}"
        )
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.take_button = QPushButton("Take a break now")
        self.later_button = QPushButton("Later")
        for button in (self.take_button, self.later_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a strip must not steal the reviewer's keys
        self.take_button.clicked.connect(self._take)
        self.later_button.clicked.connect(self._later)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 8, 6)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.take_button)
        layout.addWidget(self.later_button)
        self.hide()

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.show()

    def _take(self) -> None:
        self.hide()
        self.take_break.emit()

    def _later(self) -> None:
        self.hide()
        self.later.emit()


class BreakDialog(QDialog):
    """The second prompt: modal, with "Take a break" and a limited snooze.

    With no snoozes left the second button is "Finish this item first": the
    break then starts at the next item boundary. Esc is a snooze while one
    is left, otherwise the same as "Finish this item first".
    """

    take_break = Signal()
    snooze = Signal()
    acknowledged = Signal()

    def __init__(self, text: str, snoozes_left: int, snooze_min: float = 5, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("breakDialog")
        self.setWindowTitle("Time for a break")
        self.setModal(True)
        self.snoozes_left = snoozes_left
        self.choice: str | None = None
        message = QLabel(text)
        message.setWordWrap(True)
        message.setMinimumWidth(360)
        self.take_button = QPushButton("Take a break")
        self.take_button.setDefault(True)
        if snoozes_left > 0:
            self.second_button = QPushButton(f"Snooze {snooze_min:g} min ({snoozes_left} left)")
        else:
            self.second_button = QPushButton("Finish this item first")
        self.take_button.clicked.connect(lambda: self._choose("take"))
        self.second_button.clicked.connect(lambda: self._choose("snooze" if self.snoozes_left > 0 else "ack"))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.second_button)
        buttons.addWidget(self.take_button)
        layout = QVBoxLayout(self)
        layout.addWidget(message)
        layout.addLayout(buttons)

    def _choose(self, choice: str) -> None:
        self.choice = choice
        {"take": self.take_break, "snooze": self.snooze, "ack": self.acknowledged}[choice].emit()
        self.accept()

    def reject(self) -> None:  # Esc or the window's close button
        if self.choice is None:
            self._choose("snooze" if self.snoozes_left > 0 else "ack")
        else:
            super().reject()


# ========================================================== break screen
class BreakScreen(QWidget):
    """Covers everything in its host while a break runs; cannot be dismissed before the countdown ends.

    Shows the time left (mm:ss), a short suggestion, the cool-down puzzle
    after a run of severe items, and the optional one-tap check-in (1–5,
    private). When the countdown ends, "Back to work" appears.
    """

    back_to_work = Signal()
    checked_in = Signal(int)

    # Window-level keys that still work on a break: quit and sign out are the person's right.
    PASSTHROUGH = (QKeySequence("Ctrl+Q"), QKeySequence("Ctrl+Shift+L"))

    def __init__(self, host: QWidget):
        super().__init__(host)
        self.setObjectName("breakScreen")
        self.host = host
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setAutoFillBackground(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.finished = False
        self.remaining = 0

        self.title = QLabel("Break")
        self.title.setObjectName("breakTitle")
        self.title.setStyleSheet(f"font-size: 18pt; color: {theme.COLORS['text']};")
        self.countdown = QLabel("00:00")
        self.countdown.setObjectName("breakCountdown")
        self.countdown.setStyleSheet(f"font-size: 30pt; font-weight: 300; color: {theme.COLORS['accent_text']};")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {theme.COLORS['muted']};")
        for label in (self.title, self.countdown, self.message):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.puzzle_caption = QLabel("If you like: a calm puzzle. ← → move, ↑ turns, ↓ drops.")
        self.puzzle_caption.setStyleSheet(f"color: {theme.COLORS['muted']};")
        self.puzzle_caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.puzzle = CooldownPuzzle()

        self.checkin_label = QLabel("How are you right now?  1 = rough · 5 = fine  (optional, only you see it)")
        self.checkin_label.setStyleSheet(f"color: {theme.COLORS['muted']};")
        self.checkin_buttons = []
        checkin_row = QHBoxLayout()
        checkin_row.addStretch(1)
        for score in range(1, 6):
            button = QPushButton(str(score))
            button.setMinimumWidth(44)
            button.clicked.connect(lambda _=False, s=score: self._check_in(s))
            self.checkin_buttons.append(button)
            checkin_row.addWidget(button)
        checkin_row.addStretch(1)
        self.checkin_thanks = QLabel("")
        self.checkin_thanks.setStyleSheet(f"color: {theme.COLORS['muted']};")
        self.checkin_thanks.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.back_button = QPushButton("Back to work")
        self.back_button.clicked.connect(self.dismiss)
        self.back_button.hide()

        column = QVBoxLayout()
        column.addStretch(1)
        column.addWidget(self.title)
        column.addWidget(self.countdown)
        column.addWidget(self.message)
        column.addSpacing(12)
        column.addWidget(self.puzzle_caption)
        column.addWidget(self.puzzle, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addSpacing(12)
        column.addWidget(self.checkin_label, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addLayout(checkin_row)
        column.addWidget(self.checkin_thanks)
        column.addSpacing(8)
        column.addWidget(self.back_button, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addStretch(1)
        layout = QHBoxLayout(self)
        layout.addStretch(1)
        layout.addLayout(column, 3)
        layout.addStretch(1)
        host.installEventFilter(self)
        self.hide()

    # --------------------------------------------------------- lifecycle
    def start(self, seconds: int, cooldown: bool) -> None:
        """Cover the host and count down *seconds*; the puzzle only if *cooldown*."""
        self.finished = False
        self.back_button.hide()
        self.title.setText("Break")
        self.message.setText(
            "Step away from the screen if you can: stand up, look at something far away, breathe out slowly."
            if not cooldown else
            "You have seen a run of severe items. Look away, breathe out slowly — "
            "or, if you like, play a few calm blocks below."
        )
        self.puzzle_caption.setVisible(cooldown)
        self.puzzle.setVisible(cooldown)
        if cooldown:
            self.puzzle.new_game(BlockGame())
        for button in self.checkin_buttons:
            button.setEnabled(True)
        self.checkin_thanks.setText("")
        self.set_remaining(seconds)
        self.setGeometry(self.host.rect())
        self.show()
        self.raise_()
        target = self.puzzle if cooldown else self
        target.setFocus()
        # The page may take focus back on its way out of the call that started the break
        # (``_commit`` ends with ``setFocus()``): take it again once that call has returned.
        QTimer.singleShot(0, self, lambda: self.isVisible() and not self.finished and target.setFocus())

    def set_remaining(self, seconds: int) -> None:
        self.remaining = max(0, int(seconds))
        minutes, secs = divmod(self.remaining, 60)
        self.countdown.setText(f"{minutes:02d}:{secs:02d}")

    def finish(self) -> None:
        """The countdown is over: offer the way back."""
        self.finished = True
        self.set_remaining(0)
        self.title.setText("Break over")
        self.back_button.show()
        self.back_button.setFocus()

    def dismiss(self) -> bool:
        """Leave the screen; refused (False) while the countdown runs."""
        if not self.finished:
            return False
        self.puzzle.gravity.stop()
        self.hide()
        self.back_to_work.emit()
        return True

    def _check_in(self, score: int) -> None:
        for button in self.checkin_buttons:
            button.setEnabled(False)
        self.checkin_thanks.setText("Thank you. Only you can see your answers.")
        self.checked_in.emit(score)

    # ------------------------------------------------------------ events
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.host and event.type() == QEvent.Type.Resize and self.isVisible():
            self.setGeometry(self.host.rect())
        return False

    def event(self, event: QEvent) -> bool:
        # While the screen is up, no page shortcut fires (Enter would claim an item, Space reveal, …).
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            pressed = QKeySequence(event.keyCombination())
            if not any(pressed.matches(k) == QKeySequence.SequenceMatch.ExactMatch for k in self.PASSTHROUGH):
                event.accept()
                return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.finished:
            self.dismiss()
        event.accept()  # Esc and everything else: nothing happens, and nothing reaches the page

    def mousePressEvent(self, event) -> None:
        event.accept()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), theme.color("window"))  # opaque: nothing of the page shows through
        painter.end()


# ============================================================ controller
class _ActivityFilter(QObject):
    KINDS = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove, QEvent.Type.Wheel}

    def __init__(self, controller: "WellbeingController"):
        super().__init__(controller)
        self.controller = controller

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in self.KINDS:
            self.controller.activity()
        return False


class WellbeingController(QObject):
    """The Qt face of :class:`review.wellbeing.WellbeingSession` for one person (see the module docstring)."""

    banner = Signal(str)
    dialog = Signal(str, int)
    enforce_break = Signal(int, bool)
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
    ):
        super().__init__(parent)
        self.store, self.user = store, user
        self.clock = clock or store.clock
        self.policy = policy or wb.load_policy(store)
        self.session = WellbeingSession(store, user, self.policy, clock=self.clock)
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.tick)
        self._filter: _ActivityFilter | None = None
        self._watched: QObject | None = None
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
        """Call every second (or :meth:`start` the built-in timer)."""
        self._emit(self.session.update())

    def item_shown(self, item: Any | None) -> None:
        """An item is on screen (``review.serving.Item``; None, as the page's ``item_shown`` sends for no item, is ignored)."""
        if item is None:
            return
        self._emit(self.session.item_shown(getattr(item, "severity", None)))

    def item_finished(self, record: Any | None = None) -> None:
        """The item left the screen; *record* is the tracker's ``ExposureRecord`` (or None)."""
        if record is None and not self.session.item_open:
            return
        self._emit(self.session.item_finished(record))

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
        """Treat every key press, click, mouse move and wheel on *target* (the application) as activity."""
        self.unwatch_input()
        self._filter = _ActivityFilter(self)
        self._watched = target
        target.installEventFilter(self._filter)

    def unwatch_input(self) -> None:
        if self._filter is not None and self._watched is not None:
            self._watched.removeEventFilter(self._filter)
            self._filter.deleteLater()
        self._filter = self._watched = None

    def close(self) -> None:
        """Sign-out or quit: stop the timer and the input filter (the ledger is already written)."""
        self.stop()
        self.unwatch_input()

    # ----------------------------------------------------------- signals
    def _emit(self, notices: list[Notice]) -> None:
        for notice in notices:
            if notice.kind == "banner":
                self.banner.emit(notice.text)
            elif notice.kind == "dialog":
                self.dialog.emit(notice.text, notice.snoozes_left)
            elif notice.kind == "enforce_break":
                self._remaining = notice.seconds
                self.enforce_break.emit(notice.seconds, notice.cooldown)
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


# ================================================================ wiring
class WellbeingWidgets:
    """Builds the meter, banner, dialog and break screen and connects them to a controller.

    The caller places ``meter`` (status bar) and ``banner`` (top of the review
    page); the break screen covers *host*.
    """

    def __init__(self, controller: WellbeingController, host: QWidget, dialog_parent: QWidget | None = None):
        self.controller = controller
        self.meter = ExposureMeter()
        self.banner = BreakBanner()
        self.screen = BreakScreen(host)
        self.dialog: BreakDialog | None = None
        self._dialog_parent = dialog_parent or host
        controller.meter_changed.connect(self.meter.set_state)
        controller.banner.connect(self.banner.show_message)
        controller.dialog.connect(self.show_dialog)
        controller.enforce_break.connect(self._break_started)
        controller.break_remaining.connect(self.screen.set_remaining)
        controller.break_over.connect(self.screen.finish)
        controller.prompt_cleared.connect(self._clear_prompts)
        self.banner.take_break.connect(controller.take_break)
        self.screen.checked_in.connect(controller.check_in)
        self.meter.set_state(controller.meter)

    def show_dialog(self, text: str, snoozes_left: int) -> None:
        self._close_dialog()
        self.banner.hide()
        dialog = BreakDialog(text, snoozes_left, self.controller.policy.snooze_min, self._dialog_parent)
        dialog.take_break.connect(self.controller.take_break)
        dialog.snooze.connect(self.controller.snooze)
        dialog.acknowledged.connect(self.controller.acknowledge)
        dialog.finished.connect(lambda _=0, d=dialog: self._dialog_done(d))
        self.dialog = dialog
        dialog.open()  # window-modal without a nested event loop: the coach keeps ticking
        dialog.raise_()
        dialog.activateWindow()  # keys go to the prompt, not to the page behind it

    def _dialog_done(self, dialog: BreakDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None
        dialog.deleteLater()

    def _break_started(self, seconds: int, cooldown: bool) -> None:
        self._clear_prompts()
        self.screen.start(seconds, cooldown)

    def _clear_prompts(self) -> None:
        self.banner.hide()
        self._close_dialog()

    def _close_dialog(self) -> None:
        if self.dialog is not None:
            dialog, self.dialog = self.dialog, None
            dialog.choice = dialog.choice or "closed"
            dialog.done(0)

    def close(self) -> None:
        """Sign-out: close the dialog and remove the widgets (the next person gets new ones)."""
        self._close_dialog()
        self.screen.puzzle.gravity.stop()
        self.screen.host.removeEventFilter(self.screen)
        for widget in (self.screen, self.banner, self.meter):
            widget.hide()
            widget.deleteLater()


__all__ = [
    "ExposureMeter", "BreakBanner", "BreakDialog", "BreakScreen", "CooldownPuzzle", "WellbeingController",
    "WellbeingWidgets",
]

"""The wellbeing widgets together: the meter, banner, dialog and break screen, built and connected to a controller."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from ui.wellbeing.break_screen import BreakScreen
from ui.wellbeing.controller import WellbeingController
from ui.wellbeing.meter import ExposureMeter
from ui.wellbeing.prompts import BreakBanner, BreakDialog


class WellbeingWidgets:
    """Builds the meter, banner, dialog and break screen and connects them to a controller.

    The caller places ``meter`` (status bar), ``banner`` (a tool bar: a row of
    its own) and ``take_break_action`` (a menu and the window: Ctrl+B takes a
    break now, whatever page is showing); the break screen covers *host*.
    """

    TAKE_BREAK_KEY = "Ctrl+B"

    def __init__(self, controller: WellbeingController, host: QWidget, dialog_parent: QWidget | None = None) -> None:
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
        # A break on one's own, any time: the coach starts the one that is due (the long one if severe time is).
        self.take_break_action = QAction("Take a break now", controller)
        self.take_break_action.setShortcut(QKeySequence(self.TAKE_BREAK_KEY))
        self.take_break_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.take_break_action.setToolTip("Start a break now; it counts down and cannot be cut short")
        self.take_break_action.triggered.connect(controller.take_break)
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

    def _break_started(self, seconds: int, cooldown: bool, text: str) -> None:
        self._clear_prompts()
        self.screen.start(seconds, cooldown, text)

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
        self.screen.release()
        for widget in (self.screen, self.banner, self.meter):
            widget.hide()
            widget.deleteLater()

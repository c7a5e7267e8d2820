"""Dialogs give the keys back: when a modal closes, its page's window is active again and the page has the focus.

Without a window manager (kiosk sessions, the screenshot tool) and on some
desktops, nothing re-activates the main window when a dialog closes, so the
next key press goes nowhere. Every dialog a page opens goes through
:func:`returning_focus`, which puts that right in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QWidget

DialogT = TypeVar("DialogT", bound=QDialog)


def returning_focus(dialog: DialogT, to: QWidget) -> DialogT:
    """*dialog*, set to give the keys back to *to* when it closes (whichever way: Close, Esc, a key of its own)."""
    dialog.finished.connect(lambda _result: give_focus_back(to))
    return dialog


def give_focus_back(to: QWidget) -> None:
    """Activate *to*'s window and focus *to* (a window: the widget it last focused, so typing carries on there)."""
    window = to.window()
    window.activateWindow()
    target = (window.focusWidget() or window) if to is window else to
    target.setFocus(Qt.FocusReason.ActiveWindowFocusReason)


def open_returning(dialog: QDialog) -> None:
    """Open *dialog* (window-modal, without a nested event loop) so that it gives the keys back to the widget it
    was opened from: its parent, else the window that is active now."""
    back_to = dialog.parentWidget() or QApplication.activeWindow()
    if back_to is not None:
        returning_focus(dialog, back_to)
    dialog.open()


def opening(open_dialog: Callable[[], QDialog | None], back_to: QWidget) -> Callable[[], None]:
    """A key's handler: open a dialog with *open_dialog* (which may open none) that gives the keys to *back_to*."""

    def opened() -> None:
        dialog = open_dialog()
        if dialog is not None:
            returning_focus(dialog, back_to)

    return opened

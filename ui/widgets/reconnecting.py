"""What the window says about the store's server: the calm "Reconnecting…" strip, and what closing left unsaved.

Why a strip and not a dialog: a server restart or a dropped connection is
the site's weather, not the moderator's mistake. Every page's writes go
through the session's one writer, so the strip belongs to the window (its
status bar), not to one page: the item stays on screen with its lease, what
is pressed waits, in order, in the operations runner (which tries again
with growing pauses) and the strip goes away by itself when a write gets
through. It follows ``Operations.reconnecting``, which changes once per
outage, so it never flashes; it takes no focus and says no more than the
person needs — including the one thing they must know: what waits is saved
only if Veil stays open until the server is back. Closing or signing out
meanwhile drops it, and :func:`say_unsaved` tells the person so.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

from ui.operations import Operations

TEXT = ("Reconnecting to the server…  What you press waits here and is saved, in order, when the server is back; "
        "keep Veil open until then.")


class ReconnectingStrip(QLabel):
    """Shown while the runner it follows waits for the store's server; hidden otherwise (a status, not an alert)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(TEXT, parent, objectName="reconnecting")
        self.setWordWrap(True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setAccessibleName("Connection status")
        self.setStyleSheet("QLabel#reconnecting { padding: 6px 10px; border-radius: 4px;"
                           " background: palette(alternate-base); }")
        self.hide()

    def follow(self, ops: Operations) -> None:
        """Follow *ops* (the session's current runner): shown while its writes wait for the server."""
        self.hide()
        ops.reconnecting.connect(self.setVisible)


def unsaved_text(count: int) -> str:
    """What to tell a person whose *count* writes were dropped by closing while the server was away."""
    what = "1 change was" if count == 1 else f"{count} changes were"
    return (f"{what} not saved: the store's server could not be reached when Veil closed. What you pressed last "
            "(a decision, a score) is not stored; do it again once the server is back.")


def say_unsaved(parent: QWidget | None, count: int) -> None:
    """Tell the person, plainly and before anything else happens, that *count* writes were not saved."""
    if count:
        QMessageBox.warning(parent, "Not saved", unsaved_text(count))

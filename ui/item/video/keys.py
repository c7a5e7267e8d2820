"""What a key does in the video view, here and now — or nothing, so the page gets it.

The table is the package docstring's (:mod:`ui.item.video`). A key applies
only when it makes sense in the current mode (arrows move the selection in
the grid but skip in the large view; P needs something playable), and only
unmodified (brackets excepted: some layouts need AltGr for them). A key
that does not apply is left to the page: Space (reveal), number keys,
letters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent

if TYPE_CHECKING:
    from ui.item.video.widget import VideoView

SKIP_SECONDS = 5.0
"""How far ←/→ (large view), J/L and the ∓5 s buttons move."""
GRID_COLUMNS = 3  # the storyboard's 3×3 grid: ↑ ↓ move by a row


def _allowed(event: QKeyEvent) -> bool:
    if event.key() in (Qt.Key.Key_BracketLeft, Qt.Key.Key_BracketRight):
        return True  # some layouts need AltGr (Ctrl+Alt) for brackets
    mods = event.modifiers() & ~(Qt.KeyboardModifier.KeypadModifier | Qt.KeyboardModifier.ShiftModifier)
    return mods == Qt.KeyboardModifier.NoModifier


def key_action(view: VideoView, event: QKeyEvent) -> Callable[[], None] | None:
    """The action ``event``'s key triggers on ``view`` now, or None to let the page have it."""
    if not _allowed(event):
        return None
    mode = view.mode()
    grid, frame = mode == "grid", mode == "frame"
    playable = (grid or frame) and view.duration() > 0
    selected = view.selected_index()
    back, forward = (lambda: view.skip(-SKIP_SECONDS)), (lambda: view.skip(SKIP_SECONDS))
    actions: dict[int, tuple[bool, Callable[[], None]]] = {
        Qt.Key.Key_P: (playable, view.toggle_play),
        Qt.Key.Key_K: (view.is_playing(), view.pause),
        Qt.Key.Key_BracketRight: (playable, view.faster),
        Qt.Key.Key_BracketLeft: (playable, view.slower),
        Qt.Key.Key_J: (playable, back),
        Qt.Key.Key_L: (playable, forward),
        Qt.Key.Key_Left: (grid or (frame and playable), (lambda: view.select(selected - 1)) if grid else back),
        Qt.Key.Key_Right: (grid or (frame and playable), (lambda: view.select(selected + 1)) if grid else forward),
        Qt.Key.Key_Up: (grid, lambda: view.select(selected - GRID_COLUMNS)),
        Qt.Key.Key_Down: (grid, lambda: view.select(selected + GRID_COLUMNS)),
        Qt.Key.Key_Return: (grid, view.open_frame),
        Qt.Key.Key_Enter: (grid, view.open_frame),
        Qt.Key.Key_Escape: (frame, view.back_to_grid),
        Qt.Key.Key_Backspace: (frame, view.back_to_grid),
    }
    applicable, action = actions.get(event.key(), (False, None))
    return action if applicable else None

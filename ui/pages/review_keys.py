"""The review page's keys: each binding (the person's own over the defaults) to what it does on the page.

Kept apart from the page so the page holds the flow and this holds the
map from keys to its calls. The complaint keys (uphold, reverse:
``ui.pages.review_complaint``) are commands like the others, re-bindable
and on the cheat sheet; the escalation workbench's are left out.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut

from ui import keymap

if TYPE_CHECKING:
    from ui.pages.review import ReviewPage


def bind_keys(page: ReviewPage, bindings: list[keymap.Binding]) -> list[keymap.Binding]:
    """Put *bindings* (less the escalation workbench's) on *page*, whose hints name them; the bindings used."""
    used = [b for b in bindings if b.command not in keymap.ESCALATION_COMMANDS]
    view = page.item_view
    handlers: dict[str, Callable[[], Any]] = {
        "start": page.start, "skip": page.skip, "note": page.focus_note, "undo": page.undo,
        "hide": page.escape, "help": page.show_help, "zoom_in": view.image.zoom_in,
        "zoom_out": view.image.zoom_out, "fit": view.image.fit,
        "play": lambda: view.video("toggle_play"), "open_frame": lambda: view.video("open_frame"),
        "storyboard": lambda: view.video("back_to_grid"), "back": lambda: view.video("skip", -5),
        "forward": lambda: view.video("skip", 5), "slower": lambda: view.video("slower"),
        "faster": lambda: view.video("faster"), "uphold": partial(page.complaint_key, page.complaint.uphold),
        "reverse": partial(page.complaint_key, page.complaint.reverse),
    }
    page.complaint.use_keys(used)
    for binding in used:
        command = binding.command
        if command == "reveal":
            continue
        if command.startswith("action:"):
            handler: Callable[[], Any] = partial(page.act, command.split(":", 1)[1])
        elif command.startswith("label:"):
            handler = partial(page.toggle_label, command.split(":", 1)[1])
        else:
            handler = handlers[command]
        _shortcut(page, binding.key, handler)
    return used


def _shortcut(page: ReviewPage, key: str, handler: Callable[[], Any]) -> None:
    shortcut = QShortcut(QKeySequence(key), page)
    shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    shortcut.activated.connect(handler)

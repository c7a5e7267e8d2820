"""The review page's keys: each binding (the person's own over the defaults) to what it does on the page.

Kept apart from the page so the page holds the flow and this holds the
map from keys to its calls. While a video's storyboard is on screen the
page's Enter opens the selected keyframe and the back / forward keys (and
↑ ↓, the storyboard's own) move the selection, as they do when the video
has the focus (``ui.item.video.keys``); in the large view they skip as
before. On a zoomed picture the same keys pan it. The complaint keys (uphold, reverse:
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
from ui.item.video.keys import GRID_COLUMNS
from ui.widgets import modal

PAN_STEP = 0.15  # an arrow key moves a zoomed picture by this share of the area

if TYPE_CHECKING:
    from ui.pages.review import ReviewPage


def bind_keys(page: ReviewPage, bindings: list[keymap.Binding]) -> list[keymap.Binding]:
    """Put *bindings* (less the escalation workbench's) on *page*, whose hints name them; the bindings used."""
    used = [b for b in bindings if b.command not in keymap.ESCALATION_COMMANDS]
    view = page.item_view
    handlers: dict[str, Callable[[], Any]] = {
        "start": _on_storyboard(page, None, page.start), "skip": page.skip, "note": page.focus_note, "undo": page.undo,
        "hide": page.escape, "help": page.show_help, "zoom_in": view.image.zoom_in,
        "zoom_out": view.image.zoom_out, "fit": view.image.fit, "thread": view.toggle_thread,
        "play": lambda: view.video("toggle_play"), "open_frame": lambda: view.video("open_frame"),
        "storyboard": lambda: view.video("back_to_grid"),
        "back": _on_storyboard(page, -1, lambda: view.video("skip", -5), pan=(1, 0)),
        "forward": _on_storyboard(page, 1, lambda: view.video("skip", 5), pan=(-1, 0)),
        "slower": lambda: view.video("slower"),
        "faster": lambda: view.video("faster"), "uphold": partial(page.complaint_key, page.complaint.uphold),
        "reverse": partial(page.complaint_key, page.complaint.reverse),
        "account": modal.opening(view.context.account.open_list, page),
        "policy": modal.opening(page.decision.show_policy_text, page),
    }
    page.complaint.use_keys(used)
    view.name_keys(used)
    for binding in used:
        command = binding.command
        if command == "reveal":
            continue
        if command == "account":  # the account line and the policy line name the person's own keys
            view.context.account.key = keymap.shown_key(binding.key)
        if command == "policy":
            page.decision.set_policy_key(keymap.shown_key(binding.key))
        if command.startswith("action:"):
            handler: Callable[[], Any] = partial(page.act, command.split(":", 1)[1])
        elif command.startswith("label:"):
            handler = partial(page.toggle_label, command.split(":", 1)[1])
        else:
            handler = handlers[command]
        _shortcut(page, binding.key, handler)
    for key, rows in ((Qt.Key.Key_Up, -1), (Qt.Key.Key_Down, 1)):  # the storyboard's rows, or a pan; nothing else
        _shortcut(page, QKeySequence(key).toString(),
                  _on_storyboard(page, rows * GRID_COLUMNS, lambda: None, pan=(0, -rows)))
    return used


def _on_storyboard(page: ReviewPage, step: int | None, otherwise: Callable[[], Any], *,
                   pan: tuple[int, int] = (0, 0)) -> Callable[[], None]:
    """While a storyboard is on screen (and the note does not have the keys): move the selected keyframe by
    *step*, or open it (None); on a zoomed picture: pan it by *pan* steps; otherwise *otherwise*."""

    def pressed() -> None:
        view = page.item_view
        shown = view.media.currentWidget() if page.item is not None and not view.hidden else None
        if page.decision.note.hasFocus() or shown is None:
            otherwise()
        elif shown is view.video_view and view.video_view.mode() == "grid":
            if step is None:
                view.video("open_frame")
            else:
                view.video("select", view.video_view.selected_index() + step)
        elif not (shown is view.image and any(pan) and
                  view.image.pan_by(pan[0] * view.image.width() * PAN_STEP, pan[1] * view.image.height() * PAN_STEP)):
            otherwise()

    return pressed


def _shortcut(page: ReviewPage, key: str, handler: Callable[[], Any]) -> None:
    shortcut = QShortcut(QKeySequence(key), page)
    shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    shortcut.activated.connect(handler)

"""A decided item on screen, read-only: the second face of "My decisions" and of the lead's "Corrections".

``DecidedItemStack`` shows a list, or one item on the shared
:class:`~ui.item.view.ItemView` — veiled by the person's settings and the
organisation's severity presets, revealed only by the held reveal key or a
dragged rectangle, the thread collapsed — with the page's *side* panel
beside it. Looking at an old item is exposure like any other: it is booked
with the wellbeing controller when the item leaves the screen, and a break
or an idle pause takes it off at once. Nothing here decides anything.
``page_key`` binds a key for the whole page (list, item and fields alike),
as the stack and both pages bind theirs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QStackedWidget, QWidget

from review.clock import Clock
from review.media.viewing import ViewSettings
from review.serving import Item
from review.store import User
from review.taxonomy import Taxonomy
from ui import keymap
from ui.item.view import ItemView
from ui.operations import Operations
from ui.wellbeing.controller import WellbeingController

#: The item view's own keys these pages bind (by the person's bindings); Esc is the page's (it also leaves a
#: reason field, :meth:`DecidedItemStack.escape`), deciding keys are each page's own.
VIEW_COMMANDS = ("thread", "zoom_in", "zoom_out", "fit", "play", "open_frame")


def page_key(scope: QWidget, key: str, handler: Callable[[], Any]) -> QShortcut:
    """*key* runs *handler* while the focus is anywhere in *scope*: the list, the item or a field of the page."""
    shortcut = QShortcut(QKeySequence(key), scope)
    shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    shortcut.activated.connect(handler)
    return shortcut


@dataclass
class DeskServices:
    """What a page that shows items on the desk needs, built by the desktop wiring: the review page's viewing
    settings, keys and wellbeing coach (My decisions, Corrections, Training)."""

    ops: Operations
    user: User
    taxonomy: Taxonomy
    view: ViewSettings
    bindings: list[keymap.Binding]
    clock: Clock
    wellbeing: WellbeingController
    audit_states: Callable[..., Any] | None = None  # My decisions: QA's state of each sampled decision


class DecidedItemStack(QStackedWidget):
    """The page's list, or one decided item (read-only, veiled) with the page's *side* panel."""

    returned = Signal()  # back on the list after an item (Backspace, a break, an idle pause)

    def __init__(self, listing: QWidget, services: DeskServices, *, side: QWidget, key_scope: QWidget,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.services, self.listing = services, listing
        self.wellbeing = services.wellbeing
        reveal = next(QKeySequence(b.key)[0].key() for b in services.bindings if b.command == "reveal")
        self.item_view = ItemView(services.taxonomy, services.view, services.clock, ops=services.ops,
                                  reveal_key=reveal, key_scope=key_scope, side=side,
                                  media_error_hint="The decision is shown beside it.")
        self.item_view.read_severity_presets(services.ops)
        self.item_view.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # holds the focus (and so the page's keys)
        self.item_view.active_changed.connect(self.wellbeing.set_window_active)
        self.wellbeing.enforce_break.connect(lambda *_: self.back())
        self.wellbeing.idle_pause.connect(self.back)
        self.addWidget(listing)
        self.addWidget(self.item_view)
        self.setMinimumSize(1, 1)  # the list's face must not take the item face's height: the window fits 720 px
        view = self.item_view
        handlers: dict[str, Callable[[], Any]] = {
            "thread": view.toggle_thread, "zoom_in": view.image.zoom_in,
            "zoom_out": view.image.zoom_out, "fit": view.image.fit, "play": lambda: view.video("toggle_play"),
            "open_frame": lambda: view.video("open_frame")}
        self.view_keys = []
        view.name_keys(services.bindings)
        for binding in services.bindings:
            if binding.command in VIEW_COMMANDS:
                self.view_keys.append(page_key(key_scope, binding.key, handlers[binding.command]))
        # The storyboard key (Backspace) steps back: from a large keyframe to the storyboard, else to the list.
        back = next((b.key for b in services.bindings if b.command == "storyboard"), "Backspace")
        page_key(key_scope, back, self._step_back)
        self._viewing(False)

    def _viewing(self, on: bool) -> None:
        for shortcut in self.view_keys:  # Esc and the rest mean nothing on the list
            shortcut.setEnabled(on)

    @property
    def item(self) -> Item | None:
        return self.item_view.item

    def open(self, item: Item) -> bool:
        """Show *item* veiled, counting its exposure; False (nothing shown) during a break."""
        if not self.wellbeing.may_claim():
            return False
        self.back()
        self.item_view.show_item(item)  # no "seen before", no SLA clock: the decision is made
        self.wellbeing.item_shown(item)
        self.setCurrentWidget(self.item_view)
        self._viewing(True)
        return True

    def back(self) -> None:
        """The item leaves the screen (its exposure booked); the list again."""
        was_open = self.item_view.item is not None
        if was_open:
            record = self.item_view.leave()
            self.wellbeing.item_left(record)
            self.item_view.show_idle("")
        self._viewing(False)
        self.setCurrentWidget(self.listing)
        if was_open:
            self.returned.emit()

    def refocus(self) -> None:
        """The focus back where the page's keys work: on the item when one is open (the list is hidden then)."""
        (self.item_view if self.item_view.item is not None else self.listing).setFocus()

    def _step_back(self) -> None:
        view = self.item_view
        if view.media.currentWidget() is view.video_view and view.video_view.mode() == "frame" and not view.hidden:
            view.video("back_to_grid")
        else:
            self.back()

    def escape(self) -> None:
        """Esc on the item: hide all media at once, again to show it (blurred), as on every page."""
        if self.item_view.item is not None:
            self.item_view.toggle_hidden()

    def close_view(self) -> None:
        self.back()
        self.item_view.close_view()

"""The skeleton both decided-item pages share: list → item face → reason form → message → key hints.

"My decisions" (a moderator asks a lead to correct a decision) and the
lead's "Corrections" (the lead declines or corrects) are two ends of one
conversation about a decision already made, so they look and move alike:
a list loaded by one read that reloads when decisions change, Enter to
open the selected decision's item read-only and veiled beside the page's
side panel, one key that opens a reason field (Enter sends, Esc cancels),
a message line and the keys that work where the focus is. Keeping that in
one class means a fix to focus, keys or the 720-px layout lands on both
pages at once; each page keeps only what it decides (its rows, its side
panel, its answer and what the answer sends).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from review import corrections
from review.errors import VeilError
from review.serving import Item
from ui.item.view import ItemView
from ui.pages.my_decisions_view import DecidedItemStack, DeskServices, page_key
from ui.pages.qa_common import ReadOnlyTable, text_label
from ui.refresh import SingleFlight, reason
from ui.widgets.lists import page_title


class Keyed(Protocol):
    """A row of the list: its ``id`` is the table's key, so a reload keeps the selection."""

    @property
    def id(self) -> int: ...


RowT = TypeVar("RowT", bound=Keyed)


@dataclass(frozen=True)
class Listing:
    """The page's list: what it is called on screen and to a screen reader, and where the room goes."""

    title: str
    columns: tuple[str, ...]
    stretch: str  # the column that takes the spare width
    table_name: str
    accessible_name: str
    what: str  # "the requests": said when the list cannot load


@dataclass(frozen=True)
class ReasonAsk:
    """The page's one answer that needs words: its key and button, and the reason field it opens."""

    key: str
    button: str
    field_name: str
    accessible_name: str
    placeholder: str
    send_button: str | None = None  # a button beside the field for those who reach for the mouse


class DecidedPage(QWidget, Generic[RowT]):
    """A list of decided rows and the read-only item face; a subclass says its rows, side panel and answer."""

    loaded = Signal()

    def __init__(self, services: DeskServices, load: Callable[[Any], list[RowT]], *, name: str,
                 listing: Listing, ask: ReasonAsk, side: QWidget, detail_name: str, keys: tuple[str, str],
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName(name)
        self.services = services
        self.ops, self.user, self.taxonomy = services.ops, services.user, services.taxonomy
        self.rows: dict[int, RowT] = {}
        self.sending = False
        self.list_keys, self.item_keys = keys
        self._loads = SingleFlight(load, self.ops, parent=self, reload_on={"decision"}, when=self.isVisible)
        self._loads.loaded.connect(self._loaded)
        self._loads.failed.connect(lambda exc: self.summary.setText(f"Could not load {listing.what}: {reason(exc)}"))
        self._build(listing, ask, side, detail_name)

    def _build(self, listing: Listing, ask: ReasonAsk, side: QWidget, detail_name: str) -> None:
        self.summary = QLabel("Loading…")
        self.summary.setObjectName("hint")
        head = QHBoxLayout()
        head.addWidget(page_title(listing.title))
        head.addSpacing(16)
        head.addWidget(self.summary, 0, Qt.AlignmentFlag.AlignBottom)
        head.addStretch(1)
        self.table = ReadOnlyTable(listing.columns, listing.table_name,
                                   stretch=listing.columns.index(listing.stretch))
        self.table.setAccessibleName(listing.accessible_name)
        self.table.itemSelectionChanged.connect(self._selected)
        self.table.doubleClicked.connect(lambda _index: self.open_selected())
        self.stack = DecidedItemStack(self.table, self.services, side=side, key_scope=self)
        self.stack.returned.connect(self._returned)
        self.detail = text_label(detail_name)
        self.ask_button = QPushButton(f"{ask.button}  ({ask.key})")
        self.ask_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.ask_button.clicked.connect(self.start_answer)
        self.reason = QLineEdit()
        self.reason.setObjectName(ask.field_name)
        self.reason.setAccessibleName(ask.accessible_name)
        self.reason.setPlaceholderText(ask.placeholder)
        self.reason.setMaxLength(corrections.MAX_REASON_CHARS)
        self.reason.returnPressed.connect(self.send_answer)
        self.form = QFrame()
        row = QHBoxLayout(self.form)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.reason, 1)
        if ask.send_button:
            send = QPushButton(ask.send_button)
            send.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            send.clicked.connect(self.send_answer)
            row.addWidget(send)
        self.form.hide()
        actions = QHBoxLayout()
        actions.addWidget(self.ask_button, 0, Qt.AlignmentFlag.AlignLeft)
        actions.addWidget(self.form, 1)
        self.message = text_label("ruleMessage")
        self.keys = QLabel(self.list_keys)
        self.keys.setObjectName("hint")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 8)  # the item face needs the room at 1280×720
        layout.setSpacing(6)
        layout.addLayout(head)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.detail)
        layout.addLayout(actions)
        layout.addWidget(self.message)
        layout.addWidget(self.keys)
        self.setFocusProxy(self.table)
        for key, handler in ((ask.key, self.start_answer), ("Return", self.open_selected), ("Esc", self.escape),
                             ("F5", self.refresh)):
            page_key(self, key, handler)

    @property
    def item_view(self) -> ItemView:
        """The item face's view (``desktop.pages.apply_personal_view`` hands a newly saved view to it)."""
        return self.stack.item_view

    # ------------------------------------------------------------- what each page says
    def cells(self, row: RowT) -> Sequence[str]:
        """The row's cells, one per column of the listing."""
        raise NotImplementedError

    def summary_text(self, found: list[RowT]) -> str:
        """The words beside the title: how many rows, and what waits."""
        raise NotImplementedError

    def detail_text(self, row: RowT) -> str:
        """The selected row in full, under the list (the list's cells are cut to fit)."""
        raise NotImplementedError

    def may_ask(self, row: RowT) -> bool:
        """Whether the answer button is on for the selected row (every row, unless the page says otherwise)."""
        return True

    def decision_id(self, row: RowT) -> int:
        """The decision whose item Enter opens."""
        raise NotImplementedError

    def showing(self, row: RowT) -> None:
        """The item of *row* is on screen: fill the side panel."""
        raise NotImplementedError

    def start_answer(self) -> None:
        """The page's answer key (or button): check the selection, then :meth:`open_form`."""
        raise NotImplementedError

    def send_answer(self) -> None:
        """Enter in the reason field: one write through the operations runner."""
        raise NotImplementedError

    # ------------------------------------------------------------- the list
    def refresh(self) -> None:
        self._loads.request()

    def _loaded(self, found: list[RowT]) -> None:
        self.rows = {row.id: row for row in found}
        self.table.set_rows([(tuple(self.cells(row)), row.id) for row in found])
        self.summary.setText(self.summary_text(found))
        self._selected()
        self.loaded.emit()

    def selected(self) -> RowT | None:
        key = self.table.current_key()
        return self.rows.get(key) if key is not None else None

    def _selected(self) -> None:
        chosen = self.selected()
        self.detail.setText(self.detail_text(chosen) if chosen is not None else "")
        self.ask_button.setEnabled(chosen is not None and self.may_ask(chosen))

    # ------------------------------------------------------------- the item
    def typing(self) -> bool:
        """Whether the focus is in a field where Enter means "send", not "open the item"."""
        return self.reason.hasFocus()

    def open_selected(self) -> None:
        """Enter: the selected row's item on the read-only item view (Enter in a field sends instead)."""
        chosen = self.selected()
        if chosen is None or self.typing() or self.stack.item is not None:
            return
        user, decision_id = self.user, self.decision_id(chosen)
        self.ops.query(lambda reader: corrections.item_for(reader, user, decision_id),
                       on_done=lambda item: self._show(chosen, item), on_error=self._said, owner=self)

    def _show(self, chosen: RowT, item: Item) -> None:
        if not self.stack.open(item):
            self.message.setText("On a break: items are shown again after it.")
            return
        self.showing(chosen)
        self.detail.hide()  # said beside the item
        self.keys.setText(self.item_keys)
        self.stack.refocus()

    def _returned(self) -> None:
        self.detail.show()
        self.keys.setText(self.list_keys)
        self.table.setFocus()

    # ------------------------------------------------------------- the reason form
    def open_form(self, text: str = "") -> None:
        """The reason field, with *text* (what Enter and Esc do) on the message line."""
        self.message.setText(text)
        self.form.show()
        self.reason.setFocus()

    def close_form(self) -> None:
        """The reason field empty and hidden: sent, or given up with Esc."""
        self.reason.clear()
        self.form.hide()

    def escape(self) -> None:
        """Esc: leave the reason field; otherwise, on the item view, hide the media as everywhere."""
        if not self.form.isVisible():
            self.stack.escape()
            return
        self.close_form()
        self.message.clear()
        self.stack.refocus()

    def _said(self, exc: BaseException) -> None:
        self.sending = False
        self.message.setText(str(exc) if isinstance(exc, VeilError) else f"Not done: {reason(exc)}")

    # ------------------------------------------------------------ plumbing
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()

    def close_page(self) -> None:
        self._loads.close()
        self.stack.close_view()

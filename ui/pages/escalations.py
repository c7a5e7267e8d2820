"""The lead's Escalations page: what moderators sent up, and resolving, sending back or moving it.

The list shows every item waiting in an escalation queue, breached first:
how long it has waited against that queue's SLA, the item, the queue it
came from, who escalated it and why (``review.escalations.waiting``).
Enter opens the selected one: the review desk takes it under a claim
(``ReviewDesk.take``) and the item appears as on the review page — the same
:class:`~ui.item.view.ItemView`, veiled by the lead's settings and the
organisation's severity presets, exposure booked with the wellbeing
controller — with the escalation's facts above its context. Then:

- a decision key decides it (``ReviewDesk.decide``, the lead's decision
  in the escalation queue, which ends the escalation; Ctrl+Z undoes it
  for 10 s);
- **B** sends it back to the queue it came from with a note for the
  moderator (Enter sends, Esc cancels);
- **M** (or the escalate key) moves it to another escalation queue (a
  digit picks);
- **S** puts it back unchanged and returns to the list.

B and M work on the selected row of the list too. Every call is one
write through the operations runner; the list reloads when items,
decisions or escalations change, F5 reloads it.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QStackedWidget, QVBoxLayout, QWidget

from review import escalations
from review.clock import Clock, iso
from review.decisions import Decision
from review.desk import ReviewDesk, Shown
from review.errors import NotAllowed
from review.escalations import Waiting
from review.media.viewing import ViewSettings
from review.serving import LeaseLost
from review.store import Queue, User
from ui import keymap, theme
from ui.item.view import ItemView
from ui.operations import Operations
from ui.pages.escalations_panels import COLUMNS, WAITING, WHY, HandOverBar, breached, overlaid, row_cells, side_panel
from ui.pages.qa_common import ReadOnlyTable
from ui.pages.review_panels import DecisionPanel
from ui.refresh import SingleFlight, reason
from ui.wellbeing.controller import WellbeingController
from ui.widgets import lists, modal

log = logging.getLogger(__name__)

RENEW_EVERY_MS = 60_000
CHANGES = frozenset({"item", "items", "decision", "escalation", "queue"})  # what may change the list
ALL_QUEUES = "All escalation queues"
LIST_KEYS = "Enter opens · {send_back} sends back · {move} moves · Alt+Q chooses the queue · {refresh} reloads"
ITEM_KEYS = ("Decision keys decide · {send_back} sends back · {move} moves · {skip} puts it back · {undo} undoes"
             " · {help} keys")


@dataclass
class EscalationsServices:
    """What the page needs, built by the desktop wiring (the review page's, for a lead)."""

    ops: Operations
    desk: ReviewDesk  # with its after-decision hooks (gold scoring)
    user: User
    view: ViewSettings
    bindings: list[keymap.Binding]
    clock: Clock
    wellbeing: WellbeingController


class EscalationsPage(QWidget):
    loaded = Signal()
    handed = Signal(str)  # after a decision, send-back or move, in words

    def __init__(self, services: EscalationsServices, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("escalationsPage")
        self.ops, self.desk, self.user = services.ops, services.desk, services.user
        self.taxonomy, self.clock, self.wellbeing = services.desk.taxonomy, services.clock, services.wellbeing
        self.rows: list[Waiting] = []
        self.queues: list[Queue] = []  # the active escalation queues, where M may move to
        self.shown: Shown | None = None
        self.shown_at: str | None = None
        self.last_decision: Decision | None = None
        self.busy = False
        self.closed = False
        user = self.user
        self._loads = SingleFlight(
            lambda reader: (escalations.waiting(reader, user),
                            escalations.escalation_queues(reader, user)),
            self.ops, parent=self, reload_on=CHANGES, when=self.isVisible)
        self._loads.loaded.connect(self._loaded)
        self._loads.failed.connect(lambda exc: self.say(f"Could not load the escalations: {reason(exc)}"))
        reveal = next(QKeySequence(b.key)[0].key() for b in services.bindings if b.command == "reveal")
        self._build(services.view, reveal)
        self._bind_keys(services.bindings)
        self.renew_timer = QTimer(self, interval=RENEW_EVERY_MS, timeout=self._renew)
        self.item_view.active_changed.connect(self.wellbeing.set_window_active)
        self.wellbeing.enforce_break.connect(lambda *_: self._pause("break"))
        self.wellbeing.idle_pause.connect(lambda: self._pause("idle"))

    # ---------------------------------------------------------------- build
    def _build(self, view: ViewSettings, reveal: Any) -> None:
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.table = ReadOnlyTable(COLUMNS, "escalationsTable", stretch=WHY)
        self.table.setAccessibleName("Escalations waiting")
        self.table.doubleClicked.connect(lambda _index: self.open_selected())
        self.decision = DecisionPanel(self.taxonomy)
        self.decision.action_clicked.connect(self.act)
        self.decision.note_done.connect(self.setFocus)
        self.item_view = ItemView(self.taxonomy, view, self.clock, ops=self.ops, reveal_key=reveal,
                                  key_scope=self, side=side_panel(self.decision, self.send_back, self.move),
                                  media_error_hint="You can still decide it, send it back or move it.")
        self.item_view.said.connect(self.say)
        self.item_view.read_severity_presets(self.ops)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.item_view)
        self.bar = HandOverBar()
        self.bar.send.connect(self._send_back)
        self.bar.chooser.chosen.connect(self._move_to)
        self.bar.cancelled.connect(self._cancel_bar)
        self.summary = QLabel("Loading…")
        self.summary.setObjectName("hint")
        self.queue_filter = QComboBox()
        self.queue_filter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.queue_filter.setAccessibleName("Escalation queue")
        self.queue_filter.addItem(ALL_QUEUES, None)
        self.queue_filter.currentIndexChanged.connect(lambda _i: self._show_rows())
        self.queue_filter.activated.connect(lambda _i: self.table.setFocus())
        shown = QLabel("&Queue")
        shown.setBuddy(self.queue_filter)
        top = QHBoxLayout()
        top.addWidget(shown)
        top.addWidget(self.queue_filter)
        top.addWidget(self.summary, 1)
        self.status = QLabel()
        self.status.setObjectName("updated")
        self.status.setWordWrap(True)
        self.keys = QLabel()
        self.keys.setObjectName("hint")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 14, 20, 10)
        layout.addWidget(lists.page_title("Escalations"))
        layout.addLayout(top)
        layout.addLayout(overlaid(self.stack, self.bar), 1)  # the bar never grows the window
        layout.addWidget(self.status)
        layout.addWidget(self.keys)
        self.setFocusProxy(self.table)  # the list takes the arrows whenever the page is focused, item or not shown

    def _bind_keys(self, bindings: list[keymap.Binding]) -> None:
        self.bindings = [b for b in bindings if b.command not in keymap.COMPLAINT_COMMANDS]  # ended on review only
        self.key_of = {b.command: keymap.shown_key(b.key) for b in self.bindings}  # each person's own keys, named
        self.keys.setText(LIST_KEYS.format_map(self.key_of))
        view = self.item_view
        handlers: dict[str, Callable[[], Any]] = {
            "start": self.start, "skip": self.put_back, "note": self.focus_note, "undo": self.undo,
            "hide": self.escape, "help": self.show_help, "zoom_in": view.image.zoom_in,
            "zoom_out": view.image.zoom_out, "fit": view.image.fit,
            "play": lambda: view.video("toggle_play"), "open_frame": lambda: view.video("open_frame"),
            "storyboard": lambda: view.video("back_to_grid"), "back": lambda: view.video("skip", -5),
            "forward": lambda: view.video("skip", 5), "slower": lambda: view.video("slower"),
            "faster": lambda: view.video("faster"), "send_back": self.send_back, "move": self.move,
            "refresh": self.refresh, "thread": view.toggle_thread,
            "policy": modal.opening(self.decision.show_policy_text, self),
            "account": modal.opening(view.context.account.open_list, self)}
        keys: list[tuple[str, Callable[[], Any]]] = []
        view.name_keys(self.bindings)
        for binding in self.bindings:
            command = binding.command
            if command == "reveal":
                continue
            if command.startswith("action:"):
                keys.append((binding.key, partial(self.act, command.split(":", 1)[1])))
            elif command.startswith("label:"):
                keys.append((binding.key, partial(self.toggle_label, command.split(":", 1)[1])))
            else:
                keys.append((binding.key, handlers[command]))
        for key, handler in keys:
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(handler)

    # ------------------------------------------------------------- the list
    def refresh(self) -> bool:
        return False if self.closed else self._loads.request()

    def _loaded(self, result: tuple[list[Waiting], list[Queue]]) -> None:
        self.rows, self.queues = result
        keep = self.queue_filter.currentData()
        counts = Counter(r.queue for r in self.rows)
        self.queue_filter.blockSignals(True)
        self.queue_filter.clear()
        self.queue_filter.addItem(f"{ALL_QUEUES} ({len(self.rows)})", None)
        for queue in self.queues:
            self.queue_filter.addItem(f"{queue.name} ({counts[queue.name]})", queue.name)
        self.queue_filter.setCurrentIndex(max(self.queue_filter.findData(keep), 0))
        self.queue_filter.blockSignals(False)
        self._show_rows()
        self.loaded.emit()

    def listed(self) -> list[Waiting]:
        """The waiting escalations of the queue chosen (all of them by default), breached first."""
        queue = self.queue_filter.currentData()
        return [r for r in self.rows if queue is None or r.queue == queue]

    def _show_rows(self) -> None:
        now, rows = self.clock.now(), self.listed()
        keep = self.table.current_key()
        self.table.set_rows([(row_cells(r, now, self._category(r.category)), r.item_id) for r in rows])
        for n, row in enumerate(rows):
            if breached(row, now):
                self.table.item(n, WAITING).setForeground(theme.color("breached"))
        if keep is None and rows:
            self.table.selectRow(0)
        late = sum(1 for r in rows if breached(r, now))
        self.summary.setText((f"{len(rows)} waiting" + (f" · {late} past their SLA, listed first" if late else ""))
                             if rows else "Nothing is waiting here.")

    def _category(self, category: str | None) -> str:
        try:
            return self.taxonomy.label(category or "").name
        except KeyError:
            return (category or "uncategorised").replace("_", " ").capitalize()

    def selected(self) -> Waiting | None:
        key = self.table.current_key()
        return next((r for r in self.listed() if r.item_id == key), None)

    # ------------------------------------------------------------- the item
    @property
    def item(self) -> Any:
        return self.item_view.item

    def start(self) -> None:
        """Enter: open the selected escalation (or send back with the note written, or leave the note field)."""
        if self.bar.note.hasFocus():
            self._send_back(self.bar.note.text())
        elif self.decision.note.hasFocus():
            self.setFocus()
        elif self.shown is not None:
            self.say("Decide it with the keys on the right, or B sends it back, M moves it, S puts it back.")
        else:
            self.open_selected()

    def open_selected(self) -> None:
        row = self.selected()
        if self.busy or self.shown is not None:
            return
        if row is None:
            self.say("Nothing is selected." if self.listed() else "Nothing is waiting.")
            return
        if not self.wellbeing.may_claim():
            self.say("On a break: nothing is shown until it is over.")
            return
        user, item_id = self.user, row.item_id
        self.busy = True
        self.ops.write(lambda store: self.desk.take(store, user, item_id), on_done=self._opened,
                       on_error=self._failed, owner=self)

    def _opened(self, shown: Shown) -> None:
        self.busy = False
        if self.closed or not self.wellbeing.may_claim():
            self._give_back(shown, "closed" if self.closed else "break")
            return
        self.shown, self.shown_at = shown, iso(self.clock.now())
        self.bar.close_bar()
        self.stack.setCurrentWidget(self.item_view)
        self.item_view.show_item(shown.item, history=shown.seen_before, due=True)
        self.item_view.context.show_escalation(shown.escalation, self.clock.now())
        self.wellbeing.item_shown(shown.item)
        self.decision.reset()
        self.decision.set_enabled(True)
        self.keys.setText(ITEM_KEYS.format_map(self.key_of))
        self.renew_timer.start()
        self.setFocusProxy(None)  # the item's keys are the page's own
        self.setFocus()

    def _leave_item(self) -> None:
        """The item leaves the screen (its exposure booked); back to the list, reloaded."""
        if self.shown is None:
            return
        record = self.item_view.leave()
        self.shown = None
        self.renew_timer.stop()
        self.item_view.show_idle("")
        self.stack.setCurrentWidget(self.table)
        self.keys.setText(LIST_KEYS.format_map(self.key_of))
        self.wellbeing.item_left(record)  # last: an enforced break may start here
        self.refresh()
        self.setFocusProxy(self.table)
        self.setFocus()

    def _give_back(self, shown: Shown, why: str) -> None:
        user, item_id = self.user, shown.item.id
        self.ops.write(lambda store: self.desk.release(store, user, item_id, why, claim=shown.claim),
                       on_error=lambda exc: log.warning("could not give back item %s: %s", item_id, exc))

    def put_back(self) -> None:
        """S: the item goes back to its escalation queue unchanged; back to the list."""
        if self.shown is None or self.busy or self.decision.note.hasFocus():
            return
        shown = self.shown
        self._leave_item()
        self._give_back(shown, "skip")
        self.say(f"Put back {shown.item.external_id}: it waits in {shown.item.queue_name}.")

    # ------------------------------------------------------------ deciding
    def toggle_label(self, key: str) -> None:
        if self.shown is not None and not self.busy:
            self.decision.toggle_label_key(key)

    def act(self, action_id: str) -> None:
        if self.busy or self.shown is None:
            return
        if self.taxonomy.action(action_id).escalates:  # already with a lead: escalating on means moving
            self.move()
            return
        shown, user, shown_at = self.shown, self.user, self.shown_at
        self.item_view.end_reveal()
        tracker = self.item_view.tracker
        tracker.set_reveal(None)
        revealed_ms = tracker.record.total_revealed_ms
        labels, note = self.decision.chosen_labels(), self.decision.note.text().strip()
        self.busy = True
        self.ops.write(
            lambda store: self.desk.decide(store, user, shown.item.id, action_id, labels, note, shown_at,
                                           revealed_ms, claim=shown.claim),
            on_done=lambda result: self._decided(shown, result[0]), on_error=self._failed, owner=self)

    def _decided(self, shown: Shown, made: Decision) -> None:
        self.busy = False
        self.last_decision = made
        if self.shown is not None and self.shown.claim == shown.claim:
            self._leave_item()
        self._said(f"Decided: {self.taxonomy.action(made.action).name} on {shown.item.external_id} · "
                   "Ctrl+Z undoes it for 10 s")

    def undo(self) -> None:
        made = self.last_decision
        if self.busy or self.shown is not None or self.decision.note.hasFocus() or made is None:
            return
        user = self.user
        self.busy = True
        self.ops.write(lambda store: self.desk.undo(store, user, made.id), on_done=self._undone,
                       on_error=self._failed, owner=self)

    def _undone(self, shown: Shown) -> None:
        self.last_decision = None
        self._opened(shown)
        self.say("Undone: the escalation is open again; decide it again.")

    # ------------------------------------------------------ hand over: B, M
    def _target(self) -> tuple[int, int | None, str, str | None, str] | None:
        """(item id, claim, its queue, its origin, since when a lead's SLA counts) of the open item, else the row's."""
        if self.shown is not None:
            facts, item = self.shown.escalation, self.shown.item
            open_facts = facts if facts is not None and facts.outcome is None else None
            return (item.id, self.shown.claim, item.queue_name, open_facts.origin if open_facts else None,
                    open_facts.escalated_at if open_facts else item.received_at)
        row = self.selected()
        if row is None:
            return None
        return row.item_id, None, row.queue, row.escalation.origin if row.escalation else None, row.since

    def send_back(self) -> None:
        target = self._target()
        if self.busy or target is None or self.decision.note.hasFocus():
            return
        if target[3] is None:
            self.say(f"Nobody escalated this item: it was reported straight to “{target[2]}”. "
                     "Decide it, or move it with M.")
            return
        self.bar.ask_note(target[3])

    def move(self) -> None:
        target = self._target()
        if self.busy or target is None or self.decision.note.hasFocus():
            return
        others = [q for q in self.queues if q.name != target[2]]
        if not others:
            self.say("There is no other escalation queue to move it to.")
            return
        self.bar.offer(others, target[4], self.clock.now())

    def _send_back(self, note: str) -> None:
        target = self._target()
        if target is None or self.busy:
            return
        item_id, claim = target[:2]
        user = self.user
        self.busy = True
        self.ops.write(lambda store: self.desk.send_back(store, user, item_id, note, claim=claim),
                       on_done=lambda back: self._handed(f"Sent back to “{back}” with your note."),
                       on_error=self._failed, owner=self)

    def _move_to(self, name: str) -> None:
        target = self._target()
        if target is None or self.busy:
            return
        item_id, claim = target[:2]
        user = self.user
        self.busy = True
        self.ops.write(lambda store: self.desk.move(store, user, item_id, name, claim=claim),
                       on_done=lambda _due: self._handed(f"Moved to “{name}”."), on_error=self._failed,
                       owner=self)

    def _handed(self, words: str) -> None:
        self.busy = False
        self.bar.close_bar()
        self._leave_item()
        self.setFocus()  # the note field hid: focus the list (or the item), never the side list
        self._said(words)

    def _cancel_bar(self) -> None:
        self.bar.close_bar()
        self.setFocus()

    # ------------------------------------------------------------ plumbing
    def _failed(self, exc: BaseException) -> None:
        self.busy = False
        if isinstance(exc, LeaseLost | NotAllowed) and self.shown is not None:
            self._leave_item()
        self.say(str(exc))

    def _renew(self) -> None:
        if self.shown is None or self.busy:
            return
        shown, user = self.shown, self.user
        self.ops.write(lambda store: self.desk.renew(store, user, shown.item.id, claim=shown.claim),
                       on_error=lambda exc: self._renew_failed(shown, exc), owner=self)

    def _renew_failed(self, shown: Shown, exc: BaseException) -> None:
        if isinstance(exc, LeaseLost | NotAllowed) and self.shown is not None and self.shown.claim == shown.claim:
            self._leave_item()
            self.say(f"{exc}; back to the list.")

    def _pause(self, why: str) -> None:
        """A break or an idle pause: book and give back the open item, show the list."""
        shown = self.shown
        if shown is not None:
            self._leave_item()
            self._give_back(shown, why)

    def escape(self) -> None:
        """Esc: close the hand-over bar, or leave the note; otherwise hide all media (again: show it blurred)."""
        if self.bar.is_open():
            self._cancel_bar()
        elif self.decision.note.hasFocus():
            self.setFocus()
        elif self.shown is not None:
            self.item_view.toggle_hidden()

    def focus_note(self) -> None:
        if self.shown is not None:
            self.decision.note.setFocus()

    def show_help(self) -> None:
        if not self.decision.note.hasFocus():
            keymap.CheatSheet(self.bindings, self).exec()

    def say(self, text: str) -> None:
        self.status.setText(text)
        self.decision.say(text if self.shown is not None else "")

    def _said(self, words: str) -> None:
        self.say(words)
        self.handed.emit(words)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()
        self.setFocus()

    def close_page(self) -> None:
        """Sign-out or close: give back the open item, book its exposure, load nothing more."""
        if self.closed:
            return
        self.closed = True
        if self.shown is not None or self.busy:
            user = self.user
            self.ops.write(lambda store: self.desk.release_held(store, user, "closed"),
                           on_error=lambda exc: log.warning("could not give back the held item: %s", exc))
        if self.shown is not None:
            record = self.item_view.leave()
            self.shown = None
            self.wellbeing.item_left(record)
        self.renew_timer.stop()
        self._loads.close()
        self.item_view.close_view()

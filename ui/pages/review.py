"""The moderator's page: claim → veiled preview → decision, keyboard first.

Each key is one call on the review desk (``review.desk.ReviewDesk``) through
the operations runner: a decision is stored, gold-scored and followed by
the next claim in one write off the GUI thread, and the page paints what
comes back. While such a write is in flight the page ignores further
decision keys, so one item is never decided twice. Every item arrives with
its claim (``Shown.claim``) and every call for it names that claim, so a
window acts only on its own item: when the item was escalated, decided or
given back in another window (or taken after a lapsed hold), the desk says
``LeaseLost``, and the page says so calmly and shows the next item. Everything slow —
decoding and blurring — runs on the same pool through the item view's
``MediaCache``, which also prepares the likely next item in advance. The
escalate key runs :class:`ui.pages.escalate_chooser.EscalationFlow`: which
escalation queue (a digit, when the item's queue allows several), then why.

The item itself is shown by :class:`ui.item.view.ItemView`, which keeps the
media safety rules (the same widget as the audit page's): media appears only
veiled; Space (held) or a dragged rectangle reveals; any item change, Esc,
or the auto re-blur limit ends every reveal; every second on screen is
measured, and when the item leaves the page hands that record to the
wellbeing controller (``item_left``), which books it and may start a break.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from review.clock import Clock, iso
from review.decisions import Decision
from review.desk import Claim, Claimed, ReviewDesk, Shown
from review.errors import NotAllowed, StoreError
from review.media.viewing import ViewSettings
from review.serving import Item, LeaseLost, why_not_served
from review.store import Queue, User
from ui import keymap
from ui.item.view import ItemView, moves
from ui.operations import Operations
from ui.pages.escalate_chooser import EscalationFlow
from ui.pages.review_panels import DecisionPanel
from ui.wellbeing.controller import WellbeingController

log = logging.getLogger(__name__)

ALL_QUEUES = "All my queues"
RENEW_EVERY_MS = 60_000


@dataclass
class ReviewServices:
    """What the page needs, built by the desktop wiring."""

    ops: Operations
    desk: ReviewDesk  # the workflow, with its after-decision hooks (gold scoring)
    user: User
    view: ViewSettings
    bindings: list[keymap.Binding]
    clock: Clock  # times the exposure and the SLA clock, like the store's
    # Books each item's exposure and coaches breaks, budgets and severity-aware serving.
    wellbeing: WellbeingController


class ReviewPage(QWidget):
    item_shown = Signal(object)  # Item | None
    decided = Signal(object)  # Decision

    def __init__(self, services: ReviewServices, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("reviewPage")
        self.services = services
        self.ops, self.desk, self.user = services.ops, services.desk, services.user
        self.taxonomy = services.desk.taxonomy
        self.view, self.clock, self.wellbeing = services.view, services.clock, services.wellbeing
        self.shown_at: str | None = None
        self.shown: Shown | None = None  # the item on screen with its claim, which every call for it names
        self.last_decision: Decision | None = None
        self.skipped: list[int] = []
        self.busy = False  # a write for the item on screen is in flight: decision keys wait for it
        self.closed = False
        self._queue_wanted: str | None = None  # asked for before the queue list arrived
        self._queues_loaded = False
        self.reveal_key = next(QKeySequence(b.key)[0].key() for b in services.bindings if b.command == "reveal")
        self._build()
        self._bind_keys(services.bindings)
        self.renew_timer = QTimer(self, interval=RENEW_EVERY_MS, timeout=self._renew)
        self.item_view.active_changed.connect(self.wellbeing.set_window_active)
        self.wellbeing.enforce_break.connect(lambda *_: self._pause("break", "On a break. Nothing is shown."))
        self.wellbeing.idle_pause.connect(
            lambda: self._pause("idle", "Paused after 5 minutes without input.\nPress Enter to continue."))
        self.wellbeing.break_over.connect(lambda: self._show_idle("Break over. Press Enter when you are ready."))
        self.ops.changed.connect(self._data_changed)
        self._load_queues()
        self._show_idle("Press Enter to start reviewing.")

    # ---------------------------------------------------------------- build
    def _build(self) -> None:
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        top = QHBoxLayout()
        self.queue_choice = QComboBox()
        self.queue_choice.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        # Filled when the queue list arrives (after the first show): grow to fit the names then.
        self.queue_choice.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.queue_choice.addItem(ALL_QUEUES)
        self.queue_choice.activated.connect(lambda _: self.setFocus())
        self.start_button = QPushButton("Start  (Enter)")
        self.start_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.start_button.clicked.connect(self.start)
        self.status = QLabel()
        self.status.setObjectName("reviewStatus")
        top.addWidget(QLabel("Queue"))
        top.addWidget(self.queue_choice)
        top.addWidget(self.start_button)
        top.addStretch(1)
        top.addWidget(self.status)

        self.decision = DecisionPanel(self.taxonomy)
        self.decision.action_clicked.connect(self.act)
        self.decision.note_done.connect(self._note_done)
        escalate = self.taxonomy.escalation
        self.escalation = EscalationFlow(self.decision, escalate.id if escalate else None, commit=self._commit,
                                         say=self.say, refocus=self.setFocus)
        self.item_view = ItemView(self.taxonomy, self.view, self.clock, run=self.ops.run,
                                  reveal_key=self.reveal_key, key_scope=self, side=self.decision,
                                  media_error_hint="You can still decide or escalate this item.")
        self.item_view.said.connect(self.say)
        self.item_view.read_severity_presets(self.ops)  # escalations too: a lead works them on this page
        self.footer = QLabel()
        self.footer.setObjectName("reviewFooter")

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.item_view, 1)
        layout.addWidget(self.footer)

    def _bind_keys(self, bindings: list[keymap.Binding]) -> None:
        self.bindings = [b for b in bindings if b.command not in keymap.ESCALATION_COMMANDS]
        view = self.item_view
        handlers: dict[str, Callable[[], Any]] = {
            "start": self.start, "skip": self.skip, "note": self.focus_note, "undo": self.undo,
            "hide": self.escape, "help": self.show_help, "zoom_in": view.image.zoom_in,
            "zoom_out": view.image.zoom_out, "fit": view.image.fit,
            "play": lambda: view.video("toggle_play"), "open_frame": lambda: view.video("open_frame"),
            "storyboard": lambda: view.video("back_to_grid"), "back": lambda: view.video("skip", -5),
            "forward": lambda: view.video("skip", 5), "slower": lambda: view.video("slower"),
            "faster": lambda: view.video("faster"),
        }
        for binding in self.bindings:
            command = binding.command
            if command == "reveal":
                continue
            if command.startswith("action:"):
                handler: Callable[[], Any] = partial(self.act, command.split(":", 1)[1])
            elif command.startswith("label:"):
                handler = partial(self.toggle_label, command.split(":", 1)[1])
            else:
                handler = handlers[command]
            shortcut = QShortcut(QKeySequence(binding.key), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(handler)

    # --------------------------------------------------------------- queues
    def _load_queues(self) -> None:
        user = self.user
        self.ops.query(lambda store: self.desk.servable_queues(store, user), on_done=self._fill_queues,
                       on_error=lambda exc: self.say(f"Could not list your queues: {exc}"), owner=self)

    def _fill_queues(self, queues: list[Queue]) -> None:
        chosen = self.queue_choice.currentText()
        self.queue_choice.clear()
        self.queue_choice.addItem(ALL_QUEUES)
        for queue in queues:
            self.queue_choice.addItem(queue.name)
        self.queue_choice.setCurrentIndex(max(0, self.queue_choice.findText(chosen)))
        self._queues_loaded = True
        wanted, self._queue_wanted = self._queue_wanted, None
        if wanted is not None:
            self.open_queue(wanted)

    def _data_changed(self, kinds: frozenset[str]) -> None:
        if "queue" in kinds and not self.closed:  # paused, added or renamed: the list follows
            self._load_queues()

    # ------------------------------------------------------------ the flow
    @property
    def item(self) -> Item | None:
        """The item on screen (the item view's), or None."""
        return self.item_view.item

    def chosen_queues(self) -> list[str] | None:
        text = self.queue_choice.currentText()
        return None if text == ALL_QUEUES else [text]

    def open_queue(self, name: str) -> None:
        """Chosen on the Queues page: work that queue, starting now if idle."""
        if not self._queues_loaded:
            self._queue_wanted = name
            return
        index = self.queue_choice.findText(name)
        if index < 0:  # the domain says which rule keeps this person out (a lead's limit, the queue's kind …)
            user = self.user
            self.ops.query(lambda store: why_not_served(store, user, name),
                           on_done=lambda why: self.say(f"{why or f'“{name}” is not one of the queues you review'}."),
                           owner=self)
            return
        self.queue_choice.setCurrentIndex(index)
        if self.item is None and not self.busy:
            self._claim_next()

    def start(self) -> None:
        """Enter: claim the next item (or leave the note field)."""
        if self._note_focused():
            self._note_done()
            return
        if self.busy:
            return
        if self.item is not None:
            self.say("Decide this item first (the keys are on the right), or press S to skip it.")
            return
        self._claim_next()

    def _next_claim(self, *also_exclude: int) -> Claim | None:
        """What the next claim asks for; None while the break coach serves nothing (on a break)."""
        if not self.wellbeing.may_claim():
            return None
        return Claim(self.chosen_queues(), [*self.skipped, *also_exclude], self.wellbeing.serving_rule)

    def _claim_next(self) -> None:
        then = self._next_claim()
        if then is None or self.closed:
            return  # on a break: nothing is served behind the break screen
        user = self.user
        self.busy = True
        self.ops.write(lambda store: self.desk.claim(store, user, then.queues, then.exclude, then.severe),
                       on_done=self._arrived, on_error=self._claim_failed, owner=self)

    def _claim_failed(self, exc: BaseException) -> None:
        self.busy = False  # the store is busy or gone: say so, keep the page usable
        self.say(f"Could not get the next item: {exc}")

    def _follow(self, claimed: Claimed | None) -> None:
        """Paint the claim that followed a decision or a skip (None: none was asked for)."""
        if claimed is None:
            return
        if claimed.error is not None:
            self.say(f"Could not get the next item: {claimed.error}")
            return
        self._arrived(claimed.shown)

    def _arrived(self, shown: Shown | None) -> None:
        """A claimed (or undone) item is here: show it, unless the page closed or a break began meanwhile."""
        self.busy = False
        if shown is None:
            where = self.queue_choice.currentText()
            self._show_idle(f"Nothing is waiting in {where.lower() if where == ALL_QUEUES else where}.\n"
                            "Press Enter to check again.")
            return
        if self.closed or not self.wellbeing.may_claim():
            self._give_back(shown, "closed" if self.closed else "break")
            return
        self._show(shown)

    def _show(self, shown: Shown) -> None:
        item = shown.item
        self.shown = shown
        self.shown_at = iso(self.clock.now())
        self.item_view.show_item(item, history=shown.seen_before, due=True)
        self.item_view.context.show_escalation(shown.escalation, self.clock.now())
        self.wellbeing.item_shown(item)
        self.decision.reset()
        self.decision.set_enabled(True)
        self.escalation.reset()
        self.renew_timer.start()
        self.item_shown.emit(item)
        QTimer.singleShot(0, self, self._prefetch_next)  # after this item is painted

    def _prefetch_next(self) -> None:
        then = self._next_claim(*([self.item.id] if self.item else []))
        if then is None:
            return
        user = self.user
        self.ops.query(lambda store: self.desk.peek(store, user, then.queues, then.exclude, then.severe),
                       on_done=self._prefetch, on_error=self._prefetch_failed, owner=self)

    def _prefetch(self, upcoming: Item | None) -> None:
        if upcoming is not None and upcoming.media_path and not moves(upcoming) and not self.closed:
            self.item_view.cache.prefetch(upcoming, self.item_view.media_box(), self.item_view.view_for(upcoming))

    @staticmethod
    def _prefetch_failed(exc: BaseException) -> None:
        log.debug("prefetch skipped: %s", exc)  # a courtesy; a busy store must not disturb the reviewer

    def _leave_item(self) -> None:
        """The current item leaves the screen: its exposure goes to the wellbeing controller, its timers stop."""
        record = self.item_view.leave()
        self.shown = None
        self.renew_timer.stop()
        self.wellbeing.item_left(record)  # last: an enforced break may start here

    def _give_back(self, shown: Shown, reason: str) -> None:
        user, item = self.user, shown.item
        self.ops.write(lambda store: self.desk.release(store, user, item.id, reason, claim=shown.claim),
                       on_error=lambda exc: log.warning("could not give back item %s: %s", item.id, exc))

    def _show_idle(self, text: str) -> None:
        self.item_view.show_idle(text)
        self.decision.reset()
        self.decision.set_enabled(False)
        self.item_shown.emit(None)

    # ------------------------------------------------------------ deciding
    def toggle_label(self, key: str) -> None:
        if self.item is not None and not self.busy:
            self.decision.toggle_label_key(key)

    def act(self, action_id: str) -> None:
        if self.busy:
            return  # the last key's write is still on its way
        if self.item is None:
            self.say("Press Enter to get an item first.")
            return
        if self.taxonomy.action(action_id).escalates and self.shown is not None:
            self.escalation.start(self.shown.routes)  # the queue (if several), the reason, then _commit
            return
        self._commit(action_id)

    def _commit(self, action_id: str, escalate_to: str | None = None) -> None:
        if self.busy or self.shown is None:
            return
        item, claim, user, shown_at = self.shown.item, self.shown.claim, self.user, self.shown_at
        self.item_view.end_reveal()  # the decision ends every reveal (and books it), refused or not
        tracker = self.item_view.tracker
        tracker.set_reveal(None)
        revealed_ms = tracker.record.total_revealed_ms
        labels, note = self.decision.chosen_labels(), self.decision.note.text().strip()
        then = self._next_claim()
        self.busy = True
        self.ops.write(
            lambda store: self.desk.decide(store, user, item.id, action_id, labels, note, shown_at, revealed_ms,
                                           claim=claim, then_claim=then, escalate_to=escalate_to),
            on_done=lambda result: self._decided(item, result), on_error=self._decide_failed, owner=self)

    def _decided(self, item: Item, result: tuple[Decision, Claimed | None]) -> None:
        made, claimed = result
        self.busy = False
        self.last_decision = made
        self.escalation.reset()
        if self.item is not None and self.item.id == item.id:  # not already gone to a break or a close
            self._leave_item()
        name = self.taxonomy.action(made.action).name
        self.footer.setText(f"Decided: {name} on {item.external_id} · Ctrl+Z undoes it for 10 s")
        self.decided.emit(made)
        self.setFocus()
        self._follow(claimed)

    def _decide_failed(self, exc: BaseException) -> None:
        self.busy = False
        self.shown = self.escalation.refused(self.shown, exc)  # a route gone meanwhile: the ones offered now
        if isinstance(exc, LeaseLost):
            self._move_on(exc)
            return
        self.say(f"Not saved: {exc}. Your decision is still here: press its key again."
                 if isinstance(exc, StoreError) else str(exc))  # a store fault: the same key retries, nothing lost

    def _move_on(self, lost: Exception) -> None:
        """The item on screen is no longer this window's: say so calmly (in the footer, which the next
        item leaves in place) and show the next one."""
        self.footer.setText(f"{lost}; here is the next one.")
        self._leave_item()
        self._claim_next()

    def _write_failed(self, exc: BaseException) -> None:
        self.busy = False
        self.say(str(exc))

    def skip(self) -> None:
        if self._note_focused() or self.shown is None or self.busy:
            return
        skipped, claim, user = self.shown.item, self.shown.claim, self.user
        then = self._next_claim(skipped.id)
        self.busy = True
        self.ops.write(lambda store: self.desk.skip(store, user, skipped.id, claim=claim, then_claim=then),
                       on_done=lambda claimed: self._skipped(skipped, claimed), on_error=self._write_failed,
                       owner=self)

    def _skipped(self, skipped: Item, claimed: Claimed | None) -> None:
        self.busy = False
        self.skipped.append(skipped.id)
        if self.item is not None and self.item.id == skipped.id:
            self._leave_item()
        self.footer.setText(f"Skipped {skipped.external_id}: it is back in its queue for someone else.")
        self._follow(claimed)

    def undo(self) -> None:
        if self._note_focused() or not self.wellbeing.may_claim() or self.busy:
            return
        made = self.last_decision
        if made is None:
            self.say("Nothing to undo.")
            return
        user, on_screen = self.user, self.shown
        self.busy = True
        self.ops.write(lambda store: self.desk.undo(store, user, made.id, give_back=on_screen),
                       on_done=self._undone, on_error=self._write_failed, owner=self)

    def _undone(self, shown: Shown) -> None:
        self.busy = False  # first: whatever fails below, the keys keep working
        self.last_decision = None
        if self.item is not None:
            self._leave_item()
        self.footer.setText("Undone: the item is back; decide it again.")
        self._arrived(shown)

    # ------------------------------------------------------------- viewing
    def set_reveal(self, on: bool) -> None:
        """Space held (True) or released (False)."""
        self.item_view.set_reveal(on)

    def check_auto_reblur(self) -> None:
        """End a reveal that has run continuously for the configured limit."""
        self.item_view.check_auto_reblur()

    def escape(self) -> None:
        """Esc: leave the note; otherwise hide all media at once (again: show it blurred)."""
        if self._note_focused():
            self.escalation.cancel()
            return
        self.item_view.toggle_hidden()

    def focus_note(self) -> None:
        if self.item is not None:
            self.decision.note.setFocus()

    def _note_focused(self) -> bool:
        return self.decision.note.hasFocus()

    def _note_done(self) -> None:
        if self.item is None or not self.escalation.note_done():
            self.setFocus()

    def show_help(self) -> None:
        if not self._note_focused():
            keymap.CheatSheet(self.bindings, self).exec()

    def say(self, text: str) -> None:
        self.decision.say(text)
        self.status.setText(text if self.item is None else "")

    def _pause(self, reason: str, text: str) -> None:
        """A break or an idle pause: book and give back the item, show nothing."""
        current = self.shown
        if current is not None:
            self._leave_item()
            self._give_back(current, reason)
        self._show_idle(text)

    # ------------------------------------------------------------ plumbing
    def _renew(self) -> None:
        if self.shown is None or self.busy:
            return
        shown, user = self.shown, self.user
        self.ops.write(lambda store: self.desk.renew(store, user, shown.item.id, claim=shown.claim),
                       on_error=lambda exc: self._renew_failed(shown, exc), owner=self)

    def _renew_failed(self, shown: Shown, exc: BaseException) -> None:
        if not isinstance(exc, LeaseLost | NotAllowed):
            log.warning("could not renew the hold on item %s: %s", shown.item.id, exc)  # the next one tries again
            return
        if self.shown is None or self.shown.claim != shown.claim or self.busy:
            return  # that item has left meanwhile
        if isinstance(exc, NotAllowed):  # held still, where this person may not work: give back now, not in 10 min
            self._give_back(shown, "not_allowed")
        self._move_on(exc)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.setFocus()

    def close_page(self) -> None:
        """Sign-out or close: give the item back, book the exposure, forget pictures.

        The give-back is a write, after any still on its way: it also gives
        back an item a claim in flight took, whose answer will never be
        delivered (the runner closes after the page and lets writes land).
        """
        self.closed = True
        if self.item is not None or self.busy:
            user = self.user
            self.ops.write(lambda store: self.desk.release_held(store, user, "closed"),
                           on_error=lambda exc: log.warning("could not give back the held item: %s", exc))
        self._leave_item()
        self.item_view.close_view()  # nothing is on screen now: forgets pictures, stops watching keys

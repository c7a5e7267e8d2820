"""The moderator's page: claim → veiled preview → decision, keyboard first.

The page owns the flow; the store work is the domain's (``review.serving``,
``review.decisions``, ``review.wellbeing.exposure``) and is quick indexed SQL, while
everything slow — decoding and blurring — runs on workers through the
item view's ``MediaCache``, which also prepares the likely next item in advance.

The item itself is shown by :class:`ui.item.view.ItemView`, which keeps the
media safety rules (the same widget as the audit page's): media appears only
veiled; Space (held) or a dragged rectangle reveals; any item change, Esc,
or the auto re-blur limit ends every reveal; every second on screen is
measured, and the page books it to the exposure ledger when the item leaves.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from review import decisions, serving
from review.wellbeing import exposure
from review.decisions import Decision, DecisionError
from review.serving import Item, LeaseLost
from review.store import Store, User
from review.taxonomy import Taxonomy
from review.media.viewing import ViewSettings
from ui import keymap
from ui.pages.review_panels import DecisionPanel
from ui.item.view import ItemView, moves
from ui.tasks import TaskRunner
from ui.wellbeing import WellbeingController

log = logging.getLogger(__name__)

ALL_QUEUES = "All my queues"
RENEW_EVERY_MS = 60_000


@dataclass
class ReviewServices:
    """What the page needs, built by the desktop wiring."""

    store: Store
    taxonomy: Taxonomy
    user: User
    view: ViewSettings
    bindings: list[keymap.Binding]
    # Called with (store, decision) after each stored decision: gold scoring
    # and anything else that follows a decision without the moderator seeing it.
    after_decision: Callable[[Store, Decision], object] | None = None
    # Breaks, budgets and severity-aware serving; None only in focused tests.
    wellbeing: WellbeingController | None = None


class ReviewPage(QWidget):
    item_shown = Signal(object)  # Item | None
    decided = Signal(object)  # Decision

    def __init__(self, services: ReviewServices, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("reviewPage")
        self.services = services
        self.store, self.taxonomy, self.user = services.store, services.taxonomy, services.user
        self.view = services.view
        self.wellbeing = services.wellbeing
        self.session_id = uuid.uuid4().hex
        self.runner = TaskRunner(self, name="review-media")
        self.shown_at: str | None = None
        self.last_decision: Decision | None = None
        self.skipped: list[int] = []
        self.escalating = False
        self.reveal_key = next(QKeySequence(b.key)[0].key() for b in services.bindings if b.command == "reveal")
        self._build()
        self._bind_keys(services.bindings)
        self.renew_timer = QTimer(self, interval=RENEW_EVERY_MS, timeout=self._renew)
        if self.wellbeing is not None:
            self.item_view.active_changed.connect(self.wellbeing.set_window_active)
            self.wellbeing.enforce_break.connect(lambda *_: self._pause("break", "On a break. Nothing is shown."))
            self.wellbeing.idle_pause.connect(
                lambda: self._pause("idle", "Paused after 5 minutes without input.\nPress Enter to continue."))
            self.wellbeing.break_over.connect(lambda: self._show_idle("Break over. Press Enter when you are ready."))
        self._show_idle("Press Enter to start reviewing.")

    # ---------------------------------------------------------------- build
    def _build(self) -> None:
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        top = QHBoxLayout()
        self.queue_choice = QComboBox()
        self.queue_choice.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.queue_choice.addItem(ALL_QUEUES)
        for queue in serving.servable_queues(self.store, self.user):
            self.queue_choice.addItem(queue.name)
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
        self.item_view = ItemView(self.taxonomy, self.view, self.store.clock, runner=self.runner,
                                  reveal_key=self.reveal_key, key_scope=self, side=self.decision,
                                  media_error_hint="You can still decide or escalate this item.")
        self.item_view.said.connect(self.say)
        self.footer = QLabel()
        self.footer.setObjectName("reviewFooter")

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.item_view, 1)
        layout.addWidget(self.footer)

    def _bind_keys(self, bindings: list[keymap.Binding]) -> None:
        self.bindings = bindings
        view = self.item_view
        handlers = {
            "start": self.start, "skip": self.skip, "note": self.focus_note, "undo": self.undo,
            "hide": self.escape, "help": self.show_help, "zoom_in": view.image.zoom_in,
            "zoom_out": view.image.zoom_out, "fit": view.image.fit,
            "play": lambda: view.video("toggle_play"), "open_frame": lambda: view.video("open_frame"),
            "storyboard": lambda: view.video("back_to_grid"), "back": lambda: view.video("skip", -5),
            "forward": lambda: view.video("skip", 5), "slower": lambda: view.video("slower"),
            "faster": lambda: view.video("faster"),
        }
        for binding in bindings:
            command = binding.command
            if command == "reveal":
                continue
            if command.startswith("action:"):
                handler = (lambda a=command.split(":", 1)[1]: self.act(a))
            elif command.startswith("label:"):
                handler = (lambda k=command.split(":", 1)[1]: self.toggle_label(k))
            else:
                handler = handlers[command]
            shortcut = QShortcut(QKeySequence(binding.key), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(handler)

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
        index = self.queue_choice.findText(name)
        if index < 0:
            self.say(f"“{name}” is not one of the queues you review.")
            return
        self.queue_choice.setCurrentIndex(index)
        if self.item is None:
            self._claim_next()

    def start(self) -> None:
        """Enter: claim the next item (or leave the note field)."""
        if self._note_focused():
            self._note_done()
            return
        if self.item is not None:
            self.say("Decide this item first (the keys are on the right), or press S to skip it.")
            return
        self._claim_next()

    def _severe_rule(self) -> str:
        return self.wellbeing.serving_rule if self.wellbeing is not None else "allow"

    def _claim_next(self) -> None:
        if self.wellbeing is not None and not self.wellbeing.may_claim():
            return  # on a break: nothing is served behind the break screen
        try:
            item = serving.claim_next(self.store, self.user, self.chosen_queues(), exclude=self.skipped,
                                      severe=self._severe_rule())
        except Exception as exc:  # the store is busy or gone: say so, keep the page usable
            self.say(f"Could not get the next item: {exc}")
            return
        if item is None:
            where = self.queue_choice.currentText()
            self._show_idle(f"Nothing is waiting in {where.lower() if where == ALL_QUEUES else where}.\n"
                            "Press Enter to check again.")
            return
        self._show(item)

    def _show(self, item: Item) -> None:
        self.shown_at = self.store.now()
        self.item_view.show_item(item, history=decisions.history(self.store, item), due=True)
        if self.wellbeing is not None:
            self.wellbeing.item_shown(item)
        self.decision.reset()
        self.decision.set_enabled(True)
        self.escalating = False
        self.renew_timer.start()
        self.item_shown.emit(item)
        QTimer.singleShot(0, self._prefetch_next)  # after this item is painted

    def _prefetch_next(self) -> None:
        exclude = [*self.skipped, *([self.item.id] if self.item else [])]
        try:
            upcoming = serving.peek_next(self.store, self.user, self.chosen_queues(), exclude=exclude,
                                         severe=self._severe_rule())
        except Exception:  # prefetch is a courtesy; a busy store must not disturb the reviewer
            return
        if upcoming is not None and upcoming.media_path and not moves(upcoming):
            self.item_view.cache.prefetch(upcoming, self.item_view.media_box(), self.view)

    def _leave_item(self) -> None:
        """The current item leaves the screen: book its exposure, stop its timers."""
        record = self.item_view.leave()
        if record is not None:
            exposure.save(self.store, self.user, self.session_id, record)
        self.renew_timer.stop()
        if self.wellbeing is not None:
            self.wellbeing.item_finished(record)  # last: an enforced break may start here

    def _show_idle(self, text: str) -> None:
        self.item_view.show_idle(text)
        self.decision.reset()
        self.decision.set_enabled(False)
        self.item_shown.emit(None)

    # ------------------------------------------------------------ deciding
    def toggle_label(self, key: str) -> None:
        if self.item is not None:
            self.decision.toggle_label_key(key)

    def act(self, action_id: str) -> None:
        if self.item is None:
            self.say("Press Enter to get an item first.")
            return
        action = self.taxonomy.action(action_id)
        if action.escalates and not self.decision.note.text().strip():
            self.escalating = True
            self.decision.note.setPlaceholderText("Why escalate? Type the reason, then Enter (Esc cancels)")
            self.decision.note.setFocus()
            self.say("Escalation needs a reason: type it in the note, then press Enter.")
            return
        self._commit(action_id)

    def _commit(self, action_id: str) -> None:
        item = self.item
        tracker = self.item_view.tracker
        tracker.set_reveal(None)  # books a reveal still in progress
        revealed_ms = tracker.record.total_revealed_ms
        try:
            made = decisions.decide(
                self.store, self.taxonomy, self.user, item.id, action=action_id,
                labels=self.decision.chosen_labels(), note=self.decision.note.text().strip(),
                shown_at=self.shown_at, revealed_ms=revealed_ms,
            )
        except DecisionError as exc:
            self.say(str(exc))
            return
        except LeaseLost as exc:
            self.say(f"{exc}. Moving on.")
            self._leave_item()
            self._claim_next()
            return
        self.last_decision = made
        self.escalating = False
        if self.services.after_decision is not None:
            try:
                self.services.after_decision(self.store, made)
            except Exception:  # the decision is stored; a follow-up failing must not stop the reviewer
                log.exception("after-decision hook failed for decision %s", made.id)
        self._leave_item()
        name = self.taxonomy.action(action_id).name
        self.footer.setText(f"Decided: {name} on {item.external_id} · Ctrl+Z undoes it for 10 s")
        self.decided.emit(made)
        self.setFocus()
        self._claim_next()

    def skip(self) -> None:
        if self._note_focused() or self.item is None:
            return
        skipped = self.item
        self._leave_item()
        serving.release(self.store, self.user, skipped.id, reason="skip")
        self.skipped.append(skipped.id)
        self.footer.setText(f"Skipped {skipped.external_id}: it is back in its queue for someone else.")
        self._claim_next()

    def undo(self) -> None:
        if self._note_focused() or (self.wellbeing is not None and not self.wellbeing.may_claim()):
            return
        made = self.last_decision
        if made is None:
            self.say("Nothing to undo.")
            return
        try:
            item_id = decisions.undo(self.store, self.user, made.id)
        except DecisionError as exc:
            self.say(str(exc))
            return
        self.last_decision = None
        if self.item is not None:
            current = self.item
            self._leave_item()
            serving.release(self.store, self.user, current.id, reason="undo")
        self.footer.setText("Undone: the item is back; decide it again.")
        self._show(serving.load_item(self.store, item_id))

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
            if self.escalating:
                self.escalating = False
                self.decision.note.setPlaceholderText("Note (N) — Enter or Esc to return")
                self.say("Escalation cancelled.")
            self.setFocus()
            return
        self.item_view.toggle_hidden()

    def focus_note(self) -> None:
        if self.item is not None:
            self.decision.note.setFocus()

    def _note_focused(self) -> bool:
        return self.decision.note.hasFocus()

    def _note_done(self) -> None:
        if self.escalating and self.item is not None:
            action = next(a.id for a in self.taxonomy.actions if a.escalates)
            self._commit(action)
        else:
            self.setFocus()

    def show_help(self) -> None:
        if not self._note_focused():
            keymap.CheatSheet(self.bindings, self).exec()

    def say(self, text: str) -> None:
        self.decision.say(text)
        self.status.setText(text if self.item is None else "")

    def _pause(self, reason: str, text: str) -> None:
        """A break or an idle pause: book and give back the item, show nothing."""
        current = self.item
        if current is not None:
            self._leave_item()
            serving.release(self.store, self.user, current.id, reason=reason)
        self._show_idle(text)

    # ------------------------------------------------------------ plumbing
    def _renew(self) -> None:
        if self.item is None:
            return
        try:
            serving.renew(self.store, self.user, self.item.id)
        except LeaseLost as exc:
            self.say(f"{exc}. Moving on.")
            self._leave_item()
            self._claim_next()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.setFocus()

    def close_page(self) -> None:
        """Sign-out or close: give the item back, book the exposure, forget pictures."""
        current = self.item
        self._leave_item()
        if current is not None:
            serving.release(self.store, self.user, current.id, reason="closed")
        self.item_view.close_view()  # nothing is on screen now: forgets pictures, stops watching keys
        self.runner.close()

"""The moderator's page: claim → veiled preview → decision, keyboard first.

Each key is one call on the review desk (``review.desk.ReviewDesk``) through the operations runner: a decision is
stored, gold-scored and followed by the next claim in one write off the GUI thread, and the page paints what comes
back. While such a write is in flight the page ignores further decision keys, so one item is never decided twice.
Every item arrives with its claim (``Shown.claim``) and every call for it names that claim, so a window acts only on
its own item: when the item was escalated, decided or given back in another window (or taken after a lapsed hold),
the desk says ``LeaseLost``, and the page says so calmly and shows the next item. Everything slow — decoding and
blurring — runs on the same pool through the item view's ``MediaCache``; the likely next item's pictures and what its
screen shows beside it are prepared in advance (:mod:`ui.pages.review_ahead`). The escalate key runs
:class:`ui.pages.escalate_chooser.EscalationFlow`: which escalation queue (a digit, when the item's queue allows
several), then why. A complaint (DSA Art. 20) is ended, not decided: upheld (uphold, U)
or reversed (reverse, V and the new action's key) through :class:`ui.pages.review_complaint.ComplaintFlow`. Before a
restricting decision, :class:`ui.pages.review_statement.StatementBox` shows the statement of reasons the person
would receive (DSA Art. 17). While the store's server cannot be reached the window's
:class:`ui.widgets.reconnecting.ReconnectingStrip` says so calmly; the decision pressed waits in the runner and is
stored with the moment it was pressed (its handle time does not count the outage).

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

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from review.clock import Clock, iso
from review.complaints import Ended
from review.decisions import Decision
from review.desk import Claim, Claimed, ReviewDesk, Shown
from review.errors import NotAllowed, StoreError
from review.media.viewing import ViewSettings
from review.serving import Item, LeaseLost
from review.store import User
from ui import keymap
from ui.after_paint import after_paint
from ui.item.view import ItemView
from ui.operations import Operations
from ui.pages.escalate_chooser import EscalationFlow
from ui.pages.review_ahead import LookAhead
from ui.pages.review_complaint import NO_UNDO, ComplaintFlow
from ui.pages.review_context import OneLine
from ui.pages.review_keys import bind_keys
from ui.pages.review_panels import DecisionPanel
from ui.pages.review_queues import ALL_QUEUES, QueuePicker
from ui.pages.review_statement import StatementBox, StatementPreview
from ui.wellbeing.controller import WellbeingController

log = logging.getLogger(__name__)

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
    # The Art. 17 text for a decision before it is committed (audit.compliance); None: no box.
    statement_preview: StatementPreview | None = None


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
        self.ended_complaint = False  # the last write ended a complaint: there is nothing to undo
        self.busy = False  # a write for the item on screen is in flight: decision keys wait for it
        self.closed = False
        self.reveal_key = next(QKeySequence(b.key)[0].key() for b in services.bindings if b.command == "reveal")
        self._build()
        self.bindings = bind_keys(self, services.bindings)
        self.renew_timer = QTimer(self, interval=RENEW_EVERY_MS, timeout=self._renew)
        self.item_view.active_changed.connect(self.wellbeing.set_window_active)
        self.wellbeing.enforce_break.connect(lambda *_: self._pause("break", "On a break. Nothing is shown."))
        self.wellbeing.idle_pause.connect(
            lambda: self._pause("idle", "Paused after 5 minutes without input.\nPress Enter to continue."))
        self.wellbeing.break_over.connect(lambda: self._show_idle("Break over. Press Enter when you are ready."))
        self.ops.changed.connect(self._data_changed)
        self.queue_choice.load()
        self._show_idle("Press Enter to start reviewing.")

    # ---------------------------------------------------------------- build
    def _build(self) -> None:
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        top = QHBoxLayout()
        self.queue_choice = QueuePicker(self.ops, self.desk, self.user, say=self.say, on_selected=self._claim_if_idle,
                                        on_done=self.setFocus)
        self.start_button = QPushButton("Start  (Enter)")
        self.start_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.start_button.clicked.connect(self.start)
        self.status = OneLine("reviewStatus")  # a long message ends in "…" (all of it is below the note): never wider
        top.addWidget(self.queue_choice.label())
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
        preview = self.services.statement_preview
        self.statement = (StatementBox(self.decision, self.ops, self.user, preview, on_labels=self._follow_statement)
                          if preview is not None else None)
        self.item_view = ItemView(self.taxonomy, self.view, self.clock, ops=self.ops, reveal_key=self.reveal_key,
                                  key_scope=self, side=self.decision, under_media=self.statement,
                                  media_error_hint="You can still decide or escalate this item.")
        self.item_view.said.connect(self.say)
        self.ahead = LookAhead(self.ops, self.desk, self.user, self.item_view, owner=self)  # the next item, prepared
        self.complaint = ComplaintFlow(self.decision, self.item_view.header, end=self._end_complaint, say=self.say,
                                       refocus=self.setFocus)
        self.item_view.read_severity_presets(self.ops)  # escalations too: a lead works them on this page
        self.footer = QLabel(objectName="reviewFooter")

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.item_view, 1)
        layout.addWidget(self.footer)

    def _data_changed(self, kinds: frozenset[str]) -> None:
        if "queue" in kinds and not self.closed:  # paused, added or renamed: the list follows
            self.queue_choice.load()

    # ------------------------------------------------------------ the flow
    @property
    def item(self) -> Item | None:
        """The item on screen (the item view's), or None."""
        return self.item_view.item

    def open_queue(self, name: str) -> None:
        """Chosen on the Queues page: work that queue, starting now if idle."""
        self.queue_choice.select(name)

    def _claim_if_idle(self) -> None:
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
        return Claim(self.queue_choice.chosen(), [*self.skipped, *also_exclude], self.wellbeing.serving_rule,
                     self.ahead.latest)

    def _claim_next(self) -> None:
        then = self._next_claim()
        if then is None or self.closed:
            return  # on a break: nothing is served behind the break screen
        user = self.user
        self.busy = True
        self.ops.write(lambda store: self.desk.claim(store, user, then.queues, then.exclude, then.severe, then.ahead),
                       on_done=self._claimed, on_error=self._claim_failed, owner=self)

    def _claim_failed(self, exc: BaseException) -> None:
        self.busy = False  # the store is busy or gone: say so, keep the page usable
        self.say(f"Could not get the next item: {exc}")

    def _follow(self, claimed: Claimed | None) -> None:
        """Paint the claim that followed a decision or a skip (None: none was asked for)."""
        if claimed is not None and claimed.error is not None:
            self.say(f"Could not get the next item: {claimed.error}")
        elif claimed is not None:
            self._claimed(claimed.shown)

    def _claimed(self, shown: Shown | None) -> None:
        """A claim's item is here: the look-ahead learns whether it had found it, then the item is shown."""
        self.ahead.claimed(shown)
        self._arrived(shown)

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
        self.item_view.context.show_shown(shown, self.clock.now(), self.ops, self.user)  # escalation, account
        self.wellbeing.item_shown(item)
        self.decision.reset()
        self.status.clear()  # what was said while nothing was shown ("Press Enter …") is over now
        self.decision.set_enabled(True)
        self.escalation.reset()
        self.complaint.show(shown.complaint, self.clock.now())
        self._follow_statement()
        self.renew_timer.start()
        self.item_shown.emit(item)
        after_paint(self, self._prefetch_next)  # the look-ahead's reader must not take the interpreter from the paint

    def _prefetch_next(self) -> None:
        if not self.closed:
            self.ahead.refresh(self._next_claim(*([self.item.id] if self.item else [])))

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
        self.complaint.show(None, self.clock.now())
        self._follow_statement()
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
        if self.shown is not None and self.shown.complaint is not None:
            self.complaint.action(action_id)  # a complaint is ended (U, V), never decided like an item
            self._follow_statement()
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
        pressed = iso(self.clock.now())  # stored as decided_at even if the server is away when it is pressed
        self.ops.write(
            lambda store: self.desk.decide(store, user, item.id, action_id, labels, note, shown_at, revealed_ms,
                                           claim=claim, then_claim=then, escalate_to=escalate_to,
                                           decided_at=pressed),
            on_done=lambda result: self._decided(item, result), on_error=self._decide_failed, owner=self)

    def _decided(self, item: Item, result: tuple[Decision, Claimed | None]) -> None:
        made, claimed = result
        self.busy = False
        self.last_decision, self.ended_complaint = made, False
        self.escalation.reset()
        if self.item is not None and self.item.id == item.id:  # not already gone to a break or a close
            self._leave_item()
        name = self.taxonomy.action(made.action).name
        self.footer.setText(f"Decided: {name} on {item.external_id} · Ctrl+Z undoes it for 10 s")
        self.decided.emit(made)
        self.setFocus()
        self._follow(claimed)

    def complaint_key(self, key: Callable[[], None]) -> None:
        """U or V: for the complaint on screen, unless a write is on its way or the note has the keys."""
        if self.item is not None and not self.busy and not self._note_focused():
            key()
            self._follow_statement()  # after V: what the reversal would send

    def _follow_statement(self) -> None:
        """The statement box follows the item and its labels (a complaint: only a reversal's, after V)."""
        if self.statement is not None:
            flow = self.complaint
            target = flow.statement_target(self.shown.item.id) if self.shown else None
            self.statement.follow(target, self.decision.chosen_labels(), reversal=flow.reversal_action)

    def _end_complaint(self, outcome: str, action: str | None) -> None:
        if self.busy or self.shown is None:
            return
        item, claim, user, shown_at = self.shown.item, self.shown.claim, self.user, self.shown_at
        self.item_view.end_reveal()
        labels, note, then = self.decision.chosen_labels(), self.decision.note.text().strip(), self._next_claim()
        self.busy = True
        self.ops.write(
            lambda store: self.desk.resolve(store, user, item.id, claim=claim, outcome=outcome, note=note,
                                            action=action, labels=labels, shown_at=shown_at, then_claim=then),
            on_done=lambda result: self._complaint_ended(item, outcome, result), on_error=self._decide_failed,
            owner=self)

    def _complaint_ended(self, item: Item, outcome: str, result: tuple[Ended, Claimed | None]) -> None:
        self.busy = False
        self.last_decision, self.ended_complaint = None, True
        if self.item is not None and self.item.id == item.id:
            self._leave_item()
        what = "the decision stands" if outcome == "upheld" else "a new decision replaces it"
        self.footer.setText(f"Complaint {item.external_id} {outcome}: {what}. {NO_UNDO}")
        self.setFocus()
        self._follow(result[1])

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
            self.say(NO_UNDO if self.ended_complaint else "Nothing to undo.")
            return
        user, on_screen = self.user, self.shown
        self.busy = True
        self.ops.write(lambda store: self.desk.undo(store, user, made.id, give_back=on_screen),
                       on_done=lambda shown: self._undone(shown, made), on_error=self._write_failed, owner=self)

    def _undone(self, shown: Shown, made: Decision) -> None:
        self.busy = False  # first: whatever fails below, the keys keep working
        self.last_decision = None
        self.ended_complaint = False
        if self.item is not None:
            self._leave_item()
        self.footer.setText("Undone: the item is back; decide it again.")
        self._arrived(shown)
        if self.shown is shown:  # on screen (not given back to a break or a close): as it was decided, to change
            self.decision.note.setText(made.note)
            for label_id in set(made.labels) & self.decision.labels.keys():
                self.decision.labels[label_id].setChecked(True)

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
            self.complaint.cancel()
            self.escalation.cancel()
            self._follow_statement()  # a reversal dropped: its statement goes too
            return
        self.item_view.toggle_hidden()

    def focus_note(self) -> None:
        if self.item is not None:
            self.decision.note.setFocus()

    def _note_focused(self) -> bool:
        return self.decision.note.hasFocus()

    def _note_done(self) -> None:
        if self.item is None or not (self.complaint.note_done() or self.escalation.note_done()):
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
        self._prefetch_next()  # what was looked up ahead stays fresh (review.desk.AHEAD_FRESH_S) however long one looks

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
        self._follow_statement()  # nothing on screen: the statement box stops asking
        self.item_view.close_view()  # nothing is on screen now: forgets pictures, stops watching keys

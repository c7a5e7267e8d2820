"""The auditor's page: decide blind, then see the moderator's decision, then score it.

Each key is one call on the audit desk (``audit.desk.AuditDesk``) through
the operations runner, and the page paints what comes back. Order is the
domain's: the item arrives (``take_next``/``open_sample``) with nothing
about the decision; the original comes back only from ``submit_blind``,
the write that stores the auditor's blind decision, so no widget can hold
it earlier. The moderator stays hidden in the work list too (its rows are
blinded), and neither the list nor the blind step shows the decision's
path: the queue is the one the item was first decided in (never the
escalation queue it sits in now), and the plan's name waits for the reveal.
While a write is in flight the page ignores further step keys,
and the work list reloads when audits change (``ops.changed``).

Keys are the review keys, so an auditor's hands already know them:

- idle: Enter takes the next sample (one already started comes first);
  a double-click opens a chosen one;
- step 1 (blind): 1–9 toggle labels, A/R/G/L/E decide, N writes a note;
- step 2 (score): C correct / I incorrect, 1–5 the error type, 7–9 the
  severity (only for incorrect), N the comment, Enter submits.

The item is shown by :class:`ui.item.view.ItemView` with exactly the
review page's media safety, and when it leaves its exposure goes to the
wellbeing controller's ``item_left`` (the ledger and the break coach in one
call); a break takes the item off the screen and the sample, still
claimed, comes back first afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QStackedWidget, QVBoxLayout, QWidget

from audit.audits import AuditTask, Scored
from audit.desk import AuditDesk, Opened, Reveal
from audit.sampling import Sample
from review.clock import Clock
from review.media.viewing import ViewSettings
from review.store import User
from ui import keymap
from ui.item.view import ItemView
from ui.operations import Operations
from ui.pages.audit_panels import ERROR_KEYS, SEVERITY_KEYS, VERDICT_KEYS, ComparePanel, ScoreForm, mark
from ui.pages.qa_common import ReadOnlyTable, local_time, score_text, text_label, verdict_words
from ui.pages.review_panels import DecisionPanel
from ui.refresh import SingleFlight
from ui.wellbeing.controller import WellbeingController
from ui.widgets.lists import page_title
from ui.widgets.modal import opening

IDLE, BLIND, SCORE = "idle", "blind", "score"
# Review keys with no meaning in an audit (a blind decision is final), the workbench's and the complaint keys.
NOT_HERE = {"skip", "undo", *keymap.ESCALATION_COMMANDS, *keymap.COMPLAINT_COMMANDS}
# No plan and no reason: a plan's name ("manual", "escalation check") may hint at the decision's path.
WORK_COLUMNS = ("Sample", "Queue", "Drawn", "For")
#: Samples the work list shows at most: a site's shared pool may hold 58,000 open samples (the 5 M demo), and a
#: row of widgets each took the GUI thread 1.8 s to build and 0.7 s to tear down at sign-out (issue 22). The
#: reader reads only these, and the store counts the rest.
WORK_ROWS_SHOWN = 500
SHOWN_KINDS = {"audit", "decision"}  # changes that may change the work list


@dataclass
class AuditServices:
    """What the page needs, built by the desktop wiring."""

    ops: Operations
    desk: AuditDesk
    user: User
    view: ViewSettings
    bindings: list[keymap.Binding]
    clock: Clock  # times the exposure, like the store's
    # The person's break coach and exposure meter, shared with review: what an
    # auditor sees counts the same, and a break stops audits as it stops review.
    wellbeing: WellbeingController


class AuditPage(QWidget):
    work_loaded = Signal()

    def __init__(self, services: AuditServices, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("auditPage")
        self.services = services
        self.ops, self.desk, self.user = services.ops, services.desk, services.user
        self.taxonomy = services.desk.taxonomy
        self.wellbeing = services.wellbeing
        self.task: AuditTask | None = None
        self.step = IDLE
        self.busy = False  # a step's write is in flight: step keys wait for it
        self.closed = False
        user, desk = self.user, self.desk
        # A write that changed audits or decisions may change the work list (reloaded between items only).
        self._loads = SingleFlight(lambda reader: (desk.work_list(reader, user, limit=WORK_ROWS_SHOWN),
                                                   desk.work_counts(reader, user)), self.ops, parent=self,
                                   reload_on=SHOWN_KINDS, when=lambda: self.step == IDLE and self.isVisible())
        self._loads.loaded.connect(self._work_ready)
        self._loads.failed.connect(self._work_failed)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._build()
        self._bind_keys(services.bindings)
        self._set_step(IDLE)
        self.wellbeing.enforce_break.connect(lambda *_: self._pause("On a break. Nothing is shown."))
        self.wellbeing.idle_pause.connect(
            lambda: self._pause("Paused after a while without input. Press Enter to continue."))
        self.wellbeing.break_over.connect(lambda: self.message.setText("Break over. Press Enter when you are ready."))
        self.item_view.active_changed.connect(self.wellbeing.set_window_active)

    # ---------------------------------------------------------------- build
    def _build(self) -> None:
        title = page_title("Audit")
        self.step_blind = QLabel("1  Decide blind")
        self.step_score = QLabel("2  Compare and score")
        for label in (self.step_blind, self.step_score):
            label.setObjectName("auditStep")
        self.status = QLabel()
        self.status.setObjectName("reviewStatus")
        top = QHBoxLayout()
        top.addWidget(title)
        top.addSpacing(20)
        top.addWidget(self.step_blind)
        top.addWidget(QLabel("→"))
        top.addWidget(self.step_score)
        top.addStretch(1)
        top.addWidget(self.status)

        self.decision = DecisionPanel(self.taxonomy)
        self.decision.action_clicked.connect(self.act)
        self.decision.note_done.connect(self.setFocus)
        self.blind_side = QWidget()
        blind_layout = QVBoxLayout(self.blind_side)
        blind_layout.setContentsMargins(0, 0, 0, 0)
        blind_layout.addWidget(text_label("auditHint", "Decide as if this item were yours. The moderator's "
                                                       "decision is shown only after yours is stored."))
        blind_layout.addWidget(self.decision)
        self.compare = ComparePanel(self.taxonomy)
        self.form = ScoreForm(self.compare)
        self.form.submit_button.clicked.connect(self.submit_score)
        self.form.comment.returnPressed.connect(self.submit_score)
        self.score_side = QWidget()
        score_layout = QVBoxLayout(self.score_side)
        score_layout.setContentsMargins(0, 0, 0, 0)
        score_layout.addWidget(self.compare)
        score_layout.addWidget(self.form)
        # Shown one at a time; not a QStackedWidget, whose height would be the taller
        # step's and squeeze the item's context above it.
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.blind_side)
        side_layout.addWidget(self.score_side)

        reveal_key = next(QKeySequence(b.key)[0].key() for b in self.services.bindings if b.command == "reveal")
        self.item_view = ItemView(self.taxonomy, self.services.view, self.services.clock, ops=self.ops,
                                  reveal_key=reveal_key, key_scope=self, side=side)
        self.item_view.said.connect(self.say)
        self.item_view.read_severity_presets(self.ops)  # the blind view is as strict as review

        self.stack = QStackedWidget()
        self.stack.addWidget(self._build_work_panel())
        self.stack.addWidget(self.item_view)
        self.footer = QLabel()
        self.footer.setObjectName("reviewFooter")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 8)
        layout.addLayout(top)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.footer)

    def _build_work_panel(self) -> QWidget:
        panel = QWidget()
        panel.setObjectName("auditWork")
        self.result = text_label("auditResult")
        self.result.hide()  # until a score is there to show
        self.summary = text_label("hint")
        self.work = ReadOnlyTable(WORK_COLUMNS, "auditWorkList", stretch=WORK_COLUMNS.index("For"))
        self.work.setAccessibleName("Audits to do")
        self.work.doubleClicked.connect(lambda _index: self.open_sample(self.work.current_key()))
        self.message = text_label("idleMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addWidget(self.result)
        layout.addWidget(self.summary)
        layout.addWidget(self.work, 1)
        layout.addWidget(self.message)
        return panel

    def _bind_keys(self, bindings: list[keymap.Binding]) -> None:
        self.bindings = [b for b in bindings if b.command not in NOT_HERE]
        view = self.item_view
        handlers = {
            "start": self.enter, "note": self.focus_note, "hide": self.escape, "help": self.show_help,
            "zoom_in": view.image.zoom_in, "zoom_out": view.image.zoom_out, "fit": view.image.fit,
            "play": lambda: view.video("toggle_play"), "open_frame": lambda: view.video("open_frame"),
            "storyboard": lambda: view.video("back_to_grid"), "back": lambda: view.video("skip", -5),
            "forward": lambda: view.video("skip", 5), "slower": lambda: view.video("slower"),
            "faster": lambda: view.video("faster"), "policy": opening(self.decision.show_policy_text, self),
            "thread": view.toggle_thread,
        }
        self.blind_keys: list[QShortcut] = []
        self.score_keys: list[QShortcut] = []
        view.name_keys(self.bindings)
        for binding in self.bindings:
            command = binding.command
            if command == "reveal":
                continue
            argument = command.split(":", 1)[-1]
            if command.startswith("action:"):
                self.blind_keys.append(self._key(binding.key, lambda a=argument: self.act(a)))
            elif command.startswith("label:"):
                self.blind_keys.append(self._key(binding.key, lambda k=argument: self.decision.toggle_label_key(k)))
            elif command in handlers:  # a command this page has no use for stays unbound
                self._key(binding.key, handlers[command])
        for key, value in {**VERDICT_KEYS, **ERROR_KEYS, **SEVERITY_KEYS}.items():
            self.score_keys.append(self._key(key, lambda v=value: self.form.choose(v)))
        self._key("F5", self.refresh)

    def _key(self, key: str, handler: Callable[[], object]) -> QShortcut:
        shortcut = QShortcut(QKeySequence(key), self)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(handler)
        return shortcut

    def _set_step(self, step: str) -> None:
        """Only the current step's keys are live, so 1–9 mean labels when blind and scores after."""
        self.step = step
        for shortcut in self.blind_keys:
            shortcut.setEnabled(step == BLIND)
        for shortcut in self.score_keys:
            shortcut.setEnabled(step == SCORE)
        mark(self.step_blind, "current", step == BLIND)
        mark(self.step_score, "current", step == SCORE)
        self.blind_side.setVisible(step == BLIND)  # a hidden step takes no room
        self.score_side.setVisible(step == SCORE)
        if step == IDLE:
            self.stack.setCurrentIndex(0)
            self.status.setText("")
        else:
            self.stack.setCurrentWidget(self.item_view)
            self.status.setText(f"Sample {self.task.sample_id}")  # the plan waits for the reveal (_show_reveal)

    # ------------------------------------------------------------ work list
    def refresh(self) -> None:
        """Reload the work list in the background (one load at a time)."""
        self._loads.request()

    def _work_ready(self, loaded: tuple[list[Sample], tuple[int, int]]) -> None:
        samples, (mine, pool) = loaded
        rows = []
        for s in samples:
            if s.auditor != self.user.name:
                who = "shared pool" if s.auditor is None else "lapsed claim"
            else:
                who = "you (started)" if s.claimed_at else "you"
            rows.append(((str(s.id), s.queue or "—", local_time(s.created_at), who), s.id))
        self.work.set_rows(rows)
        self.work.setVisible(bool(samples))
        if samples:
            more = (f" The first {len(samples):,} are listed, in the order Enter takes them."
                    if mine + pool > len(samples) else "")
            self.summary.setText(f"{mine:,} assigned to you · {pool:,} in the shared pool.{more} "
                                 "Enter takes the next one; the moderator stays hidden until your blind decision.")
            self.message.setText("")
        else:
            self.summary.setText("")
            self.message.setText("Nothing to audit right now. Samples arrive when a lead's sampling plan runs.\n"
                                 "Press Enter to check again.")
        self.work_loaded.emit()

    def _work_failed(self, exc: BaseException) -> None:
        self.summary.setText(f"Could not load the work list: {exc}")

    # ------------------------------------------------------------ the flow
    def enter(self) -> None:
        """Enter: take the next sample; in a text field, leave it (or submit the score)."""
        if self.decision.note.hasFocus():
            self.setFocus()
        elif self.step == IDLE:
            self.take_next()
        elif self.step == BLIND:
            self.say("Decide first: toggle labels with 1–9, then press an action key (A, R, G, L, E).")
        else:
            self.submit_score()

    def take_next(self) -> None:
        """Claim and open the next sample: one desk call."""
        if self.busy or not self._may_open():
            return
        user = self.user
        self.busy = True
        self.ops.write(lambda store: self.desk.take_next(store, user), on_done=self._taken,
                       on_error=lambda exc: self._open_failed(f"Could not take the next sample: {exc}"), owner=self)

    def _taken(self, opened: Opened | None) -> None:
        if opened is None:
            self.busy = False
            self.message.setText("Nothing to audit right now. Press Enter to check again.")
            self.refresh()
            return
        self._open(opened)

    def open_sample(self, sample_id: int | None) -> None:
        """Open one chosen sample; the domain refuses someone else's or one's own decision."""
        if sample_id is None or self.step != IDLE or self.busy or not self._may_open():
            return
        user = self.user
        self.busy = True
        self.ops.write(lambda store: self.desk.open_sample(store, user, sample_id), on_done=self._open,
                       on_error=lambda exc: self._open_failed(str(exc)), owner=self)

    def _open_failed(self, text: str) -> None:
        self.busy = False
        self.message.setText(text)

    def _may_open(self) -> bool:
        if not self.wellbeing.may_claim():
            self.message.setText("A break comes first: nothing opens until it is over.")
            return False
        return True

    def _open(self, opened: Opened) -> None:
        self.busy = False
        if self.closed or self.step != IDLE:
            return  # signed out, or paused, meanwhile: the sample stays claimed and comes back first
        if not self.wellbeing.may_claim():
            self.message.setText("A break comes first: nothing opens until it is over.")
            return
        task = opened.task
        self.task = task
        self.result.hide()
        self.message.clear()
        self.decision.reset()
        self.compare.show_original(None)
        self.item_view.show_item(task.item)
        self.wellbeing.item_shown(task.item)
        if opened.reveal is None:
            self._set_step(BLIND)
            self.setFocus()
            return
        self._show_reveal(opened.reveal)

    def act(self, action_id: str) -> None:
        """An action key in the blind step: store the blind decision and see the original (one desk call)."""
        if self.step != BLIND or self.busy or self.task is None:
            return
        user, sample_id = self.user, self.task.sample_id
        labels, note = self.decision.chosen_labels(), self.decision.note.text().strip()
        self.busy = True
        self.ops.write(lambda store: self.desk.submit_blind(store, user, sample_id, action_id, labels, note),
                       on_done=lambda reveal: self._blind_stored(sample_id, reveal),
                       on_error=lambda exc: self._step_failed(self.decision.say, exc), owner=self)

    def _blind_stored(self, sample_id: int, reveal: Reveal) -> None:
        self.busy = False
        if self.task is not None and self.task.sample_id == sample_id and self.step == BLIND:
            self._show_reveal(reveal)

    def _step_failed(self, say: Callable[[str], None], exc: BaseException) -> None:
        self.busy = False
        say(str(exc))

    def _show_reveal(self, reveal: Reveal) -> None:
        self.compare.show_original(reveal.original)
        self.form.reset(reveal.rubric)
        self._set_step(SCORE)
        self.status.setText(f"Sample {reveal.original.sample_id} · plan {reveal.original.plan}")
        self.setFocus()

    def submit_score(self) -> None:
        if self.step != SCORE or self.busy or self.task is None:
            return
        problem = self.form.problem()
        if problem:
            self.form.say(problem)
            return
        verdict, error_type, severity, comment = self.form.values()
        assert verdict is not None  # problem() says so otherwise
        user, sample_id = self.user, self.task.sample_id
        self.busy = True
        self.ops.write(lambda store: self.desk.score(store, user, sample_id, verdict, error_type, severity, comment),
                       on_done=self._scored, on_error=lambda exc: self._step_failed(self.form.say, exc), owner=self)

    def _scored(self, scored: Scored) -> None:
        self.busy = False
        if self.task is not None and self.task.sample_id == scored.sample_id:
            self._set_step(IDLE)
            self._leave()
        self.result.show()
        self.result.setText(f"Sample {scored.sample_id} scored {score_text(scored.score)} — "
                            f"{verdict_words(scored.verdict, scored.error_type, scored.severity)}. "
                            "Enter takes the next sample.")
        self.footer.setText(f"Scored sample {scored.sample_id}.")
        self.setFocus()

    def _leave(self) -> None:
        """The item leaves the screen; its exposure goes to the ledger and the break coach in one call."""
        record = self.item_view.leave()
        self.task = None
        self.wellbeing.item_left(record)  # last: an enforced break may start here

    def _pause(self, text: str) -> None:
        """A break or an idle pause: the item leaves the screen; its sample stays claimed and comes back first.

        The step is idle before the item leaves: leaving may start an enforced
        break, which pauses again and must find nothing left to leave.
        """
        if self.step != IDLE:
            self._set_step(IDLE)
            self._leave()
        self.message.setText(text)

    # ----------------------------------------------------------- other keys
    def escape(self) -> None:
        """Esc: leave a text field; otherwise hide all media at once (again: show it blurred)."""
        if self._typing():
            self.setFocus()
        elif self.step != IDLE:
            self.item_view.toggle_hidden()

    def focus_note(self) -> None:
        if self.step == BLIND:
            self.decision.note.setFocus()
        elif self.step == SCORE:
            self.form.comment.setFocus()

    def _typing(self) -> bool:
        return self.decision.note.hasFocus() or self.form.comment.hasFocus()

    def show_help(self) -> None:
        if not self._typing():
            keymap.CheatSheet(self.bindings, self).exec()

    def say(self, text: str) -> None:
        (self.form if self.step == SCORE else self.decision).say(text)

    # ------------------------------------------------------------ plumbing
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.step == IDLE:
            self.refresh()

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        if self.step == IDLE and self.work.isVisible():
            self.work.setFocus()

    def close_page(self) -> None:
        """Sign-out or close: book the exposure, forget pictures, start no more loads.

        A sample left half-way stays claimed by this auditor and comes back
        first next time (or lapses to another auditor after the claim time).
        """
        self.closed = True
        self._loads.close()
        record = self.item_view.close_view()
        self.task = None
        self.wellbeing.item_left(record)

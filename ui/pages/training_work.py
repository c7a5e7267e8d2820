"""Working a course (or a calibration session) on the review desk's item view, with the review keys.

The item is shown by :class:`ui.item.view.ItemView` — the same veil, the
same reveal rules and severity presets as review — and the decision is
made with the same :class:`ui.pages.review_panels.DecisionPanel` and the
person's own keys (labels 1–9, actions A/R/G/L/E, Space to reveal, Esc to
hide, F1/? for the cheat sheet). A course answer is one
``audit.training.attempts.answer`` call; the panel then shows whether it
matched, the expected answer and the explanation, and Enter brings the
next item. A calibration session is answered blind: nobody's answer is
shown, Enter is not needed, the next item follows.

Every item shown is exposure: when it leaves, its record goes to the
wellbeing controller (``item_left``: the ledger and the break coach), and
a break takes it off the screen. Nothing here is a live decision.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from audit.training import attempts, sessions
from review.media.viewing import ViewSettings
from review.serving import Item
from review.store import User
from review.taxonomy import Taxonomy
from ui import keymap
from ui.item.view import ItemView
from ui.operations import Operations
from ui.pages.qa_common import decision_words, local_time, text_label
from ui.pages.review_panels import DecisionPanel
from ui.wellbeing.controller import WellbeingController
from ui.widgets.modal import opening

ANSWER, FEEDBACK = "answer", "feedback"
#: Review keys with no meaning here: nothing is skipped, undone, escalated through the workbench or complained of.
NOT_HERE = {"skip", "undo", *keymap.ESCALATION_COMMANDS, *keymap.COMPLAINT_COMMANDS}


class TrainingWork(QWidget):
    """One course attempt or one session, item by item; ``finished(text)`` when it ends or is left."""

    finished = Signal(str)

    def __init__(self, ops: Operations, user: User, taxonomy: Taxonomy, view: ViewSettings,
                 bindings: list[keymap.Binding], clock: Any, wellbeing: WellbeingController,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("trainingWork")
        self.ops, self.user, self.taxonomy, self.wellbeing = ops, user, taxonomy, wellbeing
        self.step: attempts.Step | None = None  # the course item on screen
        self.session: str | None = None  # the session being answered (blind), when not a course
        self.blind_item: Item | None = None
        self.state = ANSWER
        self.busy = False
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.decision = DecisionPanel(taxonomy)
        self.decision.action_clicked.connect(self.act)
        self.decision.note_done.connect(self.setFocus)
        self.progress = text_label("trainingProgress", rich=True)
        self.feedback = text_label("trainingFeedback", rich=True)
        self.feedback.setAccessibleName("Feedback")
        self.feedback.hide()
        side = QWidget()
        column = QVBoxLayout(side)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.progress)
        column.addWidget(self.decision)
        column.addWidget(self.feedback)
        reveal_key = next(QKeySequence(b.key)[0].key() for b in bindings if b.command == "reveal")
        self.item_view = ItemView(taxonomy, view, clock, ops=ops, reveal_key=reveal_key, key_scope=self,
                                  side=side)
        self.item_view.said.connect(self.decision.say)
        self.item_view.read_severity_presets(ops)
        self.item_view.active_changed.connect(self.wellbeing.set_window_active)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.item_view, 1)
        self.footer = QLabel(objectName="reviewFooter")
        layout.addWidget(self.footer)
        self._bind(bindings)

    def _bind(self, bindings: list[keymap.Binding]) -> None:
        self.bindings = [b for b in bindings if b.command not in NOT_HERE]
        view = self.item_view
        handlers: dict[str, Callable[[], object]] = {
            "start": self.enter, "note": self.decision.note.setFocus, "hide": self.escape, "help": self.show_help,
            "policy": opening(self.decision.show_policy_text, self),
            "zoom_in": view.image.zoom_in, "zoom_out": view.image.zoom_out, "fit": view.image.fit,
            "thread": view.toggle_thread, "play": lambda: view.video("toggle_play"),
            "open_frame": lambda: view.video("open_frame"),
            "storyboard": lambda: view.video("back_to_grid"), "back": lambda: view.video("skip", -5),
            "forward": lambda: view.video("skip", 5), "slower": lambda: view.video("slower"),
            "faster": lambda: view.video("faster"),
        }
        view.name_keys(self.bindings)  # the thread line says the person's thread key, as on the review desk
        self.answer_keys: list[QShortcut] = []
        for binding in self.bindings:
            command, argument = binding.command, binding.command.split(":", 1)[-1]
            if command == "reveal":
                continue
            if command.startswith("action:"):
                self.answer_keys.append(self._key(binding.key, lambda a=argument: self.act(a)))
            elif command.startswith("label:"):
                self.answer_keys.append(self._key(binding.key, lambda k=argument: self.decision.toggle_label_key(k)))
            elif command in handlers:
                self._key(binding.key, handlers[command])

    def _key(self, key: str, handler: Callable[[], object]) -> QShortcut:
        shortcut = QShortcut(QKeySequence(key), self)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(handler)
        return shortcut

    def _set_state(self, state: str) -> None:
        """Only the answer step's keys are live while answering; after it, Enter goes on."""
        self.state = state
        for shortcut in self.answer_keys:
            shortcut.setEnabled(state == ANSWER)
        self.decision.set_enabled(state == ANSWER)
        self.decision.setVisible(state == ANSWER)  # the feedback says what was chosen; the column keeps its room
        self.feedback.setVisible(state == FEEDBACK)

    # ------------------------------------------------------------ course
    def show_step(self, step: attempts.Step | None) -> None:
        """Put a course item on screen (None: the attempt has nothing left)."""
        self.busy = False
        if step is None:
            self.finished.emit("This attempt is finished.")
            return
        if not self.wellbeing.may_claim():
            self.finished.emit("A break comes first: the course waits where you left it.")
            return
        self.step, self.session = step, None
        a = step.attempt
        limit = f" · answer by {local_time(a.deadline_at)[11:]}" if a.deadline_at else ""
        self.progress.setText(f"<b>{escape(a.course)}</b> · attempt {a.number} · item {a.answered + 1} of "
                              f"{a.items}{limit}")
        self._show(step.item)

    def _show(self, item: Item) -> None:
        self.item_view.show_item(item)
        self.wellbeing.item_shown(item)
        self.decision.reset()
        self._set_state(ANSWER)
        self.setFocus()

    def act(self, action_id: str) -> None:
        """An action key: the answer, with the labels chosen (one write)."""
        if self.busy or self.state != ANSWER:
            return
        labels = self.decision.chosen_labels()
        user, taxonomy = self.user, self.taxonomy
        self.item_view.end_reveal()
        self.busy = True
        if self.session is not None and self.blind_item is not None:
            name, item_id = self.session, self.blind_item.id
            self.ops.write(lambda store: sessions.answer_blind(store, user, name, item_id, action_id, labels),
                           on_done=self._blind_next, on_error=self._refused, owner=self)
            return
        if self.step is None:
            self.busy = False
            return
        attempt_id, position = self.step.attempt.id, self.step.position
        self.ops.write(lambda store: attempts.answer(store, user, attempt_id, position, action_id, labels,
                                                     taxonomy=taxonomy),
                       on_done=self._answered, on_error=self._refused, owner=self)

    def _refused(self, exc: BaseException) -> None:
        self.busy = False
        self.decision.say(str(exc))

    def _answered(self, said: attempts.Feedback) -> None:
        self.busy = False
        a = said.attempt
        if a.timed_out and a.finished:
            head = "<b>Time is up.</b> Your last answer came after the time limit and was not counted."
        elif said.matched:
            head = "<b>✓ Matched.</b>"
        else:
            head = "<b>✗ Not matched.</b>"
        lines = [head, f"You: {escape(decision_words(self.taxonomy, said.action, said.labels))}",
                 f"Expected: {escape(decision_words(self.taxonomy, said.expected_action, said.expected_labels))}"]
        if said.explanation:
            lines.append(f"Why: {escape(said.explanation)}")
        if a.finished:
            result = "passed" if a.passed else "not passed"
            lines.append(f"<br><b>Attempt {a.number} finished: {a.correct} of {a.items} "
                         f"({(a.score or 0) * 100:.0f} %) — {result}</b> (pass mark {a.pass_mark * 100:.0f} %).")
            if a.passed and a.outdated:
                lines.append(f"This attempt started when the course was for taxonomy version {a.taxonomy_version}: "
                             f"the pass counts for that version only. The course now asks for version "
                             f"{a.course_version}: take it again to be certified.")
            lines.append("Enter: back to your courses.")
        else:
            lines.append(f"Enter: next item ({a.answered + 1} of {a.items}).")
        self.feedback.setText("<br>".join(lines))
        mark = "matched" if said.matched else "unmatched"
        self.feedback.setProperty("outcome", mark)
        self.feedback.style().unpolish(self.feedback)
        self.feedback.style().polish(self.feedback)
        self.step = attempts.Step(a, said.position, self.step.item) if self.step else None
        self._set_state(FEEDBACK)
        self.setFocus()

    def enter(self) -> None:
        """Enter: after feedback, the next item (or back to the courses when the attempt is over)."""
        if self.decision.note.hasFocus():
            self.setFocus()
            return
        if self.busy:
            return
        if self.state == ANSWER:
            self.decision.say("Answer first: toggle labels with 1–9, then press an action key.")
            return
        step = self.step
        self._leave()
        if step is None or step.attempt.finished:
            a = step.attempt if step else None
            result = "not passed"
            if a and a.passed:
                result = f"passed for taxonomy version {a.taxonomy_version} only" if a.outdated else "passed"
            self.finished.emit(f"Attempt {a.number} at “{a.course}”: {(a.score or 0) * 100:.0f} % — {result}."
                               if a else "")
            return
        if not self.wellbeing.may_claim():
            self.finished.emit("A break comes first: the course waits where you left it.")
            return
        user, attempt_id, severe = self.user, step.attempt.id, self.wellbeing.serving_rule
        self.busy = True
        self.ops.write(lambda store: attempts.next_step(store, user, attempt_id, severe=severe),
                       on_done=self.show_step,
                       on_error=self._stopped, owner=self)

    def _stopped(self, exc: BaseException) -> None:
        self.busy = False
        self.finished.emit(str(exc))

    # ------------------------------------------------------------ session (blind)
    def show_blind(self, name: str, item: Item | None) -> None:
        """Put a session's next item on screen, blind (None: all answered)."""
        self.busy = False
        if item is None:
            self.finished.emit(f"You have answered every item of “{name}”. Thank you.")
            return
        if not self.wellbeing.may_claim():
            self.finished.emit("A break comes first: the session waits where you left it.")
            return
        self.session, self.blind_item, self.step = name, item, None
        self.progress.setText(f"<b>Calibration session “{escape(name)}”</b> · decide as you would; nobody's answer is "
                              "shown, yours is not either")
        self._show(item)

    def _blind_next(self, item: Item | None) -> None:
        name = self.session or ""
        self._leave()
        if not self.wellbeing.may_claim():
            self.busy = False
            self.finished.emit("A break comes first: the session waits where you left it.")
            return
        self.show_blind(name, item)

    # ------------------------------------------------------------ leaving
    def _leave(self) -> None:
        """The item leaves the screen: its exposure goes to the ledger and the break coach in one call."""
        record = self.item_view.leave()
        self.blind_item = None
        self.wellbeing.item_left(record)

    def pause(self) -> None:
        """A break or an idle pause: the item leaves; the attempt waits (an unanswered item comes back first)."""
        if self.item_view.item is not None:
            self.step = None
            self._leave()

    def escape(self) -> None:
        if self.decision.note.hasFocus():
            self.setFocus()
        else:
            self.item_view.toggle_hidden()

    def show_help(self) -> None:
        keymap.CheatSheet(self.bindings, self).exec()

    def close_view(self) -> None:
        record = self.item_view.close_view()
        self.wellbeing.item_left(record)


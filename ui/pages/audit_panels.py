"""The audit page's step-2 panels: the two decisions side by side, and the score form.

``ComparePanel`` shows the auditor's blind decision beside the moderator's
and says in words whether they agree. ``ScoreForm`` holds the verdict, the
error type and severity (open only for "incorrect") and the comment, says
what is still missing with the key that fixes it, and previews the rubric
score. Neither touches the store; the page calls the domain.

Score keys are fixed, not re-bindable: C / I for the verdict, 1–5 for the
error type, 7–9 for the severity (the gap keeps the two groups apart under
the fingers). They are live only in step 2, when the label keys are not.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from audit.audits import Original, Rubric, contradiction
from audit.store.schema import ERROR_TYPES, SEVERITIES
from review.taxonomy import Taxonomy
from ui.pages.qa_common import decision_words, local_time, score_text, text_label, words

VERDICT_KEYS = {"C": "correct", "I": "incorrect"}
ERROR_KEYS = dict(zip("12345", ERROR_TYPES))
SEVERITY_KEYS = dict(zip("789", SEVERITIES))


def mark(widget: QWidget, name: str, value: object) -> None:
    """Set a style property and let the stylesheet see the change."""
    widget.setProperty(name, value)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


class ComparePanel(QFrame):
    """The blind decision beside the moderator's, with agreement said in words."""

    def __init__(self, taxonomy: Taxonomy, parent: QWidget | None = None):
        super().__init__(parent)
        self.taxonomy = taxonomy
        self.setObjectName("comparePanel")
        self.shown: Original | None = None  # the decisions side by side, which the score form checks against
        grid = QGridLayout(self)
        grid.addWidget(text_label("sectionTitle", "Your blind decision"), 0, 0)
        grid.addWidget(text_label("sectionTitle", "Moderator's decision"), 0, 1)
        self.blind = text_label("compareDecision")
        self.original = text_label("compareDecision")
        grid.addWidget(self.blind, 1, 0)
        grid.addWidget(self.original, 1, 1)
        self.agreement = text_label("agreement")
        self.details = text_label("compareDetails")
        grid.addWidget(self.agreement, 2, 0, 1, 2)
        grid.addWidget(self.details, 3, 0, 1, 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)

    def show_original(self, original: Original | None) -> None:
        self.shown = original
        if original is None:
            for label in (self.blind, self.original, self.agreement, self.details):
                label.clear()
            return
        self.blind.setText(decision_words(self.taxonomy, original.blind_action, original.blind_labels))
        self.original.setText(decision_words(self.taxonomy, original.action, original.labels))
        if original.agrees:
            text = "Agree — the same action and the same labels."
        elif original.action != original.blind_action:
            text = "Disagree — a different action."
        else:
            text = "Disagree — the same action, different labels."
        self.agreement.setText(text)
        mark(self.agreement, "agrees", original.agrees)
        handled = f" · handled in {original.handle_ms / 1000:.0f} s" if original.handle_ms is not None else ""
        note = f"\nModerator's note: {original.note}" if original.note else ""
        self.details.setText(f"Decided by {original.moderator} in {original.queue} · "
                             f"{local_time(original.decided_at)}{handled}{note}")


class ScoreForm(QFrame):
    """Verdict, error type, severity and comment; says what is missing."""

    def __init__(self, compare: ComparePanel | None = None, parent: QWidget | None = None):
        """*compare* shows the decisions the verdict is about: a verdict contradicting them is refused."""
        super().__init__(parent)
        self.setObjectName("scoreForm")
        self.compare = compare
        self.rubric: Rubric | None = None
        layout = QVBoxLayout(self)
        layout.addWidget(text_label("sectionTitle", "Verdict on the moderator's decision"))
        self.verdicts = self._choices(layout, VERDICT_KEYS, columns=2)
        layout.addWidget(text_label("sectionTitle", "Error type (only when incorrect)"))
        self.errors = self._choices(layout, ERROR_KEYS, columns=2)
        layout.addWidget(text_label("sectionTitle", "Severity (only when incorrect)"))
        self.severities = self._choices(layout, SEVERITY_KEYS, columns=3)
        self.comment = QLineEdit()
        self.comment.setObjectName("note")
        self.comment.setAccessibleName("Comment for the moderator")
        self.comment.setPlaceholderText("Comment for the moderator (N)")
        self.submit_button = QPushButton("Submit  (Enter)")
        self.submit_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        row = QHBoxLayout()
        row.addWidget(self.comment, 1)
        row.addWidget(self.submit_button)
        layout.addLayout(row)
        self.preview = text_label("scorePreview")
        self.message = text_label("ruleMessage")
        # Their room is kept while empty: a score or a refusal appearing must not push the buttons about.
        line = self.message.fontMetrics().lineSpacing()
        self.preview.setFixedHeight(line + 4)
        self.message.setFixedHeight(3 * line + 4)
        self.message.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.preview)
        layout.addWidget(self.message)

    def _choices(self, layout: QVBoxLayout, keyed: dict[str, str], columns: int) -> dict[str, QPushButton]:
        grid = QGridLayout()
        group = QButtonGroup(self)
        buttons = {}
        for n, (key, value) in enumerate(keyed.items()):
            button = QPushButton(f"{key}  {words(value).capitalize()}")
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            group.addButton(button)
            grid.addWidget(button, n // columns, n % columns)
            buttons[value] = button
        group.buttonClicked.connect(lambda _button: self._update())
        layout.addLayout(grid)
        return buttons

    @staticmethod
    def _clear(buttons: dict[str, QPushButton]) -> None:
        group = next(iter(buttons.values())).group()
        group.setExclusive(False)  # an exclusive group refuses to uncheck its last button
        for button in buttons.values():
            button.setChecked(False)
        group.setExclusive(True)

    def reset(self, rubric: Rubric) -> None:
        self.rubric = rubric
        for buttons in (self.verdicts, self.errors, self.severities):
            self._clear(buttons)
        self.comment.clear()
        self.message.clear()
        self._update()

    def choose(self, value: str) -> None:
        """Check the verdict, error type or severity called *value* (as its key would)."""
        for buttons in (self.verdicts, self.errors, self.severities):
            if value in buttons and buttons[value].isEnabled():
                buttons[value].setChecked(True)
        self._update()

    @staticmethod
    def _chosen(buttons: dict[str, QPushButton]) -> str | None:
        return next((value for value, button in buttons.items() if button.isChecked()), None)

    def values(self) -> tuple[str | None, str | None, str | None, str]:
        """(verdict, error type, severity, comment); error fields are None unless incorrect."""
        verdict = self._chosen(self.verdicts)
        if verdict != "incorrect":
            return verdict, None, None, self.comment.text().strip()
        return verdict, self._chosen(self.errors), self._chosen(self.severities), self.comment.text().strip()

    def problem(self) -> str | None:
        """What is missing before the score can be submitted, with the key that fixes it."""
        verdict, error_type, severity, _ = self.values()
        if verdict is None:
            return "Choose a verdict first: C correct or I incorrect."
        if verdict == "incorrect" and error_type is None:
            return "An incorrect decision needs an error type: press 1–5."
        if verdict == "incorrect" and severity is None:
            return "An incorrect decision needs a severity: 7 minor, 8 major, 9 critical."
        shown = self.compare.shown if self.compare is not None else None
        return contradiction(shown, error_type) if shown is not None else None

    def say(self, text: str) -> None:
        self.message.setText(text)

    def _update(self) -> None:
        """Error type and severity are open only for "incorrect"; the rubric score shows once complete."""
        incorrect = self._chosen(self.verdicts) == "incorrect"
        for buttons in (self.errors, self.severities):
            if not incorrect:
                self._clear(buttons)
            for button in buttons.values():
                button.setEnabled(incorrect)
        verdict, error_type, severity, _ = self.values()
        if self.rubric is not None and self.problem() is None:
            self.preview.setText(f"Rubric score: {score_text(self.rubric.score(verdict, error_type, severity))}")
        else:
            self.preview.clear()
        self.message.clear()

"""The decision summary's "What the person receives" box: the statement of reasons before the key that commits.

DSA Art. 17 asks that the person whose content is restricted is told why;
issue 21 §5 asks that the moderator reads that text *before* committing a
restricting decision, not after. The box asks the statement preview
service (``audit.compliance.statements.statement_preview``, handed to the
page by the desktop wiring: ui pages do not reach into audit themselves)
for every decision action, off the GUI thread through ``ops.query`` and a
short debounce, whenever the item or its labels change. The first action
that restricts something (taxonomy order: the one a moderator reaches for
first) is shown in full; every restricting action's button carries its
own text in its tooltip; actions that restrict nothing show nothing.

When the Transparency Database would refuse the statement the box says
so in a warning line, with the mapping entry a lead must fix. The
decision is not blocked: the mapping is the lead's to fix, not the
moderator's to work around.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFrame, QLabel, QPlainTextEdit, QVBoxLayout

from review.store import Store, User
from review.taxonomy import Action
from ui.operations import Operations
from ui.pages.review_panels import DecisionPanel

#: ``statement_preview(store, user, item_id, action, labels)``: the text, or None when *action* restricts nothing.
StatementPreview = Callable[[Store, User, int, str, Sequence[str]], "str | None"]
#: How the preview service begins the paragraph about a refused statement (``audit.compliance.statements``).
REFUSED = "The Transparency Database would refuse this statement"
DEBOUNCE_MS = 200  # labels toggled in a burst (2, 5, 7) ask once, after the last


class StatementBox(QFrame):
    """The Art. 17 text for the action the keys would apply, kept current as labels are toggled."""

    def __init__(self, panel: DecisionPanel, ops: Operations, user: User, preview: StatementPreview, *,
                 on_labels: Callable[[], None]):
        """For the actions of *panel*; the page places the box (under the media: in the side column it took the
        room the item's context needs at 720 px). *on_labels* runs when a label is toggled in *panel* (the page
        then calls :meth:`follow` with the item the statement is for)."""
        super().__init__()
        self.setObjectName("statementBox")
        self.ops, self.user, self.preview, self.buttons = ops, user, preview, panel.buttons
        self.actions: list[Action] = [a for a in panel.taxonomy.actions if not a.escalates]
        self._descriptions = {a.id: a.description for a in self.actions}
        self.heading = QLabel()  # the section's title, naming the action the text is for
        self.heading.setObjectName("sectionTitle")
        self.heading.setWordWrap(True)
        self.refusal = QLabel()
        self.refusal.setObjectName("statementRefused")
        self.refusal.setWordWrap(True)
        self.text = QPlainTextEdit()
        self.text.setObjectName("statementText")
        self.text.setAccessibleName("Statement of reasons")
        self.text.setReadOnly(True)
        self.text.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the page keeps the keys
        self.text.setMaximumHeight(72)  # a few lines, scrolled: the item's context keeps its room above
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        for widget in (self.heading, self.refusal, self.text):
            layout.addWidget(widget)
        self.texts: dict[str, str | None] = {}  # action id -> the text for the item and labels on screen
        self.item_id: int | None = None
        self.labels: list[str] = []
        self.reversal: str | None = None
        self._asked = 0  # numbers each question: an answer to an older one is dropped
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS, timeout=self._ask)
        self.clear()
        for box in panel.labels.values():
            box.toggled.connect(on_labels)

    def follow(self, item_id: int | None, labels: Sequence[str], *, reversal: str | None = None) -> None:
        """The statement for *item_id* decided with *labels*; *reversal* (a complaint's new decision on it): the
        action chosen for it, the only one shown ("": not chosen yet, any)."""
        if item_id is None:
            self.clear()
            return
        changed_item = (item_id, reversal) != (self.item_id, self.reversal)
        self.item_id, self.labels, self.reversal = item_id, list(labels), reversal
        self._asked += 1  # what is on its way no longer fits
        if changed_item:
            self._paint({})
        self._timer.start()

    def clear(self) -> None:
        self._timer.stop()
        self._asked += 1
        self.item_id, self.labels, self.reversal = None, [], None
        self._paint({})

    def statement_for(self, action_id: str) -> str | None:
        """The text the person would receive for *action_id* as the labels stand (None: restricts nothing)."""
        return self.texts.get(action_id)

    def _ask(self) -> None:
        if self.item_id is None:
            return
        asked, item_id, labels, user, preview = self._asked, self.item_id, list(self.labels), self.user, self.preview
        action_ids = [a.id for a in self.actions]

        def texts(store: Store) -> dict[str, str | None]:
            return {action: preview(store, user, item_id, action, labels) for action in action_ids}

        self.ops.query(texts, on_done=lambda found: self._arrived(asked, found),
                       on_error=lambda exc: self._failed(asked, exc), owner=self)

    def _arrived(self, asked: int, texts: dict[str, str | None]) -> None:
        if asked == self._asked:
            self._paint(texts)

    def _failed(self, asked: int, exc: BaseException) -> None:
        if asked == self._asked:
            self._paint({})
            self.setVisible(True)
            self.heading.setText(f"Could not prepare the statement: {exc}")

    def _paint(self, texts: dict[str, str | None]) -> None:
        self.texts = texts
        for action in self.actions:  # each restricting action's own text, on hover
            text = texts.get(action.id)
            own = f"\n\nThe person receives:\n{text}" if text else ""
            if action.id in self.buttons:
                self.buttons[action.id].setToolTip(self._descriptions[action.id] + own)
        restricting = [a for a in self.actions if texts.get(a.id) and self.reversal in (None, "", a.id)]
        self.setVisible(bool(restricting))
        if not restricting:
            for label in (self.heading, self.refusal):
                label.clear()
            self.text.clear()
            return
        first, others = restricting[0], restricting[1:]
        heading = f"The person receives, {'reversed to' if self.reversal is not None else 'for'} {_named(first)}"
        if others:
            heading += f" ({', '.join(a.key or a.name for a in others)}: hover)"
        text = texts[first.id] or ""
        if first.requires_label and not self.labels:
            self.heading.setText(f"{heading}: choose the policy label first, the statement is built from it")
            self.refusal.clear()
            self.refusal.setVisible(False)
            self.text.setVisible(False)
            return
        body, _, refused = text.partition(REFUSED)
        self.heading.setText(f"{heading}:")
        self.refusal.setText(f"{REFUSED}{refused} — the decision is still recorded; a lead fixes that mapping "
                             "entry (Statements page)." if refused else "")
        self.refusal.setVisible(bool(refused))
        self.text.setVisible(True)
        # The reference line is left out (its puid is given only when the decision is recorded), and the
        # blank lines between paragraphs: what was decided and why come first, in the room there is.
        paragraphs = body.strip().partition("\n\n")[2] or body.strip()
        self.text.setPlainText("\n".join(line for line in paragraphs.splitlines() if line.strip()))


def _named(action: Action) -> str:
    return f"{action.key} {action.name}" if action.key else action.name

"""The lead's "Sessions" tab of the Training page: start a calibration session, read its spread and agreement,
record the agreed answer (optionally as a gold item), close it.

A session names its items and at least two people; each answers blind on
their own Training page. Choosing a session shows, per item, how the
answers spread, and Fleiss' kappa and Krippendorff's alpha with their
words (``audit.training.sessions.report``). Each change is one write.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from audit import calibration
from audit.training import sessions
from review.store import Store, User
from review.taxonomy import Taxonomy
from ui.operations import Operations
from ui.pages.qa_common import ReadOnlyTable, decision_words, text_label
from ui.pages.training_lead import refill
from ui.refresh import SingleFlight


@dataclass(frozen=True)
class Board:
    names: list[str]
    people: list[str]
    report: sessions.SessionReport | None
    refused: str = ""  # why the chosen session's report is not shown (the lead answers it too and has not yet)


def _figure(value: float | None) -> str:
    """"<b>0.167</b> — " before the statistic's words; nothing when it is undefined (the words say why)."""
    return "" if value is None else f"<b>{value:.3f}</b> — "


class SessionsPanel(QWidget):
    def __init__(self, ops: Operations, lead: User, taxonomy: Taxonomy):
        super().__init__()
        self.setObjectName("trainingSessionsPanel")
        self.ops, self.lead, self.taxonomy = ops, lead, taxonomy
        self._loads = SingleFlight(self._load, ops, parent=self, reload_on={"calibration", "gold"},
                                   when=self.isVisible)
        self._loads.loaded.connect(self._loaded)
        self._loads.failed.connect(lambda exc: self.status.setText(f"Could not load the sessions: {exc}"))
        self.name = QLineEdit(placeholderText="session name")
        self.name.setAccessibleName("Session name")
        self.items = QLineEdit(placeholderText="item ids, e.g. 11, 12, 13")
        self.items.setAccessibleName("Items")
        self.people = QListWidget()
        self.people.setAccessibleName("People who answer")
        self.people.setMaximumHeight(40)
        self.people.setFlow(QListWidget.Flow.LeftToRight)
        create = QPushButton("&Create session")
        create.clicked.connect(self.create)
        self.chosen = QComboBox()
        self.chosen.setAccessibleName("Session")
        self.chosen.setMinimumContentsLength(24)
        self.chosen.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self._wanted = ""  # the session to report on, read by the loader off the GUI thread
        self.chosen.currentTextChanged.connect(self._choose)
        close = QPushButton("C&lose session")
        close.clicked.connect(self.close_session)
        self.figures = text_label("trainingAgreement", rich=True)
        self.spread = ReadOnlyTable(("Item", "Answers", "Spread of answers", "Agreed answer"), "trainingSpread",
                                    stretch=2)
        self.spread.setAccessibleName("Spread of answers per item")
        self.action = QComboBox()
        self.action.setAccessibleName("Agreed action")
        for action in taxonomy.actions:  # named as every page names them; the id is what is stored
            self.action.addItem(action.name, action.id)
        self.labels = QLineEdit(placeholderText="labels, e.g. spam")
        self.labels.setAccessibleName("Agreed labels")
        self.note = QLineEdit(placeholderText="why (becomes the gold explanation)")
        self.note.setAccessibleName("Why")
        self.make_gold = QCheckBox("Make it a &gold item")
        agree = QPushButton("Record &agreed answer")
        agree.clicked.connect(self.agree)
        self.status = text_label("updated")  # names and reasons are stored text, never markup
        top, pick, agree_row = QHBoxLayout(), QHBoxLayout(), QHBoxLayout()
        for w in (self.name, self.items, create):
            top.addWidget(w)
        for w in (self.chosen, close):
            pick.addWidget(w)
        pick.addStretch(1)
        for w in (self.action, self.labels, self.note, self.make_gold, agree):
            agree_row.addWidget(w)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 10, 0, 0)
        layout.addWidget(text_label("hint", "A session gives the same items to the people ticked below; each "
                                    "answers blind on their Training page. Then read the spread and the agreement, "
                                    "and record the agreed answer for the selected item."))
        layout.addLayout(top)
        layout.addWidget(self.people)
        layout.addLayout(pick)
        layout.addWidget(self.figures)
        layout.addWidget(self.spread, 1)
        layout.addLayout(agree_row)
        layout.addWidget(self.status)

    def _load(self, store: Store) -> Board:
        lead, name = self.lead, self._wanted
        names = [s.name for s in calibration.set_list(store, lead)]
        people = [u.name for u in store.users() if u.active and any(u.has(r) for r in calibration.ANSWER_ROLES)]
        wanted = name if name in names else (names[0] if names else None)
        try:
            return Board(names, people, sessions.report(store, lead, wanted) if wanted else None)
        except sessions.NotYetAnswered as refused:
            return Board(names, people, None, str(refused))

    def _choose(self, name: str) -> None:
        self._wanted = name
        self._loads.request()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._loads.request()

    def _loaded(self, board: Board) -> None:
        refill(self.chosen, board.names)
        if board.report is not None:
            self.chosen.blockSignals(True)
            self.chosen.setCurrentText(board.report.name)
            self.chosen.blockSignals(False)
        ticked = {self.people.item(r).text() for r in range(self.people.count())
                  if self.people.item(r).checkState() == Qt.CheckState.Checked}
        self.people.clear()
        for person in board.people:
            entry = QListWidgetItem(person)
            entry.setFlags(entry.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            entry.setCheckState(Qt.CheckState.Checked if person in ticked else Qt.CheckState.Unchecked)
            self.people.addItem(entry)
        found = board.report
        if found is None:
            self.figures.setText(escape(board.refused) if board.refused else "No sessions yet.")
            self.spread.set_rows([])
            return
        a = found.agreement
        self.figures.setText(
            f"<b>{escape(found.name)}</b>{' (closed)' if found.closed else ''}: {a.answers} answers from {a.raters} "
            f"of {len(found.people)} people on {a.items} items; agreement on the chosen action only (labels are in "
            "the spread below):<br>"
            f"Fleiss' kappa {_figure(a.fleiss_kappa)}{escape(found.kappa_words)} (Landis &amp; Koch)<br>"
            f"Krippendorff's alpha {_figure(a.krippendorff_alpha)}{escape(found.alpha_words)}"
            )
        self.spread.set_rows([(
            (f"{i.item_id} ({i.external_id})", str(i.answers),
             "; ".join(f"{decision_words(self.taxonomy, *answer)} ×{n}" for answer, n in i.spread)
             or "no answers yet",
             (decision_words(self.taxonomy, i.agreed_action, i.agreed_labels) + (" · gold" if i.gold else ""))
             if i.agreed_action else "—"), i.item_id) for i in found.items])

    def create(self) -> None:
        try:
            ids = [int(part) for part in self.items.text().replace(",", " ").split()]
        except ValueError:
            self.status.setText("Items are ids separated by commas or spaces, e.g. 11, 12, 13.")
            return
        people = [self.people.item(r).text() for r in range(self.people.count())
                  if self.people.item(r).checkState() == Qt.CheckState.Checked]
        name, lead = self.name.text(), self.lead
        self.ops.write(lambda store: sessions.create_session(store, lead, name, ids, people),
                       on_done=lambda _id: self._created(name), on_error=lambda exc: self.status.setText(str(exc)),
                       owner=self)

    def _created(self, name: str) -> None:
        self.status.setText(f"Session “{name}” started: its people find it on their Training page.")
        self._wanted = name
        self._loads.request()

    def agree(self) -> None:
        item_id, name = self.spread.current_key(), self.chosen.currentText()
        if item_id is None or not name:
            self.status.setText("Select an item of a session first.")
            return
        action, labels, note = self.action.currentData(), self.labels.text().replace(",", " ").split(), \
            self.note.text()
        make_gold, lead, policy = self.make_gold.isChecked(), self.lead, self.taxonomy
        self.ops.write(lambda store: sessions.agree(store, lead, name, item_id, action, labels, note,
                                                    make_gold=make_gold, taxonomy=policy),
                       on_done=lambda _none: self.status.setText(
                           f"Agreed answer recorded for item {item_id}" + (" and made gold." if make_gold else ".")),
                       on_error=lambda exc: self.status.setText(str(exc)), owner=self)

    def close_session(self) -> None:
        name, lead = self.chosen.currentText(), self.lead
        if not name:
            return
        self.ops.write(lambda store: calibration.close_set(store, lead, name),
                       on_done=lambda answers: self.status.setText(f"“{name}” closed with {answers} answers."),
                       on_error=lambda exc: self.status.setText(str(exc)), owner=self)

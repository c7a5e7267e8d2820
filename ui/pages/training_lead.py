"""The lead's tabs of the Training page: build a course from gold items, and gate queues (and waive).

"Build a course" lists the active gold items (QA setup defines them):
Space ticks an item into the course, F2 edits its explanation (the gold
item's own is the default), then a name, a pass mark and an optional time
limit, and Ctrl+S saves it (``audit.training.courses.save_course``: the
answers come from gold). "Gates & waivers" requires a course to be served
a queue (or lifts it) and waives it for a person with a reason
(``audit.training.certification``). Each change is one write; the
domain's refusal is said under the form.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from audit import gold
from audit.training import certification, courses
from review.store import User
from review.taxonomy import Taxonomy
from ui.operations import Operations
from ui.pages.qa_common import ReadOnlyTable, decision_words, local_time, text_label
from ui.refresh import SingleFlight
from ui.widgets.lists import read_only_rows

GOLD_COLUMNS = ("In course", "Item", "Queue", "Kind", "Answer", "Explanation (F2 edits)")
EXPLANATION = GOLD_COLUMNS.index("Explanation (F2 edits)")
_ID = Qt.ItemDataRole.UserRole


class CourseBuilder(QWidget):
    def __init__(self, ops: Operations, lead: User, taxonomy: Taxonomy):
        super().__init__()
        self.setObjectName("trainingBuilder")
        self.ops, self.lead, self.taxonomy = ops, lead, taxonomy
        self._loads = SingleFlight(lambda reader: [g for g in gold.gold_items(reader, lead) if g.retired_at is None],
                                   ops, parent=self, reload_on={"gold"}, when=self.isVisible)
        self._loads.loaded.connect(self._loaded)
        self._loads.failed.connect(lambda exc: self.status.setText(f"Could not load the gold items: {exc}"))
        self.table = QTableWidget(0, len(GOLD_COLUMNS))
        self.table.setHorizontalHeaderLabels(list(GOLD_COLUMNS))
        header = read_only_rows(self.table, "trainingGold")
        header.setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.EditKeyPressed | QTableWidget.EditTrigger.DoubleClicked)
        self.table.setAccessibleName("Gold items to build the course from")
        self.table.itemChanged.connect(lambda _cell: self._count())
        self.name = QLineEdit(placeholderText="e.g. Spam & scams basics")
        self.name.setAccessibleName("Course name")
        self.pass_mark = QSpinBox(minimum=1, maximum=100, value=80, suffix=" %")
        self.pass_mark.setAccessibleName("Pass mark")
        self.time_limit = QSpinBox(minimum=0, maximum=600, value=0, suffix=" min")
        self.time_limit.setSpecialValueText("no time limit")
        self.time_limit.setAccessibleName("Time limit")
        self.ticked = text_label("hint")
        self.save_button = QPushButton("&Save course  (Ctrl+S)")
        self.save_button.clicked.connect(self.save)
        QShortcut(QKeySequence("Ctrl+S"), self, activated=self.save,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        form = QFormLayout()
        form.addRow("Course &name", self.name)
        form.addRow("&Pass mark", self.pass_mark)
        form.addRow("&Time limit", self.time_limit)
        self.status = text_label("updated")
        self.status.setTextFormat(Qt.TextFormat.PlainText)  # names and reasons are stored text, never markup
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 10, 0, 0)
        layout.addWidget(text_label("hint", "Tick gold items into the course with Space (in the order you want them "
                                    "shown); F2 edits an item's explanation. Answers come from gold. The course is "
                                    f"for taxonomy version {taxonomy.version}."))
        layout.addWidget(self.table, 1)
        layout.addLayout(form)
        bar = QHBoxLayout()
        bar.addWidget(self.ticked)
        bar.addStretch(1)
        bar.addWidget(self.save_button)
        layout.addLayout(bar)
        layout.addWidget(self.status)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._loads.request()
        self.table.setFocus()  # Space ticks, arrows move: the keys start here

    def _loaded(self, items: list[gold.GoldItem]) -> None:
        ticked = set(self.chosen())
        self.table.blockSignals(True)
        self.table.setRowCount(len(items))
        for r, g in enumerate(items):
            tick = QTableWidgetItem("")
            tick.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            tick.setCheckState(Qt.CheckState.Checked if g.item_id in ticked else Qt.CheckState.Unchecked)
            tick.setData(_ID, g.item_id)
            tick.setToolTip("Space ticks it into the course")
            self.table.setItem(r, 0, tick)
            for c, text in enumerate((str(g.item_id), g.queue, g.kind,
                                      decision_words(self.taxonomy, g.action, g.labels)), start=1):
                cell = QTableWidgetItem(text)
                cell.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                self.table.setItem(r, c, cell)
            self.table.setItem(r, EXPLANATION, QTableWidgetItem(g.explanation))
        self.table.blockSignals(False)
        self.table.resizeColumnsToContents()
        if items and self.table.currentRow() < 0:
            self.table.setCurrentCell(0, 0)
        self._count()
        if not items:
            self.status.setText("No gold items yet: define them on QA setup ▸ Gold.")

    def chosen(self) -> list[int]:
        """The ticked items' ids, in table order."""
        return [self.table.item(r, 0).data(_ID) for r in range(self.table.rowCount())
                if self.table.item(r, 0).checkState() == Qt.CheckState.Checked]

    def _count(self) -> None:
        self.ticked.setText(f"{len(self.chosen())} items ticked")

    def save(self) -> None:
        ids = self.chosen()
        explanations = {self.table.item(r, 0).data(_ID): self.table.item(r, EXPLANATION).text()
                        for r in range(self.table.rowCount())}
        name, mark = self.name.text(), self.pass_mark.value() / 100
        minutes = self.time_limit.value() or None
        lead, version = self.lead, self.taxonomy.version
        self.ops.write(lambda store: courses.save_course(store, lead, name, ids, taxonomy_version=version,
                                                         pass_mark=mark, time_limit_minutes=minutes,
                                                         explanations=explanations),
                       on_done=self._saved, on_error=lambda exc: self.status.setText(str(exc)), owner=self)

    def _saved(self, made: courses.Course) -> None:
        self.status.setText(f"Saved “{made.name}”: {made.size} items, pass mark {made.pass_mark * 100:.0f} %. "
                            "Gate a queue with it on Gates & waivers.")
        self.name.clear()


class GatesPanel(QWidget):
    def __init__(self, ops: Operations, lead: User):
        super().__init__()
        self.setObjectName("trainingGates")
        self.ops, self.lead = ops, lead
        self._loads = SingleFlight(lambda reader: certification.board(reader, lead), ops, parent=self,
                                   reload_on={"training", "queue", "user"}, when=self.isVisible)
        self._loads.loaded.connect(self._loaded)
        self._loads.failed.connect(lambda exc: self.status.setText(f"Could not load the gates: {exc}"))
        self.gates = ReadOnlyTable(("Queue", "Requires the course", "Taxonomy version", "Set by", "Set"),
                                   "trainingGateTable", stretch=1)
        self.gates.setAccessibleName("Queues that require a course")
        self.queue, self.course = QComboBox(), QComboBox()
        self.queue.setAccessibleName("Queue")
        self.course.setAccessibleName("Course")
        require = QPushButton("&Require course")
        require.clicked.connect(lambda: self._gate(self.course.currentText() or None))
        lift = QPushButton("&Lift requirement")
        lift.clicked.connect(lambda: self._gate(None))
        self.person, self.waive_queue = QComboBox(), QComboBox()
        for combo in (self.queue, self.course, self.person, self.waive_queue):
            combo.setMinimumContentsLength(18)  # a queue's or course's whole name, not its first letters
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.person.setAccessibleName("Person")
        self.waive_queue.setAccessibleName("Gated queue")
        self.reason = QLineEdit(placeholderText="why (kept with the waiver)")
        self.reason.setAccessibleName("Reason")
        waive = QPushButton("&Waive")
        waive.clicked.connect(self._waive)
        unwaive = QPushButton("Lift wai&ver")
        unwaive.setToolTip("Lift the waiver selected below, with the reason typed beside Waive")
        unwaive.clicked.connect(self._lift_waiver)
        self._waivers: list[certification.Waiver] = []
        self.waivers = ReadOnlyTable(("Person", "Queue", "Reason", "By", "When", "Now"), "trainingWaiverTable",
                                     stretch=2)
        self.waivers.setAccessibleName("Waivers")
        self.waivers.setMaximumHeight(160)
        self.status = text_label("updated")
        self.status.setTextFormat(Qt.TextFormat.PlainText)  # names and reasons are stored text, never markup
        gate_row, waive_row = QHBoxLayout(), QHBoxLayout()
        for w in (self.queue, self.course, require, lift):
            gate_row.addWidget(w)
        gate_row.addStretch(1)
        for w in (self.person, self.waive_queue, self.reason, waive, unwaive):
            waive_row.addWidget(w)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 10, 0, 0)
        layout.addWidget(text_label("hint", "A queue that requires a course serves only people who passed it (for "
                                    "the course's taxonomy version) or whom a lead waived; leads are not gated."))
        layout.addWidget(self.gates, 2)
        layout.addLayout(gate_row)
        layout.addWidget(text_label("hint", "Waive the course for one person and one queue, with a reason (it holds "
                                    "until the queue asks for another course or version, or a lead lifts it):"))
        layout.addLayout(waive_row)
        layout.addWidget(self.waivers, 1)
        layout.addWidget(self.status)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._loads.request()
        self.queue.setFocus()  # type a queue's first letter, Tab to the course, Tab and Space to require it

    def _loaded(self, board: certification.GateBoard) -> None:
        self.gates.set_rows([((g.queue, g.course, str(g.taxonomy_version), g.set_by, local_time(g.set_at)), n)
                             for n, g in enumerate(board.gates)])
        self._waivers = board.waivers
        self.waivers.set_rows([((w.person, w.queue, w.reason, w.waived_by, local_time(w.waived_at), w.state), n)
                               for n, w in enumerate(board.waivers)])
        for combo, values in ((self.queue, board.queues), (self.course, board.courses), (self.person, board.people),
                              (self.waive_queue, [g.queue for g in board.gates])):
            refill(combo, values)

    def _gate(self, course: str | None) -> None:
        queue, lead = self.queue.currentText(), self.lead
        self.ops.write(lambda store: certification.gate(store, lead, queue, course),
                       on_done=lambda changed: self._said(
                           (f"“{queue}” now requires “{course}”." if course else f"“{queue}” requires no course.")
                           if changed else "Nothing changed: it was so already."),
                       on_error=lambda exc: self.status.setText(str(exc)), owner=self)

    def _waive(self) -> None:
        person, queue, reason, lead = self.person.currentText(), self.waive_queue.currentText(), self.reason.text(), \
            self.lead
        self.ops.write(lambda store: certification.waive(store, lead, person, queue, reason),
                       on_done=lambda _none: (self.reason.clear(), self._said(f"{person} may work “{queue}” "
                                                                               "without its course.")),
                       on_error=lambda exc: self.status.setText(str(exc)), owner=self)

    def _lift_waiver(self) -> None:
        chosen = self.waivers.current_key()
        if chosen is None or not self._waivers[chosen].in_force:
            self.status.setText("Select a waiver in force in the list, type why it ends, then lift it.")
            return
        waiver, reason, lead = self._waivers[chosen], self.reason.text(), self.lead
        self.ops.write(lambda store: certification.lift_waiver(store, lead, waiver.person, waiver.queue, reason),
                       on_done=lambda _none: (self.reason.clear(), self._said(
                           f"{waiver.person}'s waiver for “{waiver.queue}” is lifted: the queue asks them for its "
                           "course again.")),
                       on_error=lambda exc: self.status.setText(str(exc)), owner=self)

    def _said(self, text: str) -> None:
        self.status.setText(text)


def refill(combo: QComboBox, values: list[Any]) -> None:
    """Replace a combo's entries, keeping the chosen one when it is still there."""
    keep = combo.currentText()
    combo.blockSignals(True)
    combo.clear()
    combo.addItems([str(v) for v in values])
    if keep in values:
        combo.setCurrentText(keep)
    combo.blockSignals(False)

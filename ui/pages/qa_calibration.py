"""The QA setup page's "Calibration" tab: create a set (items and people), follow progress and agreement, close it.

Selecting a set reads each person's progress and the set's agreement
(``audit.calibration.progress`` / ``agreement``) below the list. Keys:
Alt + the underlined letter, F5 reloads.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QListWidget, QListWidgetItem

from audit import calibration
from audit.calibration import CalibrationSet
from review import admin
from review.store import Store, User
from ui.operations import Operations
from ui.pages.qa_common import ReadOnlyTable, local_day
from ui.pages.qa_tab import SetupTab
from ui.pages.queue_admin_dialogs import ChangeDialog, in_words

COLUMNS = ("Set", "Status", "Items", "Answers", "People", "Created")


def _figure(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _details(store: Store, lead: User, name: str) -> tuple[list[calibration.Progress], calibration.Agreement]:
    return calibration.progress(store, lead, name), calibration.agreement(store, name)


class CalibrationTab(SetupTab):
    def __init__(self, lead: User, ops: Operations):
        super().__init__(lead, ops, name="qaCalibration", columns=COLUMNS, stretch=4,
                         load=lambda reader: calibration.set_list(reader, lead), reload_on={"calibration"},
                         hint="A calibration set gives the same items to several people and measures how far "
                              "they agree. A closed set takes no more answers.")
        self.table.setAccessibleName("Calibration sets")
        self.add_button("new", "&New set…", self.new_set)
        self.add_button("close", "C&lose set…", self.close_set)
        self.bar.addStretch(1)
        self.agreement = QLabel("")
        self.agreement.setObjectName("hint")
        self.agreement.setWordWrap(True)
        self.progress = ReadOnlyTable(("Person", "Answered", "Last answer"), "qaCalibrationProgress", stretch=0)
        self.progress.setMaximumHeight(170)
        self.progress.setAccessibleName("Progress")
        self.body.insertWidget(self.body.indexOf(self.table) + 1, self.agreement)
        self.body.insertWidget(self.body.indexOf(self.agreement) + 1, self.progress)
        self._shown: str | None = None

    def key(self, row: CalibrationSet) -> int:
        return row.id

    def cells(self, s: CalibrationSet) -> list[str]:
        return [s.name + (f" — {s.description}" if s.description else ""),
                f"Closed {local_day(s.closed_at)}" if s.closed_at else "Open", str(s.items), str(s.answers),
                ", ".join(s.people) or "anyone who reviews", local_day(s.created_at)]

    def selection_changed(self) -> None:
        chosen = self.selected()
        self.buttons["close"].setEnabled(chosen is not None and chosen.closed_at is None)
        if chosen is None:
            self.agreement.setText("")
            self.progress.set_rows([])
            return
        name, lead = chosen.name, self.lead
        self._shown = name
        self.ops.query(lambda s: _details(s, lead, name), on_done=lambda d: self._show(name, *d),
                       on_error=lambda exc: self.agreement.setText(in_words(exc)), owner=self)

    def _show(self, name: str, progress: list[calibration.Progress], figures: calibration.Agreement) -> None:
        if name != self._shown:
            return
        note = f" ({figures.fleiss_note})" if figures.fleiss_note else ""
        self.agreement.setText(
            f"“{name}”: {figures.answers} answers from {figures.raters} people; {figures.rated_items} of "
            f"{figures.items} items answered by two or more. Fleiss' kappa {_figure(figures.fleiss_kappa)}, "
            f"Krippendorff's alpha {_figure(figures.krippendorff_alpha)}{note}.")
        self.progress.set_rows([([p.person, f"{p.answered} of {p.items}" + (" — done" if p.done else ""),
                                  local_day(p.last_answer_at)], n) for n, p in enumerate(progress)])

    # -------------------------------------------------------------- changes
    def new_set(self) -> ChangeDialog:
        name, description, queue = QLineEdit(), QLineEdit(), QComboBox()
        items, people = QListWidget(), QListWidget()
        items.setAccessibleName("Items")
        people.setAccessibleName("People")
        for box in (items, people):
            box.setMaximumHeight(150)
        queue.addItem("Choose a queue…", None)
        lead = self.lead

        def fill(found: tuple[list[str], list[str]]) -> None:
            queues, names = found
            for entry in queues:
                queue.addItem(entry, entry)
            for person in names:
                people.addItem(_checkable(person, person))

        self.ops.query(lambda s: ([r.queue.name for r in admin.queue_rows(s) if r.queue.kind in admin.HOLDS_ITEMS],
                                  [u.name for u in s.users() if any(u.has(r) for r in calibration.ANSWER_ROLES)]),
                       on_done=fill, owner=self)

        def load_items() -> None:
            chosen = queue.currentData()
            items.clear()
            if chosen:
                self.ops.query(lambda s: calibration.candidates(s, lead, chosen), on_done=show_items, owner=dialog)

        def show_items(found: list[calibration.Candidate]) -> None:
            items.clear()
            for c in found:
                items.addItem(_checkable(f"{c.id} · {c.external_id} · {c.kind}, {c.state}"
                                         + (f" · {c.text[:60]}" if c.text else ""), c.id))
            dialog.update_summary()

        def ticked(box: QListWidget) -> list[Any]:
            return [box.item(i).data(Qt.ItemDataRole.UserRole) for i in range(box.count())
                    if box.item(i).checkState() == Qt.CheckState.Checked]

        def work() -> Any:
            chosen_items, chosen_people = ticked(items), ticked(people)
            title, about = name.text(), description.text()
            return lambda s: calibration.create_set(s, lead, title, chosen_items, about, people=chosen_people)

        def describe() -> str:
            chosen_people = ticked(people)
            who = ", ".join(chosen_people) if chosen_people else "anyone who reviews"
            text = f"{len(ticked(items))} item(s), answered by {who}."
            if len(chosen_people) == 1:
                text += " Agreement needs two people or more."
            return text

        dialog = ChangeDialog(self, "New calibration set", "Create", work=work, describe=describe,
                              done=lambda _id: f"Created the calibration set “{name.text().strip()}”.")
        self.form(dialog, ("Name", name), ("Description", description), ("Items from", queue), ("Items", items),
                  ("People", people))
        queue.currentIndexChanged.connect(load_items)
        return self.open(dialog, name)

    def close_set(self) -> ChangeDialog | None:
        chosen = self.need_selected("an open set")
        if chosen is None:
            return None
        name = chosen.name
        dialog = ChangeDialog(
            self, "Close calibration set", "Close set",
            work=lambda: (lambda s: calibration.close_set(s, self.lead, name)),
            describe=lambda: f"“{name}” will take no more answers. Its {chosen.answers} answers and its agreement "
                             "stay.",
            done=lambda n: f"Closed “{name}” with {n} answers.")
        return self.open(dialog, dialog.ok)


def _checkable(text: str, key: Any) -> QListWidgetItem:
    entry = QListWidgetItem(text)
    entry.setData(Qt.ItemDataRole.UserRole, key)
    entry.setFlags(entry.flags() | Qt.ItemFlag.ItemIsUserCheckable)
    entry.setCheckState(Qt.CheckState.Unchecked)
    return entry

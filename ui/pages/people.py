"""The lead's "People" page: who is here, their roles and queues, and today's severe time against the budget.

One row per person (deactivated people too, greyed: their history stays),
and one button per change — add, roles, queues, deactivate or reactivate,
passphrase, lift the severe budget — each a small dialog
(:mod:`ui.pages.people_dialogs`) that says what will happen, then makes one
``review.people`` (or ``lift_budget``) call as a write through the
operations runner. Refusals (the last lead, yourself, a name taken) are the
domain's, shown in the dialog, which stays open. The table reloads when a
write changed people, passphrases, queues or exposure (``ops.changed``),
whichever page or window made it.

Keys: Alt + the underlined letter of each button, F5 reloads, Enter on a
row edits its roles.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from review import auth, people
from review.people import Person
from review.store import Store, User
from review.store.schema import ROLES
from review.wellbeing import lead_view
from review.wellbeing.durations import format_duration
from review.wellbeing.policy import load_policy
from ui import theme
from ui.operations import Operations
from ui.pages import people_dialogs
from ui.pages.qa_common import local_time
from ui.pages.queue_admin_dialogs import in_words
from ui.refresh import SingleFlight
from ui.widgets.lists import page_title, read_only_rows
from ui.widgets.page_parts import add_keys, button_row, foot, status_line

#: Change kinds (``ops.changed``) that alter what the table shows.
PEOPLE_CHANGES = frozenset({"user", "auth", "queue", "wellbeing"})

COLUMNS = ("Person", "Roles", "Queues", "Status", "Passphrase", "Severe today", "Lifts")
PERSON, ROLE_LIST, QUEUES, STATUS, PASSPHRASE, SEVERE, LIFTS = range(len(COLUMNS))
TIPS = {
    QUEUES: "The queues they are served from; “Every queue”: every queue their roles work",
    SEVERE: "Time on severe items today against the daily budget, including today's lifts",
    LIFTS: "Times a lead lifted their severe budget today (each with a recorded reason)",
}


def severe_text(person: Person) -> str:
    """"42 min / 4 h": today's severe time against the budget, lifts included."""
    return f"{format_duration(person.severe_ms)} / {format_duration(person.severe_budget_ms)}"


def queues_text(person: Person) -> str:
    """The domain's words (:attr:`Person.works`), a capital first when they are not queue names."""
    return person.works if person.queues else person.works[:1].upper() + person.works[1:]


def cell_text(person: Person, column: int) -> str:
    user = person.user
    return {
        PERSON: f"{user.display_name} ({user.name})" if user.display_name != user.name else user.name,
        ROLE_LIST: ", ".join(user.roles),
        QUEUES: queues_text(person),
        STATUS: "Active" if user.active else "Deactivated",
        PASSPHRASE: "Set" if person.has_passphrase else "None",
        SEVERE: severe_text(person),
        LIFTS: str(person.lifts),
    }[column]


class PeopleModel(QAbstractTableModel):
    """Read-only table of :class:`~review.people.Person` rows."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._rows: list[Person] = []

    def set_rows(self, rows: Sequence[Person]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[Person]:
        return list(self._rows)

    def row_of(self, name: str) -> int:
        return next((i for i, p in enumerate(self._rows) if p.name == name), -1)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section] if 0 <= section < len(COLUMNS) else None
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        person = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return cell_text(person, index.column())
        if role == Qt.ItemDataRole.ToolTipRole:
            return TIPS.get(index.column(), cell_text(person, index.column()))
        if role == Qt.ItemDataRole.TextAlignmentRole:
            side = Qt.AlignmentFlag.AlignRight if index.column() == LIFTS else Qt.AlignmentFlag.AlignLeft
            return side | Qt.AlignmentFlag.AlignVCenter
        if role == Qt.ItemDataRole.ForegroundRole and not person.user.active:
            return theme.color("muted")
        return None


class PeoplePage(QWidget):
    """The "People" page for *lead*; every read and change goes through *ops*."""

    refreshed = Signal()
    changed = Signal(str)  # after each change, in words

    def __init__(self, lead: User, ops: Operations, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("peoplePage")
        self.lead, self.ops = lead, ops
        lead_name = lead.name
        self._loads = SingleFlight(lambda reader: people.people(reader, lead_name), ops, parent=self,
                                   reload_on=PEOPLE_CHANGES, when=self.isVisible)
        self._loads.loaded.connect(self._loaded)
        self._loads.failed.connect(lambda exc: self.status.setText(f"Could not load the people: {in_words(exc)}"))
        self.model = PeopleModel(self)

        title = page_title("People")
        explain = QLabel("Who can sign in, what they do and which queues they work. Deactivated people keep their "
                         "history; every change is recorded in the event log.")
        explain.setObjectName("hint")
        explain.setWordWrap(True)
        self.table = QTableView()
        self.table.setModel(self.model)
        header = read_only_rows(self.table, "peopleTable")
        header.setSectionResizeMode(QUEUES, QHeaderView.ResizeMode.Stretch)  # the one long column gives way
        self.table.setAccessibleName("People")

        bar, self.buttons = button_row((
            ("add", "&Add person…", self.add_person), ("roles", "&Roles…", self.edit_roles),
            ("queues", "&Queues…", self.edit_queues), ("active", "&Deactivate…", self.toggle_active),
            ("passphrase", "Set &passphrase…", self.set_passphrase), ("lift", "&Lift budget…", self.lift_budget),
        ), name_prefix="people")

        # Today's lifts of the selected person, with their reasons: readable from the keyboard, no tooltip.
        self.details = QLabel("")
        self.details.setObjectName("personDetails")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._details_asked = 0  # only the answer about the latest selection is shown
        self.status = status_line()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 22, 28, 14)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(explain)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.details)
        layout.addLayout(bar)
        layout.addLayout(foot(self.status, "Alt + underlined letter  ·  Enter edits roles  ·  F5 reloads"))
        self.setFocusProxy(self.table)
        add_keys(self, ((Qt.Key.Key_F5, self.refresh, self), (Qt.Key.Key_Return, self.edit_roles, self.table),
                        (Qt.Key.Key_Enter, self.edit_roles, self.table)))
        self.table.selectionModel().selectionChanged.connect(self._enable)
        self.table.doubleClicked.connect(lambda _index: self.edit_roles())
        self._enable()

    # ------------------------------------------------------------------ API
    def refresh(self) -> bool:
        """Reload the table in the background; one more follows if one is running. True if started now."""
        return self._loads.request()

    def selected(self) -> Person | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.rows()[rows[0].row()] if rows else None

    def select_person(self, name: str) -> bool:
        row = self.model.row_of(name)
        if row >= 0:
            self.table.selectRow(row)
        return row >= 0

    def changed_to(self, words: str) -> None:
        """A change was made: say so (the table reloads on the change notification that follows)."""
        self.status.setText(words)
        self.changed.emit(words)

    def close_page(self) -> None:
        """Load nothing more and drop results still on their way (sign-out, quit)."""
        self._loads.close()

    # -------------------------------------------------------------- changes
    def add_person(self) -> None:
        """Open the add dialog once the queues a person could be limited to are read."""
        self._then(lambda reader: people.queue_choices(reader, ROLES),
                   lambda choices: people_dialogs.add_person(self, choices))

    def edit_roles(self) -> people_dialogs.PeopleDialog | None:
        person = self._need_selected()
        return people_dialogs.edit_roles(self, person) if person else None

    def edit_queues(self) -> bool:
        """Open the queues dialog once the queues this person's roles work are read; False when nobody is selected."""
        person = self._need_selected()
        if person is None:
            return False
        roles = person.user.roles
        self._then(lambda reader: people.queue_choices(reader, roles),
                   lambda choices: people_dialogs.edit_queues(self, person, choices))
        return True

    def toggle_active(self) -> people_dialogs.PeopleDialog | None:
        person = self._need_selected()
        return people_dialogs.toggle_active(self, person) if person else None

    def set_passphrase(self) -> bool:
        """Open the passphrase dialog once it is known whether the current one must be given (your own)."""
        person = self._need_selected()
        if person is None:
            return False
        lead, name = self.lead.name, person.name

        def open_or_say(answer: tuple[str | None, bool]) -> None:
            refusal, needs = answer
            if refusal is not None:  # another lead's: said here, rather than after typing a new one twice
                self.status.setText(refusal)
                return
            people_dialogs.set_passphrase(self, person, needs)

        self._then(lambda reader: (auth.passphrase_refusal(reader, lead, name), auth.needs_current(reader, lead, name)),
                   open_or_say)
        return True

    def lift_budget(self) -> bool:
        """Open the lift dialog once the policy's default lift is read; False when nobody is selected."""
        person = self._need_selected()
        if person is None:
            return False
        self._then(lambda reader: load_policy(reader).lift_default_min,
                   lambda minutes: people_dialogs.lift_budget(self, person, minutes))
        return True

    # ------------------------------------------------------------ internals
    def _then(self, read: Callable[[Store], Any], open_dialog: Callable[[Any], object]) -> None:
        """Read what a dialog needs off the GUI thread, then open it (a failed read is said in the status line)."""
        self.ops.query(read, on_done=open_dialog, on_error=lambda exc: self.status.setText(in_words(exc)), owner=self)

    def _loaded(self, rows: list[Person]) -> None:
        keep = self.selected()
        if self.status.text() == "Loading…":
            self.status.setText("")
        self.model.set_rows(rows)
        if not (keep and self.select_person(keep.name)) and rows:
            self.table.selectRow(0)
        self._enable()
        self.refreshed.emit()

    def _need_selected(self) -> Person | None:
        person = self.selected()
        if person is None:
            self.status.setText("Select a person first.")
        return person

    def _enable(self, *_args: Any) -> None:
        person = self.selected()
        for key in ("roles", "queues", "active", "passphrase", "lift"):
            self.buttons[key].setEnabled(person is not None)
        active = person is None or person.user.active
        self.buttons["active"].setText("&Deactivate…" if active else "Reac&tivate…")
        self._show_details(person)

    def _show_details(self, person: Person | None) -> None:
        """Say the selected person's lifts today with their reasons (read when they have any)."""
        self._details_asked += 1
        asked = self._details_asked
        if person is None or not person.lifts:
            self.details.setText(f"{person.user.display_name}: no budget lift today." if person else "")
            return
        lead, name = self.lead.name, person.name

        def said(team: list[lead_view.PersonExposure]) -> None:
            if asked != self._details_asked:
                return
            lifts = next((p.overrides for p in team if p.name == name), ())
            self.details.setText(f"{person.user.display_name}'s budget lifted today: " + "; ".join(
                f"+{format_duration(lift.extra_ms)} by {lift.lead} at {local_time(lift.at)} — {lift.reason}"
                for lift in lifts))

        self.ops.query(lambda reader: lead_view.team_exposure(reader, lead), on_done=said,
                       on_error=lambda exc: self.details.setText(in_words(exc)), owner=self)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh()

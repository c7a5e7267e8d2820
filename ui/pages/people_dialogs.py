"""The People page's dialogs: each change to a person said in words, then made as one write.

They are the Queues admin page's :class:`~ui.pages.queue_admin_dialogs.ChangeDialog`
(inputs, a summary redrawn as they change, the button that makes one
domain call through the operations runner, a refusal shown in the dialog,
which stays open) filled for people; a passphrase uses the app's
:class:`~ui.widgets.passphrase.SetPassphraseDialog`, which hashes off the
GUI thread. Every function opens its dialog and returns it (tests drive it).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QWidget,
)

from review import auth, people
from review.people import Person
from review.store import Store
from review.store.schema import ROLES
from review.wellbeing.budget import lift_budget as lift
from review.wellbeing.durations import MINUTE_MS, format_duration
from review.wellbeing.policy import LIMITS
from ui.pages.queue_admin_dialogs import ChangeDialog, Work
from ui.widgets.modal import open_returning
from ui.widgets.passphrase import SetPassphraseDialog

if TYPE_CHECKING:
    from ui.pages.people import PeoplePage

PeopleDialog = ChangeDialog

__all__ = ["PeopleDialog", "add_person", "edit_queues", "edit_roles", "lift_budget", "set_passphrase",
           "toggle_active"]


def _secret(name: str) -> QLineEdit:
    field = QLineEdit()
    field.setObjectName(name)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, False)  # no prediction of secrets
    return field


class RoleBoxes(QWidget):
    """One check box per role, in a row; :meth:`chosen` gives the ticked ones in Veil's order."""

    def __init__(self, roles: Sequence[str] = ()):
        super().__init__()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.boxes = {role: QCheckBox(role) for role in ROLES}
        for role, box in self.boxes.items():
            box.setChecked(role in roles)
            row.addWidget(box)
        row.addStretch(1)

    def chosen(self) -> list[str]:
        return [role for role, box in self.boxes.items() if box.isChecked()]


class QueueList(QListWidget):
    """Checkable queue names; none ticked means no limit (every queue the roles work)."""

    def __init__(self, choices: Sequence[str], ticked: Sequence[str] = ()):
        super().__init__()
        self.setAccessibleName("Queues they may work")
        for name in choices:
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if name in ticked else Qt.CheckState.Unchecked)
            self.addItem(item)
        rows = self.sizeHintForRow(0) * max(len(choices), 1) if choices else 28
        self.setMaximumHeight(min(180, rows + 2 * self.frameWidth() + 4))  # no empty space under a short list

    def chosen(self) -> list[str]:
        return [self.item(i).text() for i in range(self.count())
                if self.item(i).checkState() == Qt.CheckState.Checked]


def _queues_words(queues: Sequence[str]) -> str:
    return ", ".join(f"“{q}”" for q in queues) if queues else "every queue their roles work"


def _rows(dialog: ChangeDialog, *rows: tuple[str, QWidget]) -> None:
    for text, widget in rows:
        dialog.form.addRow(text, widget)
        dialog.fields[text] = widget


def _open(dialog: ChangeDialog, focus: QWidget) -> ChangeDialog:
    dialog.update_summary()
    open_returning(dialog)
    focus.setFocus()
    return dialog


# ------------------------------------------------------------------ dialogs
def add_person(page: PeoplePage, choices: Sequence[str]) -> ChangeDialog:
    """Name, display name, roles, queues (*choices*) and an optional passphrase (typed twice)."""
    lead = page.lead.name
    name, display, roles = QLineEdit(), QLineEdit(), RoleBoxes(["moderator"])
    name.setPlaceholderText("what they pick at sign-in, e.g. eve")
    display.setPlaceholderText("e.g. Eve Ng (default: the name)")
    queues = QueueList(choices)
    phrase, repeat = _secret("newPassphrase"), _secret("repeatPassphrase")
    phrase.setPlaceholderText(f"optional; at least {auth.MIN_LENGTH} characters")

    def work() -> Work | None:
        new = phrase.text()
        if new and new != repeat.text():
            dialog.say("The two passphrases differ.")
            return None
        args = dict(name=name.text(), roles=roles.chosen(), display_name=display.text(), queues=queues.chosen(),
                    passphrase=new or None)
        return lambda store: people.add_person(store, lead, args.pop("name"), args.pop("roles"), **args)

    def describe() -> str:
        who = name.text().strip() or "…"
        secret = ("Signing in will ask for the passphrase." if phrase.text()
                  else "No passphrase: anyone at this computer can sign in as them until one is set.")
        return (f"Adds “{who}” ({', '.join(roles.chosen()) or 'no role yet'}), working "
                f"{_queues_words(queues.chosen())}. {secret}")

    dialog = ChangeDialog(page, "Add person", "Add", work=work, describe=describe,
                          done=lambda user: f"Added {user.display_name} ({user.name}).")
    rows: list[tuple[str, QWidget]] = [("Name", name), ("Display name", display), ("Roles", roles)]
    if choices:
        rows.append(("Only these queues", queues))
    rows += [("Passphrase", phrase), ("Repeat it", repeat)]
    _rows(dialog, *rows)
    for edit in (name, display, phrase):
        edit.textChanged.connect(dialog.update_summary)
    for box in roles.boxes.values():
        box.toggled.connect(dialog.update_summary)
    queues.itemChanged.connect(dialog.update_summary)
    return _open(dialog, name)


def edit_roles(page: PeoplePage, person: Person) -> ChangeDialog:
    lead, name, old = page.lead.name, person.name, list(person.user.roles)
    roles = RoleBoxes(old)
    dialog = ChangeDialog(
        page, f"Roles of {person.user.display_name}", "Set roles",
        work=lambda: partial(people.set_roles, lead=lead, name=name, roles=roles.chosen()),
        describe=lambda: (f"{name}: {', '.join(old)} → {', '.join(roles.chosen()) or 'no role'}. "
                          "Moderators and leads review; auditors audit; leads run queues, people and QA."),
        done=lambda user: f"{user.name} is now {', '.join(user.roles)}.",
    )
    _rows(dialog, ("Roles", roles))
    for box in roles.boxes.values():
        box.toggled.connect(dialog.update_summary)
    return _open(dialog, roles.boxes[old[0]] if old else roles)


def edit_queues(page: PeoplePage, person: Person, choices: Sequence[str]) -> ChangeDialog:
    """Tick the queues *person* may work; none ticked is every queue their roles work."""
    lead, name, old = page.lead.name, person.name, list(person.queues)
    queues = QueueList(choices, old)
    dialog = ChangeDialog(
        page, f"Queues of {person.user.display_name}", "Set queues",
        work=lambda: partial(people.set_queues, lead=lead, name=name, queues=queues.chosen()),
        describe=lambda: (f"{name} will be served from {_queues_words(queues.chosen())} "
                          f"(now: {_queues_words(old)}). Tick none for every queue their roles work."),
        done=lambda user: f"{user.name} now works {_queues_words(queues.chosen())}.",
    )
    _rows(dialog, ("Only these queues", queues))
    queues.itemChanged.connect(dialog.update_summary)
    if not choices:
        dialog.say(f"{name}'s roles ({', '.join(person.user.roles)}) work no queue.")
    return _open(dialog, queues)


def toggle_active(page: PeoplePage, person: Person) -> ChangeDialog:
    """Deactivate (confirm: what it does) or reactivate the person."""
    lead, name, shown = page.lead.name, person.name, person.user.display_name
    if person.user.active:
        text = (f"Deactivate {shown} ({name})? They can no longer sign in (app or command line) and are served "
                "nothing; any item they are working on goes back to its queue. Their decisions, audits and "
                "exposure stay in the history. You can reactivate them later.")
        dialog = ChangeDialog(page, "Deactivate person", "Deactivate",
                              work=lambda: (lambda store: people.deactivate(store, lead, name, own_session=True)),
                              describe=lambda: text,
                              done=lambda released: f"Deactivated {name}."
                              + (f" {released} item(s) they held went back to their queues." if released else ""))
    else:
        text = (f"Reactivate {shown} ({name})? They can sign in again, with their roles "
                f"({', '.join(person.user.roles)}) and queues ({_queues_words(person.queues)}).")
        dialog = ChangeDialog(page, "Reactivate person", "Reactivate",
                              work=lambda: (lambda store: people.reactivate(store, lead, name)),
                              describe=lambda: text, done=lambda _user: f"Reactivated {name}.")
    return _open(dialog, dialog.ok)


def set_passphrase(page: PeoplePage, person: Person, needs_current: bool) -> SetPassphraseDialog:
    """Set or reset *person*'s passphrase (your own asks for the current one)."""
    lead, name = page.lead.name, person.name

    def save(store: Store, current: str | None, new: str) -> None:
        people.set_passphrase(store, lead, name, new, current=current)

    dialog = SetPassphraseDialog(person.user.display_name, save, page.ops, needs_current=needs_current, parent=page)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    if person.has_passphrase and not needs_current:
        dialog.intro.setText(f"A new passphrase for {person.user.display_name} replaces the one they have "
                             "(tell them in person). Signing in will ask for it.")
    dialog.saved.connect(lambda: page.changed_to(f"Passphrase set for {name}."))
    open_returning(dialog)
    return dialog


def lift_budget(page: PeoplePage, person: Person, default_minutes: float) -> ChangeDialog:
    """Lift *person*'s severe budget for today by some minutes (the policy's *default_minutes* first),
    with a reason (required, recorded)."""
    lead, name = page.lead.name, person.name
    low, high, _ = LIMITS["lift_default_min"]
    minutes = QSpinBox()
    minutes.setRange(int(low), int(high))
    minutes.setValue(round(default_minutes))
    minutes.setSuffix(" min")
    minutes.setMaximumWidth(120)
    reason = QLineEdit()
    reason.setPlaceholderText("why (recorded, shown on the dashboard)")

    def work() -> Work | None:
        if not reason.text().strip():
            dialog.say("A lift needs a reason: it is recorded with your name.")
            return None
        why, extra = reason.text(), minutes.value()
        return lambda store: lift(store, lead, name, why, extra)

    dialog = ChangeDialog(
        page, f"Lift {person.user.display_name}'s severe budget", "Lift budget",
        work=work,
        describe=lambda: (f"Today {name} has spent {format_duration(person.severe_ms)} of "
                          f"{format_duration(person.severe_budget_ms)} on severe items. The budget becomes "
                          f"{format_duration(person.severe_budget_ms + minutes.value() * MINUTE_MS)} for today only."),
        done=lambda budget: f"Lifted {name}'s severe budget: {format_duration(budget.used_ms)} used of "
                            f"{format_duration(budget.budget_ms)} today.",
    )
    _rows(dialog, ("Extra time", minutes), ("Reason", reason))
    minutes.valueChanged.connect(dialog.update_summary)
    note = QLabel("Lifts count on the dashboard's “Budget lifts” column, each with its reason.")
    note.setObjectName("hint")
    note.setWordWrap(True)
    dialog.form.addRow("", note)
    return _open(dialog, reason)

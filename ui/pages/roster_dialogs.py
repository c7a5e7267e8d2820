"""The Roster page's dialogs: a shift added, changed or deleted, a CSV imported after a preview, the rotation rules.

Each is the Queues admin page's :class:`~ui.pages.queue_admin_dialogs.ChangeDialog`
(inputs, what will happen in words, one write through the operations
runner, a refusal shown in the dialog, which stays open) filled for the
roster. The import first runs the file as a dry run (a write that is rolled
back) and lists every ``FILE:LINE`` problem; Import is enabled only for a
file without any. Every function opens its dialog and returns it (tests
drive it).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QComboBox, QDateEdit, QLabel, QLineEdit, QListWidget, QSpinBox, QWidget

from review.planning import roster, rotation
from review.planning.roster import ImportReport, Shift
from ui.pages.people_dialogs import QueueList
from ui.pages.queue_admin_dialogs import ChangeDialog, Work
from ui.widgets.modal import open_returning

if TYPE_CHECKING:
    from ui.pages.roster import RosterPage


def _rows(dialog: ChangeDialog, *rows: tuple[str, QWidget]) -> None:
    for text, widget in rows:
        dialog.form.addRow(text, widget)
        dialog.fields[text] = widget


def _open(dialog: ChangeDialog, focus: QWidget) -> ChangeDialog:
    dialog.update_summary()
    open_returning(dialog)
    focus.setFocus()
    return dialog


def _time_field(text: str, name: str) -> QLineEdit:
    field = QLineEdit(text)
    field.setObjectName(name)
    field.setInputMask("99:99")
    field.setMaximumWidth(80)
    return field


def shift_dialog(page: RosterPage, people: Sequence[str], queues: Sequence[str], day: str,
                 shift: Shift | None = None) -> ChangeDialog:
    """Add a shift (*shift* None) or change one: person, date, start, end and the queues worked in it."""
    lead = page.lead.name
    person = QComboBox()
    person.setObjectName("shiftPerson")
    person.addItems(list(people))
    if shift is not None:
        person.setCurrentText(shift.person)
        person.setEnabled(False)  # a shift keeps its person: delete it and add another's
    date = QDateEdit(QDate.fromString(shift.day if shift else day, "yyyy-MM-dd"))
    date.setObjectName("shiftDate")
    date.setDisplayFormat("yyyy-MM-dd")
    date.setCalendarPopup(True)
    starts = _time_field(shift.starts if shift else "09:00", "shiftStart")
    ends = _time_field(shift.ends if shift else "17:00", "shiftEnd")
    worked = QueueList(queues, shift.queues if shift else ())
    worked.setObjectName("shiftQueues")

    def values() -> tuple[str, str, str, str, list[str]]:
        return (person.currentText(), date.date().toString("yyyy-MM-dd"), starts.text(), ends.text(),
                worked.chosen())

    def work() -> Work | None:
        who, on, start, end, chosen = values()
        if not chosen:
            dialog.say("Tick at least one queue the person works in this shift.")
            return None
        if shift is None:
            return lambda store: roster.add_shift(store, lead, who, on, start, end, chosen)
        shift_id = shift.id
        return lambda store: roster.change_shift(store, lead, shift_id, on, start, end, chosen)

    def describe() -> str:
        who, on, start, end, chosen = values()
        return f"{who} works {', '.join(chosen) or '(no queue yet)'} on {on} from {start} to {end} UTC."

    verb = "Add shift" if shift is None else "Save shift"
    dialog = ChangeDialog(page, verb, verb, work=work, describe=describe,
                          done=lambda s: f"{s.person}: {s.day} {s.starts}–{s.ends} on {', '.join(s.queues)}")
    _rows(dialog, ("Person", person), ("Date", date), ("Starts (UTC)", starts), ("Ends (UTC)", ends),
          ("Queues", worked))
    for signal in (person.currentTextChanged, date.dateChanged, starts.textChanged, ends.textChanged,
                   worked.itemChanged):
        signal.connect(dialog.update_summary)
    return _open(dialog, person if shift is None else starts)


def delete_dialog(page: RosterPage, shift: Shift) -> ChangeDialog:
    lead, shift_id = page.lead.name, shift.id
    dialog = ChangeDialog(page, "Delete shift", "Delete shift",
                          work=lambda: (lambda store: roster.delete_shift(store, lead, shift_id)),
                          describe=lambda: f"Delete {shift.person}'s shift on {shift.day}, {shift.starts}–"
                                           f"{shift.ends} ({', '.join(shift.queues)}). The event log keeps it.",
                          done=lambda s: f"Deleted {s.person}'s shift on {s.day} {s.starts}–{s.ends}")
    return _open(dialog, dialog.ok)


def import_dialog(page: RosterPage, path: Path) -> ChangeDialog:
    """Check *path* (a dry run), list its problems, and import it only when it has none."""
    lead = page.lead.name
    problems = QListWidget()
    problems.setObjectName("importProblems")
    problems.setAccessibleName("Problems in the file")
    problems.setMinimumHeight(140)
    state: dict[str, Any] = {"report": None}

    def describe() -> str:
        report: ImportReport | None = state["report"]
        if report is None:
            return f"Checking {path.name}…"
        if report.problems:
            more = f" (and {report.more_problems} more)" if report.more_problems else ""
            return f"{path.name} has {len(report.problems)} problems{more}: fix them and import again. Nothing " \
                   "is imported while any row has a problem."
        return (f"{path.name}: {report.rows} shifts for {report.person_days} person-days; {report.replaced} "
                "shifts now on those days are replaced.")

    def work() -> Work | None:
        report = state["report"]
        if report is None or report.problems:
            dialog.say("This file cannot be imported as it is.")
            return None
        return lambda store: roster.import_csv(store, lead, path)

    def done(report: ImportReport) -> str:
        if not report.applied:  # the file changed between the preview and the import
            return f"Nothing imported: {report.problems[0] if report.problems else 'the file changed'}"
        return f"Imported {report.rows} shifts from {path.name}"

    def checked(report: ImportReport) -> None:
        state["report"] = report
        problems.clear()
        problems.addItems(report.problems or ["No problems."])
        dialog.ok.setEnabled(not report.problems)
        dialog.update_summary()

    dialog = ChangeDialog(page, "Import roster", "Import", work=work, describe=describe,
                          done=done)
    _rows(dialog, ("File", QLabel(str(path))), ("Problems", problems))
    dialog.ok.setEnabled(False)
    page.ops.write(lambda store: roster.import_csv(store, lead, path, dry_run=True), on_done=checked,
                   on_error=lambda exc: dialog.say(str(exc)), owner=dialog)
    return _open(dialog, problems)


def rules_dialog(page: RosterPage, found: rotation.Rules, queues: Sequence[tuple[int, str]]) -> ChangeDialog:
    """The rotation rules: which queues are severe, the most minutes a day and days in a row (0: no limit)."""
    lead = page.lead.name
    severe = QueueList([name for _, name in queues], [n for q, n in queues if q in found.severe_queue_ids])
    severe.setObjectName("severeQueues")
    minutes, days = QSpinBox(), QSpinBox()
    for box, value, most, unit in ((minutes, found.max_minutes, 24 * 60, " min a day"),
                                   (days, found.max_days, 366, " days in a row")):
        box.setRange(0, most)
        box.setSpecialValueText("no limit")
        box.setSuffix(unit)
        box.setValue(value or 0)
    minutes.setObjectName("maxMinutes")
    days.setObjectName("maxDays")

    def work() -> Work:
        chosen, most_minutes, most_days = severe.chosen(), minutes.value() or None, days.value() or None
        return lambda store: rotation.set_rules(store, lead, severe_queues=chosen, max_minutes=most_minutes,
                                                max_days=most_days, expected=found)

    def describe() -> str:
        chosen = severe.chosen()
        if not chosen:
            return "No queue is severe: the rules change nothing."
        return (f"On {', '.join(chosen)}: at most {minutes.text()} and {days.text()}; then serving offers "
                "milder queues only, and the roster warns about shifts that break a rule.")

    dialog = ChangeDialog(page, "Rotation rules", "Save rules", work=work, describe=describe,
                          done=lambda _r: "Rotation rules saved")
    _rows(dialog, ("Severe queues", severe), ("Severe time", minutes), ("Severe days", days))
    severe.itemChanged.connect(dialog.update_summary)
    minutes.valueChanged.connect(dialog.update_summary)
    days.valueChanged.connect(dialog.update_summary)
    hint = QLabel("A severe queue is one you flag here. Time is the handle time of decisions on severe queues "
                  "today (UTC).")
    hint.setObjectName("hint")
    hint.setWordWrap(True)
    dialog.form.addRow(hint)
    hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return _open(dialog, severe)

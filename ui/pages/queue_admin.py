"""The lead's "Queues admin" page: create, rename, pause, prioritise, merge, move.

Every change goes through a small dialog (:mod:`ui.pages.queue_admin_dialogs`)
that says what will happen before anything does; for a merge or a move the
numbers come from ``review.admin.preview_merge`` / ``preview_move``
(waiting, being worked on, decided, collisions), and the button carries the
count it will move. The change is one ``review.admin`` call written through
the operations runner and passes the confirmed total on, so the domain
refuses if the numbers changed in between. "Leads only" is the domain's
rule (``NotAllowed``); refusals are shown in the domain's words, in the
dialog, which stays open. The table reloads when a write changed queues or
items (``ops.changed``), whichever page or window made it.

Keys: Alt + the underlined letter of each button, F2 renames, F5 reloads.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from review import admin
from review.admin import AdminQueue, Preview, Selection
from review.store import User
from review.store.schema import QUEUE_KINDS
from review.taxonomy import SEVERITIES
from ui.operations import Operations
from ui.pages.queue_admin_dialogs import ChangeDialog, PreviewDialog, RoutesEdit, SlaEdit, Work, in_words
from ui.pages.queue_admin_table import QueueAdminModel
from ui.pages.queues import QUEUE_CHANGES, human_age
from ui.refresh import SingleFlight
from ui.widgets.lists import page_title, read_only_rows
from ui.widgets.modal import open_returning
from ui.widgets.page_parts import add_keys, button_row, foot, status_line

ANY_QUEUE = "Every queue"
NO_ESCALATION = "No escalation queue"


class QueueAdminPage(QWidget):
    """The "Queues admin" page for *lead*.

    Every read and change goes through *ops* (the window's operations
    runner); the dialogs use it too. *labels* offers completions for the
    label filter.
    """

    refreshed = Signal()
    changed = Signal(str)  # after each change, in words

    def __init__(self, lead: User, ops: Operations, *, labels: Sequence[str] = (), parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("queueAdmin")
        self.lead, self.ops, self._labels = lead, ops, list(labels)
        self._loads = SingleFlight(admin.queue_rows, ops, parent=self, reload_on=QUEUE_CHANGES, when=self.isVisible)
        self._loads.loaded.connect(self._loaded)
        self._loads.failed.connect(self._load_failed)
        self.model = QueueAdminModel(self)

        title = page_title("Queues admin")
        self.explain = QLabel("Each change shows what it will do before it happens and is recorded in the event log.")
        self.explain.setObjectName("hint")
        self.table = QTableView()
        self.table.setModel(self.model)
        header = read_only_rows(self.table, "queueAdminTable")
        header.setStretchLastSection(True)
        self.table.setAccessibleName("Queues")

        bar, self.buttons = button_row((
            ("new", "&New…", self.new_queue), ("rename", "&Rename…", self.rename),
            ("pause", "&Pause…", self.toggle_pause), ("priority", "Pr&iority…", self.priority),
            ("sla", "S&LA…", self.sla), ("escalation", "&Escalation…", self.escalation),
            ("merge", "&Merge…", self.merge), ("move", "Mo&ve items…", self.move_items),
        ))
        self.status = status_line()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 22, 28, 14)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(self.explain)
        layout.addWidget(self.table, 1)
        layout.addLayout(bar)
        layout.addLayout(foot(self.status, "Alt + underlined letter  ·  F2 renames  ·  F5 reloads"))
        self.setFocusProxy(self.table)
        add_keys(self, ((Qt.Key.Key_F5, self.refresh, self), (Qt.Key.Key_F2, self.rename, self)))
        self.table.selectionModel().selectionChanged.connect(self._enable)
        self.table.doubleClicked.connect(lambda _index: self.rename())
        self._enable()

    # ------------------------------------------------------------------ API
    def refresh(self) -> bool:
        """Reload the table in the background; one more follows if one is running. True if started now."""
        return self._loads.request()

    def selected(self) -> AdminQueue | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.rows()[rows[0].row()] if rows else None

    def select_queue(self, name: str) -> bool:
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
    def new_queue(self) -> ChangeDialog:
        name, kind = QLineEdit(), QComboBox()
        kind.addItems(list(QUEUE_KINDS))
        priority, sla, escalation = self._priority_box(0), SlaEdit(86_400), self._escalation_box(None, None)
        kind.currentTextChanged.connect(lambda chosen: escalation.setEnabled(chosen == "review"))

        def work() -> Work | None:
            chosen = escalation.currentData() if escalation.isEnabled() else None
            args = dict(kind=kind.currentText(), priority=priority.value(), sla_seconds=sla.seconds(),
                        escalation_queue=chosen)
            return lambda s: admin.create_queue(s, self.lead, name.text(), **args)

        def describe() -> str:
            where = escalation.currentData() if escalation.isEnabled() else None
            return (f"Creates the {kind.currentText()} queue “{name.text().strip() or '…'}”, priority "
                    f"{priority.value()}, SLA {human_age(sla.seconds())}"
                    + (f", escalating to “{where}”." if where else ", with no escalation queue."))

        dialog = ChangeDialog(self, "New queue", "Create", work=work, describe=describe,
                              done=lambda q: f"Created the queue “{q.name}”.")
        self._rows(dialog, ("Name", name), ("Kind", kind), ("Priority", priority), ("SLA", sla),
                   ("Escalates to", escalation))
        return self._open(dialog, name)

    def rename(self) -> ChangeDialog | None:
        row = self._need_selected()
        if row is None:
            return None
        old = row.queue.name
        name = QLineEdit(old)
        name.selectAll()
        dialog = ChangeDialog(
            self, "Rename queue", "Rename",
            work=lambda: partial(admin.rename_queue, who=self.lead, name=old, new_name=name.text()),
            describe=lambda: f"“{old}” will be called “{name.text().strip()}”. Its items, history and settings stay.",
            done=lambda q: f"Renamed “{old}” to “{q.name}”.",
        )
        self._rows(dialog, ("New name", name))
        return self._open(dialog, name)

    def toggle_pause(self) -> ChangeDialog | None:
        row = self._need_selected()
        if row is None:
            return None
        name, pause = row.queue.name, not row.queue.paused
        waiting = f"{row.waiting:,} waiting item{'s' if row.waiting != 1 else ''}"
        text = (f"Pause “{name}”? Its {waiting} stay in the queue and are served to nobody until it is resumed. "
                "Items someone is working on now can still be decided." if pause
                else f"Resume “{name}”? Its {waiting} will be served again.")
        dialog = ChangeDialog(self, "Pause queue" if pause else "Resume queue", "Pause" if pause else "Resume",
                              work=lambda: (lambda s: admin.set_paused(s, self.lead, name, pause)),
                              describe=lambda: text,
                              done=lambda _q: f"{'Paused' if pause else 'Resumed'} “{name}”.")
        return self._open(dialog, dialog.ok)

    def priority(self) -> ChangeDialog | None:
        row = self._need_selected()
        if row is None:
            return None
        name, old = row.queue.name, row.queue.priority
        box = self._priority_box(old)
        dialog = ChangeDialog(
            self, "Queue priority", "Set priority",
            work=lambda: partial(admin.set_priority, who=self.lead, name=name, priority=box.value()),
            describe=lambda: f"Priority of “{name}”: {old} → {box.value()}. "
                             "Queues with higher numbers are served first to people who work several.",
            done=lambda q: f"“{name}” now has priority {q.priority}.",
        )
        self._rows(dialog, ("Priority", box))
        return self._open(dialog, box)

    def sla(self) -> ChangeDialog | None:
        row = self._need_selected()
        if row is None:
            return None
        name, old = row.queue.name, row.queue.sla_seconds
        edit = SlaEdit(old)
        dialog = ChangeDialog(
            self, "Queue SLA", "Set SLA",
            work=lambda: partial(admin.set_sla, who=self.lead, name=name, sla_seconds=edit.seconds()),
            describe=lambda: f"SLA of “{name}”: {human_age(old)} → {human_age(edit.seconds())}. Items already "
                             "waiting keep the due time they were given; new arrivals get the new one.",
            done=lambda q: f"“{name}” now has an SLA of {human_age(q.sla_seconds)}.",
        )
        self._rows(dialog, ("SLA", edit))
        return self._open(dialog, edit.amount)

    def escalation(self) -> ChangeDialog | None:
        """The escalation queues "escalate" in the selected queue offers, and its default."""
        row = self._need_selected()
        if row is None:
            return None
        name, old = row.queue.name, row.routes
        edit = RoutesEdit([r.queue.name for r in self._active(kinds={"escalation"}) if r.queue.name != name], old)

        def describe() -> str:
            new = edit.routes()
            if not new:
                return f"“Escalate” will be refused in “{name}”."
            offered = f"“{new[0]}” (the default)" + "".join(f", “{n}”" for n in new[1:])
            return (f"“Escalate” in “{name}” will offer {offered}, for a lead."
                    + (" The moderator picks one with a digit." if len(new) > 1 else ""))

        dialog = ChangeDialog(
            self, "Escalation queues", "Set",
            work=lambda: partial(admin.set_escalation, who=self.lead, name=name, escalation_queues=edit.routes()),
            describe=describe, done=lambda _q: f"Escalation of “{name}” set: {', '.join(edit.routes()) or 'none'}.",
        )
        self._rows(dialog, ("Escalates to", edit))
        return self._open(dialog, edit)

    def merge(self) -> PreviewDialog | None:
        row = self._need_selected()
        if row is None:
            return None
        source = row.queue.name
        target = self._target_box({row.queue.kind}, exclude=source)

        def preview() -> tuple[Work, str] | None:
            into = target.currentData()
            return ((lambda s: admin.preview_merge(s, source, into)), into) if into else None

        dialog = PreviewDialog(
            self, f"Merge “{source}”", "Merge", preview=preview, choose="Choose the queue to merge it into.",
            change=lambda p, into: (lambda s: admin.merge(s, self.lead, source, into, expected=p.total)),
            done=lambda o: f"Merged “{source}” into “{target.currentData()}”: {o.moved:,} items moved; "
                           f"“{source}” is kept, paused, as history.",
        )
        self._rows(dialog, ("Merge", QLabel(f"“{source}” and everything in it")), ("Into", target))
        target.currentIndexChanged.connect(dialog.recount)
        dialog.recount()
        if target.count() == 1:
            dialog.say(f"There is no other {row.queue.kind} queue to merge “{source}” into.")
        return self._open(dialog, target)

    def move_items(self) -> PreviewDialog:
        row = self.selected()
        source, target, label = QComboBox(), self._target_box(set(admin.HOLDS_ITEMS)), QLineEdit()
        after, before, undecided = QLineEdit(), QLineEdit(), QCheckBox("Only items not decided yet")
        source.addItem(ANY_QUEUE, None)
        for other in self._active(kinds=set(admin.HOLDS_ITEMS)):
            source.addItem(other.queue.name, other.queue.name)
        if row is not None and not row.merged_into:
            source.setCurrentIndex(max(source.findData(row.queue.name), 0))
        label.setPlaceholderText("any — a decision label or reported category")
        label.setCompleter(QCompleter(self._labels, label))
        after.setPlaceholderText("any time — e.g. 2026-01-05 or 2026-01-05T09:00")
        before.setPlaceholderText("any time")
        severities = {s: QCheckBox(s) for s in SEVERITIES}
        severity_row = QWidget()
        severity_layout = QHBoxLayout(severity_row)
        severity_layout.setContentsMargins(0, 0, 0, 0)
        for box in severities.values():
            severity_layout.addWidget(box)
        severity_layout.addStretch(1)

        def selection() -> Selection:
            return Selection(
                queues=(source.currentData(),) if source.currentData() else (),
                label=label.text().strip() or None,
                received_after=after.text().strip() or None, received_before=before.text().strip() or None,
                severities=tuple(s for s, box in severities.items() if box.isChecked()),
                states=("pending",) if undecided.isChecked() else (),
            )

        def preview() -> tuple[Work, tuple[Selection, str]] | None:
            chosen, into = selection(), target.currentData()
            return ((lambda s: admin.preview_move(s, chosen, into)), (chosen, into)) if into else None

        def change(counted: Preview, asked: tuple[Selection, str]) -> Work:
            chosen, into = asked
            skip = dialog.skip.isChecked()
            return lambda s: admin.move(s, self.lead, chosen, into, expected=counted.total, skip_collisions=skip)

        dialog = PreviewDialog(
            self, "Move items", "Move", may_skip=True, preview=preview, change=change,
            choose="Choose the queue to move the items to.",
            done=lambda o: f"Moved {o.moved:,} items to “{target.currentData()}”"
                           + (f"; {len(o.left):,} colliding items were left where they were." if o.left else "."),
        )
        self._rows(dialog, ("From", source), ("Label", label), ("Received from", after), ("Received before", before),
                   ("Severity", severity_row), ("", undecided), ("To", target))
        for combo in (source, target):
            combo.currentIndexChanged.connect(dialog.recount)
        for edit in (label, after, before):
            edit.editingFinished.connect(dialog.recount)
        for box in (*severities.values(), undecided):
            box.toggled.connect(dialog.recount)
        dialog.recount()
        return self._open(dialog, source)

    # ------------------------------------------------------------ internals
    def _loaded(self, rows: list[AdminQueue]) -> None:
        keep = self.selected()
        if self.status.text() == "Loading…":
            self.status.setText("")
        self.model.set_rows(rows)
        if not (keep and self.select_queue(keep.queue.name)) and rows:
            self.table.selectRow(0)
        self._enable()
        self.refreshed.emit()

    def _load_failed(self, exc: BaseException) -> None:
        self.status.setText(f"Could not load the queues: {in_words(exc)}")

    def _need_selected(self) -> AdminQueue | None:
        row = self.selected()
        if row is None or row.merged_into:
            self.status.setText("Select a queue first (merged queues are kept as history and cannot change).")
            return None
        return row

    def _active(self, kinds: set[str]) -> list[AdminQueue]:
        return [r for r in self.model.rows() if not r.merged_into and r.queue.kind in kinds]

    def _target_box(self, kinds: set[str], exclude: str | None = None) -> QComboBox:
        """Active queues to move into, after a blank first choice: nothing moves by accident."""
        box = QComboBox()
        box.addItem("Choose a queue…", None)
        for row in self._active(kinds):
            if row.queue.name != exclude:
                box.addItem(row.queue.name, row.queue.name)
        return box

    def _escalation_box(self, current: str | None, exclude: str | None) -> QComboBox:
        box = QComboBox()
        box.addItem(NO_ESCALATION, None)
        for row in self._active(kinds={"escalation"}):
            if row.queue.name != exclude:
                box.addItem(row.queue.name, row.queue.name)
        box.setCurrentIndex(max(box.findData(current), 0))
        return box

    @staticmethod
    def _priority_box(value: int) -> QSpinBox:
        box = QSpinBox()
        box.setRange(-999, 999)
        box.setValue(value)
        box.setMaximumWidth(110)
        return box

    @staticmethod
    def _rows(dialog: ChangeDialog, *rows: tuple[str, QWidget]) -> None:
        for text, widget in rows:
            dialog.form.addRow(text, widget)
            dialog.fields[text or widget.text()] = widget
            for signal in ("textChanged", "valueChanged", "currentIndexChanged", "changed"):
                if hasattr(widget, signal) and not isinstance(dialog, PreviewDialog):
                    getattr(widget, signal).connect(dialog.update_summary)

    @staticmethod
    def _open(dialog: ChangeDialog, focus: QWidget) -> Any:
        if not isinstance(dialog, PreviewDialog):
            dialog.update_summary()
        open_returning(dialog)
        focus.setFocus()
        return dialog

    def _enable(self, *_args: Any) -> None:
        row = self.selected()
        usable = row is not None and not row.merged_into
        for key in ("rename", "pause", "priority", "sla", "escalation", "merge"):
            self.buttons[key].setEnabled(usable)
        self.buttons["escalation"].setEnabled(usable and row.queue.kind == "review")  # only review queues escalate
        self.buttons["pause"].setText("Res&ume…" if usable and row.queue.paused else "&Pause…")

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh()

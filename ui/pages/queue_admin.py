"""The lead's "Queues admin" page: create, rename, pause, prioritise, merge, move.

Every change goes through a small dialog that says what will happen before
anything does; for a merge or a move the numbers come from
``review.admin.preview_merge`` / ``preview_move`` (waiting, being worked
on, decided, collisions), and the button carries the count it will move.
The change runs on a worker with its own store connection and passes the
confirmed total on, so the domain refuses if the numbers changed in
between. "Leads only" is the domain's rule (``PermissionError``); refusals
are shown in the domain's words, in the dialog, which stays open.

Keys: Alt + the underlined letter of each button, F2 renames, F5 reloads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from review import admin, auth
from review.admin import AdminQueue, Preview, Selection
from review.store.schema import QUEUE_KINDS
from review.store import Store, User
from review.taxonomy import SEVERITIES
from ui import theme
from ui.widgets.passphrase import SetPassphraseDialog
from ui.pages.queues import human_age
from ui.tasks import TaskRunner

T = TypeVar("T")
Work = Callable[[Store], Any]
OnOwn = Callable[[Callable[[Store], T]], Callable[[], T]]

COLUMNS = ("Queue", "Kind", "Items", "Waiting", "Priority", "SLA", "Escalates to", "Status")
QUEUE, KIND, ITEMS, WAITING, PRIORITY, SLA, ESCALATION, STATUS = range(len(COLUMNS))
SLA_UNITS = (("minutes", 60), ("hours", 3600), ("days", 86_400))
ANY_QUEUE = "Every queue"
NO_ESCALATION = "No escalation queue"


def status_text(row: AdminQueue) -> str:
    if row.merged_into:
        return f"Merged into {row.merged_into}"
    return "Paused" if row.queue.paused else "Active"


def preview_text(preview: Preview, verb: str) -> str:
    """A preview in words: what moves, who is affected, what collides."""
    total = preview.total
    removed = f", {preview.removed:,} removed" if preview.removed else ""
    lines = [f"{verb} {total:,} item{'s' if total != 1 else ''} into “{preview.target}”: "
             f"{preview.pending:,} waiting, {preview.decided:,} decided{removed}."]
    if preview.leased:
        lines.append(f"{preview.leased:,} of the waiting items are being worked on right now: they move with "
                     "their reviewer, whose decision still counts.")
    if preview.decided:
        lines.append("Decisions keep the queue they were made in.")
    if preview.reroutes:
        lines.append(f"Escalations from {', '.join(preview.reroutes)} will go to “{preview.target}”.")
    if preview.collisions:
        shown = ", ".join(preview.collisions[:5]) + (" …" if len(preview.collisions) > 5 else "")
        lines.append(f"{len(preview.collisions):,} external id(s) would appear twice in “{preview.target}”: {shown}")
    return "\n".join(lines)


def _words(exc: BaseException) -> str:
    """The domain speaks to people (AdminError, PermissionError); anything else is unexpected."""
    if isinstance(exc, (ValueError, PermissionError)):
        return str(exc)
    return f"That did not work: {exc or type(exc).__name__}"


class QueueAdminModel(QAbstractTableModel):
    """Read-only table of :class:`~review.admin.AdminQueue` rows."""

    QueueNameRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._rows: list[AdminQueue] = []

    def set_rows(self, rows: Sequence[AdminQueue]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[AdminQueue]:
        return list(self._rows)

    def row_of(self, name: str) -> int:
        return next((i for i, r in enumerate(self._rows) if r.queue.name == name), -1)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole, Qt.ItemDataRole.ToolTipRole):
            return self._display(row, column)  # the tooltip repeats a cell a narrow window cuts short
        if role == Qt.ItemDataRole.TextAlignmentRole:
            right = column in (ITEMS, WAITING, PRIORITY)
            return (Qt.AlignmentFlag.AlignRight if right else Qt.AlignmentFlag.AlignLeft) | Qt.AlignmentFlag.AlignVCenter
        if role == Qt.ItemDataRole.ForegroundRole and (row.merged_into or row.queue.paused):
            return theme.color("faint" if row.merged_into else "muted")
        if role == self.QueueNameRole:
            return row.queue.name
        return None

    @staticmethod
    def _display(row: AdminQueue, column: int) -> str:
        queue = row.queue
        return (
            queue.name, queue.kind.capitalize(), f"{row.items:,}", f"{row.waiting:,}", str(queue.priority),
            human_age(queue.sla_seconds), row.escalation or "—", status_text(row),
        )[column]


class ChangeDialog(QDialog):
    """One change: inputs, what it will do (in words), and a button that does it.

    *work()* returns the function to run on a worker (``fn(store)``), or None
    after saying why not with :meth:`say`; *describe()* the summary, redrawn
    on :meth:`update_summary`; *done(result)* the words the page shows after.
    *work()* runs on the GUI thread and reads every input there (the
    returned function takes them as default arguments): widgets are never
    touched from the worker.
    """

    def __init__(self, page: "QueueAdminPage", title: str, ok_text: str, *, work: Callable[[], Work | None],
                 describe: Callable[[], str], done: Callable[[Any], str]):
        super().__init__(page)
        self.setObjectName("changeDialog")
        self.setWindowTitle(title)
        self.setMinimumWidth(520)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.page, self._work, self._describe, self._done = page, work, describe, done
        self.form = QFormLayout()
        self.fields: dict[str, QWidget] = {}  # the inputs by their label
        self.summary = QLabel("")
        self.summary.setObjectName("changeSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error = QLabel("")
        self.error.setObjectName("formError")
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.ok = self.buttons.addButton(ok_text, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton("Cancel", QDialogButtonBox.ButtonRole.RejectRole)  # no red icon: colour means SLA trouble
        self.ok.setDefault(True)
        self.buttons.accepted.connect(self.apply)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addSpacing(6)
        layout.addWidget(self.summary)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def say(self, problem: str) -> None:
        self.error.setText(problem)

    def update_summary(self, *_args: Any) -> None:
        self.summary.setText(self._describe())
        self.error.setText("")

    def apply(self) -> None:
        work = self._work()
        if work is None:
            return
        self.ok.setEnabled(False)
        self.error.setText("Working…")
        self.page.run(work, on_done=self._succeeded, on_error=self._failed, owner=self)

    def _succeeded(self, result: Any) -> None:
        self.page.changed_to(self._done(result))
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.ok.setEnabled(True)
        self.say(_words(exc))


class PreviewDialog(ChangeDialog):
    """A merge or move: the numbers are counted (on a worker) whenever an input changes.

    *preview()* returns ``(work, asked)``: the counting function and what
    it counts (the inputs as they were); *change(preview, asked)* the
    function that makes exactly that change. The button is enabled only
    for the latest, allowed count and names it; the count's total goes to
    the change as ``expected``, so the domain refuses if it is stale.
    """

    def __init__(self, page: "QueueAdminPage", title: str, verb: str, *,
                 preview: Callable[[], tuple[Work, Any] | None], change: Callable[[Preview, Any], Work],
                 done: Callable[[Any], str], choose: str, may_skip: bool = False):
        super().__init__(page, title, verb, work=self._change_work, describe=lambda: choose, done=done)
        self.verb, self._preview_work, self._change = verb, preview, change
        self.preview: Preview | None = None
        self._asked: Any = None
        self._question = 0
        self.skip = QCheckBox("Leave the colliding items where they are and move the others")
        self.skip.setVisible(False)
        self.skip.setEnabled(may_skip)
        self.skip.toggled.connect(self._enable)
        self.layout().insertWidget(self.layout().indexOf(self.error), self.skip)
        self.ok.setEnabled(False)

    def recount(self, *_args: Any) -> None:
        """Ask for fresh numbers; only the answer to the latest question counts."""
        self.preview = None
        self._question += 1
        question = self._question
        self._enable()
        self.error.setText("")
        asked = self._preview_work()
        if asked is None:
            self.update_summary()  # what to choose first
            return
        work, what = asked
        self.summary.setText("Counting…")
        self.page.run(work, on_done=lambda p: self._counted(question, p, what),
                      on_error=lambda e: self._not_counted(question, e), owner=self)

    def _counted(self, question: int, preview: Preview, asked: Any) -> None:
        if question != self._question:
            return
        self.preview, self._asked = preview, asked
        self.summary.setText(preview_text(preview, self.verb))
        self.skip.setVisible(bool(preview.collisions) and self.skip.isEnabled())
        if preview.collisions and not self.skip.isEnabled():
            self.say("Nothing can be merged while items collide: move those items to another queue first.")
        self._enable()

    def _not_counted(self, question: int, exc: BaseException) -> None:
        if question == self._question:
            self.summary.setText("")
            self.say(_words(exc))

    def _enable(self, *_args: Any) -> None:
        p = self.preview
        if p is None:
            self.ok.setEnabled(False)
            self.ok.setText(self.verb)
            return
        skipping = bool(p.collisions) and self.skip.isChecked()
        moving = p.total - p.colliding if skipping else p.total
        self.ok.setEnabled(not p.collisions or skipping)
        self.ok.setText(f"{self.verb} {moving:,} item{'s' if moving != 1 else ''}")

    def _change_work(self) -> Work | None:
        return self._change(self.preview, self._asked) if self.preview is not None else None

    def _failed(self, exc: BaseException) -> None:
        super()._failed(exc)
        if isinstance(exc, admin.ChangedError):
            message = self.error.text()
            self.recount()
            self.say(message)


class QueueAdminPage(QWidget):
    """The "Queues admin" page for *lead*.

    *store* is for quick reads on the GUI thread (people, passphrase
    status); *on_own(work)* wraps ``work(store)`` to run on a worker with
    its own connection (``desktop.app.on_own_connection``). *labels*
    offers completions for the label filter.
    """

    refreshed = Signal()
    changed = Signal(str)  # after each change, in words

    def __init__(self, store: Store, lead: User, on_own: OnOwn, *, labels: Sequence[str] = (),
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("queueAdmin")
        self.store, self.lead, self._on_own, self._labels = store, lead, on_own, list(labels)
        self.runner = TaskRunner(self, max_threads=1, name="queue-admin")
        self._closed = False
        self.model = QueueAdminModel(self)

        title = QLabel("Queues admin")
        title.setObjectName("pageTitle")
        self.explain = QLabel("Each change shows what it will do before it happens and is recorded in the event log.")
        self.explain.setObjectName("hint")
        self.table = QTableView()
        self.table.setObjectName("queueAdminTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(34)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)  # names are never cut short
        header.setStretchLastSection(True)
        self.table.setAccessibleName("Queues")

        self.buttons: dict[str, QPushButton] = {}
        bar = QHBoxLayout()
        for key, text, slot in (
            ("new", "&New…", self.new_queue), ("rename", "&Rename…", self.rename),
            ("pause", "&Pause…", self.toggle_pause), ("priority", "Pr&iority…", self.priority),
            ("sla", "S&LA…", self.sla), ("escalation", "&Escalation…", self.escalation),
            ("merge", "&Merge…", self.merge), ("move", "Mo&ve items…", self.move_items),
        ):
            button = QPushButton(text)
            button.clicked.connect(slot)
            bar.addWidget(button)
            self.buttons[key] = button
        bar.addStretch(1)

        self.person = QComboBox()
        self.person.setAccessibleName("Person")
        self.buttons["passphrase"] = QPushButton("Set p&assphrase…")
        self.buttons["passphrase"].clicked.connect(self.set_passphrase)
        people = QHBoxLayout()
        people.addWidget(QLabel("Passphrase for"))
        people.addWidget(self.person)
        people.addWidget(self.buttons["passphrase"])
        people.addStretch(1)

        self.status = QLabel("Loading…")
        self.status.setObjectName("updated")
        self.status.setWordWrap(True)
        keys = QLabel("Alt + underlined letter  ·  F2 renames  ·  F5 reloads")
        keys.setObjectName("hint")
        foot = QHBoxLayout()
        foot.addWidget(self.status, 1)
        foot.addWidget(keys, 0, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 22, 28, 14)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(self.explain)
        layout.addWidget(self.table, 1)
        layout.addLayout(bar)
        layout.addLayout(people)
        layout.addLayout(foot)
        self.setFocusProxy(self.table)

        for key, slot in ((Qt.Key.Key_F5, self.refresh), (Qt.Key.Key_F2, self.rename)):
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
        self.table.selectionModel().selectionChanged.connect(self._enable)
        self.table.doubleClicked.connect(lambda _index: self.rename())
        self._fill_people()
        self._enable()

    # ------------------------------------------------------------------ API
    def run(self, work: Work, *, on_done: Callable[[Any], Any], on_error: Callable[[BaseException], Any],
            owner: QWidget | None = None) -> None:
        """Run ``work(store)`` on the worker, with its own connection."""
        self.runner.submit(self._on_own(work), on_done=on_done, on_error=on_error, owner=owner or self)

    def refresh(self) -> None:
        if not self._closed:
            self.run(admin.queue_rows, on_done=self._loaded, on_error=self._load_failed)

    def selected(self) -> AdminQueue | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.rows()[rows[0].row()] if rows else None

    def select_queue(self, name: str) -> bool:
        row = self.model.row_of(name)
        if row >= 0:
            self.table.selectRow(row)
        return row >= 0

    def changed_to(self, words: str) -> None:
        """A change was made: say so and reload."""
        self.status.setText(words)
        self.changed.emit(words)
        self.refresh()

    def close_page(self) -> None:
        self._closed = True
        self.runner.close()

    # -------------------------------------------------------------- changes
    def new_queue(self) -> ChangeDialog:
        name, kind = QLineEdit(), QComboBox()
        kind.addItems(list(QUEUE_KINDS))
        priority, sla, escalation = self._priority_box(0), SlaEdit(86_400), self._escalation_box(None, None)

        def work() -> Work | None:
            chosen = escalation.currentData()
            args = dict(kind=kind.currentText(), priority=priority.value(), sla_seconds=sla.seconds(),
                        escalation_queue=chosen)
            return lambda s: admin.create_queue(s, self.lead, name.text(), **args)

        def describe() -> str:
            where = escalation.currentData()
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
            work=lambda: (lambda s, new=name.text(): admin.rename_queue(s, self.lead, old, new)),
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
            work=lambda: (lambda s, value=box.value(): admin.set_priority(s, self.lead, name, value)),
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
            work=lambda: (lambda s, value=edit.seconds(): admin.set_sla(s, self.lead, name, value)),
            describe=lambda: f"SLA of “{name}”: {human_age(old)} → {human_age(edit.seconds())}. Items already "
                             "waiting keep the due time they were given; new arrivals get the new one.",
            done=lambda q: f"“{name}” now has an SLA of {human_age(q.sla_seconds)}.",
        )
        self._rows(dialog, ("SLA", edit))
        return self._open(dialog, edit.amount)

    def escalation(self) -> ChangeDialog | None:
        row = self._need_selected()
        if row is None:
            return None
        name = row.queue.name
        box = self._escalation_box(row.escalation, name)
        dialog = ChangeDialog(
            self, "Escalation queue", "Set",
            work=lambda: (lambda s, to=box.currentData(): admin.set_escalation(s, self.lead, name, to)),
            describe=lambda: (f"“Escalate” in “{name}” will send the item to “{box.currentData()}”, for a lead."
                              if box.currentData() else f"“Escalate” will be refused in “{name}”."),
            done=lambda _q: f"Escalation of “{name}” set.",
        )
        self._rows(dialog, ("Escalates to", box))
        return self._open(dialog, box)

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

    def set_passphrase(self) -> SetPassphraseDialog | None:
        name = self.person.currentData()
        if not name:
            return None
        lead = self.lead.name

        def save(current: str | None, new: str) -> None:
            self._on_own(lambda s: auth.set_passphrase(s, lead, name, new, current=current))()

        dialog = SetPassphraseDialog(self.person.currentText(), save,
                                     needs_current=auth.needs_current(self.store, self.lead, name), parent=self)
        dialog.saved.connect(lambda: self.changed_to(f"Passphrase set for {name}."))
        dialog.open()
        return dialog

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
        self.status.setText(f"Could not load the queues: {_words(exc)}")

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
        dialog.open()
        focus.setFocus()
        return dialog

    def _fill_people(self) -> None:
        self.person.clear()
        for user in self.store.users():
            self.person.addItem(f"{user.display_name} ({user.name})", user.name)
        self.person.setCurrentIndex(max(self.person.findData(self.lead.name), 0))

    def _enable(self, *_args: Any) -> None:
        row = self.selected()
        usable = row is not None and not row.merged_into
        for key in ("rename", "pause", "priority", "sla", "escalation", "merge"):
            self.buttons[key].setEnabled(usable)
        self.buttons["pause"].setText("Res&ume…" if usable and row.queue.paused else "&Pause…")

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh()


class SlaEdit(QWidget):
    """An SLA as a number and a unit (minutes, hours, days)."""

    changed = Signal()

    def __init__(self, seconds: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.amount = QSpinBox()
        self.amount.setRange(1, 9999)
        self.unit = QComboBox()
        for text, size in SLA_UNITS:
            self.unit.addItem(text, size)
        size = next((s for _, s in reversed(SLA_UNITS) if seconds % s == 0), 60)
        self.unit.setCurrentIndex(self.unit.findData(size))
        self.amount.setValue(max(1, seconds // size))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.amount)
        layout.addWidget(self.unit)
        layout.addStretch(1)
        self.amount.valueChanged.connect(self.changed)
        self.unit.currentIndexChanged.connect(self.changed)
        self.setFocusProxy(self.amount)

    def seconds(self) -> int:
        return self.amount.value() * self.unit.currentData()

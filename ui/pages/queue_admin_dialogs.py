"""The Queues admin page's dialogs: one change, said in words before it happens.

:class:`ChangeDialog` holds the inputs of one change, a summary of what it
will do, and the button that does it: the change is one desk call
(``review.admin``), a write through the operations runner, and a refusal
is shown in the domain's words in the dialog, which stays open.
:class:`RoutesEdit` picks the escalation queues a queue may escalate to
and its default. :class:`PreviewDialog` (a merge or a move) counts what would move with a
read whenever an input changes, and passes the confirmed total on so the
domain refuses if the numbers changed in between.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from review import admin
from review.admin import Preview
from review.errors import VeilError
from review.store import Store

if TYPE_CHECKING:  # the page builds the dialogs; they only call back into it
    from ui.pages.queue_admin import QueueAdminPage

__all__ = ["SLA_UNITS", "ChangeDialog", "PreviewDialog", "RoutesEdit", "SlaEdit", "Work", "in_words",
           "preview_text"]

Work = Callable[[Store], Any]
SLA_UNITS = (("minutes", 60), ("hours", 3600), ("days", 86_400))


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


def in_words(exc: BaseException) -> str:
    """The domain speaks to people (Veil's errors, ValueError, PermissionError); anything else is unexpected."""
    if isinstance(exc, (VeilError, ValueError, PermissionError)):
        return str(exc)
    return f"That did not work: {exc or type(exc).__name__}"


class ChangeDialog(QDialog):
    """One change: inputs, what it will do (in words), and a button that does it.

    *work()* returns the write to make (``fn(store)``, one desk call), or None
    after saying why not with :meth:`say`; *describe()* the summary, redrawn
    on :meth:`update_summary`; *done(result)* the words the page shows after.
    *work()* runs on the GUI thread and reads every input there (the
    returned function has them bound already): widgets are never
    touched from the worker.
    """

    def __init__(self, page: QueueAdminPage, title: str, ok_text: str, *, work: Callable[[], Work | None],
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
        self.summary.setTextFormat(Qt.TextFormat.PlainText)  # queue names are stored text
        self.summary.setObjectName("changeSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error = QLabel("")
        self.error.setTextFormat(Qt.TextFormat.PlainText)  # queue names are stored text
        self.error.setObjectName("formError")
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.ok = self.buttons.addButton(ok_text, QDialogButtonBox.ButtonRole.AcceptRole)
        # No red icon on Cancel: colour means SLA trouble.
        self.buttons.addButton("Cancel", QDialogButtonBox.ButtonRole.RejectRole)
        self.ok.setDefault(True)
        self.buttons.accepted.connect(self.apply)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addSpacing(6)
        layout.addWidget(self.summary)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def showEvent(self, event: Any) -> None:
        """Enter always means the change: a helper button (Find, Choose…) would otherwise become the default once
        tabbed past, and Enter would re-run it and save nothing."""
        own = set(self.buttons.buttons())  # Cancel keeps Enter when it has the focus
        for button in self.findChildren(QPushButton):
            if button not in own:
                button.setAutoDefault(False)
                button.setDefault(False)
        self.ok.setDefault(True)
        super().showEvent(event)

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
        self.page.ops.write(work, on_done=self._succeeded, on_error=self._failed, owner=self)

    def _succeeded(self, result: Any) -> None:
        self.page.changed_to(self._done(result))
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.ok.setEnabled(True)
        self.say(in_words(exc))


class PreviewDialog(ChangeDialog):
    """A merge or move: the numbers are counted (a read) whenever an input changes.

    *preview()* returns ``(work, asked)``: the counting function and what
    it counts (the inputs as they were); *change(preview, asked)* the
    function that makes exactly that change. The button is enabled only
    for the latest, allowed count and names it; the count's total goes to
    the change as ``expected``, so the domain refuses if it is stale.
    """

    def __init__(self, page: QueueAdminPage, title: str, verb: str, *,
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
        self.page.ops.query(work, on_done=lambda p: self._counted(question, p, what),
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
            self.say(in_words(exc))

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


class RoutesEdit(QWidget):
    """Which escalation queues a queue may escalate to (ticked, Space ticks) and which is the default."""

    changed = Signal()

    def __init__(self, queues: list[str], routes: tuple[str, ...], parent: QWidget | None = None):
        super().__init__(parent)
        self.queues = QListWidget()
        self.queues.setAccessibleName("Escalation queues allowed")
        for name in queues:
            entry = QListWidgetItem(name)
            entry.setFlags(entry.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            entry.setCheckState(Qt.CheckState.Checked if name in routes else Qt.CheckState.Unchecked)
            self.queues.addItem(entry)
        self.queues.setMaximumHeight(24 * max(3, len(queues)) + 8)
        self.default = QComboBox()
        self.default.setAccessibleName("Default escalation queue")
        self._fill_default(routes[0] if routes else None)
        self.queues.itemChanged.connect(lambda _entry: self._fill_default(self.default.currentText()))
        self.default.currentIndexChanged.connect(self.changed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.queues)
        row = QHBoxLayout()
        row.addWidget(QLabel("Default (Enter on the review page)"))
        row.addWidget(self.default, 1)
        layout.addLayout(row)
        self.setFocusProxy(self.queues)

    def routes(self) -> list[str]:
        """The ticked queues, the default first, then the others in the list's order."""
        ticked = [self.queues.item(n).text() for n in range(self.queues.count())
                  if self.queues.item(n).checkState() == Qt.CheckState.Checked]
        first = self.default.currentText()
        return [first, *(name for name in ticked if name != first)] if first in ticked else ticked

    def _fill_default(self, keep: str | None) -> None:
        ticked = [self.queues.item(n).text() for n in range(self.queues.count())
                  if self.queues.item(n).checkState() == Qt.CheckState.Checked]
        self.default.blockSignals(True)
        self.default.clear()
        self.default.addItems(ticked)
        self.default.setCurrentIndex(max(self.default.findText(keep or ""), 0))
        self.default.setEnabled(bool(ticked))
        self.default.blockSignals(False)
        self.changed.emit()


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

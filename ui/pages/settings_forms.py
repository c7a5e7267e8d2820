"""The one shape of every settings form: its fields, an inline problem, who changed it last, Save and Revert.

Each setting on the Settings pages is a :class:`SettingForm`: it shows the
stored value, checks what is typed as it is typed (the problem in words
under the fields, Save disabled until it is fixed), and saves with one
write through the operations runner — one change, one event with the old
and the new value. The write is given the stored value the form started
from, so a change another lead made since is refused (``StoreConflict``,
saying who and when) instead of overwritten. Revert puts back what is
stored and reads it again. A refusal from the domain (not a lead any more, a value the domain
refuses, that conflict) is shown in its words where the problem goes; the
form keeps what was typed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from review.errors import VeilError
from review.settings import Change
from review.store import Store
from ui.operations import Operations


def changed_line(change: Change | None, never: str = "Not changed yet: Veil's defaults apply.") -> str:
    """Who last changed a setting and when, in words (from the event log)."""
    if change is None:
        return never
    return f"Last changed by {change.actor} on {change.at[:10]} at {change.at[11:16]} UTC."


def spin(low: float, high: float, unit: str = "", *, whole: bool = True,
         step: float = 1.0, decimals: int = 1) -> QSpinBox | QDoubleSpinBox:
    """A spin box over [*low*, *high*] with its unit after the number (*decimals*: the domain's precision)."""
    box: QSpinBox | QDoubleSpinBox
    if whole:
        box = QSpinBox()
        box.setRange(int(low), int(high))
    else:
        box = QDoubleSpinBox()
        box.setDecimals(decimals)
        box.setRange(low, high)
        box.setSingleStep(step)
    if unit:
        box.setSuffix(f" {unit}")
    box.setMinimumWidth(110)
    return box


AS_SHOWN: Any = object()  # SettingForm.loaded's started_from when the stored value is the one shown


class SettingForm(QFrame):
    """One setting's form. Subclasses add fields to :attr:`fields` and implement the three value methods."""

    saved = Signal(str)  # the title, after a save landed
    reverted = Signal()  # Revert pressed: the page reads the stored value again (another lead may have changed it)

    def __init__(self, title: str, explain: str, ops: Operations, write: Callable[[Store, Any, Any], Any],
                 parent: QWidget | None = None):
        """*write(store, value, started_from)* saves *value* and returns the new stored value; *started_from*
        is the stored value the form showed (:meth:`loaded`), for the domain to refuse a change made since."""
        super().__init__(parent)
        self.setObjectName("settingForm")
        self.title, self.ops, self._write = title, ops, write
        self._stored: Any = None
        self._started_from: Any = None
        self._loading = False
        self.never_changed = "Not changed yet: Veil's defaults apply."
        heading = QLabel(title)
        heading.setObjectName("sectionTitle")
        about = QLabel(explain)
        about.setObjectName("hint")
        about.setWordWrap(True)
        self.fields = QGridLayout()
        self.fields.setHorizontalSpacing(14)
        self.fields.setVerticalSpacing(6)
        self.problem_label = QLabel()
        self.problem_label.setObjectName("ruleMessage")
        self.problem_label.setWordWrap(True)
        self.problem_label.hide()
        self.changed = QLabel("Loading…")
        self.changed.setObjectName("updated")
        self.save_button = QPushButton("Save")
        self.save_button.setAccessibleName(f"Save {title}")
        self.revert_button = QPushButton("Revert")
        self.revert_button.setAccessibleName(f"Revert {title}")
        self.save_button.clicked.connect(self.save)
        self.revert_button.clicked.connect(self.revert)
        foot = QHBoxLayout()
        foot.addWidget(self.changed, 1)
        foot.addWidget(self.revert_button)
        foot.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 12)
        layout.addWidget(heading)
        layout.addWidget(about)
        layout.addLayout(self.fields)
        layout.addWidget(self.problem_label)
        layout.addLayout(foot)
        self._enable()

    # ------------------------------------------------ for the subclasses
    def show_value(self, value: Any) -> None:
        raise NotImplementedError

    def value(self) -> Any:
        raise NotImplementedError

    def problem(self, value: Any) -> str | None:
        """What is wrong with *value*, in words; None when it may be saved."""
        return None

    def add_row(self, row: int, label: str, widget: QWidget, column: int = 0, hint: str = "") -> None:
        """*label* and *widget* on *row* (two label+field pairs fit side by side: column 0 or 1)."""
        text = QLabel(label.replace("&", "&&"))  # a name's "&" is text, not a mnemonic
        text.setBuddy(widget)
        if hint:
            text.setToolTip(hint)
            widget.setToolTip(hint)
        self.fields.addWidget(text, row, column * 2)
        self.fields.addWidget(widget, row, column * 2 + 1)

    def edited(self, *_: object) -> None:
        """Connect every field's change signal here: re-checks and enables Save/Revert."""
        if not self._loading:
            self._enable()

    # --------------------------------------------------------- the flow
    def loaded(self, value: Any, change: Change | None, started_from: Any = AS_SHOWN) -> None:
        """The *value* to show, its last change and the stored value it means arrived: show them.

        What was typed is replaced. *started_from* is the stored value as
        the domain reads it (*value* itself when not given); a save sends it.
        """
        self._stored = value
        self._started_from = value if started_from is AS_SHOWN else started_from
        self._loading = True
        try:
            self.show_value(value)
        finally:
            self._loading = False
        self.changed.setText(changed_line(change, self.never_changed))
        self._enable()

    def dirty(self) -> bool:
        return self._stored is not None and self.value() != self._stored

    def revert(self) -> None:
        if self._stored is not None:
            self._loading = True
            try:
                self.show_value(self._stored)
            finally:
                self._loading = False
            self._enable()
            self.reverted.emit()

    def save(self) -> None:
        if not self.dirty() or self._show_problem() is not None:
            return
        value, started_from = self.value(), self._started_from
        self.save_button.setEnabled(False)
        self.changed.setText("Saving…")
        self.ops.write(lambda writer: self._write(writer, value, started_from),
                       on_done=lambda now_stored: self._saved_as(value, now_stored), on_error=self._refused,
                       owner=self)

    def _saved_as(self, value: Any, now_stored: Any) -> None:
        self.loaded(value, None, now_stored)
        self.changed.setText("Saved.")
        self.saved.emit(self.title)

    def _refused(self, exc: BaseException) -> None:
        if not isinstance(exc, VeilError):
            raise exc
        self.problem_label.setText(f"Not saved: {exc}")
        self.problem_label.show()
        self.changed.setText("Not saved.")
        self._enable(keep_problem=True)

    def _show_problem(self) -> str | None:
        why = self.problem(self.value())
        self.problem_label.setText(why or "")
        self.problem_label.setVisible(bool(why))
        return why

    def _enable(self, keep_problem: bool = False) -> None:
        if self._stored is None:
            self.save_button.setEnabled(False)
            self.revert_button.setEnabled(False)
            return
        why = self.problem(self.value()) if keep_problem else self._show_problem()
        self.save_button.setEnabled(self.dirty() and why is None)
        self.revert_button.setEnabled(self.dirty())

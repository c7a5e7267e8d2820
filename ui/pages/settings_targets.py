"""The Settings page's "Targets" tab: the targets people and queues are judged against, and cost per hour per role.

Two forms (:class:`~ui.pages.settings_forms.SettingForm`): :class:`TargetsForm`
edits ``audit.targets.TARGETS`` (a default for everyone, then overrides per
person or queue, chosen from the people and queues Veil has; a blank cell
keeps the default), :class:`CostsForm` edits ``audit.costs.COST_PER_HOUR``.
Accuracy's default is the team target ``report.accuracy_target``, shown
and not repeated. The tab reads its own values (the page's other forms are
read together by ``ui.pages.settings_org.load``) and reads them again
after a setting changed in any window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from audit import costs, targets
from audit.exports import ACCURACY_TARGET
from review import settings
from review.errors import VeilError
from review.store import Store, User
from ui.operations import Operations
from ui.pages.settings_forms import SettingForm, spin

ROLES = ("moderator", "auditor", "lead")
SHARES = ("accuracy", "timeliness")  # shown in percent
OVERRIDE_COLUMNS = ("Applies to", "Per active hour", "Accuracy %", "Within SLA %")


@dataclass(frozen=True)
class TargetSettings:
    """What the tab shows, read in one go: both settings (as checked), their last changes, names to choose from."""

    targets: dict[str, Any]
    costs: dict[str, Any]
    started: dict[str, Any]  # the stored values as read (a save is refused if they changed since)
    changes: dict[str, settings.Change | None]
    team_accuracy: float
    names: list[str]  # "person: ana", "queue: Spam & scams"


def load(reader: Store) -> TargetSettings:
    stored = {"targets": settings.read(reader, targets.TARGETS), "costs": settings.read(reader, costs.COST_PER_HOUR)}
    subjects = {"targets": settings.subject(targets.TARGETS), "costs": settings.subject(costs.COST_PER_HOUR)}
    changes = settings.last_changes(reader, list(subjects.values()))
    names = [f"person: {u.name}" for u in reader.users()] + [f"queue: {q.name}" for q in reader.queues()]
    shown = targets.checked_targets(stored["targets"])
    shown["queues"] = targets.named_queues(reader, shown)  # kept by id, shown and edited by name
    return TargetSettings(shown, costs.checked_costs(stored["costs"]), stored,
                          {k: changes.get(s) for k, s in subjects.items()}, settings.read(reader, ACCURACY_TARGET),
                          names)


def _number(text: str) -> float | None:
    return float(text.replace("%", "").strip()) if text.strip() else None


class TargetsForm(SettingForm):
    """Everyone's targets, then one row per person or queue that differs."""

    def __init__(self, ops: Operations, write: Callable[[Store, Any, Any], Any], parent: QWidget | None = None):
        super().__init__(
            "Targets",
            "What each person and queue is judged against on the Dashboard and in the report. Throughput is "
            "decisions per active hour (signed in, not idle); accuracy and within-SLA are shares judged with "
            "their 95 % interval. A blank override cell keeps everyone's value.", ops, write, parent)
        self.names: list[str] = []
        self.throughput = spin(0, 1000, "per hour", whole=False, decimals=1)
        self.throughput.setSpecialValueText("no target")
        self.accuracy = spin(0, 100, "%", whole=False, decimals=1)
        self.timeliness = spin(0, 100, "%", whole=False, decimals=1)
        for box, name in ((self.throughput, "Throughput target"), (self.accuracy, "Accuracy target"),
                          (self.timeliness, "Within SLA target")):
            box.setAccessibleName(name)
            box.valueChanged.connect(self.edited)
        self.add_row(0, "Everyone: per active hour", self.throughput)
        self.add_row(1, "Everyone: accuracy", self.accuracy,
                     hint="0 % keeps the team's accuracy target (the report's, report.accuracy_target)")
        self.add_row(2, "Everyone: within SLA", self.timeliness,
                     hint=f"0 % keeps Veil's default of {100 * targets.DEFAULT_TIMELINESS:.0f} %")
        self.accuracy.setSpecialValueText("team target")
        self.timeliness.setSpecialValueText(f"default {100 * targets.DEFAULT_TIMELINESS:.0f}%")
        self.overrides = QTableWidget(0, len(OVERRIDE_COLUMNS))
        self.overrides.setHorizontalHeaderLabels(OVERRIDE_COLUMNS)
        self.overrides.setAccessibleName("Targets per person or queue")
        self.overrides.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.overrides.horizontalHeader().setStretchLastSection(True)
        for column, width in enumerate((260, 140, 120)):
            self.overrides.setColumnWidth(column, width)
        self.overrides.setMinimumHeight(150)
        self.overrides.itemChanged.connect(self.edited)
        add, remove = QPushButton("Add override"), QPushButton("Remove override")
        add.clicked.connect(lambda: self._add_row("", {}))
        remove.clicked.connect(self._remove_row)
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        self.fields.addWidget(self.overrides, 3, 0, 1, 4)
        self.fields.addLayout(buttons, 4, 0, 1, 4)

    def set_names(self, names: list[str], team_accuracy: float) -> None:
        self.names = names
        self.accuracy.setToolTip(f"0 % keeps the team's accuracy target, {100 * team_accuracy:.0f} % "
                                 "(report.accuracy_target)")
        self.accuracy.setSpecialValueText(f"team target {100 * team_accuracy:.0f}%")

    def _add_row(self, who: str, values: dict[str, float]) -> None:
        row = self.overrides.rowCount()
        self.overrides.insertRow(row)
        chooser = QComboBox()
        chooser.setAccessibleName("Applies to")
        chooser.addItems(sorted(set(self.names) | ({who} if who else set())))
        chooser.setCurrentText(who)
        chooser.currentTextChanged.connect(self.edited)
        self.overrides.setCellWidget(row, 0, chooser)
        for column, kind in enumerate(targets.KINDS, 1):
            value = values.get(kind)
            text = "" if value is None else (f"{100 * value:g}" if kind in SHARES else f"{value:g}")
            self.overrides.setItem(row, column, QTableWidgetItem(text))
        self.edited()

    def _remove_row(self) -> None:
        row = self.overrides.currentRow()
        if row >= 0:
            self.overrides.removeRow(row)
            self.edited()

    def show_value(self, value: dict[str, Any]) -> None:
        everyone = value.get("everyone", {})
        self.throughput.setValue(everyone.get("throughput_per_hour", 0))
        self.accuracy.setValue(100 * everyone.get("accuracy", 0))
        self.timeliness.setValue(100 * everyone.get("timeliness", 0))
        self.overrides.setRowCount(0)
        for group, prefix in (("people", "person"), ("queues", "queue")):
            for name, values in value.get(group, {}).items():
                self._add_row(f"{prefix}: {name}", values)

    def _rows(self) -> list[tuple[str, list[str]]]:
        out = []
        for row in range(self.overrides.rowCount()):
            chooser = self.overrides.cellWidget(row, 0)
            who = chooser.currentText() if isinstance(chooser, QComboBox) else ""
            out.append((who, [(self.overrides.item(row, c).text() if self.overrides.item(row, c) else "")
                              for c in range(1, len(OVERRIDE_COLUMNS))]))
        return out

    def value(self) -> dict[str, Any]:
        everyone = {k: v for k, v in (("throughput_per_hour", self.throughput.value()),
                                      ("accuracy", round(self.accuracy.value() / 100, 4)),
                                      ("timeliness", round(self.timeliness.value() / 100, 4))) if v}
        out: dict[str, Any] = {"everyone": everyone, "people": {}, "queues": {}}
        for who, cells in self._rows():
            prefix, _, name = who.partition(": ")
            values: dict[str, Any] = {}
            for kind, text in zip(targets.KINDS, cells, strict=True):
                try:
                    number = _number(text)
                except ValueError:
                    values[kind] = text  # problem() names it
                    continue
                if number is not None:
                    values[kind] = round(number / 100, 4) if kind in SHARES else number
            if name and values:
                out["people" if prefix == "person" else "queues"][name] = values
        return out

    def problem(self, value: dict[str, Any]) -> str | None:
        whos = [who for who, _ in self._rows()]
        if "" in whos:
            return "Choose whom each override applies to."
        if len(set(whos)) != len(whos):
            return "Each person or queue has one override row."
        try:
            targets.checked_targets(value)
        except ValueError as exc:
            return str(exc).replace("throughput_per_hour", "per active hour")
        return None


class CostsForm(SettingForm):
    """The cost of an active hour per role, and the currency it is in."""

    def __init__(self, ops: Operations, write: Callable[[Store, Any, Any], Any], parent: QWidget | None = None):
        super().__init__(
            "Cost per hour", "What an active hour costs, per role; a person costs their most expensive priced "
            "role. Cost per decision is reported from it. Veil has no sites, so there is one rate per role.",
            ops, write, parent)
        self.currency = QLineEdit()
        self.currency.setMaxLength(8)
        self.currency.setAccessibleName("Currency")
        self.currency.textChanged.connect(self.edited)
        self.add_row(0, "Currency", self.currency)
        self.rates = {}
        for row, role in enumerate(ROLES, 1):
            box = spin(0, 10_000, "per hour", whole=False, decimals=2)
            box.setSpecialValueText("no rate")
            box.setAccessibleName(f"Cost per hour of a {role}")
            box.valueChanged.connect(self.edited)
            self.add_row(row, f"{role.capitalize()}", box)
            self.rates[role] = box
        self.fields.setColumnStretch(2, 1)  # the boxes keep their width; the spare room stays on the right

    def show_value(self, value: dict[str, Any]) -> None:
        self.currency.setText(value.get("currency", "EUR"))
        for role, box in self.rates.items():
            box.setValue(value.get("roles", {}).get(role, 0))

    def value(self) -> dict[str, Any]:
        return {"currency": self.currency.text().strip(),
                "roles": {role: box.value() for role, box in self.rates.items() if box.value() > 0}}

    def problem(self, value: dict[str, Any]) -> str | None:
        try:
            costs.checked_costs(value)
        except ValueError as exc:
            return str(exc)
        return None


class TargetsTab(QScrollArea):
    """Both forms, for *lead*; reads them when built and after any setting changed."""

    def __init__(self, lead: User, ops: Operations, parent: QWidget | None = None):
        super().__init__(parent)
        self.ops = ops

        def saving(setting: settings.Setting) -> Callable[[Store, Any, Any], Any]:
            return lambda writer, value, started: settings.write(writer, lead, setting, value, expected=started)

        self.forms = {"targets": TargetsForm(ops, saving(targets.TARGETS)),
                      "costs": CostsForm(ops, saving(costs.COST_PER_HOUR))}
        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(4, 8, 16, 8)
        for form in self.forms.values():
            column.addWidget(form)
            form.saved.connect(lambda *_: self.refresh())
            form.reverted.connect(self.refresh)
        column.addStretch(1)
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setWidget(body)
        ops.changed.connect(lambda kinds: self.refresh() if "setting" in kinds and self.isVisible() else None)
        self.refresh()

    def refresh(self) -> None:
        self.ops.query(load, on_done=self._loaded, on_error=self._failed, owner=self)

    def _loaded(self, current: TargetSettings) -> None:
        form = self.forms["targets"]
        assert isinstance(form, TargetsForm)
        form.set_names(current.names, current.team_accuracy)
        for key, value in (("targets", current.targets), ("costs", current.costs)):
            if not self.forms[key].dirty():  # what a lead is typing is never overwritten by a reload
                self.forms[key].loaded(value, current.changes[key], current.started[key])

    def _failed(self, exc: BaseException) -> None:
        if not isinstance(exc, VeilError):
            raise exc
        for form in self.forms.values():
            form.changed.setText(f"Could not be read: {exc}")

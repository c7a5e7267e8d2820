"""The rule forms: the wellbeing policy (breaks, budgets) and the audit rubric (weights, with live example scores).

The wellbeing form is built from ``review.wellbeing.policy.LIMITS`` and
``DECIMALS``: one spin box per rule, its range and precision exactly the
domain's (so a stored policy shows as it is, and the form is clean once
read), its unit after the number; the rubric's boxes likewise use
``audit.audits.MAX_WEIGHT``, ``MAX_MULTIPLIER`` and ``RUBRIC_DECIMALS``.
A policy that does not hold together (a micro-break longer than the
severe break) is said as the domain says it. The rubric form
shows, as weights change, the score each error type would get at each
severity (``100 − weight × multiplier``), so a lead sees what a change does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QLabel, QWidget

from audit.audits import MAX_MULTIPLIER, MAX_WEIGHT, RUBRIC_DECIMALS, Rubric
from audit.store.schema import ERROR_TYPES, SEVERITIES
from review.store import Store
from review.wellbeing.policy import DECIMALS, LIMITS, WellbeingError, WellbeingPolicy
from ui.operations import Operations
from ui.pages.settings_forms import SettingForm, spin


def unit_of(name: str) -> str:
    """The unit a policy field is in, from its name (``_min`` minutes, ``_s`` seconds, ``_pct`` percent)."""
    if name.endswith("_min"):
        return "min"
    if name.endswith("_s"):
        return "s"
    if name.endswith("_pct"):
        return "%"
    return ""


def words(name: str) -> str:
    """A field's name as a person reads it: ``severe_budget_min`` → "Severe budget"."""
    text = name.removesuffix("_min").removesuffix("_s").removesuffix("_pct").replace("_", " ")
    return text[:1].upper() + text[1:]


class WellbeingForm(SettingForm):
    """Every rule of the wellbeing policy, in two columns."""

    def __init__(self, ops: Operations, write: Callable[[Store, Any, Any], Any], parent: QWidget | None = None):
        super().__init__(
            "Wellbeing policy",
            "Breaks, snoozes and the daily severe budget for everyone. Each desk uses the new rules from its "
            "next sign-in.", ops, write, parent)
        self.boxes = {}
        for index, (name, (low, high, what)) in enumerate(LIMITS.items()):
            box = spin(low, high, unit_of(name), whole=DECIMALS[name] == 0, decimals=DECIMALS[name])
            box.setAccessibleName(words(name))
            box.valueChanged.connect(self.edited)
            self.add_row(index // 2, words(name), box, column=index % 2, hint=f"{what} ({low:g}–{high:g})")
            self.boxes[name] = box
        self.fields.setColumnStretch(4, 1)

    def show_value(self, value: dict[str, Any]) -> None:
        policy = WellbeingPolicy.from_dict(value)
        for name, box in self.boxes.items():
            box.setValue(getattr(policy, name))

    def value(self) -> dict[str, Any]:
        return {name: box.value() for name, box in self.boxes.items()}

    def dirty(self) -> bool:  # the stored value may be partial: compare the policies they mean
        return self._stored is not None and self.value() != WellbeingPolicy.from_dict(self._stored).as_dict()

    def problem(self, value: dict[str, Any]) -> str | None:
        try:
            WellbeingPolicy.from_dict(value)
        except WellbeingError as exc:
            return str(exc)
        return None


class RubricForm(SettingForm):
    """Error-type weights and severity multipliers, and the score each pair would give."""

    def __init__(self, ops: Operations, write: Callable[[Store, Any, Any], Any], parent: QWidget | None = None):
        super().__init__(
            "Audit rubric",
            "An incorrect decision scores 100 − weight × multiplier (never below 0); a correct one 100. "
            "Scores already given keep their value.", ops, write, parent)
        self.weights = {}
        for row, error_type in enumerate(ERROR_TYPES):
            box = spin(0, MAX_WEIGHT, "points", whole=False, decimals=RUBRIC_DECIMALS)
            box.setAccessibleName(f"{words(error_type)} weight")
            self.add_row(row, words(error_type), box)
            self.weights[error_type] = box
        self.multipliers = {}
        for row, severity in enumerate(SEVERITIES):
            box = spin(0, MAX_MULTIPLIER, "×", whole=False, step=0.1, decimals=RUBRIC_DECIMALS)
            box.setAccessibleName(f"{severity.capitalize()} multiplier")
            self.add_row(row, f"{severity.capitalize()} multiplier", box, column=1)
            self.multipliers[severity] = box
        for box in (*self.weights.values(), *self.multipliers.values()):
            box.valueChanged.connect(self.edited)
        self.example = QLabel()
        self.example.setObjectName("resultDetail")
        self.example.setAccessibleName("Example scores")
        self.fields.addWidget(self.example, len(ERROR_TYPES), 0, 1, 5)
        self.fields.setColumnStretch(4, 1)

    def show_value(self, value: dict[str, dict[str, float]]) -> None:
        for key, box in self.weights.items():
            box.setValue(value["error_types"][key])
        for key, box in self.multipliers.items():
            box.setValue(value["severity"][key])
        self._examples()

    def value(self) -> dict[str, dict[str, float]]:
        return {"error_types": {k: b.value() for k, b in self.weights.items()},
                "severity": {k: b.value() for k, b in self.multipliers.items()}}

    def edited(self, *_: object) -> None:
        self._examples()
        super().edited()

    def _examples(self) -> None:
        value = self.value()
        rubric = Rubric(value["error_types"], value["severity"])
        head = "".join(f"<th style='padding:0 14px'>{s}</th>" for s in SEVERITIES)
        rows = "".join(
            f"<tr><td>{words(e)}</td>"
            + "".join(f"<td align=center>{rubric.score('incorrect', e, s):g}</td>" for s in SEVERITIES) + "</tr>"
            for e in ERROR_TYPES)
        self.example.setText(f"<table><tr><th align=left>Score if incorrect</th>{head}</tr>{rows}</table>")

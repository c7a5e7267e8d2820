"""The QA setup page's "Sampling plans" tab: create, edit, pause or resume a plan, and preview what it would draw.

A plan's queues are chosen from the queues as they are now and stored by
id (``audit.plans``), so a later rename or merge keeps the plan working; a
queue the plan lost before plans held ids shows as "queue gone". Preview
is a read (``audit.sampling.preview_plan``): how many decisions running the
plan now would draw, why, from which queues and moderators; nothing is
drawn. Keys: Alt + the underlined letter, Enter edits, F5 reloads.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from audit import plans, sampling
from audit.plans import Plan
from review.store import User
from ui.operations import Operations
from ui.pages.qa_common import ReadOnlyTable, local_time
from ui.pages.qa_tab import SetupTab
from ui.pages.queue_admin_dialogs import ChangeDialog, in_words
from ui.widgets.modal import open_returning

COLUMNS = ("Plan", "Status", "Rate", "Daily minimum", "Strata", "Boosts", "Queues", "Last run")
PREVIEW_COLUMNS = ("Decision", "Queue", "Moderator", "Decided", "Why")
STRATA = (("None", None), ("By queue", "queue"), ("By action", "action"), ("By first label", "label"))
#: Each boost: its words and the extra field it needs (the rate is always asked).
BOOSTS = {"new": ("New moderators' first", "first"), "fast": ("Decisions faster than (s)", "seconds"),
          "escalation": ("Escalations", None), "reversed": ("Reversed decisions", None)}


def percent(rate: float) -> str:
    return f"{rate * 100:g} %"


def boosts_words(boosts: dict[str, dict[str, float]]) -> str:
    parts = []
    for kind, spec in boosts.items():
        extra = {"first": f" first {spec.get('first', 0):g}", "seconds": f" < {spec.get('seconds', 0):g} s"}
        parts.append(f"{kind}{extra.get(BOOSTS[kind][1] or '', '')} at {percent(spec['rate'])}")
    return ", ".join(parts) or "—"


class PlansTab(SetupTab):
    def __init__(self, lead: User, ops: Operations):
        super().__init__(lead, ops, name="qaPlans", columns=COLUMNS, stretch=6,
                         load=lambda reader: (plans.plans(reader), plans.queue_choices(reader)),
                         reload_on={"audit", "queue"},
                         hint="Plans draw decisions for blind audit. Queues are kept by identity: a renamed or "
                              "merged queue stays in its plans. Preview shows what a plan would draw now.")
        self.table.setAccessibleName("Sampling plans")
        self.queue_choices: list[tuple[int, str]] = []  # (id, name) of the queues not merged away
        self.add_button("new", "&New plan…", self.new_plan)
        self.add_button("edit", "&Edit…", self.edit_plan)
        self.add_button("pause", "&Pause…", self.toggle_pause)
        self.add_button("preview", "Pre&view…", self.preview)
        self.bar.addStretch(1)
        self.table.activated.connect(lambda _index: self.edit_plan())

    def _loaded(self, rows: Any) -> None:
        found, self.queue_choices = rows
        super()._loaded(found)

    def key(self, row: Plan) -> int:
        return row.id

    def cells(self, p: Plan) -> list[str]:
        return [p.name, "Active" if p.active else "Paused", percent(p.rate),
                f"{p.min_per_moderator_per_day} per moderator" if p.min_per_moderator_per_day else "—",
                dict((v, k) for k, v in STRATA).get(p.strata, "—") if p.strata else "—",
                boosts_words(p.boosts), p.queue_words(), local_time(p.last_run_at)]

    def selection_changed(self) -> None:
        chosen = self.selected()
        for key in ("edit", "pause", "preview"):
            self.buttons[key].setEnabled(chosen is not None)
        self.buttons["pause"].setText("&Resume…" if chosen is not None and not chosen.active else "&Pause…")

    # -------------------------------------------------------------- changes
    def new_plan(self) -> ChangeDialog:
        return self._plan_dialog(None)

    def edit_plan(self) -> ChangeDialog | None:
        chosen = self.need_selected("a plan")
        return self._plan_dialog(chosen) if chosen is not None else None

    def toggle_pause(self) -> ChangeDialog | None:
        chosen = self.need_selected("a plan")
        if chosen is None:
            return None
        resume, name = not chosen.active, chosen.name
        dialog = ChangeDialog(
            self, "Resume plan" if resume else "Pause plan", "Resume" if resume else "Pause",
            work=lambda: (lambda s: plans.set_active(s, self.lead, name, resume)),
            describe=lambda: (f"“{name}” will draw again on its next run, from the decisions made from now on; "
                              "those made while it was paused are never drawn." if resume else
                              f"“{name}” will draw nothing until it is resumed, not even when run by name; the "
                              "decisions made meanwhile are never drawn. Samples already drawn stay."),
            done=lambda p: f"“{p.name}” is {'active' if p.active else 'paused'}.")
        return self.open(dialog, dialog.ok)

    def preview(self) -> PreviewWindow | None:
        chosen = self.need_selected("a plan")
        if chosen is None:
            return None
        window = PreviewWindow(self, chosen.name)
        name, lead = chosen.name, self.lead
        self.ops.query(lambda s: sampling.preview_plan(s, lead, name), on_done=window.show_preview,
                       on_error=lambda exc: window.say(in_words(exc)), owner=window)
        open_returning(window)
        return window

    def _plan_dialog(self, old: Plan | None) -> ChangeDialog:
        name = QLineEdit(old.name if old else "")
        name.setReadOnly(old is not None)
        rate = QDoubleSpinBox()
        rate.setRange(0, 100)
        rate.setDecimals(2)
        rate.setSuffix(" %")
        rate.setValue(old.rate * 100 if old else 5)
        minimum = QSpinBox()
        minimum.setRange(0, 1000)
        minimum.setSuffix(" per moderator per day")
        minimum.setValue(old.min_per_moderator_per_day if old else 0)
        strata = QComboBox()
        for text, value in STRATA:
            strata.addItem(text, value)
        strata.setCurrentIndex(max(strata.findData(old.strata if old else None), 0))
        every = QCheckBox("Every queue")
        queues = QListWidget()
        queues.setAccessibleName("Queues")
        queues.setMaximumHeight(130)
        # Ids, never names: a plan may hold a queue merged away since, shown ticked as "spam (merged into
        # abuse)"; it is kept unless the lead unticks it.
        held = {q.id: q.words() for q in old.queues if q.id is not None} if old and old.queues else {}
        choices = dict(self.queue_choices)
        for queue_id, words in [*choices.items(), *((i, w) for i, w in held.items() if i not in choices)]:
            entry = QListWidgetItem(words)
            entry.setData(Qt.ItemDataRole.UserRole, queue_id)
            entry.setFlags(entry.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            entry.setCheckState(Qt.CheckState.Checked if queue_id in held else Qt.CheckState.Unchecked)
            queues.addItem(entry)
        gone = [q.words() for q in old.queues if q.gone] if old and old.queues else []
        every.setChecked(old is None or old.queues is None)
        queues.setEnabled(not every.isChecked())
        every.toggled.connect(lambda on: queues.setEnabled(not on))
        boosts = BoostRows(old.boosts if old else {})

        def ticked() -> list[QListWidgetItem] | None:
            if every.isChecked():
                return None
            return [queues.item(i) for i in range(queues.count())
                    if queues.item(i).checkState() == Qt.CheckState.Checked]

        def settings() -> dict[str, Any]:
            given: dict[str, Any] = {"rate": round(rate.value() / 100, 6),
                                     "min_per_moderator_per_day": minimum.value(),
                                     "strata": strata.currentData(), "boosts": boosts.value()}
            picked = ticked()
            ids = None if picked is None else [entry.data(Qt.ItemDataRole.UserRole) for entry in picked]
            unchanged = old is not None and ((old.queues is None and ids is None) or (
                old.queues is not None and ids is not None and set(ids) == set(held)))
            if not unchanged:  # the queues go only when the ticks changed: an edit of the rate keeps them whole
                given["queues"] = ids
            return given

        def work() -> Any:
            given = settings()
            if old is None:
                return lambda s: plans.create_plan(s, self.lead, name.text(), **given)
            return lambda s: plans.edit_plan(s, self.lead, old.name, **given)

        def describe() -> str:
            picked = ticked()
            where = "every queue" if picked is None else (", ".join(entry.text() for entry in picked)
                                                          or "no queue yet — tick at least one")
            text = (f"Draws {rate.value():g} % of the decisions in {where}"
                    + (f", at least {minimum.value()} per moderator per completed day" if minimum.value() else "")
                    + ".")
            if gone:
                text += (f" Kept from before plans held queue ids: {', '.join(gone)}; it samples nothing and goes"
                         " once the ticks change.")
            if old is None:
                text += " A new plan samples decisions made from now on."
            return text

        dialog = ChangeDialog(self, f"Edit “{old.name}”" if old else "New sampling plan",
                              "Save" if old else "Create", work=work, describe=describe,
                              done=lambda p: f"Saved the plan “{p.name}”: {p.queue_words()}.")
        self.form(dialog, ("Name", name), ("Rate", rate), ("Minimum", minimum), ("Strata", strata),
                  ("", every), ("Queues", queues), ("Boosts", boosts))
        boosts.changed.connect(dialog.update_summary)
        return self.open(dialog, rate if old else name)


class BoostRows(QWidget):
    """One row per boost: on or off, its rate, and the number it needs (first N decisions, under S seconds)."""

    changed = Signal()

    def __init__(self, current: dict[str, dict[str, float]]):
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self._rows: dict[str, tuple[QCheckBox, QDoubleSpinBox, QDoubleSpinBox | None]] = {}
        for kind, (words, field) in BOOSTS.items():
            spec = current.get(kind, {})
            on = QCheckBox(words)
            on.setChecked(kind in current)
            amount = None
            row = QHBoxLayout()
            row.addWidget(on, 1)
            if field:
                amount = QDoubleSpinBox()
                amount.setRange(1, 100_000)
                amount.setDecimals(0 if field == "first" else 1)
                amount.setValue(spec.get(field, 50 if field == "first" else 8))
                amount.setAccessibleName(f"{words} {field}")
                row.addWidget(amount)
            rate = QDoubleSpinBox()
            rate.setRange(0, 100)
            rate.setSuffix(" %")
            rate.setValue(spec.get("rate", 0.5) * 100)
            rate.setAccessibleName(f"{words} rate")
            row.addWidget(QLabel("at"))
            row.addWidget(rate)
            layout.addLayout(row)
            for widget in (on, rate, amount):
                if widget is not None:
                    (widget.toggled if isinstance(widget, QCheckBox) else widget.valueChanged).connect(
                        lambda *_: self.changed.emit())
            self._rows[kind] = (on, rate, amount)

    def value(self) -> dict[str, dict[str, float]]:
        chosen = {}
        for kind, (on, rate, amount) in self._rows.items():
            if on.isChecked():
                spec = {"rate": round(rate.value() / 100, 6)}
                if amount is not None:
                    field = BOOSTS[kind][1] or ""
                    spec[field] = int(amount.value()) if field == "first" else amount.value()
                chosen[kind] = spec
        return chosen


class PreviewWindow(QDialog):
    """What a plan would draw now, read without drawing it."""

    def __init__(self, parent: QWidget, plan: str):
        super().__init__(parent)
        self.setObjectName("planPreview")
        self.setWindowTitle(f"Preview “{plan}”")
        self.setMinimumWidth(640)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.text = QLabel("Counting what it would draw…")
        self.text.setObjectName("changeSummary")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # The decisions it would draw, so a lead sees which (and checks one) before a run draws them.
        self.table = ReadOnlyTable(PREVIEW_COLUMNS, "planPreviewTable", stretch=1)
        self.table.setAccessibleName("Decisions it would draw")
        self.table.setVisible(False)
        self.more = QLabel("")
        self.more.setObjectName("hint")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.more)
        layout.addWidget(buttons)

    def show_preview(self, seen: sampling.PlanPreview) -> None:
        lines = [f"Run now, “{seen.plan}” would draw {seen.drawn:,} of the {seen.unsampled:,} decisions it has "
                 f"not sampled yet (queues: {seen.queues})."]
        if not seen.active:
            lines.append("It is paused and draws nothing. These are what its settings would draw from its "
                         "decisions so far; once resumed, it draws only decisions made from then on.")
        for title, counts in (("Why", seen.by_reason), ("From queues", seen.by_queue),
                              ("From moderators", seen.by_moderator)):
            if counts:
                lines.append(f"{title}: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
        lines += [f"Why none: {why}" for why in seen.why_none]
        lines.append("Nothing has been drawn.")
        self.text.setText("\n".join(lines))
        self.table.set_rows([([str(d.id), d.queue, d.moderator, local_time(d.decided_at), d.reason], d.id)
                             for d in seen.decisions])
        self.table.setVisible(bool(seen.decisions))
        if len(seen.decisions) < seen.drawn:
            self.more.setText(f"The first {len(seen.decisions):,} of {seen.drawn:,} are listed.")

    def say(self, words: str) -> None:
        self.text.setText(words)

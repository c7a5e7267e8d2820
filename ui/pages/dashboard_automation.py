"""The dashboard's "Automation" tab: per rule its automation rate, audited accuracy, exposure spared and state,
and a lead's revoke (every decision a rule made in a window) and resume.

Figures are ``audit.automation``'s over the dashboard's accuracy window, read through the operations runner
when the tab is shown (after ``audit.automation.judge`` has suspended any rule now judged below its floor)
and again when automation or audits change. Revoking takes two presses: the first counts what the window
holds (inclusive bounds, a bare "to" date the whole day, as reports read them) and says so on the button, the
second revokes that window only if it still holds that many; editing anything starts over.
Both actions are ``review.known.automation``'s, which check the lead's role as the command line does.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from audit import automation
from audit.metrics.assembly import date_range
from review.errors import VeilError
from review.known import automation as review_automation
from review.store import Store, User
from ui.operations import Operations
from ui.pages.qa_common import ReadOnlyTable, text_label
from ui.refresh import SingleFlight

COLUMNS = ("Rule", "Version", "Decided", "Revoked", "Rate", "Accuracy", "95 % interval", "Spared", "State")


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def spared(ms: int) -> str:
    """"3 h 20 min", "12 min", "—"."""
    minutes = round(ms / 60000)
    if not minutes:
        return "—"
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def cells(f: automation.RuleFigures) -> tuple[str, ...]:
    interval = f.accuracy.ci95
    return (f.rule, str(f.version or "—"), str(f.decisions), str(f.revoked), percent(f.rate),
            f"{percent(f.accuracy.value)} (n={f.accuracy.n})" if f.accuracy.n else "not audited",
            f"{percent(interval[0])}–{percent(interval[1])}" if interval else "—", spared(f.spared_ms),
            "suspended" if f.suspended_since else "deciding")


def say_suspended(window: QMainWindow, ops: Operations, user: User) -> None:
    """At a lead's sign-in, judge every rule against its floor (a write: it may suspend one), then say in the
    status bar which rules are suspended, if any (``audit.automation.notice``)."""
    if not user.has("lead"):
        return

    def said(text: str | None) -> None:
        if text:  # after what sign-in said already (keys left out), not over it
            earlier = window.statusBar().currentMessage()
            window.statusBar().showMessage(f"{earlier}  {text}" if earlier else text, 30_000)

    def judged(_stopped: object) -> None:
        ops.query(lambda reader: automation.notice(reader, user), on_done=said, owner=window)

    ops.write(automation.judge, on_done=judged, on_error=lambda _exc: judged(None), owner=window)


def _judged_figures(store: Store, lead: User) -> tuple[list[automation.RuleFigures], float]:
    return automation.figures(store, lead), automation.floor(store)


class AutomationTab(QWidget):
    def __init__(self, lead: User, ops: Operations, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("dashboardAutomation")
        self.lead, self.ops = lead, ops
        self.figures: list[automation.RuleFigures] = []
        self.confirming: tuple[str, str, str, int] | None = None  # (rule, from, to, count) the next press revokes
        self.status = QLabel("Loading…")
        self.status.setTextFormat(Qt.TextFormat.PlainText)  # rule, list and queue names are stored text
        self.status.setObjectName("updated")
        self.status.setWordWrap(True)
        self._loads = SingleFlight(lambda reader: _judged_figures(reader, lead), ops, parent=self,
                                   reload_on={"automation", "audit", "decision"}, when=self.isVisible)
        self._loads.loaded.connect(self._loaded)
        self._loads.failed.connect(lambda exc: self.status.setText(f"Could not load automation's figures: {exc}"))
        self.table = ReadOnlyTable(COLUMNS, "automationRules", stretch=0)
        self.table.setAccessibleName("Automation per rule")
        for column in range(1, len(COLUMNS)):  # the figures take what they need; the rule's name the rest
            self.table.horizontalHeader().setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.suspended = text_label("ruleMessage")
        self.suspended.setAccessibleName("Suspended rules")
        self.since, self.until, self.reason = QLineEdit(), QLineEdit(), QLineEdit()
        for field, name, hint in ((self.since, "Revoke from", "from, e.g. 2026-01-05T08:00Z"),
                                  (self.until, "Revoke to", "to (inclusive), e.g. 2026-01-05T12:00Z"),
                                  (self.reason, "Reason", "why (required to resume; kept with a revocation)")):
            field.setAccessibleName(name)
            field.setPlaceholderText(hint)
            field.textEdited.connect(self._start_over)
        self.revoke_button = QPushButton("&Revoke decisions in window…")
        self.revoke_button.setAccessibleName("Revoke the selected rule's decisions in the window")
        self.revoke_button.clicked.connect(self.revoke)
        self.resume_button = QPushButton("Res&ume rule")
        self.resume_button.setAccessibleName("Resume the selected suspended rule")
        self.resume_button.clicked.connect(self.resume)
        form = QFormLayout()
        form.addRow("From (UTC)", self.since)
        form.addRow("To (UTC)", self.until)
        form.addRow("Reason", self.reason)
        buttons = QHBoxLayout()
        buttons.addWidget(self.revoke_button)
        buttons.addWidget(self.resume_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(text_label(
            "hint", f"Over the last {automation.DAYS} days. Rate: a rule's automated decisions / every item "
            "received. Accuracy: its audited decisions judged correct (final verdicts), with n and the Wilson 95 % "
            "interval. Spared: the exposure its standing decisions spared people (each × the median on-screen time "
            "a person's decision carried in the same queue). A suspended rule only suggests: its interval's upper "
            "bound fell below the floor."))
        layout.addWidget(self.suspended)
        layout.addWidget(self.table, 1)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.status)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.ops.write(automation.judge, on_done=lambda _stopped: self._loads.request(),
                       on_error=lambda _exc: self._loads.request(), owner=self)

    def _loaded(self, loaded: tuple[list[automation.RuleFigures], float]) -> None:
        self.figures, floor = loaded
        self.table.set_rows([(cells(f), n) for n, f in enumerate(self.figures)])
        stopped = [f.rule for f in self.figures if f.suspended_since]
        self.suspended.setText(f"Suspended below the {floor:.0%} floor (suggests only): {', '.join(stopped)}. "
                               "Select one, write why and press Resume to let it decide again." if stopped else "")
        self.suspended.setVisible(bool(stopped))
        if not self.figures:
            self.status.setText("No rule or list has decided anything yet.")
        elif self.status.text() in ("Loading…", "No rule or list has decided anything yet."):
            self.status.setText("")  # a revocation's or a refusal's words stay until the next action

    def selected(self) -> automation.RuleFigures | None:
        key = self.table.current_key()
        return self.figures[key] if key is not None and key < len(self.figures) else None

    def _selection_changed(self) -> None:
        """Another rule chosen: a confirmation asked for the last one no longer holds (a reload keeps it)."""
        chosen = self.selected()
        if self.confirming is not None and (chosen is None or chosen.rule != self.confirming[0]):
            self._start_over()

    def _start_over(self) -> None:
        if self.confirming is not None:
            self.confirming = None
            self.revoke_button.setText("&Revoke decisions in window…")
            self.status.setText("")

    def revoke(self) -> None:
        """First press: count the window's standing decisions and ask; second press: revoke exactly that many
        (the domain refuses, in words, when the window holds another number by then)."""
        rule = self.selected()
        if rule is None:
            self.status.setText("Choose a rule first.")
            return
        typed_since, typed_until = self.since.text().strip(), self.until.text().strip()
        reason = self.reason.text().strip()
        if not typed_since or not typed_until:
            self.status.setText("Give the window: from and to (UTC, e.g. 2026-01-05T08:00Z; a bare date is the "
                                "whole day).")
            return
        try:  # inclusive bounds as reports read them: a bare "to" date is that whole day
            since, until = date_range(typed_since, typed_until)
        except VeilError as exc:
            self.status.setText(str(exc))
            return
        name, lead, start = rule.rule, self.lead, since or typed_since
        if self.confirming is not None and self.confirming[:3] == (name, typed_since, typed_until):
            expected = self.confirming[3]
            self.ops.write(lambda store: review_automation.revoke(store, lead, name, start, until, reason=reason,
                                                                  expected=expected),
                           on_done=self._revoked, on_error=self._refused, owner=self)
            return
        self.ops.query(lambda reader: review_automation.revocable(reader, lead, name, start, until),
                       on_done=lambda found: self._ask(typed_since, typed_until, found), on_error=self._refused,
                       owner=self)

    def _ask(self, since: str, until: str, found: review_automation.Revocation) -> None:
        count = found.revoked
        if not count:
            self.status.setText(found.words(done=False))
            return
        self.confirming = (found.rule, since, until, count)
        self.revoke_button.setText(f"Confirm: &revoke {count} decision{'s' if count != 1 else ''}")
        self.status.setText(f"{found.words(done=False)} Press the button again to confirm, or change the window "
                            "to start over.")
        self.revoke_button.setFocus()

    def _revoked(self, done: review_automation.Revocation) -> None:
        self._start_over()
        self.status.setText(done.words(done=True))

    def resume(self) -> None:
        rule = self.selected()
        if rule is None or not rule.suspended_since:
            self.status.setText("Choose a suspended rule first.")
            return
        reason = self.reason.text().strip()
        if not reason:
            self.status.setText("Write why the rule may decide again: the reason is kept with the change.")
            self.reason.setFocus()
            return
        name, lead = rule.rule, self.lead
        self.ops.write(lambda store: review_automation.resume(store, lead, name, reason=reason),
                       on_done=lambda _: self.status.setText(f"{name} decides again; its accuracy is judged on "
                                                             "its decisions from now on."),
                       on_error=self._refused, owner=self)

    def _refused(self, exc: BaseException) -> None:
        self._start_over()
        self.status.setText(str(exc))

    def close_page(self) -> None:
        self._loads.close()

""""My results" for everyone QA touches: how QA scored their decisions, their disputes, their own audits.

Moderators and leads (whose escalation decisions are audited too) see their
audited decisions; an auditor also sees their own audit work on top —
audits today and over the dashboard's days, per day, time per audit, how
often they judged a decision wrong and how often a lead overturned them —
the same figures the lead's dashboard shows (``audit.metrics.auditors``).
Everything comes from one desk read, ``AuditDesk.my_page``.

Each row is one audited decision with its *final* result (after any
dispute); the auditor stays anonymous here, as in the domain. A result judged incorrect can be disputed once,
with a reason (required): D opens the reason field, Enter sends (one desk
call through the operations runner), Esc cancels. The selected result's
history (blind decision, score, dispute, the lead's resolution) loads in
the background, and the list reloads when audits or disputes change.

The accuracy line is ``audit.metrics.accuracy`` with its Wilson 95 %
interval and sample size, as everywhere else in Veil.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from audit import metrics
from audit.desk import AuditDesk, MyResults, ResultRow
from audit.disputes import Result
from audit.metrics.auditors import AuditorWork
from review.store import User
from review.taxonomy import Taxonomy
from ui.operations import Operations
from ui.pages.qa_common import (
    ReadOnlyTable,
    decision_words,
    local_day,
    local_time,
    score_text,
    text_label,
    verdict_words,
    words,
)
from ui.refresh import SingleFlight
from ui.widgets.lists import page_title

COLUMNS = ("Audited", "Item", "Your action", "Verdict", "Error type", "Severity", "Score", "Dispute")
SHOWN_KINDS = {"audit", "dispute"}  # changes that may change the person's results


@dataclass
class ResultsServices:
    """What the page needs, built by the desktop wiring."""

    ops: Operations
    desk: AuditDesk
    user: User


def dispute_state(result: Result) -> str:
    if result.dispute is not None:
        return result.dispute.capitalize()
    return "Can dispute" if result.verdict == "incorrect" else "—"


def can_dispute(result: Result | None) -> bool:
    return result is not None and result.verdict == "incorrect" and result.dispute is None


def work_text(today: AuditorWork | None, recent: AuditorWork | None, days: int) -> str:
    """The auditor's own work in one paragraph; "" for someone who does not audit."""
    if today is None and recent is None:
        return ""
    done_today = today.audits if today is not None else 0
    parts = [f"Your audits: {done_today} today"]
    if recent is not None:
        parts.append(f"{recent.audits} in the last {days} days ({recent.per_day:.1f} a day)")
        if recent.minutes_median is not None:
            parts.append(f"median {recent.minutes_median:.1f} min per audit")
        if recent.audits:
            wrong, overturned = recent.judged_wrong, recent.overturned
            parts.append(f"judged wrong {wrong.k} of {wrong.n} ({wrong.value:.0%})")
            parts.append(f"overturned by a lead in {overturned.k} of {overturned.n} resolved disputes")
        if recent.holding:
            parts.append(f"{recent.holding} open sample{'s' if recent.holding != 1 else ''} waiting for you")
    return "  ·  ".join(parts) + "."


def decides(user: User) -> bool:
    """Whether QA audits this person's decisions: moderators, and leads deciding escalations."""
    return user.has("moderator") or user.has("lead")


def empty_text(user: User) -> str:
    """What an empty list means for this person: nothing audited yet, or nothing of theirs to audit."""
    if not decides(user):
        return ("QA audits the decisions of moderators and leads; as an auditor you decide none, "
                "so this list stays empty. Your own audit work is counted above.")
    escalations = " (escalations you decide included)" if user.has("lead") else ""
    return (f"None of your decisions has been audited yet. QA re-checks a sample of decisions{escalations}; "
            "results appear here.")


def history_lines(steps: list[dict[str, Any]], taxonomy: Taxonomy) -> list[str]:
    """An audit's steps as the moderator reads them (the auditor is "the auditor")."""
    lines = []
    for step in steps:
        when = local_time(step["at"])
        kind = step["step"]
        if kind == "blind":
            text = f"The auditor decided blind: {decision_words(taxonomy, step['action'], step['labels'])}"
        elif kind == "revealed":
            text = "The auditor saw your decision"
        elif kind == "scored":
            text = (f"Scored {verdict_words(step['verdict'], step['error_type'], step['severity'])}, "
                    f"{score_text(step['score'])}" + (f" — “{step['comment']}”" if step["comment"] else ""))
        elif kind == "disputed":
            text = f"You disputed: “{step['reason']}”"
        else:
            text = f"{step['by']} {step['outcome']} the verdict" + (f" — “{step['note']}”" if step["note"] else "")
        lines.append(f"{when}  ·  {text}")
    return lines


class ResultsPage(QWidget):
    loaded = Signal()
    history_shown = Signal()

    def __init__(self, services: ResultsServices, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("resultsPage")
        self.services = services
        self.ops, self.desk, self.user = services.ops, services.desk, services.user
        self.taxonomy = services.desk.taxonomy
        self.results: dict[int, Result] = {}
        self.sending = False  # a dispute is on its way to the store
        user, desk = self.user, self.desk
        self._loads = SingleFlight(lambda reader: desk.my_page(reader, user), self.ops, parent=self,
                                   reload_on=SHOWN_KINDS, when=self.isVisible)
        self._loads.loaded.connect(self._loaded)
        self._loads.failed.connect(self._failed)
        self._build()

    def _build(self) -> None:
        title = page_title("My results")
        self.summary = QLabel("Loading…")
        self.summary.setObjectName("hint")
        head = QHBoxLayout()
        head.addWidget(title)
        head.addSpacing(16)
        head.addWidget(self.summary, 0, Qt.AlignmentFlag.AlignBottom)
        head.addStretch(1)

        self.work = text_label("auditorWork")
        self.work.hide()  # until the person's audit work is there to show
        self.table = ReadOnlyTable(COLUMNS, "resultsTable", stretch=COLUMNS.index("Your action"))
        self.table.setAccessibleName("My results")
        self.table.itemSelectionChanged.connect(self._selected)
        self.empty = QLabel(empty_text(self.user))
        self.empty.setObjectName("emptyState")
        self.empty.setWordWrap(True)
        self.empty.hide()

        self.detail = text_label("resultDetail")
        self.history = text_label("historyView")

        self.dispute_button = QPushButton("Dispute…  (D)")
        self.dispute_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.dispute_button.clicked.connect(self.start_dispute)
        self.reason = QLineEdit()
        self.reason.setObjectName("disputeReason")
        self.reason.setAccessibleName("Dispute reason")
        self.reason.setPlaceholderText("Why is the verdict wrong? Enter sends it to a lead, Esc cancels")
        self.reason.returnPressed.connect(self.send_dispute)
        self.send_button = QPushButton("Send dispute")
        self.send_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.send_button.clicked.connect(self.send_dispute)
        self.form = QFrame()
        self.form.setObjectName("disputeForm")
        form_row = QHBoxLayout(self.form)
        form_row.setContentsMargins(0, 0, 0, 0)
        form_row.addWidget(self.reason, 1)
        form_row.addWidget(self.send_button)
        self.form.hide()
        self.message = text_label("ruleMessage")
        actions = QHBoxLayout()
        actions.addWidget(self.dispute_button, 0, Qt.AlignmentFlag.AlignLeft)
        actions.addWidget(self.form, 1)

        self.keys = QLabel("↑/↓ choose a result  ·  D disputes an incorrect verdict  ·  F5 refreshes")
        self.keys.setObjectName("hint")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 22, 28, 14)
        layout.setSpacing(10)
        layout.addLayout(head)
        layout.addWidget(self.work)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        layout.addWidget(self.detail)
        layout.addWidget(self.history)
        layout.addLayout(actions)
        layout.addWidget(self.message)
        layout.addWidget(self.keys)
        self.setFocusProxy(self.table)
        if not decides(self.user):  # an auditor only: no decisions of theirs to choose, read or dispute
            for widget in (self.dispute_button, self.detail, self.history):
                widget.hide()
            self.keys.setText("F5 refreshes")
            layout.insertStretch(layout.indexOf(self.empty) + 1, 1)  # the hidden list's room goes below

        for key, handler in (("D", self.start_dispute), ("Esc", self.cancel_dispute), ("F5", self.refresh)):
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(handler)

    # ------------------------------------------------------------- loading
    def refresh(self) -> None:
        self._loads.request()

    def _loaded(self, page: MyResults) -> None:
        rows = page.rows
        self.work.setText(work_text(page.today, page.recent, page.days))
        self.work.setVisible(bool(self.work.text()))
        self.results = {row.result.audit_id: row.result for row in rows}
        self.table.set_rows([(self._cells(row), row.result.audit_id) for row in rows])
        self.table.setVisible(bool(rows))
        self.empty.setVisible(not rows)
        share = metrics.accuracy([row.result.verdict == "correct" for row in rows])
        if share.n:
            low, high = share.ci95
            self.summary.setText(f"{share.k} of {share.n} audited decisions correct ({share.value:.0%}; "
                                 f"95 % interval {low:.0%}–{high:.0%})")
        else:
            self.summary.setText("")
        self._selected()
        self.loaded.emit()

    def _cells(self, row: ResultRow) -> tuple[str, ...]:
        r = row.result
        return (local_day(r.scored_at), row.item, decision_words(self.taxonomy, r.action, r.labels),
                r.verdict.capitalize(), words(r.error_type), words(r.severity), score_text(r.score), dispute_state(r))

    def _failed(self, exc: BaseException) -> None:
        self.summary.setText(f"Could not load your results: {exc}")

    def selected(self) -> Result | None:
        key = self.table.current_key()
        return self.results.get(key) if key is not None else None

    def _selected(self) -> None:
        result = self.selected()
        self.dispute_button.setEnabled(can_dispute(result))
        if result is None:
            self.detail.clear()
            self.history.clear()
            return
        self.detail.setText(
            f"{result.queue} · decided {local_time(result.decided_at)} · "
            f"you: {decision_words(self.taxonomy, result.action, result.labels)} · "
            f"the auditor (blind): {decision_words(self.taxonomy, result.blind_action, result.blind_labels)}")
        audit_id, user = result.audit_id, self.user
        self.ops.query(lambda reader: self.desk.result_history(reader, user, audit_id),
                       on_done=lambda steps: self._show_history(audit_id, steps), on_error=self._history_failed,
                       owner=self)

    def _show_history(self, audit_id: int, steps: list[dict[str, Any]]) -> None:
        current = self.selected()
        if current is None or current.audit_id != audit_id:
            return  # another result was chosen meanwhile
        self.history.setText("\n".join(history_lines(steps, self.taxonomy)))
        self.history_shown.emit()

    def _history_failed(self, exc: BaseException) -> None:
        self.history.setText(f"Could not load the history: {exc}")

    # ------------------------------------------------------------ disputes
    def start_dispute(self) -> None:
        result = self.selected()
        if not can_dispute(result):
            self.message.setText("Only an incorrect verdict that is not disputed yet can be disputed."
                                 if result is not None else "Choose a result first.")
            return
        self.message.clear()
        self.form.show()
        self.reason.setFocus()

    def cancel_dispute(self) -> None:
        if self.form.isVisible():
            self.reason.clear()
            self.form.hide()
            self.message.clear()
            self.table.setFocus()

    def send_dispute(self) -> None:
        result = self.selected()
        if result is None or self.sending:
            return  # nothing chosen, or a second Enter while the first is on its way
        user, audit_id, reason = self.user, result.audit_id, self.reason.text()
        self.sending = True
        self.ops.write(lambda store: self.desk.dispute(store, user, audit_id, reason), on_done=self._dispute_sent,
                       on_error=self._dispute_refused, owner=self)

    def _dispute_sent(self, _dispute_id: int) -> None:
        """Sent; the list and the history reload on the ``dispute`` change."""
        self.sending = False
        self.reason.clear()
        self.form.hide()
        self.message.setText("Dispute sent: a lead will uphold or overturn the verdict.")
        self.table.setFocus()

    def _dispute_refused(self, exc: BaseException) -> None:
        self.sending = False
        text = str(exc)
        self.message.setText(text[:1].upper() + text[1:] + ".")

    # ------------------------------------------------------------ plumbing
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()

    def close_page(self) -> None:
        self._loads.close()

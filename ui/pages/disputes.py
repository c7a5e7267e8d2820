"""The lead's Disputes page: judge contested audits; see and run QA sampling.

Each open dispute shows what a fair judgement needs side by side: the
auditor's blind decision, the moderator's decision, the auditor's verdict
and the moderator's reason. U (uphold) or O (overturn) picks the outcome
and opens the note — required, since both people will read why — and
Enter resolves it (the audit desk's ``resolve``); the domain refuses a lead
who made the decision or scored the audit, and the page says so.

Below, one line sums up the audit samples, and "Run sampling now" runs the
active plans (the desk's ``run_sampling``). Every call goes through the
operations runner; the board reloads when disputes or audits change.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from audit.desk import AuditDesk, Board, DisputeCase
from audit.disputes import Dispute
from audit.sampling import RunResult
from review.store import User
from ui.operations import Operations
from ui.pages.qa_common import (
    ReadOnlyTable,
    decision_words,
    local_day,
    local_time,
    score_text,
    text_label,
    verdict_words,
)
from ui.refresh import SingleFlight
from ui.widgets.lists import page_title

COLUMNS = ("Opened", "Moderator", "Item", "Auditor's verdict", "Reason")
OUTCOME_WORDS = {"upheld": "Uphold", "overturned": "Overturn"}
NOTE_HINT = "U or O first, then a note saying why"
SHOWN_KINDS = {"dispute", "audit"}  # changes that may change the board


@dataclass
class DisputesServices:
    """What the page needs, built by the desktop wiring."""

    ops: Operations
    desk: AuditDesk
    user: User


def samples_text(counts: Counter[str]) -> str:
    return (f"Audit samples: {counts['open']} open ({counts['unassigned']} not assigned yet) · "
            f"{counts['audited']} audited · {counts['cancelled']} cancelled")


def sampling_text(results: list[RunResult]) -> str:
    if not results:
        return "No active sampling plan to run."
    drawn = sum(len(r.samples) for r in results)
    plans = ", ".join(f"{r.plan}: {len(r.samples)}" for r in results)
    return f"Sampling drew {drawn} new sample{'s' if drawn != 1 else ''} ({plans})."


class DisputesPage(QWidget):
    loaded = Signal()
    sampled = Signal(str)  # what the run drew, in words

    def __init__(self, services: DisputesServices, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("disputesPage")
        self.services = services
        self.ops, self.desk, self.user = services.ops, services.desk, services.user
        self.taxonomy = services.desk.taxonomy
        self.cases: dict[int, DisputeCase] = {}
        self.outcome: str | None = None  # chosen with U / O, confirmed with Enter in the note
        self._shown: int | None = None  # the dispute in the case panel
        self.sending = False  # a resolution is on its way to the store
        user, desk = self.user, self.desk
        self._loads = SingleFlight(lambda reader: desk.disputes_board(reader, user), self.ops, parent=self,
                                   reload_on=SHOWN_KINDS, when=self.isVisible)
        self._loads.loaded.connect(self._loaded)
        self._loads.failed.connect(self._failed)
        self._build()

    def _build(self) -> None:
        title = page_title("Disputes")
        self.summary = QLabel("Loading…")
        self.summary.setObjectName("hint")
        head = QHBoxLayout()
        head.addWidget(title)
        head.addSpacing(16)
        head.addWidget(self.summary, 0, Qt.AlignmentFlag.AlignBottom)
        head.addStretch(1)

        self.table = ReadOnlyTable(COLUMNS, "disputesTable", stretch=COLUMNS.index("Reason"))
        self.table.setAccessibleName("Disputes")
        self.table.itemSelectionChanged.connect(self._selected)
        self.empty = QLabel("No open disputes. When a moderator contests a verdict, it appears here.")
        self.empty.setObjectName("emptyState")
        self.empty.hide()

        self.case_panel = QWidget()
        self.case_panel.setObjectName("disputeCase")
        grid = QGridLayout(self.case_panel)
        grid.setContentsMargins(0, 0, 0, 0)
        self.where = text_label("resultDetail")
        self.blind_title, self.original_title = text_label("sectionTitle"), text_label("sectionTitle")
        self.blind, self.original = text_label("compareDecision"), text_label("compareDecision")
        self.verdict, self.reason = text_label("disputeVerdict"), text_label("disputeReasonText")
        grid.addWidget(self.where, 0, 0, 1, 2)
        grid.addWidget(self.blind_title, 1, 0)
        grid.addWidget(self.original_title, 1, 1)
        grid.addWidget(self.blind, 2, 0)
        grid.addWidget(self.original, 2, 1)
        grid.addWidget(self.verdict, 3, 0, 1, 2)
        grid.addWidget(self.reason, 4, 0, 1, 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)

        self.uphold_button = QPushButton("U  Uphold the verdict")
        self.overturn_button = QPushButton("O  Overturn: the decision was correct")
        self.note = QLineEdit()
        self.note.setObjectName("note")
        self.note.setAccessibleName("Note")
        self.note.setPlaceholderText(NOTE_HINT)
        self.note.returnPressed.connect(self.confirm)
        self.message = text_label("ruleMessage")
        decide = QHBoxLayout()
        for button, outcome in ((self.uphold_button, "upheld"), (self.overturn_button, "overturned")):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(lambda _=False, o=outcome: self.choose(o))
            decide.addWidget(button)
        decide.addWidget(self.note, 1)

        self.samples = text_label("hint")
        self.sample_button = QPushButton("Run sampling now")
        self.sample_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.sample_button.clicked.connect(self.run_sampling)
        self.sample_result = text_label("hint")
        sample_row = QHBoxLayout()
        sample_row.addWidget(self.samples, 1)
        sample_row.addWidget(self.sample_result)
        sample_row.addWidget(self.sample_button)

        keys = QLabel("↑/↓ choose  ·  U uphold  ·  O overturn  ·  Enter in the note resolves  ·  "
                      "Esc cancels  ·  F5 refreshes")
        keys.setObjectName("hint")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 22, 28, 14)
        layout.setSpacing(10)
        layout.addLayout(head)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        layout.addWidget(self.case_panel)
        layout.addLayout(decide)
        layout.addWidget(self.message)
        layout.addLayout(sample_row)
        layout.addWidget(keys)
        self.setFocusProxy(self.table)

        for key, handler in (("U", lambda: self.choose("upheld")), ("O", lambda: self.choose("overturned")),
                             ("Esc", self.cancel), ("F5", self.refresh)):
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(handler)

    # ------------------------------------------------------------- loading
    def refresh(self) -> None:
        self._loads.request()

    def _loaded(self, board: Board) -> None:
        self.cases = {c.dispute.id: c for c in board.cases}
        self.table.set_rows([(self._cells(c), c.dispute.id) for c in board.cases])
        self.table.setVisible(bool(board.cases))
        self.empty.setVisible(not board.cases)
        count = len(board.cases)
        self.summary.setText(f"{count} open dispute{'s' if count != 1 else ''}")
        self.samples.setText(samples_text(board.samples))
        self._selected()
        self.loaded.emit()

    def _cells(self, case: DisputeCase) -> tuple[str, ...]:
        r = case.result
        return (local_day(case.dispute.opened_at), case.dispute.moderator, case.item,
                verdict_words(r.verdict, r.error_type, r.severity), case.dispute.reason)

    def _failed(self, exc: BaseException) -> None:
        self.summary.setText(f"Could not load the disputes: {exc}")

    def selected(self) -> DisputeCase | None:
        key = self.table.current_key()
        return self.cases.get(key) if key is not None else None

    def _selected(self) -> None:
        case = self.selected()
        self.case_panel.setVisible(case is not None)
        for button in (self.uphold_button, self.overturn_button):
            button.setEnabled(case is not None)
        shown = case.dispute.id if case is not None else None
        if shown != self._shown:  # a refresh keeps a half-written note on the same dispute
            self._shown = shown
            self._reset_choice()
        if case is None:
            return
        r = case.result
        self.where.setText(f"{case.item} in {r.queue} · decided {local_time(r.decided_at)} · "
                           f"disputed {local_time(case.dispute.opened_at)}")
        self.blind_title.setText(f"Auditor's blind decision ({case.auditor})")
        self.original_title.setText(f"Moderator's decision ({case.dispute.moderator})")
        self.blind.setText(decision_words(self.taxonomy, r.blind_action, r.blind_labels))
        self.original.setText(decision_words(self.taxonomy, r.action, r.labels))
        comment = f" — “{r.comment}”" if r.comment else ""
        self.verdict.setText(f"Verdict: {verdict_words(r.verdict, r.error_type, r.severity)} · "
                             f"{score_text(r.score)}{comment}")
        self.reason.setText(f"Moderator's reason: “{case.dispute.reason}”")

    # ------------------------------------------------------------ resolving
    def choose(self, outcome: str) -> None:
        """U / O: pick the outcome, then the note (required) and Enter confirm it."""
        if self.selected() is None:
            self.message.setText("Choose a dispute first.")
            return
        self.outcome = outcome
        self.note.setPlaceholderText(f"{OUTCOME_WORDS[outcome]}: why? Enter confirms, Esc cancels")
        self.message.setText(f"{OUTCOME_WORDS[outcome]}: write a note for the moderator and the auditor, "
                             "then press Enter.")
        self.note.setFocus()

    def confirm(self) -> None:
        if self.sending:
            return  # a second Enter while the first is on its way
        case = self.selected()
        if case is None or self.outcome is None:
            self.message.setText("Press U to uphold or O to overturn first.")
            return
        note = self.note.text().strip()
        if not note:
            self.message.setText("Write a short note first: the moderator and the auditor will read why.")
            return
        user, dispute_id, outcome = self.user, case.dispute.id, self.outcome
        self.sending = True
        self.ops.write(lambda store: self.desk.resolve(store, user, dispute_id, outcome, note),
                       on_done=lambda resolved: self._resolved(case, resolved),
                       on_error=self._refused, owner=self)

    def _refused(self, exc: BaseException) -> None:
        self.sending = False
        self.message.setText(str(exc))

    def _resolved(self, case: DisputeCase, resolved: Dispute) -> None:
        """Resolved; the board reloads on the ``dispute`` change."""
        self.sending = False
        self._reset_choice()
        self.message.setText(f"Dispute {resolved.id} {resolved.outcome}: {case.dispute.moderator} sees it in "
                             "My results.")
        self.table.setFocus()

    def cancel(self) -> None:
        if self.outcome is not None or self.note.hasFocus():
            self._reset_choice()
            self.message.clear()
            self.table.setFocus()

    def _reset_choice(self) -> None:
        self.outcome = None
        self.note.clear()
        self.note.setPlaceholderText(NOTE_HINT)

    # ------------------------------------------------------------- sampling
    def run_sampling(self) -> None:
        self.sample_button.setEnabled(False)
        self.sample_result.setText("Sampling…")
        user = self.user
        self.ops.write(lambda store: self.desk.run_sampling(store, user), on_done=self._sampling_done,
                       on_error=self._sampling_failed, owner=self)

    def _sampling_done(self, results: list[RunResult]) -> None:
        """Drawn; the sample counts reload on the ``audit`` change."""
        self._sampling_finished(sampling_text(results))

    def _sampling_failed(self, exc: BaseException) -> None:
        self._sampling_finished(f"Sampling failed: {exc}")

    def _sampling_finished(self, text: str) -> None:
        self.sample_button.setEnabled(True)
        self.sample_result.setText(text)
        self.sampled.emit(text)

    # ------------------------------------------------------------ plumbing
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()

    def close_page(self) -> None:
        self._loads.close()

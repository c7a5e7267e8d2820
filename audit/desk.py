"""The audit desk: QA work — audit, results, disputes, sampling — one call per key.

Every front end (the desktop pages, a CLI, a test) does QA through this
desk, so a step means the same whoever takes it: each write is one call.
A call that chains domain steps (``audit.audits``) asks the store package
for one unit of work (``audit.store.atomically``), in which each step checks
the role and makes its guarded write as a savepoint, so a refusal halfway
leaves nothing behind. The operations runner hands the desk the right
connection: the writer for a write, a reader for a read. What comes back is
everything the screen paints, so a page never chains calls or opens a
transaction itself.

The blind rule lives in the calls too: :meth:`AuditDesk.take_next` and
:meth:`AuditDesk.open_sample` give the item and nothing of the decision
(unless the blind step is already stored), and the moderator's decision
arrives only from :meth:`AuditDesk.submit_blind`, in the transaction that
stores the auditor's own.
"""

from __future__ import annotations

import datetime as _dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from audit import audits, disputes, roles, sampling
from audit.audits import AuditTask, Original, Rubric, Scored
from audit.dashboard import ACCURACY_DAYS
from audit.disputes import Dispute, Result
from audit.metrics.auditors import AuditorWork
from audit.metrics.auditors import work as auditor_work
from audit.sampling import RunResult, Sample
from audit.store import atomically
from review import serving
from review.clock import iso
from review.store import Store, User
from review.taxonomy import Taxonomy
from review.wellbeing.breaks import refuse_during_break


@dataclass(frozen=True)
class Reveal:
    """Step 2 of an audit: the moderator's decision beside the blind one, and the rubric that scores it."""

    original: Original
    rubric: Rubric


@dataclass(frozen=True)
class Opened:
    """A sample opened for its audit: the item, and the reveal when the blind step was stored earlier."""

    task: AuditTask
    reveal: Reveal | None


@dataclass(frozen=True)
class ResultRow:
    """One of the moderator's results, with the item as they know it (its external id)."""

    result: Result
    item: str


@dataclass(frozen=True)
class MyResults:
    """"My results" for anyone QA touches: their audited decisions, and, for an auditor, their own audit work."""

    rows: list[ResultRow]
    today: AuditorWork | None  # None: they do not audit (and never did)
    recent: AuditorWork | None  # over the dashboard's ACCURACY_DAYS days, the figures a lead sees
    days: int = ACCURACY_DAYS


@dataclass(frozen=True)
class DisputeCase:
    """One open dispute with everything needed to judge it."""

    dispute: Dispute
    result: Result  # the decision, the blind decision and the verdict as scored
    auditor: str
    item: str  # the item's external id


@dataclass(frozen=True)
class Board:
    """The lead's disputes board: open disputes, and audit samples by state (plus "unassigned")."""

    cases: list[DisputeCase]
    samples: Counter[str]


class AuditDesk:
    """QA's workflows over a store the caller hands in (the runner's connection)."""

    def __init__(self, taxonomy: Taxonomy):
        """*taxonomy* checks blind decisions: their actions and labels must exist."""
        self.taxonomy = taxonomy

    # ------------------------------------------------------------ the auditor
    def work_list(self, store: Store, auditor: User, *, limit: int | None = None) -> list[Sample]:
        """The auditor's open samples, blinded (a read); the first *limit* of them."""
        return audits.work_list(store, auditor, limit=limit)

    def work_counts(self, store: Store, auditor: User) -> tuple[int, int]:
        """(assigned to the auditor, in the shared pool) of their open samples (a read)."""
        return audits.work_counts(store, auditor)

    def take_next(self, store: Store, auditor: User) -> Opened | None:
        """Claim the auditor's next sample and open it; None when there is nothing to audit."""
        def claim_and_open() -> Opened | None:
            sample = audits.next_sample(store, auditor)
            return self._open(store, auditor, sample.id) if sample is not None else None

        return atomically(store, claim_and_open)

    def open_sample(self, store: Store, auditor: User, sample_id: int) -> Opened:
        """Open one chosen sample; refused for someone else's sample or the auditor's own decision."""
        return atomically(store, lambda: self._open(store, auditor, sample_id))

    def _open(self, store: Store, auditor: User, sample_id: int) -> Opened:
        refuse_during_break(store, auditor)  # an audit shows an item: a break holds here as in review
        task = audits.start_audit(store, auditor, sample_id)
        if not task.blind_done:
            return Opened(task, None)
        # Resumed after a restart: the blind step is stored, so the original may be seen.
        return Opened(task, Reveal(audits.reveal_original(store, auditor, sample_id), audits.rubric(store)))

    def submit_blind(self, store: Store, auditor: User, sample_id: int, action: str, labels: Sequence[str] = (),
                     note: str = "") -> Reveal:
        """Store the blind decision and reveal the moderator's, in one transaction."""
        def decide_and_reveal() -> Reveal:
            audits.submit_blind(store, auditor, sample_id, action, labels, note, taxonomy=self.taxonomy)
            return Reveal(audits.reveal_original(store, auditor, sample_id), audits.rubric(store))

        return atomically(store, decide_and_reveal)

    def score(self, store: Store, auditor: User, sample_id: int, verdict: str, error_type: str | None = None,
              severity: str | None = None, comment: str = "") -> Scored:
        """Score the revealed decision; the audit is then final."""
        return audits.score(store, auditor, sample_id, verdict, error_type, severity, comment)

    def cancel_sample(self, store: Store, lead: User, sample_id: int, reason: str = "") -> None:
        """A lead withdraws an open sample (kept in the history as cancelled)."""
        audits.cancel_sample(store, lead, sample_id, reason)

    # ---------------------------------------------------------- the moderator
    def my_results(self, store: Store, moderator: User) -> list[ResultRow]:
        """The person's audited decisions with their final results and item names (a read)."""
        return [ResultRow(r, serving.load_item(store, r.item_id).external_id)
                for r in disputes.my_results(store, moderator)]

    def my_page(self, store: Store, person: User) -> MyResults:
        """Everything of "My results" in one read: the person's results and, if they audit, their own work."""
        rows = self.my_results(store, person)
        if not person.has("auditor"):
            return MyResults(rows, None, None)  # no audit work to count: no query for it
        now = store.clock.now()
        today = iso(now.replace(hour=0, minute=0, second=0, microsecond=0))
        since = iso(now - _dt.timedelta(days=ACCURACY_DAYS))
        # Their own row only (own=True), even for a lead who also audits; one filtered count per period.
        [done_today] = auditor_work(store, person, today, None, own=True)
        [recent] = auditor_work(store, person, since, None, own=True)
        return MyResults(rows, done_today, recent)

    def result_history(self, store: Store, viewer: User, audit_id: int) -> list[dict[str, Any]]:
        """One audit's steps as *viewer* may see them (the auditor anonymous to the moderator; a read)."""
        return disputes.history_for(store, viewer, audit_id)

    def dispute(self, store: Store, moderator: User, audit_id: int, reason: str) -> int:
        """The moderator contests an incorrect verdict, saying why; the dispute's id."""
        return disputes.open_dispute(store, moderator, audit_id, reason)

    # --------------------------------------------------------------- the lead
    def disputes_board(self, store: Store, lead: User) -> Board:
        """Open disputes with what judging them needs, and the sample counts (a read; leads only)."""
        roles.require(store, lead, "lead", to="judge disputes")
        open_disputes = disputes.disputes(store, open_only=True)
        results = disputes.results_of_audits(store, [d.audit_id for d in open_disputes])
        cases = []
        for d in open_disputes:
            result = results[d.audit_id]
            auditor = disputes.history(store, d.audit_id)[0]["by"]
            cases.append(DisputeCase(d, result, auditor, serving.load_item(store, result.item_id).external_id))
        all_samples = sampling.samples(store)
        counts = Counter(s.state for s in all_samples)
        counts["unassigned"] = sum(1 for s in all_samples if s.state == "open" and s.auditor is None)
        return Board(cases, counts)

    def resolve(self, store: Store, lead: User, dispute_id: int, outcome: str, note: str) -> Dispute:
        """Uphold or overturn a dispute; refused to the lead who made the decision or scored the audit."""
        return disputes.resolve_dispute(store, lead, dispute_id, outcome, note)

    def run_sampling(self, store: Store, lead: User) -> list[RunResult]:
        """Run the active sampling plans now, as this lead asked."""
        return sampling.run_plans(store, lead)

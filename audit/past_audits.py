"""History import: QA audits done in another tool, as rows of an import manifest.

An audit row scores a moderator's decision, as a Veil audit would have::

    {"type": "audit", "item": "post-123", "moderator": "ana", "auditor": "bo",
     "blind_action": "remove", "blind_labels": ["harassment"], "verdict": "incorrect",
     "error_type": "wrong_label", "severity": "minor", "audited_at": "2025-11-03T08:00:00Z",
     "comment": "harassment, not hate", "queue": "spam", "note": "blind note"}

* The decision scored is the moderator's latest decision on the item (not
  undone) — in the store, or a decision row **earlier** in the same file.
  ``queue`` is needed only when the item id is in several queues.
* ``blind_action`` / ``blind_labels`` are the auditor's own decision, made
  before seeing the moderator's; they must exist in the taxonomy (an action
  that needs a label has one; the note rule is the moderator's, not the
  auditor's, as in Veil). ``note`` is the auditor's blind note.
* ``verdict`` is ``correct`` or ``incorrect``. ``incorrect`` needs an
  ``error_type`` (missed_violation, over_enforcement, wrong_label,
  wrong_action, procedural) and a ``severity`` (minor, major, critical);
  ``correct`` has neither.
* ``audited_at`` (ISO 8601, not in the future, not before the decision).
* Nobody audits their own decision: ``auditor`` ≠ ``moderator``.
* A decision is audited once: a second audit row for it is refused, and so
  is one for a decision Veil already sampled (unless it is this very audit,
  imported before: then it is counted as present — re-importing adds nothing).

Each audit becomes what a Veil audit leaves behind: an ``audit_samples`` row
(plan ``import``, reason :data:`IMPORT_REASON`, state ``audited``) and an
``audits`` row with the blind decision, the verdict and the rubric score at
import time (blind, reveal and score all at ``audited_at``), so
``veil metrics`` counts it. One ``audit.imported`` event per audit and one
``audits.imported`` per import. Only a lead imports audits (an audit row
scores a colleague; the check is the handler's own, inside the import's
transaction). Auditors the store does not know are created with the
``auditor`` role (an existing user gets the role added).

Like decision rows, audit rows wait in the import's scratch file and are
resolved and written a chunk at a time (``review.imports.past_decisions``):
the decision each scores is found there, indexed, however long the history.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from audit.audits import rubric
from audit.store import audits as audit_rows
from audit.store import samples as sample_rows
from audit.store.schema import ERROR_TYPES, SEVERITIES, VERDICTS
from review.errors import StoreError
from review.imports import history_fields as checks
from review.imports import past_decisions as history
from review.imports.handlers import ImportContext, ImportRun, RowHandler, _given
from review.imports.past_decisions import ItemRef, KnownDecision, Pending

AUDIT_FIELDS = ("type", "item", "queue", "moderator", "auditor", "blind_action", "blind_labels", "note", "verdict",
                "error_type", "severity", "comment", "audited_at")

#: The sampling plan name imported audits carry (``audit_samples.plan``).
IMPORT_PLAN = "import"
IMPORT_REASON = "import"


@dataclass(slots=True)
class PastAudit:
    """An audit row whose fields are fine."""

    line: int
    row: dict[str, Any]
    external_id: str
    queue: str | None
    moderator: str
    auditor: str
    blind_action: str
    blind_labels: tuple[str, ...]
    blind_note: str
    verdict: str
    error_type: str | None
    severity: str | None
    comment: str
    audited_at: str
    item: ItemRef | None = None
    decision: KnownDecision | None = None

    def same_as(self, stored: tuple[Any, ...]) -> bool:
        """Whether a stored (auditor, verdict, error type, severity, scored_at) is this audit."""
        return stored == (self.auditor, self.verdict, self.error_type, self.severity, self.audited_at)

    def fields(self) -> tuple[Any, ...]:
        """As kept in the import's scratch file (:meth:`of` again)."""
        decision = self.decision
        return (self.row, self.external_id, self.queue, self.moderator, self.auditor, self.blind_action,
                self.blind_labels, self.blind_note, self.verdict, self.error_type, self.severity, self.comment,
                self.audited_at, None if self.item is None else self.item.fields(),
                None if decision is None else (decision.known_id, decision.store_id, decision.position,
                                               decision.decided_at))

    @classmethod
    def of(cls, line: int, fields: tuple[Any, ...]) -> PastAudit:
        (row, ext, queue, moderator, auditor, blind_action, blind_labels, blind_note, verdict, error_type, severity,
         comment, audited_at, item, decision) = fields
        return cls(line, row, ext, queue, moderator, auditor, blind_action, tuple(blind_labels), blind_note, verdict,
                   error_type, severity, comment, audited_at, None if item is None else ItemRef(*item),
                   None if decision is None else KnownDecision(*decision))


class AuditRows(RowHandler):
    """``{"type": "audit", ...}`` rows: past QA audits (see the module docstring)."""

    type = "audit"
    nouns = ("audit", "audits")

    def __init__(self, taxonomy: checks.TaxonomySource = None):
        self.taxonomy = checks.resolve_taxonomy(taxonomy)

    # ------------------------------------------------------------- fields
    def check(self, line: int, row: dict[str, Any], ctx: ImportContext) -> tuple[PastAudit | None, list[str]]:
        reasons: list[str] = []
        checks.unknown_fields(row, AUDIT_FIELDS, "audit", reasons)
        ext = checks.external_id(row, "item", reasons)
        queue = checks.queue_name(row, ctx, reasons)
        moderator = checks.user_name(row, "moderator", reasons)
        auditor = checks.user_name(row, "auditor", reasons)
        if moderator is not None and moderator == auditor:
            reasons.append(f"{auditor!r} is both moderator and auditor: nobody audits their own decisions")
        blind_action, blind_labels = checks.policy(self.taxonomy(), "blind_action", "blind_labels", row, reasons,
                                                   note=None)
        blind_note = checks.text(row, "note", reasons)
        verdict, error_type, severity = _verdict(row, reasons)
        comment = checks.text(row, "comment", reasons)
        audited_at = checks.timestamp(row, "audited_at", ctx, reasons)
        if reasons:
            return None, reasons
        # Nothing refused: every field the checks return None for a bad value is set.
        assert ext is not None and moderator is not None and auditor is not None and blind_action is not None
        assert blind_labels is not None and verdict is not None and audited_at is not None
        return PastAudit(line, row, ext, queue, moderator, auditor, blind_action, blind_labels, blind_note, verdict,
                         error_type, severity, comment, audited_at), []

    def keep(self, run: ImportRun, record: PastAudit) -> None:
        history.keep(run, self.type, record)

    # ------------------------------------------------------------ resolve
    def resolve(self, run: ImportRun, records: list[PastAudit]) -> tuple[Pending[PastAudit], int]:
        """A chunk at a time from the scratch file (*records* is empty: :meth:`keep` put them there)."""
        scratch = run.ctx.seen
        present = 0
        for chunk in scratch.history(self.type):
            placed = history.place(run, [PastAudit.of(line, fields) for line, fields in chunk])
            history.know_stored_decisions(run, (item for _, item in placed))
            found: list[tuple[PastAudit, KnownDecision]] = []
            for record, item in placed:
                decision = record.decision = history.scored_decision(run, item, record.moderator, record.line)
                if decision is None:
                    run.reject(record.line, history.why_missing(run, item, record.moderator, record.line), record.row)
                elif history.before(record.audited_at, decision.decided_at):
                    run.reject(record.line, f"audited_at {record.row.get('audited_at')!r} is before the decision it "
                                            f"scores was made ({decision.decided_at})", record.row)
                else:
                    found.append((record, decision))
            stored = _stored_samples(run, [d.store_id for _, d in found if d.store_id is not None])
            to_write: list[tuple[int, str, tuple[Any, ...]]] = []
            for record, decision in found:
                first = scratch.first_of(self.type, (decision.known_id,), record.line)
                if first != record.line:
                    earlier = PastAudit.of(first, scratch.history_record(first))
                    what = ("duplicate audit" if earlier.row == record.row
                            else "the decision it scores is already audited")
                    run.reject(record.line, f"{what} on line {first} (a decision is audited once)", record.row)
                    continue
                sample = stored.get(decision.store_id) if decision.store_id is not None else None
                if sample is None:
                    to_write.append((record.line, record.auditor, record.fields()))
                elif record.same_as(sample[2:]):
                    present += 1
                else:
                    run.reject(record.line, _already_sampled(sample), record.row)
            scratch.to_write(self.type, to_write)
        return history.pending(run, self.type, PastAudit.of), present

    def plan(self, run: ImportRun, records: Pending[PastAudit]) -> None:
        history.plan_users(run, records.names(), "auditor")

    # ------------------------------------------------------------- commit
    def commit(self, run: ImportRun, records: Pending[PastAudit]) -> int:
        lead = run.acting_lead(to="import past audits")
        store = run.store
        for name in records.names():
            history.ensure_role(store, name, "auditor", actor=lead.name)
        rules = rubric(store)
        auditor_ids: dict[str, int] = {}
        added = 0
        for chunk in records.chunks():
            scored: list[tuple[PastAudit, int]] = []
            for record in chunk:
                assert record.decision is not None  # resolve() placed every record it kept
                decision_id = record.decision.decision_id(run.ctx.seen)
                if decision_id is None:
                    raise StoreError(f"{run.file}:{record.line}: the decision it scores was not written")
                scored.append((record, decision_id))
            sampled = _stored_samples(run, [d for _, d in scored])  # sampled meanwhile by another client?
            for record, decision_id in scored:
                again = sampled.get(decision_id)
                if again is not None:
                    if record.same_as(again[2:]):
                        continue
                    raise StoreError(f"{run.file}:{record.line}: {_already_sampled(again)} (meanwhile)")
                if record.auditor not in auditor_ids:
                    auditor_ids[record.auditor] = store.user(record.auditor).id
                auditor_id = auditor_ids[record.auditor]
                at = record.audited_at
                sample_id = sample_rows.add(store, decision_id, IMPORT_PLAN, IMPORT_REASON, auditor_id, at,
                                            claimed_at=at, state="audited")
                score = rules.score(record.verdict, record.error_type, record.severity)
                audit_id = audit_rows.add_imported(
                    store, sample_id, decision_id, auditor_id, record.blind_action,
                    json.dumps(list(record.blind_labels)), record.blind_note, record.verdict, record.error_type,
                    record.severity, record.comment, score, at)
                store.log(lead.name, "audit.imported", f"sample:{sample_id}",
                          {"audit": audit_id, "decision": decision_id, "auditor": record.auditor,
                           "verdict": record.verdict, "error_type": record.error_type, "severity": record.severity,
                           "score": score, "audited_at": at, "source": "import"})
                sampled[decision_id] = (sample_id, "audited", record.auditor, record.verdict, record.error_type,
                                        record.severity, at)
                added += 1
        store.log(lead.name, "audits.imported", run.source, {"rows": len(records), "added": added})
        return added


def _verdict(row: dict[str, Any], reasons: list[str]) -> tuple[str | None, str | None, str | None]:
    """The verdict with its error type and severity, checked together."""
    verdict = _given(row, "verdict")
    if verdict is None:
        reasons.append(f"missing verdict ({' or '.join(VERDICTS)})")
    else:
        verdict = checks.choice(row, "verdict", VERDICTS, reasons)
    error_type = checks.choice(row, "error_type", ERROR_TYPES, reasons)
    severity = checks.choice(row, "severity", SEVERITIES, reasons)
    if verdict == "correct":
        given = [k for k in ("error_type", "severity") if _given(row, k) is not None]
        if given:
            reasons.append(f"a correct verdict has no {' or '.join(given)}")
    elif verdict == "incorrect":
        for key, allowed in (("error_type", ERROR_TYPES), ("severity", SEVERITIES)):
            if _given(row, key) is None:
                reasons.append(f"an incorrect verdict needs {key} ({', '.join(allowed)})")
    return verdict, error_type, severity


def _stored_samples(run: ImportRun, decision_ids: list[int]) -> dict[int, tuple[Any, ...]]:
    """decision id -> (sample id, state, auditor, verdict, error type, severity, scored_at) of its sample."""
    return sample_rows.for_import(run.store, decision_ids)


def _already_sampled(sample: tuple[Any, ...]) -> str:
    sample_id, state, auditor, verdict, *_ = sample
    if verdict is not None:
        return f"the decision is already audited in Veil (sample {sample_id}, by {auditor}: {verdict})"
    return f"the decision is already sampled for QA in Veil (sample {sample_id}, {state})"

"""Decision rows of a manifest: past decisions made in another tool.

A team moving to Veil brings its past decisions (and, through
``audit.past_audits``, its QA results) so queues, "seen before" hints and QA
metrics start from its real history. A decision row::

    {"type": "decision", "item": "post-123", "queue": "spam", "moderator": "ana",
     "action": "remove", "labels": ["hate_speech"], "decided_at": "2025-11-02T10:15:00Z",
     "note": "slur in caption", "handle_ms": 5400}

``item`` is the item's external id: the item must be in the store or be an
item row of the same manifest (item rows are written first). ``queue`` may
be left out when the id is in one queue only (or ``--queue`` is given).
``action`` and ``labels`` must exist in the policy taxonomy and meet its
rules (an action that needs a label has one; one that needs a note has
one), like a decision made in Veil. ``labels`` is a JSON list, or in CSV a
comma-separated cell. ``decided_at`` is ISO 8601 (no zone means UTC) and
not in the future. Unknown fields are refused, so a misspelt ``lables``
never silently drops the labels.

Idempotent: a decision with the same item, moderator, action and
``decided_at`` as one already stored is counted as present, not added again.
Decisions are appended in file order, a chunk at a time, as
:func:`review.decisions.record_past_decision` appends one (source ``import``, one
``decision.recorded`` event each; :func:`review.store.import_rows.record_past_decisions`
writes a chunk with a few statements), plus one ``decisions.imported`` event.

Only a lead imports (:meth:`~review.imports.handlers.ImportRun.acting_lead`):
a decision row closes an item in someone's name. Users named by history
rows that the store does not know are created with the role the row
implies (``moderator`` here, ``auditor`` for audit rows); an existing user
lacking it gets it added (``user.roles_changed`` event).

What history rows share is :mod:`review.imports.history_fields` (field
checks) and :mod:`review.imports.past_decisions` (finding items, decisions
and users; keeping the rows in the import's scratch file, so a history of
any length is resolved and written a chunk at a time).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from review.errors import StoreError
from review.imports import history_fields as checks
from review.imports import past_decisions as history
from review.imports.handlers import ImportContext, ImportRun, RowHandler
from review.imports.past_decisions import ItemRef, Pending
from review.store import cases as case_rows
from review.store import import_rows
from review.store.import_rows import PastDecisionRow

DECISION_FIELDS = ("type", "item", "queue", "moderator", "action", "labels", "decided_at", "note", "handle_ms")


@dataclass(slots=True)
class PastDecision:
    """A decision row whose fields are fine."""

    line: int
    row: dict[str, Any]
    external_id: str
    queue: str | None
    moderator: str
    action: str
    labels: tuple[str, ...]
    decided_at: str
    note: str
    handle_ms: int | None
    item: ItemRef | None = None

    def fields(self) -> tuple[Any, ...]:
        """As kept in the import's scratch file (:meth:`of` again)."""
        return (self.row, self.external_id, self.queue, self.moderator, self.action, self.labels, self.decided_at,
                self.note, self.handle_ms, None if self.item is None else self.item.fields())

    @classmethod
    def of(cls, line: int, fields: tuple[Any, ...]) -> PastDecision:
        row, ext, queue, moderator, action, labels, decided_at, note, handle_ms, item = fields
        return cls(line, row, ext, queue, moderator, action, tuple(labels), decided_at, note, handle_ms,
                   None if item is None else ItemRef(*item))


class DecisionRows(RowHandler):
    """``{"type": "decision", ...}`` rows: past decisions (see the module docstring)."""

    type = "decision"
    nouns = ("decision", "decisions")

    def __init__(self, taxonomy: checks.TaxonomySource = None):
        self.taxonomy = checks.resolve_taxonomy(taxonomy)

    def check(self, line: int, row: dict[str, Any], ctx: ImportContext) -> tuple[PastDecision | None, list[str]]:
        reasons: list[str] = []
        checks.unknown_fields(row, DECISION_FIELDS, "decision", reasons)
        ext = checks.external_id(row, "item", reasons)
        queue = checks.queue_name(row, ctx, reasons)
        moderator = checks.user_name(row, "moderator", reasons)
        note = checks.text(row, "note", reasons)
        action, labels = checks.policy(self.taxonomy(), "action", "labels", row, reasons, note=note)
        decided_at = checks.timestamp(row, "decided_at", ctx, reasons)
        handle_ms = checks.milliseconds(row, "handle_ms", reasons)
        if reasons:
            return None, reasons
        if ext is None or moderator is None or action is None or labels is None or decided_at is None:
            raise AssertionError(f"line {line}: a field check refused a value without giving a reason")
        return PastDecision(line, row, ext, queue, moderator, action, labels, decided_at, note, handle_ms), []

    def keep(self, run: ImportRun, record: PastDecision) -> None:
        history.keep(run, self.type, record)

    def resolve(self, run: ImportRun, records: list[PastDecision]) -> tuple[Pending[PastDecision], int]:
        """A chunk at a time from the scratch file (*records* is empty: :meth:`keep` put them there)."""
        scratch = run.ctx.seen
        present = 0
        for chunk in scratch.history(self.type):
            placed = history.place(run, [PastDecision.of(line, fields) for line, fields in chunk])
            stored = history.know_stored_decisions(run, (item for _, item in placed))
            to_write: list[tuple[int, str, tuple[Any, ...]]] = []
            known: list[tuple[str, str, str, int, str]] = []
            earlier = scratch.earlier_lines(self.type, [
                ((item.queue, item.external_id, record.moderator, record.action, record.decided_at), record.line)
                for record, item in placed])
            for record, item in placed:
                if (seen := earlier.get(record.line)) is not None:
                    run.reject(record.line, f"duplicate decision: line {seen} has the same item, moderator, action "
                                            "and decided_at", record.row)
                    continue
                stored_id = None if item.item_id is None else stored.get(
                    (item.item_id, record.moderator, record.action, record.decided_at))
                if stored_id is not None:  # the audit rows after this line see it, as on the first import
                    scratch.move_known(stored_id, record.line)
                    present += 1
                else:
                    known.append((item.queue, item.external_id, record.moderator, record.line, record.decided_at))
                    to_write.append((record.line, record.moderator, record.fields()))
            scratch.know_rows(known)
            scratch.to_write(self.type, to_write)
        return history.pending(run, self.type, PastDecision.of), present

    def plan(self, run: ImportRun, records: Pending[PastDecision]) -> None:
        history.plan_users(run, records.names(), "moderator")

    def commit(self, run: ImportRun, records: Pending[PastDecision]) -> int:
        lead = run.acting_lead(to="import past decisions")
        store = run.store
        for name in records.names():
            history.ensure_role(store, name, "moderator", actor=lead.name)
        added = 0
        for chunk in records.chunks():
            history.fill_item_ids(store, (r.item for r in chunk if r.item is not None))
            meanwhile = history.stored_identities(  # written meanwhile by another client?
                store, (r.item.item_id for r in chunk if r.item is not None and r.item.item_id is not None))
            written: list[tuple[int, int]] = []
            new: list[tuple[int, PastDecisionRow]] = []
            for record in chunk:
                item_id = record.item.item_id if record.item is not None else None
                if item_id is None:  # resolve() placed every record it kept; fill_item_ids() wrote their ids
                    raise StoreError(f"{run.file}:{record.line}: the item it decides on was not written")
                again = meanwhile.get((item_id, record.moderator, record.action, record.decided_at))
                if again is not None:
                    written.append((record.line, again))
                else:
                    new.append((record.line, (item_id, record.moderator, record.action, record.labels,
                                              record.decided_at, record.note, record.handle_ms)))
            ids = import_rows.record_past_decisions(store, [row for _, row in new], source="import")
            written.extend((line, decision_id) for (line, _), decision_id in zip(new, ids, strict=True))
            added += len(ids)
            run.ctx.seen.set_written(written)
        case_rows.follow_decided_leads(store)  # once the whole history is written: its cases' other open reports
        store.log(lead.name, "decisions.imported", run.source, {"rows": len(records), "added": added})
        return added

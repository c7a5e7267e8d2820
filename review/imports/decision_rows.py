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
Decisions are appended in file order through
:func:`review.decisions.record_past_decision` (source ``import``, one
``decision.recorded`` event each), plus one ``decisions.imported`` event.

Only a lead imports (:meth:`~review.imports.handlers.ImportRun.acting_lead`):
a decision row closes an item in someone's name. Users named by history
rows that the store does not know are created with the role the row
implies (``moderator`` here, ``auditor`` for audit rows); an existing user
lacking it gets it added (``user.roles_changed`` event).

What history rows share (field checks, finding items, users) is
:mod:`review.imports.past_decisions`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from review.decisions import record_past_decision
from review.errors import StoreError
from review.imports import past_decisions as history
from review.imports.handlers import ImportContext, ImportRun, RowHandler
from review.imports.past_decisions import ItemRef, TaxonomySource
from review.store import imports as import_store

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
    decision_id: int | None = None  # the stored decision: already present, or once written


class DecisionRows(RowHandler):
    """``{"type": "decision", ...}`` rows: past decisions (see the module docstring)."""

    type = "decision"
    nouns = ("decision", "decisions")

    def __init__(self, taxonomy: TaxonomySource = None):
        self.taxonomy = history.resolve_taxonomy(taxonomy)

    def check(self, line: int, row: dict[str, Any], ctx: ImportContext) -> tuple[PastDecision | None, list[str]]:
        reasons: list[str] = []
        history.unknown_fields(row, DECISION_FIELDS, "decision", reasons)
        ext = history.external_id(row, "item", reasons)
        queue = history.queue_name(row, ctx, reasons)
        moderator = history.user_name(row, "moderator", reasons)
        note = history.text(row, "note", reasons)
        action, labels = history.policy(self.taxonomy(), "action", "labels", row, reasons, note=note)
        decided_at = history.timestamp(row, "decided_at", ctx, reasons)
        handle_ms = history.milliseconds(row, "handle_ms", reasons)
        if reasons:
            return None, reasons
        if ext is None or moderator is None or action is None or labels is None or decided_at is None:
            raise AssertionError(f"line {line}: a field check refused a value without giving a reason")
        return PastDecision(line, row, ext, queue, moderator, action, labels, decided_at, note, handle_ms), []

    def resolve(self, run: ImportRun, records: list[PastDecision]) -> tuple[list[PastDecision], int]:
        shared = history.state(run)
        shared.items.prefetch((r.external_id, r.queue) for r in records)
        placed: list[tuple[PastDecision, ItemRef]] = []
        for record in records:
            item, reason = shared.items.find(record.external_id, record.queue)
            record.item = item
            if reason or item is None:
                run.reject(record.line, reason or "the item was not found", record.row)
            else:
                placed.append((record, item))
        shared.decisions.load_store(run.store, (item for _, item in placed))
        first: dict[tuple[tuple[str, str], str, str, str], int] = {}  # (item, moderator, action, at) -> line
        to_add: list[PastDecision] = []
        present = 0
        for record, item in placed:
            key = (item.key, record.moderator, record.action, record.decided_at)
            seen = first.setdefault(key, record.line)
            if seen != record.line:
                run.reject(record.line, f"duplicate decision: line {seen} has the same item, moderator, action "
                                        "and decided_at", record.row)
                continue
            stored = shared.decisions.stored(record)
            if stored is not None:
                stored.position = record.line  # the audit rows after this line see it, as on the first import
                record.decision_id = stored.store_id
                present += 1
            else:
                shared.decisions.add(record, item)
                to_add.append(record)
        return to_add, present

    def plan(self, run: ImportRun, records: list[PastDecision]) -> None:
        history.plan_users(run, ((r.moderator, "moderator") for r in records))

    def commit(self, run: ImportRun, records: list[PastDecision]) -> int:
        lead = run.acting_lead(to="import past decisions")
        store = run.store
        for name in dict.fromkeys(r.moderator for r in records):
            history.ensure_role(store, name, "moderator", actor=lead.name)
        history.state(run).items.fill_ids(store, (r.item for r in records if r.item is not None))
        added = 0
        for record in records:
            item_id = record.item.item_id if record.item is not None else None
            if item_id is None:  # resolve() placed every record it kept; fill_ids() wrote their ids
                raise StoreError(f"{run.file}:{record.line}: the item it decides on was not written")
            again = import_store.same_decision(  # written meanwhile by another client?
                store, item_id, record.moderator, record.action, record.decided_at)
            if again is not None:
                record.decision_id = again
                continue
            record.decision_id = record_past_decision(
                store, item_id=item_id, user=record.moderator, action=record.action,
                labels=record.labels, decided_at=record.decided_at, note=record.note, handle_ms=record.handle_ms,
                source="import",
            )
            added += 1
        store.log(lead.name, "decisions.imported", run.source, {"rows": len(records), "added": added})
        return added

"""Disputes: a moderator contests an audit; a lead upholds or overturns it.

Nothing is overwritten. The scored audit row stays as the auditor left it;
a dispute is a ``disputes`` row, its resolution a ``dispute_resolutions``
row, both append-only. The *final* verdict — what metrics count — comes
from the ``audit_verdicts`` view: an overturned audit counts as correct,
with no error type and a score of 100; an upheld or undisputed one counts
as scored.

Roles: only the moderator who made the decision disputes it, only an
incorrect verdict can be disputed, once; only a lead resolves, and never a
dispute about their own decision or their own audit. The SQL, and the
guarded writes that enforce these rules in one transaction each, are
``audit.store.disputes``; this module words their refusals.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from audit import roles
from audit.store import disputes as dispute_rows
from audit.store.schema import OUTCOMES
from review.auth import active_person
from review.errors import NotAllowed, VeilError
from review.store import Refused, Store, User


class DisputeError(VeilError, ValueError):
    """A dispute step that cannot be taken; the message says why."""


@dataclass(frozen=True)
class Result:
    """One audited decision as its moderator sees it (the auditor stays anonymous)."""

    audit_id: int
    decision_id: int
    item_id: int
    queue: str
    decided_at: str
    action: str
    labels: tuple[str, ...]
    blind_action: str
    blind_labels: tuple[str, ...]
    verdict: str  # final: after any overturn
    error_type: str | None
    severity: str | None
    score: float
    comment: str
    scored_at: str
    original_verdict: str
    dispute_id: int | None
    dispute: str | None  # None, "open", "upheld", "overturned"


@dataclass(frozen=True)
class Dispute:
    id: int
    audit_id: int
    decision_id: int
    moderator: str
    reason: str
    opened_at: str
    outcome: str | None
    lead: str | None
    note: str | None
    resolved_at: str | None

    @property
    def state(self) -> str:
        return self.outcome or "open"


def _result(row: tuple[Any, ...]) -> Result:
    values = list(row)
    values[6] = tuple(json.loads(values[6] or "[]"))
    values[8] = tuple(json.loads(values[8] or "[]"))
    return Result(*values)


def my_results(store: Store, moderator: User | str) -> list[Result]:
    """The person's own audited decisions with their final results, newest audit first."""
    user = roles.resolve(store, moderator)
    return [_result(r) for r in dispute_rows.results_of(store, user.id)]


def results_of_audits(store: Store, audit_ids: list[int]) -> dict[int, Result]:
    """Audit id -> its result, whoever's decision it was: for a lead judging disputes (unchecked)."""
    return {r.audit_id: r for r in map(_result, dispute_rows.results_of_audits(store, audit_ids))}


def open_dispute(store: Store, moderator: User | str, audit_id: int, reason: str) -> int:
    """The decision's moderator contests an incorrect verdict, saying why; returns the dispute id.

    Refused for a deactivated moderator (:func:`review.auth.active_person`): a lead would be asked to judge
    a dispute from someone who no longer works here and cannot read the answer.
    """
    user = active_person(store, moderator)
    if not (reason or "").strip():
        raise DisputeError("say why the verdict is wrong")
    try:
        return dispute_rows.open_once(store, user, audit_id, reason.strip())
    except Refused as refused:
        match refused.reason:
            case "no_audit":
                raise KeyError(f"no scored audit with id {audit_id}") from None
            case "not_moderator":
                raise NotAllowed(
                    f"only the moderator who made the decision can dispute its audit ({user.name} did not)") from None
            case "not_incorrect":
                raise DisputeError("only an incorrect verdict can be disputed") from None
            case "disputed":
                raise DisputeError("this audit has already been disputed") from None
        raise


def resolve_dispute(store: Store, lead: User | str, dispute_id: int, outcome: str, note: str = "") -> Dispute:
    """A lead upholds the verdict or overturns it (incorrect → correct, error cleared)."""
    user = roles.require(store, lead, "lead", to="resolve disputes")
    if outcome not in OUTCOMES:
        raise DisputeError(f"the outcome is one of {', '.join(OUTCOMES)} (got {outcome!r})")
    try:
        dispute_rows.resolve_once(store, user, dispute_id, outcome, note or "")
    except Refused as refused:
        match refused.reason:
            case "no_dispute":
                raise KeyError(f"no dispute with id {dispute_id}") from None
            case "own_decision":
                raise NotAllowed("nobody resolves a dispute about their own decision; ask another lead") from None
            case "own_audit":
                raise NotAllowed(
                    "the auditor who scored this audit cannot also judge the dispute; ask another lead") from None
            case "resolved":
                raise DisputeError("this dispute is already resolved") from None
        raise
    return dispute(store, dispute_id)


def dispute(store: Store, dispute_id: int) -> Dispute:
    row = dispute_rows.dispute(store, dispute_id)
    if row is None:
        raise KeyError(f"no dispute with id {dispute_id}")
    return Dispute(*row)


def disputes(store: Store, *, open_only: bool = False) -> list[Dispute]:
    """Every dispute, oldest first (a lead's list); only unresolved ones with *open_only*."""
    return [Dispute(*r) for r in dispute_rows.listing(store, open_only=open_only)]


def history_for(store: Store, viewer: User | str, audit_id: int) -> list[dict[str, Any]]:
    """One audit's history as *viewer* may see it: :func:`history`, checked in the domain.

    The moderator whose decision was audited sees their own audit with the
    auditor anonymous (``by`` is None on the auditor's steps; auditors stay
    anonymous to the people they audit, as in :func:`my_results`); the
    auditor who did it and leads see it whole. Anyone else gets a
    NotAllowed: nobody reads another moderator's results.
    """
    user = roles.resolve(store, viewer)
    people = dispute_rows.audit_people(store, audit_id)
    if people is None:
        raise KeyError(f"no audit with id {audit_id}")
    moderator_id, auditor_id = people
    steps = history(store, audit_id)
    if user.has("lead") or user.id == auditor_id:
        return steps
    if user.id != moderator_id:
        raise NotAllowed(f"{user.name} may see only the audits of their own decisions")
    return [{**step, "by": None} if step["step"] in ("blind", "revealed", "scored") else step for step in steps]


def history(store: Store, audit_id: int) -> list[dict[str, Any]]:
    """Every step of one audit, in order: blind, reveal, score, dispute, resolution.

    Unchecked and naming the auditor: for a lead's views. A moderator's
    view goes through :func:`history_for`.
    """
    row = dispute_rows.audit_steps(store, audit_id)
    if row is None:
        raise KeyError(f"no audit with id {audit_id}")
    steps: list[dict[str, Any]] = [
        {"step": "blind", "at": row[0], "by": row[1], "action": row[2], "labels": json.loads(row[3])}]
    if row[4]:
        steps.append({"step": "revealed", "at": row[4], "by": row[1]})
    if row[5]:
        steps.append({"step": "scored", "at": row[5], "by": row[1], "verdict": row[6], "error_type": row[7],
                      "severity": row[8], "score": row[9], "comment": row[10]})
    for d in dispute_rows.of_audit(store, audit_id):
        item = Dispute(*d)
        steps.append({"step": "disputed", "at": item.opened_at, "by": item.moderator, "reason": item.reason})
        if item.outcome:
            steps.append({"step": "resolved", "at": item.resolved_at, "by": item.lead, "outcome": item.outcome,
                          "note": item.note})
    return steps

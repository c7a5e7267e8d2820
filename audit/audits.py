"""Blind audits: claim a sample, decide blind, then see the original and score it.

The order is enforced here, not in the GUI: :func:`start_audit` gives the
item and nothing about the moderator's decision; :func:`submit_blind`
stores the auditor's own decision; only then does :func:`reveal_original`
show the moderator's (``BlindStepError`` before); :func:`score` needs the
reveal. The blind decision cannot be changed once stored (a trigger
refuses it), and a scored audit is final (a dispute adds rows instead).
Nobody audits their own decision (``NotAllowed``), whatever the
assignment says. Every step is one guarded write of ``audit.store.samples``
or ``audit.store.audits`` (one transaction with its event); this module
checks the role and words the store's refusals.

Work list and claims: a sample assigned to an auditor by the sampler is
theirs; an unassigned one goes to whichever eligible auditor asks first
(:func:`next_sample`). A claim is ``auditor_id`` + ``claimed_at``; if the
blind step has not happened within :data:`CLAIM_SECONDS` of the claim,
another auditor may take the sample over, so nothing stays stuck.

Rubric score, 0–100::

    correct   → 100
    incorrect → max(0, 100 − weight[error_type] × multiplier[severity])

with the defaults below, changed by a lead with :func:`set_rubric`. The
score is computed and stored when the audit is scored; changing the rubric
later does not rewrite past scores. An overturned dispute makes the final
score 100 (see ``audit_verdicts``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from audit import roles
from audit.sampling import Sample
from audit.store import audits as audit_rows
from audit.store import samples as sample_rows
from audit.store.schema import ERROR_TYPES, SEVERITIES, VERDICTS
from review.errors import NotAllowed, VeilError
from review.serving import Item, load_item
from review.store import Refused, Store, User

CLAIM_SECONDS = 2 * 3600

DEFAULT_ERROR_WEIGHTS = {
    "missed_violation": 60.0,
    "over_enforcement": 40.0,
    "wrong_action": 30.0,
    "wrong_label": 20.0,
    "procedural": 10.0,
}
DEFAULT_SEVERITY_MULTIPLIERS = {"minor": 0.5, "major": 1.0, "critical": 2.0}


class AuditError(VeilError, ValueError):
    """An audit step that cannot be taken; the message says what to do instead."""


class BlindStepError(AuditError):
    """A step asked for out of order (the original before the blind decision, a score before the reveal)."""


@dataclass(frozen=True)
class AuditTask:
    """What the auditor may see before deciding: the item, never the decision."""

    sample_id: int
    plan: str
    item: Item
    blind_done: bool


@dataclass(frozen=True)
class Original:
    """The moderator's decision, shown only after the blind step, beside the blind one."""

    sample_id: int
    decision_id: int
    moderator: str
    queue: str
    action: str
    labels: tuple[str, ...]
    note: str
    decided_at: str
    handle_ms: int | None
    blind_action: str
    blind_labels: tuple[str, ...]
    agrees: bool  # same action and the same set of labels


@dataclass(frozen=True)
class Scored:
    audit_id: int
    sample_id: int
    verdict: str
    error_type: str | None
    severity: str | None
    score: float


@dataclass(frozen=True)
class Rubric:
    error_types: dict[str, float]
    severity: dict[str, float]

    def score(self, verdict: str, error_type: str | None, severity: str | None) -> float:
        """100 for correct; else max(0, 100 − weight[error_type] × multiplier[severity])."""
        if verdict == "correct":
            return 100.0
        assert error_type is not None and severity is not None  # validate_score's rule
        return max(0.0, 100.0 - self.error_types[error_type] * self.severity[severity])


# ---------------------------------------------------------------- rubric
def rubric(store: Store) -> Rubric:
    weights = {"error_type": dict(DEFAULT_ERROR_WEIGHTS), "severity": dict(DEFAULT_SEVERITY_MULTIPLIERS)}
    for kind, key, weight in audit_rows.rubric_weights(store):
        weights[kind][key] = weight
    return Rubric(weights["error_type"], weights["severity"])


def set_rubric(store: Store, lead: User | str, weights: dict[str, dict[str, float]]) -> Rubric:
    """Change rubric weights: ``{"error_types": {type: weight}, "severity": {level: multiplier}}``.

    Either part may be partial; anything not named keeps its value.
    """
    user = roles.require(store, lead, "lead", to="change the audit rubric")
    allowed = {"error_types": ("error_type", ERROR_TYPES), "severity": ("severity", SEVERITIES)}
    rows = []
    for part, values in (weights or {}).items():
        if part not in allowed:
            raise AuditError(f"rubric parts are 'error_types' and 'severity' (got {part!r})")
        kind, keys = allowed[part]
        for key, value in values.items():
            if key not in keys:
                raise AuditError(f"unknown {kind.replace('_', ' ')} {key!r} (one of: {', '.join(keys)})")
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise AuditError(f"the weight of {key!r} must be a number ≥ 0 (got {value!r})")
            rows.append((kind, key, float(value)))
    if not rows:
        raise AuditError("no rubric weights given")
    audit_rows.set_rubric_weights(store, user.name, rows)
    return rubric(store)


# ------------------------------------------------------------- work list
def work_list(store: Store, auditor: User | str) -> list[Sample]:
    """Open samples this auditor may work: theirs first, then the shared pool; never their own decisions.

    Rows are blinded (no moderator, no reason); leads use ``sampling.samples``.
    """
    user = roles.require(store, auditor, "auditor", to="audit")
    return [Sample(*r).blinded() for r in sample_rows.workable(
        store, user.id, sample_rows.stale_before(store.now(), CLAIM_SECONDS))]


def next_sample(store: Store, auditor: User | str) -> Sample | None:
    """Claim the auditor's next sample (one transaction); None when there is nothing to audit.

    Order: one already started, then ones assigned to them, then the
    unassigned pool, then lapsed claims of others; oldest first. A sample
    whose decision was undone since it was drawn is cancelled on the way.
    """
    user = roles.require(store, auditor, "auditor", to="audit")
    sample_id = sample_rows.claim_next(store, user, CLAIM_SECONDS)
    return _sample(store, sample_id).blinded() if sample_id is not None else None


def assign_sample(store: Store, lead: User | str, sample_id: int, auditor: User | str | None) -> Sample:
    """A lead moves an open sample to another auditor, or back to the pool (None)."""
    user = roles.require(store, lead, "lead", to="assign audit samples")
    target = roles.require(store, auditor, "auditor", to="audit") if auditor is not None else None
    try:
        sample_rows.reassign(store, user.name, sample_id, target)
    except Refused as refused:
        if refused.reason == "started":
            raise AuditError("only an open sample whose blind step has not started can be reassigned") from None
        if refused.reason == "own" and target is not None:
            raise NotAllowed(f"{target.name} made this decision and cannot audit it") from None
        raise _said(refused, user, sample_id) from None
    return _sample(store, sample_id)


def cancel_sample(store: Store, lead: User | str, sample_id: int, reason: str = "") -> None:
    """A lead withdraws an open sample (it stays in the history as cancelled)."""
    user = roles.require(store, lead, "lead", to="cancel audit samples")
    try:
        sample_rows.withdraw(store, user.name, sample_id, reason)
    except Refused as refused:
        raise _said(refused, user, sample_id) from None


def _sample(store: Store, sample_id: int) -> Sample:
    row = sample_rows.sample(store, sample_id)
    if row is None:
        raise KeyError(f"no audit sample with id {sample_id}")
    return Sample(*row)


def _said(refused: Refused, user: User, sample_id: int) -> Exception:
    """The words for a step the store refused (its guards are in ``audit.store.samples`` / ``.audits``)."""
    match refused.reason:
        case "no_sample":
            return KeyError(f"no audit sample with id {sample_id}")
        case "own":
            return NotAllowed(f"{user.name} made this decision; nobody audits their own decisions")
        case "closed":
            return AuditError(f"this sample is already {refused.detail}")
        case "held":
            return NotAllowed(f"this sample is assigned to {refused.detail}; ask a lead to reassign it")
        case "undone":
            return AuditError("the decision was undone after it was sampled; skip this sample")
        case "blind_done":
            return AuditError("the blind decision for this sample is already stored")
        case "not_claimed":
            return BlindStepError("start the audit first (it claims the sample for you)")
        case "not_blind":
            return BlindStepError("decide blind first: the moderator's decision is shown only after your own")
        case "other_auditor":
            return NotAllowed("another auditor is auditing this sample")
        case "not_revealed":
            return BlindStepError("see the moderator's decision before scoring it")
        case "scored":
            return AuditError("this audit is already scored; the moderator may dispute it")
    return refused


# ----------------------------------------------------------------- steps
def start_audit(store: Store, auditor: User | str, sample_id: int) -> AuditTask:
    """Open a sample for its blind step: claims it if free; returns the item and not the decision."""
    user = roles.require(store, auditor, "auditor", to="audit")
    try:
        plan, item_id, blind_done = sample_rows.start(store, user, sample_id, CLAIM_SECONDS)
    except Refused as refused:
        raise _said(refused, user, sample_id) from None
    return AuditTask(sample_id, plan, load_item(store, item_id), blind_done)


def submit_blind(store: Store, auditor: User | str, sample_id: int, action: str, labels: Sequence[str] = (),
                 note: str = "", *, taxonomy: Any = None) -> int:
    """Store the auditor's own decision, made without seeing the moderator's; returns the audit id.

    *taxonomy* (a ``review.taxonomy.Taxonomy``), when given, checks that the
    action and labels exist. The blind decision is final.
    """
    user = roles.require(store, auditor, "auditor", to="audit")
    if isinstance(labels, str):
        raise TypeError("labels must be a sequence of label ids, not one string")
    chosen = list(dict.fromkeys(labels))
    if not (action or "").strip():
        raise AuditError("the blind decision needs an action")
    if taxonomy is not None:
        # The note rule (an escalation needs a reason) is for moderators; a blind
        # verdict may say "escalate" without one.
        problem = taxonomy.check(action, chosen, note or "-")
        if problem:
            raise AuditError(problem)
    try:
        return audit_rows.decide_blind(store, user, sample_id, action, chosen, note or "")
    except Refused as refused:
        raise _said(refused, user, sample_id) from None


def reveal_original(store: Store, auditor: User | str, sample_id: int) -> Original:
    """The moderator's decision beside the auditor's blind one; BlindStepError before the blind step."""
    user = roles.require(store, auditor, "auditor", to="audit")
    try:
        blind_action, blind_labels_json, shown = audit_rows.reveal_to(store, user, sample_id)
    except Refused as refused:
        raise _said(refused, user, sample_id) from None
    decision_id, moderator, queue, action, labels_json, note, decided_at, handle_ms = shown
    blind_labels = tuple(json.loads(blind_labels_json))
    labels = tuple(json.loads(labels_json or "[]"))
    agrees = action == blind_action and set(labels) == set(blind_labels)
    return Original(sample_id, decision_id, moderator, queue, action, labels, note, decided_at, handle_ms,
                    blind_action, blind_labels, agrees)


def validate_score(verdict: str, error_type: str | None, severity: str | None) -> None:
    """Raise AuditError unless the verdict and its error fields fit together."""
    if verdict not in VERDICTS:
        raise AuditError(f"the verdict is one of {', '.join(VERDICTS)} (got {verdict!r})")
    if verdict == "correct":
        if error_type is not None or severity is not None:
            raise AuditError("a correct decision has no error type or severity")
        return
    if error_type not in ERROR_TYPES:
        raise AuditError(f"an incorrect decision needs an error type: {', '.join(ERROR_TYPES)}")
    if severity not in SEVERITIES:
        raise AuditError(f"an incorrect decision needs a severity: {', '.join(SEVERITIES)}")


def score(store: Store, auditor: User | str, sample_id: int, verdict: str, error_type: str | None = None,
          severity: str | None = None, comment: str = "") -> Scored:
    """Score the moderator's decision after the reveal; the audit is then final."""
    user = roles.require(store, auditor, "auditor", to="audit")
    validate_score(verdict, error_type, severity)
    try:
        audit_id, value = audit_rows.score_once(
            store, user, sample_id, verdict, error_type, severity, comment or "",
            lambda: rubric(store).score(verdict, error_type, severity))
    except Refused as refused:
        raise _said(refused, user, sample_id) from None
    return Scored(audit_id, sample_id, verdict, error_type, severity, value)

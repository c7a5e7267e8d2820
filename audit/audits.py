"""Blind audits: claim a sample, decide blind, then see the original and score it.

The order is enforced here, not in the GUI: :func:`start_audit` gives the
item and nothing about the moderator's decision; :func:`submit_blind`
stores the auditor's own decision; only then does :func:`reveal_original`
show the moderator's (``BlindStepError`` before); :func:`score` needs the
reveal. The blind decision cannot be changed once stored (a trigger
refuses it), and a scored audit is final (a dispute adds rows instead).
Nobody audits their own decision (``NotAllowed``), whatever the
assignment says. Every step is one transaction with its event; the SQL
is ``audit.store.samples`` and ``audit.store.audits``.

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

import datetime as _dt
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
from review.clock import iso, parse
from review.errors import NotAllowed, VeilError
from review.serving import Item, load_item
from review.store import Store, User

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
    now = store.now()
    with store.transaction():
        for kind, key, value in rows:
            audit_rows.set_rubric_weight(store, kind, key, value, user.name, now)
        store.log(user.name, "audit.rubric_changed", "rubric", {"weights": [list(r) for r in rows]})
    return rubric(store)


# ------------------------------------------------------------- work list
def _stale(now: str) -> str:
    """Claims made before this time have lapsed (unless the blind step started)."""
    return iso(parse(now) - _dt.timedelta(seconds=CLAIM_SECONDS))


def work_list(store: Store, auditor: User | str) -> list[Sample]:
    """Open samples this auditor may work: theirs first, then the shared pool; never their own decisions.

    Rows are blinded (no moderator, no reason); leads use ``sampling.samples``.
    """
    user = roles.require(store, auditor, "auditor", to="audit")
    return [Sample(*r).blinded() for r in sample_rows.workable(store, user.id, _stale(store.now()))]


def next_sample(store: Store, auditor: User | str) -> Sample | None:
    """Claim the auditor's next sample (one transaction); None when there is nothing to audit.

    Order: one already started, then ones assigned to them, then the
    unassigned pool, then lapsed claims of others; oldest first. A sample
    whose decision was undone since it was drawn is cancelled on the way.
    """
    user = roles.require(store, auditor, "auditor", to="audit")
    with store.transaction():
        now = store.now()
        while True:
            found = sample_rows.next_workable(store, user.id, _stale(now))
            if found is None:
                return None
            sample_id, decision_id = found
            if not sample_rows.is_current(store, decision_id):
                _cancel(store, sample_id, user.name, "the decision was undone after it was sampled")
                continue
            sample_rows.claim(store, sample_id, user.id, now)
            store.log(user.name, "audit.claimed", f"sample:{sample_id}", {"decision": decision_id})
            return _sample(store, sample_id).blinded()


def assign_sample(store: Store, lead: User | str, sample_id: int, auditor: User | str | None) -> Sample:
    """A lead moves an open sample to another auditor, or back to the pool (None)."""
    user = roles.require(store, lead, "lead", to="assign audit samples")
    with store.transaction():
        moderator_id, state, has_audit = _standing(store, sample_id)
        if state != "open" or has_audit:
            raise AuditError("only an open sample whose blind step has not started can be reassigned")
        target = None
        if auditor is not None:
            target = roles.require(store, auditor, "auditor", to="audit")
            if target.id == moderator_id:
                raise NotAllowed(f"{target.name} made this decision and cannot audit it")
        sample_rows.assign(store, sample_id, target.id if target else None)
        store.log(user.name, "audit.assigned", f"sample:{sample_id}", {"auditor": target.name if target else None})
    return _sample(store, sample_id)


def cancel_sample(store: Store, lead: User | str, sample_id: int, reason: str = "") -> None:
    """A lead withdraws an open sample (it stays in the history as cancelled)."""
    user = roles.require(store, lead, "lead", to="cancel audit samples")
    with store.transaction():
        _, state, _ = _standing(store, sample_id)
        if state != "open":
            raise AuditError(f"this sample is already {state}")
        _cancel(store, sample_id, user.name, reason)


def _cancel(store: Store, sample_id: int, actor: str, reason: str) -> None:
    sample_rows.set_state(store, sample_id, "cancelled")
    store.log(actor, "audit.cancelled", f"sample:{sample_id}", {"reason": reason})


def _sample(store: Store, sample_id: int) -> Sample:
    row = sample_rows.sample(store, sample_id)
    if row is None:
        raise KeyError(f"no audit sample with id {sample_id}")
    return Sample(*row)


def _standing(store: Store, sample_id: int) -> tuple[int, str, bool]:
    """(moderator id, state, blind step done) of a sample; KeyError if there is none."""
    found = sample_rows.standing(store, sample_id)
    if found is None:
        raise KeyError(f"no audit sample with id {sample_id}")
    return found


def _not_own(user: User, moderator_id: int) -> None:
    if user.id == moderator_id:
        raise NotAllowed(f"{user.name} made this decision; nobody audits their own decisions")


# ----------------------------------------------------------------- steps
def start_audit(store: Store, auditor: User | str, sample_id: int) -> AuditTask:
    """Open a sample for its blind step: claims it if free; returns the item and not the decision."""
    user = roles.require(store, auditor, "auditor", to="audit")
    with store.transaction():
        moderator_id, state, _ = _standing(store, sample_id)
        _not_own(user, moderator_id)
        if state != "open":
            raise AuditError(f"this sample is already {state}")
        now = store.now()
        found = sample_rows.startable(store, sample_id, user.id, _stale(now))
        if found is None:
            _, holder, _ = sample_rows.holder(store, sample_id)
            raise NotAllowed(f"this sample is assigned to {holder}; ask a lead to reassign it")
        decision_id, plan, item_id, blind_by = found
        if blind_by is None and not sample_rows.is_current(store, decision_id):
            raise AuditError("the decision was undone after it was sampled; skip this sample")
        sample_rows.claim(store, sample_id, user.id, now)
        store.log(user.name, "audit.started", f"sample:{sample_id}", {"item": item_id})
    return AuditTask(sample_id, plan, load_item(store, item_id), blind_by is not None)


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
    with store.transaction():
        moderator_id, state, done = _standing(store, sample_id)
        _not_own(user, moderator_id)
        if done:
            raise AuditError("the blind decision for this sample is already stored")
        if state != "open":
            raise AuditError(f"this sample is already {state}")
        holder, _, decision_id = sample_rows.holder(store, sample_id)
        if holder != user.id:
            raise BlindStepError("start the audit first (it claims the sample for you)")
        audit_id = audit_rows.add_blind(store, sample_id, decision_id, user.id, action, json.dumps(chosen),
                                        note or "", store.now())
        store.log(user.name, "audit.blind", f"sample:{sample_id}",
                  {"audit": audit_id, "action": action, "labels": chosen})
    return audit_id


def _own_audit(store: Store, user: User, sample_id: int) -> tuple[int, str | None, str | None, str, tuple[str, ...]]:
    """(audit id, revealed_at, scored_at, blind action, blind labels) of the user's audit of the sample."""
    row = audit_rows.of_sample(store, sample_id)
    if row is None:
        _standing(store, sample_id)  # KeyError for an unknown sample
        raise BlindStepError("decide blind first: the moderator's decision is shown only after your own")
    audit_id, auditor_id, revealed_at, scored_at, blind_action, blind_labels = row
    if auditor_id != user.id:
        raise NotAllowed("another auditor is auditing this sample")
    return audit_id, revealed_at, scored_at, blind_action, tuple(json.loads(blind_labels))


def reveal_original(store: Store, auditor: User | str, sample_id: int) -> Original:
    """The moderator's decision beside the auditor's blind one; BlindStepError before the blind step."""
    user = roles.require(store, auditor, "auditor", to="audit")
    with store.transaction():
        moderator_id, _, _ = _standing(store, sample_id)
        _not_own(user, moderator_id)
        audit_id, revealed_at, _, blind_action, blind_labels = _own_audit(store, user, sample_id)
        if revealed_at is None:
            audit_rows.reveal(store, audit_id, store.now())
        store.log(user.name, "audit.revealed", f"sample:{sample_id}", {"audit": audit_id})
        decision_id, moderator, queue, action, labels_json, note, decided_at, handle_ms = \
            audit_rows.original(store, sample_id)
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
    with store.transaction():
        moderator_id, _, _ = _standing(store, sample_id)
        _not_own(user, moderator_id)
        audit_id, revealed_at, scored_at, _, _ = _own_audit(store, user, sample_id)
        if revealed_at is None:
            raise BlindStepError("see the moderator's decision before scoring it")
        if scored_at is not None:
            raise AuditError("this audit is already scored; the moderator may dispute it")
        value = rubric(store).score(verdict, error_type, severity)
        audit_rows.record_score(store, audit_id, verdict, error_type, severity, comment or "", value, store.now())
        sample_rows.set_state(store, sample_id, "audited")
        store.log(user.name, "audit.scored", f"sample:{sample_id}",
                  {"audit": audit_id, "verdict": verdict, "error_type": error_type, "severity": severity,
                   "score": value})
    return Scored(audit_id, sample_id, verdict, error_type, severity, value)

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

import dataclasses
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from audit import automation, roles
from audit.sampling import Sample
from audit.store import audits as audit_rows
from audit.store import samples as sample_rows
from audit.store.samples import SampleRow
from audit.store.schema import ERROR_TYPES, SEVERITIES, VERDICTS
from review import settings
from review.errors import NotAllowed, StoreConflict, VeilError
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
MAX_WEIGHT = 100.0  # a weight above 100 scores 0 at any multiplier of 1 or more: nothing more to say
MAX_MULTIPLIER = 10.0
RUBRIC_DECIMALS = 2  # what the rubric form's spin boxes show


class AuditError(VeilError, ValueError):
    """An audit step that cannot be taken; the message says what to do instead."""


class BlindStepError(AuditError):
    """A step asked for out of order (the original before the blind decision, a score before the reveal)."""


@dataclass(frozen=True)
class AuditTask:
    """What the auditor may see before deciding: the item, never the decision.

    *plan* is '' until the blind step is stored: a plan's name ("escalation check") may hint at the path.
    """

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
    plan: str  # the plan that drew the sample, held back until now
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

    def as_dict(self) -> dict[str, dict[str, float]]:
        """The parts as :func:`set_rubric` takes them (and the ``audit.rubric_changed`` event keeps them)."""
        return {"error_types": dict(self.error_types), "severity": dict(self.severity)}


# ---------------------------------------------------------------- rubric
def rubric(store: Store) -> Rubric:
    weights = {"error_type": dict(DEFAULT_ERROR_WEIGHTS), "severity": dict(DEFAULT_SEVERITY_MULTIPLIERS)}
    for kind, key, weight in audit_rows.rubric_weights(store):
        weights[kind][key] = weight
    return Rubric(weights["error_type"], weights["severity"])


def set_rubric(store: Store, lead: User | str, weights: dict[str, dict[str, float]], *,
               expected: dict[str, dict[str, float]] | None = None) -> Rubric:
    """Change rubric weights: ``{"error_types": {type: weight}, "severity": {level: multiplier}}``.

    Either part may be partial; anything not named keeps its value. The one
    ``audit.rubric_changed`` event holds the whole rubric before and after;
    weights that change nothing log nothing. *expected* is the rubric the
    writer started from (:meth:`Rubric.as_dict`): if another lead changed
    it since, StoreConflict says who and when, and nothing is written.
    Weights are 0…:data:`MAX_WEIGHT`, multipliers 0…:data:`MAX_MULTIPLIER`,
    each with at most :data:`RUBRIC_DECIMALS` decimals (the form's spin
    boxes show exactly these, so a stored value is shown as it is).
    """
    user = roles.require(store, lead, "lead", to="change the audit rubric")
    allowed = {"error_types": ("error_type", ERROR_TYPES, MAX_WEIGHT),
               "severity": ("severity", SEVERITIES, MAX_MULTIPLIER)}
    rows = []
    for part, values in (weights or {}).items():
        if part not in allowed:
            raise AuditError(f"rubric parts are 'error_types' and 'severity' (got {part!r})")
        kind, keys, top = allowed[part]
        if not isinstance(values, dict):
            raise AuditError(f"the rubric's {part!r} is {{name: number}}, not {values!r}")
        for key, value in values.items():
            if key not in keys:
                raise AuditError(f"unknown {kind.replace('_', ' ')} {key!r} (one of: {', '.join(keys)})")
            if (isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)
                    or not 0 <= value <= top or round(value, RUBRIC_DECIMALS) != value):
                raise AuditError(f"the weight of {key!r} must be a number from 0 to {top:g} with at most "
                                 f"{RUBRIC_DECIMALS} decimals (got {value!r})")
            rows.append((kind, key, float(value)))
    if not rows:
        raise AuditError("no rubric weights given")

    def merged(old: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        new = {part: dict(values) for part, values in old.items()}
        for kind, key, value in rows:
            new["error_types" if kind == "error_type" else "severity"][key] = value
        return new

    try:
        audit_rows.set_rubric_weights(store, user.name, rows, lambda: rubric(store).as_dict(), merged, expected)
    except Refused:
        raise StoreConflict(f"the audit rubric was changed {settings.changed_by(last_rubric_change(store))} since "
                            "you read it; nothing was saved: read it again and make your change there") from None
    return rubric(store)


def last_rubric_change(store: Store) -> settings.Change | None:
    """Who changed the rubric last and when (from its rows: no scan of the event log); None: the defaults."""
    last = audit_rows.last_rubric_change(store)
    return settings.Change(*last) if last else None


# ------------------------------------------------------------- work list
def work_list(store: Store, auditor: User | str, *, limit: int | None = None) -> list[Sample]:
    """Open samples this auditor may work: theirs first, then the shared pool; never their own decisions.

    *limit*: the first that many (a list on screen; :func:`work_counts` counts them all). Rows are blind
    (:func:`_blind`); leads use ``sampling.samples``.
    """
    user = roles.require(store, auditor, "auditor", to="audit")
    return [_blind(r) for r in sample_rows.workable(
        store, user.id, sample_rows.stale_before(store.now(), CLAIM_SECONDS), limit)]


def work_counts(store: Store, auditor: User | str) -> tuple[int, int]:
    """(assigned to this auditor, in the shared pool) of the samples :func:`work_list` lists."""
    user = roles.require(store, auditor, "auditor", to="audit")
    return sample_rows.workable_counts(store, user.id, sample_rows.stale_before(store.now(), CLAIM_SECONDS))


def next_sample(store: Store, auditor: User | str) -> Sample | None:
    """Claim the auditor's next sample (one transaction); None when there is nothing to audit.

    Order: one already started, then ones assigned to them, then the
    unassigned pool, then lapsed claims of others; oldest first. A sample
    whose decision was undone since it was drawn is cancelled on the way.
    """
    user = roles.require(store, auditor, "auditor", to="audit")
    sample_id = sample_rows.claim_next(store, user, CLAIM_SECONDS)
    if sample_id is None:
        return None
    row = sample_rows.blind_sample(store, sample_id)
    assert row is not None  # just claimed, in this transaction
    return _blind(row)


def _blind(row: SampleRow) -> Sample:
    """A sample as an auditor's list may show it (``audit.store.samples.BLIND_COLUMNS``).

    No plan (''), reason or moderator: who decided, and why or by which plan it was drawn
    ("boost:reversed", "escalation check"), would bias the blind step; the queue is the one the blind
    step names, never the escalation queue.
    """
    sample_id, decision_id, auditor, claimed_at, created_at, state, queue = row
    return Sample(sample_id, decision_id, "", None, auditor, claimed_at, created_at, state, None, queue)


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
    """Open a sample for its blind step: claims it if free; returns the item (:func:`blind_item`), not the decision.

    The plan stays '' until the blind step is stored (a resumed sample has it).
    """
    user = roles.require(store, auditor, "auditor", to="audit")
    try:
        plan, item_id, blind_done = sample_rows.start(store, user, sample_id, CLAIM_SECONDS)
    except Refused as refused:
        raise _said(refused, user, sample_id) from None
    _, _, decision_id = sample_rows.holder(store, sample_id)
    return AuditTask(sample_id, plan if blind_done else "", blind_item(
        load_item(store, item_id), sample_rows.first_decided_queue(store, decision_id)), blind_done)


#: Words of metadata keys that tell what happened to an item after it was reported — its path and its
#: decision. Imports and the demo carry such keys (``escalated_by``, ``escalation_note``,
#: ``escalated_from``, ``decided_by``); a key any of whose words starts with one of these stays out of
#: the blind item. Broad on purpose: a report detail lost costs less than a hint given.
PATH_WORDS = ("escalat", "decid", "decision", "note", "moderat", "reviewer", "reviewed", "handled", "action",
              "verdict", "outcome", "resol", "label", "queue", "rout", "assign", "audit", "appeal", "overturn",
              "enforc", "sampl", "dispute")
_KEY_WORDS = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")


def _tells_the_path(key: str) -> bool:
    """Whether a metadata key names something of the item's path or decision (:data:`PATH_WORDS`)."""
    return any(word.lower().startswith(PATH_WORDS) for word in _KEY_WORDS.split(key) if word)


def blind_item(item: Item, first_queue: tuple[int | None, str]) -> Item:
    """The item as the blind step may see it: nothing of what happened to it since it was reported.

    An escalated item now sits, still pending, in the escalation queue with
    that queue's due time; a moved one sits elsewhere. Shown as it is, its
    header would say "text post in Lead escalations" and give the decision's
    path away. So the blind item is the item as it arrived: the queue it was
    first decided in (*first_queue*, ``audit.store.samples.first_decided_queue``;
    ``(None, '')``: none can be named, queue id 0 and no name), state
    ``pending``, no due time of its own (its received time stands in), and
    no metadata key that tells the path or the decision (:data:`PATH_WORDS`).
    """
    queue_id, queue_name = first_queue
    metadata = {key: value for key, value in item.metadata.items() if not _tells_the_path(key)}
    return dataclasses.replace(item, queue_id=queue_id or 0, queue_name=queue_name, state="pending",
                               due_at=item.received_at, metadata=metadata)


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
    return Original(sample_id, decision_id, moderator, queue, sample_rows.plan_of(store, sample_id), action, labels,
                    note, decided_at, handle_ms, blind_action, blind_labels, agrees)


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


def contradiction(original: Original, error_type: str | None) -> str | None:
    """Why *error_type* contradicts the decisions side by side in *original*, with what to do instead; None when
    it fits.

    The auditor's blind decision is their own reading of the item: calling
    the moderator's labels (or action) wrong when the blind ones are the
    same is a slip of the key, and a wrong error type skews the error
    figures. The score form refuses it before anything is stored.
    """
    if error_type == "wrong_label" and set(original.blind_labels) == set(original.labels):
        return ("“Wrong label” contradicts your blind decision: you chose the same labels. "
                "Choose the error that fits (1–5), or C correct.")
    if error_type == "wrong_action" and original.blind_action == original.action:
        return ("“Wrong action” contradicts your blind decision: you chose the same action. "
                "Choose the error that fits (1–5), or C correct.")
    return None


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
    automation.judge_after_scoring(store, user)  # a rule now below its floor stops before its next decision
    return Scored(audit_id, sample_id, verdict, error_type, severity, value)

"""Blind audits: claim a sample, decide blind, then see the original and score it.

The order is enforced here, not in the GUI: :func:`start_audit` gives the
item and nothing about the moderator's decision; :func:`submit_blind`
stores the auditor's own decision; only then does :func:`reveal_original`
show the moderator's (``BlindStepError`` before); :func:`score` needs the
reveal. The blind decision cannot be changed once stored (a trigger
refuses it), and a scored audit is final (a dispute adds rows instead).
Nobody audits their own decision (``PermissionError``), whatever the
assignment says. Every step is one transaction with its event.

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
from audit.sampling import SAMPLE_SQL, Sample
from audit.store.schema import CURRENT, ERROR_TYPES, SEVERITIES, VERDICTS
from review.clock import iso, parse
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


class AuditError(ValueError):
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
        return max(0.0, 100.0 - self.error_types[error_type] * self.severity[severity])


# ---------------------------------------------------------------- rubric
def rubric(store: Store) -> Rubric:
    weights = {"error_type": dict(DEFAULT_ERROR_WEIGHTS), "severity": dict(DEFAULT_SEVERITY_MULTIPLIERS)}
    for kind, key, weight in store.db.execute("SELECT kind, key, weight FROM audit_rubric"):
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
            store.db.execute(
                "INSERT INTO audit_rubric (kind, key, weight, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (kind, key) DO UPDATE SET weight = excluded.weight,"
                " updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                [kind, key, value, user.name, now],
            )
        store.log(user.name, "audit.rubric_changed", "rubric", {"weights": [list(r) for r in rows]})
    return rubric(store)


# ------------------------------------------------------------- work list
def _claim_free(now: str) -> str:
    """SQL: the sample (alias s) may be taken over (nobody on it, or a lapsed claim before the blind step)."""
    stale = iso(parse(now) - _dt.timedelta(seconds=CLAIM_SECONDS))
    return (f"(s.auditor_id IS NULL OR (s.claimed_at IS NOT NULL AND s.claimed_at < '{stale}'"
            " AND NOT EXISTS (SELECT 1 FROM audits a WHERE a.sample_id = s.id)))")


def work_list(store: Store, auditor: User | str) -> list[Sample]:
    """Open samples this auditor may work: theirs first, then the shared pool; never their own decisions.

    Rows are blinded (no moderator, no reason); leads use ``sampling.samples``.
    """
    user = roles.require(store, auditor, "auditor", to="audit")
    now = store.now()
    return [Sample(*r).blinded() for r in store.db.execute(
        SAMPLE_SQL + f""" WHERE s.state = 'open' AND d.user_id <> :me
            AND (s.auditor_id = :me OR {_claim_free(now)})
            ORDER BY CASE WHEN s.auditor_id = :me THEN 0 ELSE 1 END, s.created_at, s.id""",
        {"me": user.id})]


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
            row = store.db.execute(
                f"""SELECT s.id, s.decision_id FROM audit_samples s JOIN decisions d ON d.id = s.decision_id
                    WHERE s.state = 'open' AND d.user_id <> :me AND (s.auditor_id = :me OR {_claim_free(now)})
                    ORDER BY CASE WHEN s.auditor_id = :me AND s.claimed_at IS NOT NULL THEN 0
                                  WHEN s.auditor_id = :me THEN 1 WHEN s.auditor_id IS NULL THEN 2 ELSE 3 END,
                             s.created_at, s.id LIMIT 1""",
                {"me": user.id}).fetchone()
            if row is None:
                return None
            if not _is_current(store, row[1]):
                _cancel(store, row[0], user.name, "the decision was undone after it was sampled")
                continue
            store.db.execute("UPDATE audit_samples SET auditor_id = ?, claimed_at = ? WHERE id = ?",
                             [user.id, now, row[0]])
            store.log(user.name, "audit.claimed", f"sample:{row[0]}", {"decision": row[1]})
            return _sample(store, row[0]).blinded()


def assign_sample(store: Store, lead: User | str, sample_id: int, auditor: User | str | None) -> Sample:
    """A lead moves an open sample to another auditor, or back to the pool (None)."""
    user = roles.require(store, lead, "lead", to="assign audit samples")
    with store.transaction():
        moderator_id, state, has_audit = _sample_row(store, sample_id)
        if state != "open" or has_audit:
            raise AuditError("only an open sample whose blind step has not started can be reassigned")
        target = None
        if auditor is not None:
            target = roles.require(store, auditor, "auditor", to="audit")
            if target.id == moderator_id:
                raise PermissionError(f"{target.name} made this decision and cannot audit it")
        store.db.execute("UPDATE audit_samples SET auditor_id = ?, claimed_at = NULL WHERE id = ?",
                         [target.id if target else None, sample_id])
        store.log(user.name, "audit.assigned", f"sample:{sample_id}", {"auditor": target.name if target else None})
    return _sample(store, sample_id)


def cancel_sample(store: Store, lead: User | str, sample_id: int, reason: str = "") -> None:
    """A lead withdraws an open sample (it stays in the history as cancelled)."""
    user = roles.require(store, lead, "lead", to="cancel audit samples")
    with store.transaction():
        _, state, _ = _sample_row(store, sample_id)
        if state != "open":
            raise AuditError(f"this sample is already {state}")
        _cancel(store, sample_id, user.name, reason)


def _cancel(store: Store, sample_id: int, actor: str, reason: str) -> None:
    store.db.execute("UPDATE audit_samples SET state = 'cancelled' WHERE id = ?", [sample_id])
    store.log(actor, "audit.cancelled", f"sample:{sample_id}", {"reason": reason})


def _sample(store: Store, sample_id: int) -> Sample:
    return Sample(*store.db.execute(SAMPLE_SQL + " WHERE s.id = ?", [sample_id]).fetchone())


def _sample_row(store: Store, sample_id: int) -> tuple[int, str, bool]:
    """(moderator id, state, blind step done) of a sample; KeyError if there is none."""
    row = store.db.execute(
        """SELECT d.user_id, s.state, EXISTS (SELECT 1 FROM audits a WHERE a.sample_id = s.id)
           FROM audit_samples s JOIN decisions d ON d.id = s.decision_id WHERE s.id = ?""", [sample_id]).fetchone()
    if row is None:
        raise KeyError(f"no audit sample with id {sample_id}")
    return row[0], row[1], bool(row[2])


def _is_current(store: Store, decision_id: int) -> bool:
    return store.db.execute(f"SELECT 1 FROM decisions d WHERE d.id = ? AND {CURRENT}", [decision_id]).fetchone() is not None


def _not_own(user: User, moderator_id: int) -> None:
    if user.id == moderator_id:
        raise PermissionError(f"{user.name} made this decision; nobody audits their own decisions")


# ----------------------------------------------------------------- steps
def start_audit(store: Store, auditor: User | str, sample_id: int) -> AuditTask:
    """Open a sample for its blind step: claims it if free; returns the item and not the decision."""
    user = roles.require(store, auditor, "auditor", to="audit")
    with store.transaction():
        moderator_id, state, _ = _sample_row(store, sample_id)
        _not_own(user, moderator_id)
        if state != "open":
            raise AuditError(f"this sample is already {state}")
        now = store.now()
        row = store.db.execute(
            f"""SELECT s.decision_id, s.plan, d.item_id,
                       (SELECT a.auditor_id FROM audits a WHERE a.sample_id = s.id)
                FROM audit_samples s JOIN decisions d ON d.id = s.decision_id
                WHERE s.id = ? AND (s.auditor_id = ? OR {_claim_free(now)})""", [sample_id, user.id]).fetchone()
        if row is None:
            holder = store.db.execute("SELECT u.name FROM audit_samples s JOIN users u ON u.id = s.auditor_id"
                                      " WHERE s.id = ?", [sample_id]).fetchone()
            raise PermissionError(f"this sample is assigned to {holder[0]}; ask a lead to reassign it")
        decision_id, plan, item_id, blind_by = row
        if blind_by is None and not _is_current(store, decision_id):
            raise AuditError("the decision was undone after it was sampled; skip this sample")
        store.db.execute("UPDATE audit_samples SET auditor_id = ?, claimed_at = ? WHERE id = ?",
                         [user.id, now, sample_id])
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
    labels = list(dict.fromkeys(labels))
    if not (action or "").strip():
        raise AuditError("the blind decision needs an action")
    if taxonomy is not None:
        # The note rule (an escalation needs a reason) is for moderators; a blind
        # verdict may say "escalate" without one.
        problem = taxonomy.check(action, labels, note or "-")
        if problem:
            raise AuditError(problem)
    with store.transaction():
        moderator_id, state, done = _sample_row(store, sample_id)
        _not_own(user, moderator_id)
        if done:
            raise AuditError("the blind decision for this sample is already stored")
        if state != "open":
            raise AuditError(f"this sample is already {state}")
        holder, decision_id = store.db.execute("SELECT auditor_id, decision_id FROM audit_samples WHERE id = ?",
                                               [sample_id]).fetchone()
        if holder != user.id:
            raise BlindStepError("start the audit first (it claims the sample for you)")
        now = store.now()
        audit_id = store.db.execute(
            "INSERT INTO audits (sample_id, decision_id, auditor_id, blind_action, blind_labels, blind_note, blind_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [sample_id, decision_id, user.id, action, json.dumps(labels), note or "", now]).lastrowid
        store.log(user.name, "audit.blind", f"sample:{sample_id}",
                  {"audit": audit_id, "action": action, "labels": labels})
    return audit_id


def _own_audit(store: Store, user: User, sample_id: int) -> tuple:
    """(audit id, revealed_at, scored_at, blind action, blind labels) of the user's audit of the sample."""
    row = store.db.execute(
        "SELECT id, auditor_id, revealed_at, scored_at, blind_action, blind_labels FROM audits WHERE sample_id = ?",
        [sample_id]).fetchone()
    if row is None:
        _sample_row(store, sample_id)  # KeyError for an unknown sample
        raise BlindStepError("decide blind first: the moderator's decision is shown only after your own")
    if row[1] != user.id:
        raise PermissionError("another auditor is auditing this sample")
    return row[0], row[2], row[3], row[4], tuple(json.loads(row[5]))


def reveal_original(store: Store, auditor: User | str, sample_id: int) -> Original:
    """The moderator's decision beside the auditor's blind one; BlindStepError before the blind step."""
    user = roles.require(store, auditor, "auditor", to="audit")
    with store.transaction():
        moderator_id, _, _ = _sample_row(store, sample_id)
        _not_own(user, moderator_id)
        audit_id, revealed_at, _, blind_action, blind_labels = _own_audit(store, user, sample_id)
        if revealed_at is None:
            store.db.execute("UPDATE audits SET revealed_at = ? WHERE id = ?", [store.now(), audit_id])
        store.log(user.name, "audit.revealed", f"sample:{sample_id}", {"audit": audit_id})
        row = store.db.execute(
            """SELECT d.id, u.name, q.name, d.action, d.labels, d.note, d.decided_at, d.handle_ms
               FROM audit_samples s JOIN decisions d ON d.id = s.decision_id
               JOIN users u ON u.id = d.user_id JOIN queues q ON q.id = d.queue_id WHERE s.id = ?""",
            [sample_id]).fetchone()
    labels = tuple(json.loads(row[4] or "[]"))
    agrees = row[3] == blind_action and set(labels) == set(blind_labels)
    return Original(sample_id, row[0], row[1], row[2], row[3], labels, row[5], row[6], row[7],
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
        moderator_id, _, _ = _sample_row(store, sample_id)
        _not_own(user, moderator_id)
        audit_id, revealed_at, scored_at, _, _ = _own_audit(store, user, sample_id)
        if revealed_at is None:
            raise BlindStepError("see the moderator's decision before scoring it")
        if scored_at is not None:
            raise AuditError("this audit is already scored; the moderator may dispute it")
        value = rubric(store).score(verdict, error_type, severity)
        store.db.execute(
            "UPDATE audits SET verdict = ?, error_type = ?, severity = ?, comment = ?, score = ?, scored_at = ?"
            " WHERE id = ?", [verdict, error_type, severity, comment or "", value, store.now(), audit_id])
        store.db.execute("UPDATE audit_samples SET state = 'audited' WHERE id = ?", [sample_id])
        store.log(user.name, "audit.scored", f"sample:{sample_id}",
                  {"audit": audit_id, "verdict": verdict, "error_type": error_type, "severity": severity,
                   "score": value})
    return Scored(audit_id, sample_id, verdict, error_type, severity, value)

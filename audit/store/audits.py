"""SQL of ``audits`` and ``audit_rubric``: the blind decision, the reveal, the score and its weights.

The ``audits`` row is written in steps (blind, revealed, scored) and the
schema's triggers keep a stored blind decision and a scored audit as they
are. Each step is one guarded write here (:func:`decide_blind`,
:func:`reveal_to`, :func:`score_once`, :func:`set_rubric_weights`): one
transaction that re-reads the sample, raises :class:`~review.store.Refused`
when the step is out of order, writes and logs its event; ``audit.audits``
words the refusals.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from audit.store import insert_returning_id
from audit.store import samples as sample_rows
from review.store import Refused, Store, User, server_roles

RUBRIC_SUBJECT = "rubric"  # the subject of every ``audit.rubric_changed`` event


def rubric_weights(store: Store) -> list[tuple[str, str, float]]:
    """(kind, key, weight) of every weight a lead changed."""
    return [(r[0], r[1], r[2]) for r in store.db.execute("SELECT kind, key, weight FROM audit_rubric")]


def set_rubric_weight(store: Store, kind: str, key: str, weight: float, by: str, at: str) -> None:
    store.db.execute(
        "INSERT INTO audit_rubric (kind, key, weight, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (kind, key) DO UPDATE SET weight = excluded.weight,"
        " updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        [kind, key, weight, by, at],
    )


def add_blind(store: Store, sample_id: int, decision_id: int, auditor_id: int, action: str, labels_json: str,
              note: str, at: str) -> int:
    """The auditor's blind decision, as a new audit; its id."""
    return insert_returning_id(
        store, "INSERT INTO audits (sample_id, decision_id, auditor_id, blind_action, blind_labels, blind_note,"
        " blind_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        [sample_id, decision_id, auditor_id, action, labels_json, note, at])


def of_sample(store: Store, sample_id: int) -> tuple[int, int, str | None, str | None, str, str] | None:
    """(audit id, auditor id, revealed_at, scored_at, blind action, blind labels JSON) of the sample's audit."""
    row = store.db.execute(
        "SELECT id, auditor_id, revealed_at, scored_at, blind_action, blind_labels FROM audits WHERE sample_id = ?",
        [sample_id]).fetchone()
    return (row[0], row[1], row[2], row[3], row[4], row[5]) if row else None


def reveal(store: Store, audit_id: int, at: str) -> None:
    store.db.execute("UPDATE audits SET revealed_at = ? WHERE id = ?", [at, audit_id])


def original(store: Store, sample_id: int) -> tuple[Any, ...]:
    """(decision id, moderator, queue, action, labels JSON, note, decided at, handle ms) of the sampled decision.

    On a server an auditor's own database role may not read a decision's action, labels or note at all: the
    server's ``veil_original`` hands them to a lead, or to the auditor whose blind answer is stored
    (:mod:`review.store.server_roles`), so the blind rule holds even for someone who connects with ``psql``.
    """
    if server_roles.installed(store.db):  # a server whose owner may not create roles has no rules, nor this door
        return tuple(store.db.execute("SELECT * FROM veil_original(?)", [sample_id]).fetchone())
    return tuple(store.db.execute(
        """SELECT d.id, u.name, q.name, d.action, d.labels, d.note, d.decided_at, d.handle_ms
           FROM audit_samples s JOIN decisions d ON d.id = s.decision_id
           JOIN users u ON u.id = d.user_id JOIN queues q ON q.id = d.queue_id WHERE s.id = ?""",
        [sample_id]).fetchone())


def record_score(store: Store, audit_id: int, verdict: str, error_type: str | None, severity: str | None,
                 comment: str, score: float, at: str) -> None:
    store.db.execute(
        "UPDATE audits SET verdict = ?, error_type = ?, severity = ?, comment = ?, score = ?, scored_at = ?"
        " WHERE id = ?", [verdict, error_type, severity, comment, score, at, audit_id])


def add_imported(store: Store, sample_id: int, decision_id: int, auditor_id: int, blind_action: str,
                 blind_labels_json: str, blind_note: str, verdict: str, error_type: str | None,
                 severity: str | None, comment: str, score: float, at: str) -> int:
    """An audit done in another tool, blind, revealed and scored at *at*; its id."""
    return insert_returning_id(
        store, "INSERT INTO audits (sample_id, decision_id, auditor_id, blind_action, blind_labels, blind_note,"
        " blind_at, revealed_at, verdict, error_type, severity, comment, score, scored_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        [sample_id, decision_id, auditor_id, blind_action, blind_labels_json, blind_note, at, at, verdict,
         error_type, severity, comment, score, at])


# ------------------------------------------------------- guarded writes
def set_rubric_weights(store: Store, actor: str, weights: Sequence[tuple[str, str, float]],
                       whole: Callable[[], dict[str, dict[str, float]]],
                       merged: Callable[[dict[str, dict[str, float]]], dict[str, dict[str, float]]],
                       expected: dict[str, dict[str, float]] | None = None) -> bool:
    """Store (kind, key, weight) rows and the ``audit.rubric_changed`` event, in one transaction; False if unchanged.

    *whole* gives the complete rubric (defaults included), read inside the
    transaction, so the one event holds the old and the new rubric as they
    really were; *merged* is what the rows make of it. Refused as
    ``"changed"`` if the rubric is no longer
    *expected* (the rubric the writer started from); nothing is written
    when the rows change nothing.
    """
    now = store.now()
    with store.transaction():
        old = whole()
        if expected is not None and old != expected:
            raise Refused("changed")
        if merged(old) == old:
            return False
        for kind, key, value in weights:
            set_rubric_weight(store, kind, key, value, actor, now)
        store.log(actor, "audit.rubric_changed", RUBRIC_SUBJECT,
                  {"weights": [list(r) for r in weights], "old": old, "value": whole()})
        return True


def last_rubric_change(store: Store) -> tuple[str, str] | None:
    """(who, when) of the latest rubric change, from the rows it wrote; None if the defaults were never changed."""
    row = store.db.execute(
        "SELECT updated_by, updated_at FROM audit_rubric ORDER BY updated_at DESC LIMIT 1").fetchone()
    return (row[0], row[1]) if row else None


def decide_blind(store: Store, auditor: User, sample_id: int, action: str, labels: list[str], note: str) -> int:
    """Store the auditor's blind decision with its event, in one transaction; the audit id.

    Refused as ``samples.not_own``, ``"blind_done"`` (already stored),
    ``"closed"`` (detail: the sample's state) or ``"not_claimed"`` (the
    auditor has not started it).
    """
    with store.transaction():
        state, done = sample_rows.not_own(store, sample_id, auditor.id)
        if done:
            raise Refused("blind_done")
        if state != "open":
            raise Refused("closed", state)
        held_by, _, decision_id = sample_rows.holder(store, sample_id)
        if held_by != auditor.id:
            raise Refused("not_claimed")
        audit_id = add_blind(store, sample_id, decision_id, auditor.id, action, json.dumps(labels), note, store.now())
        store.log(auditor.name, "audit.blind", f"sample:{sample_id}",
                  {"audit": audit_id, "action": action, "labels": labels})
    return audit_id


def _own_audit(store: Store, auditor_id: int, sample_id: int) -> tuple[int, str | None, str | None, str, str]:
    """(audit id, revealed_at, scored_at, blind action, blind labels JSON) of the auditor's audit.

    Refused ``"not_blind"`` before the blind step, ``"other_auditor"`` when it is someone else's.
    """
    row = of_sample(store, sample_id)
    if row is None:
        raise Refused("not_blind")
    audit_id, owner_id, revealed_at, scored_at, blind_action, blind_labels = row
    if owner_id != auditor_id:
        raise Refused("other_auditor")
    return audit_id, revealed_at, scored_at, blind_action, blind_labels


def reveal_to(store: Store, auditor: User, sample_id: int) -> tuple[str, str, tuple[Any, ...]]:
    """Mark the audit revealed (first time) and log it, in one transaction.

    Returns (blind action, blind labels JSON, :func:`original`). Refused as
    ``samples.not_own`` or ``_own_audit``.
    """
    with store.transaction():
        sample_rows.not_own(store, sample_id, auditor.id)
        audit_id, revealed_at, _, blind_action, blind_labels = _own_audit(store, auditor.id, sample_id)
        if revealed_at is None:
            reveal(store, audit_id, store.now())
        store.log(auditor.name, "audit.revealed", f"sample:{sample_id}", {"audit": audit_id})
        return blind_action, blind_labels, original(store, sample_id)


def score_once(store: Store, auditor: User, sample_id: int, verdict: str, error_type: str | None,
               severity: str | None, comment: str, points: Callable[[], float]) -> tuple[int, float]:
    """Score a revealed audit and close its sample, with the event, in one transaction; (audit id, score).

    *points* gives the rubric's score, read inside the transaction. Refused
    as ``samples.not_own`` or ``_own_audit``, ``"not_revealed"`` or
    ``"scored"`` (already final).
    """
    with store.transaction():
        sample_rows.not_own(store, sample_id, auditor.id)
        audit_id, revealed_at, scored_at, _, _ = _own_audit(store, auditor.id, sample_id)
        if revealed_at is None:
            raise Refused("not_revealed")
        if scored_at is not None:
            raise Refused("scored")
        value = points()
        record_score(store, audit_id, verdict, error_type, severity, comment, value, store.now())
        sample_rows.set_state(store, sample_id, "audited")
        store.log(auditor.name, "audit.scored", f"sample:{sample_id}",
                  {"audit": audit_id, "verdict": verdict, "error_type": error_type, "severity": severity,
                   "score": value})
    return audit_id, value

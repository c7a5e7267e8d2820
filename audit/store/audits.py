"""SQL of ``audits`` and ``audit_rubric``: the blind decision, the reveal, the score and its weights.

The ``audits`` row is written in steps (blind, revealed, scored) and the
schema's triggers keep a stored blind decision and a scored audit as they
are; these functions only carry the values.
"""

from __future__ import annotations

from typing import Any

from audit.store import insert_returning_id
from review.store import Store


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
    """(decision id, moderator, queue, action, labels JSON, note, decided at, handle ms) of the sampled decision."""
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

"""SQL of disputes and their resolutions, and of audit results as the ``audit_verdicts`` view gives them.

Rows come back in the column order of the domain's dataclasses
(``audit.disputes.Result`` and ``Dispute``); labels stay JSON text.
:func:`open_once` and :func:`resolve_once` are the guarded writes (one
transaction with its event, :class:`~review.store.Refused` when a guard
fails); ``audit.disputes`` words the refusals.
"""

from __future__ import annotations

from typing import Any

from audit.store import insert_returning_id
from review.store import Refused, Store, User, server_roles
from review.store.bound import marks, slices

Row = tuple[Any, ...]

_RESULT_SQL = """
SELECT v.audit_id, d.id, d.item_id, q.name, d.decided_at, d.action, d.labels, v.blind_action, v.blind_labels,
       v.final_verdict, v.final_error_type, v.final_severity, v.final_score, v.comment, v.scored_at, v.verdict,
       v.dispute_id, CASE WHEN v.dispute_id IS NULL THEN NULL ELSE COALESCE(v.dispute_outcome, 'open') END
FROM audit_verdicts v JOIN decisions d ON d.id = v.decision_id JOIN queues q ON q.id = d.queue_id
"""

_DISPUTE_SQL = """
SELECT p.id, p.audit_id, a.decision_id, m.name, p.reason, p.opened_at, r.outcome, l.name, r.note, r.resolved_at
FROM disputes p JOIN audits a ON a.id = p.audit_id JOIN users m ON m.id = p.moderator_id
LEFT JOIN dispute_resolutions r ON r.dispute_id = p.id LEFT JOIN users l ON l.id = r.lead_id
"""


def results_of(store: Store, moderator_id: int) -> list[Row]:
    """The moderator's scored audits with final verdicts, newest audit first.

    On a server enforcing roles the person's own decisions come through ``veil_decided`` (their own, a lead's
    or the owner's door): an auditor's role may not read any decision's action or labels, their own included.
    """
    if server_roles.installed(store.db):
        return store.db.execute(_RESULT_SQL.replace("JOIN decisions d ON", "JOIN veil_decided(?) d ON")
                                + " ORDER BY v.scored_at DESC, v.audit_id DESC", [moderator_id]).fetchall()
    return store.db.execute(_RESULT_SQL + " WHERE d.user_id = ? ORDER BY v.scored_at DESC, v.audit_id DESC",
                            [moderator_id]).fetchall()


def results_of_audits(store: Store, audit_ids: list[int]) -> list[Row]:
    """The results of these audits (any moderator's), for a lead judging their disputes."""
    found: list[Row] = []
    for chunk in slices(audit_ids):
        found += store.db.execute(_RESULT_SQL + f" WHERE v.audit_id IN ({marks(chunk)})", chunk).fetchall()
    return found


def disputable(store: Store, audit_id: int) -> tuple[int, str, int | None] | None:
    """(moderator id, verdict as scored, dispute id) of a scored audit; None when there is none."""
    row = store.db.execute(
        "SELECT d.user_id, v.verdict, v.dispute_id FROM audit_verdicts v JOIN decisions d ON d.id = v.decision_id"
        " WHERE v.audit_id = ?", [audit_id]).fetchone()
    return (row[0], row[1], row[2]) if row else None


def add_dispute(store: Store, audit_id: int, moderator_id: int, reason: str, at: str) -> int:
    return insert_returning_id(
        store, "INSERT INTO disputes (audit_id, moderator_id, reason, opened_at) VALUES (?, ?, ?, ?) RETURNING id",
        [audit_id, moderator_id, reason, at])


def resolvable(store: Store, dispute_id: int) -> tuple[int, int, int | None, int] | None:
    """(moderator id, audit id, resolution id, auditor id) of a dispute; None when there is none."""
    row = store.db.execute(
        "SELECT p.moderator_id, p.audit_id, r.id, a.auditor_id FROM disputes p JOIN audits a ON a.id = p.audit_id"
        " LEFT JOIN dispute_resolutions r ON r.dispute_id = p.id WHERE p.id = ?", [dispute_id]).fetchone()
    return (row[0], row[1], row[2], row[3]) if row else None


def add_resolution(store: Store, dispute_id: int, lead_id: int, outcome: str, note: str, at: str) -> None:
    store.db.execute(
        "INSERT INTO dispute_resolutions (dispute_id, lead_id, outcome, note, resolved_at) VALUES (?, ?, ?, ?, ?)",
        [dispute_id, lead_id, outcome, note, at])


def dispute(store: Store, dispute_id: int) -> Row | None:
    row = store.db.execute(_DISPUTE_SQL + " WHERE p.id = ?", [dispute_id]).fetchone()
    return tuple(row) if row else None


def listing(store: Store, *, open_only: bool = False) -> list[Row]:
    """Every dispute (or the unresolved ones), oldest first."""
    where = " WHERE r.id IS NULL" if open_only else ""
    return store.db.execute(_DISPUTE_SQL + where + " ORDER BY p.opened_at, p.id").fetchall()


def of_audit(store: Store, audit_id: int) -> list[Row]:
    return store.db.execute(_DISPUTE_SQL + " WHERE p.audit_id = ?", [audit_id]).fetchall()


def audit_people(store: Store, audit_id: int) -> tuple[int, int] | None:
    """(moderator id, auditor id) of an audit; None when there is none."""
    row = store.db.execute(
        "SELECT d.user_id, a.auditor_id FROM audits a JOIN decisions d ON d.id = a.decision_id WHERE a.id = ?",
        [audit_id]).fetchone()
    return (row[0], row[1]) if row else None


def audit_steps(store: Store, audit_id: int) -> Row | None:
    """(blind at, auditor, blind action, blind labels JSON, revealed at, scored at, verdict, error type, severity,
    score, comment) of an audit."""
    row = store.db.execute(
        "SELECT a.blind_at, u.name, a.blind_action, a.blind_labels, a.revealed_at, a.scored_at, a.verdict,"
        " a.error_type, a.severity, a.score, a.comment FROM audits a JOIN users u ON u.id = a.auditor_id"
        " WHERE a.id = ?", [audit_id]).fetchone()
    return tuple(row) if row else None


# ------------------------------------------------------- guarded writes
def open_once(store: Store, moderator: User, audit_id: int, reason: str) -> int:
    """The moderator's dispute of an incorrect verdict, with its event, in one transaction; its id.

    Refused ``"no_audit"`` (no scored audit), ``"not_moderator"`` (someone
    else made the decision), ``"not_incorrect"`` or ``"disputed"`` (once only).
    """
    with store.transaction():
        row = disputable(store, audit_id)
        if row is None:
            raise Refused("no_audit")
        moderator_id, verdict, earlier = row
        if moderator_id != moderator.id:
            raise Refused("not_moderator")
        if verdict != "incorrect":
            raise Refused("not_incorrect")
        if earlier is not None:
            raise Refused("disputed")
        dispute_id = add_dispute(store, audit_id, moderator.id, reason, store.now())
        store.log(moderator.name, "dispute.opened", f"audit:{audit_id}", {"dispute": dispute_id, "reason": reason})
    return dispute_id


def resolve_once(store: Store, lead: User, dispute_id: int, outcome: str, note: str) -> None:
    """The lead's resolution of a dispute, with its event, in one transaction.

    Refused ``"no_dispute"``, ``"own_decision"`` / ``"own_audit"`` (the lead
    made the decision or scored it) or ``"resolved"`` (already).
    """
    with store.transaction():
        row = resolvable(store, dispute_id)
        if row is None:
            raise Refused("no_dispute")
        moderator_id, audit_id, resolution, auditor_id = row
        if moderator_id == lead.id:
            raise Refused("own_decision")
        if auditor_id == lead.id:
            raise Refused("own_audit")
        if resolution is not None:
            raise Refused("resolved")
        add_resolution(store, dispute_id, lead.id, outcome, note, store.now())
        store.log(lead.name, "dispute.resolved", f"audit:{audit_id}",
                  {"dispute": dispute_id, "outcome": outcome, "note": note})

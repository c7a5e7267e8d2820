"""Do the correction requests and their outcomes agree with the history? ``veil verify``'s check of m018's tables.

Both tables are append-only (triggers), so what is left to check is a row
inserted behind Veil's back, or a trigger dropped and a row edited. Every
write of :mod:`review.store.corrections` logs its event in its
transaction, so each row has exactly one event with the same facts:

- a request: ``decision.correction_requested`` (request, decision, who
  asked, when, the reason's digest);
- an outcome: ``decision.correction_declined`` or ``decision.corrected``
  (request, lead, when, the note's digest; a correction also the new
  decision, which must be a ``correction`` decision (not a revocation) of the
  same item, made after the one it corrects: nothing is revoked, as with a
  complaint's reversal);

no such event lacks its row, and no decision has two open requests. The
decision rows a correction appends are :mod:`review.store.reconcile`'s to
match with their own ``decision.recorded`` events.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import sqlite_utils

from review.store.corrections import SOURCE
from review.store.decisions import note_digest

_KINDS = {"decision.correction_requested": "request", "decision.correction_declined": "declined",
          "decision.corrected": "corrected"}


def correction_problems(db: sqlite_utils.Database) -> list[str]:
    """Every request or outcome row the log does not account for, in words (none before m018)."""
    if not db["correction_requests"].exists():
        return []
    return [*_request_problems(db), *_outcome_problems(db), *_open_twice(db)]


def _events(db: sqlite_utils.Database, kinds: tuple[str, ...]) -> dict[int, list[tuple[int, str, str, dict[str, Any]]]]:
    """Request id → (event id, kind, actor, payload) of each event of *kinds* naming it, oldest first."""
    found: dict[int, list[tuple[int, str, str, dict[str, Any]]]] = {}
    marks = ",".join("?" * len(kinds))
    for event_id, kind, actor, text in db.execute(
            f"SELECT id, kind, actor, payload FROM events WHERE kind IN ({marks}) AND json_valid(payload)"
            " ORDER BY id", list(kinds)):
        payload = json.loads(text)
        request = payload.get("request")
        if isinstance(request, int):
            found.setdefault(request, []).append((event_id, kind, actor, payload))
    return found


def _request_problems(db: sqlite_utils.Database) -> Iterator[str]:
    events = _events(db, ("decision.correction_requested",))
    rows = db.execute("SELECT r.id, r.decision_id, u.name, r.reason, r.requested_at FROM correction_requests r"
                      " LEFT JOIN users u ON u.id = r.user_id ORDER BY r.id").fetchall()
    for request_id, decision_id, name, reason, requested_at in rows:
        what = f"correction request {request_id} (decision {decision_id}, by {name})"
        said = events.pop(request_id, [])
        if len(said) != 1:
            yield f"{what} has {len(said) or 'no'} decision.correction_requested events: written behind Veil's back"
            continue
        event_id, _kind, actor, payload = said[0]
        stored = {"actor": name, "decision": decision_id, "requested_at": requested_at,
                  "reason_sha256": note_digest(reason) if isinstance(reason, str) else None}
        yield from _differ(what, event_id, stored, {"actor": actor, **payload})
    for request_id, said in sorted(events.items()):
        yield f"correction request {request_id} is in the log (event {said[0][0]}) but not in the store"


def _outcome_problems(db: sqlite_utils.Database) -> Iterator[str]:
    events = _events(db, ("decision.correction_declined", "decision.corrected"))
    rows = db.execute(
        "SELECT o.request_id, o.outcome, u.name, o.note, o.ended_at, o.decision_id, r.decision_id,"
        " c.item_id, d.item_id, c.source, c.revokes_id"
        " FROM correction_outcomes o LEFT JOIN users u ON u.id = o.lead_id"
        " LEFT JOIN correction_requests r ON r.id = o.request_id LEFT JOIN decisions d ON d.id = r.decision_id"
        " LEFT JOIN decisions c ON c.id = o.decision_id"
        " ORDER BY o.id").fetchall()
    for (request_id, outcome, lead, note, ended_at, correction, decision, corrected_item, item, source,
         revokes) in rows:
        what = f"correction request {request_id} ({outcome} by {lead})"
        said = events.pop(request_id, [])
        if len(said) != 1:
            yield f"{what} has {len(said) or 'no'} events that ended it: written behind Veil's back"
            continue
        event_id, kind, actor, payload = said[0]
        stored: dict[str, Any] = {"outcome": outcome, "actor": lead, "decision": decision, "ended_at": ended_at,
                                  "note_sha256": note_digest(note) if isinstance(note, str) else None}
        told: dict[str, Any] = {"outcome": _KINDS[kind], "actor": actor, **payload}
        if outcome == "corrected":
            stored.update(correction=correction)
            if (corrected_item != item or source != SOURCE or revokes is not None or correction is None
                    or decision is None or correction <= decision):
                yield (f"{what}: decision {correction} is not a correction made after decision {decision} "
                       "on its item")
        yield from _differ(what, event_id, stored, told)
    for request_id, said in sorted(events.items()):
        yield f"correction request {request_id} was ended in the log (event {said[0][0]}), but the store has no outcome"


def _open_twice(db: sqlite_utils.Database) -> Iterator[str]:
    for decision_id, count in db.execute(
            "SELECT r.decision_id, COUNT(*) FROM correction_requests r"
            " WHERE NOT EXISTS (SELECT 1 FROM correction_outcomes o WHERE o.request_id = r.id)"
            " GROUP BY r.decision_id HAVING COUNT(*) > 1 ORDER BY r.decision_id"):
        yield f"decision {decision_id} has {count} open correction requests; one may be open at a time"


def _differ(what: str, event_id: int, stored: dict[str, Any], said: dict[str, Any]) -> Iterator[str]:
    differ = [f"{field} is {value!r} but the event says {said.get(field)!r}"
              for field, value in stored.items() if value != said.get(field)]
    if differ:
        yield f"{what} disagrees with its event {event_id}: " + "; ".join(differ)

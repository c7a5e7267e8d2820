"""Do the escalation rows and routes agree with the history? ``veil verify``'s check of schema m012's tables.

Triggers keep an escalation's facts fixed and refuse deletes and
``INSERT OR REPLACE``; what is left to a hand-written ``UPDATE`` (how an
escalation ended, the lead's note) and what a dropped trigger lets
through is matched here with the events every escalation write logs in
its transaction (:mod:`review.store.escalations`):

- each row is opened by the ``decision.made`` that escalated (its
  ``escalation`` and ``escalated_to_id``; rows made before m012 by the
  escalating decision alone), and no such event lacks its row;
- how it ended, replayed from the log in order — ``decision.made``
  (``ended_escalation``: decided, by that decision), ``escalation.sent_back``
  (with the note's digest), ``decision.revoked`` (``escalation_undone``,
  ``escalation_reopened``), ``items.moved`` (``escalations_closed``:
  moved out) — is what the row says (open, outcome, who, the decision,
  the note); ``escalation.moved`` names an escalation of that item;
- an open escalation's item is in an escalation queue (its state is
  :func:`review.store.reconcile.item_problems`' to check);
- a queue's routes are its last ``queue.escalation_set`` (``to_ids``,
  followed through merges) or, never set, its default column alone; only
  review queues escalate, only to escalation queues, and the default is
  the first route.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from review.store.decisions import note_digest

_ENDINGS = ("decision.made", "escalation.sent_back", "escalation.moved", "decision.revoked", "items.moved")


@dataclass
class _Replayed:
    """An escalation as its events leave it."""

    open: bool = True
    outcome: str | None = None
    actor: str | None = None
    decision: int | None = None
    note_sha256: str | None = None


def escalation_problems(db: sqlite_utils.Database) -> list[str]:
    """Every escalation row or route that the event log does not account for, in words (none before m012)."""
    if not db["escalations"].exists():
        return []
    return [*_row_problems(db), *_route_problems(db)]


# ------------------------------------------------------------------- rows
def _row_problems(db: sqlite_utils.Database) -> list[str]:
    rows = {r[0]: r for r in db.execute(
        "SELECT e.id, e.item_id, e.decision_id, e.sent_to_id, s.name, e.closed_at IS NULL, e.outcome, u.name,"
        " e.outcome_decision_id, e.outcome_note, q.kind"
        " FROM escalations e JOIN queues s ON s.id = e.sent_to_id JOIN items i ON i.id = e.item_id"
        " JOIN queues q ON q.id = i.queue_id LEFT JOIN users u ON u.id = e.closed_by ORDER BY e.id")}
    problems: list[str] = []
    opened: dict[int, dict[str, Any]] = {}  # escalating decision id → its event's payload
    replayed: dict[int, _Replayed] = {}
    closed_by_decision: dict[int, int] = {}  # deciding decision id → the escalation it decided
    for event_id, kind, actor, payload in _events(db):
        if kind == "decision.made" and payload.get("escalated"):
            opened[_int(payload.get("decision"))] = payload
            if "escalation" in payload:
                replayed[_int(payload["escalation"])] = _Replayed()
        if kind == "decision.made" and "ended_escalation" in payload:
            row = _int(payload["ended_escalation"])
            replayed[row] = _Replayed(False, "decided", actor, _int(payload.get("decision")))
            closed_by_decision[_int(payload.get("decision"))] = row
        elif kind == "escalation.sent_back":
            replayed[_int(payload.get("escalation"))] = _Replayed(False, "sent_back", actor,
                                                                   note_sha256=payload.get("note_sha256"))
        elif kind == "escalation.moved" and payload.get("escalation") is not None and (
                rows.get(_int(payload["escalation"])) is None):
            problems.append(f"event {event_id} (escalation.moved) moved escalation {payload.get('escalation')}, "
                            "which is not in the store")
        elif kind == "decision.revoked":
            if "escalation_undone" in payload:
                replayed[_int(payload["escalation_undone"])] = _Replayed(False, "undone", actor)
            if "escalation_reopened" in payload:
                replayed[_int(payload["escalation_reopened"])] = _Replayed()
        elif kind == "items.moved":
            for row in payload.get("escalations_closed", []):
                replayed[_int(row)] = _Replayed(False, "moved_out", actor)
    for row_id, row in rows.items():
        problems.extend(_row_against(row, opened.get(row[2]), replayed.get(row_id)))
    problems.extend(f"escalation {row} is in the log but not in the store"
                    for row in sorted(set(replayed) - set(rows)))
    return problems


def _row_against(row: tuple[Any, ...], made: dict[str, Any] | None, replayed: _Replayed | None) -> list[str]:
    """What is wrong with one escalation row, given its opening event's payload and its replayed end."""
    row_id, item_id, decision_id, sent_to_id, sent_to, is_open, outcome, closed_by, outcome_decision, note, kind = row
    what = f"escalation {row_id} (item {item_id})"
    if made is None:
        return [f"{what} has no decision.made event that escalated decision {decision_id}"]
    problems = []
    if "escalation" in made and _int(made["escalation"]) != row_id:
        problems.append(f"{what}: decision {decision_id}'s event made escalation {made['escalation']}, not this row")
    if "escalated_to_id" in made and _int(made["escalated_to_id"]) != sent_to_id:
        problems.append(f"{what} says it was sent to “{sent_to}”, but decision {decision_id}'s event sent it to "
                        f"queue {made['escalated_to_id']} ({made.get('escalated_to')})")
    expected = replayed or _Replayed()
    if bool(is_open) != expected.open or (not expected.open and outcome != expected.outcome):
        problems.append(f"{what} is {'open' if is_open else outcome}, but its events leave it "
                        f"{'open' if expected.open else expected.outcome}")
        return problems
    if expected.open:  # its item's state is item_problems' to check: a decided item is named once
        if kind != "escalation":
            problems.append(f"{what} is open, but its item is in a{'n' if kind[0] in 'aeiou' else ''} {kind} queue")
        return problems
    if closed_by != expected.actor:
        problems.append(f"{what} was ended by {expected.actor} ({outcome}), but the row names {closed_by}")
    if outcome == "decided" and outcome_decision != expected.decision:
        problems.append(f"{what} was decided by decision {expected.decision}, but the row names {outcome_decision}")
    if outcome == "sent_back" and (not isinstance(note, str) or note_digest(note) != expected.note_sha256):
        problems.append(f"{what}: the lead's note is not the one sent back with it (escalation.sent_back)")
    return problems


def _events(db: sqlite_utils.Database) -> list[tuple[int, str, str, dict[str, Any]]]:
    """The events that open, end, reopen or move escalations, oldest first, with their payloads read."""
    marks = ",".join("?" * len(_ENDINGS))
    found = []
    for event_id, kind, actor, text in db.execute(
            f"SELECT id, kind, actor, payload FROM events WHERE kind IN ({marks}) AND json_valid(payload)"
            " AND (kind != 'decision.made' OR veil_int(json_extract(payload, '$.escalated')) <> 0"
            " OR json_extract(payload, '$.ended_escalation') IS NOT NULL)"
            " AND (kind != 'decision.revoked' OR json_extract(payload, '$.escalation_undone') IS NOT NULL"
            " OR json_extract(payload, '$.escalation_reopened') IS NOT NULL)"
            " AND (kind != 'items.moved' OR json_extract(payload, '$.escalations_closed') IS NOT NULL)"
            " ORDER BY id", list(_ENDINGS)):
        payload = json.loads(text)
        if isinstance(payload, dict):
            found.append((event_id, kind, actor, payload))
    return found


def _int(value: Any) -> int:
    """An id from a payload; anything else matches no row (-1)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else -1


# ----------------------------------------------------------------- routes
def _route_problems(db: sqlite_utils.Database) -> list[str]:
    queues = {r[0]: r for r in db.execute("SELECT id, name, kind, merged_into_id, escalation_queue_id FROM queues")}
    routes: dict[int, list[int]] = {}
    for queue_id, target in db.execute(
            "SELECT queue_id, escalation_queue_id FROM escalation_routes ORDER BY queue_id, position"):
        routes.setdefault(queue_id, []).append(target)
    last_set: dict[int, list[int]] = {}
    for text in db.execute("SELECT payload FROM events WHERE kind = 'queue.escalation_set' AND json_valid(payload)"
                           " AND json_extract(payload, '$.queue_id') IS NOT NULL ORDER BY id"):
        payload = json.loads(text[0])
        last_set[_int(payload["queue_id"])] = [_int(t) for t in payload.get("to_ids", [])]
    problems = []
    for queue_id, (_, name, kind, merged, default) in sorted(queues.items()):
        if merged is not None:
            continue
        now = routes.get(queue_id, [])
        for target in now:
            target_name, target_kind = (queues[target][1], queues[target][2]) if target in queues else ("?", "?")
            if target_kind != "escalation":
                problems.append(f"“{name}” escalates to “{target_name}”, a {target_kind} queue: only escalation "
                                "queues take escalations")
        if kind != "review":
            if now:
                problems.append(f"“{name}” is a{'n' if kind[0] in 'aeiou' else ''} {kind} queue with escalation "
                                "routes: only review queues escalate")
            continue
        if queue_id in last_set:
            expected = {_merged_into(t, queues) for t in last_set[queue_id]} - {queue_id}
        else:
            expected = {default} if default is not None else set()
        if set(now) != expected:
            problems.append(f"“{name}” escalates to {_names(now, queues)}, but its events say "
                            f"{_names(expected, queues)}")
        elif (now[0] if now else None) != default:
            problems.append(f"“{name}”'s default escalation queue is {_names([default] if default else [], queues)},"
                            f" not its first route {_names(now[:1], queues)}")
    return problems


def _merged_into(queue_id: int, queues: dict[int, tuple[Any, ...]]) -> int:
    """The queue *queue_id* lives on as: itself, or the one it was merged into (however many merges)."""
    seen = {queue_id}
    while queue_id in queues and queues[queue_id][3] is not None and queues[queue_id][3] not in seen:
        queue_id = queues[queue_id][3]
        seen.add(queue_id)
    return queue_id


def _names(ids: Any, queues: dict[int, tuple[Any, ...]]) -> str:
    named = sorted(f"“{queues[i][1]}”" if i in queues else f"#{i}" for i in ids)
    return ", ".join(named) if named else "nothing"

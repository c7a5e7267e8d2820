"""Do the rows agree with the history? Decisions, item states, users and roles against the event log.

Every write appends its event in the same transaction (``Store.log``), so
in an untouched store each row can be derived from, or matched with, an
event. A row changed behind Veil's back (a trigger dropped, a column
flipped, a row deleted or inserted) no longer matches, and the chain
check cannot see that: the events were never touched. These checks can:

- every decision row has exactly one event that made it — ``decision.made``
  (:func:`review.store.decisions.record`), ``decision.recorded``
  (``record_past``: imports, the demo) or ``decision.revoked`` (undo, the
  row it appends) — with the same item, actor, action, labels, queue,
  source and revoked decision, and, where the event records them
  (:func:`review.store.decisions.facts`), the same times and note digest;
  and no such event lacks its row;
- an item's state is what its latest decision row made it (see
  :func:`item_problems`);
- every user, their roles, whether they are active and the queues they
  are limited to are what the ``user.*`` events in :data:`ROLE_EVENTS`,
  :data:`ACTIVE_EVENTS` and :data:`QUEUE_EVENTS` say;
- an empty log holds no decisions, users or items.

The big comparisons run in SQL; Python only words the rows that differ.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any

import sqlite_utils

from review.store import dialect, read_queue_ids
from review.store.decisions import note_digest
from review.store.reconcile_automation import automation_problems
from review.store.reconcile_cases import case_problems
from review.store.reconcile_corrections import correction_problems
from review.store.reconcile_dsa import complaint_problems
from review.store.reconcile_escalations import escalation_problems
from review.store.reconcile_hashlists import hashlist_problems
from review.store.reconcile_roster import roster_problems
from review.store.reconcile_training import training_problems
from review.store.rules import rule_set_problems

#: The events that give a user their roles: kind → the roles the user holds after it.
#: A new ``user.*`` event that changes roles is one line here.
ROLE_EVENTS: dict[str, Callable[[Mapping[str, Any]], list[str]]] = {
    "user.created": lambda payload: list(payload["roles"]),
    "user.roles_changed": lambda payload: list(payload["roles"]),
}
#: The events that make a user active or not (``review.people``): kind → active after it.
ACTIVE_EVENTS: dict[str, Callable[[Mapping[str, Any]], bool]] = {
    "user.created": lambda payload: True,
    "user.deactivated": lambda payload: False,
    "user.reactivated": lambda payload: True,
}
#: The events that set the queues a user is limited to: kind → the queue ids after it (empty: no limit).
QUEUE_EVENTS: dict[str, Callable[[Mapping[str, Any]], list[int]]] = {
    "user.created": lambda payload: [],
    "user.queues_changed": lambda payload: [int(q) for q in payload["queues"]],
}

DECISION_EVENTS = ("decision.made", "decision.recorded", "decision.revoked")
FACTS = ("decided_at", "handle_ms", "shown_at", "revealed_ms", "note_sha256")  # review.store.decisions.facts

# Each decision event and the decision row it accounts for: a revocation's event names the
# revoked decision as "decision" and the row it appended as "revocation". MATERIALIZED: the
# joins below look rows up by row_id, and SQLite indexes a materialised CTE for that.
_DECISION_EVENTS = """
WITH ev AS MATERIALIZED (
    SELECT id AS event_id, kind, actor, subject, CASE WHEN json_valid(payload) THEN payload ELSE '{}' END AS payload,
           CASE WHEN NOT json_valid(payload) THEN NULL
                WHEN kind = 'decision.revoked' THEN veil_int(json_extract(payload, '$.revocation'))
                ELSE veil_int(json_extract(payload, '$.decision')) END AS row_id
    FROM events WHERE kind IN ('decision.made', 'decision.recorded', 'decision.revoked'))
"""


def checks(db: sqlite_utils.Database, *, escalating: Collection[str]) -> list[Iterator[str]]:
    """Every comparison of rows with the log, each a stream of sentences (the caller bounds how many it keeps)."""
    dialect.add_sqlite_functions(db)  # veil_int, for a connection Veil did not open itself
    return [decision_problems(db), event_problems(db), item_problems(db, escalating), user_problems(db),
            iter(escalation_problems(db)), complaint_problems(db), empty_log_problems(db), iter(roster_problems(db)),
            iter(correction_problems(db)), iter(training_problems(db)), iter(case_problems(db)),
            iter(hashlist_problems(db)),
            rule_set_problems(db),
            iter(automation_problems(db))]


# ---------------------------------------------------------------- decisions
def decision_problems(db: sqlite_utils.Database) -> Iterator[str]:
    """Decision rows without their event, or unlike it.

    SQL keeps only the rows where some field may differ; each is then
    compared in Python, field by field, to name what differs (labels as
    lists, a queue under the name it had when the event was written).
    Both queries walk the events once and find decisions by primary key.
    """
    for row_id, item_id, action, user in db.execute(_DECISION_EVENTS + """
            SELECT d.id, d.item_id, d.action, u.name FROM decisions d LEFT JOIN users u ON u.id = d.user_id
            WHERE d.id NOT IN (SELECT row_id FROM ev WHERE row_id IS NOT NULL) ORDER BY d.id"""):
        yield f"decision {row_id} (item {item_id}, {action} by {user}) has no event: written behind Veil's back"
    renames = _queue_renames(db)
    if not dialect.is_server(db):  # a server has it from its first schema step (review.store.server_functions)
        db.conn.create_function("veil_note_digest", 1, _note_digest, deterministic=True)
    rows = db.execute(_DECISION_EVENTS + """
        SELECT d.id, d.item_id, u.name, d.action, d.labels, q.name, d.source, d.revokes_id,
               d.decided_at, d.handle_ms, d.shown_at, d.revealed_ms, d.note,
               ev.event_id, ev.kind, ev.actor, ev.subject, ev.payload
        FROM ev JOIN (SELECT *, CASE WHEN json_valid(labels) THEN json_extract(labels, '$') END AS labels_json
                      FROM decisions) d
            ON d.id = ev.row_id
        LEFT JOIN users u ON u.id = d.user_id LEFT JOIN queues q ON q.id = d.queue_id
        WHERE ev.actor IS DISTINCT FROM u.name OR ev.subject IS DISTINCT FROM ('item:' || d.item_id)
           OR CASE ev.kind
                WHEN 'decision.revoked' THEN
                    d.revokes_id IS DISTINCT FROM veil_int(json_extract(ev.payload, '$.decision'))
                    OR d.action IS DISTINCT FROM 'revoke' OR d.labels_json IS DISTINCT FROM json_extract('[]', '$')
                ELSE d.revokes_id IS NOT NULL OR d.action IS DISTINCT FROM json_extract(ev.payload, '$.action')
                    OR d.labels_json IS DISTINCT FROM json_extract(ev.payload, '$.labels')
                    OR q.name IS DISTINCT FROM COALESCE(json_extract(ev.payload, '$.queue'), q.name)
                    OR d.source IS DISTINCT FROM CASE ev.kind WHEN 'decision.made' THEN 'review'
                                                    ELSE json_extract(ev.payload, '$.source') END
              END
           OR (json_type(ev.payload, '$.decided_at') IS NOT NULL  -- events that record the facts (since m009)
               AND (d.decided_at IS DISTINCT FROM json_extract(ev.payload, '$.decided_at')
                    OR d.handle_ms IS DISTINCT FROM veil_int(json_extract(ev.payload, '$.handle_ms'))
                    OR d.shown_at IS DISTINCT FROM json_extract(ev.payload, '$.shown_at')
                    OR d.revealed_ms IS DISTINCT FROM veil_int(json_extract(ev.payload, '$.revealed_ms'))
                    OR veil_note_digest(d.note) IS DISTINCT FROM json_extract(ev.payload, '$.note_sha256')))
        ORDER BY d.id, ev.event_id""")
    for (row_id, item_id, user, action, labels, queue, source, revokes, decided_at, handle_ms, shown_at,
         revealed_ms, note, event_id, kind, actor, subject, payload) in rows:
        what = f"decision {row_id} (item {item_id}, {action} by {user})"
        stored = {"item": f"item:{item_id}", "actor": user, "action": action, "labels": _json(labels),
                  "revokes": revokes}
        said = {"item": subject, "actor": actor}
        body = json.loads(payload)
        if kind == "decision.revoked":
            said.update(action="revoke", labels=[], revokes=body.get("decision"))
        else:
            said.update(action=body.get("action"), labels=body.get("labels"), revokes=None,
                        source="review" if kind == "decision.made" else body.get("source"))
            stored["source"] = source
            if "queue" in body:  # a decision.recorded event names its queue only since schema step m009
                stored["queue"] = queue
                said["queue"] = _renamed(body["queue"], event_id, renames)
        if "decided_at" in body:  # when, how long and what note: recorded since schema step m009
            stored.update(decided_at=decided_at, handle_ms=handle_ms, shown_at=shown_at, revealed_ms=revealed_ms,
                          note_sha256=_note_digest(note))
            said.update({field: body.get(field) for field in FACTS})
        differ = [f"{field} is {stored[field]!r} but the event says {said[field]!r}"
                  for field in stored if stored[field] != said[field]]
        if differ:
            yield f"{what} disagrees with its event {event_id} ({kind}): " + "; ".join(differ)


def event_problems(db: sqlite_utils.Database) -> Iterator[str]:
    """Decision events whose row is missing, and rows claimed by more than one event."""
    for event_id, kind, row_id in db.execute(_DECISION_EVENTS + """
            SELECT ev.event_id, ev.kind, ev.row_id FROM ev LEFT JOIN decisions d ON d.id = ev.row_id
            WHERE d.id IS NULL ORDER BY ev.event_id"""):
        if row_id is None:
            yield f"event {event_id} ({kind}) does not name its decision"
        else:
            yield f"event {event_id} ({kind}) recorded decision {row_id}, which is no longer in the store"
    for row_id, ids in db.execute(_DECISION_EVENTS + """
            SELECT row_id, group_concat(event_id, ', ') FROM ev WHERE row_id IS NOT NULL
            GROUP BY row_id HAVING COUNT(*) > 1 ORDER BY row_id"""):
        yield f"decision {row_id} is claimed by several events ({ids}): one of them was forged"


def _queue_renames(db: sqlite_utils.Database) -> dict[object, list[tuple[int, object]]]:
    """Each old queue name → the (event id, new name) of its renames, oldest first."""
    renames: dict[object, list[tuple[int, object]]] = {}
    for event_id, old, new in db.execute(
            "SELECT id, json_extract(payload, '$.from'), json_extract(payload, '$.to') FROM events"
            " WHERE kind = 'queue.renamed' AND json_valid(payload) ORDER BY id"):
        renames.setdefault(old, []).append((event_id, new))
    return renames


def _renamed(name: object, since: int, renames: dict[object, list[tuple[int, object]]]) -> object:
    """The name that the queue called *name* at event *since* has now.

    Each step finds the name's first rename after *since* by bisection, so
    the cost is the chain's length, not the number of renames in the log.
    """
    while True:
        steps = renames.get(name, [])
        at = bisect.bisect_right(steps, since, key=lambda step: step[0])
        if at == len(steps):
            return name
        since, name = steps[at]


def _note_digest(note: object) -> str | None:
    """The note's digest as the event records it; a note that is not text (written behind Veil's back) has none."""
    return note_digest(note) if isinstance(note, str) else None


def _json(text: str | None) -> Any:
    try:
        return json.loads(text) if text is not None else None
    except ValueError:
        return None


# -------------------------------------------------------------------- items
#: Each item whose state is not what its latest decision row made it, with that row (:func:`item_problems`). Every
#: table is read once, joined by hash or by index whatever the server's statistics say: the latest decision per
#: item was a subquery per item, which a server whose statistics predate most decisions (right after a burst)
#: answered by walking the decisions' key backwards for each item without one: minutes at 100,000 items.
ITEM_STATES = """
    WITH made AS MATERIALIZED (
        SELECT veil_int(json_extract(payload, '$.decision')) AS row_id,
               veil_int(json_extract(payload, '$.escalated')) <> 0 AS escalated
        FROM events WHERE kind = 'decision.made' AND json_valid(payload)),
    latest AS (SELECT item_id, MAX(id) AS latest_id FROM decisions GROUP BY item_id)
    SELECT * FROM (
        SELECT i.id, i.external_id, i.state, d.id, d.action, d.revokes_id, u.name,
               CASE WHEN d.id IS NULL THEN 'none' WHEN d.revokes_id IS NOT NULL THEN 'revocation'
                    WHEN d.source = 'review'
                         AND COALESCE(made.escalated, d.action IN (SELECT value FROM json_each(:escalating)))
                    THEN 'escalation' ELSE 'decision' END AS latest
        FROM items i
        LEFT JOIN latest l ON l.item_id = i.id
        LEFT JOIN decisions d ON d.id = l.latest_id
        -- joined on latest_id, not d.id: only then does SQLite index the CTE for the join
        LEFT JOIN made ON made.row_id = l.latest_id
        LEFT JOIN users u ON u.id = d.user_id) AS latest_rows
    WHERE state IS DISTINCT FROM CASE WHEN latest = 'decision' THEN 'decided' ELSE 'pending' END
    ORDER BY 1"""


def item_problems(db: sqlite_utils.Database, escalating: Collection[str]) -> Iterator[str]:
    """Items whose state is not what their latest decision row made it.

    The rule of :mod:`review.store.decisions`, whose every write sets the
    state: no decision → ``pending``; a revocation (undo reopens the item)
    → ``pending``; a decision made in review (``source`` ``review``) that
    escalated moves the item, still ``pending``, to the escalation queue
    (its ``decision.made`` event says whether it escalated; events older
    than that field fall back to *escalating*, the taxonomy's escalating
    actions); any other decision (made in review, recorded from
    history) → ``decided``. Queue moves and merges never change a state.
    """
    rows = db.execute(ITEM_STATES, {"escalating": json.dumps(sorted(escalating))})
    for item_id, external_id, state, decision_id, action, revokes, user, latest in rows:
        what = f"item {item_id} ({external_id}) is {state}"
        if latest == "none":
            yield f"{what}, but it has no decision"
        elif latest == "revocation":
            yield f"{what}, but its latest decision row {decision_id} revoked decision {revokes} (undo reopens it)"
        elif latest == "escalation":
            yield f"{what}, but its latest decision {decision_id} ({action} by {user}) sent it, pending, to a lead"
        else:
            yield f"{what}, but its latest decision {decision_id} ({action} by {user}) closed it"


# -------------------------------------------------------------------- users
def user_problems(db: sqlite_utils.Database) -> Iterator[str]:
    """Users without the event that created them, events' users not in the table, roles unlike the events'."""
    derived: dict[str, tuple[list[str], int]] = {}
    for name, event_id, kind, roles in _user_events(db, ROLE_EVENTS):
        if roles is None:
            yield f"event {event_id} ({kind}) does not say which roles {name!r} holds"
        else:
            derived[name] = (roles, event_id)
    stored = {name: [r for r in roles.split(",") if r] for name, roles in db.execute("SELECT name, roles FROM users")}
    for name in sorted(stored.keys() - derived.keys()):
        yield f"user {name!r} ({', '.join(stored[name])}) has no user.created event: added behind Veil's back"
    for name in sorted(derived.keys() - stored.keys()):
        yield f"user {name!r}, created by the events (last: event {derived[name][1]}), is not in the users table"
    for name in sorted(stored.keys() & derived.keys()):
        roles, event_id = derived[name]
        if set(stored[name]) != set(roles):
            yield (f"user {name!r} holds the roles {', '.join(sorted(stored[name])) or 'none'}, but the events "
                   f"(last: event {event_id}) give {', '.join(sorted(roles)) or 'none'}")
    yield from _people_problems(db)


def _people_problems(db: sqlite_utils.Database) -> Iterator[str]:
    """Users active or not, or limited to queues, unlike their events (stores from schema step m011 on)."""
    columns = dialect.columns(db, "users")
    if not {"active", "queue_ids"} <= columns:
        return  # an older schema: the schema check says so
    active = {name: (bool(value), event_id) for name, event_id, _, value in _user_events(db, ACTIVE_EVENTS)}
    queues: dict[str, tuple[list[int], int]] = {}
    for name, event_id, kind, ids in _user_events(db, QUEUE_EVENTS):
        if ids is None:
            yield f"event {event_id} ({kind}) does not say which queues {name!r} may work"
        else:
            queues[name] = (ids, event_id)
    for name, is_active, queue_ids in db.execute("SELECT name, active, queue_ids FROM users ORDER BY name"):
        if name in active and bool(is_active) != active[name][0]:
            yield (f"user {name!r} is {'active' if is_active else 'deactivated'}, but the events "
                   f"(last: event {active[name][1]}) make them {'active' if active[name][0] else 'deactivated'}")
        stored = read_queue_ids(queue_ids)  # the raw text, read as Veil writes it: anything else is said
        if stored is None:
            yield (f"user {name!r} is limited to queues Veil cannot read ({queue_ids!r}): they are served nothing "
                   "until a lead sets their queues again"
                   + (f"; the events (last: event {queues[name][1]}) give {sorted(queues[name][0]) or 'none'}"
                      if name in queues else ""))
        elif name in queues and sorted(stored) != sorted(queues[name][0]):
            yield (f"user {name!r} is limited to the queues {sorted(stored) or 'none'}, but the events "
                   f"(last: event {queues[name][1]}) give {sorted(queues[name][0]) or 'none'}")


def _user_events(db: sqlite_utils.Database, readers: Mapping[str, Callable[[Mapping[str, Any]], Any]]
                 ) -> Iterator[tuple[str, int, str, Any]]:
    """(user name, event id, kind, what *readers* make of its payload — None when it cannot) of each such event."""
    marks = ", ".join("?" * len(readers))
    for event_id, kind, subject, payload in db.execute(
            f"SELECT id, kind, CAST(subject AS TEXT), CAST(payload AS TEXT) FROM events WHERE kind IN ({marks})"
            " ORDER BY id", list(readers)):
        try:
            value = readers[kind](json.loads(payload))
        except (ValueError, KeyError, TypeError):
            value = None
        yield subject.removeprefix("user:"), event_id, kind, value


def empty_log_problems(db: sqlite_utils.Database) -> Iterator[str]:
    """An empty log in a store that holds rows: every event (and maybe more) was deleted."""
    if db.execute("SELECT 1 FROM events LIMIT 1").fetchone() is not None:
        return
    counts = db.execute("SELECT (SELECT COUNT(*) FROM decisions), (SELECT COUNT(*) FROM users),"
                        " (SELECT COUNT(*) FROM items)").fetchone()
    held = [f"{n} {noun}" for n, noun in zip(counts, ("decisions", "users", "items")) if n]
    if held:
        yield f"the event log is empty, yet the store holds {', '.join(held)}: the log was deleted"

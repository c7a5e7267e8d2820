"""Automated decisions' rows: the system person, which rule made each decision, suggestions, rules' suspensions.

An automated decision is an ordinary ``decisions`` row (appended through
:func:`review.store.decisions.append`, so every reader of decisions — verify,
summaries, exports, QA — sees it) made by the reserved person
:data:`AUTOMATION`, who holds no role and is never active (nobody can sign in
as it or be served as it), with ``source = 'automation'``, no handle time,
``revealed_ms`` 0 and no exposure row. ``automated_decisions`` says which
rule and version made it. A rule's outcome that may not decide (a suggestion,
a suspended rule, an item that is not plain waiting review work) is kept per item in
``item_suggestions`` for the desk to show. ``automation_rules`` holds each
rule's suspension, which only its ``automation.suspended`` /
``automation.resumed`` events change (:mod:`review.store.reconcile_automation`
replays them).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from review.store import Refused, User, items, reads
from review.store import cases as case_rows
from review.store import decisions as decision_rows
from review.store.bound import marks, slices
from review.store.connection import executemany

if TYPE_CHECKING:
    from review.store import Store

AUTOMATION = "automation"
"""The name of the reserved system person automated decisions are made by (it holds no role, is never active)."""
SOURCE = "automation"
"""``decisions.source`` of an automated decision."""


def m026(db: Any) -> None:
    """The schema step: which rule made each automated decision (append-only), suggestions, rules' suspensions."""
    from review.store.schema import _append_only, refuse_replace  # the schema's own guards, as every table has

    db.executescript(
        """
        CREATE TABLE automated_decisions (
            decision_id INTEGER PRIMARY KEY REFERENCES decisions(id),
            rule TEXT NOT NULL CHECK (rule != ''),
            version INTEGER NOT NULL
        );
        CREATE INDEX automated_decisions_rule ON automated_decisions (rule, decision_id);
        CREATE TABLE item_suggestions (
            item_id INTEGER PRIMARY KEY REFERENCES items(id),
            action TEXT NOT NULL,
            labels TEXT NOT NULL DEFAULT '[]',
            rule TEXT NOT NULL,
            version INTEGER NOT NULL,
            suggested_at TEXT NOT NULL
        );
        CREATE TABLE automation_rules (
            rule TEXT PRIMARY KEY,
            suspended INTEGER NOT NULL CHECK (suspended IN (0, 1)),
            changed_at TEXT NOT NULL,
            event_id INTEGER NOT NULL REFERENCES events(id)
        );
        """
    )
    _append_only(db, "automated_decisions")
    refuse_replace(db, "automated_decisions")


@dataclass(frozen=True)
class Decidable:
    """An outcome for an item automation may decide: pending, unleased; the queue it waits in."""

    item_id: int
    queue_id: int
    action: str
    labels: tuple[str, ...]
    in_case: bool = False  # a report of a case: deciding it decides the case's other open reports too


def person(store: Store) -> User:
    """The reserved system person, created (with its events) the first time automation decides.

    Created lazily, not by the schema step, so a new store stays empty for its founding lead. Its
    ``user.created`` event gives it no role and ``user.deactivated`` makes it inactive, so ``veil verify``
    finds the row as its events say and nobody may sign in as it. Refused ``"automation_name_taken"`` if a
    person of that name (one holding a role) exists: a store from before the name was reserved.
    """
    row = store.db.execute("SELECT id, roles FROM users WHERE name = ?", [AUTOMATION]).fetchone()
    if row is not None:
        if row[1]:  # every person holds a role; the system person never does
            raise Refused("automation_name_taken", AUTOMATION)
        return store.user(AUTOMATION)
    store.db.execute("INSERT INTO users (name, display_name, roles, created_at, active) VALUES (?, ?, '', ?, 0)",
                     [AUTOMATION, "Automation", store.now()])
    store.log(AUTOMATION, "user.created", f"user:{AUTOMATION}", {"roles": [], "system": True})
    store.log(AUTOMATION, "user.deactivated", f"user:{AUTOMATION}",
              {"reason": "automation is a system person: it decides by rules and never signs in"})
    return store.user(AUTOMATION)


def is_system_person(user: User) -> bool:
    """Whether *user* is the reserved system person (its name and no role) rather than a person: nobody may give it
    a role, a passphrase or sign-in, and it is listed among nobody's people (a person of that name from before
    the name was reserved holds a role and stays a person)."""
    return user.name == AUTOMATION and not user.roles



def open_items(store: Store, item_ids: Sequence[int], now: str) -> dict[int, tuple[int, bool]]:
    """Of *item_ids*, those automation may decide: item id → (queue id, whether it is in a case), one query per
    500 ids.

    Pending with no live lease, in a ``review`` queue (never escalated, audit or calibration work), and none of:
    a complaint (DSA Art. 20(6): a complaint is never decided solely by automated means), an open escalation,
    a gold item or gold copy, a training course's item, a calibration set's member. The last three are audit's
    tables, read here (as :mod:`review.store.server_policies` reads ``gold_items``) because review may not
    import audit: a planted gold copy decided by a rule would score nobody and teach the rule's answer.
    """
    found: dict[int, tuple[int, bool]] = {}
    ordered = sorted(set(item_ids))
    for chunk in slices(ordered):
        found.update((item_id, (queue_id, case_id is not None)) for item_id, queue_id, case_id in store.db.execute(
            f"""SELECT i.id, i.queue_id, i.case_id FROM items i JOIN queues q ON q.id = i.queue_id
                WHERE i.id IN ({marks(chunk)}) AND i.state = 'pending' AND q.kind = 'review'
                  AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.item_id = i.id AND l.expires_at > ?)
                  AND NOT EXISTS (SELECT 1 FROM complaints c WHERE c.item_id = i.id)
                  AND NOT EXISTS (SELECT 1 FROM escalations e WHERE e.item_id = i.id AND e.closed_at IS NULL)
                  AND NOT EXISTS (SELECT 1 FROM gold_items g WHERE g.item_id = i.id)
                  AND NOT EXISTS (SELECT 1 FROM training_course_items t WHERE t.item_id = i.id)
                  AND NOT EXISTS (SELECT 1 FROM calibration_members m WHERE m.item_id = i.id)
                ORDER BY i.id""", [*chunk, now]))
    return found


def decide(store: Store, who: User, chosen: Sequence[Decidable], *, rule: str, version: int, now: str) -> list[int]:
    """Append one automated decision per *chosen* item still pending, close it, drop any lapsed lease; their ids.

    Each row has its ``decision.recorded`` event (actor :data:`AUTOMATION`, source automation, rule and
    version), as every decision row has one event that made it (``veil verify``). A decided item in a case
    carries the case's other reports with it (:func:`review.store.cases.follow`), as a person's decision
    does; a report closed that way is not decided again by the same batch.
    """
    queue_names = {q.id: q.name for q in store.queues()}
    made: list[int] = []
    decided: list[int] = []
    for outcome in chosen:
        if outcome.in_case and items.queue_and_state(store, outcome.item_id) != (outcome.queue_id, "pending"):
            continue  # an earlier decision of this batch closed it with its case
        decision_id = decision_rows.append(
            store, item_id=outcome.item_id, user_id=who.id, queue_id=outcome.queue_id, action=outcome.action,
            labels=outcome.labels, note="", shown_at=None, decided_at=now, handle_ms=None, revealed_ms=0,
            source=SOURCE,
        )
        store.log(AUTOMATION, "decision.recorded", f"item:{outcome.item_id}",
                  {"decision": decision_id, "action": outcome.action, "labels": list(outcome.labels),
                   "source": SOURCE, "queue": queue_names[outcome.queue_id], "rule": rule, "version": version,
                   **decision_rows.facts(now, None, None, 0, "")})
        items.close(store, outcome.item_id)
        if outcome.in_case:
            case_rows.follow(store, outcome.item_id, decision_id, who, now)
        made.append(decision_id)
        decided.append(outcome.item_id)
    _bulk(store, "INSERT INTO automated_decisions (decision_id, rule, version) VALUES (?, ?, ?)",
          [(d, rule, version) for d in made])
    for chunk in slices(decided):
        store.db.execute(f"DELETE FROM leases WHERE item_id IN ({marks(chunk)})", chunk)
        store.db.execute(f"DELETE FROM item_suggestions WHERE item_id IN ({marks(chunk)})", chunk)
    return made


def suggest(store: Store, suggested: Sequence[tuple[int, str, Sequence[str]]], *, rule: str, version: int,
            now: str) -> None:
    """Keep (item id, action, labels) as each item's suggestion by *rule* (the latest suggestion wins)."""
    _bulk(store,
          "INSERT INTO item_suggestions (item_id, action, labels, rule, version, suggested_at)"
          " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (item_id) DO UPDATE SET action = excluded.action,"
          " labels = excluded.labels, rule = excluded.rule, version = excluded.version,"
          " suggested_at = excluded.suggested_at",
          [(item_id, action, json.dumps(list(labels)), rule, version, now) for item_id, action, labels in suggested])


def suggestion(store: Store, item_id: int) -> tuple[str, tuple[str, ...], str, int] | None:
    """(action, labels, rule, version) suggested for the item, or None."""
    return reads.run(store.db, suggestion_read(item_id))


def suggestion_read(item_id: int) -> reads.Read[tuple[str, tuple[str, ...], str, int] | None]:
    """:func:`suggestion` as a look-up that may share a round trip."""
    return reads.one("SELECT action, labels, rule, version FROM item_suggestions WHERE item_id = ?", [item_id],
                     lambda rows: (rows[0][0], tuple(json.loads(rows[0][1])), rows[0][2], int(rows[0][3]))
                     if rows else None)


def suspended(store: Store, rule: str) -> bool:
    """Whether *rule*'s automation is suspended (its outcomes become suggestions)."""
    row = store.db.execute("SELECT suspended FROM automation_rules WHERE rule = ?", [rule]).fetchone()
    return bool(row and row[0])


def rule_states(store: Store) -> dict[str, tuple[bool, str]]:
    """Every rule whose automation was ever suspended: rule → (suspended now, when that last changed)."""
    return {rule: (bool(suspended_now), changed_at) for rule, suspended_now, changed_at in store.db.execute(
        "SELECT rule, suspended, changed_at FROM automation_rules ORDER BY rule")}


def set_suspended(store: Store, rule: str, suspended_now: bool, *, event_id: int, now: str) -> None:
    """Record that *rule* is (or is no longer) suspended, as its event *event_id* says."""
    store.db.execute(
        "INSERT INTO automation_rules (rule, suspended, changed_at, event_id) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (rule) DO UPDATE SET suspended = excluded.suspended, changed_at = excluded.changed_at,"
        " event_id = excluded.event_id",
        [rule, int(suspended_now), now, event_id])


def change_state(store: Store, actor: str, rule: str, *, suspend: bool, facts: dict[str, object]) -> bool:
    """Suspend (or resume) *rule* as *actor*, with its ``automation.suspended`` (``.resumed``) event holding
    *facts*, in one transaction; False when it already was so. A person resuming must be an active lead when
    it happens (Refused ``"not_lead"``); Veil's own suspension needs nobody."""
    with store.transaction():
        if not suspend:
            _lead_now(store, actor)
        if suspended(store, rule) == suspend:
            return False
        now = store.now()
        event = store.log(actor, f"automation.{'suspended' if suspend else 'resumed'}", f"rule:{rule}",
                          {"rule": rule, **facts})
        set_suspended(store, rule, suspend, event_id=event, now=now)
    return True


def revoke_window(store: Store, lead: str, rule: str, since: str, until: str | None, *, reason: str,
                  expected: int | None = None) -> tuple[int, int]:
    """Revoke, as *lead*, every decision of *rule* made in [*since*, *until*) that is still its item's current
    decision (:func:`revoke`), with one ``automation.revoked`` event, in one transaction; (revoked, superseded:
    standing decisions skipped because a later one replaced them). Refused ``"not_lead"`` when *lead* is not an
    active lead by then, ``"count_changed"`` (detail: the count now) when *expected* is given and differs."""
    with store.transaction():
        who = _lead_now(store, lead)
        found = standing(store, rule, since, until)
        made = [m for m in found if m.current]
        superseded = len(found) - len(made)
        if expected is not None and expected != len(made):
            raise Refused("count_changed", str(len(made)))
        if not made:
            return 0, superseded
        revocations = revoke(store, who, made, reason=reason or f"automation of {rule} revoked", now=store.now())
        store.log(who.name, "automation.revoked", f"rule:{rule}",
                  {"rule": rule, "from": since, "to": until, "reason": reason, "count": len(made),
                   "superseded": superseded, "decisions": [m.decision_id for m in made],
                   "revocations": revocations})
    return len(made), superseded


def _lead_now(store: Store, actor: str) -> User:
    """*actor*'s row as it is now, inside the transaction; Refused ``"not_lead"`` unless an active lead."""
    who = store.user(actor)
    if not (who.active and who.has("lead")):
        raise Refused("not_lead", actor)
    return who


@dataclass(frozen=True)
class Made:
    """An automated decision nobody revoked: its id, item, the queue it was made in, its action and when, and
    whether it is still its item's current decision (a complaint's reversal or a correction may replace it)."""

    decision_id: int
    item_id: int
    queue_id: int
    action: str
    decided_at: str
    current: bool


def standing(store: Store, rule: str, since: str, until: str | None) -> list[Made]:
    """*rule*'s automated decisions made in [*since*, *until*) (None: no end) that nobody revoked, oldest first.

    A decision a later one replaced (the item's current decision is another: a reversal, a correction) is
    returned with ``current`` False: revoking it would reopen an item a person has since decided.
    """
    ends = "" if until is None else "AND d.decided_at < ?"
    return [Made(int(d), int(item), int(queue), str(action), str(at), bool(current))
            for d, item, queue, action, at, current in store.db.execute(
        f"""SELECT d.id, d.item_id, d.queue_id, d.action, d.decided_at,
                  CASE WHEN EXISTS (SELECT 1 FROM decisions l WHERE l.item_id = d.item_id AND l.id > d.id
                                      AND l.revokes_id IS NULL
                                      AND NOT EXISTS (SELECT 1 FROM decisions lr WHERE lr.revokes_id = l.id))
                       THEN 0 ELSE 1 END
           FROM automated_decisions a JOIN decisions d ON d.id = a.decision_id
           WHERE a.rule = ? AND d.decided_at >= ? {ends}
             AND NOT EXISTS (SELECT 1 FROM decisions r WHERE r.revokes_id = d.id)
           ORDER BY d.decided_at, d.id""", [rule, since, *([] if until is None else [until])])]


def revoke(store: Store, lead: User, made: Sequence[Made], *, reason: str, now: str) -> list[int]:
    """Revoke each of *made* as *lead* (a revoking row and its ``decision.revoked`` event each) and put its
    item back, pending, in the queue it was decided in (or the one that queue was merged into), its due time
    untouched: an SLA breach while automation had it decided stays a breach. The reports of a case that
    followed a revoked decision are reopened with it (:func:`review.store.cases.unfollow`). The revoking rows'
    ids."""
    revocations = []
    for decision in made:
        revocation = decision_rows.append(
            store, item_id=decision.item_id, user_id=lead.id, queue_id=decision.queue_id, action="revoke",
            labels=(), note=reason, shown_at=None, decided_at=now, handle_ms=None, revealed_ms=0, source="review",
            revokes_id=decision.decision_id,
        )
        items.reopen(store, decision.item_id, decision.queue_id)
        store.log(lead.name, "decision.revoked", f"item:{decision.item_id}",
                  {"decision": decision.decision_id, "revocation": revocation, "automation": True,
                   **decision_rows.facts(now, None, None, 0, reason)})
        case_rows.unfollow(store, lead, decision.decision_id, revocation, now)
        revocations.append(revocation)
    return revocations


def _bulk(store: Store, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    if rows:
        executemany(store.db, sql, rows)

"""Do automation's rows agree with the history? ``veil verify``'s check of m026's tables.

- every ``automated_decisions`` row names a decision by the system person
  with ``source = 'automation'`` whose ``decision.recorded`` event gives the
  same rule and version, and every such decision has its row (a decision
  passed off as automation's, or automation's with its rule removed, would
  escape the rule's figures, its floor and its revocation);
- each rule's suspension in ``automation_rules`` is what the last of its
  ``automation.suspended`` / ``automation.resumed`` events made it (a rule
  switched back on behind Veil's back would decide again past its floor).

``item_suggestions`` mirrors no event (it is what intake last suggested) and
is not checked.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import sqlite_utils

from review.store.automation import AUTOMATION, SOURCE

_STATE_EVENTS = {"automation.suspended": True, "automation.resumed": False}


def automation_problems(db: sqlite_utils.Database) -> list[str]:
    """Every automation row the log does not account for, in words (none before m026)."""
    if not db["automated_decisions"].exists():
        return []
    return [*_decision_problems(db), *_state_problems(db)]


def _decision_problems(db: sqlite_utils.Database) -> Iterator[str]:
    said: dict[int, tuple[object, object]] = {}
    for (text,) in db.execute("SELECT payload FROM events WHERE kind = 'decision.recorded' AND json_valid(payload)"
                              " AND json_extract(payload, '$.source') = ? ORDER BY id", [SOURCE]):
        payload = json.loads(text)
        if isinstance(payload.get("decision"), int):
            said[payload["decision"]] = (payload.get("rule"), payload.get("version"))
    rows = db.execute(
        """SELECT d.id, a.decision_id, a.rule, a.version, u.name, d.source, d.revokes_id
           FROM decisions d LEFT JOIN automated_decisions a ON a.decision_id = d.id
           LEFT JOIN users u ON u.id = d.user_id
           WHERE (d.source = ? AND d.revokes_id IS NULL) OR a.decision_id IS NOT NULL
           ORDER BY d.id""", [SOURCE]).fetchall()
    for decision_id, marked, rule, version, user, source, revokes in rows:
        what = f"decision {decision_id}"
        if marked is None:
            yield f"{what} is automation's but names no rule (its automated_decisions row is missing)"
        elif source != SOURCE or user != AUTOMATION or revokes is not None:
            yield f"{what} is marked as made by rule {rule!r}, but it is {user}'s {source} row, not automation's"
        elif said.get(decision_id) != (rule, version):
            yield (f"{what} is marked as made by rule {rule!r} version {version}, but its event says "
                   f"{said.get(decision_id, (None, None))}")


def _state_problems(db: sqlite_utils.Database) -> Iterator[str]:
    derived: dict[str, tuple[bool, int]] = {}
    for event_id, kind, text in db.execute(
            "SELECT id, kind, payload FROM events WHERE kind IN ('automation.suspended', 'automation.resumed')"
            " AND json_valid(payload) ORDER BY id"):
        rule = json.loads(text).get("rule")
        if isinstance(rule, str):
            derived[rule] = (_STATE_EVENTS[kind], event_id)
    stored = {rule: bool(suspended) for rule, suspended in db.execute(
        "SELECT rule, suspended FROM automation_rules ORDER BY rule")}
    for rule in sorted(stored.keys() | derived.keys()):
        should, event_id = derived.get(rule, (False, 0))
        if stored.get(rule, False) != should:
            now = "suspended" if stored.get(rule, False) else "deciding"
            yield (f"rule {rule!r} is {now}, but its events (last: event {event_id or 'none'}) make it "
                   f"{'suspended' if should else 'deciding'}")

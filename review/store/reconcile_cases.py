"""Do the cases agree with the history? ``veil verify``'s check of m024's rows.

Every chunk's joins are one ``cases.joined`` event (:func:`review.store.cases.join`): the cases it opened (lead
and key) and the reports each case gained. Replaying them gives every case row and every item's ``case_id`` /
``case_of``; a row added, a report moved to another case or let out of one (``case_of`` cleared: it would be
served again) behind Veil's back no longer matches. A decision a case applied names the decision it applies
(``applies_id``) as its ``decision.recorded`` or ``decision.revoked`` event does; the rest of such a row is
:mod:`review.store.reconcile`'s, like every decision's. Two rules of cases are checked on the rows as they stand:
a report joins a case only from the case's queue (each ``cases.joined`` event names the queue its reports came
in), and no report still waits for a lead that is decided (it would never be served: its case's decision
applies to it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import sqlite_utils

from review.store.cases import JOINED, STRANDED


def case_problems(db: sqlite_utils.Database) -> list[str]:
    """Every case row, case column or applied decision the log does not account for, every report joined from
    another queue and every report stranded behind a decided lead, in words (none before m024)."""
    if not db["cases"].exists():
        return []
    return [*_case_rows(db), *_applied(db), *_stranded(db)]


def _replayed(db: sqlite_utils.Database) -> tuple[dict[int, str], dict[int, int], dict[int, int]]:
    """(case id → key, item id → case id, item id → the queue it joined from) as the ``cases.joined`` events
    made them."""
    opened: dict[int, str] = {}
    member: dict[int, int] = {}
    came_from: dict[int, int] = {}
    for (text,) in db.execute("SELECT payload FROM events WHERE kind = ? AND json_valid(payload) ORDER BY id",
                              [JOINED]):
        payload: dict[str, Any] = json.loads(text)
        for lead, key in payload.get("opened", []):
            opened[int(lead)] = str(key)
            member[int(lead)] = int(lead)
        for case, items in payload.get("joined", {}).items():
            for item in items:
                member[int(item)] = int(case)
        came_from.update((int(item), int(queue)) for item, queue in payload.get("queues", {}).items())
    return opened, member, came_from


def _case_rows(db: sqlite_utils.Database) -> Iterator[str]:
    opened, member, came_from = _replayed(db)
    stored = {int(c): str(k) for c, k in db.execute("SELECT id, key FROM cases ORDER BY id")}
    queue_of = {int(c): int(q) for c, q in db.execute("SELECT id, queue_id FROM cases ORDER BY id")}
    for item, queue in sorted(came_from.items()):
        case = member.get(item)
        if case in queue_of and queue_of[case] != queue:
            yield (f"item {item} joined case {case} from queue {queue}, but the case is of queue {queue_of[case]}:"
                   " reports of one content join a case only in the queue they arrived in")
    for case in sorted(stored.keys() - opened.keys()):
        yield f"case {case} has no cases.joined event that opened it: written behind Veil's back"
    for case in sorted(opened.keys() - stored.keys()):
        yield f"case {case} was opened (cases.joined) but its row is missing"
    for case in sorted(stored.keys() & opened.keys()):
        if stored[case] != opened[case]:
            yield f"case {case} says it was joined by {stored[case]}, its event by {opened[case]}"
    columns = {int(i): (c, o) for i, c, o in db.execute(
        "SELECT id, case_id, case_of FROM items WHERE case_id IS NOT NULL OR case_of IS NOT NULL ORDER BY id")}
    for item in sorted(columns.keys() | member.keys()):
        joined_to = member.get(item)
        expected = (None, None) if joined_to is None else (joined_to, None if joined_to == item else joined_to)
        if columns.get(item, (None, None)) != expected:
            had = columns.get(item, (None, None))
            yield (f"item {item} is in case {had[0]} (waiting for {had[1]}), but the cases.joined events put it in "
                   f"{expected[0]} (waiting for {expected[1]}): changed behind Veil's back")


def _applied(db: sqlite_utils.Database) -> Iterator[str]:
    said: dict[int, int | None] = {}
    for kind, text in db.execute(
            "SELECT kind, payload FROM events WHERE kind IN ('decision.recorded', 'decision.revoked')"
            " AND json_valid(payload) AND json_type(payload, '$.applies') IS NOT NULL ORDER BY id"):
        payload = json.loads(text)
        row = payload.get("revocation" if kind == "decision.revoked" else "decision")
        if isinstance(row, int):
            said[row] = payload.get("applies")
    stored = {int(d): a for d, a in db.execute(
        "SELECT id, applies_id FROM decisions WHERE applies_id IS NOT NULL OR source = 'case' ORDER BY id")}
    for decision in sorted(stored.keys() | said.keys()):
        if stored.get(decision) != said.get(decision):
            yield (f"decision {decision} applies decision {stored.get(decision)}, its event says "
                   f"{said.get(decision)}: changed behind Veil's back")


def _stranded(db: sqlite_utils.Database) -> Iterator[str]:
    for case, item in db.execute(STRANDED):
        yield (f"item {item} still waits for case {case}, whose lead is decided: its case's decision was never"
               " applied to it, and nobody is served it")

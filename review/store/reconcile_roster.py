"""Do the shifts agree with the history? The ``roster.*`` events replayed against the ``shifts`` table.

Every roster write logs its event in the same transaction
(``review.store.roster``): ``roster.shift_added`` and
``roster.shift_changed`` carry the shift's new value, ``roster.shift_deleted``
its old one, and ``roster.imported`` the ids of the shifts it replaced and
every shift it added. Replaying them in order gives the shifts there must
be; a shift inserted, edited or deleted behind Veil's back (its queues, its
times, its person) no longer matches, and ``veil verify`` says so.
"""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

Shift = tuple[str | None, str, str, str, tuple[int, ...]]  # person, day, starts, ends, queue ids


def _from_facts(facts: dict[str, Any]) -> Shift:
    return (facts["person"], facts["day"], facts["starts"], facts["ends"], tuple(int(q) for q in facts["queues"]))


def _apply(expected: dict[int, Shift], kind: str, subject: str, data: dict[str, Any]) -> None:
    if kind == "roster.imported":
        for shift_id in data.get("replaced_ids", []):
            expected.pop(int(shift_id), None)
        for shift_id, person, day, starts, ends, queues in data.get("shifts", []):
            expected[int(shift_id)] = (person, day, starts, ends, tuple(int(q) for q in queues))
        return
    shift_id = int(subject.partition(":")[2])
    if kind == "roster.shift_deleted":
        expected.pop(shift_id, None)
    elif isinstance(data.get("new"), dict):
        expected[shift_id] = _from_facts(data["new"])


def _replayed(db: sqlite_utils.Database) -> tuple[dict[int, Shift], list[str]]:
    """The shifts the roster events say exist now, by id; and each event that cannot be read (named, never a
    crash: verify reports on any store it is handed)."""
    expected: dict[int, Shift] = {}
    malformed: list[str] = []
    for event_id, kind, subject, payload in db.execute(
            "SELECT id, kind, subject, payload FROM events WHERE kind IN ('roster.shift_added', 'roster.shift_changed',"
            " 'roster.shift_deleted', 'roster.imported') ORDER BY id"):
        try:
            data = json.loads(payload)
            if not isinstance(data, dict):
                raise TypeError("its payload is not an object")
            _apply(expected, kind, subject, data)
        except (KeyError, ValueError, TypeError) as why:
            malformed.append(f"event {event_id} ({kind}) is malformed ({why!r}): its shift cannot be replayed")
    return expected, malformed


def _said(shift: Shift) -> str:
    person, day, starts, ends, queues = shift
    return f"{person} {day} {starts}–{ends} on queues {','.join(map(str, queues)) or 'none'}"


def roster_problems(db: sqlite_utils.Database) -> list[str]:
    """Each shift row without its events or unlike them, and each shift the events hold that the table lacks."""
    expected, malformed = _replayed(db)
    stored: dict[int, Shift] = {
        row[0]: (row[1], row[2], row[3], row[4], tuple(int(q) for q in str(row[5]).split(",") if q.strip().isdigit()))
        for row in db.execute("SELECT s.id, u.name, s.day, s.starts, s.ends, s.queue_ids FROM shifts s"
                              " LEFT JOIN users u ON u.id = s.user_id")}
    problems = list(malformed)
    for shift_id in sorted(set(expected) | set(stored)):
        want, have = expected.get(shift_id), stored.get(shift_id)
        if want is None and have is not None:
            problems.append(f"shift {shift_id} ({_said(have)}) has no roster event: written behind Veil's back")
        elif have is None and want is not None:
            problems.append(f"shift {shift_id} ({_said(want)}) is missing: its roster events say it exists")
        elif want != have and want is not None and have is not None:
            problems.append(f"shift {shift_id} is {_said(have)}, but its roster events say {_said(want)}")
    return problems

"""SQL of training attempts: starting one, answering its items one by one, finishing (and certifying) it.

An attempt copies its course when it starts (``plan``: each item with its
expected answer and explanation, the pass mark, the taxonomy version), so
a lead editing the course meanwhile changes nothing for someone half-way
through. Answers are append-only, one per position. The answer to the
last item finishes the attempt in the same transaction; a pass writes the
certification (review's table, :func:`review.store.certification.certify`)
in it too, so a pass is never without its certification.

Nothing here touches ``decisions``, ``leases`` or an item's state: a
trainee's answers are not live decisions.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Sequence
from typing import Any

from audit.store import insert_returning_id
from review.clock import iso, parse
from review.store import Refused, Store
from review.store import certification as gate_rows

#: (id, course id, user id, number, taxonomy version, items, pass mark, plan JSON, started, deadline, finished,
#: correct, score, passed, timed out)
_ATTEMPT = ("SELECT id, course_id, user_id, number, taxonomy_version, items, pass_mark, plan, started_at, deadline_at,"
            " finished_at, correct, score, passed, timed_out FROM training_attempts")


def attempt(store: Store, attempt_id: int) -> tuple[Any, ...] | None:
    row = store.db.execute(_ATTEMPT + " WHERE id = ?", [attempt_id]).fetchone()
    return tuple(row) if row else None


def open_attempt(store: Store, course_id: int, user_id: int) -> tuple[Any, ...] | None:
    """The person's unfinished attempt at the course, if any."""
    row = store.db.execute(_ATTEMPT + " WHERE course_id = ? AND user_id = ? AND finished_at IS NULL"
                           " ORDER BY number DESC, id DESC LIMIT 1", [course_id, user_id]).fetchone()
    return tuple(row) if row else None


def answered(store: Store, attempt_id: int) -> dict[int, tuple[str, list[str], bool]]:
    """{position: (action, labels, matched)} of the attempt's answers so far."""
    return {r[0]: (r[1], json.loads(r[2]), bool(r[3])) for r in store.db.execute(
        "SELECT position, action, labels, matched FROM training_answers WHERE attempt_id = ? ORDER BY position",
        [attempt_id])}


def severities(store: Store, item_ids: Sequence[int]) -> dict[int, str | None]:
    """{item id: severity} of those items (the severe budget holds in training too)."""
    found: dict[int, str | None] = {}
    for item_id in dict.fromkeys(item_ids):
        row = store.db.execute("SELECT severity FROM items WHERE id = ?", [item_id]).fetchone()
        if row is not None:
            found[item_id] = row[0]
    return found


def start(store: Store, actor: str, user_id: int, course: tuple[Any, ...],
          plan: Sequence[tuple[int, str, list[str], str]], time_limit_seconds: int | None) -> int:
    """The person's unfinished attempt at *course* (a :mod:`audit.store.training` row), or a new one; its id.

    A new one copies *plan* and logs ``training.attempt_started``, in one transaction.
    """
    with store.transaction():
        found = open_attempt(store, course[0], user_id)
        if found is not None:
            return int(found[0])
        number = int(store.db.execute("SELECT COUNT(*) FROM training_attempts WHERE course_id = ? AND user_id = ?",
                                      [course[0], user_id]).fetchone()[0]) + 1
        now = store.clock.now()
        deadline = iso(now + _dt.timedelta(seconds=time_limit_seconds)) if time_limit_seconds else None
        attempt_id = insert_returning_id(
            store, "INSERT INTO training_attempts (course_id, user_id, number, taxonomy_version, items, pass_mark,"
            " plan, started_at, deadline_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [course[0], user_id, number, course[5], len(plan), course[3], json.dumps([list(p) for p in plan]),
             iso(now), deadline])
        store.log(actor, "training.attempt_started", f"course:{course[1]}",
                  {"attempt": attempt_id, "course_id": course[0], "number": number, "items": len(plan),
                   "deadline_at": deadline})
    return attempt_id


def _finish(store: Store, actor: str, row: tuple[Any, ...], course: str, timed_out: bool) -> None:
    attempt_id, items, pass_mark = row[0], row[5], row[6]
    correct = int(store.db.execute("SELECT COUNT(*) FROM training_answers WHERE attempt_id = ? AND matched = 1",
                                   [attempt_id]).fetchone()[0])
    score = correct / items
    passed = score >= pass_mark - 1e-9
    store.db.execute("UPDATE training_attempts SET finished_at = ?, correct = ?, score = ?, passed = ?, timed_out = ?"
                     " WHERE id = ?", [store.now(), correct, score, int(passed), int(timed_out), attempt_id])
    store.log(actor, "training.attempt_finished", f"course:{course}",
              {"attempt": attempt_id, "course_id": row[1], "number": row[3], "correct": correct, "items": items,
               "score": score, "passed": passed, "timed_out": timed_out})
    if passed:
        gate_rows.certify(store, actor, row[2], row[1], row[4], attempt_id)


def record_answer(store: Store, actor: str, user_id: int, attempt_id: int, position: int, action: str,
                  labels: list[str], course: str) -> tuple[bool, tuple[Any, ...]]:
    """Store the answer to one position, with ``training.answered``; (matched, the attempt row after it).

    The last answer finishes the attempt (and certifies a pass) in the
    same transaction. An answer after the time limit stores nothing and
    finishes the attempt as timed out: (False, the finished row). Refused
    ``"no_attempt"``, ``"not_yours"``, ``"finished"``, ``"no_position"``,
    ``"answered"``.
    """
    with store.transaction():
        row = attempt(store, attempt_id)
        if row is None:
            raise Refused("no_attempt", str(attempt_id))
        if row[2] != user_id:
            raise Refused("not_yours")
        if row[10] is not None:
            raise Refused("finished")
        if row[9] is not None and store.clock.now() > parse(row[9]):
            _finish(store, actor, row, course, timed_out=True)
            return False, attempt(store, attempt_id) or row
        plan = json.loads(row[7])
        if not 1 <= position <= len(plan):
            raise Refused("no_position", str(position))
        if store.db.execute("SELECT 1 FROM training_answers WHERE attempt_id = ? AND position = ?",
                            [attempt_id, position]).fetchone():
            raise Refused("answered", str(position))
        item_id, expected_action, expected_labels, _ = plan[position - 1]
        chosen = sorted(set(labels))
        matched = action == expected_action and chosen == sorted(expected_labels)
        store.db.execute(
            "INSERT INTO training_answers (attempt_id, position, item_id, action, labels, expected_action,"
            " expected_labels, matched, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [attempt_id, position, item_id, action, json.dumps(chosen), expected_action,
             json.dumps(sorted(expected_labels)), int(matched), store.now()])
        store.log(actor, "training.answered", f"course:{course}",
                  {"attempt": attempt_id, "position": position, "item": item_id, "action": action, "labels": chosen,
                   "matched": matched})
        done = int(store.db.execute("SELECT COUNT(*) FROM training_answers WHERE attempt_id = ?",
                                    [attempt_id]).fetchone()[0])
        if done >= row[5]:
            _finish(store, actor, row, course, timed_out=False)
        return matched, attempt(store, attempt_id) or row


def attempts(store: Store, user_id: int | None = None, start: str | None = None,
             end: str | None = None) -> list[tuple[Any, ...]]:
    """(person, course, course id, number, started, finished, correct, items, score, passed, timed out, the
    attempt's taxonomy version, the course's version now) of every attempt (or one person's; or those started in
    [start, end)), by person, course and number."""
    where, params = ["1 = 1"], []
    for clause, value in (("a.user_id = ?", user_id), ("a.started_at >= ?", start), ("a.started_at < ?", end)):
        if value is not None:
            where.append(clause)
            params.append(value)
    return [tuple(r) for r in store.db.execute(
        f"""SELECT u.name, c.name, a.course_id, a.number, a.started_at, a.finished_at, a.correct, a.items, a.score,
                   a.passed, a.timed_out, a.taxonomy_version, c.taxonomy_version
            FROM training_attempts a JOIN users u ON u.id = a.user_id JOIN training_courses c ON c.id = a.course_id
            WHERE {' AND '.join(where)} ORDER BY u.name, c.name, a.number, a.id""", params)]


def answer_outcomes(store: Store) -> list[tuple[str, str, str, str, str, int]]:
    """(course, given action, given labels JSON, expected action, expected labels JSON, matched) of every answer,
    for where trainees fail most."""
    return [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in store.db.execute(
        """SELECT c.name, t.action, t.labels, t.expected_action, t.expected_labels, t.matched
           FROM training_answers t JOIN training_attempts a ON a.id = t.attempt_id
           JOIN training_courses c ON c.id = a.course_id ORDER BY t.id""")]

"""Do the training attempts agree with the history? The ``training.attempt_*`` and ``training.answered`` events
replayed against audit's attempt and answer rows.

An attempt's result certifies people (a pass opens gated queues), so a
row changed behind Veil's back — an attempt marked passed, a score raised,
an answer deleted or turned into a match — must not stand unnoticed:
every attempt row has its ``training.attempt_started`` event, every
finished one its ``training.attempt_finished`` event with the same
result, and every answer its ``training.answered`` event with the same
outcome (all written in the row's own transaction,
``audit.store.training_attempts``). ``veil verify`` reads these problems
beside review's own (``review.store.reconcile_training`` replays the
gates). An unreadable event is named, never a crash.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import sqlite_utils

Result = tuple[int, int, bool, bool]  # correct, items, passed, timed out


def _events(db: sqlite_utils.Database, kind: str) -> Iterator[tuple[int, dict[str, Any] | None]]:
    for event_id, payload in db.execute("SELECT id, payload FROM events WHERE kind = ? ORDER BY id", [kind]):
        try:
            data = json.loads(payload)
        except (TypeError, ValueError):
            data = None
        yield event_id, data if isinstance(data, dict) else None


def _result(data: dict[str, Any]) -> Result:
    correct, items, passed, timed_out = (data.get(k) for k in ("correct", "items", "passed", "timed_out"))
    if not (isinstance(correct, int) and isinstance(items, int) and isinstance(passed, bool)
            and isinstance(timed_out, bool)):
        raise ValueError("correct, items, passed or timed_out")
    return correct, items, passed, timed_out


def attempt_problems(db: sqlite_utils.Database) -> Iterator[str]:
    """Each attempt or answer row unlike its event or without one, each the events lack, each unreadable event."""
    if not db["training_attempts"].exists():
        return  # before audit m007: the schema check says a step is missing
    started: set[int] = set()
    finished: dict[int, Result] = {}
    answered: dict[tuple[int, int], bool] = {}
    for kind in ("training.attempt_started", "training.attempt_finished", "training.answered"):
        for event_id, data in _events(db, kind):
            try:
                if data is None:
                    raise ValueError("its payload is not an object")
                attempt = data.get("attempt")
                if not isinstance(attempt, int) or isinstance(attempt, bool):
                    raise ValueError("attempt")
                if kind == "training.attempt_started":
                    started.add(attempt)
                elif kind == "training.attempt_finished":
                    finished[attempt] = _result(data)
                else:
                    position, matched = data.get("position"), data.get("matched")
                    if not isinstance(position, int) or not isinstance(matched, bool):
                        raise ValueError("position or matched")
                    answered[(attempt, position)] = matched
            except ValueError as why:
                yield f"event {event_id} ({kind}) is malformed ({why}): its training result cannot be replayed"
    rows = {r[0]: (r[1], (r[2], r[3], bool(r[4]), bool(r[5])) if r[1] is not None else None) for r in db.execute(
        "SELECT id, finished_at, correct, items, passed, timed_out FROM training_attempts")}
    for attempt_id in sorted(set(rows) - started):
        yield f"training attempt {attempt_id} has no training.attempt_started event: written behind Veil's back"
    for attempt_id in sorted(started - set(rows)):
        yield f"training attempt {attempt_id} is missing: its training.attempt_started event says it exists"
    for attempt_id, (_finished_at, result) in sorted(rows.items()):
        want = finished.get(attempt_id)
        if want != result:
            yield (f"training attempt {attempt_id} stands as {_said(result)}, but its events say {_said(want)}: "
                   "its result was changed behind Veil's back")
    stored = {(r[0], r[1]): bool(r[2]) for r in db.execute(
        "SELECT attempt_id, position, matched FROM training_answers")}
    for key in sorted(set(stored) | set(answered)):
        if stored.get(key) != answered.get(key):
            yield (f"the answer to item {key[1]} of training attempt {key[0]} is {_answer(stored.get(key))}, but its "
                   f"training.answered event says {_answer(answered.get(key))}")


def _said(result: Result | None) -> str:
    if result is None:
        return "unfinished"
    correct, items, passed, timed_out = result
    return (f"{correct} of {items} correct, {'passed' if passed else 'not passed'}"
            + (", timed out" if timed_out else ""))


def _answer(matched: bool | None) -> str:
    return "missing" if matched is None else ("matched" if matched else "not matched")

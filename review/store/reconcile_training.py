"""Do the certification gates agree with the history? The ``training.*`` events replayed against review's
gate tables.

Every write to ``queue_gates``, ``certifications``, ``gate_waivers`` and
``gate_waiver_lifts`` logs its event in the same transaction
(``review.store.certification``): ``training.gated`` carries the queue's
gate before and after, ``training.certified`` the person, course and
taxonomy version, ``training.waived`` the waiver (person, queue, course,
version) and ``training.waiver_lifted`` the waiver it ends. Replaying them
in order gives the rows there must be; a gate lifted, a certification, a
waiver or a lift written behind Veil's back (who may work a queue changes
with them) no longer matches, and ``veil verify`` says so. An event whose
payload lacks what its kind carries is named as malformed, never a crash:
verify must report on any store it is handed.
"""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

Gate = tuple[int, int]  # course id, taxonomy version
Waiver = tuple[int, int, int, int]  # user id, queue id, course id, taxonomy version
KINDS = ("training.gated", "training.certified", "training.waived", "training.waiver_lifted")


class _Malformed(ValueError):
    """An event's payload lacks a field its kind carries, or holds one of the wrong type."""


def _int(data: dict[str, Any], key: str) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _Malformed(f"{key} is {value!r}")
    try:
        return int(value)
    except ValueError:
        raise _Malformed(f"{key} is {value!r}") from None


class _Replay:
    """The gate rows the events say exist, and the events that could not be read."""

    def __init__(self) -> None:
        self.gates: dict[int, Gate] = {}
        self.certified: set[tuple[int, int, int]] = set()
        self.waivers: dict[int, Waiver] = {}
        self.lifted: set[int] = set()
        self.malformed: list[str] = []

    def apply(self, kind: str, data: dict[str, Any]) -> None:
        if kind == "training.gated":
            new = data.get("new")
            queue_id = _int(data, "queue_id")
            if new is None:
                self.gates.pop(queue_id, None)
            elif isinstance(new, dict):
                self.gates[queue_id] = (_int(new, "course_id"), _int(new, "taxonomy_version"))
            else:
                raise _Malformed(f"new is {new!r}")
        elif kind == "training.certified":
            self.certified.add((_int(data, "user_id"), _int(data, "course_id"), _int(data, "taxonomy_version")))
        elif kind == "training.waived":
            self.waivers[_int(data, "waiver")] = (_int(data, "user_id"), _int(data, "queue_id"),
                                                  _int(data, "course_id"), _int(data, "taxonomy_version"))
        else:
            self.lifted.add(_int(data, "waiver"))


def _replayed(db: sqlite_utils.Database) -> _Replay:
    replay = _Replay()
    marks = ", ".join("?" for _ in KINDS)
    for event_id, kind, payload in db.execute(
            f"SELECT id, kind, payload FROM events WHERE kind IN ({marks}) ORDER BY id", list(KINDS)):
        try:
            data = json.loads(payload)
            if not isinstance(data, dict):
                raise _Malformed("its payload is not an object")
            replay.apply(kind, data)
        except (_Malformed, ValueError, TypeError) as why:
            replay.malformed.append(f"event {event_id} ({kind}) is malformed ({why}): its gate facts cannot be "
                                    "replayed")
    return replay


def training_problems(db: sqlite_utils.Database) -> list[str]:
    """Each gate, certification, waiver and lift row without its events or unlike them, each the events lack,
    and each event that cannot be read."""
    replay = _replayed(db)
    problems = list(replay.malformed)
    stored_gates: dict[int, Gate] = {r[0]: (r[1], r[2]) for r in db.execute(
        "SELECT queue_id, course_id, taxonomy_version FROM queue_gates")}
    for queue_id in sorted(set(replay.gates) | set(stored_gates)):
        want, have = replay.gates.get(queue_id), stored_gates.get(queue_id)
        if want != have:
            problems.append(f"queue {queue_id} requires {_gate(have)}, but its training.gated events say "
                            f"{_gate(want)}")
    stored_certified = {(r[0], r[1], r[2]) for r in db.execute(
        "SELECT user_id, course_id, taxonomy_version FROM certifications")}
    for user_id, course_id, version in sorted(stored_certified - replay.certified):
        problems.append(f"user {user_id} is certified for course {course_id} (taxonomy version {version}) without a "
                        "training.certified event: written behind Veil's back")
    for user_id, course_id, version in sorted(replay.certified - stored_certified):
        problems.append(f"the certification of user {user_id} for course {course_id} (taxonomy version {version}) is "
                        "missing: its training.certified event says it exists")
    stored_waivers: dict[int, Waiver] = {r[0]: (r[1], r[2], r[3], r[4]) for r in db.execute(
        "SELECT id, user_id, queue_id, course_id, taxonomy_version FROM gate_waivers")}
    for waiver_id in sorted(set(replay.waivers) | set(stored_waivers)):
        want_waiver, have_waiver = replay.waivers.get(waiver_id), stored_waivers.get(waiver_id)
        if want_waiver is None:
            problems.append(f"waiver {waiver_id} has no training.waived event: written behind Veil's back")
        elif have_waiver is None:
            problems.append(f"waiver {waiver_id} is missing: its training.waived event says it exists")
        elif want_waiver != have_waiver:
            problems.append(f"waiver {waiver_id} is {_waiver(have_waiver)}, but its training.waived event says "
                            f"{_waiver(want_waiver)}")
    stored_lifts = {r[0] for r in db.execute("SELECT waiver_id FROM gate_waiver_lifts")}
    for waiver_id in sorted(stored_lifts - replay.lifted):
        problems.append(f"waiver {waiver_id} is lifted without a training.waiver_lifted event: written behind "
                        "Veil's back")
    for waiver_id in sorted(replay.lifted - stored_lifts):
        problems.append(f"the lift of waiver {waiver_id} is missing: its training.waiver_lifted event says it was "
                        "lifted")
    return problems


def _gate(gate: Gate | None) -> str:
    return "no course" if gate is None else f"course {gate[0]} (taxonomy version {gate[1]})"


def _waiver(waiver: Waiver) -> str:
    return f"user {waiver[0]} on queue {waiver[1]} for course {waiver[2]} (taxonomy version {waiver[3]})"

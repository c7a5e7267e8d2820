"""SQL of certification gates: which course a queue requires, who passed it, and who a lead waived.

Serving is review's, and review never reads audit tables, so the facts the
gate needs live here, in review's own tables (m017), written by the
training domain (``audit.training``) through these functions:

- ``queue_gates``: one row per gated queue — the course (its id in audit,
  its name for the words) and the taxonomy version a pass must be for;
- ``certifications`` (append-only): a person passed a course for a
  taxonomy version (the attempt that passed it);
- ``gate_waivers`` (append-only): a lead let a person work a gated queue
  without the course, with a reason; a waiver holds for the course and
  taxonomy version the gate asked when it was given (re-certification or
  another course on the queue ends it) until a lead lifts it;
- ``gate_waiver_lifts`` (append-only): a lead lifted a waiver, with a reason.

Each write is one transaction with its ``training.*`` event;
``review.store.reconcile_training`` replays those events against these
rows for ``veil verify``. :func:`standing` is the one read the gate rule
(``review.certification``) asks, inside the claim's transaction too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlite_utils

from review.store import Refused

if TYPE_CHECKING:
    from review.store import Store


def m017(db: sqlite_utils.Database) -> None:
    """The schema step: ``queue_gates`` and the append-only ``certifications``, ``gate_waivers`` and
    ``gate_waiver_lifts``."""
    from review.store.schema import _append_only, refuse_replace

    db.executescript(
        """
        CREATE TABLE queue_gates (
            queue_id INTEGER PRIMARY KEY REFERENCES queues(id),
            course_id INTEGER NOT NULL,
            course TEXT NOT NULL CHECK (course != ''),
            taxonomy_version INTEGER NOT NULL CHECK (taxonomy_version >= 1),
            set_by TEXT NOT NULL,
            set_at TEXT NOT NULL
        );
        CREATE TABLE certifications (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            course_id INTEGER NOT NULL,
            taxonomy_version INTEGER NOT NULL,
            attempt_id INTEGER NOT NULL,
            certified_at TEXT NOT NULL,
            UNIQUE (user_id, course_id, taxonomy_version)
        );
        CREATE TABLE gate_waivers (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            queue_id INTEGER NOT NULL REFERENCES queues(id),
            course_id INTEGER NOT NULL,
            taxonomy_version INTEGER NOT NULL,
            reason TEXT NOT NULL CHECK (reason != ''),
            waived_by TEXT NOT NULL,
            waived_at TEXT NOT NULL
        );
        CREATE INDEX gate_waivers_person ON gate_waivers (user_id, queue_id);
        CREATE TABLE gate_waiver_lifts (
            id INTEGER PRIMARY KEY,
            waiver_id INTEGER NOT NULL UNIQUE REFERENCES gate_waivers(id),
            reason TEXT NOT NULL CHECK (reason != ''),
            lifted_by TEXT NOT NULL,
            lifted_at TEXT NOT NULL
        );
        """
    )
    for table in ("certifications", "gate_waivers", "gate_waiver_lifts"):
        _append_only(db, table)
        refuse_replace(db, table)


@dataclass(frozen=True)
class Standing:
    """One gated queue and where a person stands with it."""

    queue_id: int
    course_id: int
    course: str
    taxonomy_version: int
    certified: bool  # passed the course for the version the gate requires
    waived: bool
    passed_version: int | None  # the newest version they passed it for (an older pass: re-certify)

    @property
    def open(self) -> bool:
        return self.certified or self.waived


_STANDING = """
SELECT g.queue_id, g.course_id, g.course, g.taxonomy_version,
       EXISTS (SELECT 1 FROM certifications c WHERE c.user_id = :user AND c.course_id = g.course_id
               AND c.taxonomy_version = g.taxonomy_version),
       EXISTS (SELECT 1 FROM gate_waivers w WHERE w.user_id = :user AND w.queue_id = g.queue_id
               AND w.course_id = g.course_id AND w.taxonomy_version = g.taxonomy_version
               AND NOT EXISTS (SELECT 1 FROM gate_waiver_lifts l WHERE l.waiver_id = w.id)),
       (SELECT MAX(c.taxonomy_version) FROM certifications c WHERE c.user_id = :user AND c.course_id = g.course_id)
FROM queue_gates g ORDER BY g.queue_id
"""


def standing(store: Store, user_id: int) -> dict[int, Standing]:
    """Every gated queue (by id) with *user_id*'s standing: one read, cheap under the write lock."""
    return {r[0]: Standing(r[0], r[1], r[2], r[3], bool(r[4]), bool(r[5]), r[6])
            for r in store.db.execute(_STANDING, {"user": user_id})}


def gates(store: Store) -> list[tuple[int, str, int, str, int, str, str]]:
    """(queue id, queue name, course id, course, taxonomy version, set by, set at) of every gate, by queue name."""
    return [(r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in store.db.execute(
        """SELECT g.queue_id, q.name, g.course_id, g.course, g.taxonomy_version, g.set_by, g.set_at
           FROM queue_gates g JOIN queues q ON q.id = g.queue_id ORDER BY q.name, g.queue_id""")]


@dataclass(frozen=True)
class Waiver:
    """One waiver as the lead's list shows it; ``state`` says whether it still opens the queue."""

    person: str
    queue: str
    reason: str
    waived_by: str
    waived_at: str
    state: str  # "in force", "lifted by NAME: WHY", or "ended: the queue now asks for another course or version"

    @property
    def in_force(self) -> bool:
        return self.state == "in force"


def waivers(store: Store) -> list[Waiver]:
    """Every waiver ever given, newest first, with whether it still holds (lifted ones and ended ones too: the
    lead's list is the history of who was let in)."""
    found = []
    for r in store.db.execute(
            """SELECT u.name, q.name, w.reason, w.waived_by, w.waived_at, l.lifted_by, l.reason,
                      g.course_id IS NOT NULL AND g.course_id = w.course_id AND g.taxonomy_version = w.taxonomy_version
               FROM gate_waivers w JOIN users u ON u.id = w.user_id JOIN queues q ON q.id = w.queue_id
               LEFT JOIN gate_waiver_lifts l ON l.waiver_id = w.id LEFT JOIN queue_gates g ON g.queue_id = w.queue_id
               ORDER BY w.waived_at DESC, w.id DESC"""):
        if r[5] is not None:
            state = f"lifted by {r[5]}: {r[6]}"
        elif r[7]:
            state = "in force"
        else:
            state = "ended: the queue now asks for another course or taxonomy version"
        found.append(Waiver(r[0], r[1], r[2], r[3], r[4], state))
    return found


def certified(store: Store) -> list[tuple[str, int, int, str]]:
    """(person, course id, taxonomy version, certified at) of every certification, by person then time."""
    return [(r[0], r[1], r[2], r[3]) for r in store.db.execute(
        """SELECT u.name, c.course_id, c.taxonomy_version, c.certified_at FROM certifications c
           JOIN users u ON u.id = c.user_id ORDER BY u.name, c.certified_at, c.id""")]


# ------------------------------------------------------- guarded writes
def _gate_row(store: Store, queue_id: int) -> dict[str, Any] | None:
    row = store.db.execute("SELECT course_id, course, taxonomy_version FROM queue_gates WHERE queue_id = ?",
                           [queue_id]).fetchone()
    return {"course_id": row[0], "course": row[1], "taxonomy_version": row[2]} if row else None


def set_gates(store: Store, actor: str, gates_wanted: Sequence[tuple[int, str, int | None, str, int]]) -> int:
    """Gate queues, in one transaction with one ``training.gated`` event each; how many changed.

    *gates_wanted*: (queue id, queue name, course id or None to lift the
    gate, course name, taxonomy version). A gate already as asked logs
    nothing. Refused ``"queue_kind"`` (detail: the queue) for a queue that
    is not a review or escalation queue (only those are served).
    """
    changed = 0
    with store.transaction():
        for queue_id, queue, course_id, course, version in gates_wanted:
            kind = store.db.execute("SELECT kind FROM queues WHERE id = ?", [queue_id]).fetchone()
            if kind is None or kind[0] not in ("review", "escalation"):
                raise Refused("queue_kind", queue)
            old = _gate_row(store, queue_id)
            new = None if course_id is None else {"course_id": course_id, "course": course,
                                                  "taxonomy_version": version}
            if old == new:
                continue
            if new is None:
                store.db.execute("DELETE FROM queue_gates WHERE queue_id = ?", [queue_id])
            else:
                store.db.execute(
                    """INSERT INTO queue_gates (queue_id, course_id, course, taxonomy_version, set_by, set_at)
                       VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (queue_id) DO UPDATE SET course_id = excluded.course_id,
                       course = excluded.course, taxonomy_version = excluded.taxonomy_version,
                       set_by = excluded.set_by, set_at = excluded.set_at""",
                    [queue_id, course_id, course, version, actor, store.now()])
            store.log(actor, "training.gated", f"queue:{queue}", {"queue_id": queue_id, "old": old, "new": new})
            changed += 1
    return changed


def certify(store: Store, actor: str, user_id: int, course_id: int, version: int, attempt_id: int) -> bool:
    """Record that *user_id* passed the course for *version*, with ``training.certified``; False if they had.

    Joins the caller's transaction (the attempt that passed, in audit's
    store), so the pass and the certification are one unit of work.
    """
    with store.transaction():
        if store.db.execute("SELECT 1 FROM certifications WHERE user_id = ? AND course_id = ? AND taxonomy_version = ?",
                            [user_id, course_id, version]).fetchone():
            return False
        store.db.execute("INSERT INTO certifications (user_id, course_id, taxonomy_version, attempt_id, certified_at)"
                         " VALUES (?, ?, ?, ?, ?)", [user_id, course_id, version, attempt_id, store.now()])
        store.log(actor, "training.certified", f"user:{actor}",
                  {"user_id": user_id, "course_id": course_id, "taxonomy_version": version, "attempt": attempt_id})
    return True


_LIVE_WAIVERS = """SELECT w.id FROM gate_waivers w JOIN queue_gates g ON g.queue_id = w.queue_id
                   WHERE w.user_id = ? AND w.queue_id = ? AND w.course_id = g.course_id
                   AND w.taxonomy_version = g.taxonomy_version
                   AND NOT EXISTS (SELECT 1 FROM gate_waiver_lifts l WHERE l.waiver_id = w.id) ORDER BY w.id"""


def waive(store: Store, actor: str, user_id: int, person: str, queue_id: int, queue: str, reason: str) -> None:
    """Let *person* work a queue without the course it requires now, with ``training.waived``, in one transaction.

    The waiver holds for the gate's course and taxonomy version as they
    are now: a re-certification or another course on the queue ends it.
    Refused ``"no_gate"`` when the queue requires nothing, ``"waived"``
    when a waiver already holds.
    """
    with store.transaction():
        gate = _gate_row(store, queue_id)
        if gate is None:
            raise Refused("no_gate", queue)
        if store.db.execute(_LIVE_WAIVERS, [user_id, queue_id]).fetchone():
            raise Refused("waived", person)
        inserted = store.db.execute(
            "INSERT INTO gate_waivers (user_id, queue_id, course_id, taxonomy_version, reason, waived_by, waived_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [user_id, queue_id, gate["course_id"], gate["taxonomy_version"], reason, actor, store.now()]).fetchall()
        waiver_id = int(inserted[0][0])
        store.log(actor, "training.waived", f"user:{person}",
                  {"waiver": waiver_id, "user_id": user_id, "queue_id": queue_id, "queue": queue,
                   "course_id": gate["course_id"], "taxonomy_version": gate["taxonomy_version"], "reason": reason})


def lift_waiver(store: Store, actor: str, user_id: int, person: str, queue_id: int, queue: str, reason: str) -> int:
    """End the waiver that lets *person* work *queue* now, with ``training.waiver_lifted``; the waiver's id.

    Append-only: the waiver stays in the history, a lift row beside it.
    Refused ``"not_waived"`` when no waiver holds.
    """
    with store.transaction():
        live = store.db.execute(_LIVE_WAIVERS, [user_id, queue_id]).fetchall()
        if not live:
            raise Refused("not_waived", person)
        waiver_id = int(live[-1][0])
        store.db.execute("INSERT INTO gate_waiver_lifts (waiver_id, reason, lifted_by, lifted_at) VALUES (?, ?, ?, ?)",
                         [waiver_id, reason, actor, store.now()])
        store.log(actor, "training.waiver_lifted", f"user:{person}",
                  {"waiver": waiver_id, "user_id": user_id, "queue_id": queue_id, "queue": queue, "reason": reason})
    return waiver_id

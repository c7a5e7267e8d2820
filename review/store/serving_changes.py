"""What a claim reads of the serving rules, kept on its connection until a change to them is counted.

A claim re-reads, under its write lock, the person's row, the queues, their
queue limit, the roster, the rotation rules and the certification gates
(``review.serving``): rows that change a few times a day, read on every
claim. ``serving_changes`` holds one counter that triggers on every table
those rules come from (:data:`TABLES`) add one to, in the transaction that
changes them — through Veil or behind its back alike, on SQLite and on a
server. A claim reads the counter first (one indexed row) and keeps what it
reads in :class:`Kept` for its connection while the counter stands; a
moved counter drops all of it. So the guarantees hold as before (a role
removed, a queue paused, a gate set a moment ago stops the next claim),
at one read instead of six.

What depends on the clock or on the person's own work is not kept here:
the caller keeps a screened list only with the minute it was made for, and
only when no rotation rule counts the person's decisions
(``review.serving.planned``). Created by schema step m027
(:func:`review.store.queue_counts.m027`).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from review.store import Queue, Store, User

#: The tables the serving rules are read from: people and limits, queues (pauses, merges), settings (the
#: rotation rules, the taxonomy), the roster, and the certification gates.
TABLES = ("users", "queues", "settings", "shifts", "queue_gates", "certifications", "gate_waivers",
          "gate_waiver_lifts")


def create(db: Any) -> None:
    """The counter and its triggers (part of schema step m027)."""
    db.execute("CREATE TABLE serving_changes (id INTEGER PRIMARY KEY, changes INTEGER NOT NULL)")
    db.execute("INSERT INTO serving_changes (id, changes) VALUES (1, 0)")
    for table in TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            db.execute(f"CREATE TRIGGER {table}_{event.lower()}_served AFTER {event} ON {table}"
                       " BEGIN UPDATE serving_changes SET changes = changes + 1 WHERE id = 1; END")


@dataclass
class Kept:
    """What claims on one connection read of the serving rules while the counter stood at ``changes``."""

    changes: int
    users: dict[str, User] = field(default_factory=dict)
    queues: list[Queue] | None = None
    allowed: dict[str, set[int] | None] = field(default_factory=dict)
    #: The caller's screened queue lists, each with the minute it holds for (``review.serving.planned``).
    screens: dict[tuple[Any, ...], tuple[str, list[Queue]]] = field(default_factory=dict)

    def user(self, store: Store, name: str) -> User:
        if name not in self.users:
            self.users[name] = store.user(name)
        return self.users[name]

    def all_queues(self, store: Store) -> list[Queue]:
        if self.queues is None:
            self.queues = store.queues()
        return self.queues


_KEPT: weakref.WeakKeyDictionary[Store, Kept] = weakref.WeakKeyDictionary()


def kept(store: Store, *, nested: bool) -> Kept:
    """Inside a write transaction: what this connection kept, if the counter has not moved since; else a new,
    empty :class:`Kept` (the writers that could move it meanwhile wait for this transaction).

    *nested*: the transaction runs inside another of this connection's, which may have changed the rules and
    may still roll back (and the counter with it): what it reads is not kept past it.
    """
    (changes,) = store.db.execute("SELECT changes FROM serving_changes WHERE id = 1").fetchone()
    found = _KEPT.get(store)
    if found is None or found.changes != changes or nested:
        found = Kept(changes)
        if nested:
            _KEPT.pop(store, None)
        else:
            _KEPT[store] = found
    return found

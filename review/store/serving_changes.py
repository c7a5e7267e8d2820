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
at one read instead of six. A decision's transaction reads the person and
the item's queue from the same :class:`Kept` (``review.store.leases.hold``).

The person's breaks are kept too (:data:`LATER_TABLES`, schema step
:func:`m030`): a break is a row that never changes once written (it ends
by its time alone), so the last one a person took, kept with the counter,
tells every later claim whether it still runs, and a claim checks it under
its lock without reading anything before it (issue 22: a claim costs what
its own rows cost, not the rules' reads).

What depends on the clock or on the person's own work is not kept by the
counter: the caller keeps what it screened with only for the minute it was
made for (``review.serving.planned``), and the person's decisions that a
rotation rule counts are followed by their ids, each claim reading only
the new ones (:class:`review.store.roster.RecentDecisions`). Created by schema step m027
(:func:`review.store.queue_counts.m027`); the breaks' triggers by :func:`m030`.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from review.store import people as people_rows
from review.store import roster as roster_rows
from review.store import wellbeing as wellbeing_rows

if TYPE_CHECKING:
    from review.store import Queue, Store, User

#: The tables the serving rules are read from: people and limits, queues (pauses, merges), settings (the
#: rotation rules, the taxonomy), the roster, and the certification gates.
TABLES = ("users", "queues", "settings", "shifts", "queue_gates", "certifications", "gate_waivers",
          "gate_waiver_lifts")
#: Tables counted since schema step m030: the breaks a claim refuses during (kept per person, see the module).
LATER_TABLES = ("wellbeing_breaks",)


def create(db: Any) -> None:
    """The counter and its triggers (part of schema step m027)."""
    db.execute("CREATE TABLE serving_changes (id INTEGER PRIMARY KEY, changes INTEGER NOT NULL)")
    db.execute("INSERT INTO serving_changes (id, changes) VALUES (1, 0)")
    _count_changes(db, TABLES)


def m030(db: Any) -> None:
    """The schema step: a change to a person's breaks moves the counter too, so a claim keeps their last break."""
    _count_changes(db, LATER_TABLES)


def _count_changes(db: Any, tables: tuple[str, ...]) -> None:
    for table in tables:
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
    #: What the caller screened queue lists with, each with the minute it holds for (``review.serving.planned``).
    screens: dict[tuple[Any, ...], tuple[str, Any]] = field(default_factory=dict)
    #: When each person's last break ends (None: they never took one), by user id.
    break_ends: dict[int, str | None] = field(default_factory=dict)
    by_id: dict[int, Queue] | None = None
    #: Each person's recent decisions as the rotation rules count them, followed by id (not by the counter).
    recent: dict[int, roster_rows.RecentDecisions] = field(default_factory=dict)

    def user(self, store: Store, name: str) -> User:
        """The person's row (KeyError for a name the store does not know)."""
        if name not in self.users:
            self.users[name] = store.user(name)
        return self.users[name]

    def all_queues(self, store: Store) -> list[Queue]:
        if self.queues is None:
            self.queues = store.queues()
        return self.queues

    def queue_by_id(self, store: Store, queue_id: int) -> Queue:
        """A queue by its id (KeyError for none), from :meth:`all_queues`."""
        if self.by_id is None:
            self.by_id = {q.id: q for q in self.all_queues(store)}
        return self.by_id[queue_id]

    def allowed_ids(self, store: Store, user: User) -> set[int] | None:
        """The ids of the queues *user*'s limit lets them work (None: no limit), merges followed."""
        if user.name not in self.allowed:
            self.allowed[user.name] = people_rows.allowed_queue_ids(store, user)
        return self.allowed[user.name]

    def recent_decisions(self, user_id: int) -> roster_rows.RecentDecisions:
        """The person's recent decisions, followed on this connection from one claim to the next."""
        return self.recent.setdefault(user_id, roster_rows.RecentDecisions(user_id))

    def last_break_ends(self, store: Store, user_id: int) -> str | None:
        """When the person's last break ends (the latest end of any they took; None: none), as stored.

        Breaks are never changed once written, so whether one runs at a moment is this compared with it.
        """
        if user_id not in self.break_ends:
            last = wellbeing_rows.last_break(store, user_id)
            self.break_ends[user_id] = last.ends_at if last is not None else None
        return self.break_ends[user_id]


_KEPT: weakref.WeakKeyDictionary[Store, Kept] = weakref.WeakKeyDictionary()
#: The counter's read, the first statement of every claim and decision: a server store sends it with their
#: ``BEGIN`` (:attr:`review.store.server.ServerDatabase.read_at_begin`), one round trip fewer for each.
COUNTER = "SELECT changes FROM serving_changes WHERE id = 1"


def kept(store: Store, *, nested: bool) -> Kept:
    """Inside a write transaction: what this connection kept, if the counter has not moved since; else a new,
    empty :class:`Kept` (the writers that could move it meanwhile wait for this transaction).

    *nested*: the transaction runs inside another of this connection's, which may have changed the rules and
    may still roll back (and the counter with it): what it reads is not kept past it.
    """
    (changes,) = store.db.execute(COUNTER).fetchone()
    found = _KEPT.get(store)
    if found is None or found.changes != changes or nested:
        found = Kept(changes)
        if nested:
            _KEPT.pop(store, None)
        else:
            _KEPT[store] = found
    return found

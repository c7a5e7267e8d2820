"""Shifts' rows: reading the roster, and adding, changing, deleting and importing shifts — each one transaction.

The rules (who may, which words, what a CSV row must hold) are
:mod:`review.planning.roster`'s; this module holds the SQL and the guards
that must hold under the write lock: the writer is still an active lead,
and one person's shifts on a day never overlap however two leads' edits
interleave (Refused ``"overlap"``). An import is staged in a temporary
table, checked there for overlaps by SQL (so a million rows never sit in
Python's memory) and applied or rolled back as a whole.
"""

from __future__ import annotations

import bisect
import datetime as _dt
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from review.clock import epoch_ms, iso, parse_stored
from review.store import Refused, dialect
from review.store.connection import executemany
from review.store.summaries import NOT_APPLIED

if TYPE_CHECKING:
    import sqlite_utils

    from review.store import Store, User

_COLUMNS = "s.id, s.user_id, u.name, s.day, s.starts, s.ends, s.queue_ids"


@dataclass(frozen=True)
class ShiftRow:
    """One stored shift: whose (id and name), which UTC day, from ``starts`` to ``ends`` (``HH:MM``), which queues."""

    id: int
    user_id: int
    person: str
    day: str
    starts: str
    ends: str
    queue_ids: tuple[int, ...]

    def facts(self) -> dict[str, Any]:
        """What an event keeps of the shift (old or new value)."""
        return {"person": self.person, "day": self.day, "starts": self.starts, "ends": self.ends,
                "queues": list(self.queue_ids)}


def _row(row: Sequence[Any]) -> ShiftRow:
    ids = tuple(int(q) for q in str(row[6]).split(",") if q.strip().isdigit())
    return ShiftRow(row[0], row[1], row[2], row[3], row[4], row[5], ids)


# ----------------------------------------------------------------- reading
def between(store: Store, first_day: str, last_day: str, user_id: int | None = None) -> list[ShiftRow]:
    """The shifts on days *first_day*..*last_day* (inclusive), of one person when *user_id* is given."""
    who = " AND s.user_id = ?" if user_id is not None else ""
    rows = store.db.execute(
        f"SELECT {_COLUMNS} FROM shifts s JOIN users u ON u.id = s.user_id WHERE s.day BETWEEN ? AND ?{who}"
        " ORDER BY s.day, u.name, s.starts", [first_day, last_day, *([] if user_id is None else [user_id])])
    return [_row(r) for r in rows]


def shift(store: Store, shift_id: int) -> ShiftRow | None:
    row = store.db.execute(f"SELECT {_COLUMNS} FROM shifts s JOIN users u ON u.id = s.user_id WHERE s.id = ?",
                           [shift_id]).fetchone()
    return _row(row) if row else None


def iter_all(store: Store) -> Iterable[ShiftRow]:
    """Every shift, by day then person, read a row at a time (an export of years of roster)."""
    for row in store.db.execute(f"SELECT {_COLUMNS} FROM shifts s JOIN users u ON u.id = s.user_id"
                                " ORDER BY s.day, u.name, s.starts"):
        yield _row(row)


#: A person's decisions a rotation rule counts (undos and a case's rows left out) from a moment on, after the newest
#: one already held.
_RECENT_AFTER = (
    "SELECT id, decided_at, queue_id, COALESCE(handle_ms, 0) FROM decisions WHERE user_id = ? AND decided_at >= ?"
    f" AND revokes_id IS NULL AND {NOT_APPLIED.format(d='')} AND id > ?")
#: The same, found from the decisions after the newest held (by id, every person's) rather than from the person's
#: window (their index): the shorter walk when few were made since (``+`` keeps SQLite off the person's index).
_RECENT_BY_ID = (
    "SELECT id, decided_at, queue_id, COALESCE(handle_ms, 0) FROM decisions WHERE id > ? AND +user_id = ?"
    f" AND +decided_at >= ? AND revokes_id IS NULL AND {NOT_APPLIED.format(d='')}")
#: :data:`_RECENT_AFTER`, then one more row, id 0, whose third column counts them all from that moment on. One
#: statement, so both see the same decisions.
_RECENT_AFTER_COUNTED = (
    f"{_RECENT_AFTER} UNION ALL SELECT 0, NULL, COUNT(*), 0 FROM decisions WHERE user_id = ? AND decided_at >= ?"
    f" AND revokes_id IS NULL AND {NOT_APPLIED.format(d='')}")


@dataclass
class RecentDecisions:
    """One person's recent decisions as the rotation rules count them, followed from one claim to the next.

    A rotation rule reads the person's last days of decisions on every claim: about a thousand rows at a busy
    desk, fetched and parsed, were half of a claim's CPU (issue 22). Decisions are never changed or deleted, so
    a claim's connection keeps those it has read (``serving_changes.Kept``) and each later claim reads only the
    rows after the newest it holds. On a file one writer at a time takes the next id, so a decision committed
    later always has a higher id than those held. On a server a transaction that took a lower id may commit
    later, so the statement also counts the decisions since the window's start: one it could not find by id
    leaves the two counts unequal, and the window is read whole again. A window whose start moved back is read
    whole too. What it gives is always what a fresh read gives.
    Each row is parsed once, into epoch milliseconds, which the rules' arithmetic uses.

    Rows are numbered as they come: ``first`` is the number of the oldest held, a new newest one takes the next
    number. Whatever a rule works out from them can be kept in ``tally`` and brought up to date from the numbers
    alone, as long as ``generation`` is the same: it moves on when the rows are read whole again or one goes in
    anywhere but at the end, the only changes that are not rows leaving the front or arriving at the back.
    """

    user_id: int
    #: (decided_at as stored, id) of each decision held, in the order decided, from the window's start on.
    keys: list[tuple[str, int]] = field(default_factory=list)
    #: (decided_at in epoch ms, queue id, handle ms) of the same decisions, in the same order.
    values: list[tuple[int, int, int]] = field(default_factory=list)
    through: int = 0  # the highest decision id read
    since: str = ""  # the window's start: every decision from it on is held
    first: int = 0  # the number of values[0]
    generation: int = 0
    tally: Any = None  # what a rule worked out from the rows (:func:`review.planning.rotation`'s running sums)

    def between(self, store: Store, since: str, until: str) -> list[tuple[int, int, int]]:
        """(decided_at in epoch ms, queue id, handle ms) of the person's decisions in [*since*, *until*], oldest
        first."""
        gone = bisect.bisect_left(self.keys, (since,))  # the window's start moved on
        del self.keys[:gone], self.values[:gone]
        self.first += gone
        if since < self.since or not self._followed(store, since):  # reached back, or one committed behind
            self.keys, self.values, self.through, self.generation = [], [], 0, self.generation + 1
            self._followed(store, since)  # the whole window (on a server with its count: one statement)
        self.since = since
        return self.values[:bisect.bisect_right(self.keys, (until, math.inf))]

    def _followed(self, store: Store, since: str) -> bool:
        """Add the decisions after the newest held; whether the rows held are then all there are since *since*
        (on a file, always: see the class). On a file they are looked for among the decisions made since the
        newest held when those are fewer than the rows held (a desk claiming one item after another), else
        through the person's index; a server keeps to the person's index, where the count is read too."""
        if not dialect.is_server(store.db):
            if self.through and self._few_since(store):
                found = store.db.execute(_RECENT_BY_ID, [self.through, self.user_id, since]).fetchall()
            else:
                found = store.db.execute(_RECENT_AFTER, [self.user_id, since, self.through]).fetchall()
            self._added(found)
            return True
        found = store.db.execute(_RECENT_AFTER_COUNTED, [self.user_id, since, self.through, self.user_id, since]
                                 ).fetchall()
        self._added(found)
        return len(self.keys) == int(next(count for row_id, _, count, _ in found if row_id == 0))

    def _few_since(self, store: Store) -> bool:
        """Whether fewer decisions were made (by anyone) since the newest held than the rows held."""
        (newest,) = store.db.execute("SELECT COALESCE(MAX(id), 0) FROM decisions").fetchone()
        return int(newest) - self.through <= len(self.keys)

    def _added(self, found: list[tuple[int, str, int, int]]) -> None:
        """Hold the decisions *found* (a count's row, id 0, aside) in their places."""
        for row_id, at, queue_id, ms in found:
            if row_id:
                place = bisect.bisect_right(self.keys, (at, row_id))
                self.generation += place < len(self.keys)  # not at the end: the rows after it are numbered anew
                self.keys.insert(place, (at, row_id))
                self.values.insert(place, (epoch_ms(parse_stored(at)), queue_id, ms))
                self.through = max(self.through, row_id)


# ------------------------------------------------------------------ writes
def _lead_now(store: Store, actor: User) -> None:
    """Refused ``"not_lead"`` unless *actor* is, under the write lock, still an active lead."""
    now = store.user(actor.name)
    if not (now.active and now.has("lead")):
        raise Refused("not_lead", actor.name)


def _refuse_overlap(store: Store, user_id: int, day: str, starts: str, ends: str, but: int | None = None) -> None:
    row = store.db.execute(
        "SELECT starts, ends FROM shifts WHERE user_id = ? AND day = ? AND starts < ? AND ? < ends AND id != ?",
        [user_id, day, ends, starts, -1 if but is None else but]).fetchone()
    if row:
        raise Refused("overlap", f"{row[0]}–{row[1]}")


def add(store: Store, actor: User, user_id: int, day: str, starts: str, ends: str, queue_ids: Sequence[int],
        names: Sequence[str]) -> ShiftRow:
    """Add one shift with its ``roster.shift_added`` event (new value; queue names as they were then)."""
    with store.transaction():
        _lead_now(store, actor)
        _refuse_overlap(store, user_id, day, starts, ends)
        shift_id = store.db.execute(
            "INSERT INTO shifts (user_id, day, starts, ends, queue_ids, created_at) VALUES (?, ?, ?, ?, ?, ?)"
            " RETURNING id", [user_id, day, starts, ends, ",".join(map(str, queue_ids)), store.now()]).fetchone()[0]
        added = shift(store, shift_id)
        assert added is not None
        store.log(actor.name, "roster.shift_added", f"shift:{shift_id}",
                  {"old": None, "new": added.facts(), "names": list(names)})
        return added


def change(store: Store, actor: User, shift_id: int, day: str, starts: str, ends: str, queue_ids: Sequence[int],
           names: Sequence[str]) -> tuple[ShiftRow, ShiftRow]:
    """Change a shift's day, times or queues with ``roster.shift_changed`` (old and new); (before, after).

    Refused ``"gone"`` when it was deleted meanwhile, ``"unchanged"`` when nothing would change.
    """
    with store.transaction():
        _lead_now(store, actor)
        before = shift(store, shift_id)
        if before is None:
            raise Refused("gone", str(shift_id))
        if (before.day, before.starts, before.ends, before.queue_ids) == (day, starts, ends, tuple(queue_ids)):
            raise Refused("unchanged", str(shift_id))
        _refuse_overlap(store, before.user_id, day, starts, ends, but=shift_id)
        store.db.execute("UPDATE shifts SET day = ?, starts = ?, ends = ?, queue_ids = ? WHERE id = ?",
                         [day, starts, ends, ",".join(map(str, queue_ids)), shift_id])
        after = shift(store, shift_id)
        assert after is not None
        store.log(actor.name, "roster.shift_changed", f"shift:{shift_id}",
                  {"old": before.facts(), "new": after.facts(), "names": list(names)})
        return before, after


def delete(store: Store, actor: User, shift_id: int) -> ShiftRow:
    """Delete a shift with ``roster.shift_deleted`` (its old value); Refused ``"gone"`` when it already is."""
    with store.transaction():
        _lead_now(store, actor)
        before = shift(store, shift_id)
        if before is None:
            raise Refused("gone", str(shift_id))
        store.db.execute("DELETE FROM shifts WHERE id = ?", [shift_id])
        store.log(actor.name, "roster.shift_deleted", f"shift:{shift_id}", {"old": before.facts(), "new": None})
        return before


@dataclass(frozen=True)
class Staged:
    """One checked CSV row, ready to stage: its line, whose shift (user id), day, times and queue ids."""

    line: int
    user_id: int
    day: str
    starts: str
    ends: str
    queue_ids: tuple[int, ...]


@dataclass(frozen=True)
class Imported:
    """What an import did or would do: rows staged, (person, day)s replaced, shifts they held, overlaps found."""

    rows: int
    person_days: int
    replaced: int
    overlaps: list[tuple[int, int]]  # (line, the earlier line it overlaps)
    applied: bool


class _Undo(Exception):
    """Raised inside the import's transaction to roll it back (a dry run, or problems found)."""


def import_shifts(store: Store, actor: User, rows: Iterable[Staged], *, apply: Callable[[], bool],
                  source: str, max_overlaps: int = 100) -> Imported:
    """Stage *rows*, find overlaps among them, and replace the roster of every (person, day) they name.

    One transaction: the rows go to a temporary table as they come (the
    caller's generator checks each and keeps its own problems), overlaps
    are found by SQL, and then ``apply()`` — asked once everything is read
    — says whether to keep it (no problems, not a dry run). Kept: each
    (person, day) in the file loses its old shifts and gets the file's,
    with one ``roster.imported`` event holding the ids it replaced and the
    shifts it added (``[id, person, day, starts, ends, queue ids]``), which
    ``veil verify`` replays (``review.store.reconcile_roster``). Otherwise
    nothing is written.
    """
    outcome: Imported | None = None
    try:
        with store.transaction():
            _lead_now(store, actor)
            db = store.db
            db.execute("CREATE TEMP TABLE IF NOT EXISTS roster_import (line INTEGER, user_id INTEGER, day TEXT,"
                       " starts TEXT, ends TEXT, queue_ids TEXT)")
            db.execute("DELETE FROM roster_import")
            executemany(db, "INSERT INTO roster_import VALUES (?, ?, ?, ?, ?, ?)",
                        ((r.line, r.user_id, r.day, r.starts, r.ends, ",".join(map(str, r.queue_ids))) for r in rows))
            db.execute("CREATE INDEX IF NOT EXISTS roster_import_day ON roster_import (user_id, day, starts)")
            overlaps = [(r[0], r[1]) for r in db.execute(
                "SELECT b.line, MIN(a.line) FROM roster_import a JOIN roster_import b"
                " ON a.user_id = b.user_id AND a.day = b.day AND a.line < b.line"
                " AND a.starts < b.ends AND b.starts < a.ends GROUP BY b.line ORDER BY b.line LIMIT ?",
                [max_overlaps])]
            count = db.execute("SELECT COUNT(*) FROM roster_import").fetchone()[0]
            days = db.execute("SELECT COUNT(*) FROM (SELECT DISTINCT user_id, day FROM roster_import) AS person_days"
                              ).fetchone()[0]
            replaced = db.execute("SELECT COUNT(*) FROM shifts WHERE (user_id, day) IN"
                                  " (SELECT user_id, day FROM roster_import)").fetchone()[0]
            keep = not overlaps and apply()
            outcome = Imported(count, days, replaced, overlaps, keep)
            if not keep:
                raise _Undo
            in_file = "(user_id, day) IN (SELECT user_id, day FROM roster_import)"
            replaced_ids = [r[0] for r in db.execute(f"SELECT id FROM shifts WHERE {in_file} ORDER BY id")]
            db.execute(f"DELETE FROM shifts WHERE {in_file}")
            db.execute("INSERT INTO shifts (user_id, day, starts, ends, queue_ids, created_at)"
                       " SELECT user_id, day, starts, ends, queue_ids, ? FROM roster_import ORDER BY line",
                       [store.now()])
            added = [[r.id, r.person, r.day, r.starts, r.ends, list(r.queue_ids)] for r in map(_row, db.execute(
                f"SELECT {_COLUMNS} FROM shifts s JOIN users u ON u.id = s.user_id WHERE (s.user_id, s.day) IN"
                " (SELECT user_id, day FROM roster_import) ORDER BY s.id"))]
            db.execute("DELETE FROM roster_import")
            store.log(actor.name, "roster.imported", f"file:{source}",  # the shifts, so `veil verify` replays it
                      {"rows": count, "person_days": days, "old": {"shifts": replaced}, "new": {"shifts": count},
                       "replaced_ids": replaced_ids, "shifts": added})
    except _Undo:
        pass
    assert outcome is not None
    return outcome


def day_bounds(day: str) -> tuple[str, str]:
    """[start, end) of a UTC day as Veil's ISO text, for comparisons with stored times."""
    start = _dt.datetime.fromisoformat(day).replace(tzinfo=_dt.UTC)
    return iso(start), iso(start + _dt.timedelta(days=1))


def m013(db: sqlite_utils.Database) -> None:
    """Shifts: who works when on a UTC day, and which queues (by id, so a rename keeps them).

    A shift lies within one day (``starts`` < ``ends``, ``HH:MM``; a night
    shift is two rows); one person's shifts on a day never overlap (the
    domain checks it inside the write's transaction). Rotation rules are an
    organisation setting, not a table (``review.planning.rotation``).
    """
    db.executescript(
        """
        CREATE TABLE shifts (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            day TEXT NOT NULL CHECK (length(day) = 10),
            starts TEXT NOT NULL CHECK (length(starts) = 5),
            ends TEXT NOT NULL CHECK (length(ends) = 5),
            queue_ids TEXT NOT NULL CHECK (queue_ids != ''),
            created_at TEXT NOT NULL,
            CHECK (starts < ends)
        );
        CREATE INDEX shifts_day ON shifts (day, user_id, starts);
        CREATE INDEX shifts_user ON shifts (user_id, day);
        """
    )

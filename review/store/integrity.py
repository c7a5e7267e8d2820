"""What one store file proves about itself: the checks behind ``veil verify``, and anchors.

From the file alone: SQLite's own ``integrity_check`` and foreign keys;
every schema step applied; every table, index, view and trigger exactly as
the migrations create them (a dropped or weakened append-only trigger is
named); the event hash chain; and that decisions, item states, users and
their roles agree with the events (:mod:`.reconcile`); that the decision
summaries and the queue counts equal a recount (:mod:`.summaries`,
:mod:`.queue_counts`). Each problem is a
plain sentence naming the row; all are collected, not only the first.

What the file cannot prove: someone with write access can rewrite the
log and recompute every hash and every row consistently. Only an *anchor*
kept elsewhere — an event number and its hash (:func:`events.head`),
printed by ``verify --json`` and recorded by exports and reports — catches
that: :func:`anchor_problem` says whether event N still carries its hash.
Nothing here writes to the store.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass

import sqlite_utils

from review.store import applied_migrations, dialect, events, queue_counts, reconcile, summaries

LIMIT = 50
"""Sentences one check gives before it only counts the rest (a flipped column may touch every row)."""

_HASH = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Report:
    """What ``verify`` found: the log's head (the anchor to keep) and every problem, in plain sentences.

    ``events_checked`` is how many events the chain walk read; ``first_break``
    the first row that does not fit the chain, with how many rows before it
    do (None: the chain is intact); ``schema_problems`` how many of the
    problems are about the schema (steps, tables, triggers).
    """

    head: events.Head
    problems: tuple[str, ...]
    events_checked: int
    first_break: tuple[int, events.ChainBreak] | None
    schema_problems: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def check(
    db: sqlite_utils.Database, migration_sets: Sequence[sqlite_utils.Migrations], *, escalating: Collection[str]
) -> Report:
    """Run every check on the open store; *migration_sets* are all of Veil's, in the order they apply.

    *escalating*: the actions that send an item to an escalation queue
    rather than closing it (the taxonomy's ``escalates``), which the item
    states are checked against.
    """
    first_break: list[tuple[int, events.ChainBreak]] = []

    def chain() -> Iterator[str]:
        for position, broken in events.chain_breaks(db):
            if not first_break:
                first_break.append((position, broken))
            yield f"event {broken.row_id} breaks the hash chain: {broken.reason}"

    schema = schema_problems(db, migration_sets)
    problems = [*limited(file_problems(db)), *schema, *limited(chain())]
    for comparison in reconcile.checks(db, escalating=escalating):
        problems += limited(comparison)
    problems += limited(summaries.problems(db))
    problems += limited(queue_counts.problems(db))
    checked = int(db.execute("SELECT COUNT(*) FROM events").fetchone()[0])
    return Report(events.head(db), tuple(problems), checked, first_break[0] if first_break else None, len(schema))


def limited(sentences: Iterator[str] | Sequence[str], limit: int = LIMIT) -> list[str]:
    """The first *limit* sentences, then one that counts the others."""
    kept: list[str] = []
    more = 0
    for sentence in sentences:
        if len(kept) < limit:
            kept.append(sentence)
        else:
            more += 1
    if more:
        kept.append(f"… and {more} more like the above")
    return kept


# ------------------------------------------------------------------ the file
def file_problems(db: sqlite_utils.Database) -> Iterator[str]:
    """SQLite's own check of the file's pages and indexes, then rows whose foreign keys point nowhere.

    A server store has no file here to check: the server keeps its pages
    (and its checksums, if the site turned them on) and enforces every
    foreign key on every write, with no switch a client can turn off, so
    neither check applies; its administrator's tools (``pg_amcheck``) do.
    """
    if dialect.is_server(db):
        return
    for (message,) in db.execute(f"PRAGMA integrity_check({LIMIT})"):
        if message != "ok":
            yield f"the SQLite file is damaged: {message}"
    for table, rowid, parent, _ in db.execute("PRAGMA foreign_key_check"):
        yield f"row {rowid} of {table} refers to a row of {parent} that does not exist (a row was deleted)"


# ---------------------------------------------------------------- the schema
def schema_problems(db: sqlite_utils.Database, migration_sets: Sequence[sqlite_utils.Migrations]) -> list[str]:
    """Schema steps not applied, and tables, indexes, views or triggers not as the migrations make them.

    The expected schema is built by running the same migrations on an
    empty in-memory database, so a trigger dropped, re-created with a
    ``WHEN`` that lets some rows through, or added where none belongs is
    named without a second list of triggers to keep in step. On a server
    the same steps run in a scratch schema that is rolled back, and the
    catalogues are compared (:func:`review.store.server_schema.catalogue`).
    """
    problems = []
    expected_steps = {(s.name, m.name) for s in migration_sets for m in s._migrations}
    applied = set(applied_migrations(db))
    problems += [f"schema step {s}/{n} was never applied" for s, n in sorted(expected_steps - applied)]
    problems += [f"schema step {s}/{n} is not one this Veil knows" for s, n in sorted(applied - expected_steps)]
    if dialect.is_server(db):
        from review.store import server_schema  # the server's driver, for a server store only

        expected, present = server_schema.expected_catalogue(db, migration_sets), server_schema.catalogue(db)
    else:
        expected, present = expected_schema(migration_sets), _schema(db)
    for (kind, name), sql in sorted(expected.items()):
        if (kind, name) not in present:
            problems.append(f"the {kind} {name} is missing" + (" (history can be rewritten without it)"
                                                                 if kind == "trigger" else ""))
        elif kind == "trigger" and present[kind, name] == f"DISABLED {sql}":
            problems.append(f"the trigger {name} is disabled (history can be rewritten while it is)")
        elif present[kind, name] != sql:
            problems.append(f"the {kind} {name} is not as Veil creates it: {_one_line(present[kind, name])}")
    problems += [f"the {kind} {name} is not one Veil creates: {_one_line(sql)}"
                 for (kind, name), sql in sorted(present.items())
                 if kind in ("trigger", "rule", "policy") and (kind, name) not in expected]
    return problems


def expected_schema(migration_sets: Sequence[sqlite_utils.Migrations]) -> dict[tuple[str, str], str]:
    """(type, name) → SQL of every object the migrations create, on a fresh in-memory database."""
    with contextlib.closing(sqlite3.connect(":memory:")) as conn:
        fresh = sqlite_utils.Database(conn)
        for migration_set in migration_sets:
            migration_set.apply(fresh)
        return _schema(fresh)


def _schema(db: sqlite_utils.Database) -> dict[tuple[str, str], str]:
    return {(kind, name): sql for kind, name, sql in db.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")}


def _one_line(sql: str) -> str:
    return " ".join(sql.split())


# ------------------------------------------------------------------ anchors
def parse_anchor(text: str) -> tuple[int, str]:
    """``"N:HASH"`` → (N, hash); ValueError saying what is wrong otherwise."""
    number, _, digest = text.strip().partition(":")
    if not number.isdigit() or not _HASH.fullmatch(digest.lower()):
        raise ValueError(f"{text!r} is not an anchor: expected N:HASH (an event number and its 64-hex-digit hash, "
                         "as `veil verify --json` prints them as events and head)")
    return int(number), digest.lower()


def anchor_problem(db: sqlite_utils.Database, number: int, digest: str, report: Report) -> str | None:
    """Why event *number* no longer carries *digest* (None: it does; later events may follow).

    The hash of event N covers every event before it, so a match proves
    events 1…N are as they were when the anchor was taken — provided the
    chain up to N checks out: an event before N edited without recomputing
    keeps N's hash, so a break at or before N (from *report*, the
    :func:`check` of the same file) fails the anchor too.
    """
    anchor = f"{number}:{digest}"
    if report.first_break is not None and report.first_break[1].row_id <= number:
        return (f"anchor {anchor}: event {report.first_break[1].row_id}, before it, breaks the hash chain: "
                "the history the anchor covers was edited")
    if number == 0:
        return None if digest == events.GENESIS else f"anchor {anchor}: event 0 can only carry the genesis hash"
    row = db.execute("SELECT hash FROM events WHERE id = ?", [number]).fetchone()
    if row is None:
        last = events.head(db).events
        if last < number:
            return (f"anchor {anchor}: the log now ends at event {last}, before event {number}: "
                    "events were removed since the anchor was taken (the log was truncated)")
        return f"anchor {anchor}: event {number} is missing from the log"
    if row[0] != digest:
        return (f"anchor {anchor}: event {number} now carries {row[0]}: the log up to it was rewritten "
                "and its hash chain recomputed since the anchor was taken")
    return None

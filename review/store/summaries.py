"""Decision counts kept as they happen, so the dashboard never reads a week of decisions: tables, step, recount.

Three summaries of the append-only ``decisions`` table, each written by one
``AFTER INSERT`` trigger (:data:`TRIGGER`) in the transaction that writes
the decision — a live decision, an undo, a correction, a complaint's answer
or an imported history row alike, on SQLite and on a server (the dialect
turns the trigger into PL/pgSQL) — and recounted from ``decisions`` by
:func:`problems` (``veil verify``):

* ``decided_hours`` (hour, queue, decider): decision rows and revocation
  rows made in each queue in each UTC hour (the flow chart's "decided, net
  of undo");
* ``person_days`` (day, person, handle time): each person's decision rows
  and revocation rows per UTC day, by handle time (throughput, and the
  person's handle-time percentiles);
* ``queue_days`` (day, queue, handle time, decider): decision rows with a
  measured handle time per queue and UTC day (the queue's percentiles).

Every row is one decider's (``user_id``, the decision row's maker): two
desks deciding in one queue at once never update the same row, so on a
server a decision's transaction never waits for another's to commit (with
one row per queue and hour, 200 desks queued behind each other's counts).
Readers add the deciders up.

Handle times are kept to the precision the dashboard shows them
(:data:`HANDLE_BUCKET`: to the nearest 0.1 s below 10 s, the nearest second
from 10 s), so a week of one person's decisions is a few hundred rows, not
thousands; ``person_days.handle_ms`` is -1 for rows without a measured
handle time (imported history) and for revocations. A day, or an hour, is
the first 10 (13) characters of Veil's canonical UTC text.

Step m022 (:func:`m022`) made the tables and fixed two plans:
``decisions_revokes`` became a partial index (``revokes_id IS NOT NULL``:
it held a NULL for every decision, and SQLite chose it for ``revokes_id IS
NULL``, scanning every live decision), and ``items_received``
(received_at, queue_id) covers the hourly "received" count. Step m029
(:func:`m029`) gave the queue summaries their decider, and it is the step
that fills every summary and creates the trigger; step m033 (:func:`m033`)
keeps each summary's rows in its key's b-tree on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from review.store import dialect

#: A handle time (``h``, in ms) as the dashboard keeps it: to the nearest 100 ms below 10 s, to the nearest second
#: from there. Integer arithmetic on non-negative values (truncation and floor agree), the same on both databases.
HANDLE_BUCKET = ("CASE WHEN {h} < 9950 THEN CAST(({h} + 50) / 100 AS INTEGER) * 100"
                 " ELSE CAST(({h} + 500) / 1000 AS INTEGER) * 1000 END")

NO_HANDLE = -1
"""``person_days.handle_ms`` of decision rows without a measured handle time, and of every revocation."""

#: Rows a case's decision applied to its other reports (``review.store.cases``, source ``case``) and their undoing
#: are no person's work: ``person_days`` leaves them out (the queue's hours count each report's decision).
NOT_APPLIED = "{d}source IS DISTINCT FROM 'case'"
_IS_DECISION = "CASE WHEN {d}revokes_id IS NULL THEN 1 ELSE 0 END"
_IS_REVOCATION = "CASE WHEN {d}revokes_id IS NULL THEN 0 ELSE 1 END"
_PERSON_HANDLE = (f"CASE WHEN {{d}}revokes_id IS NULL AND {{d}}handle_ms IS NOT NULL THEN {HANDLE_BUCKET}"
                  f" ELSE {NO_HANDLE} END")


def _columns(d: str) -> dict[str, str]:
    """The SQL of each summary column for the decision row called *d* (``NEW.`` in the trigger, ``""`` in a recount)."""
    return {"is_decision": _IS_DECISION.format(d=d), "is_revocation": _IS_REVOCATION.format(d=d),
            "person_handle": _PERSON_HANDLE.format(d=d, h=f"{d}handle_ms"),
            "queue_handle": HANDLE_BUCKET.format(h=f"{d}handle_ms")}


_NEW = _columns("NEW.")
ROW = _columns("")
"""The same columns for a ``decisions`` row read in a query (``ROW["person_handle"]``, ``ROW["queue_handle"]``)."""

#: Each summary: its table, its key columns and count columns, and its recount from ``decisions``.
SUMMARIES: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "decided_hours": (
        ("hour", "queue_id", "user_id"), ("decisions", "revocations"),
        f"SELECT substr(decided_at, 1, 13), queue_id, user_id, SUM({ROW['is_decision']}), SUM({ROW['is_revocation']})"
        " FROM decisions GROUP BY substr(decided_at, 1, 13), queue_id, user_id"),
    "person_days": (
        ("day", "user_id", "handle_ms"), ("decisions", "revocations"),
        f"SELECT substr(decided_at, 1, 10), user_id, {ROW['person_handle']}, SUM({ROW['is_decision']}),"
        f" SUM({ROW['is_revocation']}) FROM decisions WHERE {NOT_APPLIED.format(d='')}"
        f" GROUP BY substr(decided_at, 1, 10), user_id,"
        f" {ROW['person_handle']}"),
    "queue_days": (
        ("day", "queue_id", "handle_ms", "user_id"), ("decisions",),
        f"SELECT substr(decided_at, 1, 10), queue_id, {ROW['queue_handle']}, user_id, COUNT(*) FROM decisions"
        f" WHERE revokes_id IS NULL AND handle_ms IS NOT NULL"
        f" GROUP BY substr(decided_at, 1, 10), queue_id, {ROW['queue_handle']}, user_id"),
}


def _upsert(table: str, values: list[str], where: str = "") -> str:
    keys, counts, _ = SUMMARIES[table]
    names = ", ".join(keys + counts)
    added = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in counts)
    return (f"INSERT INTO {table} ({names}) SELECT {', '.join(values)} WHERE {where or '1 = 1'}"
            f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {added};")


TRIGGER = f"""CREATE TRIGGER decisions_summaries AFTER INSERT ON decisions BEGIN
    {_upsert("decided_hours", ["substr(NEW.decided_at, 1, 13)", "NEW.queue_id", "NEW.user_id", _NEW["is_decision"],
                               _NEW["is_revocation"]])}
    {_upsert("person_days", ["substr(NEW.decided_at, 1, 10)", "NEW.user_id", _NEW["person_handle"],
                             _NEW["is_decision"], _NEW["is_revocation"]], NOT_APPLIED.format(d="NEW."))}
    {_upsert("queue_days", ["substr(NEW.decided_at, 1, 10)", "NEW.queue_id", _NEW["queue_handle"], "NEW.user_id",
                            "1"],
             "NEW.revokes_id IS NULL AND NEW.handle_ms IS NOT NULL")}
END"""


def m022(db: Any) -> None:
    """The schema step as first made: the three summaries (their first shape), two indexes (the module says why).

    Filling them and their trigger are :func:`m029`'s: written here with today's definitions, an older shape's
    table would be filled with a newer shape's rows.
    """
    db.executescript(
        """
        CREATE TABLE decided_hours (
            hour TEXT NOT NULL,
            queue_id INTEGER NOT NULL REFERENCES queues(id),
            decisions INTEGER NOT NULL,
            revocations INTEGER NOT NULL,
            PRIMARY KEY (hour, queue_id)
        );
        CREATE TABLE person_days (
            day TEXT NOT NULL,
            user_id INTEGER NOT NULL REFERENCES users(id),
            handle_ms INTEGER NOT NULL,
            decisions INTEGER NOT NULL,
            revocations INTEGER NOT NULL,
            PRIMARY KEY (day, user_id, handle_ms)
        );
        CREATE TABLE queue_days (
            day TEXT NOT NULL,
            queue_id INTEGER NOT NULL REFERENCES queues(id),
            handle_ms INTEGER NOT NULL,
            decisions INTEGER NOT NULL,
            PRIMARY KEY (day, queue_id, handle_ms)
        );
        DROP INDEX decisions_revokes;
        CREATE INDEX decisions_revokes ON decisions (revokes_id) WHERE revokes_id IS NOT NULL;
        CREATE INDEX items_received ON items (received_at, queue_id);
        """
    )


def drop_trigger(db: Any) -> None:
    """Drop the summaries' trigger where there is one (a store whose m022 or m024 created it)."""
    dialect.drop_trigger(db, "decisions_summaries", "decisions")


def m029(db: Any) -> None:
    """The schema step: the queue summaries rebuilt with their decider in the key (the module says why), every
    summary filled from the decisions stored, and the trigger as it is now.

    A store made before this step has filled tables and a trigger (m022, m024): the trigger goes first, the
    two queue tables are made again, ``person_days`` is recounted (unchanged where it was right).
    """
    drop_trigger(db)
    db.executescript(
        """
        DROP TABLE decided_hours;
        DROP TABLE queue_days;
        DELETE FROM person_days;
        CREATE TABLE decided_hours (
            hour TEXT NOT NULL,
            queue_id INTEGER NOT NULL REFERENCES queues(id),
            user_id INTEGER NOT NULL REFERENCES users(id),
            decisions INTEGER NOT NULL,
            revocations INTEGER NOT NULL,
            PRIMARY KEY (hour, queue_id, user_id)
        );
        CREATE TABLE queue_days (
            day TEXT NOT NULL,
            queue_id INTEGER NOT NULL REFERENCES queues(id),
            handle_ms INTEGER NOT NULL,
            user_id INTEGER NOT NULL REFERENCES users(id),
            decisions INTEGER NOT NULL,
            PRIMARY KEY (day, queue_id, handle_ms, user_id)
        );
        """
    )
    for table, (keys, counts, recount) in SUMMARIES.items():
        db.execute(f"INSERT INTO {table} ({', '.join(keys + counts)}) {recount}")
    db.execute(TRIGGER)


#: The summaries as m033 leaves them on SQLite: each row kept in its key's b-tree (``WITHOUT ROWID``).
_CLUSTERED = {
    "decided_hours": """hour TEXT NOT NULL, queue_id INTEGER NOT NULL REFERENCES queues(id),
                        user_id INTEGER NOT NULL REFERENCES users(id), decisions INTEGER NOT NULL,
                        revocations INTEGER NOT NULL""",
    "person_days": """day TEXT NOT NULL, user_id INTEGER NOT NULL REFERENCES users(id), handle_ms INTEGER NOT NULL,
                      decisions INTEGER NOT NULL, revocations INTEGER NOT NULL""",
    "queue_days": """day TEXT NOT NULL, queue_id INTEGER NOT NULL REFERENCES queues(id), handle_ms INTEGER NOT NULL,
                     user_id INTEGER NOT NULL REFERENCES users(id), decisions INTEGER NOT NULL""",
}


def m033(db: Any) -> None:
    """The schema step: on SQLite, each summary's rows kept in its key's b-tree, nothing beside it.

    A summary is read by a range of its key (the days of the week, the hours of the day) and written by an
    upsert on its key. As a rowid table, each key read in the range was a second look-up, in the table, for
    the counts: the dashboard read a week of ``queue_days`` (73,000 rows at a million decisions, one per decider,
    queue and handle time each day) in 43 ms of CPU, 21 without (``benchmarks/bench_dashboard.py``); each
    decision's upsert now writes one b-tree, not two. The same rows, copied, with the trigger set aside meanwhile
    (renaming a table rewrites the triggers that name it). A server keeps its tables as they are (PostgreSQL has
    no such table; its readers use the key's index).
    """
    if dialect.is_server(db):
        return
    drop_trigger(db)
    for table, columns in _CLUSTERED.items():
        keys, counts, _ = SUMMARIES[table]
        names = ", ".join(keys + counts)
        db.execute(f"CREATE TABLE {table}_clustered ({columns}, PRIMARY KEY ({', '.join(keys)})) WITHOUT ROWID")
        db.execute(f"INSERT INTO {table}_clustered ({names}) SELECT {names} FROM {table}")
        db.execute(f"DROP TABLE {table}")
        db.execute(f"ALTER TABLE {table}_clustered RENAME TO {table}")
    db.execute(TRIGGER)


def problems(db: Any) -> Iterator[str]:
    """One sentence per summary that differs from a recount of ``decisions``: how many of its rows, and the first.

    A decision edited behind Veil's back is named by ``reconcile`` against its event; the summaries then still
    hold what was decided, and say so here once each, not once per row. A summary table that is not there is
    the schema check's to name (a step never applied), not this one's.
    """
    for table, (keys, counts, recount) in SUMMARIES.items():
        if not dialect.columns(db, table):
            continue
        kept = f"SELECT {', '.join(keys + counts)} FROM {table}"
        differing = f"SELECT * FROM ({kept} EXCEPT {recount}) held UNION SELECT * FROM ({recount} EXCEPT {kept}) due"
        ordered = ", ".join(str(n + 1) for n in range(len(keys) + len(counts)))  # whole rows: unique
        rows = db.execute(f"SELECT * FROM ({differing}) x ORDER BY {ordered}").fetchall()
        if rows:
            first = ", ".join(f"{k} {v}" for k, v in zip(keys, rows[0]))
            yield (f"the summary {table} disagrees with a recount of the decisions in {len(rows)} row(s)"
                   f" (first: {first}): something changed it, or the decisions, behind Veil's back")

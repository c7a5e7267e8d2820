"""Queue counts kept as items change, so the queue overview and queue health never count the items: tables, step, reads.

Two tables, written by three triggers on ``items`` (insert, delete, and an
update that moves an item between rows: its queue, state, priority, due or
received time) in the transaction that changes the item — an import, a
decision, an undo, an escalation, a merge or a move, a rule's routing — on
SQLite and on a server (the dialect turns the triggers into PL/pgSQL), and
recounted from ``items`` by :func:`problems` (``veil verify``):

* ``queue_states`` (queue, state, due day, received hour): every item by
  state; a pending item also by the UTC day it is due and the hour it
  arrived (other states leave both empty). A queue's rows are its states
  and the hours its waiting items arrived in: a few hundred for a backlog
  of days, a few thousand for one that spans a year.
* ``queue_due_hours`` (queue, due hour, priority): pending items only, by
  the hour they are due.

How many of a queue's items are due by a moment *T* is then the due days
before *T*'s day, the due hours of *T*'s day before *T*'s hour, and the
items due in *T*'s hour up to *T* counted exactly from the
``items_serving`` index (queue, state, priority, due: one range per
priority that hour holds): "breached" at now, and "at risk" up to now plus
a quarter of the SLA, without reading more than one hour of items. The
oldest waiting item is the first pending item of the queue from the least
received hour on, along ``items_received`` (at most that hour's items). A
row that falls to zero is deleted, so the tables hold live days and hours
only. Days and hours are the first 10 and 13 characters of Veil's
canonical UTC text.

Each count is split over :data:`SHARDS` rows by item id (``shard``: the
id's remainder): a decision moves its item from the pending row of its due
day and arrival hour to the queue's decided row, and desks deciding in one
queue at once — oldest due first, so mostly from the same hour — would
otherwise all update those few rows; on a server each would wait for the
other's commit (200 desks queued behind one row). Readers add the shards up.

A pending item is pending whatever holds it: a lease (a claim changes no
count), or a case it follows (``items.case_of``: it waits, unserved, for the
case's lead item, in the queue, its due time running, so it counts as
waiting, at risk and breached like any other). An escalation queue's oldest
item is the one escalated longest ago, not received: that needs each open
escalation's decision, so it is read from the queue's pending items (the
leads' few), as before.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from review.clock import iso
from review.errors import StoreError
from review.store import dialect, serving_changes
from review.store.connection import in_transaction

if TYPE_CHECKING:
    from review.store import QueueHealth, Store


#: How many rows each count is split over (the module's docstring says why).
SHARDS = 16


def _pending(row: str, value: str, otherwise: str) -> str:
    # In parentheses: PL/pgSQL reads a trigger's IF condition up to the first THEN outside them.
    return f"(CASE WHEN {row}state = 'pending' THEN {value} ELSE {otherwise} END)"


def _keys(row: str) -> dict[str, dict[str, str]]:
    """The SQL of each table's key columns for the item row called *row* (``NEW.``/``OLD.`` in a trigger, ``""``
    in a recount)."""
    return {
        "queue_states": {"queue_id": f"{row}queue_id", "state": f"{row}state",
                         "due_day": _pending(row, f"substr({row}due_at, 1, 10)", "''"),
                         "received_hour": _pending(row, f"substr({row}received_at, 1, 13)", "''"),
                         "shard": f"{row}id % {SHARDS}"},
        "queue_due_hours": {"queue_id": f"{row}queue_id", "due_hour": f"substr({row}due_at, 1, 13)",
                            "priority": f"{row}priority", "shard": f"{row}id % {SHARDS}"},
    }


#: Which item rows each table counts (the hours: pending ones only).
_COUNTED = {"queue_states": "1 = 1", "queue_due_hours": "{row}state = 'pending'"}


def _add(table: str, row: str, sign: int) -> str:
    keys = _keys(row)[table]
    return (f"INSERT INTO {table} ({', '.join(keys)}, items) SELECT {', '.join(keys.values())}, {sign}"
            f" WHERE {_COUNTED[table].format(row=row)}"
            f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET items = {table}.items + excluded.items;")


def _drop_empty(table: str, row: str) -> str:
    same = " AND ".join(f"{column} = {value}" for column, value in _keys(row)[table].items())
    return f"DELETE FROM {table} WHERE {same} AND items = 0;"


def _changes(sign: int, row: str) -> str:
    return " ".join(_add(table, row, sign) + (_drop_empty(table, row) if sign < 0 else "") for table in _COUNTED)


_MOVED = " OR ".join(f"OLD.{c} != NEW.{c}" for c in ("queue_id", "state", "priority", "due_at", "received_at"))
#: The insert trigger stands aside while :func:`paused` holds a row (the transaction's own: see there).
TRIGGERS = (
    f"""CREATE TRIGGER items_counted AFTER INSERT ON items
        WHEN NOT EXISTS (SELECT 1 FROM queue_counts_paused) BEGIN {_changes(1, 'NEW.')} END""",
    f"""CREATE TRIGGER items_recounted AFTER UPDATE OF queue_id, state, priority, due_at, received_at ON items
        WHEN {_MOVED} BEGIN {_changes(-1, 'OLD.')} {_changes(1, 'NEW.')} END""",
    f"CREATE TRIGGER items_uncounted AFTER DELETE ON items BEGIN {_changes(-1, 'OLD.')} END",
)


def _recount(table: str, where: str = "") -> str:
    keys = ", ".join(_keys("")[table].values())
    return f"SELECT {keys}, COUNT(*) FROM items WHERE {_COUNTED[table].format(row='')}{where} GROUP BY {keys}"


def m027(db: Any) -> None:
    """The schema step as first made: both tables (their first shape), and the counter of changes to the serving
    rules that lets claims keep what they read (:mod:`.serving_changes`). Filling the tables and their triggers
    are :func:`m031`'s: written here with today's definitions, an older shape's table would get a newer one's
    rows."""
    db.executescript(
        """
        CREATE TABLE queue_states (
            queue_id INTEGER NOT NULL REFERENCES queues(id),
            state TEXT NOT NULL,
            due_day TEXT NOT NULL,
            received_hour TEXT NOT NULL,
            items INTEGER NOT NULL,
            PRIMARY KEY (queue_id, state, due_day, received_hour)
        );
        CREATE TABLE queue_due_hours (
            queue_id INTEGER NOT NULL REFERENCES queues(id),
            due_hour TEXT NOT NULL,
            priority INTEGER NOT NULL,
            items INTEGER NOT NULL,
            PRIMARY KEY (queue_id, due_hour, priority)
        );
        """
    )
    serving_changes.create(db)


def m028(db: Any) -> None:
    """Part of schema step m028 (:mod:`review.store.item_inserts`): the table :func:`paused` writes."""
    db.execute("CREATE TABLE queue_counts_paused (id INTEGER PRIMARY KEY, at TEXT NOT NULL)")


def m031(db: Any) -> None:
    """The schema step: both tables made again split into shards (the module's docstring says why), filled from
    the items stored, and their three triggers as they are now (a store made before had them unsplit)."""
    for trigger in ("items_counted", "items_recounted", "items_uncounted"):
        dialect.drop_trigger(db, trigger, "items")
    db.executescript(
        """
        DROP TABLE queue_states;
        DROP TABLE queue_due_hours;
        CREATE TABLE queue_states (
            queue_id INTEGER NOT NULL REFERENCES queues(id),
            state TEXT NOT NULL,
            due_day TEXT NOT NULL,
            received_hour TEXT NOT NULL,
            shard INTEGER NOT NULL,
            items INTEGER NOT NULL,
            PRIMARY KEY (queue_id, state, due_day, received_hour, shard)
        );
        CREATE TABLE queue_due_hours (
            queue_id INTEGER NOT NULL REFERENCES queues(id),
            due_hour TEXT NOT NULL,
            priority INTEGER NOT NULL,
            shard INTEGER NOT NULL,
            items INTEGER NOT NULL,
            PRIMARY KEY (queue_id, due_hour, priority, shard)
        );
        """
    )
    for table, keys in _keys("").items():
        db.execute(f"INSERT INTO {table} ({', '.join(keys)}, items) {_recount(table)}")
    for trigger in TRIGGERS:
        db.execute(trigger)


@contextlib.contextmanager
def paused(store: Store) -> Iterator[None]:
    """Inside the caller's transaction: the insert trigger counts nothing until the block ends, whose inserts the
    caller counts with :func:`add_items_after` before anything else changes those items (an update of an item
    not counted yet would take it from a row it never reached).

    Why it is safe: the pause is a row of this transaction's own. A rollback takes it away with everything
    else, and no other connection sees a row not yet committed (on a file no other writer runs meanwhile;
    on a server another writer's inserts still fire the trigger, which finds no pause), so only this
    transaction's inserts go uncounted, and it counts them itself.

    Refused outside a transaction: there a failure inside the block would leave the pause behind, committed."""
    if not in_transaction(store.db):
        raise StoreError("the queue counts can only be paused inside a write transaction")
    (pause,) = store.db.execute("INSERT INTO queue_counts_paused (at) VALUES (?) RETURNING id",
                                [store.now()]).fetchone()
    yield
    store.db.execute("DELETE FROM queue_counts_paused WHERE id = ?", [pause])


def add_items_after(store: Store, item_id: int) -> None:
    """Count the items above *item_id* (those a paused insert just added): one grouped upsert per table."""
    for table, keys in _keys("").items():
        store.db.execute(
            f"INSERT INTO {table} ({', '.join(keys)}, items) {_recount(table, ' AND id > ?')}"
            f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET items = {table}.items + excluded.items", [item_id])


def problems(db: Any) -> Iterator[str]:
    """One sentence per table that differs from a recount of ``items``: how many of its rows, and the first; and
    one for a pause a transaction left behind (the insert trigger would count nothing)."""
    if dialect.columns(db, "queue_counts_paused") and db.execute(
            "SELECT COUNT(*) FROM queue_counts_paused").fetchone()[0]:
        yield ("the queue counts' insert trigger is paused (a row in queue_counts_paused): new items are not being"
               " counted; something wrote it behind Veil's back")
    for table, keys in _keys("").items():
        if not dialect.columns(db, table):
            continue  # a step never applied: the schema check names it
        kept = f"SELECT {', '.join(keys)}, items FROM {table}"
        recount = _recount(table)
        differing = f"SELECT * FROM ({kept} EXCEPT {recount}) held UNION SELECT * FROM ({recount} EXCEPT {kept}) due"
        ordered = ", ".join(str(n + 1) for n in range(len(keys) + 1))  # whole rows: unique
        rows = db.execute(f"SELECT * FROM ({differing}) x ORDER BY {ordered}").fetchall()
        if rows:
            first = ", ".join(f"{k} {v!r}" for k, v in zip(keys, rows[0]))
            yield (f"the queue counts {table} disagree with a recount of the items in {len(rows)} row(s)"
                   f" (first: {first}): something changed them, or the items, behind Veil's back")


# ----------------------------------------------------------------- reading
def per_state(store: Store) -> dict[int, dict[str, int]]:
    """{queue id: {state: items}} for every queue holding any item (a few rows per queue and waiting day)."""
    counts: dict[int, dict[str, int]] = {}
    for queue_id, state, items in store.db.execute(
            "SELECT queue_id, state, SUM(items) FROM queue_states GROUP BY queue_id, state ORDER BY queue_id, state"):
        counts.setdefault(queue_id, {})[state] = int(items)
    return counts


def queue_health(store: Store) -> list[QueueHealth]:
    """Waiting count, oldest item and SLA state of every queue that is not merged away, from the kept counts.

    "At risk" means due within the next quarter of the queue's SLA; "breached", due by now. Per queue: one
    pass over its waiting rows, two days of due hours, two hours of items and one hour's walk to its oldest
    waiting item. The queues' reads go in two rounds (their waiting rows; then the hours and the oldest), each
    sent to a server in one round trip: a site's dozens of queues cost two trips, not five per queue.
    """
    from review.store import QueueHealth  # the package imports this module's step lazily: no cycle at import

    now = store.clock.now()
    merged = {r[0] for r in store.db.execute("SELECT id FROM queues WHERE merged_into_id IS NOT NULL")}
    queues = [q for q in store.queues() if q.id not in merged]  # a merged queue holds nothing any more
    moments = {q.id: (iso(now), iso(now + _dt.timedelta(seconds=q.sla_seconds / 4))) for q in queues}
    waiting_rows = dialect.rows_together(store.db, [(
        "SELECT COALESCE(SUM(items), 0), COALESCE(SUM(CASE WHEN due_day < :now THEN items ELSE 0 END), 0),"
        " COALESCE(SUM(CASE WHEN due_day < :soon THEN items ELSE 0 END), 0), MIN(received_hour)"
        " FROM queue_states WHERE queue_id = :queue AND state = 'pending'",
        {"queue": q.id, "now": moments[q.id][0][:10], "soon": moments[q.id][1][:10]}) for q in queues])
    counted = {q.id: rows[0] for q, rows in zip(queues, waiting_rows, strict=True)}
    waiting_queues = [q for q in queues if counted[q.id][0]]
    later = dialect.rows_together(store.db, [
        read for q in waiting_queues
        for read in (*(_due_within_day(q.id, moment) for moment in moments[q.id]),
                     _escalated_oldest(q.id) if q.kind == "escalation" else _received_oldest(q.id, counted[q.id][3]))])
    found = {q.id: later[3 * n:3 * n + 3] for n, q in enumerate(waiting_queues)}
    result = []
    for queue in queues:
        waiting, *by_day, _ = counted[queue.id]
        if not waiting:
            result.append(QueueHealth(queue, 0, None, 0, 0))
            continue
        now_hours, soon_hours, oldest = (rows[0][0] for rows in found[queue.id])
        breached, due_soon = int(by_day[0]) + int(now_hours), int(by_day[1]) + int(soon_hours)
        result.append(QueueHealth(queue, int(waiting), oldest, breached, due_soon - breached))
    return result


def _due_within_day(queue_id: int, moment: str) -> tuple[str, dict[str, object]]:
    """The read of how many of the queue's pending items are due on *moment*'s day up to *moment*: its hours
    before the moment's hour, then the items of that hour counted one by one (see the module's docstring)."""
    day, hour = moment[:10], moment[:13]
    return ("""
        SELECT (SELECT COALESCE(SUM(items), 0) FROM queue_due_hours
                WHERE queue_id = :queue AND due_hour >= :day AND due_hour < :hour)
             + (SELECT COUNT(*) FROM items WHERE queue_id = :queue AND state = 'pending'
                AND priority IN (SELECT priority FROM queue_due_hours WHERE queue_id = :queue AND due_hour = :hour)
                AND due_at >= :hour AND due_at <= :moment)
        """, {"queue": queue_id, "day": day, "hour": hour, "moment": moment})


def _received_oldest(queue_id: int, hour: str) -> tuple[str, list[object]]:
    """The read of the least ``received_at`` of the queue's pending items, none of which arrived before *hour*."""
    # "+queue_id": along items_received from that hour, not every pending item of the queue in items_serving
    # (which SQLite, without statistics, would choose); the walk stops at the first pending item of the queue.
    return ("SELECT MIN(received_at) FROM items WHERE received_at >= ? AND +queue_id = ? AND state = 'pending'",
            [hour, queue_id])


def _escalated_oldest(queue_id: int) -> tuple[str, list[object]]:
    """The read of when the queue's longest-waiting pending item was escalated (its open escalation's decision),
    else received."""
    return ("SELECT MIN(COALESCE((SELECT d.decided_at FROM escalations e JOIN decisions d ON d.id = e.decision_id"
            " WHERE e.item_id = items.id AND e.closed_at IS NULL), received_at))"
            " FROM items WHERE queue_id = ? AND state = 'pending'", [queue_id])

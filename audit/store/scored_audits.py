"""Each scored audit beside what the dashboard groups it by, kept by triggers as it happens: table, step, recount.

The lead's dashboard shows accuracy per queue and per moderator over the
decisions of the last 28 days and each auditor's time per audit. Computed
from ``audits`` that is one scattered read of the audited decision per
audit (its time, maker and queue) and one of its sample (when it was
opened): ~60 ms of the dashboard at 30,000 audits over 1,000,000
decisions (``benchmarks/bench_dashboard.py``). ``scored_audits`` holds, per
scored audit, those few values next to each other, with an index for each
read, so the dashboard reads only the rows of its period, in order.

It is one row per audit, not counts per day: the period starts at a moment
(now less 28 days), so a day's counts would need the first day's audits
counted from the decisions anyway, which on a site deciding 60,000 items a
day costs more than the rows saved. Every value is the one the plain
computation reads: ``correct`` is the final verdict after disputes (the
``audit_verdicts`` view), ``opened_at`` the sample's last claim, as
``audit.store.dashboard.audit_times`` reads it.

Four triggers keep it, each in the transaction of the change (on SQLite and
on a server, where the dialect makes them PL/pgSQL): an audit scored (or
imported already scored) adds its row, an overturned dispute makes it
correct, a scored audit's sample claimed again moves its opening time.
Decisions are append-only, so the decision's values never move.
:func:`problems` (``veil verify``) compares the table with a recount.
Step m009 (:func:`m009`) put the final verdict in the score-time index,
so the auditors' work is read from that index alone; step m010
(:func:`m010`) keeps each audit's time from opening to score in
milliseconds (``audit_ms``, worked out by the triggers with SQLite's
``julianday``, which a server store defines alike) and puts it in that
index instead of the opening time: the dashboard read 30,000 pairs of times
as text and parsed them (~30 ms of its 111 at 1 M decisions), where it now
reads one integer an audit.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from review.store import dialect

COLUMNS = ("audit_id", "auditor_id", "scored_at", "opened_at", "decided_at", "user_id", "queue_id", "correct",
           "audit_ms")


def milliseconds(start: str, end: str) -> str:
    """SQL of the whole milliseconds from the time *start* to the time *end* (column names or ``NEW.`` values).

    ``julianday`` keeps a time to the millisecond (Veil's canonical precision), so the rounded difference is exact;
    NULL when either is NULL or not a time.
    """
    return f"CAST(ROUND((julianday({end}) - julianday({start})) * 86400000) AS INTEGER)"


#: The table's rows as the plain computation reads them from the audits, their decisions and samples.
RECOUNT = ("SELECT v.audit_id, v.auditor_id, v.scored_at, s.claimed_at, d.decided_at, d.user_id, d.queue_id,"
           f" CASE WHEN v.final_verdict = 'correct' THEN 1 ELSE 0 END, {milliseconds('s.claimed_at', 'v.scored_at')}"
           " FROM audit_verdicts v JOIN decisions d ON d.id = v.decision_id JOIN audit_samples s ON s.id = v.sample_id")

#: The row of the scored audit ``NEW`` (in a trigger on ``audits``): not disputed yet, so its own verdict is final.
_ADD = (f"INSERT INTO scored_audits ({', '.join(COLUMNS)})"
        " SELECT NEW.id, NEW.auditor_id, NEW.scored_at, s.claimed_at, d.decided_at, d.user_id, d.queue_id,"
        f" CASE WHEN NEW.verdict = 'correct' THEN 1 ELSE 0 END, {milliseconds('s.claimed_at', 'NEW.scored_at')}"
        " FROM decisions d, audit_samples s WHERE d.id = NEW.decision_id AND s.id = NEW.sample_id;")

#: The triggers as they are now (step m010 replaced all but the overturn's), by name.
TRIGGERS = {
    "scored_audits_scored": ("audits", f"""CREATE TRIGGER scored_audits_scored AFTER UPDATE OF scored_at ON audits
        WHEN OLD.scored_at IS NULL AND NEW.scored_at IS NOT NULL BEGIN {_ADD} END"""),
    "scored_audits_imported": ("audits", f"""CREATE TRIGGER scored_audits_imported AFTER INSERT ON audits
        WHEN NEW.scored_at IS NOT NULL BEGIN {_ADD} END"""),
    "scored_audits_overturned": ("dispute_resolutions", """CREATE TRIGGER scored_audits_overturned
        AFTER INSERT ON dispute_resolutions WHEN NEW.outcome = 'overturned'
        BEGIN UPDATE scored_audits SET correct = 1
              WHERE audit_id = (SELECT p.audit_id FROM disputes p WHERE p.id = NEW.dispute_id); END"""),
    "scored_audits_opened": ("audit_samples", f"""CREATE TRIGGER scored_audits_opened
        AFTER UPDATE OF claimed_at ON audit_samples
        WHEN NEW.claimed_at IS DISTINCT FROM OLD.claimed_at
             AND EXISTS (SELECT 1 FROM audits a WHERE a.sample_id = NEW.id AND a.scored_at IS NOT NULL)
        BEGIN UPDATE scored_audits SET opened_at = NEW.claimed_at,
                                       audit_ms = {milliseconds('NEW.claimed_at', 'scored_at')}
              WHERE audit_id = (SELECT a.id FROM audits a WHERE a.sample_id = NEW.id); END"""),
}


def m008(db: Any) -> None:
    """The schema step: the table and an index per read (accuracy by decision time, auditors' times by score time).

    Filled from the audits stored, and kept by its triggers, from step m010 on (:func:`m010`).
    """
    db.executescript(
        """
        CREATE TABLE scored_audits (
            audit_id INTEGER PRIMARY KEY REFERENCES audits(id),
            auditor_id INTEGER NOT NULL REFERENCES users(id),
            scored_at TEXT NOT NULL,
            opened_at TEXT,                                 -- the sample's last claim; NULL: never opened in Veil
            decided_at TEXT NOT NULL,                       -- the audited decision's time, maker and queue
            user_id INTEGER NOT NULL REFERENCES users(id),
            queue_id INTEGER NOT NULL REFERENCES queues(id),
            correct INTEGER NOT NULL CHECK (correct IN (0, 1))  -- the final verdict, after disputes
        );
        CREATE INDEX scored_audits_decided ON scored_audits (decided_at, user_id, queue_id, correct);
        CREATE INDEX scored_audits_scored ON scored_audits (scored_at, auditor_id, opened_at);
        """
    )


def m009(db: Any) -> None:
    """The schema step: the score-time index carries the final verdict, so the auditors' work on the dashboard
    (how many audits, how many judged wrong, the first, the times per audit) is read from it alone, never from
    the rows (issue 22: at 30,000 audits a look-up per audit)."""
    db.execute("DROP INDEX scored_audits_scored")
    db.execute("CREATE INDEX scored_audits_scored ON scored_audits (scored_at, auditor_id, opened_at, correct)")


def m010(db: Any) -> None:
    """The schema step: each audit's milliseconds from opening to score kept beside it and in the score-time index
    (in place of the opening time), the table filled again from the audits stored, and the triggers as they are
    now (a store made before had them without the milliseconds, or, made by m008 as it is now, none)."""
    for name, (table, _) in TRIGGERS.items():
        dialect.drop_trigger(db, name, table)
    db.execute("ALTER TABLE scored_audits ADD COLUMN audit_ms INTEGER")  # NULL: never opened in Veil
    db.execute("DELETE FROM scored_audits")
    db.execute(f"INSERT INTO scored_audits ({', '.join(COLUMNS)}) {RECOUNT}")
    for _, trigger in TRIGGERS.values():
        db.execute(trigger)
    db.execute("DROP INDEX scored_audits_scored")
    db.execute("CREATE INDEX scored_audits_scored ON scored_audits (scored_at, auditor_id, correct, audit_ms)")


def problems(db: Any) -> Iterator[str]:
    """One sentence if ``scored_audits`` differs from a recount of the audits: how many rows, and the first.

    A table that is not there is the schema check's to name (a step never applied), not this one's.
    """
    if not dialect.columns(db, "scored_audits"):
        return
    kept = f"SELECT {', '.join(COLUMNS)} FROM scored_audits"
    differing = f"SELECT * FROM ({kept} EXCEPT {RECOUNT}) held UNION SELECT * FROM ({RECOUNT} EXCEPT {kept}) due"
    ordered = ", ".join(str(n + 1) for n in range(len(COLUMNS)))  # whole rows: unique
    rows = db.execute(f"SELECT * FROM ({differing}) x ORDER BY {ordered}").fetchall()
    if rows:
        yield (f"the summary scored_audits disagrees with a recount of the audits in {len(rows)} row(s) (first: audit"
               f" {rows[0][0]}): something changed it, or the audits, behind Veil's back")

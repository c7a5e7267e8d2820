"""Complaints against decisions (DSA Art. 20): schema step m014 (table, guards, trigger) and their rows' writer.

Why its own module: ``review.store.schema`` registers the step and stays
under 500 lines. The step is released history like every other step: a
change is a new step, never an edit. Step m028
(:mod:`review.store.item_inserts`) dropped the trigger: a trigger parsed
every inserted item's metadata twice (a million-row import paid for it
on every row, issue 22), so :func:`add_complaints` now writes the rows,
with the same look-up and the same refusal, once per insert statement
for the few rows that name ``complaint_of``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import sqlite_utils

from review.errors import StoreConflict
from review.store import dialect
from review.store.schema import refuse_replace

if TYPE_CHECKING:
    from review.store import Store

#: Why an item naming ``complaint_of`` cannot be stored (the m014 trigger's words).
REFUSED = "a complaint must name a decided item (complaint_of)"

#: The current decision of item ``o`` (the latest row that neither revokes nor is revoked), as SQL.
_CURRENT_OF_O = ("(SELECT MAX(d.id) FROM decisions d WHERE d.item_id = o.id AND d.revokes_id IS NULL"
                 " AND NOT EXISTS (SELECT 1 FROM decisions r WHERE r.revokes_id = d.id))")
#: The item a new item's ``metadata.complaint_of`` (an external id) complains about: the latest decided item
#: with that external id that is not itself a complaint (``review.imports.complaints`` refuses an ambiguous one).
_ORIGINAL_OF_NEW = f"""
    FROM items o WHERE o.external_id = CAST(json_extract(NEW.metadata, '$.complaint_of') AS TEXT)
      AND o.id != NEW.id AND o.state = 'decided' AND {_CURRENT_OF_O} IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM complaints k WHERE k.item_id = o.id)
    ORDER BY o.id DESC LIMIT 1"""

#: (original item id, its current decision) for (complaint_of, the complaint's own id): the trigger's look-up.
_ORIGINAL_AND_DECISION = "SELECT o.id, " + _CURRENT_OF_O + _ORIGINAL_OF_NEW.replace(
    "CAST(json_extract(NEW.metadata, '$.complaint_of') AS TEXT)", "?").replace("NEW.id", "?")


def m014(db: sqlite_utils.Database) -> None:
    """``complaints``: a complaint against a decision (DSA Art. 20), served like an item, and how it ended.

    A complaint *is* an item (its text is the complainant's, it waits in a
    queue, is claimed and decided with a lease), whose metadata names the
    original item's external id (``complaint_of``). The row here is written
    by a trigger in the same statement that inserts the item, whoever
    inserts it (an import, the demo), with the decision complained of (the
    original's current decision then) — so "never served to the person who
    made it" (``review.serving``) needs no second write that could be lost.
    It ends ``upheld`` or ``reversed`` (``review.complaints.resolve``):
    ``resolution_id`` is the decision on the complaint item that closed
    it, ``reversal_id`` the new decision on the original (reversed only).
    What it was made against never changes, it ends once, no row goes.
    """
    # SQLite's text stays as released (``veil verify`` compares it with a fresh store's); a server spells it its way.
    reversed_ = "outcome IS NOT DISTINCT FROM 'reversed'" if dialect.is_server(db) else "outcome IS 'reversed'"
    db.executescript(
        f"""
        CREATE TABLE complaints (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL UNIQUE REFERENCES items(id),
            original_item_id INTEGER NOT NULL REFERENCES items(id),
            decision_id INTEGER NOT NULL REFERENCES decisions(id),
            received_at TEXT NOT NULL,
            outcome TEXT CHECK (outcome IN ('upheld', 'reversed')),
            resolved_at TEXT,
            resolved_by INTEGER REFERENCES users(id),
            resolution_id INTEGER REFERENCES decisions(id),
            reversal_id INTEGER REFERENCES decisions(id),
            CHECK ((outcome IS NULL) = (resolved_at IS NULL)),
            CHECK (({reversed_}) = (reversal_id IS NOT NULL))
        );
        CREATE INDEX complaints_decision ON complaints (decision_id);
        CREATE INDEX complaints_received ON complaints (received_at);
        CREATE INDEX complaints_resolved ON complaints (resolved_at);
        CREATE TRIGGER items_complaint AFTER INSERT ON items
            WHEN json_valid(NEW.metadata) AND json_type(NEW.metadata, '$.complaint_of') IN ('text', 'integer')
        BEGIN
            SELECT RAISE(ABORT, 'a complaint must name a decided item (complaint_of)')
                WHERE NOT EXISTS (SELECT 1 {_ORIGINAL_OF_NEW});
            INSERT INTO complaints (item_id, original_item_id, decision_id, received_at)
                SELECT NEW.id, o.id, {_CURRENT_OF_O}, NEW.received_at {_ORIGINAL_OF_NEW};
        END;
        CREATE TRIGGER complaints_facts_fixed BEFORE UPDATE OF id, item_id, original_item_id, decision_id, received_at
            ON complaints
        BEGIN SELECT RAISE(ABORT, 'a complaint keeps what it was made against'); END;
        CREATE TRIGGER complaints_end_once BEFORE UPDATE ON complaints WHEN OLD.outcome IS NOT NULL
        BEGIN SELECT RAISE(ABORT, 'a complaint ends once'); END;
        CREATE TRIGGER complaints_no_delete BEFORE DELETE ON complaints
        BEGIN SELECT RAISE(ABORT, 'complaints are kept'); END;
        """
    )
    refuse_replace(db, "complaints")


def add_complaints(store: Store, after: int) -> None:
    """The ``complaints`` rows of the items above id *after* (one insert statement's) that name ``complaint_of``,
    inside the caller's transaction; :class:`~review.errors.StoreConflict` (:data:`REFUSED`) when one names no
    decided item, so its insert fails with it as when the m014 trigger raised.

    As the trigger read it: metadata that is valid JSON whose ``complaint_of`` is text or an integer (as text). A
    cheap text match finds the candidates (metadata is ``json.dumps``' text, where the key is spelled as is).
    """
    candidates = store.db.execute("SELECT id, metadata, received_at FROM items WHERE id > ?"
                                  " AND metadata LIKE '%complaint%' ORDER BY id", [after]).fetchall()
    for item_id, metadata, received_at in candidates:
        of = _complaint_of(metadata)
        if of is None:
            continue
        found = store.db.execute(_ORIGINAL_AND_DECISION, [of, item_id]).fetchone()
        if found is None:
            raise StoreConflict(REFUSED)
        store.db.execute("INSERT INTO complaints (item_id, original_item_id, decision_id, received_at)"
                         " VALUES (?, ?, ?, ?)", [item_id, found[0], found[1], received_at])


def _complaint_of(metadata: str) -> str | None:
    """The original's external id a row's metadata names (text, or an integer as text), else None."""
    try:
        fields = json.loads(metadata)
    except ValueError:
        return None
    value = fields.get("complaint_of") if isinstance(fields, dict) else None
    if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        return str(value)
    return None

"""Schema step m014 of the review store: complaints against decisions (DSA Art. 20), their guards and trigger.

Why its own module: ``review.store.schema`` registers the step and stays
under 500 lines. What is here is released history like every other step:
a change is a new step, never an edit.
"""

from __future__ import annotations

import sqlite_utils

from review.store import dialect
from review.store.schema import refuse_replace

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

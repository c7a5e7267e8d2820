"""Schema step m012 of the review store: escalation routes and escalations (never changed once released).

Kept beside the escalation code rather than in :mod:`review.store.schema`, which lists every step in order.
"""

from __future__ import annotations

import sqlite_utils

from review.store.schema import refuse_replace


def m012(db: sqlite_utils.Database) -> None:
    """Escalation routes (where a queue may escalate) and escalations (what happened to each one).

    ``escalation_routes``: every escalation queue a review queue's moderators
    may send a hard case to, in the order offered; ``queues.escalation_queue_id``
    stays the default route (the first offered, taken when nobody chooses).
    Seeded from that column here, and for each new review queue by a
    trigger, so a queue created anywhere has its default route in the table
    too. Only review queues escalate: a chain of escalation queues would
    hide where the first escalation came from.

    ``escalations``: one row per escalation. Who escalated, why, from which
    queue and when are the escalating decision's own row (``decision_id``:
    its user, note, queue and time), never copied; the row adds where it was
    sent, the item's due time before (restored if a lead sends it back), and
    how it ended: ``decided`` (``outcome_decision_id``, a lead's decision),
    ``sent_back`` (with the lead's note for the moderator), ``undone`` (the
    moderator's undo) or ``moved_out`` (queue admin moved the item to a
    moderators' queue). What it was sent with never changes (a trigger
    refuses), no row is deleted or replaced, and an item has at most one
    open escalation (a unique index). Escalations made before this step
    (an item pending in an escalation queue whose current decision, by its
    ``decision.made`` event, escalated) get their row here, with the
    item's due time as the one before: the older release kept it.
    """
    db.executescript(
        """
        CREATE TABLE escalation_routes (
            queue_id INTEGER NOT NULL REFERENCES queues(id),
            escalation_queue_id INTEGER NOT NULL REFERENCES queues(id) CHECK (escalation_queue_id != queue_id),
            position INTEGER NOT NULL,
            PRIMARY KEY (queue_id, escalation_queue_id)
        );
        INSERT INTO escalation_routes (queue_id, escalation_queue_id, position)
            SELECT id, escalation_queue_id, 0 FROM queues WHERE escalation_queue_id IS NOT NULL AND kind = 'review';
        CREATE TRIGGER queues_first_route AFTER INSERT ON queues
            WHEN NEW.escalation_queue_id IS NOT NULL AND NEW.kind = 'review'
        BEGIN
            INSERT INTO escalation_routes (queue_id, escalation_queue_id, position)
            VALUES (NEW.id, NEW.escalation_queue_id, 0);
        END;
        CREATE TABLE escalations (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items(id),
            decision_id INTEGER NOT NULL UNIQUE REFERENCES decisions(id),
            sent_to_id INTEGER NOT NULL REFERENCES queues(id),
            due_before TEXT NOT NULL,
            closed_at TEXT,
            closed_by INTEGER REFERENCES users(id),
            outcome TEXT CHECK (outcome IN ('decided', 'sent_back', 'undone', 'moved_out')),
            outcome_decision_id INTEGER REFERENCES decisions(id),
            outcome_note TEXT NOT NULL DEFAULT '',
            CHECK ((closed_at IS NULL) = (outcome IS NULL))
        );
        CREATE INDEX escalations_item ON escalations (item_id, closed_at);
        CREATE INDEX escalations_outcome ON escalations (outcome_decision_id);
        INSERT INTO escalations (item_id, decision_id, sent_to_id, due_before)
            SELECT i.id, d.id, i.queue_id, i.due_at
            FROM items i JOIN queues q ON q.id = i.queue_id
            JOIN decisions d ON d.id = (
                SELECT MAX(c.id) FROM decisions c WHERE c.item_id = i.id AND c.revokes_id IS NULL
                  AND NOT EXISTS (SELECT 1 FROM decisions r WHERE r.revokes_id = c.id))
            WHERE q.kind = 'escalation' AND i.state = 'pending'
              AND EXISTS (SELECT 1 FROM events e WHERE e.kind = 'decision.made' AND json_valid(e.payload)
                          AND CAST(json_extract(e.payload, '$.decision') AS INTEGER) = d.id
                          AND CAST(json_extract(e.payload, '$.escalated') AS INTEGER) <> 0)
            ORDER BY i.id;
        CREATE TRIGGER escalations_facts_fixed BEFORE UPDATE OF id, item_id, decision_id, sent_to_id, due_before
            ON escalations
        BEGIN SELECT RAISE(ABORT, 'an escalation keeps what it was sent with'); END;
        CREATE TRIGGER escalations_no_delete BEFORE DELETE ON escalations
        BEGIN SELECT RAISE(ABORT, 'escalations are kept'); END;
        """
    )
    refuse_replace(db, "escalations")  # before the partial index below, which is unique among open rows only
    db.execute("CREATE UNIQUE INDEX escalations_one_open ON escalations (item_id) WHERE closed_at IS NULL")

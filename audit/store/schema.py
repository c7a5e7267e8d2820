"""The audit domain's tables, as an ordered set of sqlite-utils migrations.

Same rules as ``review.store.schema``: a released migration never changes; a new
need is a new migration at the end. The audit set runs after the review set
(``desktop.wiring.migration_sets``) because it references review tables
(``decisions``, ``items``, ``users``); review never references these.

What is history is guarded by triggers, so even a hand-written statement
cannot rewrite it: a scored audit row is final (a dispute adds rows, it
never edits the audit), disputes, their resolutions, gold results and
calibration answers are append-only.
"""

from __future__ import annotations

import json

import sqlite_utils

from review.store.schema import refuse_replace

migrations = sqlite_utils.Migrations("audit")

SAMPLE_REASONS = (
    "rate", "minimum", "boost:new", "boost:fast", "boost:escalation", "boost:reversed",
    "gold", "calibration", "manual", "import",
)
SAMPLE_STATES = ("open", "audited", "cancelled")
VERDICTS = ("correct", "incorrect")
ERROR_TYPES = ("missed_violation", "over_enforcement", "wrong_label", "wrong_action", "procedural")
SEVERITIES = ("minor", "major", "critical")
OUTCOMES = ("upheld", "overturned")


def _sql_list(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def _append_only(db: sqlite_utils.Database, table: str) -> None:
    for verb in ("UPDATE", "DELETE"):
        db.execute(
            f"""CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table}
            BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"""
        )


@migrations(name="m001_audit")
def m001_audit(db: sqlite_utils.Database) -> None:
    db.executescript(
        f"""
        CREATE TABLE audit_plans (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            rate REAL NOT NULL CHECK (rate >= 0 AND rate <= 1),
            min_per_moderator_per_day INTEGER NOT NULL DEFAULT 0 CHECK (min_per_moderator_per_day >= 0),
            strata TEXT NOT NULL DEFAULT '{{"by": null}}',   -- JSON {{"by": null|"queue"|"action"|"label"}}
            boosts TEXT NOT NULL DEFAULT '{{}}',              -- JSON, see audit.sampling.BOOST_FIELDS
            queues TEXT,                                    -- JSON list of queue names; NULL = every queue
            period TEXT NOT NULL DEFAULT 'day' CHECK (period IN ('day')),
            seed TEXT NOT NULL,
            starts_at TEXT NOT NULL,                        -- decisions before this are never sampled
            active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
            last_period TEXT,                               -- period of the last scheduled run
            last_run_at TEXT,
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE audit_samples (
            id INTEGER PRIMARY KEY,
            decision_id INTEGER NOT NULL UNIQUE REFERENCES decisions(id),
            plan TEXT NOT NULL,
            reason TEXT NOT NULL CHECK (reason IN {_sql_list(SAMPLE_REASONS)}),
            auditor_id INTEGER REFERENCES users(id),
            claimed_at TEXT,
            created_at TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'open' CHECK (state IN {_sql_list(SAMPLE_STATES)})
        );
        CREATE INDEX audit_samples_work ON audit_samples (state, auditor_id, created_at);
        CREATE TABLE audits (
            id INTEGER PRIMARY KEY,
            sample_id INTEGER NOT NULL UNIQUE REFERENCES audit_samples(id),
            decision_id INTEGER NOT NULL REFERENCES decisions(id),
            auditor_id INTEGER NOT NULL REFERENCES users(id),
            blind_action TEXT NOT NULL,
            blind_labels TEXT NOT NULL DEFAULT '[]',
            blind_note TEXT NOT NULL DEFAULT '',
            blind_at TEXT NOT NULL,
            revealed_at TEXT,
            verdict TEXT CHECK (verdict IN {_sql_list(VERDICTS)}),
            error_type TEXT CHECK (error_type IN {_sql_list(ERROR_TYPES)}),
            severity TEXT CHECK (severity IN {_sql_list(SEVERITIES)}),
            comment TEXT NOT NULL DEFAULT '',
            score REAL CHECK (score >= 0 AND score <= 100),
            scored_at TEXT,
            CHECK ((verdict IS NULL) = (scored_at IS NULL)),
            CHECK (verdict IS NULL OR revealed_at IS NOT NULL),
            CHECK (verdict <> 'correct' OR (error_type IS NULL AND severity IS NULL)),
            CHECK (verdict <> 'incorrect' OR (error_type IS NOT NULL AND severity IS NOT NULL))
        );
        CREATE INDEX audits_decision ON audits (decision_id);
        CREATE TRIGGER audits_no_delete BEFORE DELETE ON audits
        BEGIN SELECT RAISE(ABORT, 'audits are never deleted'); END;
        CREATE TRIGGER audits_final BEFORE UPDATE ON audits WHEN OLD.scored_at IS NOT NULL
        BEGIN SELECT RAISE(ABORT, 'a scored audit is final; dispute it instead'); END;
        CREATE TRIGGER audits_blind_fixed BEFORE UPDATE ON audits
        WHEN NEW.blind_action <> OLD.blind_action OR NEW.blind_labels <> OLD.blind_labels
             OR NEW.blind_at <> OLD.blind_at OR NEW.auditor_id <> OLD.auditor_id
        BEGIN SELECT RAISE(ABORT, 'the blind decision cannot be changed'); END;
        CREATE TABLE audit_rubric (
            kind TEXT NOT NULL CHECK (kind IN ('error_type', 'severity')),
            key TEXT NOT NULL,
            weight REAL NOT NULL CHECK (weight >= 0),
            updated_by TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (kind, key)
        );
        CREATE TABLE disputes (
            id INTEGER PRIMARY KEY,
            audit_id INTEGER NOT NULL UNIQUE REFERENCES audits(id),
            moderator_id INTEGER NOT NULL REFERENCES users(id),
            reason TEXT NOT NULL,
            opened_at TEXT NOT NULL
        );
        CREATE TABLE dispute_resolutions (
            id INTEGER PRIMARY KEY,
            dispute_id INTEGER NOT NULL UNIQUE REFERENCES disputes(id),
            lead_id INTEGER NOT NULL REFERENCES users(id),
            outcome TEXT NOT NULL CHECK (outcome IN {_sql_list(OUTCOMES)}),
            note TEXT NOT NULL DEFAULT '',
            resolved_at TEXT NOT NULL
        );
        CREATE VIEW audit_verdicts AS
        SELECT a.id AS audit_id, a.sample_id, a.decision_id, a.auditor_id,
               a.blind_action, a.blind_labels, a.verdict, a.error_type, a.severity, a.score, a.comment, a.scored_at,
               dp.id AS dispute_id, r.outcome AS dispute_outcome,
               CASE WHEN r.outcome = 'overturned' THEN 'correct' ELSE a.verdict END AS final_verdict,
               CASE WHEN r.outcome = 'overturned' THEN NULL ELSE a.error_type END AS final_error_type,
               CASE WHEN r.outcome = 'overturned' THEN NULL ELSE a.severity END AS final_severity,
               CASE WHEN r.outcome = 'overturned' THEN 100.0 ELSE a.score END AS final_score
        FROM audits a
        LEFT JOIN disputes dp ON dp.audit_id = a.id
        LEFT JOIN dispute_resolutions r ON r.dispute_id = dp.id
        WHERE a.scored_at IS NOT NULL;
        CREATE TABLE gold_items (
            item_id INTEGER PRIMARY KEY REFERENCES items(id),
            action TEXT NOT NULL,
            labels TEXT NOT NULL DEFAULT '[]',
            source_item_id INTEGER REFERENCES items(id),
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE gold_results (
            decision_id INTEGER PRIMARY KEY REFERENCES decisions(id),
            item_id INTEGER NOT NULL REFERENCES items(id),
            user_id INTEGER NOT NULL REFERENCES users(id),
            correct INTEGER NOT NULL CHECK (correct IN (0, 1)),
            action_correct INTEGER NOT NULL CHECK (action_correct IN (0, 1)),
            labels_correct INTEGER NOT NULL CHECK (labels_correct IN (0, 1)),
            expected TEXT NOT NULL,                         -- JSON {{"action": ..., "labels": [...]}}
            scored_at TEXT NOT NULL
        );
        CREATE TABLE calibration_sets (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            description TEXT NOT NULL DEFAULT '',
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE calibration_members (
            set_id INTEGER NOT NULL REFERENCES calibration_sets(id),
            item_id INTEGER NOT NULL REFERENCES items(id),
            PRIMARY KEY (set_id, item_id)
        );
        CREATE TABLE calibration_answers (
            id INTEGER PRIMARY KEY,
            set_id INTEGER NOT NULL,
            item_id INTEGER NOT NULL,
            user_id INTEGER NOT NULL REFERENCES users(id),
            action TEXT NOT NULL,
            labels TEXT NOT NULL DEFAULT '[]',
            answered_at TEXT NOT NULL,
            UNIQUE (set_id, item_id, user_id),
            FOREIGN KEY (set_id, item_id) REFERENCES calibration_members (set_id, item_id)
        );
        """
    )
    for table in ("disputes", "dispute_resolutions", "gold_results", "calibration_answers"):
        _append_only(db, table)


@migrations(name="m002_append_only_guards")
def m002_append_only_guards(db: sqlite_utils.Database) -> None:
    """Refuse ``INSERT OR REPLACE`` (and UPSERT) on the audit history, like review's m009.

    A REPLACE deletes the row it conflicts with without firing its DELETE
    trigger (recursive triggers are off by default), so a scored audit, a
    dispute or its resolution could be swapped for another in one statement.
    """
    for table in ("audits", "disputes", "dispute_resolutions", "gold_results", "calibration_answers"):
        refuse_replace(db, table)


# An item's current decision: its latest row that neither revokes nor is
# revoked (the rule of review.decisions). Uncorrelated NOT IN is evaluated
# once, so this stays linear without an index on revokes_id.
LIVE = "d.revokes_id IS NULL AND d.id NOT IN (SELECT revokes_id FROM decisions WHERE revokes_id IS NOT NULL)"
CURRENT = (
    LIVE + " AND d.id = (SELECT MAX(x.id) FROM decisions x WHERE x.item_id = d.item_id AND x.revokes_id IS NULL"
    " AND x.id NOT IN (SELECT revokes_id FROM decisions WHERE revokes_id IS NOT NULL))"
)
# The decision that answered the item in its queue: the current one, not counting a lead's later correction
# (review.store.corrections, source 'correction'). A correction replaces the item's decision without answering
# the item again, so the original keeps its QA sample, stays a sampling candidate and keeps its period's SLA.
ANSWERED = (
    LIVE + " AND d.source IS DISTINCT FROM 'correction' AND d.id = (SELECT MAX(x.id) FROM decisions x"
    " WHERE x.item_id = d.item_id AND x.revokes_id IS NULL AND x.source IS DISTINCT FROM 'correction'"
    " AND x.id NOT IN (SELECT revokes_id FROM decisions WHERE revokes_id IS NOT NULL))"
)


@migrations(name="m003_qa_setup")
def m003_qa_setup(db: sqlite_utils.Database) -> None:
    """Plans name queues by id; gold items get an explanation and retirement; calibration sets people and a close.

    A plan held queue *names*, so renaming a queue silently switched the
    plan off. ``audit_plan_queues`` holds the queue ids instead (no rows:
    every queue); sampling follows ``queues.merged_into_id``, so a merge
    takes the plan to the surviving queue. Each stored name is the queue so
    named when the plan was last saved (its ``audit.plan_saved`` event, else
    its ``updated_at``), followed through the ``queue.renamed`` events
    since (a plan a rename had already switched off works again); a name
    that matches no queue is kept as ``gone_name``, shown to leads as
    "queue gone" and sampling nothing, rather than silently dropped or
    widened to every queue. A stored empty list (``[]``, which sampled
    nothing) becomes the gone name ``''``, still sampling nothing.

    A retired gold item (``retired_at``) is no longer planted or scored;
    its answer and results stay. A calibration set may name the people who
    answer it (``calibration_people``; none: anyone who reviews) and is
    closed to answers once ``closed_at`` is set.
    """
    db.executescript(
        """
        CREATE TABLE audit_plan_queues (
            plan_id INTEGER NOT NULL REFERENCES audit_plans(id),
            queue_id INTEGER REFERENCES queues(id),
            gone_name TEXT,                                 -- a name that matched no queue when plans moved to ids
            CHECK ((queue_id IS NULL) <> (gone_name IS NULL)),
            UNIQUE (plan_id, queue_id),
            UNIQUE (plan_id, gone_name)
        );
        ALTER TABLE gold_items ADD COLUMN explanation TEXT NOT NULL DEFAULT '';
        ALTER TABLE gold_items ADD COLUMN retired_at TEXT;
        ALTER TABLE gold_items ADD COLUMN retired_by TEXT;
        ALTER TABLE calibration_sets ADD COLUMN closed_at TEXT;
        ALTER TABLE calibration_sets ADD COLUMN closed_by TEXT;
        CREATE TABLE calibration_people (
            set_id INTEGER NOT NULL REFERENCES calibration_sets(id),
            user_id INTEGER NOT NULL REFERENCES users(id),
            PRIMARY KEY (set_id, user_id)
        );
        """
    )
    ids = {name: queue_id for queue_id, name in db.execute("SELECT id, name FROM queues")}
    renames = [(event_id, at, json.loads(payload)) for event_id, at, payload in db.execute(
        "SELECT id, at, payload FROM events WHERE kind = 'queue.renamed' ORDER BY id")]
    for plan_id, plan_name, names, updated_at in db.execute(
            "SELECT id, name, queues, updated_at FROM audit_plans WHERE queues IS NOT NULL").fetchall():
        saved = db.execute("SELECT MAX(id) FROM events WHERE kind = 'audit.plan_saved' AND subject = ?",
                           [f"plan:{plan_name}"]).fetchone()[0]
        later = [renamed for event_id, at, renamed in renames
                 if (event_id > saved if saved is not None else at > updated_at)]
        held = dict.fromkeys(_queue_now(queue, ids, later) for queue in json.loads(names))
        for queue_id, gone_name in held or [(None, "")]:  # '[]' sampled nothing, and still does
            db.execute("INSERT INTO audit_plan_queues (plan_id, queue_id, gone_name) VALUES (?, ?, ?)",
                       [plan_id, queue_id, gone_name])
    db.execute("ALTER TABLE audit_plans DROP COLUMN queues")


def _queue_now(name: str, ids: dict[str, int], later: list[dict[str, str]]) -> tuple[int | None, str | None]:
    """(queue id, None) of the queue a plan named *name* when it was saved, or (None, name) when none matches.

    The name is followed through the renames made after the save, in
    order (*later*): only those, because a rename before it freed the name
    for the queue the plan did mean, and a later one may hand the name to
    another queue (the queue then named so is not the plan's).
    """
    current = name
    for renamed in later:
        if renamed.get("from") == current:
            current = renamed.get("to", current)
    found = ids.get(current)
    return (found, None) if found is not None else (None, name)



@migrations(name="m004_audits_by_auditor")
def m004_audits_by_auditor(db: sqlite_utils.Database) -> None:
    """An index for each auditor's audits by when they were scored.

    The dashboard's QA auditors tab, My results and ``veil metrics --by
    auditor`` count an auditor's audits over a period on every refresh;
    without it each count scans every audit and sorts them.
    """
    db.execute("CREATE INDEX audits_by_auditor ON audits (auditor_id, scored_at)")


# m005 (targets and cost per unit, if not settings) goes here


@migrations(name="m006_dsa_statements")
def m006_dsa_statements(db: sqlite_utils.Database) -> None:
    """``dsa_statements``: each decision's DSA statement of reasons, once exported, and its submission.

    One row per decision (``decision_id`` UNIQUE) and per platform id
    (``puid`` UNIQUE, what the Transparency Database keeps unique), so a
    second export of a period adds nothing and a statement is never sent
    under two ids. ``statement`` is the JSON exactly as written to
    ``export_file``; ``accepted_at``, ``db_uuid`` (the uuid the database
    gave it) and ``last_error`` are the submission's (``veil statements
    submit``).
    """
    db.executescript(
        """
        CREATE TABLE dsa_statements (
            id INTEGER PRIMARY KEY,
            decision_id INTEGER NOT NULL UNIQUE REFERENCES decisions(id),
            puid TEXT NOT NULL UNIQUE,
            statement TEXT NOT NULL,
            exported_at TEXT NOT NULL,
            export_file TEXT NOT NULL,
            accepted_at TEXT,
            db_uuid TEXT,
            last_error TEXT
        );
        """
    )


@migrations(name="m007_training")
def m007_training(db: sqlite_utils.Database) -> None:
    """Training (issue 17): courses, attempts and answers, calibration sessions' agreed answers.

    The statements are :func:`audit.store.training.m007`'s (the module that holds their SQL).
    """
    from audit.store import training

    training.m007(db)


@migrations(name="m008_scored_audits")
def m008_scored_audits(db: sqlite_utils.Database) -> None:
    """``scored_audits``: each scored audit beside its decision's time, maker and queue, kept by triggers (issue 22).

    The statements are :func:`audit.store.scored_audits.m008`'s (the module that holds their SQL).
    """
    from audit.store import scored_audits

    scored_audits.m008(db)


@migrations(name="m009_auditor_work_index")
def m009_auditor_work_index(db: sqlite_utils.Database) -> None:
    """:func:`audit.store.scored_audits.m009`: the auditors' work read from one index (issue 22)."""
    from audit.store import scored_audits

    scored_audits.m009(db)


@migrations(name="m010_audit_milliseconds")
def m010_audit_milliseconds(db: sqlite_utils.Database) -> None:
    """:func:`audit.store.scored_audits.m010`: each audit's time from opening to score kept as a number (issue 22)."""
    from audit.store import scored_audits

    scored_audits.m010(db)

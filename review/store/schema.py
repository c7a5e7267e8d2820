"""The review domain's tables, as an ordered set of sqlite-utils migrations.

Rules: a migration, once released, never changes; a new need is a new
migration appended at the end. ``tests/test_store.py`` (test_upgrade_from_each_older_version…) upgrades a store
from every older version to prove the chain still works.

Append-only tables (``decisions``, ``events``) are guarded by triggers, so
even a hand-written ``UPDATE`` is refused: undo is a new revoking row.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import sqlite_utils

from review.store import dialect

migrations = sqlite_utils.Migrations("review")

ROLES = ("moderator", "auditor", "lead")
QUEUE_KINDS = ("review", "escalation", "audit", "calibration")
ITEM_KINDS = ("image", "video", "text", "mixed")
ITEM_STATES = ("pending", "decided", "removed")


def _append_only(db: sqlite_utils.Database, table: str) -> None:
    for verb in ("UPDATE", "DELETE"):
        db.execute(
            f"""CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table}
            BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"""
        )


def refuse_replace(db: sqlite_utils.Database, table: str) -> None:
    """A trigger that refuses to insert a row whose primary key or any UNIQUE key is taken.

    Aborting before the insert stops ``INSERT OR REPLACE``, ``REPLACE`` and
    an UPSERT alike; a plain insert of a new row costs one indexed look-up
    per key. The keys are read from the table itself, so none is forgotten.
    """
    keys = dialect.unique_keys(db, table)
    taken = " OR ".join(
        f"EXISTS (SELECT 1 FROM {table} WHERE {' AND '.join(f'{c} = NEW.{c}' for c in key)})" for key in keys if key
    )
    db.execute(
        f"""CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} WHEN {taken}
        BEGIN SELECT RAISE(ABORT, '{table} is append-only: a row with this key exists'); END"""
    )


@migrations(name="m001_core")
def m001_core(db: sqlite_utils.Database) -> None:
    db.executescript(
        f"""
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            display_name TEXT NOT NULL,
            roles TEXT NOT NULL,            -- comma-separated subset of {ROLES}
            created_at TEXT NOT NULL
        );
        CREATE TABLE queues (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL CHECK (kind IN {QUEUE_KINDS}),
            description TEXT NOT NULL DEFAULT '',
            priority INTEGER NOT NULL DEFAULT 0,
            sla_seconds INTEGER NOT NULL DEFAULT 86400 CHECK (sla_seconds > 0),
            paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
            escalation_queue_id INTEGER REFERENCES queues(id),
            created_at TEXT NOT NULL
        );
        CREATE TABLE items (
            id INTEGER PRIMARY KEY,
            external_id TEXT NOT NULL,
            queue_id INTEGER NOT NULL REFERENCES queues(id),
            kind TEXT NOT NULL CHECK (kind IN {ITEM_KINDS}),
            media_path TEXT,
            media_type TEXT,
            text TEXT NOT NULL DEFAULT '',
            metadata TEXT NOT NULL DEFAULT '{{}}',
            severity TEXT,
            priority INTEGER NOT NULL DEFAULT 0,
            content_sha256 TEXT,
            phash TEXT,
            received_at TEXT NOT NULL,
            due_at TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN {ITEM_STATES}),
            created_at TEXT NOT NULL,
            UNIQUE (queue_id, external_id)
        );
        CREATE INDEX items_serving ON items (queue_id, state, priority DESC, due_at, received_at, id);
        CREATE INDEX items_content ON items (content_sha256);
        CREATE INDEX items_phash ON items (phash);
        CREATE TABLE leases (
            item_id INTEGER PRIMARY KEY REFERENCES items(id),
            user_id INTEGER NOT NULL REFERENCES users(id),
            claimed_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        );
        CREATE INDEX leases_user ON leases (user_id);
        CREATE TABLE decisions (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items(id),
            user_id INTEGER NOT NULL REFERENCES users(id),
            queue_id INTEGER NOT NULL REFERENCES queues(id),
            action TEXT NOT NULL,
            labels TEXT NOT NULL DEFAULT '[]',
            note TEXT NOT NULL DEFAULT '',
            shown_at TEXT,
            decided_at TEXT NOT NULL,
            handle_ms INTEGER,
            revealed_ms INTEGER NOT NULL DEFAULT 0,
            client_version TEXT NOT NULL,
            source TEXT NOT NULL DEFAULT 'review',
            revokes_id INTEGER REFERENCES decisions(id)
        );
        CREATE INDEX decisions_item ON decisions (item_id);
        CREATE INDEX decisions_user ON decisions (user_id, decided_at);
        CREATE INDEX decisions_time ON decisions (decided_at);
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            kind TEXT NOT NULL,
            subject TEXT NOT NULL DEFAULT '',
            payload TEXT NOT NULL DEFAULT '{{}}',
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        );
        """
    )
    _append_only(db, "decisions")
    _append_only(db, "events")


@migrations(name="m002_settings")
def m002_settings(db: sqlite_utils.Database) -> None:
    """Key/value settings: organisation-wide (user_id 0) and per user."""
    db.executescript(
        """
        CREATE TABLE settings (
            user_id INTEGER NOT NULL DEFAULT 0,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (user_id, key)
        );
        """
    )


@migrations(name="m003_exposure")
def m003_exposure(db: sqlite_utils.Database) -> None:
    """What each person was shown, measured by the tool (not self-reported).

    ``exposure`` has one row per item shown per viewing (an item seen again
    after undo gets a second row); ``reveals`` one row per deliberate
    unblurring, with its duration. Day is the UTC date, for daily budgets.
    """
    db.executescript(
        """
        CREATE TABLE exposure (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            item_id INTEGER NOT NULL REFERENCES items(id),
            session_id TEXT NOT NULL,
            day TEXT NOT NULL,
            started_at TEXT NOT NULL,
            ended_at TEXT NOT NULL,
            blurred_ms INTEGER NOT NULL,
            revealed_ms INTEGER NOT NULL,
            region_ms INTEGER NOT NULL,
            video_ms INTEGER NOT NULL,
            severity TEXT,
            category TEXT
        );
        CREATE INDEX exposure_user_day ON exposure (user_id, day);
        CREATE TABLE reveals (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            item_id INTEGER NOT NULL REFERENCES items(id),
            started_at TEXT NOT NULL,
            duration_ms INTEGER NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('whole', 'region'))
        );
        CREATE INDEX reveals_item ON reveals (item_id);
        """
    )


@migrations(name="m004_phash_bands")
def m004_phash_bands(db: sqlite_utils.Database) -> None:
    """Find near-duplicate images fast: index each quarter of the perceptual hash.

    Two 64-bit hashes within Hamming distance 3 must agree exactly on at
    least one of their four 16-bit quarters (pigeonhole), so "any quarter
    equal" is an indexed candidate search; the exact distance is then
    checked in Python. Most near-duplicates further apart still share a
    quarter and are found too.
    """
    for n, start in enumerate((1, 5, 9, 13), 1):
        db.execute(f"CREATE INDEX items_phash_band{n} ON items (substr(phash, {start}, 4))")


@migrations(name="m005_wellbeing")
def m005_wellbeing(db: sqlite_utils.Database) -> None:
    """Breaks, budgets and check-ins (``review.wellbeing``).

    ``wellbeing_events`` is the person's ledger of prompts, snoozes, breaks,
    budget warnings and a lead's overrides, next to (not instead of) the
    hash-chained ``events`` log; append-only like it. ``wellbeing_lifts``
    holds a lead's lift of a person's daily severe budget, with the reason
    (required). ``wellbeing_checkins`` holds the optional 1–5 "how are you"
    answers: private to the person; leads only ever get aggregates over
    enough people (``review.wellbeing.checkins.team_checkins``).
    """
    db.executescript(
        """
        CREATE TABLE wellbeing_events (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            at TEXT NOT NULL,
            day TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('prompted_banner', 'prompted_dialog', 'snoozed', 'break_started',
                'break_taken', 'break_enforced', 'budget_warning', 'budget_reached', 'budget_lifted',
                'idle_paused', 'checkin')),
            details TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX wellbeing_events_user_day ON wellbeing_events (user_id, day);
        CREATE INDEX wellbeing_events_day ON wellbeing_events (day);
        CREATE TABLE wellbeing_lifts (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            day TEXT NOT NULL,
            at TEXT NOT NULL,
            lead_id INTEGER NOT NULL REFERENCES users(id),
            extra_ms INTEGER NOT NULL CHECK (extra_ms > 0),
            reason TEXT NOT NULL CHECK (length(trim(reason)) > 0)
        );
        CREATE INDEX wellbeing_lifts_user_day ON wellbeing_lifts (user_id, day);
        CREATE TABLE wellbeing_checkins (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            at TEXT NOT NULL,
            day TEXT NOT NULL,
            score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5)
        );
        CREATE INDEX wellbeing_checkins_user ON wellbeing_checkins (user_id, at);
        CREATE INDEX wellbeing_checkins_day ON wellbeing_checkins (day);
        CREATE INDEX exposure_day ON exposure (day);
        """
    )
    _append_only(db, "wellbeing_events")
    _append_only(db, "wellbeing_lifts")


@migrations(name="m006_passphrases")
def m006_passphrases(db: sqlite_utils.Database) -> None:
    """Passphrases (``review.auth``) and merged queues (``review.admin``).

    A passphrase hash lives in its own table, not on ``users``, so the many
    queries that list people never carry it. ``set_by`` is who set it (the
    person or a lead). ``queues.merged_into_id`` marks a queue merged into
    another: it is kept, not deleted, because decisions name the queue they
    were made in (append-only history) and audit plans name queues.
    """
    db.executescript(
        """
        CREATE TABLE passphrases (
            user_id INTEGER PRIMARY KEY REFERENCES users(id),
            hash TEXT NOT NULL,
            set_at TEXT NOT NULL,
            set_by INTEGER NOT NULL REFERENCES users(id)
        );
        ALTER TABLE queues ADD COLUMN merged_into_id INTEGER REFERENCES queues(id);
        """
    )


@migrations(name="m007_decisions_revokes")
def m007_decisions_revokes(db: sqlite_utils.Database) -> None:
    """Index ``decisions.revokes_id``.

    "Is this decision revoked?" (``NOT EXISTS (… WHERE r.revokes_id = d.id)``)
    is asked by undo, "seen before", the lead's label selection and history
    import; without an index each asking scans every decision.
    """
    db.execute("CREATE INDEX IF NOT EXISTS decisions_revokes ON decisions (revokes_id)")


@migrations(name="m008_lease_claims")
def m008_lease_claims(db: sqlite_utils.Database) -> None:
    """``leases.claim_id``: which claim holds the item (the id of the ``item.claimed`` event that took it).

    A renewal, a decision or a give-back names its claim and acts only if
    the lease row still carries it: a window whose item was escalated,
    decided, given back or taken again (by anyone, the same person in
    another window too) can no longer bring the lease back. Leases written
    before this step have none, match no claim, and simply lapse.
    """
    db.execute("ALTER TABLE leases ADD COLUMN claim_id INTEGER")


@migrations(name="m009_append_only_guards")
def m009_append_only_guards(db: sqlite_utils.Database) -> None:
    """Refuse ``INSERT OR REPLACE`` (and UPSERT) on the append-only tables.

    ``REPLACE`` deletes the row it conflicts with, and SQLite fires no
    DELETE trigger for that unless the connection turned
    ``recursive_triggers`` on (sqlite-utils does; the ``sqlite3`` shell
    does not): one statement could rewrite a decision or an event with
    every trigger in place. A BEFORE INSERT trigger that aborts when a row
    with the same key exists closes that path.
    """
    for table in ("decisions", "events", "wellbeing_events", "wellbeing_lifts"):
        refuse_replace(db, table)



@migrations(name="m010_wellbeing_breaks")
def m010_wellbeing_breaks(db: sqlite_utils.Database) -> None:
    """``wellbeing_breaks``: each countdown break as a fact — whose, when it began, when it is served.

    A break in progress must hold whatever the front end does: signing out,
    restarting or opening a second window. The claim refuses a person whose
    break has not ended (``review.wellbeing.breaks``), and every window of
    that person shows the break with the time left. Append-only, like the
    ledger its ``break_started`` / ``break_enforced`` rows sit in.
    """
    db.executescript(
        """
        CREATE TABLE wellbeing_breaks (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            started_at TEXT NOT NULL,
            ends_at TEXT NOT NULL CHECK (ends_at >= started_at),
            reason TEXT NOT NULL CHECK (reason IN ('micro', 'severe')),
            enforced INTEGER NOT NULL CHECK (enforced IN (0, 1)),
            cooldown INTEGER NOT NULL CHECK (cooldown IN (0, 1))
        );
        CREATE INDEX wellbeing_breaks_user_end ON wellbeing_breaks (user_id, ends_at);
        """
    )
    _append_only(db, "wellbeing_breaks")
    refuse_replace(db, "wellbeing_breaks")


@migrations(name="m011_people")
def m011_people(db: sqlite_utils.Database) -> None:
    """``users.active`` and ``users.queue_ids``: a lead deactivates people and limits the queues they work.

    A person leaves by being deactivated, never deleted: their decisions,
    audits and exposure name them (append-only history). ``queue_ids`` is
    the comma-separated ids of the queues they may be served from (ids, so
    a rename keeps the limit); empty means every queue their roles work.
    Both change only with their ``user.*`` event (``review.people``), which
    ``veil verify`` compares them with.
    """
    db.executescript(
        """
        ALTER TABLE users ADD COLUMN active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1));
        ALTER TABLE users ADD COLUMN queue_ids TEXT NOT NULL DEFAULT '';
        """
    )


# Later steps keep their statements beside the code that reads their tables (each module's ``mNNN``
# function, its docstring saying what the step adds); imported when the step runs, so a store module
# may use this file's guards (``_append_only``, ``refuse_replace``) without an import cycle.
LATER_STEPS = (
    ("m012_escalations", "escalation_schema", "m012"),
    ("m013_roster", "roster", "m013"),
    ("m014_complaints", "complaint_schema", "m014"),
    ("m015_account_notes", "accounts", "m015"),
    ("m016_relative_media", "media_root", "m016"),
    ("m017_certification", "certification", "m017"),
    ("m018_correction_requests", "corrections", "m018"),
    ("m019_pdq_hashes", "hashes", "m019"),
    ("m020_server_media", "server_media", "m020"),
    # m021 (issue 15: claims at scale)
    ("m022_decision_summaries", "summaries", "m022"),
    ("m023_hash_lists", "hashlists", "m023"),
    ("m024_cases", "cases", "m024"),
    ("m025_routing_rules", "rules", "m025"),
    ("m026_automation", "automation", "m026"),
    ("m027_queue_counts", "queue_counts", "m027"),
    ("m028_bulk_item_inserts", "item_inserts", "m028"),
    ("m029_summaries_per_decider", "summaries", "m029"),
    ("m030_break_changes", "serving_changes", "m030"),
    ("m031_queue_counts_in_shards", "queue_counts", "m031"),
    ("m032_cheap_item_indexes", "item_indexes", "m032"),
    ("m033_summaries_clustered", "summaries", "m033"),
    ("m034_decisions_user_covering", "decisions", "m034"),
    ("m035_setting_changes_indexed", "setting_changes", "m035"),
    ("m036_accounts_covered", "accounts", "m036"),
)


def _later_step(module: str, function: str) -> Callable[[sqlite_utils.Database], None]:
    def step(db: sqlite_utils.Database) -> None:
        getattr(importlib.import_module(f"review.store.{module}"), function)(db)

    step.__doc__ = f"Schema step :func:`review.store.{module}.{function}`."
    return step


for _name, _module, _function in LATER_STEPS:
    migrations(name=_name)(_later_step(_module, _function))

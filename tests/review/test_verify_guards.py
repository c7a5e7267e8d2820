"""Append-only tables refuse INSERT OR REPLACE and UPSERT (issue 11, "no REPLACE path around append-only").

``REPLACE`` deletes the conflicting row without firing DELETE triggers
(unless the connection turned ``recursive_triggers`` on, as sqlite-utils
does and the ``sqlite3`` shell does not), so before the m009 guards a
hand-written ``INSERT OR REPLACE`` rewrote a decision or an event with
every trigger in place. These tests write as a tamperer would: through a
plain ``sqlite3`` connection (the upsert, through builders.behind_veils_back on
either store).
"""

from __future__ import annotations

import contextlib
import sqlite3

import pytest
from builders import audited, behind_veils_back, decided_item, people, refusal, text_item

from audit import calibration, disputes
from review import decisions
from review.store import wellbeing as wellbeing_rows


@pytest.fixture
def history(store):
    """Every append-only table holds at least one row."""
    people(store, ana="moderator", dana="auditor", lee="lead")
    store.add_queue("spam")
    decision = decided_item(store, "spam", "ana", decided_at="2026-01-05T08:00:00Z", action="remove",
                            labels=["spam"])
    audit_id = audited(store, decision, lead="lee", auditor="dana", blind_action="no_violation",
                       verdict="incorrect", error=("missed_violation", "major"))
    dispute = disputes.open_dispute(store, "ana", audit_id, "it was spam")
    disputes.resolve_dispute(store, "lee", dispute, "upheld")
    item = text_item(store, "spam")
    calibration.create_set(store, "lee", "week 1", [item])
    calibration.answer(store, "ana", "week 1", item, "no_violation")
    wellbeing_rows.add_lift(store, store.user("lee"), store.user("ana"), "2026-01-05", 60_000, "a calm day")
    return store


@pytest.fixture
def raw(store):
    """A plain driver connection to the store's file, with SQLite's defaults (recursive triggers off)."""
    with contextlib.closing(sqlite3.connect(store.path, isolation_level=None)) as conn:
        yield conn


APPEND_ONLY = ["decisions", "events", "wellbeing_events", "wellbeing_lifts", "audits", "disputes",
               "dispute_resolutions", "calibration_answers"]


@pytest.mark.parametrize("table", APPEND_ONLY)
@pytest.mark.parametrize("verb", ["INSERT OR REPLACE", "REPLACE"])
def test_replace_of_an_existing_row_is_refused(history, raw, table, verb):
    db = raw
    columns = [r[1] for r in db.execute(f"PRAGMA table_info({table})")]
    first = db.execute(f"SELECT * FROM {table} ORDER BY rowid LIMIT 1").fetchone()
    assert first is not None, f"the fixture left {table} empty"
    before = db.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()
    marks = ", ".join("?" * len(columns))
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute(f"{verb} INTO {table} ({', '.join(columns)}) VALUES ({marks})", list(first))
    assert db.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall() == before


def test_replace_on_another_unique_key_is_refused(history, raw):
    """audits.sample_id is UNIQUE: a REPLACE with a new id but the same sample would delete the scored audit."""
    db = raw
    columns = [r[1] for r in db.execute("PRAGMA table_info(audits)")]
    row = dict(zip(columns, db.execute("SELECT * FROM audits LIMIT 1").fetchone()))
    row["id"] = 999
    row["verdict"], row["error_type"], row["severity"], row["score"] = "correct", None, None, 100.0
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute(f"INSERT OR REPLACE INTO audits ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                   list(row.values()))
    assert db.execute("SELECT verdict FROM audits").fetchall() == [("incorrect",)]


def test_upsert_on_decisions_is_refused(history):
    with behind_veils_back(history) as db, pytest.raises(refusal(history), match="append-only"):
        db.execute("INSERT INTO decisions (id, item_id, user_id, queue_id, action, decided_at, client_version)"
                   " SELECT id, item_id, user_id, queue_id, 'no_violation', decided_at, client_version FROM decisions"
                   " WHERE true ON CONFLICT (id) DO UPDATE SET action = excluded.action")
    assert {r[0] for r in history.db.execute("SELECT action FROM decisions")} == {"remove"}


def test_gold_results_refuse_replace(store, raw):
    from audit import gold

    people(store, ana="moderator", lee="lead")
    store.add_queue("spam")
    item = text_item(store, "spam")
    gold.add_gold(store, "lee", item, "remove", ["spam"])
    decision = decisions.record_past_decision(store, item_id=item, user="ana", action="no_violation",
                                              decided_at="2026-01-05T08:00:00Z")
    assert gold.score_gold(store, decision) is not None
    columns = [r[1] for r in raw.execute("PRAGMA table_info(gold_results)")]
    first = raw.execute("SELECT * FROM gold_results").fetchone()
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        raw.execute(f"INSERT OR REPLACE INTO gold_results ({', '.join(columns)})"
                    f" VALUES ({', '.join('?' * len(columns))})", list(first))


def test_plain_appends_still_work(history):
    before = history.db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    history.add_queue("more")
    assert history.db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == before + 1


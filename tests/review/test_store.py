"""The store: migrations, append-only guards, the event hash chain, verify."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
import sqlite_utils
from builders import behind_veils_back, sql_as_veil

from desktop import wiring
from desktop.main import main
from review.errors import StoreBusy, StoreConflict, StoreError, StoreUnavailable
from review.store import Store, events
from review.store.connection import connect
from review.store.schema import migrations as review_migrations


def test_fresh_store_has_every_table_and_pragma(store):
    tables = set(store.db.table_names())
    assert {"users", "queues", "items", "leases", "decisions", "events", "settings"} <= tables
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store.db.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000


@pytest.mark.parametrize("stop_before", [m.name for m in review_migrations._migrations[1:]])
def test_upgrade_from_each_older_version_keeps_data_and_backs_up(tmp_path, stop_before):
    path = tmp_path / "old.db"
    db = connect(path)
    review_migrations.apply(db, stop_before=stop_before)
    db.execute("INSERT INTO users (name, display_name, roles, created_at) VALUES ('ana', 'Ana', 'moderator', 'x')")
    db.close()

    with wiring.open_store(path) as upgraded:
        assert review_migrations.pending(upgraded.db) == []
        assert upgraded.user("ana").roles == ("moderator",)
    backups = list(tmp_path.glob("old.db.before-upgrade-*.bak"))
    assert len(backups) == 1
    old = sqlite_utils.Database(backups[0])
    assert stop_before not in {r["name"] for r in old["_sqlite_migrations"].rows}


def test_store_from_a_newer_veil_is_refused(tmp_path):
    path = tmp_path / "new.db"
    Store.open(path).close()
    db = connect(path)
    db["_sqlite_migrations"].insert({"migration_set": "review", "name": "m999_future", "applied_at": "x"})
    db.close()
    with pytest.raises(StoreError, match="newer Veil"):
        Store.open(path)


def test_a_file_that_is_not_a_store_gets_a_clear_error(tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreUnavailable, match="not a Veil store"):
        Store.open(path)
    assert path.read_bytes() == b"this is not sqlite at all" * 100  # recognised before the driver touches it


def test_a_writer_held_too_long_is_store_busy(store):
    """Another writer holding the lock past the busy timeout is StoreBusy, not the driver's error."""
    other = store.second_connection()
    try:
        other.db.execute("PRAGMA busy_timeout = 20" if store.path else "SET lock_timeout = '20ms'")
        with store.transaction():
            store.add_queue("held")
            with pytest.raises(StoreBusy) as refused:
                other.add_queue("waits")
        assert isinstance(refused.value.__cause__, psycopg.OperationalError if store.url else sqlite3.OperationalError)
        other.add_queue("waits")  # the lock is free again: trying again works
    finally:
        other.close()


def test_decisions_and_events_refuse_update_and_delete(store):
    store.add_user("ana", ["moderator"])
    with pytest.raises(StoreConflict, match="append-only"):
        sql_as_veil(store, "UPDATE events SET actor = 'mallory'")
    with pytest.raises(StoreConflict, match="append-only"):
        sql_as_veil(store, "DELETE FROM events")


def test_a_failed_action_rolls_back_data_and_event_together(store):
    before = store.db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    with pytest.raises(ValueError):
        store.add_user("ana", ["astronaut"])
    store.add_queue("spam")
    with pytest.raises(StoreConflict) as refused:
        store.add_queue("spam")
    assert isinstance(refused.value.__cause__, psycopg.IntegrityError if store.url else sqlite3.IntegrityError)
    assert [q.name for q in store.queues()] == ["spam"]
    assert store.db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == before + 1


def _tamper(store, sql):
    with behind_veils_back(store, "events_no_update", "events_no_delete") as conn:
        conn.execute(sql)


def test_chain_is_intact_after_normal_work(store):
    store.add_user("ana", ["moderator"])
    store.add_queue("spam")
    store.set_setting("x", 1)
    assert events.verify_chain(store.db) == (3, None)


def test_an_edited_event_is_named_by_row(store):
    for name in ("a", "b", "c"):
        store.add_queue(name)
    _tamper(store, "UPDATE events SET payload = '{}' WHERE id = 2")
    checked, broken = events.verify_chain(store.db)
    assert (checked, broken.row_id) == (1, 2)
    assert "edited" in broken.reason


def test_a_deleted_event_breaks_the_chain_at_the_next_row(store):
    for name in ("a", "b", "c"):
        store.add_queue(name)
    _tamper(store, "DELETE FROM events WHERE id = 2")
    _, broken = events.verify_chain(store.db)
    assert broken.row_id == 3
    assert "removed or inserted" in broken.reason


def test_verify_cli_reports_intact_and_broken(tmp_path, capsys):
    path = tmp_path / "v.db"
    with wiring.open_store(path) as s:  # both domains' schema, as every Veil front end opens it
        s.add_queue("a")
        s.add_queue("b")
    assert main(["verify", "--store", str(path)]) == 0
    assert "intact (2 rows" in capsys.readouterr().out
    with wiring.open_store(path) as s:
        _tamper(s, "UPDATE events SET actor = 'mallory' WHERE id = 1")
    assert main(["verify", "--store", str(path)]) == 1
    assert "BROKEN at row 1" in capsys.readouterr().out


def test_verify_on_garbage_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.db"
    bad.write_text("garbage" * 1000)
    with pytest.raises(SystemExit) as exit_:
        main(["verify", "--store", str(bad)])
    assert exit_.value.code == 2
    assert "not a Veil store" in capsys.readouterr().err


def test_queue_health_counts_waiting_breached_and_at_risk(store, clock):
    queue = store.add_queue("spam", sla_seconds=4 * 3600)
    rows = [
        {"external_id": "late", "queue_id": queue.id, "kind": "text", "received_at": "2026-01-05T03:00:00.000Z"},
        {"external_id": "soon", "queue_id": queue.id, "kind": "text", "received_at": "2026-01-05T05:30:00.000Z"},
        {"external_id": "fresh", "queue_id": queue.id, "kind": "text", "received_at": "2026-01-05T08:59:00.000Z"},
    ]
    assert store.add_items(rows) == 3
    (health,) = store.queue_health()
    assert (health.waiting, health.breached, health.at_risk) == (3, 1, 1)
    assert health.oldest_received_at == "2026-01-05T03:00:00.000Z"
    assert health.sla_state == "breached"


def test_settings_round_trip_per_scope(store):
    store.set_setting("blur", 4)
    store.set_setting("blur", 6, user_id=7)
    assert (store.setting("blur"), store.setting("blur", user_id=7), store.setting("none", "d")) == (4, 6, "d")


# ------------------------------------------------------ review regressions
def test_a_failed_commit_leaves_no_transaction_open(store):
    """A COMMIT that fails must roll back; else every later write nests in it and is never committed."""
    from review.store.connection import write_transaction

    with pytest.raises(StoreConflict):
        with write_transaction(store.db):
            store.db.execute("PRAGMA defer_foreign_keys = ON")
            store.db.execute(
                "INSERT INTO leases (item_id, user_id, claimed_at, expires_at) VALUES (999, 999, 'x', 'y')")
    assert not store.db.conn.in_transaction
    store.add_user("ana", ["moderator"])
    other = Store.open(store.path)
    try:
        assert other.user("ana").name == "ana"  # committed, visible to a second connection
    finally:
        other.close()


def test_item_times_are_stored_canonical_so_breaches_compare_right(store, clock):
    queue = store.add_queue("spam", sla_seconds=3600)
    store.add_items([
        {"external_id": "a", "queue_id": queue.id, "kind": "text", "received_at": "2026-01-05T08:00:00Z"},
        {"external_id": "b", "queue_id": queue.id, "kind": "text", "received_at": "2026-01-05T09:00:00+01:00",
         "due_at": "2026-01-05T09:00:00Z"},
    ])
    rows = store.db.execute("SELECT received_at, due_at FROM items ORDER BY external_id").fetchall()
    assert rows == [("2026-01-05T08:00:00.000Z", "2026-01-05T09:00:00.000Z"),
                    ("2026-01-05T08:00:00.000Z", "2026-01-05T09:00:00.000Z")]
    clock.advance(0.5)  # 09:00:00.500Z: both are past due
    (health,) = store.queue_health()
    assert health.breached == 2


def test_revoked_checks_use_an_index(store):
    explain = "EXPLAIN QUERY PLAN"
    if store.path is None:  # a server reads a table this small whole unless told not to; then it takes an index
        store.db.execute("SET enable_seqscan = off")  # it can use, as SQLite's planner does
        explain = "EXPLAIN"
    plan = " ".join(r[-1] for r in store.db.execute(
        f"{explain} SELECT d.id FROM decisions d WHERE d.item_id = 1 AND d.revokes_id IS NULL"
        " AND NOT EXISTS (SELECT 1 FROM decisions r WHERE r.revokes_id = d.id)"))
    assert "decisions_revokes" in plan

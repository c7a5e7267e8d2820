"""What a server store guards against (issue 15 review): another program's database, a newer Veil racing an
upgrade, functions from an older Veil, a lost connection, a collation that sorts unlike SQLite, and what
``veil verify`` must see on a server (disabled triggers, rules, policies) or survive (forged payloads).
"""

from __future__ import annotations

import json
import logging

import psycopg
import pytest

from desktop import wiring
from review import decisions, serving, taxonomy
from review.errors import StoreUnavailable
from review.imports import manifest as importer
from review.store import integrity, server_schema
from review.store.connection import connect

SETS = wiring.schema_sets()


@pytest.fixture
def empty_database(postgres_server):
    """A new database with nothing of Veil's in it (made from template1, not the migrated template)."""
    name = f"empty_{postgres_server.new_database()}"
    postgres_server.admin(f"CREATE DATABASE {name}")
    yield postgres_server.url(name)
    postgres_server.drop(name)


@pytest.fixture
def server_url(postgres_server):
    name = postgres_server.new_database()
    yield postgres_server.url(name)
    postgres_server.drop(name)


def _relations(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute("SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace"
                                           " ORDER BY relname")]


# ------------------------------------------------------------ finding 2
def test_another_programs_database_is_refused_and_left_unchanged(empty_database):
    with psycopg.connect(empty_database, autocommit=True) as conn:
        conn.execute("CREATE TABLE customers (id integer PRIMARY KEY, name text)")
    before = _relations(empty_database)
    with pytest.raises(StoreUnavailable, match="is not a Veil store; Veil leaves other databases unchanged"):
        wiring.open_store(empty_database)
    assert _relations(empty_database) == before


def test_a_function_veil_did_not_create_is_never_replaced(empty_database):
    mine = "CREATE FUNCTION json_extract(doc text, path text) RETURNS text LANGUAGE sql AS $$ SELECT 'mine' $$"
    with psycopg.connect(empty_database, autocommit=True) as conn:
        conn.execute(mine)
    with pytest.raises(StoreUnavailable, match="function json_extract of its own"):
        wiring.open_store(empty_database)
    with psycopg.connect(empty_database) as conn:
        assert conn.execute("SELECT json_extract('{}', '$.a')").fetchone()[0] == "mine"
    assert _relations(empty_database) == []


def test_an_empty_database_becomes_a_store(empty_database):
    with wiring.open_store(empty_database) as store:
        assert store.add_user("lee", ["lead"]).id == 1


# ------------------------------------------------------------ finding 12
def test_an_upgrade_refuses_steps_a_newer_veil_applied_meanwhile(server_url):
    """The check before the lock saw none; the one under the lock must (simulated: it is the only one asked)."""
    with wiring.open_store(server_url) as store, store.transaction():
        store.db.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES (?, ?, ?)",
                         ["review", "m999_future", "x"])
    db = connect(server_url)
    try:
        with pytest.raises(StoreUnavailable, match="newer Veil.*review/m999_future"):
            server_schema.apply(db, SETS)
    finally:
        db.close()


# ------------------------------------------------------------ finding 7
def test_functions_of_an_older_veil_are_brought_up_to_date_on_open(server_url):
    with psycopg.connect(server_url, autocommit=True) as conn:  # as an older Veil defined it, and marked it
        conn.execute("CREATE OR REPLACE FUNCTION json_extract(doc text, path text) RETURNS text LANGUAGE sql"
                     " IMMUTABLE STRICT AS $$ SELECT doc::jsonb #>> veil_json_path(path) $$")
        conn.execute("COMMENT ON FUNCTION veil_json_path(text) IS 'Veil 0123456789abcdef'")
    with wiring.open_store(server_url) as store:
        assert integrity.check(store.db, SETS, escalating={"escalate"}).problems == ()
        assert store.db.execute("SELECT json_extract('{\"a\": true}', '$.a')").fetchone()[0] == "1"


# ------------------------------------------------------------ finding 11
def test_a_database_that_sorts_by_language_rules_is_warned_about(postgres_server, caplog):
    name = f"icu_{postgres_server.new_database()}"
    postgres_server.admin(f"CREATE DATABASE {name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'und'"
                          " LOCALE 'C'")
    try:
        with caplog.at_level(logging.WARNING):
            wiring.open_store(postgres_server.url(name)).close()
        assert "sorts text by language rules" in caplog.text and "createdb --locale=C -T template0" in caplog.text
    finally:
        postgres_server.drop(name)


def test_a_database_in_the_c_locale_is_not_warned_about(server_url, caplog):
    with caplog.at_level(logging.WARNING):
        wiring.open_store(server_url).close()
    assert "language rules" not in caplog.text


# ------------------------------------------------------------ finding 6
def _terminate(postgres_server, url: str) -> None:
    database = url.split("/")[3].split("?")[0]
    postgres_server.admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}'"
                          " AND pid <> pg_backend_pid()")


@pytest.mark.parametrize("first", ["read", "write"])
def test_a_lost_connection_is_opened_again_by_the_next_call(postgres_server, server_url, first):
    """Issue 15 §5: a read in autocommit or a BEGIN has changed nothing, so finding the connection lost it runs
    once more on a new one: the next call after a restart or a dropped connection just works."""
    with wiring.open_store(server_url) as store:
        store.add_user("lee", ["lead"])
        _terminate(postgres_server, server_url)
        if first == "read":
            assert [u.name for u in store.users()] == ["lee"]
        else:
            store.add_user("ana", ["moderator"])
        assert not store.db.in_transaction
        store.add_user("ben", ["moderator"])
        assert [u.name for u in store.users()] == (["ben", "lee"] if first == "read" else ["ana", "ben", "lee"])


def test_a_connection_lost_inside_a_transaction_is_not_reopened_within_it(postgres_server, server_url):
    """Statements after the lost one must not run, half a transaction, in autocommit on a new connection."""
    with wiring.open_store(server_url) as store:
        with pytest.raises(StoreUnavailable), store.transaction():
            _terminate(postgres_server, server_url)
            with pytest.raises(StoreUnavailable):
                store.db.execute("SELECT 1")
            store.db.execute("INSERT INTO settings (key, user_id, value) VALUES ('x', 0, '1')")
        assert store.db.execute("SELECT COUNT(*) FROM settings WHERE key = 'x'").fetchone()[0] == 0


# ------------------------------------------------------------ finding 4
@pytest.mark.parametrize(("tamper", "named"), [
    ("ALTER TABLE events DISABLE TRIGGER USER", "the trigger events_no_update is disabled"),
    ("ALTER TABLE decisions DISABLE TRIGGER decisions_no_delete", "the trigger decisions_no_delete is disabled"),
    ("CREATE RULE keep AS ON DELETE TO decisions DO INSTEAD NOTHING", "the rule decisions.keep is not one Veil"),
    ("ALTER TABLE events DISABLE ROW LEVEL SECURITY", "the table events is not as Veil creates it"),
    ("CREATE POLICY hide ON events USING (false)", "the policy events.hide is not one Veil creates"),
])
def test_verify_sees_a_trigger_switched_off_a_rule_or_a_policy(server_url, tamper, named):
    with wiring.open_store(server_url) as store:
        store.db.conn.execute(tamper)
        problems = integrity.check(store.db, SETS, escalating={"escalate"}).problems
    assert any(named in problem for problem in problems), problems


# ------------------------------------------------------------ finding 3 (both stores)
def test_verify_names_forged_payloads_instead_of_stopping(store, setup):
    ana, _, _ = setup
    lease = serving.claim_next(store, ana)
    made = decisions.decide(store, taxonomy.load(), ana, lease.item.id, claim=lease.claim, action="remove",
                            labels=["spam"])
    assert integrity.check(store.db, SETS, escalating={"escalate"}).problems == ()
    with store.transaction():
        store.log("ana", "decision.made", f"item:{lease.item.id}",
                  {"decision": "one", "escalated": "yes", "handle_ms": "slow", "action": "remove"})
        store.log("ana", "decision.revoked", f"item:{lease.item.id}", {"decision": "x", "revocation": "two"})
    problems = integrity.check(store.db, SETS, escalating={"escalate"}).problems
    assert problems == ("event 8 (decision.made) does not name its decision",
                        "event 9 (decision.revoked) does not name its decision")
    assert made.id == 1


# ------------------------------------------------------------ finding 8 (both stores)
def test_a_store_with_work_but_nobody_in_it_is_named_by_its_location(store, tmp_path):
    store.add_queue("spam")
    store.add_items([{"external_id": "old-1", "queue_id": store.queue("spam").id, "kind": "text", "text": "x",
                      "received_at": "2026-01-05T08:00:00.000Z"}])
    manifest = tmp_path / "m.jsonl"
    manifest.write_text('{"id": "n1", "queue": "spam", "kind": "text", "text": "hi"}\n', encoding="utf-8")
    with pytest.raises(Exception, match="has nobody in it") as refused:
        importer.import_manifest(store, manifest, actor="mallory")
    assert str(refused.value).startswith(f"{store.location} has nobody") and store.location != "None"


# ------------------------------------------------------------ finding 5 (both stores)
@pytest.mark.parametrize(("fields", "said"), [
    ({"reason": "a\0b"}, "field reason contains a NUL character (U+0000)"),
    ({"report": {"notes": ["ok", "x\0"]}}, "field report.notes[1] contains a NUL character (U+0000)"),
    ({"k\0": "v"}, "the name of field 'k\\x00' contains a NUL character (U+0000)"),
])
def test_a_nul_anywhere_in_the_other_fields_is_a_problem_of_its_line(store, tmp_path, fields, said):
    store.add_user("lee", ["lead"])
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"id": "ok", "queue": "q", "text": "fine"}) + "\n"
                        + json.dumps({"id": "p", "queue": "q", "text": "t", **fields}) + "\n", encoding="utf-8")
    result = importer.import_manifest(store, manifest, actor="lee", create_queues=True)
    assert not result.committed and [str(p) for p in result.problems] == [f"{manifest}:2: {said}"]
    assert store.db.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 0

"""One store, two databases (issue 15, team mode phase 1): the same domain on a SQLite file and on PostgreSQL.

The smoke test runs on both kinds (the ``store`` fixture of the domain
suite); the rest is about what only a server store has: a URL, the write
lock, its errors, its schema steps and ``veil verify`` on it.
"""

from __future__ import annotations

import threading

import psycopg
import pytest

from desktop import wiring
from review import decisions, serving, taxonomy
from review.errors import StoreBusy, StoreConflict, StoreError, StoreFull, StoreUnavailable
from review.store import Store, events, integrity, probe
from review.store.server import WRITE_LOCK


def test_users_queues_items_claim_decide_undo_and_a_whole_chain(store, setup):
    ana, ben, spam = setup
    policy = taxonomy.load()
    lease = serving.claim_next(store, ana)
    assert serving.claim_next(store, ben).item.id != lease.item.id  # held by ana: ben is served another item
    made = decisions.decide(store, policy, ana, lease.item.id, claim=lease.claim, action="remove", labels=["spam"],
                            note="bot")
    assert serving.load_item(store, lease.item.id).state == "decided"
    decisions.undo(store, ana, made.id)
    assert serving.load_item(store, lease.item.id).state == "pending"
    assert {health.queue.name: health.waiting for health in store.queue_health()}["spam"] == 3
    checked, broken = events.verify_chain(store.db)
    assert broken is None and checked == events.head(store.db).events > 5


def test_a_trigger_refusal_is_a_conflict_on_both_stores(store, setup):
    from review.store.connection import driver_errors

    with pytest.raises(StoreConflict, match="append-only"), driver_errors():
        with store.transaction():
            store.db.execute("DELETE FROM events")
    assert events.verify_chain(store.db)[1] is None


@pytest.fixture
def server_url(postgres_server):
    name = postgres_server.new_database()
    yield postgres_server.url(name)
    postgres_server.drop(name)


def test_a_server_store_is_named_by_its_url_without_the_password(server_url):
    with wiring.open_store(server_url.replace("veil@", "veil:secret@")) as store:
        assert store.path is None and "secret" not in store.location
        assert store.name == server_url.split("/")[3].split("?")[0]
        assert probe.is_veil_store(server_url)
        with store.second_connection() as other:
            assert other.users() == store.users()


def test_a_server_schema_newer_than_this_veil_is_refused(server_url):
    with wiring.open_store(server_url) as store:
        with store.transaction():
            store.db.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES (?, ?, ?)",
                             ["review", "m999_future", "x"])
    with pytest.raises(StoreUnavailable, match="newer Veil.*review/m999_future"):
        wiring.open_store(server_url)


def test_an_empty_database_gets_every_step_in_one_go_and_a_second_open_applies_nothing(postgres_server):
    name = postgres_server.new_database()
    try:
        with psycopg.connect(postgres_server.url(name), autocommit=True) as conn:
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")
        assert not probe.is_veil_store(postgres_server.url(name))
        wiring.open_store(postgres_server.url(name)).close()
        with wiring.open_store(postgres_server.url(name)) as store:
            steps = store.db.execute("SELECT COUNT(*) FROM _sqlite_migrations").fetchone()[0]
            assert steps == sum(len(s._migrations) for s in wiring.schema_sets())
            assert store.add_user("ana", ["moderator"]).id == 1  # identities start where a rowid would
    finally:
        postgres_server.drop(name)


def test_one_writer_at_a_time_and_a_writer_kept_waiting_is_told_busy(server_url):
    with wiring.open_store(server_url) as store, wiring.open_store(server_url) as other:
        other.db.conn.execute("SET lock_timeout = '200ms'")
        holding, release = threading.Event(), threading.Event()

        def hold():
            with store.transaction():
                holding.set()
                release.wait(5)

        thread = threading.Thread(target=hold)
        thread.start()
        try:
            holding.wait(5)
            assert store.db.conn.execute("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s",
                                         [WRITE_LOCK]).fetchone()[0] == 1
            with pytest.raises(StoreBusy, match="try again"):
                other.add_user("ben", ["moderator"])
            assert not other.db.in_transaction  # what BEGIN opened in the lock's round trip was rolled back
        finally:
            release.set()
            thread.join()
        assert other.add_user("ben", ["moderator"]).name == "ben"  # the lock went with the transaction


def test_an_unreachable_server_says_so(tmp_path):
    with pytest.raises(StoreError, match="cannot open the store at postgresql://veil@/nowhere"):
        Store.open(f"postgresql://veil:pw@/nowhere?host={tmp_path}")


def test_verify_finds_nothing_wrong_in_a_fresh_server_store_and_names_a_dropped_trigger(server_url, setup_server):
    with wiring.open_store(server_url) as store:
        setup_server(store)
        report = integrity.check(store.db, wiring.schema_sets(), escalating={"escalate"})
        assert report.problems == ()
        store.db.conn.execute("DROP TRIGGER decisions_no_update ON decisions")
        report = integrity.check(store.db, wiring.schema_sets(), escalating={"escalate"})
    assert report.problems == ("the trigger decisions_no_update is missing (history can be rewritten without it)",)


@pytest.fixture
def setup_server():
    def fill(store):
        ana = store.add_user("ana", ["moderator"])
        store.add_queue("escalations", "escalation")
        queue = store.add_queue("spam", escalation_queue="escalations")
        store.add_items([{"external_id": f"x{i}", "queue_id": queue.id, "kind": "text", "text": "buy now",
                          "received_at": f"2026-01-05T08:0{i}:00.000Z"} for i in range(3)])
        lease = serving.claim_next(store, ana)
        decisions.decide(store, taxonomy.load(), ana, lease.item.id, claim=lease.claim, action="remove",
                         labels=["spam"])
    return fill


def test_store_and_veil_store_accept_a_url_and_keep_it_text(monkeypatch, tmp_path):
    from desktop import paths

    assert paths.store_path(tmp_path / "x.db") == tmp_path / "x.db"
    monkeypatch.setenv("VEIL_STORE", "postgresql://veil@db.example/site?sslmode=require")
    assert paths.store_path() == "postgresql://veil@db.example/site?sslmode=require"
    assert paths.store_path(str(tmp_path / "y.db")) == tmp_path / "y.db"  # --store wins over VEIL_STORE
    assert paths.demo_media_dir(paths.store_path()) == paths.home() / "servers" / "db.example-site.media"


@pytest.mark.parametrize(("raised", "said"), [
    (psycopg.errors.UniqueViolation, StoreConflict),
    (psycopg.errors.RaiseException, StoreConflict),
    (psycopg.errors.LockNotAvailable, StoreBusy),
    (psycopg.errors.SerializationFailure, StoreBusy),
    (psycopg.errors.DeadlockDetected, StoreBusy),
    (psycopg.errors.DiskFull, StoreFull),
    (psycopg.errors.AdminShutdown, StoreUnavailable),
    (psycopg.OperationalError, StoreUnavailable),
])
def test_the_servers_errors_become_veils_like_sqlites(raised, said):
    from review.store.connection import driver_errors

    with pytest.raises(said) as caught, driver_errors("saving"):
        raise raised("what the server said")
    assert isinstance(caught.value.__cause__, raised)
    assert str(caught.value).startswith("saving: ")


@pytest.mark.parametrize(("raised", "unreachable"), [
    (psycopg.errors.AdminShutdown("terminating connection due to administrator command"), True),
    (psycopg.errors.CannotConnectNow("the database system is starting up"), True),
    (psycopg.errors.ConnectionFailure("connection to server was lost"), True),
    (psycopg.OperationalError("server closed the connection unexpectedly"), True),
    (psycopg.OperationalError("consuming input failed: EOF detected"), True),
    (psycopg.OperationalError("number of parameters must be between 0 and 65535"), False),
    (psycopg.errors.QueryCanceled("canceling statement due to user request"), False),
])
def test_only_a_server_that_cannot_be_reached_is_said_unreachable(raised, unreachable):
    """The app tries an unreachable server again and says "reconnecting"; libpq refusing a statement itself is
    no outage, and trying it again cannot help: it is said as it is."""
    from review.store.server_errors import ServerUnreachable, veil_error

    got = veil_error(raised, "saving")
    assert isinstance(got, ServerUnreachable) is unreachable
    assert isinstance(got, StoreUnavailable | StoreBusy)


def test_a_statement_past_the_drivers_parameter_limit_is_no_outage(server_url):
    """Found in issue 22's work: an author's account once sent every item id as one list, and libpq's refusal
    came out as "the store's server cannot be reached" (and the app retried it)."""
    from review.store.server_errors import ServerUnreachable

    store = wiring.open_store(server_url)
    try:
        with pytest.raises(StoreUnavailable) as caught:
            store.db.execute(f"SELECT 1 WHERE 1 IN ({', '.join('?' * 70_000)})", list(range(70_000))).fetchall()
        assert not isinstance(caught.value, ServerUnreachable)
        assert "65535" in str(caught.value)
        assert store.db.execute("SELECT 1").fetchone() == (1,)  # the connection is fine
    finally:
        store.close()


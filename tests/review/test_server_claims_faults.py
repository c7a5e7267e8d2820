"""Clients that come and go (issue 15 §5): a client killed mid-decision loses nothing it committed and its lease
runs out; a server restart or a dropped connection costs the next call nothing.

The killed client is a real process (SIGKILL while its decision's transaction is open); on a file SQLite's
journal rolls it back, on a server the server does when the socket closes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from builders import people, text_items

from review import taxonomy
from review.desk import ReviewDesk
from review.store import events as event_log
from review.store import reconcile

#: A client that decides its first item, claims a second and dies with that decision's transaction open.
CLIENT = """
import sys, time
from desktop import wiring
from review import taxonomy
from review.clock import FakeClock
from review.desk import ReviewDesk
store = wiring.open_store(sys.argv[1], clock=FakeClock(sys.argv[2]))
desk, ana = ReviewDesk(taxonomy.load()), store.user("ana")
first = desk.claim(store, ana)
desk.decide(store, ana, first.item.id, "no_violation", claim=first.claim)
second = desk.claim(store, ana)
with store.transaction():
    desk.decide(store, ana, second.item.id, "no_violation", note="never committed", claim=second.claim)
    print(first.item.id, second.item.id, flush=True)
    time.sleep(600)
"""


@pytest.fixture
def desk():
    return ReviewDesk(taxonomy.load())


def test_a_client_killed_mid_decision_loses_nothing_committed_and_its_lease_runs_out(store, store_location, desk):
    store.add_queue("q")
    text_items(store, "q", 2)
    people(store, ana="moderator", ben="moderator")
    client = subprocess.Popen([sys.executable, "-c", CLIENT, str(store_location), store.now()],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = client.stdout.readline()
        assert line, client.stderr.read()
        decided, held = (int(n) for n in line.split())
    finally:
        os.kill(client.pid, signal.SIGKILL)
        client.wait(30)
    client.stdout.close()
    client.stderr.close()
    assert store.db.execute("SELECT item_id, note FROM decisions ORDER BY id").fetchall() == [(decided, "")]
    assert store.db.execute("SELECT state FROM items WHERE id = ?", [held]).fetchone()[0] == "pending"
    ben = store.user("ben")
    assert desk.claim(store, ben) is None  # the dead client's lease still holds the item
    store.clock.advance(seconds=601)
    shown = desk.claim(store, ben)  # it ran out: someone else gets the item
    assert shown is not None and shown.item.id == held
    desk.decide(store, ben, held, "no_violation", claim=shown.claim)
    assert event_log.verify_chain(store.db)[1] is None


@pytest.mark.server_only
def test_a_server_restart_mid_session_costs_the_next_call_nothing(store, postgres_server, desk):
    store.add_queue("q")
    text_items(store, "q", 3)
    ana = people(store, ana="moderator")["ana"]
    shown = desk.claim(store, ana)
    postgres_server.restart()
    made, _ = desk.decide(store, ana, shown.item.id, "no_violation", claim=shown.claim)  # the lease kept its item
    assert made.id and desk.claim(store, ana) is not None


def _drop_connection(store, server):
    """The server ends *store*'s connection (as a network cut or an administrator's pg_terminate_backend does)."""
    pid = int(store.db.execute("SELECT pg_backend_pid()").fetchone()[0])
    server.admin(f"SELECT pg_terminate_backend({pid})")


@pytest.mark.server_only
def test_a_dropped_connection_is_opened_again_by_the_next_call(store, postgres_server, desk):
    store.add_queue("q")
    text_items(store, "q", 3)
    ana = people(store, ana="moderator")["ana"]
    shown = desk.claim(store, ana)
    _drop_connection(store, postgres_server)
    assert store.queue("q").name == "q"  # a read opens it again
    _drop_connection(store, postgres_server)
    made, _ = desk.decide(store, ana, shown.item.id, "no_violation", claim=shown.claim)  # so does a write
    assert made.id


@pytest.fixture
def quick_connect_timeout(monkeypatch):
    from review.store import server

    monkeypatch.setitem(server.CONNECT_DEFAULTS, "connect_timeout", "2")  # libpq's shortest


def _in_thread(fn, seconds):
    """(finished within *seconds*, what *fn* raised or returned): a call that hangs must not hang the test run."""
    import threading

    outcome = []

    def run():
        try:
            outcome.append(fn())
        except Exception as exc:  # noqa: BLE001 - the test looks at it
            outcome.append(exc)
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    return not worker.is_alive(), (outcome or [None])[0]


@pytest.mark.server_only
def test_a_host_that_accepts_but_never_answers_is_unreachable_after_the_connect_timeout(
        store, postgres_server, quick_connect_timeout):
    from postgres import SilentHost, silent_url

    from review.store.server import ServerDatabase
    from review.store.server_errors import ServerUnreachable

    with SilentHost() as host:
        ended, got = _in_thread(lambda: ServerDatabase.connect(silent_url("veil", host.port)), 10)
    assert ended, "connecting to a silent host never gave up"
    assert isinstance(got, ServerUnreachable) and "timeout" in str(got)


@pytest.mark.server_only
def test_a_url_keeps_its_own_connection_settings(store):
    from review.store.server import _connect_defaults

    settings = _connect_defaults("postgresql://h/db?connect_timeout=30&keepalives_idle=1")
    assert "connect_timeout" not in settings and "keepalives_idle" not in settings
    assert settings["tcp_user_timeout"] and settings["keepalives_count"]


@pytest.mark.server_only
def test_a_sign_in_the_server_refuses_is_said_never_taken_for_an_outage(store, postgres_server):
    from review.errors import StoreUnavailable
    from review.store.server import ServerDatabase
    from review.store.server_errors import ServerUnreachable

    name = store.db.execute("SELECT current_database()").fetchone()[0]
    postgres_server.admin("DROP ROLE IF EXISTS veil_gone")
    # with a password: the server may be asking for them (another test's people_use_passwords)
    postgres_server.admin("CREATE ROLE veil_gone NOLOGIN PASSWORD 'gone'")  # as deactivating a person does
    try:
        with pytest.raises(StoreUnavailable) as refused:
            ServerDatabase.connect(f"postgresql://veil_gone:gone@/{name}?host={postgres_server.folder}")
        assert not isinstance(refused.value, ServerUnreachable)
        assert "deactivated" in str(refused.value)
    finally:
        postgres_server.admin("DROP ROLE veil_gone")
    with pytest.raises(StoreUnavailable) as missing:
        ServerDatabase.connect(postgres_server.url("no_such_database"))
    assert not isinstance(missing.value, ServerUnreachable) and "does not exist" in str(missing.value)
    with pytest.raises(ServerUnreachable):  # a server that is not there is an outage, tried again
        ServerDatabase.connect(f"postgresql://veil@/{name}?host={postgres_server.folder}&port=1")


@pytest.mark.server_only
def test_a_reader_on_another_thread_never_reopens_the_writers_connection(store, postgres_server):
    import time

    from review.store.server_errors import ServerUnreachable

    ended, _ = _in_thread(store.db.reconnect_only_here, 5)  # the app's writer thread claims it
    assert ended
    before = store.db.conn
    _drop_connection(store, postgres_server)
    started = time.monotonic()
    for _ in range(3):  # as the GUI thread's wellbeing tick, every second
        with pytest.raises(ServerUnreachable):
            store.db.execute("SELECT COUNT(*) FROM queues").fetchone()
        with pytest.raises(ServerUnreachable), store.transaction():
            store.db.execute("SELECT 1")
    assert time.monotonic() - started < 1 and store.db.conn is before  # failed at once; nothing replaced it
    store.db.reconnect_only_here(False)
    assert store.queues() == []  # any thread may reopen it again


@pytest.mark.server_only
def test_a_read_that_begins_with_with_is_run_again_after_a_dropped_connection(store, postgres_server):
    _drop_connection(store, postgres_server)
    assert store.db.execute("WITH q AS (SELECT COUNT(*) AS n FROM queues) SELECT n FROM q").fetchone()[0] == 0


@pytest.mark.server_only
def test_a_decision_rolled_back_by_a_deadlock_is_run_again_whole(store, desk, monkeypatch):
    import psycopg

    from review.errors import StoreBusy
    from review.store import leases

    store.add_queue("q")
    text_items(store, "q", 2)
    ana = people(store, ana="moderator")["ana"]
    shown = desk.claim(store, ana)
    hold, tries = leases.hold, []

    def deadlocked_once(*args, **kwargs):
        tries.append(1)
        if len(tries) == 1:
            raise StoreBusy("deadlock detected") from psycopg.errors.DeadlockDetected("deadlock detected")
        return hold(*args, **kwargs)
    monkeypatch.setattr(leases, "hold", deadlocked_once)
    made, _ = desk.decide(store, ana, shown.item.id, "no_violation", claim=shown.claim)
    assert len(tries) == 2 and made.id
    assert store.db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == 1


def test_a_decision_stored_late_keeps_the_moment_it_was_pressed(store, desk):
    store.add_queue("q")
    text_items(store, "q", 1)
    ana = people(store, ana="moderator")["ana"]
    shown = desk.claim(store, ana)
    shown_at = store.now()
    store.clock.advance(seconds=4)
    pressed = store.now()
    store.clock.advance(seconds=90)  # the server was away this long
    made, _ = desk.decide(store, ana, shown.item.id, "no_violation", shown_at=shown_at, claim=shown.claim,
                          decided_at=pressed)
    assert store.db.execute("SELECT decided_at, handle_ms FROM decisions").fetchone() == (pressed, 4000)
    assert made.decided_at == pressed
    assert list(reconcile.decision_problems(store.db)) == []  # the row and its event agree

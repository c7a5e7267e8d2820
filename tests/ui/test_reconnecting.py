"""Clients that come and go (issue 15 §5): while the store's server cannot be reached the app says "Reconnecting
to the server…" calmly, keeps the item on screen and what the moderator presses, and resumes when it is back.

Most tests fake the server: the desk's call (or the runner's write) raises ``ServerUnreachable`` — what a server
store raises when its server restarts or the connection drops — until the test brings it back. The ``server_only``
ones meet a real outage: the test server ends the connection and the store's URL then points at a host that
accepts and never answers, or the person's login is taken away. Nothing sleeps: the tests wait for what is shown.
"""

from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtCore import Qt

from review.store.server_errors import SaveUncertain, ServerUnreachable
from tests.ui.test_review_page import _close, _decided, _open_page, _start, workspace  # noqa: F401
from ui import operations
from ui.operations import Operations
from ui.widgets.reconnecting import ReconnectingStrip

#: A real server store (tests outside the domain suite get SQLite unless they ask); skipped without the test server.
on_server = pytest.mark.parametrize("store_kind", ["postgresql"])
DOWN = "cannot open the store at postgresql://db/veil: connection refused (the store's server cannot be reached)"


@pytest.fixture(autouse=True)
def _quick_pauses(monkeypatch):
    monkeypatch.setattr(operations, "_FIRST_RECONNECT_PAUSE_S", 0.01)
    monkeypatch.setattr(operations, "RECONNECT_PAUSE_S", 0.05)


class Server:
    """Down until :meth:`back`; :meth:`call` wraps a function to fail while it is down."""

    def __init__(self):
        self.down = threading.Event()
        self.down.set()
        self.tries = 0

    def back(self):
        self.down.clear()

    def call(self, fn):
        def wrapped(*args, **kwargs):
            self.tries += 1
            if self.down.is_set():
                raise ServerUnreachable(DOWN)
            return fn(*args, **kwargs)
        return wrapped


def test_a_write_waits_for_the_server_and_lands_once_with_those_after_it_in_order(qapp, qtbot, store):
    ops, server = Operations(store, max_threads=2), Server()
    states, done, failed = [], [], []
    ops.reconnecting.connect(states.append)
    try:
        ops.write(server.call(lambda s: s.add_queue("first").name), on_done=done.append, on_error=failed.append)
        ops.write(lambda s: s.add_queue("second").name, on_done=done.append, on_error=failed.append)
        qtbot.waitUntil(lambda: states == [True] and server.tries >= 3)
        assert done == [] and failed == []
        server.back()
        qtbot.waitUntil(lambda: done == ["first", "second"])
    finally:
        ops.close()
    assert states == [True, False] and failed == []  # said once each way: nothing flashes
    assert [q.name for q in store.queues()].count("first") == 1


def test_a_write_whose_save_is_uncertain_is_said_never_run_again(qapp, qtbot, store):
    ops, failed, runs = Operations(store, max_threads=2), [], []

    def lost_at_commit(s):
        runs.append(1)
        raise SaveUncertain("the connection was lost while saving: this may or may not have been saved")

    try:
        ops.write(lost_at_commit, on_error=failed.append)
        qtbot.waitUntil(lambda: bool(failed))
    finally:
        ops.close()
    assert runs == [1] and "may or may not have been saved" in str(failed[0])


def test_closing_while_the_server_is_away_does_not_wait_for_it_and_counts_what_was_not_saved(qapp, qtbot, store):
    ops, server, states = Operations(store, max_threads=2), Server(), []
    ops.reconnecting.connect(states.append)
    ops.write(server.call(lambda s: s.add_queue("never").name))
    ops.write(lambda s: s.add_queue("behind it").name)
    qtbot.waitUntil(lambda: states == [True])
    assert ops.close()
    assert [q.name for q in store.queues()] == [] and ops.unsaved == 2  # the one waiting and the one behind it


def test_closing_after_writes_that_landed_leaves_nothing_unsaved(qapp, qtbot, store):
    ops = Operations(store, max_threads=2)
    ops.write(lambda s: s.add_queue("kept").name)
    assert ops.close() and ops.unsaved == 0
    assert [q.name for q in store.queues()] == ["kept"]


def _lose_server(store, postgres_server, port):
    """A real outage: the server ends the store's connection, and its host then accepts and never answers."""
    from postgres import silent_url

    pid = int(store.db.execute("SELECT pg_backend_pid()").fetchone()[0])
    store.db.url = silent_url(store.db.execute("SELECT current_database()").fetchone()[0], port)
    postgres_server.admin(f"SELECT pg_terminate_backend({pid})")


@on_server
def test_closing_while_a_connect_hangs_is_bounded_and_says_what_was_not_saved(qapp, qtbot, store, postgres_server,
                                                                              monkeypatch):
    from postgres import SilentHost

    from review.store import server

    monkeypatch.setitem(server.CONNECT_DEFAULTS, "connect_timeout", "2")  # libpq's shortest
    ops, done, failed = Operations(store, max_threads=2), [], []
    with SilentHost() as host:
        _lose_server(store, postgres_server, host.port)
        ops.write(lambda s: s.add_queue("q").name, on_done=done.append, on_error=failed.append)
        qtbot.wait(200)  # the writer is in its connect now
        started = time.monotonic()
        assert ops.close()  # on the GUI thread: the writer ends when its connect gives up, and tries no more
        took = time.monotonic() - started
    assert took < 3 and ops.unsaved == 1 and done == []


def test_closing_waits_for_a_writer_that_cannot_end_only_so_long(qapp, store):
    """And the writer ending afterwards frees nothing on its own thread: its runner was its last reference, and the
    process crashed one run in two as the GUI thread delivered the runner's events (``ui.operations._OUTLIVED``)."""
    stuck, release = Operations(store, max_threads=2), threading.Event()
    stuck.write(lambda s: release.wait(10))
    started = time.monotonic()
    try:
        assert not stuck.close(writes_timeout_ms=200) and stuck.unsaved == 1  # False: the writer still runs
        assert time.monotonic() - started < 1
    finally:
        release.set()


@on_server
def test_the_wellbeing_tick_never_waits_for_the_server(qapp, qtbot, store, postgres_server):
    from builders import people
    from postgres import SilentHost

    from ui.wellbeing.controller import WellbeingController

    ana = people(store, ana="moderator")["ana"]
    ops, controller = Operations(store, max_threads=2), WellbeingController(store, ana)
    states = []
    ops.reconnecting.connect(states.append)
    try:
        controller.tick()
        with SilentHost() as host:
            _lose_server(store, postgres_server, host.port)
            ops.write(lambda s: s.add_queue("q").name)  # the writer reconnects, and waits on the silent host
            for _ in range(3):  # the timer's slot, on the GUI thread, each second of the outage
                started = time.monotonic()
                controller.tick()
                assert time.monotonic() - started < 0.5
            qtbot.waitUntil(lambda: states == [True], timeout=8000)  # the connect timed out: the strip's signal
            started = time.monotonic()
            controller.tick()
            assert time.monotonic() - started < 0.5
    finally:
        controller.close()
        ops.close(timeout_ms=1000)


@on_server
def test_a_person_whose_login_was_taken_away_is_told_never_shown_reconnecting(qapp, qtbot, store, postgres_server):
    from desktop import wiring
    from review.errors import StoreUnavailable

    postgres_server.admin("DROP ROLE IF EXISTS veil_zed")
    # with a password: the server may be asking for them (another test's people_use_passwords)
    postgres_server.admin("CREATE ROLE veil_zed LOGIN SUPERUSER PASSWORD 'zed'")
    name = store.db.execute("SELECT current_database()").fetchone()[0]
    store = wiring.open_store(f"postgresql://veil_zed:zed@/{name}?host={postgres_server.folder}")
    ops, states, failed = Operations(store, max_threads=2), [], []
    ops.reconnecting.connect(states.append)
    try:
        postgres_server.admin("ALTER ROLE veil_zed NOLOGIN")  # as deactivating the person does
        pid = int(store.db.execute("SELECT pg_backend_pid()").fetchone()[0])
        postgres_server.admin(f"SELECT pg_terminate_backend({pid})")
        ops.write(lambda s: s.add_queue("q").name, on_error=failed.append)
        qtbot.waitUntil(lambda: bool(failed), timeout=5000)
    finally:
        ops.close()
        store.close()
        postgres_server.admin("DROP ROLE veil_zed")
    assert states == [] and isinstance(failed[0], StoreUnavailable) and "deactivated" in str(failed[0])


def test_the_review_page_says_reconnecting_keeps_the_item_and_stores_the_decision_when_back(
        qtbot, workspace, monkeypatch):  # noqa: F811
    page = _open_page(qtbot, workspace)
    server = Server()
    try:
        _start(qtbot, page)
        item = page.item
        assert page.findChild(ReconnectingStrip) is None  # the window shows it, for every page's writes
        strip = ReconnectingStrip(page)  # as the window's, following the page's runner
        strip.follow(page.ops)
        assert not strip.isVisible()
        monkeypatch.setattr(page.desk, "decide", server.call(page.desk.decide))
        page.clock.advance(3)
        pressed = workspace.now()
        qtbot.keyClick(page, Qt.Key.Key_A)  # no violation, pressed while the server is away
        qtbot.waitUntil(strip.isVisible)
        assert strip.text().startswith("Reconnecting to the server…")
        assert page.item is not None and page.item.id == item.id and page.item_view.image.has_image
        assert "Not saved" not in page.decision.message.text()
        qtbot.waitUntil(lambda: server.tries >= 3)  # tried again, still kept
        assert workspace.db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == 0
        page.clock.advance(120)  # the outage lasts two minutes
        server.back()
        _decided(qtbot, page)
        qtbot.waitUntil(lambda: not strip.isVisible())
        assert workspace.db.execute("SELECT item_id, action FROM decisions").fetchall() == [(item.id, "no_violation")]
        decided_at, handle_ms = workspace.db.execute("SELECT decided_at, handle_ms FROM decisions").fetchone()
        assert decided_at == pressed and handle_ms < 60_000  # the moment pressed, not the outage's end
        assert page.item is not None and page.item.id != item.id  # the next item followed
    finally:
        _close(page)

"""The tests' check that no file store's connection is used by two threads at once (review.store.thread_check)."""

from __future__ import annotations

import threading

import pytest

from review.store import thread_check
from review.store.connection import connect

pytestmark = pytest.mark.file_only


@pytest.fixture
def noted(monkeypatch):
    """The overlaps noted during the test, kept apart from the suite's own check; and an event set at each."""
    event = threading.Event()

    class Noted(list):
        def append(self, found: str) -> None:
            super().append(found)
            event.set()

    found = Noted()
    monkeypatch.setattr(thread_check, "OVERLAPS", found)
    yield found, event
    found.clear()  # made on purpose: the suite's own check (tests/conftest.py) must not fail the test for them


def test_the_tests_open_file_stores_with_the_check(tmp_path):
    assert isinstance(connect(tmp_path / "s.db").conn, thread_check.CheckedConnection)


def test_a_statement_begun_while_another_threads_runs_is_noted(tmp_path, noted):
    found, event = noted
    db = connect(tmp_path / "s.db")
    inside = threading.Event()

    def waiting() -> int:  # runs inside the first thread's statement until the second's is noted
        inside.set()
        event.wait(10)
        return 1

    db.conn.create_function("waiting", 0, waiting)
    first = threading.Thread(target=lambda: db.conn.execute("SELECT waiting()").fetchall(), name="writer")
    first.start()
    assert inside.wait(10)
    db.conn.execute("SELECT 1").fetchall()  # the GUI thread, through the writer's connection
    first.join(10)
    assert len(found) == 1
    assert "'MainThread' began a statement on a connection while thread 'writer' ran one" in found[0]
    assert "test_thread_check.py" in found[0]  # where the second statement was begun


def test_one_thread_nesting_and_threads_with_connections_of_their_own_are_not_noted(tmp_path, noted):
    found, _ = noted
    db, other = connect(tmp_path / "s.db"), connect(tmp_path / "s.db")
    inside, done = threading.Event(), threading.Event()

    def waiting() -> int:
        inside.set()
        db.conn.execute("SELECT 2").fetchall()  # the same thread, inside its own statement
        done.wait(10)
        return 1

    db.conn.create_function("waiting", 0, waiting)
    first = threading.Thread(target=lambda: db.conn.execute("SELECT waiting()").fetchall())
    first.start()
    assert inside.wait(10)
    other.conn.execute("SELECT 1").fetchall()  # a connection of its own
    done.set()
    first.join(10)
    db.conn.execute("SELECT 1").fetchall()  # one after the other: not at once
    assert found == []

"""The window's GUI thread reads through a connection of its own, never the one its writer thread writes through."""

from __future__ import annotations

import threading

from builders import people
from PySide6.QtCore import QSettings

from desktop import app as desktop_app
from review.store import thread_check

_COUNT_TO_MILLIONS = ("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 3000000)"
                      " SELECT COUNT(*) FROM n")


def test_a_page_opened_while_a_write_runs_reads_through_a_connection_of_its_own(qtbot, store, tmp_path):
    """Pages read their settings on the GUI thread as they are built, and the sign-in page its list; the
    session's writer thread writes through the store meanwhile. Through the one connection the two overlapped,
    which can crash Python's sqlite3 (the tests' connection check found it: a lead opening a page while an
    automation judgement was written)."""
    people(store, lee="lead", ana="moderator")
    window = desktop_app.build_window(store, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    window.sign_in_as("lee")
    started = threading.Event()

    def long_write(writer):  # a statement of plain SQL that runs for a while (Python in it could deadlock here)
        started.set()
        return writer.db.execute(_COUNT_TO_MILLIONS).fetchall()

    ops = window.findChild(desktop_app.SessionOperations).current()
    ops.write(long_write)
    assert started.wait(10)
    assert window.show_page("escalations") is not None  # built now, its settings read on this thread
    window.sign_out()  # the sign-in list read again
    assert ops.wait_idle(10_000)
    assert thread_check.OVERLAPS == []

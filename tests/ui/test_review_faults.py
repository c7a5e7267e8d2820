"""The review page when the store fails under a decision: the disk is full, another program holds the store.

A decision that cannot be stored is said on screen in words a moderator can
act on, the item and the chosen labels and note stay so the same key can be
pressed again, and nothing is lost: the retry stores exactly one decision.
"""

from __future__ import annotations

import sqlite3
import threading

from PySide6.QtCore import Qt

from tests.ui.test_review_page import _close, _decided, _open_page, _settled, _start, workspace  # noqa: F401


class _FullDisk:
    """The writer connection on a full disk: every commit fails as SQLite's does ("database or disk is full").

    In WAL mode a full disk is met when the transaction's pages are written, at ``COMMIT``; everything else
    passes to the real connection, so reads and the rollback work as they do on a real full disk.
    """

    def __init__(self, conn):
        self._conn = conn

    def execute(self, sql, *args):
        if sql.strip().upper() == "COMMIT":
            error = sqlite3.OperationalError("database or disk is full")
            error.sqlite_errorcode = sqlite3.SQLITE_FULL
            raise error
        return self._conn.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._conn, name)


def _fill_the_disk(store):
    """Make *store*'s disk full; the returned function frees space again."""
    real = store.db.conn
    store.db.conn = _FullDisk(real)
    return lambda: setattr(store.db, "conn", real)


def test_a_full_disk_is_said_and_the_decision_stays_to_press_again(qtbot, workspace):  # noqa: F811
    page = _open_page(qtbot, workspace)
    try:
        _start(qtbot, page)
        item = page.item
        qtbot.keyClick(page, Qt.Key.Key_3)
        page.decision.note.setText("kept for the retry")
        free_space = _fill_the_disk(workspace)
        qtbot.keyClick(page, Qt.Key.Key_R)
        qtbot.waitUntil(lambda: "disk holding the store is full" in page.decision.message.text())
        _settled(qtbot, page)
        said = page.decision.message.text()
        assert said.startswith("Not saved") and "free some space" in said and "press its key again" in said
        assert page.item is not None and page.item.id == item.id
        assert page.decision.chosen_labels() == ["violent_graphic"]
        assert page.decision.note.text() == "kept for the retry"
        assert workspace.db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == 0
        free_space()
        qtbot.keyClick(page, Qt.Key.Key_R)
        _decided(qtbot, page)
        rows = workspace.db.execute("SELECT action, labels, note FROM decisions").fetchall()
        assert rows == [("remove", '["violent_graphic"]', "kept for the retry")]
    finally:
        _close(page)


def test_a_decision_made_while_an_import_holds_the_store_waits_and_lands(qtbot, workspace):  # noqa: F811
    """Another process (a lead's import) holds the write lock ten busy timeouts long: the decision is stored."""
    page = _open_page(qtbot, workspace)
    other = sqlite3.connect(str(workspace.path), isolation_level=None, check_same_thread=False)
    release = threading.Timer(1.0, lambda: other.execute("COMMIT"))
    try:
        _start(qtbot, page)
        workspace.db.execute("PRAGMA busy_timeout = 100")
        other.execute("BEGIN IMMEDIATE")
        release.start()
        qtbot.keyClick(page, Qt.Key.Key_A)
        qtbot.waitUntil(lambda: page.last_decision is not None or "Not saved" in page.decision.message.text(),
                        timeout=10_000)
        _settled(qtbot, page)
        assert "Not saved" not in page.decision.message.text()
        assert workspace.db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0] == 1
    finally:
        release.join()
        other.close()
        _close(page)

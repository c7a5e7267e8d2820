"""The store's faults said in words a person can act on: a full disk, a busy store, a place it cannot be opened.

Each is produced for real where the machine allows it (SQLite's own size limit for a full disk, a second
connection holding the write lock), and checked for the error's kind and its words.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess

import pytest

from desktop import wiring
from desktop.main import main
from review.errors import StoreFull, StoreUnavailable


def _text_rows(queue_id, size, count=1):
    return [{"external_id": f"big{n}", "queue_id": queue_id, "kind": "text", "text": "x" * size,
             "received_at": "2026-01-05T08:00:00.000Z"} for n in range(count)]


def test_a_full_disk_is_a_store_full_error_that_says_what_to_do(store):
    queue = store.add_queue("spam")
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count = {pages}")  # no more growth: SQLite says "database or disk is full"
    with pytest.raises(StoreFull, match="disk holding the store is full; free some space, then try again") as raised:
        store.add_items(_text_rows(queue.id, 1_000_000))
    assert isinstance(raised.value, StoreUnavailable)  # what front ends already catch
    assert isinstance(raised.value.__cause__, sqlite3.OperationalError)
    assert store.db.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 0  # rolled back whole
    store.db.execute("PRAGMA max_page_count = 1073741823")  # space freed: the same write now lands
    assert store.add_items(_text_rows(queue.id, 1_000_000)) == 1


@contextlib.contextmanager
def _read_only_folder(folder):
    """*folder* made unwritable for this process: its permissions, or for root (whom they do not stop) the
    immutable attribute; skipped where neither can be set."""
    if os.geteuid() != 0:
        folder.chmod(0o500)
        try:
            yield
        finally:
            folder.chmod(0o700)
        return
    if not shutil.which("chattr") or subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode:
        pytest.skip("running as root on a file system without the immutable attribute: cannot make a folder read-only")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def _a_store(folder):
    folder.mkdir()
    with wiring.open_store(folder / "veil.db") as made:
        made.add_user("lee", ["lead"])
    return folder / "veil.db"


def test_a_store_in_a_read_only_folder_says_so_and_what_to_do(tmp_path, capsys):
    path = _a_store(tmp_path / "shared")
    with _read_only_folder(path.parent):
        with pytest.raises(StoreUnavailable) as raised:
            wiring.open_store(path)
        with pytest.raises(SystemExit) as exited:
            main(["metrics", "--store", str(path), "--user", "lee"])
        assert exited.value.code == 2
    words = str(raised.value)
    assert "not a Veil store" not in words and "unable to open database file" not in words
    assert f"cannot write in its folder {path.parent}" in words and "write permission" in words
    err = capsys.readouterr().err
    assert "cannot write in its folder" in err and "not a Veil store" not in err


def test_a_store_whose_log_was_deleted_under_a_running_veil_says_so_and_what_to_do(tmp_path, capsys):
    path = _a_store(tmp_path / "team")
    with wiring.open_store(path) as running:  # a Veil that has the store open, its newest changes in the log
        running.db.execute("PRAGMA wal_autocheckpoint = 0")
        for n in range(20):
            running.add_queue(f"q{n}")
        path.with_name("veil.db-wal").unlink()  # someone "cleans up" the folder
        with pytest.raises(StoreUnavailable) as raised:
            wiring.open_store(path)
        with pytest.raises(SystemExit) as exited:
            main(["metrics", "--store", str(path), "--user", "lee"])
        assert exited.value.code == 2
    words = str(raised.value)
    assert "disk I/O error" not in words and "not a Veil store" not in words
    assert "write-ahead log veil.db-wal" in words and "is missing" in words and "backup" in words
    assert "write-ahead log veil.db-wal" in capsys.readouterr().err


def test_a_new_store_whose_log_was_deleted_is_not_called_another_programs_file(tmp_path, capsys):
    """Everything of a store not yet checkpointed is in its log: without it the file looks like no Veil store."""
    path = tmp_path / "veil.db"
    with wiring.open_store(path) as running:
        running.add_user("lee", ["lead"])
        path.with_name("veil.db-wal").unlink()
        with pytest.raises(StoreUnavailable, match="write-ahead log veil.db-wal, which holds the newest changes"):
            wiring.open_store(path)
        with pytest.raises(SystemExit):
            main(["metrics", "--store", str(path), "--user", "lee"])
    err = capsys.readouterr().err
    assert "write-ahead log veil.db-wal" in err and "not a Veil store" not in err


def test_a_write_to_a_store_that_became_read_only_says_what_to_do(store, store_kind):
    if store_kind == "sqlite":
        store.db.execute("PRAGMA query_only = ON")  # SQLite's own "attempt to write a readonly database"
    else:
        store.db.execute("SET default_transaction_read_only = on")  # a server's read-only transaction
    with pytest.raises(StoreUnavailable, match="nothing was saved; ask .*write permission"):
        store.add_queue("spam")

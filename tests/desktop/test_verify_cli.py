"""``veil verify`` on the command line: --json, --expect anchors, exit codes; read-only commands leave
files that are not Veil stores exactly as they were (issue 11, "History")."""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3

import pytest

from desktop import wiring
from desktop.main import main
from review.store import events


@pytest.fixture
def store_file(tmp_path):
    path = tmp_path / "v.db"
    with wiring.open_store(path) as store:
        store.add_user("lee", ["lead"])
        store.add_queue("spam")
    return path


def verify(capsys, path, *args):
    code = main(["verify", "--store", str(path), "--json", *args])
    return code, json.loads(capsys.readouterr().out)


def _tamper(path, sql, *drop, restore=True):
    """Run *sql* as a forger would, with the *drop* triggers out of the way (and put back, if *restore*)."""
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
        marks = ", ".join("?" * len(drop))
        triggers = [r[0] for r in conn.execute(f"SELECT sql FROM sqlite_master WHERE name IN ({marks})", drop)]
        for trigger in drop:
            conn.execute(f"DROP TRIGGER {trigger}")
        conn.execute(sql)
        for trigger in triggers if restore else ():
            conn.execute(trigger)


def test_json_gives_the_head_and_no_problems(store_file, capsys):
    code, report = verify(capsys, store_file)
    with wiring.open_store(store_file) as store:
        head = events.head(store.db)
    assert code == 0
    assert report["events"] == head.events == 2 and report["head"] == head.hash
    assert report["ok"] is True and report["problems"] == [] and report["anchors"] == []
    assert "review/m009_append_only_guards" in report["schema"]


def test_json_lists_every_problem_and_exits_1(store_file, capsys):
    _tamper(store_file, "UPDATE users SET roles = 'lead,auditor'")
    _tamper(store_file, "INSERT INTO users (name, display_name, roles, created_at) VALUES ('eve', 'e', 'lead', 'x')")
    code, report = verify(capsys, store_file)
    assert code == 1 and report["ok"] is False
    assert len(report["problems"]) == 2
    assert any("'eve'" in p for p in report["problems"]) and any("'lee'" in p for p in report["problems"])


def test_text_output_names_the_problems(store_file, capsys):
    _tamper(store_file, "UPDATE events SET actor = 'mallory' WHERE id = 1", "events_no_update", restore=False)
    assert main(["verify", "--store", str(store_file)]) == 1
    out = capsys.readouterr().out
    assert "BROKEN at row 1" in out and "trigger events_no_update is missing" in out
    assert "problems (2):" in out
    assert "schema: NOT as Veil makes it (1 problems)" in out


def test_verify_reports_the_file_as_it_is_and_never_upgrades_it(store_file, capsys):
    """Opening as a store would re-create a removed schema step and its triggers, then call the file intact."""
    guards = ("decisions_no_replace", "events_no_replace", "wellbeing_events_no_replace", "wellbeing_lifts_no_replace")
    _tamper(store_file, "DELETE FROM _sqlite_migrations WHERE name = 'm009_append_only_guards'", restore=False)
    for trigger in guards:
        _tamper(store_file, f"DROP TRIGGER {trigger}", restore=False)
    before = hashlib.sha256(store_file.read_bytes()).hexdigest()
    code, report = verify(capsys, store_file)
    assert code == 1
    assert "schema step review/m009_append_only_guards was never applied" in report["problems"]
    assert all(any(f"trigger {t} is missing" in p for p in report["problems"]) for t in guards)
    assert hashlib.sha256(store_file.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in store_file.parent.iterdir()) == ["v.db"]  # no backup, -wal or -shm left


def test_an_anchor_after_an_edited_event_does_not_hold(store_file, capsys):
    """Editing event 1 without recomputing leaves event 2's hash as it was: the anchor still fails."""
    _, first = verify(capsys, store_file)
    _tamper(store_file, "UPDATE events SET actor = 'mallory' WHERE id = 1", "events_no_update")
    code, report = verify(capsys, store_file, "--expect", f"{first['events']}:{first['head']}")
    assert code == 1
    assert report["anchors"] == [{"events": first["events"], "head": first["head"], "ok": False}]
    assert any("before it, breaks the hash chain" in p for p in report["problems"])


def test_an_anchor_holds_through_growth(store_file, capsys):
    _, first = verify(capsys, store_file)
    with wiring.open_store(store_file) as store:
        store.add_queue("later")
    anchor = f"{first['events']}:{first['head']}"
    code, report = verify(capsys, store_file, "--expect", anchor, "--expect", f"0:{events.GENESIS}")
    assert code == 0, report["problems"]
    assert report["events"] == 3
    assert report["anchors"] == [{"events": 2, "head": first["head"], "ok": True},
                                 {"events": 0, "head": events.GENESIS, "ok": True}]


def test_a_truncated_log_fails_its_anchor(store_file, capsys):
    _, first = verify(capsys, store_file)
    _tamper(store_file, "DELETE FROM events WHERE id = 2", "events_no_delete")
    _tamper(store_file, "DELETE FROM queues")
    code, report = verify(capsys, store_file, "--expect", f"2:{first['head']}")
    assert code == 1 and report["anchors"][0]["ok"] is False
    assert report["problems"] == [f"anchor 2:{first['head']}: the log now ends at event 1, before event 2: "
                                  "events were removed since the anchor was taken (the log was truncated)"]


def test_a_recomputed_chain_fails_its_anchor(store_file, capsys):
    _, first = verify(capsys, store_file)
    with contextlib.closing(sqlite3.connect(store_file, isolation_level=None)) as conn:
        trigger = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'events_no_update'").fetchone()[0]
        conn.execute("DROP TRIGGER events_no_update")
        conn.execute("UPDATE events SET at = '2020-01-01T00:00:00.000Z' WHERE id = 1")
        prev = events.GENESIS
        for row in conn.execute("SELECT id, at, actor, kind, subject, payload FROM events ORDER BY id").fetchall():
            digest = events.row_hash(prev, *row)
            conn.execute("UPDATE events SET prev_hash = ?, hash = ? WHERE id = ?", [prev, digest, row[0]])
            prev = digest
        conn.execute(trigger)
    assert verify(capsys, store_file)[0] == 0  # consistent in the file: only the anchor can tell
    code, report = verify(capsys, store_file, "--expect", f"2:{first['head']}")
    assert code == 1
    assert "event 2 now carries" in report["problems"][0] and "recomputed" in report["problems"][0]


def test_an_anchor_beyond_a_missing_event_fails(store_file, capsys):
    code, report = verify(capsys, store_file, "--expect", f"9:{'a' * 64}")
    assert code == 1 and "truncated" in report["problems"][0]


@pytest.mark.parametrize("anchor", ["2", "2:xyz", "two:" + "a" * 64])
def test_a_malformed_anchor_is_a_usage_error(store_file, capsys, anchor):
    with pytest.raises(SystemExit) as exit_:
        main(["verify", "--store", str(store_file), "--expect", anchor])
    assert exit_.value.code == 2
    assert "not an anchor" in capsys.readouterr().err


def test_the_demo_workspace_verifies(tmp_path, capsys):
    path = tmp_path / "demo.db"
    assert main(["demo", "--store", str(path), "--items", "40"]) == 0
    capsys.readouterr()
    code, report = verify(capsys, path)
    assert (code, report["problems"]) == (0, [])


# ------------------------------------------------ files that are not Veil stores
def _other_apps_database(path):
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        conn.execute("INSERT INTO notes (body) VALUES ('mine')")
        conn.commit()


def _empty(path):
    path.write_bytes(b"")


def _text(path):
    path.write_text("not a database\n" * 50)


@pytest.mark.parametrize("make", [_other_apps_database, _empty, _text])
@pytest.mark.parametrize("command", [["verify"], ["verify", "--json"], ["metrics"], ["sample"],
                                     ["export", "audits", "--format", "csv", "--out", "OUT"]])
def test_a_file_that_is_not_a_veil_store_is_refused_unchanged(tmp_path, capsys, make, command):
    other = tmp_path / "other.db"
    make(other)
    before = hashlib.sha256(other.read_bytes()).hexdigest()
    argv = [str(tmp_path / "out.csv") if a == "OUT" else a for a in command]
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--store", str(other)])
    assert exit_.value.code == 2
    assert f"{other} is not a Veil store" in capsys.readouterr().err
    assert hashlib.sha256(other.read_bytes()).hexdigest() == before
    assert {p.name for p in tmp_path.iterdir()} - {"veil-home"} == {"other.db"}  # no -wal, -shm or out.csv


@pytest.mark.parametrize("make", [_other_apps_database, _text])
@pytest.mark.parametrize("command", [["demo", "--items", "5"], ["--user", "lee", "import", "MANIFEST"]])
def test_commands_that_create_a_store_leave_another_programs_file_unchanged(tmp_path, capsys, make, command):
    other = tmp_path / "other.db"
    make(other)
    manifest = tmp_path / "items.jsonl"
    manifest.write_text('{"id": "p1", "queue": "spam", "kind": "text", "text": "hello"}\n')
    before = hashlib.sha256(other.read_bytes()).hexdigest()
    argv = [str(manifest) if a == "MANIFEST" else a for a in command]
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--store", str(other)])
    assert exit_.value.code == 2
    assert f"{other} is not a Veil store" in capsys.readouterr().err
    assert hashlib.sha256(other.read_bytes()).hexdigest() == before
    assert {p.name for p in tmp_path.iterdir()} - {"veil-home"} == {"other.db", "items.jsonl"}


def test_a_veil_store_in_use_is_recognised(store_file, capsys):
    """A store another process has open keeps its newest pages in the -wal file; it is still a Veil store."""
    with wiring.open_store(store_file) as store:
        store.add_queue("while open")
        code, report = verify(capsys, store_file)
    assert code == 0, report["problems"]
    assert report["events"] == 3


_STOPPED_MID_WRITE = """
import os, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA journal_mode = DELETE")  # as veil demo's bulk load writes: its undo in a -journal file
conn.execute("PRAGMA cache_size = 1")  # pages reach the file before the commit
conn.execute("BEGIN IMMEDIATE")
conn.execute("CREATE TABLE half_built (x)")
conn.executemany("INSERT INTO events (at, actor, kind, subject, payload, prev_hash, hash) VALUES (?, 'x', 'k', 's', "
                 "'{}', 'p', 'h')", [(str(n),) for n in range(3000)])
os._exit(9)  # killed before the commit
"""


def test_a_store_left_mid_write_is_said_and_verifies_once_opened(store_file, capsys):
    """A program killed in the middle of a write in rollback-journal mode (``veil demo``'s bulk load) leaves its
    undo beside the store; verify read the half-written pages as they were ("database disk image is malformed")."""
    import subprocess
    import sys

    subprocess.run([sys.executable, "-c", _STOPPED_MID_WRITE, str(store_file)], check=False)
    assert store_file.with_name(store_file.name + "-journal").stat().st_size > 0
    with pytest.raises(SystemExit) as stopped:
        main(["verify", "--store", str(store_file), "--json"])
    assert stopped.value.code == 2
    said = capsys.readouterr().err
    assert "in the middle of a write" in said and "open it once with Veil" in said
    with wiring.open_store(store_file):  # a normal open rolls the write back
        pass
    code, report = verify(capsys, store_file)
    assert code == 0 and report["ok"], report

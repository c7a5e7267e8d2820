"""``veil hashlist``: import (every bad line said as FILE:LINE, exit 1, nothing imported), list --json, rename,
remove, export and its round trip, a moderator refused (exit 2), and ``veil match --json``'s list rows."""

from __future__ import annotations

import json

import pytest
from builders import people

from desktop import wiring
from desktop.main import main
from review.clock import FakeClock
from review.media.fingerprint import text_sha256

MD5 = "0123456789abcdef" * 2


@pytest.fixture
def site(tmp_path):
    path = tmp_path / "floor.db"
    with wiring.open_store(path, clock=FakeClock("2026-01-20T09:00:00Z")) as store:
        people(store, ana="moderator", lee="lead")
        queue = store.add_queue("texts")
        store.add_items([{"external_id": "waiting", "queue_id": queue.id, "kind": "text", "text": "Buy cheap pills",
                          "content_sha256": text_sha256("Buy cheap pills"), "received_at": "2026-01-20T08:00:00Z"}])
    return str(path)


def _veil(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_import_list_rename_remove_as_a_lead(site, tmp_path, capsys):
    listed = tmp_path / "spam.csv"
    listed.write_text(f"signal_type,signal,tag\ntext,buy CHEAP pills,pills\nmd5,{MD5},\nmd5,{MD5},\n",
                      encoding="utf-8")
    code, out, err = _veil(capsys, "hashlist", "import", str(listed), "--name", "known-spam", "--action", "remove",
                           "--labels", "spam", "--store", site, "--user", "lee")
    assert code == 0, err
    assert "created known-spam (version 1): 2 new entries, 1 duplicates, from 3 lines" in out
    assert "1 matches among the pending items" in out  # the item already waiting was matched
    code, out, _ = _veil(capsys, "hashlist", "list", "--json", "--store", site, "--user", "ana")
    [row] = json.loads(out)
    assert code == 0 and {k: row[k] for k in ("name", "entries", "action", "labels", "automated", "dihedral",
                                              "version", "created_by", "changed_by")} == {
        "name": "known-spam", "entries": {"md5": 1, "text": 1}, "action": "remove", "labels": ["spam"],
        "automated": False, "dihedral": False, "version": 1, "created_by": "lee", "changed_by": "lee"}
    assert _veil(capsys, "hashlist", "rename", "known-spam", "spam", "--store", site, "--user", "lee")[0] == 0
    assert _veil(capsys, "hashlist", "remove", "spam", "--store", site, "--user", "lee")[0] == 0
    assert json.loads(_veil(capsys, "hashlist", "list", "--json", "--store", site, "--user", "lee")[1]) == []


def test_bad_lines_are_said_and_nothing_is_imported(site, tmp_path, capsys):
    listed = tmp_path / "bad.csv"
    listed.write_text(f"signal_type,signal\nmd5,{MD5}\npdq,nothex\nsha1,{MD5}\n", encoding="utf-8")
    code, out, err = _veil(capsys, "hashlist", "import", str(listed), "--name", "x", "--store", site,
                           "--user", "lee")
    assert code == 1 and out == ""
    assert f"{listed}:3: pdq must be 64 hex digits" in err and f"{listed}:4: unknown signal type 'sha1'" in err
    assert json.loads(_veil(capsys, "hashlist", "list", "--json", "--store", site, "--user", "lee")[1]) == []
    code, _, err = _veil(capsys, "hashlist", "import", str(listed), "--name", "x", "--action", "delete",
                         "--store", site, "--user", "lee")
    assert code == 1  # the file is checked first; with a good file the action is refused:
    good = tmp_path / "good.txt"
    good.write_text(f"{MD5}\n", encoding="utf-8")
    code, _, err = _veil(capsys, "hashlist", "import", str(good), "--signal-type", "md5", "--name", "x",
                         "--action", "delete", "--store", site, "--user", "lee")
    assert code == 2 and "unknown action 'delete'" in err


def test_a_moderator_reads_lists_but_may_not_change_them(site, tmp_path, capsys):
    good = tmp_path / "good.txt"
    good.write_text(f"{MD5}\n", encoding="utf-8")
    code, _, err = _veil(capsys, "hashlist", "import", str(good), "--signal-type", "md5", "--name", "x",
                         "--store", site, "--user", "ana")
    assert code == 2 and "only a lead" in err
    assert _veil(capsys, "hashlist", "list", "--store", site, "--user", "ana")[1].strip() == "no hash lists"
    for action in (["rename", "x", "y"], ["remove", "x"], ["export", "--action", "remove", "--out",
                                                            str(tmp_path / "o.csv")]):
        code, _, err = _veil(capsys, "hashlist", *action, "--store", site, "--user", "ana")
        assert code == 2 and "only a lead" in err


def test_export_round_trips_and_match_names_the_list(site, tmp_path, capsys):
    from review import decisions

    with wiring.open_store(site, clock=FakeClock("2026-01-20T09:00:00Z")) as store:
        item = store.db.execute("SELECT id FROM items").fetchone()[0]
        decisions.record_past_decision(store, item_id=item, user="ana", action="remove", labels=["spam"],
                                       decided_at="2026-01-20T08:30:00Z")
    out = tmp_path / "ours.csv"
    code, said, err = _veil(capsys, "hashlist", "export", "--action", "remove", "--out", str(out), "--store", site,
                            "--user", "lee")
    assert code == 0, err
    assert "wrote 1 items decided remove" in said
    assert out.read_text(encoding="utf-8") == (f"signal_type,signal,tag,note\n"
                                               f"text_sha256,{text_sha256('buy cheap pills')},remove,\n")
    assert _veil(capsys, "hashlist", "import", str(out), "--name", "ours", "--store", site, "--user", "lee")[0] == 0
    code, said, _ = _veil(capsys, "match", "--text", "BUY cheap pills", "--json", "--store", site, "--user", "ana")
    matches = json.loads(said)[0]["matches"]
    assert {"source": "list", "list": "ours", "tag": "remove", "item_id": None, "distance": 0,
            "action": None} in matches
    assert any(m["source"] == "store" and m["item_id"] == item for m in matches)

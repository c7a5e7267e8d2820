"""Hash lists (issue 20 §3): the file format and every bad-line reason, all-or-nothing imports, duplicates,
versions, who may change lists, rename/remove/export, and ``veil verify`` staying clean."""

from __future__ import annotations

import csv

import pytest
from builders import decided_item, events, people, sql_as_veil, text_items

from desktop import wiring
from review import taxonomy
from review.errors import NotAllowed
from review.known import intake as known_intake
from review.known import list_files, list_matching, lists
from review.media.fingerprint import text_sha256
from review.store import hashlists, integrity
from review.store.reconcile_hashlists import hashlist_problems
from review.store.schema import migrations

PDQ = "5a" * 32
MD5 = "0123456789abcdef" * 2
SHA = "ab" * 32


@pytest.fixture
def policy():
    return taxonomy.load()


@pytest.fixture
def floor(store):
    people(store, lee="lead", ana="moderator", dana="auditor")
    store.add_queue("general")
    return store


def _file(tmp_path, text, name="list.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _import(store, path, policy, **options):
    options.setdefault("name", "known-spam")
    return lists.import_list(store, "lee", path, taxonomy=policy, **options)


def test_a_csv_list_is_imported_with_duplicates_counted_not_doubled(floor, tmp_path, policy):
    path = _file(tmp_path, "signal_type,signal,tag,note\n"
                           f"pdq,{PDQ.upper()},tag-a,from a partner\n"
                           f"md5,{MD5},,\n"
                           f"md5,{MD5},again,\n"
                           f"sha256,{SHA}\n"
                           "text,Buy  CHEAP pills,spam,\n"
                           f"text_sha256,{text_sha256('buy cheap pills')},spam,\n"
                           "\n")
    done = _import(floor, path, policy)
    assert (done.version, done.created, done.lines, done.added, done.duplicates) == (1, True, 6, 4, 2)
    [row] = lists.lists(floor, "ana")  # a moderator may read the lists
    assert row.entries == {"pdq": 1, "md5": 1, "sha256": 1, "text": 1}
    stored = floor.db.execute("SELECT signal_type, signal, tag FROM hash_list_entries ORDER BY id").fetchall()
    assert stored[0] == ("pdq", PDQ, "tag-a")  # hex kept in lower case
    assert ("text", text_sha256("buy cheap pills"), "spam") in stored  # a text is kept as its normal form's hash
    [event] = events(floor, "hashlist.imported")
    assert event.actor == "lee" and event.payload["added"] == 4 and event.payload["duplicates"] == 2


@pytest.mark.parametrize(("line", "reason"), [
    ("phash,abc", "unknown signal type 'phash'"),
    ("pdq,abc", "pdq must be 64 hex digits"),
    (f"md5,{'g' * 32}", "md5 must be 32 hex digits"),
    (f"sha256,{'a' * 63}", "sha256 must be 64 hex digits"),
    ("text,   ", "the text is empty"),
    ("md5", "expected 4 fields"),
    (f"md5,{MD5},a,b,c", "expected 4 fields"),
    (f"md5,{MD5},{'t' * 201},", "the tag is longer than 200 characters"),
])
def test_each_bad_line_is_said_with_file_and_line_and_nothing_is_imported(floor, tmp_path, policy, line, reason):
    path = _file(tmp_path, f"signal_type,signal,tag,note\nsha256,{SHA},,\n{line}\n")
    with pytest.raises(list_files.ListFileError) as caught:
        _import(floor, path, policy)
    assert caught.value.problems == [f"{path}:3: {caught.value.problems[0].split(': ', 1)[1]}"]
    assert reason in caught.value.problems[0]
    assert floor.db.execute("SELECT COUNT(*) FROM hash_lists").fetchone()[0] == 0
    assert floor.db.execute("SELECT COUNT(*) FROM hash_list_entries").fetchone()[0] == 0
    assert events(floor, "hashlist.imported") == []


def test_every_bad_line_is_listed_and_bytes_that_are_not_utf8_are_one(floor, tmp_path, policy):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"signal_type,signal\npdq,xyz\nmd5,\xff\xfe\n" + f"sha256,{SHA}\nmd5,short\n".encode())
    with pytest.raises(list_files.ListFileError) as caught:
        _import(floor, path, policy)
    assert [p.split(": ", 1)[0] for p in caught.value.problems] == [f"{path}:2", f"{path}:3", f"{path}:5"]
    assert "not UTF-8" in caught.value.problems[1]
    assert "4 bad lines" not in str(caught.value) and "3 bad lines, nothing imported" in str(caught.value)


def test_a_header_is_needed_unless_the_signal_type_is_given(floor, tmp_path, policy):
    plain = _file(tmp_path, f"# shared by a partner\n{MD5}\n\n{MD5.upper()}\n{'f' * 32}\n", "hashes.txt")
    with pytest.raises(list_files.ListFileError, match="needs --signal-type"):
        _import(floor, plain, policy)
    done = _import(floor, plain, policy, signal_type="md5")
    assert (done.lines, done.added, done.duplicates) == (3, 2, 1)
    with pytest.raises(list_files.ListFileError, match="the header must be"):
        _import(floor, _file(tmp_path, "signal_type,hash\n"), policy)
    with pytest.raises(list_files.ListFileError, match="leave out --signal-type"):
        _import(floor, _file(tmp_path, f"signal_type,signal\nmd5,{MD5}\n"), policy, signal_type="md5")


def test_importing_into_a_list_adds_a_version_and_keeps_its_settings(floor, tmp_path, policy):
    _import(floor, _file(tmp_path, f"signal_type,signal\nmd5,{MD5}\n"), policy, action="remove", labels=["spam"])
    again = _import(floor, _file(tmp_path, f"signal_type,signal\nmd5,{MD5}\nsha256,{SHA}\n"), policy)
    assert (again.version, again.created, again.added, again.duplicates) == (2, False, 1, 1)
    row = hashlists.list_named(floor, "known-spam")
    assert (row.version, row.action, row.labels, row.automated) == (2, "remove", ("spam",), False)
    versions = floor.db.execute("SELECT signal_type, version FROM hash_list_entries ORDER BY id").fetchall()
    assert versions == [("md5", 1), ("sha256", 2)]


@pytest.mark.parametrize(("options", "words"), [
    ({"action": "delete"}, "unknown action 'delete'"),
    ({"action": "remove"}, "needs at least one policy label"),
    ({"action": "remove", "labels": ["spamm"]}, "Unknown policy label 'spamm'"),
    ({"labels": ["spamm"]}, "unknown label 'spamm'"),
    ({"action": "escalate"}, "a list cannot"),
    ({"automated": True}, "an automated list needs an action"),
    ({"name": "  "}, "needs a name"),
])
def test_actions_and_labels_must_be_the_taxonomys(floor, tmp_path, policy, options, words):
    with pytest.raises(lists.ListError, match=words):
        _import(floor, _file(tmp_path, f"signal_type,signal\nmd5,{MD5}\n"), policy, **options)
    assert floor.db.execute("SELECT COUNT(*) FROM hash_lists").fetchone()[0] == 0


def test_only_leads_change_lists_and_auditors_do_not_read_them(floor, tmp_path, policy):
    path = _file(tmp_path, f"signal_type,signal\nmd5,{MD5}\n")
    with pytest.raises(NotAllowed, match="only a lead"):
        lists.import_list(floor, "ana", path, name="x", taxonomy=policy)
    _import(floor, path, policy)
    for change in (lambda: lists.rename_list(floor, "ana", "known-spam", "y"),
                   lambda: lists.remove_list(floor, "ana", "known-spam"),
                   lambda: lists.export_list(floor, "ana", "remove", tmp_path / "out.csv", taxonomy=policy),
                   lambda: lists.match_pending(floor, "ana", "known-spam", since_version=1)):
        with pytest.raises(NotAllowed):
            change()
    with pytest.raises(NotAllowed):
        lists.lists(floor, "dana")
    assert [row.name for row in lists.lists(floor, "lee")] == ["known-spam"]


def test_rename_and_remove_are_one_event_each_and_remove_takes_the_matches(floor, tmp_path, policy):
    _import(floor, _file(tmp_path, "signal_type,signal,tag\ntext,hello there,greeting\n"), policy)
    [item] = text_items(floor, "general", 1, text="Hello   THERE", content_sha256=text_sha256("Hello   THERE"))
    with floor.transaction():
        known_intake.after_items_added(floor, [item], actor="lee")
    lists.rename_list(floor, "lee", "known-spam", "greetings")
    assert [m.list for m in list_matching.matches_of(floor, [item])[item]] == ["greetings"]
    with pytest.raises(lists.ListError, match="there is no hash list 'known-spam'"):
        lists.rename_list(floor, "lee", "known-spam", "other")
    lists.remove_list(floor, "lee", "greetings")
    assert list_matching.matches_of(floor, [item]) == {}
    assert [(e.kind, e.payload.get("old"), e.payload.get("name")) for e in events(floor)
            if e.kind.startswith("hashlist.")] == [("hashlist.imported", None, "known-spam"),
                                                   ("hashlist.renamed", "known-spam", None),
                                                   ("hashlist.removed", None, "greetings")]
    assert floor.db.execute("SELECT COUNT(*) FROM hash_list_entries").fetchone()[0] == 0


def test_an_export_lists_the_teams_removed_content_and_imports_back(floor, tmp_path, policy):
    decided_item(floor, "general", "ana", decided_at="2026-01-05T09:00:00Z", action="remove", labels=["spam"],
                 text="Buy pills", content_sha256=text_sha256("Buy pills"))
    decided_item(floor, "general", "ana", decided_at="2026-01-05T09:01:00Z", action="no_violation",
                 text="Hello", content_sha256=text_sha256("Hello"))
    floor.add_items([{"external_id": "pic", "queue_id": floor.queue("general").id, "kind": "image",
                      "received_at": "2026-01-05T08:00:00Z", "media_path": "ab/x.png", "content_sha256": SHA,
                      "content_md5": MD5, "pdq": f"{PDQ}:100 {'00' * 32}:0"}])
    from review import decisions
    picture = floor.db.execute("SELECT id FROM items WHERE external_id = 'pic'").fetchone()[0]
    decisions.record_past_decision(floor, item_id=picture, user="ana", action="remove", labels=["spam"],
                                   decided_at="2026-01-05T09:02:00Z")
    out = tmp_path / "ours.csv"
    assert lists.export_list(floor, "lee", "remove", out, taxonomy=policy) == 2
    with open(out, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["signal_type", "signal", "tag", "note"]
    assert sorted(r[:3] for r in rows[1:]) == sorted([
        ["text_sha256", text_sha256("Buy pills"), "remove"], ["sha256", SHA, "remove"], ["md5", MD5, "remove"],
        ["pdq", PDQ, "remove"]])  # a flat keyframe (quality 0) is not shared; the text itself never is
    assert "Buy pills" not in out.read_text(encoding="utf-8")
    assert [e.payload["items"] for e in events(floor, "hashlist.exported")] == [2]
    back = _import(floor, out, policy, name="ours")
    assert (back.lines, back.added) == (4, 4)


def test_verify_stays_clean_on_a_store_with_lists_and_matches(floor, tmp_path, policy):
    _import(floor, _file(tmp_path, "signal_type,signal\ntext,hello\n"), policy, action="remove", labels=["spam"],
            automated=True)
    [item] = text_items(floor, "general", 1, text="hello", content_sha256=text_sha256("hello"))
    with floor.transaction():
        known_intake.after_items_added(floor, [item], actor="lee")
    lists.rename_list(floor, "lee", "known-spam", "greetings")
    problems = integrity.check(floor.db, [migrations, *wiring.migration_sets()], escalating={"escalate"}).problems
    assert problems == ()


def test_the_lists_replay_from_their_events_and_a_change_behind_veils_back_is_found(floor, tmp_path, policy):
    _import(floor, _file(tmp_path, f"signal_type,signal\nmd5,{MD5}\nsha256,{SHA}\n"), policy, action="remove",
            labels=["spam"])
    _import(floor, _file(tmp_path, f"signal_type,signal\npdq,{PDQ}\n"), policy, dihedral=True)
    _import(floor, _file(tmp_path, "signal_type,signal\ntext,gone\n"), policy, name="short-lived")
    lists.rename_list(floor, "lee", "known-spam", "spam")
    lists.remove_list(floor, "lee", "short-lived")
    assert hashlist_problems(floor.db) == []
    sql_as_veil(floor, "UPDATE hash_lists SET automated = 1 WHERE name = 'spam'")
    sql_as_veil(floor, "INSERT INTO hash_list_entries (list_id, signal_type, signal, version, import_token)"
                       " SELECT id, 'md5', ?, 1, 1 FROM hash_lists WHERE name = 'spam'", ["f" * 32])
    [problem] = hashlist_problems(floor.db)
    assert problem.startswith("hash list 1 is “spam” v2, decides remove (spam), dihedral, 4 entries, but its "
                              "hashlist events say “spam” v2, suggests remove (spam), dihedral, 3 entries")


def test_an_import_is_seen_only_once_published_and_a_failed_one_leaves_nothing(floor, tmp_path, policy, monkeypatch):
    monkeypatch.setattr(lists, "WRITE_CHUNK", 1)  # a transaction per entry: the write lock is free in between
    _import(floor, _file(tmp_path, f"signal_type,signal\nmd5,{MD5}\n"), policy)
    path = _file(tmp_path, f"signal_type,signal\nsha256,{SHA}\ntext,hello\n", "more.csv")
    seen = []

    def midway(done, total):  # the first new entry is committed, unpublished: nobody may see it yet
        [row] = lists.lists(floor, "lee")
        seen.append((done, hashlists.exact_lookup(floor, "sha256", SHA), row.version, row.entries))

    written = hashlists.add_entries
    calls = []

    def failing(*args):  # the second chunk's write fails (a full disk, a lost server)
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the disk is full")
        return written(*args)

    monkeypatch.setattr(hashlists, "add_entries", failing)
    with pytest.raises(RuntimeError, match="the disk is full"):
        lists.import_list(floor, "lee", path, name="known-spam", taxonomy=policy, progress=midway)
    assert seen == [(1, [], 1, {"md5": 1})]
    assert floor.db.execute("SELECT signal_type, version FROM hash_list_entries").fetchall() == [("md5", 1)]
    assert hashlist_problems(floor.db) == [] and len(events(floor, "hashlist.imported")) == 1
    calls.clear()
    with pytest.raises(RuntimeError):  # a new list that fails leaves no list behind either
        lists.import_list(floor, "lee", path, name="new", taxonomy=policy)
    assert [row.name for row in lists.lists(floor, "lee")] == ["known-spam"]
    assert floor.db.execute("SELECT COUNT(*) FROM hash_lists").fetchone()[0] == 1
    monkeypatch.setattr(hashlists, "add_entries", written)
    done = _import(floor, path, policy)
    assert (done.version, done.added) == (2, 2)

"""Hash lists hardened after review (issue 20 §3–§4): tags and notes that could reach a moderator's screen as
markup or break a server store are refused at import, lines are read with a cap and every line is checked,
two imports never mix in one list, list ids are never reused, an import does not force every process to
rebuild its PDQ index, turned pictures are hashed only for a dihedral list with PDQ entries, an automated list
acts after cases, and a blind auditor learns nothing of lists (domain and server)."""

from __future__ import annotations

import json

import pytest
from builders import IMPORTER, people, text_item

from review import serving, taxonomy
from review.known import facts, list_files, list_matching, lists
from review.known import intake as known_intake
from review.media.fingerprint import text_sha256
from review.store import hashlists
from review.store.reconcile_hashlists import hashlist_problems

MD5 = "0123456789abcdef" * 2


@pytest.fixture
def policy():
    return taxonomy.load()


@pytest.fixture
def floor(store):
    people(store, lee="lead", lou="lead", ana="moderator", dana="auditor")
    store.add_queue("general")
    return store


def _file(tmp_path, text, name="list.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _md5s(tmp_path, name, numbers):
    return _file(tmp_path, "signal_type,signal\n" + "".join(f"md5,{n:032x}\n" for n in numbers), name)


def _refused(store, path, policy, **options):
    with pytest.raises(list_files.ListFileError) as refusal:
        lists.import_list(store, "lee", path, name=options.pop("name", "x"), taxonomy=policy, **options)
    assert store.db.execute("SELECT COUNT(*) FROM hash_list_entries").fetchone()[0] == 0
    return refusal.value.problems


# ------------------------------------------------------------------ 1, 9: what a tag or note may hold
@pytest.mark.parametrize(("tag", "reason"), [
    ('<img src="/tmp/x.png">', "the tag may not hold '<'"),
    ("ta\x00g", "the tag holds the control or format character U+0000"),
    ("evil\u202etxt", "the tag holds the control or format character U+202E"),
    ("a>b", "the tag may not hold '>'"),
])
def test_a_tag_that_would_render_as_markup_or_break_a_server_store_is_a_bad_line(floor, tmp_path, policy, tag,
                                                                                  reason):
    path = tmp_path / "l.csv"
    path.write_bytes(f"signal_type,signal,tag\nmd5,{MD5},ok\nmd5,{'1' * 32},{tag}\n".encode())
    assert _refused(floor, path, policy) == [f"{path}:3: {reason}"]


def test_a_note_with_a_control_character_is_a_bad_line(floor, tmp_path, policy):
    path = _file(tmp_path, f"signal_type,signal,tag,note\nmd5,{MD5},t,bell\x07here\n")
    assert _refused(floor, path, policy) == [f"{path}:2: the note holds the control or format character U+0007"]


# ------------------------------------------------------------------ 6, 7, 8: reading the file
def test_a_line_too_long_is_reported_and_the_lines_after_it_are_still_checked(floor, tmp_path, policy):
    path = _file(tmp_path, f"signal_type,signal,tag\nmd5,{MD5},{'x' * 200_000}\nmd5,nothex\nmd5,{'2' * 32}\n")
    assert _refused(floor, path, policy) == [
        f"{path}:2: line too long (over {list_files.MAX_LINE:,} characters)",
        f"{path}:3: md5 must be 32 hex digits, not 'nothex'"]


def test_a_first_line_too_long_is_reported_not_a_crash(floor, tmp_path, policy):
    path = _file(tmp_path, "signal_type," + "s" * 200_000 + "\n")
    problems = _refused(floor, path, policy)
    assert problems[0] == f"{path}:1: line too long (over {list_files.MAX_LINE:,} characters)"


def test_an_unterminated_quote_is_a_bad_line_not_a_tag_swallowing_the_lines_after(floor, tmp_path, policy):
    path = _file(tmp_path, f"signal_type,signal,tag\nmd5,{MD5},\"unterminated\nmd5,{'1' * 32}\nmd5,{'2' * 32}\n")
    [problem] = _refused(floor, path, policy)
    assert problem.startswith(f"{path}:2: ")


def test_a_plain_text_list_keeps_lines_that_start_with_a_hash_sign(floor, tmp_path, policy):
    path = _file(tmp_path, "#freecrypto click here\n#giveaway DM me\nplain spam text\n", "texts.txt")
    done = lists.import_list(floor, "lee", path, name="texts", taxonomy=policy, signal_type="text")
    assert done.added == 3
    assert hashlists.exact_lookup(floor, "text", text_sha256("#giveaway DM me"))
    md5s = _file(tmp_path, f"# a comment\n{MD5}\n", "md5s.txt")  # other plain files keep their comments
    assert lists.import_list(floor, "lee", md5s, name="md5s", taxonomy=policy, signal_type="md5").added == 1


# ------------------------------------------------------------------ 2, 10: one import at a time, ids kept
def test_a_second_import_into_a_list_is_refused_while_the_first_runs(floor, tmp_path, policy, monkeypatch):
    monkeypatch.setattr(lists, "WRITE_CHUNK", 2)
    monkeypatch.setattr("review.known.lists.yield_writer", lambda: None)
    lists.import_list(floor, "lee", _md5s(tmp_path, "base.csv", [0]), name="x", taxonomy=policy)
    second = _md5s(tmp_path, "b.csv", range(100, 106))
    refusals = []

    def midway(done, total):  # the first import has written a chunk; another lead starts one into the same list
        if not refusals:
            with pytest.raises(lists.ListError, match="lee is importing into the hash list 'x'") as refused:
                lists.import_list(floor, "lou", second, name="x", taxonomy=policy)
            refusals.append(refused.value)

    done = lists.import_list(floor, "lee", _md5s(tmp_path, "a.csv", range(1, 7)), name="x", taxonomy=policy,
                             progress=midway)
    assert refusals and (done.version, done.added) == (2, 6)
    assert floor.db.execute("SELECT COUNT(*) FROM hash_list_entries WHERE signal >= ?",
                            [f"{100:032x}"]).fetchone()[0] == 0
    assert hashlist_problems(floor.db) == []


def test_two_imports_making_one_new_list_never_mix(floor, tmp_path, policy, monkeypatch):
    monkeypatch.setattr(lists, "WRITE_CHUNK", 2)
    monkeypatch.setattr("review.known.lists.yield_writer", lambda: None)
    tried = []

    def midway(done, total):
        if not tried:
            tried.append(1)
            with pytest.raises(lists.ListError, match="is importing"):
                lists.import_list(floor, "lou", _md5s(tmp_path, "b.csv", range(100, 106)), name="x", taxonomy=policy)

    lists.import_list(floor, "lee", _md5s(tmp_path, "a.csv", range(1, 7)), name="x", taxonomy=policy, progress=midway)
    assert floor.db.execute("SELECT COUNT(*), MIN(version) FROM hash_list_entries").fetchone() == (6, 1)
    assert hashlist_problems(floor.db) == []


def _die_midway(store, path, policy, monkeypatch, name="x"):
    """An import whose process dies after its first chunk: nothing drops what it wrote."""
    monkeypatch.setattr(lists, "WRITE_CHUNK", 2)
    monkeypatch.setattr("review.known.lists.yield_writer", lambda: None)
    monkeypatch.setattr(hashlists, "drop_import", lambda *_args: None)

    def die(done, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        lists.import_list(store, "lee", path, name=name, taxonomy=policy, progress=die)
    monkeypatch.undo()


def test_a_dead_import_is_listed_by_verify_blocks_its_list_until_stale_then_is_dropped(floor, tmp_path, policy,
                                                                                     monkeypatch):
    _die_midway(floor, _md5s(tmp_path, "a.csv", range(1, 7)), policy, monkeypatch)
    [said] = hashlist_problems(floor.db)
    assert "unfinished import by lee" in said
    again = _md5s(tmp_path, "b.csv", range(100, 103))
    with pytest.raises(lists.ListError, match="is importing"):
        lists.import_list(floor, "lou", again, name="x", taxonomy=policy)
    floor.clock.advance(lists.STALE_MINUTES * 60 + 1)
    done = lists.import_list(floor, "lou", again, name="x", taxonomy=policy)
    assert (done.created, done.version, done.added) == (True, 1, 3)
    assert floor.db.execute("SELECT COUNT(*) FROM hash_list_entries").fetchone()[0] == 3  # the dead one's went
    assert hashlist_problems(floor.db) == []


def test_removing_a_list_clears_a_stale_import_into_it(floor, tmp_path, policy, monkeypatch):
    lists.import_list(floor, "lee", _md5s(tmp_path, "base.csv", [0]), name="x", taxonomy=policy)
    _die_midway(floor, _md5s(tmp_path, "a.csv", range(1, 7)), policy, monkeypatch)
    floor.clock.advance(lists.STALE_MINUTES * 60 + 1)
    lists.remove_list(floor, "lee", "x")
    assert floor.db.execute("SELECT COUNT(*) FROM hash_lists").fetchone()[0] == 0
    assert floor.db.execute("SELECT COUNT(*) FROM hash_list_entries").fetchone()[0] == 0
    assert hashlist_problems(floor.db) == []


def test_removing_a_list_only_a_dead_import_made_frees_its_name(floor, tmp_path, policy, monkeypatch):
    _die_midway(floor, _md5s(tmp_path, "a.csv", range(1, 7)), policy, monkeypatch)
    with pytest.raises(lists.ListError, match="is importing"):
        lists.remove_list(floor, "lee", "x")
    floor.clock.advance(lists.STALE_MINUTES * 60 + 1)
    lists.remove_list(floor, "lee", "x")
    assert floor.db.execute("SELECT COUNT(*) FROM hash_lists").fetchone()[0] == 0
    lists.import_list(floor, "lee", _md5s(tmp_path, "b.csv", [1]), name="other", taxonomy=policy)
    lists.rename_list(floor, "lee", "other", "x")  # the name is free again
    assert hashlist_problems(floor.db) == []


def test_a_removed_lists_id_is_never_given_again(floor, tmp_path, policy):
    lists.import_list(floor, "lee", _md5s(tmp_path, "a.csv", [1]), name="a", taxonomy=policy)
    lists.import_list(floor, "lee", _md5s(tmp_path, "b.csv", [2]), name="b", taxonomy=policy)
    removed = hashlists.list_named(floor, "b").id
    lists.remove_list(floor, "lee", "b")
    lists.import_list(floor, "lee", _md5s(tmp_path, "c.csv", [3]), name="c", taxonomy=policy)
    assert hashlists.list_named(floor, "c").id > removed
    assert hashlist_problems(floor.db) == []


# ------------------------------------------------------------------ 5, 11: the PDQ index
def test_an_import_that_deletes_nothing_does_not_make_every_process_rebuild(floor, tmp_path, policy):
    lists.import_list(floor, "lee", _md5s(tmp_path, "a.csv", [1]), name="x", taxonomy=policy)
    removals = hashlists.changes(floor)[1]
    lists.import_list(floor, "lee", _md5s(tmp_path, "b.csv", [2, 3]), name="x", taxonomy=policy)
    lists.import_list(floor, "lee", _md5s(tmp_path, "c.csv", [4]), name="new", taxonomy=policy)
    assert hashlists.changes(floor)[1] == removals
    lists.remove_list(floor, "lee", "new")
    assert hashlists.changes(floor)[1] == removals + 1


def test_the_index_arrays_are_as_long_as_the_pdq_entries(floor, tmp_path, policy):
    from review.known import list_index

    lists.import_list(floor, "lee", _md5s(tmp_path, "a.csv", range(1, 500)), name="md5s", taxonomy=policy)
    pdq = "5a" * 32
    lists.import_list(floor, "lee", _file(tmp_path, f"signal_type,signal\npdq,{pdq}\n", "p.csv"), name="p",
                      taxonomy=policy)
    loaded = list_index.current(floor)
    assert len(loaded.entry_ids) == len(loaded.entry_lists) == len(loaded.entry_versions) == 1
    entries, _ = loaded.index.search_arrays(pdq, 0)
    assert loaded.lists_of(entries).tolist() == [hashlists.list_named(floor, "p").id]


# ------------------------------------------------------------------ 3: turning pictures
def test_pictures_are_turned_only_for_a_dihedral_list_with_pdq_entries(floor, tmp_path, policy, monkeypatch):
    from pdq_pictures import picture

    from review.imports import manifest as importer

    people(floor, **{IMPORTER: "lead"})
    lists.import_list(floor, "lee", _md5s(tmp_path, "a.csv", [0]), name="md5-only", taxonomy=policy, dihedral=True)
    lists.import_list(floor, "lee", _file(tmp_path, "signal_type,signal\npdq," + "5a" * 32 + "\n", "b.csv"),
                      name="pdq-plain", taxonomy=policy)
    turned = []
    monkeypatch.setattr(list_matching, "_turned", lambda _store, media_path, _sha256: turned.append(media_path) or [])
    rows = []
    for n in range(3):
        picture(n).save(tmp_path / f"p{n}.png")
        rows.append({"id": f"p{n}", "queue": "general", "media": f"p{n}.png"})
    (tmp_path / "m.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    importer.import_manifest(floor, tmp_path / "m.jsonl", actor=IMPORTER)
    assert turned == []


def test_an_imports_pictures_are_turned_by_its_media_check_not_at_intake(floor, tmp_path, policy, monkeypatch):
    from pdq_pictures import mirrored, picture

    from review.imports import manifest as importer
    from review.media import intake

    people(floor, **{IMPORTER: "lead"})
    picture(7).save(tmp_path / "original.png")
    listed = intake.inspect(tmp_path / "original.png").pdq.split(":")[0]
    lists.import_list(floor, "lee", _file(tmp_path, f"signal_type,signal,tag\npdq,{listed},turned\n"), name="turns",
                      taxonomy=policy, dihedral=True)
    mirrored(picture(7)).save(tmp_path / "copy.png")
    in_transaction = []
    monkeypatch.setattr(list_matching, "_read_turned", lambda *_a: in_transaction.append(1) or [])
    (tmp_path / "m.jsonl").write_text(json.dumps({"id": "c", "queue": "general", "media": "copy.png"}) + "\n")
    importer.import_manifest(floor, tmp_path / "m.jsonl", actor=IMPORTER)
    item = floor.db.execute("SELECT id FROM items WHERE external_id = 'c'").fetchone()[0]
    assert in_transaction == []
    assert [m.list for m in list_matching.matches_of(floor, [item])[item]] == ["turns"]


# ------------------------------------------------------------------ 13: lists act after cases
def test_a_list_acts_after_the_chunk_has_joined_its_cases(floor, tmp_path, policy, monkeypatch):
    from review.known import cases

    order = []
    monkeypatch.setattr(cases, "join_chunk", lambda *_a, **_k: order.append("cases"))
    real = list_matching._act
    monkeypatch.setattr(list_matching, "_act", lambda *a: (order.append("list action"), real(*a)))
    lists.import_list(floor, "lee", _file(tmp_path, "signal_type,signal\ntext,buy pills\n"), name="x",
                      taxonomy=policy, action="remove", labels=["spam"])
    item = text_item(floor, "general", text="buy pills", content_sha256=text_sha256("buy pills"))
    with floor.transaction():
        known_intake.after_items_added(floor, [item], actor="lee")
    assert order == ["cases", "list action"]
    assert list_matching.matches_of(floor, [item])[item][0].list == "x"


# ------------------------------------------------------------------ 4: a blind auditor
def test_a_pure_auditor_is_told_nothing_known_not_even_a_case_or_suggestion(floor, tmp_path, policy):
    text = "known scam"
    lists.import_list(floor, "lee", _file(tmp_path, f"signal_type,signal,tag\ntext,{text},scam\n"), name="x",
                      taxonomy=policy, action="remove", labels=["spam"])
    item = text_item(floor, "general", text=text, content_sha256=text_sha256(text))
    with floor.transaction():
        known_intake.after_items_added(floor, [item], actor="lee")
    shown = serving.load_item(floor, item)
    assert facts.known(floor, floor.user("ana"), shown).suggestion is not None  # a moderator is told
    assert facts.known(floor, floor.user("dana"), shown) == facts.Known()

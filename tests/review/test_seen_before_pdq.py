""""Seen before" on the new hashes: exact copies (SHA-256 of bytes or normal text) and PDQ near copies,
counted from the in-memory content index, kept current as decisions come and go, and never from a scan of
every live decision in SQL (issue 22: 2.3 s for 50,000 copies; benchmarks/bench_seen_before.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pdq_pictures import half_size, picture
from PIL import Image

from review import decisions, near_copies, rehash, serving, taxonomy
from review.errors import NotAllowed
from review.media import fingerprint, intake
from review.store import hashes
from review.store.connection import executemany


@pytest.fixture
def policy():
    return taxonomy.load()


def _hex(value: int) -> str:
    return f"{value:064x}"


BASE = int("5a" * 32, 16)


def _items(store, rows):
    queue = store.queue("images") if any(q.name == "images" for q in store.queues()) else store.add_queue("images")
    store.add_items([{"queue_id": queue.id, "kind": "image", "received_at": "2026-01-05T08:00:00Z", **row}
                     for row in rows])
    return {ext: i for ext, i in store.db.execute("SELECT external_id, id FROM items")}


def _decide(store, item_id, action, minute=30):
    return decisions.record_past_decision(store, item_id=item_id, user="ana", action=action,
                                          decided_at=f"2026-01-05T08:{minute:02d}:00Z")


def test_exact_and_near_copies_are_counted_with_the_nearest_distance(store):
    store.add_user("ana", ["moderator"])
    ids = _items(store, [
        {"external_id": "same-bytes", "content_sha256": "aa" * 32, "pdq": _hex(BASE ^ 0xFFFF << 60)},
        {"external_id": "4-bits", "content_sha256": "bb" * 32, "pdq": _hex(BASE ^ 0b1111)},
        {"external_id": "12-bits", "content_sha256": "cc" * 32, "pdq": _hex(BASE ^ 0xFFF << 100)},
        {"external_id": "undecided", "content_sha256": "dd" * 32, "pdq": _hex(BASE ^ 1)},
        {"external_id": "far", "content_sha256": "ee" * 32, "pdq": _hex(BASE ^ (1 << 40) - 1)},
        {"external_id": "new", "content_sha256": "aa" * 32, "pdq": _hex(BASE)},
    ])
    for name, action in (("same-bytes", "remove"), ("4-bits", "remove"), ("12-bits", "no_violation"),
                         ("far", "remove")):
        _decide(store, ids[name], action)
    seen = decisions.seen_before(store, serving.load_item(store, ids["new"]))
    assert seen == {"remove": 2, "no_violation": 1} and list(seen) == ["remove", "no_violation"]
    assert seen.bits == 0  # the same bytes (its own PDQ is 16 bits off: the SHA-256 decides)
    nearest = decisions.seen_before(store, serving.load_item(store, ids["undecided"]))
    assert nearest == {"remove": 2, "no_violation": 1} and nearest.bits == 3  # the 4-bit copy is 3 bits from it


def test_two_items_are_copies_when_either_would_count_the_other_in_seen_before(store):
    """The desk asks this after a decision (does it change what was looked up ahead?): the same SHA-256, or a PDQ
    hash of either within the threshold (31 bits by default) of one of the other's."""
    other = BASE ^ ((1 << 128) - 1)
    ids = _items(store, [
        {"external_id": "new", "content_sha256": "aa" * 32, "pdq": _hex(BASE)},
        {"external_id": "same-bytes", "content_sha256": "aa" * 32, "pdq": _hex(BASE ^ 0xFFFF << 60)},
        {"external_id": "31-bits", "content_sha256": "bb" * 32, "pdq": _hex(BASE ^ (1 << 31) - 1)},
        {"external_id": "32-bits", "content_sha256": "cc" * 32, "pdq": _hex(BASE ^ (1 << 32) - 1)},
        {"external_id": "a clip with it", "content_sha256": "dd" * 32, "pdq": f"{_hex(other)} {_hex(BASE ^ 1)}"},
        {"external_id": "no hash", "content_sha256": None, "pdq": None},
    ])
    items = {name: serving.load_item(store, item_id) for name, item_id in ids.items()}
    new = (items["new"].content_sha256, items["new"].pdq)
    assert {name: near_copies.are_copies(store, new, (item.content_sha256, item.pdq))
            for name, item in items.items() if name != "new"} == {
        "same-bytes": True, "31-bits": True, "32-bits": False, "a clip with it": True, "no hash": False}


def test_a_videos_keyframes_each_find_their_copies(store):
    store.add_user("ana", ["moderator"])
    other = BASE ^ ((1 << 128) - 1)
    ids = _items(store, [
        {"external_id": "clip", "content_sha256": "aa" * 32, "pdq": f"{_hex(BASE)} {_hex(other)}"},
        {"external_id": "still of its middle", "content_sha256": "bb" * 32, "pdq": _hex(other ^ 0b111)},
    ])
    _decide(store, ids["still of its middle"], "remove")
    seen = decisions.seen_before(store, serving.load_item(store, ids["clip"]))
    assert seen == {"remove": 1} and seen.bits == 3


def test_texts_are_copies_by_their_normal_form(store):
    store.add_user("ana", ["moderator"])
    queue = store.add_queue("texts")
    store.add_items([{"external_id": name, "queue_id": queue.id, "kind": "text", "text": text,
                      "content_sha256": fingerprint.text_sha256(text), "received_at": "2026-01-05T08:00:00Z"}
                     for name, text in (("a", "Buy CHEAP  pills"), ("b", "buy cheap pills"), ("c", "other"))])
    _decide(store, 1, "remove")
    _decide(store, 3, "no_violation")
    assert decisions.seen_before(store, serving.load_item(store, 2)) == {"remove": 1}


def test_the_counts_follow_decisions_undone_and_remade_while_the_index_is_warm(store, setup, policy):
    ana, _, _ = setup
    third = serving.load_item(store, 3)
    assert decisions.seen_before(store, third) == {}
    first = serving.claim_next(store, ana)
    made = decisions.decide(store, policy, ana, first.item.id, claim=first.claim, action="remove", labels=["spam"])
    assert decisions.seen_before(store, third) == {"remove": 1}
    again = decisions.undo(store, ana, made.id)
    assert decisions.seen_before(store, third) == {}
    decisions.decide(store, policy, ana, again.item.id, claim=again.claim, action="no_violation")
    assert decisions.seen_before(store, third) == {"no_violation": 1}
    store.add_items([{"external_id": "x9", "queue_id": store.queue("spam").id, "kind": "text", "text": "buy now",
                      "content_sha256": "same", "received_at": "2026-01-05T09:00:00.000Z"}])
    decisions.record_past_decision(store, item_id=4, user="ben", action="remove", decided_at="2026-01-05T09:01:00Z")
    assert decisions.seen_before(store, third) == {"no_violation": 1, "remove": 1}  # a new item, decided


def test_the_look_up_reads_only_what_came_since_by_primary_key(file_store):
    """The reads behind "Seen before" once the index is loaded: events past the last read and items past the
    highest id read (primary key ranges), and an item's outcome through the covering item index, never the
    revokes_id index. SQLite's plans (the statements are the same on PostgreSQL)."""
    store = file_store
    plans = {
        "items": "SELECT id, content_sha256, pdq FROM items WHERE id > ? ORDER BY id LIMIT ?",
        "events": "SELECT id, kind, subject FROM events WHERE id > ? AND kind IN (?) ORDER BY id",
        "current": f"SELECT d.item_id, d.action FROM decisions d WHERE d.item_id IN (?, ?) AND {hashes._CURRENT}",
    }
    found = {name: " | ".join(r[-1] for r in store.db.execute(f"EXPLAIN QUERY PLAN {sql}",
                                                               [1, 2][: sql.count("?")]).fetchall())
             for name, sql in plans.items()}
    assert found["items"].startswith("SEARCH items USING INTEGER PRIMARY KEY (rowid>?)")
    assert found["events"].startswith("SEARCH events USING INTEGER PRIMARY KEY (rowid>?)")
    assert "decisions_item_live" in found["current"] and "SCAN" not in found["current"]
    assert not found["current"].startswith("SEARCH d USING INDEX decisions_revokes")


def test_rehash_gives_old_media_md5_and_pdq_and_lists_what_it_cannot_read(store, tmp_path):
    store.add_user("ana", ["moderator"])
    lee = store.add_user("lee", ["lead"])
    files = []
    for n, image in enumerate([picture(1), half_size(picture(1)), picture(2)]):
        path = tmp_path / f"p{n}.png"
        image.save(path)
        files.append(path)
    gone = tmp_path / "gone.png"
    Image.new("RGB", (20, 20)).save(gone)
    rows = [{"external_id": f"p{n}", "media_path": str(path), "media_type": "image/png",
             "content_sha256": intake.inspect(path).sha256} for n, path in enumerate([*files, gone])]
    ids = _items(store, rows)  # as m019 leaves media imported before it: SHA-256 only
    gone.unlink()
    _decide(store, ids["p0"], "remove")
    assert decisions.seen_before(store, serving.load_item(store, ids["p1"])) == {}
    with pytest.raises(NotAllowed):
        rehash.rehash(store, store.user("ana"))
    progress = []
    done = rehash.rehash(store, lee, progress=lambda n, total: progress.append((n, total)), batch=2)
    assert done.hashed == 3 and [i for i, _ in done.unreadable] == [ids["p3"]]
    assert progress == [(2, 4), (4, 4)]
    md5, sha, quality = store.db.execute(
        "SELECT content_md5, content_sha256, pdq_quality FROM items WHERE id = ?", [ids["p0"]]).fetchone()
    assert (md5, sha) == fingerprint.file_digests(files[0]) and quality > 0
    seen = decisions.seen_before(store, serving.load_item(store, ids["p1"]))  # the index was rebuilt
    assert seen == {"remove": 1} and 0 < seen.bits <= 31
    again = rehash.rehash(store, lee)
    assert again.hashed == 0 and [i for i, _ in again.unreadable] == [ids["p3"]]  # listed each run
    logged = [json.loads(p) for (p,) in store.db.execute(
        "SELECT payload FROM events WHERE kind = 'media.rehashed' ORDER BY id")]  # one per batch: Ctrl+C keeps them
    assert [(e["hashed"], e["unreadable"], len(e["items"])) for e in logged] == [(2, 0, 2), (1, 1, 1), (0, 1, 0)]


def test_the_copies_of_50_000_items_are_counted_without_reading_them_one_by_one(store):
    """A smaller copy of the benchmark: every copy counted once, the item itself left out."""
    store.add_user("ana", ["moderator"])
    queue = store.add_queue("images")
    picture_hash = _hex(BASE)
    store.add_items([{"external_id": f"c{n}", "queue_id": queue.id, "kind": "image", "content_sha256": "ab" * 32,
                      "pdq": picture_hash, "received_at": "2026-01-05T08:00:00Z"} for n in range(2001)])
    user = store.user("ana").id
    with store.transaction():
        executemany(
            store.db, "INSERT INTO decisions (item_id, user_id, queue_id, action, decided_at, client_version, source)"
            " VALUES (?, ?, ?, ?, '2026-01-05T09:00:00.000Z', 'test', 'history')",
            [(n, user, queue.id, ("remove", "no_violation")[n % 2]) for n in range(1, 2001)])
    seen = decisions.seen_before(store, serving.load_item(store, 2001))
    assert seen == {"remove": 1000, "no_violation": 1000} and seen.bits == 0
    assert np.all(np.asarray(list(seen.values())) == 1000)


def test_m019_drops_the_old_hash_and_rehashes_texts_by_their_normal_form(tmp_path):
    """The step on the tables it changes as m004 left them: the 64-bit phash and its band indexes go."""
    import sqlite_utils

    db = sqlite_utils.Database(tmp_path / "old.db")
    db.executescript("""
        CREATE TABLE items (id INTEGER PRIMARY KEY, text TEXT NOT NULL DEFAULT '', media_path TEXT,
                            content_sha256 TEXT, phash TEXT);
        CREATE INDEX items_phash ON items (phash);
        CREATE INDEX items_phash_band1 ON items (substr(phash, 1, 4));
        CREATE INDEX items_phash_band4 ON items (substr(phash, 13, 4));
        CREATE TABLE decisions (id INTEGER PRIMARY KEY, item_id INTEGER, action TEXT, revokes_id INTEGER);
        INSERT INTO items (text, content_sha256) VALUES ('Buy  NOW', 'old');
        INSERT INTO items (media_path, content_sha256, phash) VALUES ('ab/ab.png', 'ab', '0f0f0f0f0f0f0f0f');
    """)
    hashes.m019(db)
    columns = {c.name for c in db["items"].columns}
    assert "phash" not in columns and {"content_md5", "pdq", "pdq_quality"} <= columns
    assert not [i for i in db["items"].indexes if "phash" in i.name]
    assert db.execute("SELECT content_sha256, content_md5 FROM items ORDER BY id").fetchall() == [
        (fingerprint.text_sha256("buy now"), None), ("ab", None)]  # media: SHA-256 kept until veil rehash
    assert db.execute("SELECT COUNT(*) FROM hash_state").fetchone()[0] == 1

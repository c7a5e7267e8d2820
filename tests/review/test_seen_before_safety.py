""""Seen before" must not give away gold answers, match flat frames, or miss decisions committed out of id order
(review 6, findings 1-3): gold copies stay hashless through m019 and a rehash; hashes under quality 50 match
nothing; the content index follows the event log in commit order, not decision or item ids."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
import sqlite_utils
from builders import people
from pdq_pictures import picture

from audit import gold
from desktop import wiring
from review import content_index, decisions, rehash, serving
from review.media import intake, pdq
from review.store import decisions as decision_rows
from review.store import hashes


def _image_items(store, queue, files):
    store.add_items([{"external_id": name, "queue_id": queue.id, "kind": "image", "media_path": str(path),
                      "media_type": "image/png", "content_sha256": intake.inspect(path).sha256,
                      "received_at": "2026-01-05T08:00:00Z"} for name, path in files.items()])
    return {e: i for e, i in store.db.execute("SELECT external_id, id FROM items ORDER BY id")}


def test_a_planted_gold_copy_is_never_hashed_so_seen_before_cannot_give_its_answer(store, tmp_path):
    people(store, ana="moderator", lee="lead")
    queue = store.add_queue("images")
    original = tmp_path / "gold.png"
    picture(5).save(original)
    ids = _image_items(store, queue, {"gold-src": original})  # imported before m019: SHA-256 only
    decisions.record_past_decision(store, item_id=ids["gold-src"], user="ana", action="remove",
                                   decided_at="2026-01-05T08:30:00Z")
    gold.add_gold(store, "lee", ids["gold-src"], "remove", ["spam"], explanation="Spam.")
    [copy] = gold.plant_gold(store, "lee", ids["gold-src"], "images")
    rehash.rehash(store, store.user("lee"))
    assert store.db.execute("SELECT content_sha256, content_md5, pdq FROM items WHERE id = ?",
                            [copy]).fetchone() == (None, None, None)
    assert store.db.execute("SELECT pdq FROM items WHERE id = ?", [ids["gold-src"]]).fetchone()[0]  # rehashed
    assert decisions.seen_before(store, serving.load_item(store, copy)) == {}


def test_m019_gives_no_text_hash_to_an_item_that_had_none(tmp_path):
    """A gold copy of a text is planted without a SHA-256; the step must not give it its normal form's."""
    db = sqlite_utils.Database(tmp_path / "old.db")
    db.executescript("""
        CREATE TABLE items (id INTEGER PRIMARY KEY, text TEXT NOT NULL DEFAULT '', media_path TEXT,
                            content_sha256 TEXT, phash TEXT);
        CREATE TABLE decisions (id INTEGER PRIMARY KEY, item_id INTEGER, action TEXT, revokes_id INTEGER);
        INSERT INTO items (text, content_sha256) VALUES ('Buy  NOW', 'old');
        INSERT INTO items (text, content_sha256) VALUES ('Buy  NOW', NULL);
    """)
    hashes.m019(db)
    assert [r[0] for r in db.execute("SELECT content_sha256 FROM items ORDER BY id")] == [
        hashes.text_sha256("buy now"), None]


def _video(path, seed, size):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, size)
    rng = np.random.default_rng(seed)
    scene = cv2.resize(rng.integers(0, 255, (8, 8, 3)).astype(np.uint8), size, interpolation=cv2.INTER_CUBIC)
    for frame in range(20):
        writer.write(np.zeros((size[1], size[0], 3), np.uint8) if frame < 3 else scene)
    writer.release()


def test_two_unrelated_videos_that_start_black_are_not_copies(store, tmp_path):
    people(store, ana="moderator")
    queue = store.add_queue("videos")
    _video(tmp_path / "a.mp4", 1, (320, 240))
    _video(tmp_path / "b.mp4", 2, (640, 360))
    infos = {n: intake.inspect(tmp_path / n) for n in ("a.mp4", "b.mp4")}
    store.add_items([{"queue_id": queue.id, "kind": "video", "external_id": n, "received_at": "2026-01-05T08:00:00Z",
                      "content_sha256": i.sha256, "pdq": i.pdq, "pdq_quality": i.pdq_quality,
                      "media_path": str(tmp_path / n)} for n, i in infos.items()])
    ids = {e: i for e, i in store.db.execute("SELECT external_id, id FROM items")}
    decisions.record_past_decision(store, item_id=ids["a.mp4"], user="ana", action="remove",
                                   decided_at="2026-01-05T08:30:00Z")
    assert decisions.seen_before(store, serving.load_item(store, ids["b.mp4"])) == {}
    black, scene = pdq.column_hashes(infos["a.mp4"].pdq)  # the quality of each keyframe's hash is kept
    assert black.quality < pdq.GOOD_QUALITY <= scene.quality
    assert pdq.matchable(infos["b.mp4"].pdq) == [pdq.column_hashes(infos["b.mp4"].pdq)[1].hex]


def _decision(store, item_id, queue_id, user_id, *, decision_id):
    """A decision row with the id an earlier transaction had taken, committed (with its event) only now."""
    with store.transaction():
        store.db.execute(
            "INSERT INTO decisions (id, item_id, user_id, queue_id, action, decided_at, client_version, source)"
            " VALUES (?, ?, ?, ?, 'remove', '2026-01-05T09:00:00.000Z', 'test', 'review')",
            [decision_id, item_id, user_id, queue_id])
        store.log("ana", "decision.made", f"item:{item_id}", {"decision": decision_id})


def test_a_decision_committed_after_one_with_a_higher_id_is_still_counted(store):
    """Review 6 #3: the index followed decision ids, so a lower id committed later was never read."""
    people(store, ana="moderator")
    queue = store.add_queue("images")
    store.add_items([{"external_id": n, "queue_id": queue.id, "kind": "image", "content_sha256": sha,
                      "received_at": "2026-01-05T08:00:00Z"}
                     for n, sha in (("x", "aa" * 32), ("y", "bb" * 32), ("x2", "aa" * 32), ("y2", "bb" * 32))])
    ids = {e: i for e, i in store.db.execute("SELECT external_id, id FROM items")}
    user = store.user("ana").id
    _decision(store, ids["y"], queue.id, user, decision_id=50)
    assert content_index.copies(store, "bb" * 32, [], 31, besides=ids["y2"]).counts() == {"remove": 1}
    _decision(store, ids["x"], queue.id, user, decision_id=40)  # a lower id, committed later
    assert content_index.copies(store, "aa" * 32, [], 31, besides=ids["x2"]).counts() == {"remove": 1}


def test_items_committed_after_ones_with_higher_ids_are_still_found(store):
    people(store, ana="moderator")
    queue = store.add_queue("images")
    store.add_items([{"external_id": "late", "queue_id": queue.id, "kind": "image", "content_sha256": "cc" * 32,
                      "received_at": "2026-01-05T08:00:00Z"}])
    with store.transaction():  # an import that took lower ids and committed after the first
        store.db.execute("UPDATE items SET id = 100 WHERE external_id = 'late'")
    assert content_index.copies(store, "dd" * 32, [], 31).counts() == {}  # the index has read up to id 100
    store.add_items([{"external_id": "early", "queue_id": queue.id, "kind": "image", "content_sha256": "dd" * 32,
                      "received_at": "2026-01-05T08:00:00Z"}])
    with store.transaction():
        store.db.execute("UPDATE items SET id = 50 WHERE external_id = 'early'")
    found = content_index.copies(store, "dd" * 32, [], 31)
    assert found.ids.tolist() == [50]


@pytest.mark.server_only  # only a server hands out ids before commit
def test_on_a_server_a_row_locked_decision_that_commits_second_is_counted(store):
    """The reviewer's proof on PostgreSQL: moderator A's decision takes the lower id, B's commits first."""
    people(store, ana="moderator", bob="moderator")
    queues = {"x": store.add_queue("images").id, "y": store.add_queue("other").id}  # one writer per queue's rows
    store.add_items([{"external_id": n, "queue_id": queues[n[0]], "kind": "image", "content_sha256": sha,
                      "received_at": "2026-01-05T08:00:00Z"}
                     for n, sha in (("x", "aa" * 32), ("y", "bb" * 32), ("x2", "aa" * 32), ("y2", "bb" * 32))])
    ids = {e: i for e, i in store.db.execute("SELECT external_id, id FROM items")}
    with wiring.open_store(store.url) as a, wiring.open_store(store.url) as b:
        def decide(on, item, user):
            made = decision_rows.append(on, item_id=ids[item], user_id=on.user(user).id, queue_id=queues[item],
                                        action="remove", labels=[], note="", shown_at=None,
                                        decided_at="2026-01-05T09:00:00Z", handle_ms=None, revealed_ms=0,
                                        source="review")
            return made

        with a.transaction(row_locked=True):  # the event is logged last, under the chain lock, as the desk does
            made = decide(a, "x", "ana")
            with b.transaction(row_locked=True):
                b.log("bob", "decision.made", f"item:{ids['y']}", {"decision": decide(b, "y", "bob")})
            assert content_index.copies(store, "bb" * 32, [], 31, besides=ids["y2"]).counts() == {"remove": 1}
            a.log("ana", "decision.made", f"item:{ids['x']}", {"decision": made})
    assert content_index.copies(store, "aa" * 32, [], 31, besides=ids["x2"]).counts() == {"remove": 1}


def test_a_rehash_batch_is_followed_item_by_item_and_logged(store, tmp_path):
    people(store, ana="moderator", lee="lead")
    queue = store.add_queue("images")
    files = {f"p{n}": tmp_path / f"p{n}.png" for n in range(3)}
    for n, path in enumerate(files.values()):
        picture(n + 3).save(path)  # quality 100 (some generated pictures are flat: under 50)
    ids = _image_items(store, queue, files)
    assert content_index.copies(store, None, [], 31).counts() == {}  # the index is loaded before the rehash
    rehash.rehash(store, store.user("lee"), batch=2)
    logged = [json.loads(p) for (p,) in store.db.execute(
        "SELECT payload FROM events WHERE kind = 'media.rehashed' ORDER BY id")]
    assert [e["items"] for e in logged] == [[ids["p0"], ids["p1"]], [ids["p2"]]]
    column = store.db.execute("SELECT pdq FROM items WHERE id = ?", [ids["p2"]]).fetchone()[0]
    found = content_index.copies(store, None, pdq.matchable(column), 31)
    assert found.ids.tolist() == [ids["p2"]]


@pytest.mark.parametrize(("kind", "subject"), [
    *(("decision.made", s) for s in ("item:99999999999999", "item:\u00b2", "item:-4", "item:", "item:1e9")),
    *(("media.rehashed", s) for s in ("items:\u00b2-\u00b3", "items:1-99999999999999999999", "items:-4-7", "items:9-2",
                                      "items:", "items:1-")),
])
def test_an_event_naming_no_real_item_leaves_every_desks_seen_before_working(store, kind, subject):
    """Found in session 12: anyone may log events as themselves (on a server, straight into ``events``), and a
    decision's event naming item 99,999,999,999,999 made every desk's index grow its arrays to that id (a
    MemoryError on each look-up, for good: the event stayed unread); ``item:²`` stopped it with a ValueError. In
    session 13, auditing the other readers of events' subjects: a rehash event's ``items:²-³`` passed
    ``str.isdigit`` and stopped every desk's refresh with a ValueError, a range past a BIGINT with an
    OverflowError."""
    people(store, ana="moderator")
    queue = store.add_queue("texts")
    store.add_items([{"external_id": n, "queue_id": queue.id, "kind": "text", "content_sha256": "ee" * 32,
                      "received_at": "2026-01-05T08:00:00Z"} for n in ("x", "x2")])
    ids = {e: i for e, i in store.db.execute("SELECT external_id, id FROM items")}
    assert content_index.copies(store, "ee" * 32, [], 31, besides=ids["x2"]).counts() == {}  # loaded
    with store.transaction():
        store.log("ana", kind, subject, {})
    _decision(store, ids["x"], queue.id, store.user("ana").id, decision_id=7)
    assert content_index.copies(store, "ee" * 32, [], 31, besides=ids["x2"]).counts() == {"remove": 1}

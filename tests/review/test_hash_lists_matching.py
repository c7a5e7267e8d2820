"""Matching items against hash lists (issue 20 §4): at intake, exact and PDQ within the threshold (and not one bit
over), flat hashes ignored, turned copies found only by a ``--dihedral`` list, an imported manifest's items matched
and an automated list deciding them, pending items matched after a list import, and ``veil match``'s list rows."""

from __future__ import annotations

import json

import pytest
from builders import IMPORTER, people
from pdq_pictures import picture
from PIL import Image

from review import matching, near_copies, settings, taxonomy
from review.imports import manifest as importer
from review.known import intake as known_intake
from review.known import list_matching, lists
from review.media import intake
from review.media.fingerprint import text_sha256
from review.store import hashlists

BASE = int("5a" * 32, 16)
MD5 = "0123456789abcdef" * 2
SHA = "ab" * 32


def _hex(value: int) -> str:
    return f"{value:064x}"


def _flip(bits: int) -> str:
    """BASE with its lowest *bits* bits flipped: exactly *bits* apart."""
    return _hex(BASE ^ ((1 << bits) - 1))


@pytest.fixture
def policy():
    return taxonomy.load()


@pytest.fixture
def floor(store):
    people(store, lee="lead", ana="moderator", dana="auditor", **{IMPORTER: "lead"})
    store.add_queue("general")
    return store


def _list(store, tmp_path, lines, policy, name="known", **options):
    path = tmp_path / f"{name}.csv"
    path.write_text("signal_type,signal,tag\n" + "".join(f"{line}\n" for line in lines), encoding="utf-8")
    return lists.import_list(store, "lee", path, name=name, taxonomy=policy, **options)


def _items(store, rows):
    queue = store.queue("general")
    store.add_items([{"queue_id": queue.id, "kind": "image", "received_at": "2026-01-05T08:00:00Z",
                      "media_path": f"aa/{row['external_id']}.png", **row} for row in rows])
    ids = dict(store.db.execute("SELECT external_id, id FROM items"))
    with store.transaction():
        known_intake.after_items_added(store, sorted(ids[row["external_id"]] for row in rows), actor="lee")
    return ids


def _matched(store, ids):
    found = list_matching.matches_of(store, list(ids.values()))
    return {name: [(m.list, m.signal_type, m.distance, m.tag) for m in found.get(item_id, [])]
            for name, item_id in ids.items()}


def test_exact_signals_match_files_and_texts_by_their_normal_form(floor, tmp_path, policy):
    _list(floor, tmp_path, [f"md5,{MD5},by-md5", f"sha256,{SHA},by-sha", "text,Buy cheap PILLS,by-text"], policy)
    ids = _items(floor, [{"external_id": "md5", "content_md5": MD5, "content_sha256": "cd" * 32},
                         {"external_id": "sha", "content_sha256": SHA},
                         {"external_id": "other", "content_sha256": "ef" * 32}])
    queue = floor.queue("general")
    floor.add_items([{"queue_id": queue.id, "kind": "text", "external_id": "post", "text": "buy  cheap pills",
                      "received_at": "2026-01-05T08:00:00Z", "content_sha256": text_sha256("buy  cheap pills")}])
    post = floor.db.execute("SELECT id FROM items WHERE external_id = 'post'").fetchone()[0]
    with floor.transaction():
        known_intake.after_items_added(floor, [post], actor="lee")
    assert _matched(floor, {**ids, "post": post}) == {
        "md5": [("known", "md5", 0, "by-md5")], "sha": [("known", "sha256", 0, "by-sha")], "other": [],
        "post": [("known", "text", 0, "by-text")]}


def test_pdq_matches_at_the_threshold_and_not_one_bit_over(floor, tmp_path, policy):
    threshold = near_copies.threshold(floor)
    _list(floor, tmp_path, [f"pdq,{_hex(BASE)},partner"], policy)
    ids = _items(floor, [{"external_id": "at", "content_sha256": "01" * 32, "pdq": f"{_flip(threshold)}:90"},
                         {"external_id": "over", "content_sha256": "02" * 32, "pdq": f"{_flip(threshold + 1)}:90"},
                         {"external_id": "flat", "content_sha256": "03" * 32, "pdq": f"{_hex(BASE)}:49"},
                         {"external_id": "video", "content_sha256": "04" * 32,
                          "pdq": f"{_hex(~BASE & ((1 << 256) - 1))}:90 {_flip(3)}:80"}])
    assert _matched(floor, ids) == {"at": [("known", "pdq", threshold, "partner")], "over": [],
                                    "flat": [],  # quality under 50: a flat picture's hash says nothing
                                    "video": [("known", "pdq", 3, "partner")]}  # each keyframe on its own
    settings.write(floor, "lee", near_copies.THRESHOLD, threshold + 1)  # the organisation's setting decides
    more = _items(floor, [{"external_id": "over-now", "content_sha256": "05" * 32,
                           "pdq": f"{_flip(threshold + 1)}:90"}])
    assert _matched(floor, {"over-now": more["over-now"]})["over-now"] == [("known", "pdq", threshold + 1,
                                                                           "partner")]


def test_no_list_costs_one_read_and_records_nothing(floor):
    ids = _items(floor, [{"external_id": "x", "content_md5": MD5, "content_sha256": SHA, "pdq": f"{_hex(BASE)}:90"}])
    assert list_matching.matches_of(floor, list(ids.values())) == {}


def _manifest(tmp_path, rows):
    (tmp_path / "m.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return tmp_path / "m.jsonl"


def test_a_mirrored_copy_is_found_only_by_a_dihedral_list(floor, tmp_path, policy):
    original = picture(3)
    original.save(tmp_path / "original.png")
    original.transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(tmp_path / "mirrored.png")
    entry, quality = intake.inspect(tmp_path / "original.png").pdq.split(":")
    assert int(quality) >= 50  # a flatter picture's hash is matched by nothing
    _list(floor, tmp_path, [f"pdq,{entry},plain"], policy, name="plain")
    _list(floor, tmp_path, [f"pdq,{entry},turned"], policy, name="turned", dihedral=True)
    importer.import_manifest(floor, _manifest(tmp_path, [{"id": "m", "queue": "general", "media": "mirrored.png"},
                                                         {"id": "o", "queue": "general", "media": "original.png"}]),
                             actor=IMPORTER)
    ids = dict(floor.db.execute("SELECT external_id, id FROM items"))
    found = _matched(floor, ids)
    assert [name for name, *_ in found["m"]] == ["turned"]  # the plain list misses the mirror
    assert sorted(name for name, *_ in found["o"]) == ["plain", "turned"]


def test_an_automated_list_decides_a_manifests_items_at_import(floor, tmp_path, policy):
    _list(floor, tmp_path, ["text,Known scam text,scam"], policy, name="scams", action="remove", labels=["spam"],
          automated=True)
    importer.import_manifest(floor, _manifest(tmp_path, [{"id": "a", "queue": "general", "text": "KNOWN scam  text"},
                                                         {"id": "b", "queue": "general", "text": "hello"}]),
                             actor=IMPORTER)
    rows = floor.db.execute("SELECT i.external_id, i.state, d.action, d.source FROM items i LEFT JOIN decisions d"
                            " ON d.item_id = i.id ORDER BY i.external_id").fetchall()
    assert rows == [("a", "decided", "remove", "automation"), ("b", "pending", None, None)]
    rule = floor.db.execute("SELECT rule, version FROM automated_decisions").fetchall()
    assert rule == [("list:scams", 1)]


def test_a_list_with_an_action_only_suggests_when_not_automated(floor, tmp_path, policy):
    _list(floor, tmp_path, [f"md5,{MD5},x"], policy, action="remove", labels=["spam"])
    ids = _items(floor, [{"external_id": "hit", "content_md5": MD5, "content_sha256": SHA}])
    assert floor.db.execute("SELECT state FROM items WHERE id = ?", [ids["hit"]]).fetchone()[0] == "pending"
    assert floor.db.execute("SELECT action, rule, version FROM item_suggestions").fetchall() == [
        ("remove", "list:known", 1)]


def test_pending_items_are_matched_against_a_new_versions_entries(floor, tmp_path, policy):
    ids = _items(floor, [{"external_id": "waiting", "content_md5": MD5, "content_sha256": SHA},
                         {"external_id": "near", "content_sha256": "01" * 32, "pdq": f"{_flip(5)}:90"}])
    _list(floor, tmp_path, ["md5," + "f" * 32 + ",first"], policy)
    done = _list(floor, tmp_path, [f"md5,{MD5},second", f"pdq,{_hex(BASE)},second"], policy)
    assert done.version == 2
    assert _matched(floor, ids) == {"waiting": [], "near": []}  # nothing matched them at their intake
    assert lists.match_pending(floor, "lee", "known", since_version=2) == 2
    assert _matched(floor, ids) == {"waiting": [("known", "md5", 0, "second")],
                                    "near": [("known", "pdq", 5, "second")]}
    assert [e for (e,) in floor.db.execute("SELECT kind FROM events WHERE kind = 'hashlist.matched'")] == [
        "hashlist.matched"]


def test_veil_match_names_list_entries_beside_the_stores_items(floor, tmp_path, policy):
    picture(5).save(tmp_path / "p.png")
    found = intake.inspect(tmp_path / "p.png")
    _list(floor, tmp_path, [f"pdq,{found.pdq.split(':')[0]},partner", f"md5,{found.md5},by-md5",
                            "text,hello there,greeting"], policy, action="remove", labels=["spam"])
    looked = matching.match_file(floor, "ana", tmp_path / "p.png", audit_states=lambda _s, _ids: {})
    assert sorted((m.source, m.list, m.tag, m.item_id, m.distance, m.action) for m in looked.matches) == [
        ("list", "known", "by-md5", None, 0, "remove"), ("list", "known", "partner", None, 0, "remove")]
    said = matching.match_text(floor, "ana", "Hello  there", audit_states=lambda _s, _ids: {}).as_json()["matches"]
    assert said == [{"source": "list", "list": "known", "tag": "greeting", "item_id": None, "distance": 0,
                     "action": "remove"}]
    assert hashlists.list_named(floor, "known").entries == {"pdq": 1, "md5": 1, "text": 1}

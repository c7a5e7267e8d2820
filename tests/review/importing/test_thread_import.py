"""Thread context on import (issue 14 §1): posts around an item, text only, bounded, each problem FILE:LINE."""

from __future__ import annotations

import csv
import json

import pytest
from builders import IMPORTER

from audit.audits import blind_item
from review import threads
from review.imports import manifest as importer
from review.serving import load_item

ARABIC = "هذا منشور سابق في النقاش"
PARENT = {"author": "rosa", "text": "Who is coming to the match tonight? ⚽🎉", "at": "2026-01-01T10:00:00Z",
          "relation": "parent"}


def _import(store, tmp_path, rows, name="m.jsonl"):
    path = tmp_path / name
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return importer.import_manifest(store, path, create_queues=True, actor=IMPORTER)


def _row(thread, item_id="p1"):
    return {"id": item_id, "queue": "chat", "text": "reply under review", "thread": thread}


def test_a_good_thread_is_kept_in_one_shape_in_the_items_metadata(store, tmp_path):
    result = _import(store, tmp_path, [_row([{"text": ARABIC, "author": 42, "relation": "after"}, PARENT,
                                             {"text": "me! 😀", "author": "kim"}])])
    assert result.committed and not result.problems
    item = load_item(store, store.db.execute("SELECT id FROM items WHERE external_id = 'p1'").fetchone()[0])
    stored = item.metadata["thread"]
    assert stored[0] == {"author": "42", "text": ARABIC, "at": "", "relation": "after"}
    assert stored[1]["at"] == "2026-01-01T10:00:00.000Z"
    assert [p.relation for p in threads.posts(item.metadata)] == ["parent", "before", "after"]
    assert threads.direction(ARABIC) == "rtl" and threads.direction("東京の投稿") == "ltr"
    # the audit's blind step sees the item as it arrived: the thread is part of it
    assert blind_item(item, (None, "")).metadata["thread"] == stored


@pytest.mark.parametrize("nothing", [None, [], ""])
def test_a_null_or_empty_thread_is_no_thread(store, tmp_path, nothing):
    result = _import(store, tmp_path, [_row(nothing)])
    assert result.committed and not result.problems
    item = load_item(store, store.db.execute("SELECT id FROM items WHERE external_id = 'p1'").fetchone()[0])
    assert threads.posts(item.metadata) == () and item.metadata.get("thread") in (None, [])


@pytest.mark.parametrize(("thread", "says"), [
    ([{"text": f"post {n}"} for n in range(threads.MAX_POSTS + 1)], "has 21 posts (at most 20"),
    ([{"text": "x" * (threads.MAX_POST_CHARS + 1)}], "thread post 1 is 2,001 characters long (at most 2,000)"),
    ([PARENT, {"text": "look", "image": "cat.png"}], "thread post 2 carries media (image): a thread is text only"),
    ("not json", "thread is not JSON"),
    ({"text": "one post"}, "thread must be an array of posts, not an object"),
    ([{"text": 5}], "thread post 1 text must be text, not a number"),
    (["just text"], "thread post 1 must be an object with its text, not text"),
    ([{"text": "hi", "relation": "sibling"}], "relation 'sibling' is not one of parent, before, after"),
    ([{"text": "hi", "colour": "red"}], "unknown field(s) 'colour'"),
    ([{"author": "kim"}], "thread post 1 has no text"),
    ([{"text": "hi", "at": "yesterday"}], "at 'yesterday' is not an ISO 8601 time"),
])
def test_a_bad_thread_is_one_problem_of_its_line_and_nothing_is_imported(store, tmp_path, thread, says):
    result = _import(store, tmp_path, [_row([PARENT], "fine"), _row(thread, "bad")])
    assert not result.committed
    [problem] = result.problems
    assert problem.line == 2 and says in problem.reason, problem.reason
    assert str(problem).startswith(f"{tmp_path / 'm.jsonl'}:2: ")
    assert store.db.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 0


def test_a_csv_manifest_carries_the_thread_as_json_in_its_cell(store, tmp_path):
    path = tmp_path / "m.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "queue", "text", "thread"])
        writer.writerow(["c1", "chat", "a reply", json.dumps([PARENT], ensure_ascii=False)])
        writer.writerow(["c2", "chat", "a reply", "[{\"text\": \"hi\", \"video\": \"v.mp4\"}]"])
    result = importer.import_manifest(store, path, create_queues=True, actor=IMPORTER, skip_invalid=True)
    assert [p.line for p in result.problems] == [3] and "carries media (video)" in result.problems[0].reason
    item = load_item(store, store.db.execute("SELECT id FROM items WHERE external_id = 'c1'").fetchone()[0])
    assert threads.posts(item.metadata)[0].text == PARENT["text"]

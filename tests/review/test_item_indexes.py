"""Step m032 (issue 22: an item row cheap to index): the author as a plain column, indexes most rows have NULL for
made partial, the look-ups they serve still indexed, and stores made before it migrated with verify clean."""

from __future__ import annotations

import json

import pytest

from desktop import wiring
from review.imports import manifest as importer
from review.store import accounts as account_rows
from review.store import integrity
from review.store.connection import connect
from review.store.schema import migrations as review_migrations

pytestmark = pytest.mark.usefixtures("clock")

SETS = [review_migrations, *wiring.migration_sets()]


def _index_sql(store, name: str) -> str:
    """The index's definition, spaces and the server's brackets taken out."""
    if store.path is None:
        (sql,) = store.db.execute("SELECT indexdef FROM pg_indexes WHERE indexname = ?", [name]).fetchone()
    else:
        (sql,) = store.db.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", [name]).fetchone()
    return " ".join(sql.replace("(", " ").replace(")", " ").split())


def test_the_indexes_a_text_item_has_nothing_for_are_partial_and_the_author_is_a_plain_column(store):
    """A text item has no media path and no MD5 and was routed from nowhere: it pays for none of those indexes; the
    author index reads a column, not the metadata's JSON (it parsed every row's metadata on every insert)."""
    author_index = _index_sql(store, "items_author")
    assert author_index.endswith("author, received_at, id, queue_id, state WHERE author IS NOT NULL")
    assert "json" not in _index_sql(store, "items_author")
    assert _index_sql(store, "items_media").endswith("WHERE media_path IS NOT NULL")
    assert _index_sql(store, "items_content_md5").endswith("WHERE content_md5 IS NOT NULL")
    assert _index_sql(store, "items_routed_from").endswith("WHERE routed_from_id IS NOT NULL")


def _authored(store, author: str) -> list[str]:
    """The external ids of *author*'s items in review queues, oldest first."""
    return [row[1] for row in account_rows.newest_author_items(store, author, besides=0, kinds=["review"], limit=9)]


@pytest.mark.file_only
@pytest.mark.parametrize(("index", "statement"), [
    ("items_author", account_rows.NEWEST_AUTHOR_ITEMS.format(kinds="?")),
    ("items_media", "SELECT id FROM items WHERE media_path = ? ORDER BY id"),
    ("items_content_md5", "SELECT id FROM items WHERE content_md5 = ?"),
    ("items_routed_from", "SELECT id FROM items WHERE routed_from_id = ? AND external_id IN (?, ?)"),
])
def test_the_look_ups_still_use_their_partial_index(store, index, statement):
    """A comparison with a value implies ``IS NOT NULL``: the partial index serves the same look-ups (SQLite's
    plan; a server's planner reads a table this small whole, test_accounts shows it takes ``items_author``)."""
    plan = " ".join(str(row) for row in store.db.execute(
        "EXPLAIN QUERY PLAN " + statement, ["x"] * statement.count("?")))
    assert index in plan, plan


def test_imported_and_added_items_keep_their_author_as_text(store, tmp_path):
    """The import fills the column from the row's ``author`` (a number is the same account as its text; blank is
    none), and so does ``Store.add_items`` (trimmed, as the account panel reads it)."""
    store.add_user("lee", ["lead"])
    manifest = tmp_path / "m.jsonl"
    manifest.write_text("".join(json.dumps(row) + "\n" for row in [
        {"id": "a", "queue": "q", "text": "one", "author": 12345},
        {"id": "b", "queue": "q", "text": "two", "author": "  mallory "},
        {"id": "c", "queue": "q", "text": "three", "author": "  "},
        {"id": "d", "queue": "q", "text": "four"},
    ]), encoding="utf-8")
    result = importer.import_manifest(store, manifest, create_queues=True, actor="lee")
    assert result.committed and result.added == 4
    store.add_items([{"external_id": "e", "queue_id": store.queue("q").id, "kind": "text", "text": "five",
                      "received_at": "2026-01-01T00:00:00Z", "metadata": {"author": " trent "}}])
    rows = dict(store.db.execute("SELECT external_id, author FROM items ORDER BY external_id").fetchall())
    assert rows == {"a": "12345", "b": "mallory", "c": None, "d": None, "e": "trent"}
    assert _authored(store, "12345") == ["a"]


def test_a_store_made_before_m032_fills_the_author_and_verifies_clean(tmp_path, clock):
    """Existing rows get the author their metadata names (as text, trimmed; none for blank, absent or malformed
    metadata), the indexes are rebuilt as a new store has them, and ``veil verify`` finds nothing."""
    path = tmp_path / "old.db"
    db = connect(path)
    review_migrations.apply(db, stop_before="m032_cheap_item_indexes")
    db.execute("INSERT INTO queues (name, kind, sla_seconds, created_at) VALUES ('q', 'review', 3600, 'x')")
    for n, metadata in enumerate([{"author": "mallory"}, {"author": 12345}, {"author": " trent "}, {"author": ""},
                                  {"reporter": "r"}, "{not json", {"author": None}]):
        db.execute("INSERT INTO items (external_id, queue_id, kind, text, metadata, received_at, due_at, created_at)"
                   " VALUES (?, 1, 'text', 't', ?, '2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z', 'x')",
                   [f"i{n}", metadata if isinstance(metadata, str) else json.dumps(metadata)])
    db.conn.commit()
    db.close()
    with wiring.open_store(path, clock=clock) as upgraded:
        authors = [a for (a,) in upgraded.db.execute("SELECT author FROM items ORDER BY id")]
        assert authors == ["mallory", "12345", "trent", None, None, None, None]
        assert _authored(upgraded, "mallory") == ["i0"]
        assert _index_sql(upgraded, "items_media").endswith("WHERE media_path IS NOT NULL")
        upgraded.add_items([{"external_id": "new", "queue_id": 1, "kind": "text", "text": "t",
                             "received_at": "2026-01-01T00:00:00Z", "metadata": {"author": "mallory"}}])
        assert _authored(upgraded, "mallory") == ["i0", "new"]
        assert integrity.check(upgraded.db, SETS, escalating={"escalate"}).problems == ()

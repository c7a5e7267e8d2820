"""The demo's bulk writer (``review.store.demo_rows``): the events it chains by hand are ``record_past``'s, byte for
byte, and a bulk load on a file gives back the store's indexes, triggers, journal and syncing, whatever happens."""

from __future__ import annotations

import json
import sqlite3

import pytest
from builders import people, text_items

from desktop import wiring
from review import decisions, taxonomy
from review.store import demo_rows, events, integrity

QUEUE = 'Spam & "scams" \\ تجربة 🙂'  # a name JSON must escape, in scripts it must keep


def _problems(store) -> tuple[str, ...]:
    """What ``veil verify`` finds (schema, chain, reconciliation, summaries and counts recounted)."""
    escalating = {action.id for action in taxonomy.load().actions if action.escalates}
    return integrity.check(store.db, wiring.schema_sets(), escalating=escalating).problems


def _schema(store) -> set[tuple[str, str, str]]:
    return set(store.db.execute("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL"))


def _pragmas(store) -> tuple:
    return tuple(store.db.execute(f"PRAGMA {name}").fetchone()[0]
                 for name in ("journal_mode", "synchronous", "cache_size", "threads"))


@pytest.fixture
def decided(store):
    """A queue with an awkward name, a moderator, and three items: one to decide the usual way, two in bulk."""
    people(store, ana="moderator")
    queue = store.add_queue(QUEUE)
    return queue, text_items(store, queue, 3)


def _stored_payloads(store) -> list[dict]:
    found = []
    for (payload,) in store.db.execute("SELECT payload FROM events WHERE kind = 'decision.recorded' ORDER BY id"):
        assert payload == events.canonical_json(json.loads(payload))  # stored as canonical JSON, hashed as stored
        found.append(json.loads(payload))
    return found


@pytest.mark.parametrize(("labels", "note", "handle_ms"), [
    ((), "", 20_000),
    (("spam", "scam_fraud"), 'quoted "note" \\ with ünïcode', None),
])
def test_bulk_decisions_write_record_pasts_event_payload(store, decided, labels, note, handle_ms):
    queue, (usual, bulk_one, bulk_two) = decided
    decided_at = "2026-01-02T03:04:05.678Z"
    decisions.record_past_decision(store, item_id=usual, user="ana", action="remove", labels=list(labels),
                                   decided_at=decided_at, note=note, handle_ms=handle_ms, source="demo")
    shown_at = None if handle_ms is None else "2026-01-02T03:03:45.678Z"
    ana = store.user("ana").id
    with store.transaction():
        demo_rows.add_past_decisions(store, [
            (item, ana, "ana", queue.id, queue.name, "remove", labels, note, decided_at, shown_at, handle_ms, "demo")
            for item in (bulk_one, bulk_two)])
    usual_payload, *bulk_payloads = _stored_payloads(store)
    decision_ids = [row[0] for row in store.db.execute("SELECT id FROM decisions ORDER BY id")]
    assert [p.pop("decision") for p in (usual_payload, *bulk_payloads)] == decision_ids
    assert bulk_payloads == [usual_payload, usual_payload]
    assert store.db.execute("SELECT COUNT(DISTINCT labels) FROM decisions").fetchone()[0] == 1  # the column too
    assert events.verify_chain(store.db)[1] is None


def test_a_bulk_load_gives_back_every_index_trigger_and_setting(file_store):
    store = file_store
    queue = store.add_queue("Spam")
    schema, settings = _schema(store), _pragmas(store)
    with demo_rows.bulk_load(store) as load:
        assert not {name for kind, name, _ in _schema(store) if kind == "index"} & {"items_serving", "decisions_item"}
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # each page written once
        load.chunk(lambda: demo_rows.add_items(store, [_item_row(queue.id, n) for n in range(5)], actor="system",
                                               source="test"))
    assert _schema(store) == schema
    assert _pragmas(store) == settings == ("wal", 1, -2000, 0)
    assert store.db.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 5
    assert not _problems(store)


def test_a_failed_bulk_load_leaves_the_store_as_it_was(file_store):
    store = file_store
    queue = store.add_queue("Spam")
    schema, settings = _schema(store), _pragmas(store)
    with pytest.raises(KeyboardInterrupt), demo_rows.bulk_load(store) as load:
        load.chunk(lambda: demo_rows.add_items(store, [_item_row(queue.id, n) for n in range(5)], actor="system",
                                               source="test"))
        raise KeyboardInterrupt  # Ctrl+C half-way
    assert store.db.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 0
    assert _schema(store) == schema and _pragmas(store) == settings  # the indexes and triggers are back
    assert not _problems(store)


def test_a_bulk_load_beside_another_connection_keeps_the_wal(file_store):
    store = file_store
    queue = store.add_queue("Spam")
    reader = sqlite3.connect(store.path)
    try:
        reader.execute("SELECT COUNT(*) FROM items").fetchone()
        with demo_rows.bulk_load(store) as load:
            assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # not changed under a reader
            load.chunk(lambda: demo_rows.add_items(store, [_item_row(queue.id, n) for n in range(3)],
                                                   actor="system", source="test"))
        assert reader.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 3
    finally:
        reader.close()
    assert not _problems(store)


def _item_row(queue_id: int, n: int) -> tuple:
    row = {"external_id": f"x{n}", "queue_id": queue_id, "kind": "text", "media_path": None, "media_type": None,
           "text": f"post {n}", "metadata": json.dumps({"author": f"user_{n}"}), "author": f"user_{n}",
           "severity": None, "priority": 0, "content_sha256": None, "content_md5": None, "pdq": None,
           "pdq_quality": None, "received_at": "2026-01-01T00:00:00.000Z", "due_at": "2026-01-02T00:00:00.000Z",
           "state": "pending", "created_at": "2026-01-01T00:00:00.000Z"}
    return tuple(row[column] for column in demo_rows.ITEM_COLUMNS)

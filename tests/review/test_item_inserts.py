"""Item rows inserted in bulk (issue 22: an import at site scale): no per-row trigger work on ``items``, the queue
counts exact whatever the inserts skip, complaint rows written with their items or the chunk refused as the old
trigger refused it, and stores made before step m028 migrated."""

from __future__ import annotations

import json
import threading

import pytest
from builders import behind_veils_back, decided_item, people

from desktop import wiring
from review.errors import StoreConflict, StoreError
from review.store import Store, integrity, item_inserts, queue_counts
from review.store.connection import connect
from review.store.schema import migrations as review_migrations

pytestmark = pytest.mark.usefixtures("clock")


def _rows(queue_id: int, count: int, *, start: int = 0, state: str | None = None) -> list[dict]:
    return [{"external_id": f"x{n}", "queue_id": queue_id, "kind": "text", "text": f"post {n}",
             "metadata": {"reporter": f"u{n}"}, "received_at": f"2026-01-0{1 + n % 9}T0{n % 10}:00:00Z",
             "priority": n % 3, **({"state": state} if state else {})} for n in range(start, start + count)]


def _vm_steps(store: Store, rows: list[dict]) -> int:
    """How many hundreds of SQLite VM instructions ``Store.add_items`` of *rows* runs (a count of work, not time)."""
    steps = [0]

    def tick() -> int:
        steps[0] += 1
        return 0

    store.db.conn.set_progress_handler(tick, 100)
    try:
        store.add_items(rows)
    finally:
        store.db.conn.set_progress_handler(None, 100)
    return steps[0]


def test_a_bulk_item_insert_does_no_per_row_trigger_work(tmp_path, clock):
    """Found: every inserted item ran the complaint trigger (its metadata parsed twice) and the counting trigger
    (two upserts): 1.84x the VM work of the same insert without them. Now the counts are added per statement and
    complaints read back only for rows that name one."""
    rows = _rows(1, 2_000)
    with wiring.open_store(tmp_path / "veil.db", clock=clock) as store:
        store.add_queue("q")
        veil = _vm_steps(store, rows)
    with wiring.open_store(tmp_path / "bare.db", clock=clock) as bare:
        bare.add_queue("q")
        for trigger in ("items_counted", "items_complaint"):
            bare.db.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        floor = _vm_steps(bare, rows)
    assert veil <= 1.25 * floor, (veil, floor)


def test_counts_added_per_statement_equal_a_recount_whatever_the_insert_skipped(store):
    queue = store.add_queue("spam")
    other = store.add_queue("other")
    assert store.add_items(_rows(queue.id, 40)) == 40
    assert store.add_items(_rows(queue.id, 40, start=20) + _rows(other.id, 5)) == 25  # 20 present: counted once
    assert list(queue_counts.problems(store.db)) == []
    assert dict(queue_counts.per_state(store)) == {queue.id: {"pending": 60}, other.id: {"pending": 5}}
    assert store.db.execute("SELECT COUNT(*) FROM queue_counts_paused").fetchone()[0] == 0


def test_items_written_in_runs_of_rows_keep_their_order_and_skip_only_those_present(store, monkeypatch):
    """A file store writes a run of rows per statement (the trigger's frame once a run, not once a row); runs that
    end mid-way through the rows, and rows present in an earlier run or the same one, change nothing."""
    monkeypatch.setattr(item_inserts, "ROWS_PER_STATEMENT", 4)
    queue = store.add_queue("spam")
    assert store.add_items(_rows(queue.id, 3)) == 3
    again = _rows(queue.id, 3) + _rows(queue.id, 8, start=3)
    again.insert(6, dict(again[5]))  # a copy inside the same run
    assert store.add_items(again) == 8
    stored = [name for (name,) in store.db.execute("SELECT external_id FROM items ORDER BY id")]
    assert stored == [f"x{n}" for n in range(11)]
    assert list(queue_counts.problems(store.db)) == []


def test_a_failed_bulk_insert_leaves_neither_items_nor_counts_nor_a_pause(store):
    people(store, lee="lead", ana="moderator")
    queue = store.add_queue("reports")
    rows = _rows(queue.id, 10) + [{"external_id": "c-1", "queue_id": queue.id, "kind": "text", "text": "unfair",
                                   "received_at": "2026-01-05T08:00:00Z", "metadata": {"complaint_of": "nothing"}}]
    with pytest.raises(StoreConflict, match="complaint must name a decided item"):
        store.add_items(rows)
    assert store.db.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 0
    assert store.db.execute("SELECT COUNT(*) FROM queue_states").fetchone()[0] == 0
    assert store.db.execute("SELECT COUNT(*) FROM queue_counts_paused").fetchone()[0] == 0
    assert list(queue_counts.problems(store.db)) == []


@pytest.mark.parametrize("of", ["post-1", 7], ids=["text", "integer"])
def test_complaint_rows_are_written_with_their_items_in_a_chunk_of_others(store, of):
    people(store, lee="lead", ana="moderator")
    store.add_queue("reports")
    decision = decided_item(store, "reports", "ana", decided_at="2026-01-04T10:00:00Z", external_id=str(of))
    (original,) = store.db.execute("SELECT item_id FROM decisions WHERE id = ?", [decision]).fetchone()
    queue = store.add_queue("complaints")
    store.add_items(_rows(queue.id, 3) + [
        {"external_id": "c-1", "queue_id": queue.id, "kind": "text", "text": "unfair",
         "received_at": "2026-01-05T08:00:00Z", "metadata": {"complaint_of": of}},
        # Not a complaint, as the trigger read it: complaint_of neither text nor an integer.
        {"external_id": "c-2", "queue_id": queue.id, "kind": "text", "text": "hm",
         "received_at": "2026-01-05T08:00:00Z", "metadata": {"complaint_of": True, "about": "complaint"}}])
    rows = store.db.execute("SELECT i.external_id, c.original_item_id, c.decision_id, c.received_at FROM complaints c"
                            " JOIN items i ON i.id = c.item_id ORDER BY c.id").fetchall()
    assert [tuple(r) for r in rows] == [("c-1", original, decision, "2026-01-05T08:00:00.000Z")]
    assert integrity.check(store.db, [review_migrations, *wiring.migration_sets()], escalating={"escalate"}
                           ).problems == ()


def test_an_insert_that_does_not_fill_the_author_is_refused_before_it_runs(store):
    """Step m032 keeps the author in a column every insert fills: one that forgot it is a programming error, said
    before a row is written (its items would silently be missing from their author's account)."""
    queue = store.add_queue("spam")
    with store.transaction(), pytest.raises(ValueError, match="author"):
        item_inserts.insert_new(store, "INSERT INTO items (external_id, queue_id, kind, metadata, received_at, due_at,"
                                " created_at) VALUES (?, ?, 'text', ?, ?, ?, ?)",
                                [("x", queue.id, '{"author": "a"}', "2026-01-01", "2026-01-02", "2026-01-01")])
    assert store.db.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 0


def test_a_pause_left_behind_is_named_by_verify(store):
    store.add_queue("spam")
    with behind_veils_back(store) as db:
        db.execute("INSERT INTO queue_counts_paused (at) VALUES ('2026-01-01T00:00:00.000Z')")
    assert any("insert trigger is paused" in problem for problem in queue_counts.problems(store.db))


def test_the_counts_are_never_paused_outside_a_transaction(store):
    with pytest.raises(StoreError, match="only be paused inside a write transaction"), queue_counts.paused(store):
        pass
    assert store.db.execute("SELECT COUNT(*) FROM queue_counts_paused").fetchone()[0] == 0


@pytest.mark.server_only
def test_another_writers_inserts_are_counted_while_a_bulk_insert_holds_its_pause(store):
    """The pause is the holding transaction's own row: another connection, which does not see an uncommitted row,
    still has its inserts counted by the trigger (a file has no other writer while the pause is held)."""
    queue = store.add_queue("spam")
    other = store.second_connection()
    try:
        with store.transaction(), queue_counts.paused(store):
            inserted = threading.Thread(target=lambda: other.db.execute(
                "INSERT INTO items (external_id, queue_id, kind, received_at, due_at, created_at)"
                " VALUES ('elsewhere', ?, 'text', '2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z', 'x')",
                [queue.id]))
            inserted.start()
            inserted.join(timeout=30)
            assert not inserted.is_alive()
    finally:
        other.close()
    assert list(queue_counts.problems(store.db)) == []
    assert queue_counts.per_state(store) == {queue.id: {"pending": 1}}


def test_a_store_made_before_m028_keeps_refusing_bad_complaints_and_counting(tmp_path, clock):
    path = tmp_path / "old.db"
    db = connect(path)
    review_migrations.apply(db, stop_before="m028_bulk_item_inserts")
    db.conn.commit()
    db.close()
    with wiring.open_store(path, clock=clock) as upgraded:
        triggers = {name for (name,) in upgraded.db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        assert "items_complaint" not in triggers and "items_counted" in triggers
        queue = upgraded.add_queue("complaints")
        upgraded.add_items(_rows(queue.id, 5))
        with pytest.raises(StoreConflict, match="complaint must name a decided item"):
            upgraded.add_items([{"external_id": "c", "queue_id": queue.id, "kind": "text", "text": "x",
                                 "received_at": "2026-01-05T08:00:00Z",
                                 "metadata": json.loads('{"complaint_of": "none"}')}])
        assert list(queue_counts.problems(upgraded.db)) == []

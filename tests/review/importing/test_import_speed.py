"""Imports at site scale (issue 22): past decisions written a chunk at a time, all or nothing at the last chunk,
memory flat whatever the manifest's size.

A million past decisions used to be a million savepoints, each with a look-up of the item and the moderator and
four statements (182-300 s and 5.1 GB for 1 M items with 1 M decisions); now a chunk is a few statements and
must leave exactly what recording each decision one by one leaves (rows, item states, leases, one
``decision.recorded`` event each, a clean ``veil verify``).
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from builders import IMPORTER, events, peak_python_memory, people

from desktop import wiring
from desktop.commands.import_cmd import row_handlers
from review import taxonomy
from review.desk import ReviewDesk
from review.errors import StoreUnavailable
from review.imports import items as items_import
from review.imports import manifest as importer
from review.store import Store, import_rows, integrity
from review.store import imports as import_store
from review.store.decisions import facts
from review.store.schema import migrations

SETS = [migrations, *wiring.migration_sets()]


def history_manifest(path: Path, items: int, *, start: int = 0, bad_last: bool = False) -> Path:
    """*items* text items, then a past decision on each (three moderators, a handle time on every other one)."""
    with open(path, "w", encoding="utf-8") as handle:
        for i in range(start, start + items):
            handle.write(json.dumps({"id": f"p{i}", "queue": f"q{i % 2}", "text": f"post {i}"}) + "\n")
        for i in range(start, start + items):
            row = {"type": "decision", "item": f"p{i}", "queue": f"q{i % 2}", "moderator": f"mod{i % 3}",
                   "action": "remove" if i % 2 else "no_violation", "labels": ["spam"] if i % 2 else [],
                   "decided_at": f"2025-06-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z",
                   **({"handle_ms": 1000 + i} if i % 2 else {})}
            if bad_last and i == start + items - 1:
                row["action"] = "obliterate"
            handle.write(json.dumps(row) + "\n")
    return path


def run(store: Store, manifest: Path, **options) -> importer.ImportResult:
    return importer.import_manifest(store, manifest, create_queues=True, actor=IMPORTER, handlers=row_handlers(),
                                    **options)


def counts(store: Store) -> tuple[int, int, int]:
    """(items, decisions, events) the store holds."""
    return tuple(store.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # type: ignore[return-value]
                 for table in ("items", "decisions", "events"))


# ------------------------------------------------------------- a chunk at a time
def test_past_decisions_are_written_a_chunk_at_a_time_not_a_savepoint_each(store, tmp_path, monkeypatch):
    """600 decisions: a handful of transactions (each its savepoint), where there used to be one per decision."""
    opened = 0
    real = Store.transaction

    @contextlib.contextmanager
    def counted(self, *args, **kwargs):
        nonlocal opened
        opened += 1
        with real(self, *args, **kwargs):
            yield

    monkeypatch.setattr(Store, "transaction", counted)
    result = run(store, history_manifest(tmp_path / "h.jsonl", 600))
    monkeypatch.undo()
    assert result.committed and result.count("decision").added == 600
    assert opened < 40, f"{opened} transactions and savepoints for 600 items and 600 decisions"


def test_the_scratch_file_is_asked_once_a_batch_not_once_a_row(store, tmp_path, monkeypatch):
    """Duplicate ids and duplicate decisions are found with one statement per batch of rows (a statement per row
    was a third of a text import's time): 3,000 items and 3,000 decisions, a few dozen statements."""
    calls = []
    made = import_store.Scratch.__init__

    class Counted:
        """The scratch file's connection, counting the statements asked of it (an ``executemany`` is one)."""

        def __init__(self, db):
            self.db = db

        def __getattr__(self, name):
            found = getattr(self.db, name)
            if name in ("execute", "executemany"):
                calls.append(name)
            return found

    def counted(self):
        made(self)
        self.db = Counted(self.db)

    monkeypatch.setattr(import_store.Scratch, "__init__", counted)
    result = run(store, history_manifest(tmp_path / "h.jsonl", 3_000))
    assert result.committed and result.count("decision").added == 3_000
    assert len(calls) < 300, f"{len(calls)} statements on the scratch file for 6,000 rows"


def test_decisions_written_in_bulk_are_what_recording_each_leaves(store, tmp_path, monkeypatch):
    """Rows, closed items, ended leases and one event each with record_past's payload; veil verify is clean."""
    monkeypatch.setattr(import_store, "WRITE_CHUNK_ROWS", 40)  # several chunks of decisions
    people(store, ana="moderator")
    queue = store.add_queue("q0")
    store.add_items([{"external_id": "held", "queue_id": queue.id, "kind": "text", "text": "held by ana",
                      "received_at": "2025-06-01T00:00:00Z"}])
    desk = ReviewDesk(taxonomy.load())
    assert desk.claim(store, store.user("ana")) is not None  # a lease the imported decision must end
    manifest = history_manifest(tmp_path / "h.jsonl", 100)
    with open(manifest, "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"type": "decision", "item": "held", "queue": "q0", "moderator": "ana",
                                 "action": "no_violation", "decided_at": "2025-06-02T00:00:00Z",
                                 "note": "fine", "handle_ms": 2500}) + "\n")
    result = run(store, manifest)
    assert result.committed and result.count("decision").added == 101
    assert store.db.execute("SELECT COUNT(*) FROM leases").fetchone()[0] == 0
    assert store.db.execute("SELECT COUNT(*) FROM items WHERE state <> 'decided'").fetchone()[0] == 0
    rows = store.db.execute(
        "SELECT d.id, d.item_id, u.name, q.name, d.action, d.labels, d.note, d.decided_at, d.shown_at, d.handle_ms,"
        " d.source FROM decisions d JOIN users u ON u.id = d.user_id JOIN queues q ON q.id = d.queue_id"
        " ORDER BY d.id").fetchall()
    recorded = events(store, "decision.recorded")
    assert len(rows) == len(recorded) == 101
    for row, event in zip(rows, recorded, strict=True):
        decision_id, item_id, moderator, queue_name, action, labels, note, decided_at, shown_at, handle_ms, src = row
        assert (event.actor, event.subject) == (moderator, f"item:{item_id}")
        assert event.payload == {"decision": decision_id, "action": action, "labels": json.loads(labels),
                                 "source": src, "queue": queue_name,
                                 **facts(decided_at, handle_ms, shown_at, 0, note)}
    held = rows[-1]
    assert held[2:] == ("ana", "q0", "no_violation", "[]", "fine", "2025-06-02T00:00:00.000Z",
                        "2025-06-01T23:59:57.500Z", 2500, "import")
    assert integrity.check(store.db, SETS, escalating={"escalate"}).problems == ()


# ------------------------------------------------------------- all or nothing
def test_a_bad_row_in_the_last_chunk_writes_nothing_and_every_problem_is_said(store, tmp_path, monkeypatch):
    monkeypatch.setattr(import_store, "WRITE_CHUNK_ROWS", 50)
    manifest = history_manifest(tmp_path / "h.jsonl", 300, bad_last=True)
    with open(manifest, "r+", encoding="utf-8") as handle:  # and a bad item row at the start
        rows = handle.read().splitlines()
        rows[0] = json.dumps({"id": "p0", "queue": "q0", "text": "post 0", "priority": "high"})
        handle.seek(0)
        handle.write("\n".join(rows) + "\n")
    before = counts(store)
    result = run(store, manifest)
    assert not result.committed and counts(store) == before
    assert [p.line for p in result.problems] == [1, 301, 600]  # the item, the decision on it, the last row
    assert "priority 'high'" in result.problems[0].reason and "'obliterate'" in result.problems[2].reason


def test_a_history_import_that_fails_writing_its_last_chunk_leaves_nothing(store, tmp_path, monkeypatch):
    """Items and every earlier chunk of decisions roll back with it: a manifest with history is one transaction."""
    monkeypatch.setattr(import_store, "WRITE_CHUNK_ROWS", 50)
    real = import_rows.record_past_decisions
    chunks: list[int] = []

    def disk_full_on_the_last(into, rows, **options):
        chunks.append(len(rows))
        if len(chunks) == 6:
            raise StoreUnavailable("database or disk is full")
        return real(into, rows, **options)

    monkeypatch.setattr(import_rows, "record_past_decisions", disk_full_on_the_last)
    before = counts(store)
    with pytest.raises(StoreUnavailable, match="disk is full"):
        run(store, history_manifest(tmp_path / "h.jsonl", 300))
    assert chunks == [50] * 6 and counts(store) == before
    monkeypatch.undo()
    again = run(store, history_manifest(tmp_path / "h.jsonl", 300))
    assert again.committed and again.count("item").added == 300 and again.count("decision").added == 300


def test_an_item_manifest_with_a_bad_last_row_writes_no_chunk(store, tmp_path, monkeypatch):
    monkeypatch.setattr(import_store, "WRITE_CHUNK_ROWS", 50)
    manifest = tmp_path / "m.jsonl"
    manifest.write_text("".join(json.dumps({"id": f"p{i}", "queue": "q", "text": f"post {i}"}) + "\n"
                                for i in range(299)) + json.dumps({"id": "p299", "queue": "q"}) + "\n")
    result = importer.import_manifest(store, manifest, create_queues=True, actor=IMPORTER)
    assert not result.committed and counts(store)[0] == 0
    assert [str(p) for p in result.problems] == [f"{manifest}:300: nothing to review: the row has neither media "
                                                 "nor text"]


# ------------------------------------------------------------------- memory
def peak_memory_of_import(store: Store, manifest: Path) -> int:
    result, peak = peak_python_memory(lambda: run(store, manifest))
    assert result.committed
    return peak


def test_a_history_import_holds_a_chunk_not_the_manifest(file_store, tmp_path, monkeypatch):
    """2,000 and 20,000 rows (items and a decision on each) in chunks of 200: about the same peak of Python memory.

    Chunks are made small so that ten times the rows is a hundred chunks in seconds (the scale figure, a
    million items with their decisions, is ``benchmarks/bench_import.py --scale 1m``'s peak RSS). On a file
    store: the figure is the importer's, not the driver's (a server's client buffers differ).
    """
    monkeypatch.setattr(import_store, "WRITE_CHUNK_ROWS", 200)
    monkeypatch.setattr(items_import, "CHECK_CHUNK_ROWS", 200)
    file_store.add_user(IMPORTER, ["lead"])
    small = peak_memory_of_import(file_store, history_manifest(tmp_path / "small.jsonl", 1_000))
    large = peak_memory_of_import(file_store, history_manifest(tmp_path / "large.jsonl", 10_000, start=1_000))
    assert counts(file_store)[:2] == (11_000, 11_000)
    assert large < 1.5 * small, f"peak {small / 1e6:.1f} MB for 2,000 rows, {large / 1e6:.1f} MB for 20,000"

"""The decision summaries are read by a range of their key alone, and a store made before step m033 keeps every row.

Issue 22: the dashboard read a week of ``queue_days`` (73,000 rows at a million decisions: one per decider, queue
and handle time each day) through the key's index and then each row in the table, 43 ms of CPU of the
dashboard's 100. Step m033 keeps each summary's rows in its key's b-tree on SQLite (``WITHOUT ROWID``): 21 ms.
"""

from __future__ import annotations

from builders import decided_item, people

from desktop import wiring
from review.store import activity, summaries
from review.store.connection import connect


def _plan(store, sql: str, params: list) -> list[str]:
    return [row[-1] for row in store.db.execute(f"EXPLAIN QUERY PLAN {sql}", params)]


def test_a_week_of_summaries_is_read_from_their_keys_alone(file_store):
    people(file_store, ana="moderator", lee="lead")
    file_store.add_queue("spam")
    decided_item(file_store, "spam", "ana", decided_at="2026-01-04T08:00:00.000Z", handle_ms=12_340)
    seen: list[str] = []
    file_store.db.conn.set_trace_callback(seen.append)
    try:
        assert [row[:3] for row in activity.queues_on_days(file_store, "2026-01-01", "2026-01-07")] == [(1, 12_000, 1)]
        assert [row[:3] for row in activity.people_on_days(file_store, "2026-01-01", "2026-01-07")] == [(1, 12_000, 1)]
        assert [row[2] for row in activity.decided_per_hour(file_store, "2026-01-04T00", "2026-01-04T23")] == [1]
    finally:
        file_store.db.conn.set_trace_callback(None)
    for sql in seen:
        plan = _plan(file_store, sql, [])
        assert any("USING PRIMARY KEY" in step for step in plan), plan  # not an index, then the table


def _rows(db) -> dict[str, list[tuple]]:
    return {table: db.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3, 4").fetchall()
            for table in ("decided_hours", "person_days", "queue_days")}


def test_a_store_made_before_the_clustered_summaries_keeps_every_row(tmp_path, clock):
    path = tmp_path / "old.db"
    with wiring.open_store(path, clock=clock) as store:
        people(store, ana="moderator", ben="moderator", lee="lead")
        store.add_queue("spam")
        for n, (who, handle_ms) in enumerate([("ana", 8_449), ("ana", 31_600), ("ben", None), ("ben", 12_000)]):
            decided_item(store, "spam", who, decided_at=f"2026-01-0{n % 2 + 2}T08:{n:02d}:00.000Z",
                         handle_ms=handle_ms)
        kept = _rows(store.db)
    db = connect(path)  # the summaries as m029 left them: rowid tables beside their key's index
    db.execute("DROP TRIGGER decisions_summaries")
    for table, columns in (("decided_hours", "hour, queue_id, user_id"), ("person_days", "day, user_id, handle_ms"),
                           ("queue_days", "day, queue_id, handle_ms, user_id")):
        db.execute(f"ALTER TABLE {table} RENAME TO {table}_then")
        db.execute(f"CREATE TABLE {table} AS SELECT * FROM {table}_then WHERE 0 = 1")
        db.execute(f"CREATE UNIQUE INDEX {table}_key ON {table} ({columns})")
        db.execute(f"INSERT INTO {table} SELECT * FROM {table}_then")
        db.execute(f"DROP TABLE {table}_then")
    db.execute(summaries.TRIGGER)
    db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm033_summaries_clustered'")
    db.conn.commit()
    db.close()
    with wiring.open_store(path, clock=clock) as upgraded:
        assert _rows(upgraded.db) == kept
        assert all("WITHOUT ROWID" in sql for (sql,) in upgraded.db.execute(
            "SELECT sql FROM sqlite_master WHERE name IN ('decided_hours', 'person_days', 'queue_days')"))
        decided_item(upgraded, "spam", "ana", decided_at="2026-01-02T09:00:00.000Z", handle_ms=8_449)
        assert list(summaries.problems(upgraded.db)) == []  # the trigger writes them as before
        assert upgraded.db.execute("SELECT SUM(decisions) FROM person_days").fetchone()[0] == 5

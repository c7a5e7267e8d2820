"""A blind auditor reads nothing of hash lists on a server store (issue 20 §4): a list's action and which items
it matched would tell what the decisions were. dana logs in with her own role (the ``site`` fixture)."""

from __future__ import annotations

import pytest
from test_server_roles import site  # noqa: F401  (the fixture)

from review import taxonomy
from review.known import lists
from review.media.fingerprint import text_sha256

pytestmark = pytest.mark.server_only


def test_a_blind_auditor_reads_no_list_entry_or_match_and_a_moderator_does(site, tmp_path):  # noqa: F811
    queue = site.store.queue("spam")
    site.store.add_items([{"external_id": "x1", "queue_id": queue.id, "kind": "text", "text": "known scam",
                           "content_sha256": text_sha256("known scam"), "received_at": "2026-01-05T08:00:00Z"}])
    path = tmp_path / "l.csv"
    path.write_text("signal_type,signal,tag\ntext,known scam,scam-kit\n")
    lists.import_list(site.store, "lee", path, name="known-bad", taxonomy=taxonomy.load(), action="remove",
                      labels=["spam"])
    assert lists.match_pending(site.store, "lee", "known-bad", since_version=1) == 1
    tables = ("hash_lists", "hash_list_entries", "list_matches")
    with site.sql("dana") as conn:
        assert [conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in tables] == [0, 0, 0]
    with site.sql("ana") as conn:
        assert [conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in tables] == [1, 1, 1]

"""Fixtures the review tests share."""

from __future__ import annotations

import pytest


@pytest.fixture
def setup(store):
    """ana and ben (moderators) and a "spam" queue escalating to "escalations", with three
    text items of the same content (x0, x1, x2, received a minute apart). Returns (ana, ben, spam)."""
    ana = store.add_user("ana", ["moderator"])
    ben = store.add_user("ben", ["moderator"])
    store.add_queue("escalations", "escalation")
    queue = store.add_queue("spam", escalation_queue="escalations")
    store.add_items([
        {"external_id": f"x{i}", "queue_id": queue.id, "kind": "text", "text": "buy now", "content_sha256": "same",
         "received_at": f"2026-01-05T08:0{i}:00.000Z"}
        for i in range(3)
    ])
    return ana, ben, queue

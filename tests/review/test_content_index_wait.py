"""Nobody at a desk waits for the content index to load (issue 22: 4.47 s at 1,051,000 decided items, the
first claim after start waiting for all of it): a claim's "Seen before" is *pending* while a load runs in the
background, and exact once it has loaded; small stores load inline and are never pending."""

from __future__ import annotations

import threading
import time

import pytest

from review import content_index, decisions, near_copies, serving, taxonomy
from review.desk import ReviewDesk


@pytest.fixture
def slow_load(monkeypatch):
    """Every store counts as big, and each load waits for the test's go-ahead (what a 1 M-item load is to a
    claim): (load started, go ahead)."""
    started, go = threading.Event(), threading.Event()
    real = content_index._load

    def load(*args):
        started.set()
        assert go.wait(10), "the test never let the load finish"
        return real(*args)

    monkeypatch.setattr(content_index, "INLINE_ITEMS", 0)
    monkeypatch.setattr(content_index, "_load", load)
    yield started, go
    go.set()
    deadline = time.monotonic() + 10
    while content_index._SLOW and time.monotonic() < deadline:  # the background load ends before the store goes
        time.sleep(0.01)


def _seen(store, item, *, wait):
    return near_copies.seen_before(store, item.id, item.content_sha256, item.pdq, wait=wait)


def test_a_claim_does_not_wait_for_the_load_and_seen_before_is_exact_once_loaded(store, setup, slow_load):
    started, go = slow_load
    ana, _, _ = setup
    decisions.record_past_decision(store, item_id=3, user="ben", action="remove", decided_at="2026-01-05T09:00:00Z")
    shown = ReviewDesk(taxonomy.load()).claim(store, ana)
    assert shown is not None and shown.item.id == 1
    assert not go.is_set()  # the claim came back while the load could not have finished
    assert shown.seen_before.pending and shown.seen_before == {}
    assert started.wait(5), "no load was started in the background"
    assert _seen(store, shown.item, wait=False).pending  # asked again meanwhile: still "not yet", at once
    go.set()
    exact = _seen(store, shown.item, wait=True)
    assert exact == {"remove": 1} and exact.bits == 0 and not exact.pending
    after = _seen(store, shown.item, wait=False)
    assert after == {"remove": 1} and not after.pending


def test_a_bulk_decision_import_is_re_read_in_the_background_too(store, setup, slow_load, monkeypatch):
    """A lead's history import makes the index re-read every outcome (1-2 s at 1 M): not inside a claim."""
    started, go = slow_load
    _, ben, spam = setup
    go.set()
    item = serving.load_item(store, 1)
    assert _seen(store, item, wait=True) == {}
    started.clear()
    go.clear()
    reread = threading.Event()
    real = content_index._read_all_decisions

    def slow_reread(*args):
        reread.set()
        assert go.wait(10)
        real(*args)

    monkeypatch.setattr(content_index, "_read_all_decisions", slow_reread)
    with store.transaction():
        store.db.execute("INSERT INTO decisions (item_id, user_id, queue_id, action, decided_at, client_version,"
                         " source) VALUES (2, ?, ?, 'remove', '2026-01-05T09:00:00.000Z', 'test', 'history')",
                         [ben.id, spam.id])
        store.log("lee", "decisions.imported", "decisions", {"rows": 1})
    assert _seen(store, item, wait=False).pending
    assert reread.wait(5)
    go.set()
    assert _seen(store, item, wait=True) == {"remove": 1}


def test_a_small_store_is_never_pending(store, setup):
    ana, _, _ = setup
    decisions.record_past_decision(store, item_id=3, user="ben", action="remove", decided_at="2026-01-05T09:00:00Z")
    shown = ReviewDesk(taxonomy.load()).claim(store, ana)
    assert shown is not None and shown.seen_before == {"remove": 1} and not shown.seen_before.pending

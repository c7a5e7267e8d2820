"""The demo's escalations are facts of the store, never item metadata (issue 13 §2, review finding 12).

The first demo wrote who escalated, why and from where into each escalated
item's metadata as well, where a reviewer's context panel shows it and
where it disagrees with the store's escalation the moment a lead acts.
"""

from __future__ import annotations

import json

from desktop import wiring
from desktop.demo import review_data as demo
from review import escalations
from review.clock import FakeClock


def test_no_demo_item_carries_escalation_metadata_and_its_escalations_are_real(tmp_path):
    store = wiring.open_store(tmp_path / "veil.db", clock=FakeClock("2026-01-05T09:00:00.000Z"))
    try:
        demo.build_demo(store, tmp_path / "veil.db.media", items=40, seed=7)
        keys = {key for (metadata,) in store.db.execute("SELECT metadata FROM items") for key in json.loads(metadata)}
        assert not [key for key in keys if key.startswith("escal")]
        waiting = [w for w in escalations.waiting(store, "lee") if w.escalation is not None]
        assert waiting and all(w.escalation.escalated_by and w.escalation.reason for w in waiting)
    finally:
        store.close()

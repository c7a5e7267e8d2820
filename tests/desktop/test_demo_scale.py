"""A demo of any size (issue 22 §1): grown in bulk from the small workspace, exact, verified, in bounded memory.

The sizes are shrunk for the tests (``scale.SMALL_LIMIT``, ``BASE_ITEMS`` and ``CHUNK`` are
patched), so a few thousand items take the path a million do: base workspace, then chunks.
"""

from __future__ import annotations

import json
import tracemalloc

import pytest

from desktop import demo, wiring
from desktop.demo import review_data, scale
from desktop.main import main
from review.clock import FakeClock, parse

START = "2026-01-05T09:00:00.000Z"
ITEMS = 3_000


@pytest.fixture
def small_scale(monkeypatch):
    monkeypatch.setattr(scale, "SMALL_LIMIT", 100)
    monkeypatch.setattr(scale, "BASE_ITEMS", 60)
    monkeypatch.setattr(scale, "CHUNK", 700)
    monkeypatch.setattr(scale, "ITEMS_PER_MODERATOR", 1_000)


@pytest.fixture
def grown(small_scale, tmp_path):
    store = wiring.open_store(tmp_path / "veil.db", clock=FakeClock(START))
    steps = []
    summary, qa = demo.create(store, tmp_path / "veil.db.media", items=ITEMS, seed=7,
                              progress=lambda done, total: steps.append((done, total)))
    yield store, summary, qa, steps
    store.close()


def _count(store, sql, *params):
    return store.db.execute(sql, params).fetchone()[0]


def test_a_grown_demo_has_every_item_about_half_decided_and_verifies_clean(grown, capsys):
    store, summary, qa, steps = grown
    assert summary.items == ITEMS == _count(store, "SELECT COUNT(*) FROM items")
    decided = _count(store, "SELECT COUNT(*) FROM items WHERE state = 'decided'")
    assert summary.decided == decided == _count(
        store, "SELECT COUNT(DISTINCT item_id) FROM decisions WHERE item_id NOT IN (SELECT item_id FROM escalations)")
    assert 0.45 * ITEMS <= decided <= 0.55 * ITEMS
    grown_decisions = _count(store, "SELECT COUNT(*) FROM decisions d JOIN items i ON i.id = d.item_id"
                                    " WHERE i.external_id LIKE 'demo-_______'")
    assert grown_decisions == _count(store, "SELECT COUNT(*) FROM exposure e JOIN items i ON i.id = e.item_id"
                                            " WHERE i.external_id LIKE 'demo-_______'")  # what each decider saw
    assert qa.audited > 0 and qa.disputed > 0  # the base workspace's QA: audits and disputes
    assert steps[-1] == (ITEMS - 60, ITEMS - 60)
    assert review_data.is_demo(store) and store.setting("workspace.demo.info")["items"] == ITEMS
    assert summary.users == len(store.users()) == 6 + ITEMS // 1_000  # the bigger team
    assert main(["verify", "--store", str(store.path)]) == 0  # events, reconcile, summaries and counters recounted
    assert "problems: none" in capsys.readouterr().out


def test_grown_items_are_copies_of_real_reports_with_their_hashes_and_times_in_order(grown):
    store, summary, _, _ = grown
    base_media = {row[0] for row in store.db.execute(
        "SELECT content_sha256 FROM items WHERE external_id LIKE 'demo-_____' AND content_sha256 IS NOT NULL")}
    copies = store.db.execute(
        "SELECT content_sha256, content_md5, pdq, media_path FROM items"
        " WHERE external_id LIKE 'demo-_______' AND media_path IS NOT NULL").fetchall()
    assert len(copies) > ITEMS / 3
    assert {sha for sha, *_ in copies} <= base_media  # the bounded pool, shared: "Seen before" has real copies
    assert all(md5 and pdq for _, md5, pdq, _ in copies)
    assert all((summary.media_dir / path).is_file() for *_, path in copies[:50])
    kinds = {row[0] for row in store.db.execute("SELECT DISTINCT kind FROM items")}
    assert {"text", "image", "video"} <= kinds
    received = [row[0] for row in store.db.execute(
        "SELECT received_at FROM items WHERE external_id LIKE 'demo-_______' ORDER BY id")]
    assert received == sorted(received)  # written in arrival order
    now = parse(START)
    for decided_at, shown_at, received_at in store.db.execute(
            "SELECT d.decided_at, d.shown_at, i.received_at FROM decisions d JOIN items i ON i.id = d.item_id"
            " WHERE i.external_id LIKE 'demo-_______'"):
        assert parse(received_at) < parse(shown_at) < parse(decided_at) <= now
    assert min(received) < "2025-12-02"  # decisions reach back five weeks (from 5 January)
    metadata = json.loads(store.db.execute("SELECT metadata FROM items ORDER BY id DESC LIMIT 1").fetchone()[0])
    assert metadata["category"] and metadata["description"]


def test_the_same_seed_grows_the_same_rows(small_scale, tmp_path):
    def rows(folder):
        with wiring.open_store(folder / "veil.db", clock=FakeClock(START)) as store:
            demo.create(store, folder / "media", items=400, seed=3)
            return store.db.execute(
                "SELECT i.external_id, i.queue_id, i.received_at, i.state, d.action, d.decided_at, d.user_id"
                " FROM items i LEFT JOIN decisions d ON d.item_id = i.id ORDER BY i.id").fetchall()

    assert rows(tmp_path / "a") == rows(tmp_path / "b")


def test_a_stopped_build_leaves_the_base_workspace_whole(small_scale, tmp_path, capsys):
    """Ctrl+C after the first chunk: nothing of the growth stays (not even its moderators), and nothing is
    missing (the indexes and triggers a file's bulk load sets aside are back)."""
    def stop(done, total):
        if total == ITEMS - 60 and done:  # the growth's progress (the base's counts its media)
            raise KeyboardInterrupt

    path = tmp_path / "veil.db"
    with wiring.open_store(path, clock=FakeClock(START)) as store:
        with pytest.raises(KeyboardInterrupt):
            demo.create(store, tmp_path / "veil.db.media", items=ITEMS, seed=7, progress=stop)
        assert _count(store, "SELECT COUNT(*) FROM items") == 60 and len(store.users()) == 6
        assert store.setting("workspace.demo.info")["items"] == 60
    assert main(["verify", "--store", str(path)]) == 0
    assert "problems: none" in capsys.readouterr().out


def test_a_small_demo_is_still_built_item_by_item(tmp_path):
    with wiring.open_store(tmp_path / "veil.db", clock=FakeClock(START)) as store:
        summary, _ = demo.create(store, tmp_path / "media", items=60, seed=7)
        assert summary.items == 60 and len(store.users()) == 6
        assert _count(store, "SELECT COUNT(*) FROM items WHERE external_id LIKE 'demo-_______'") == 0


def _peak_growing(tmp_path, items: int) -> int:
    with wiring.open_store(tmp_path / f"m{items}.db", clock=FakeClock(START)) as store:
        built = review_data.build(store, tmp_path / f"m{items}.media", items=60, seed=7)
        tracemalloc.start()
        try:
            scale.grow(store, built, items=items, seed=7)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()


def test_memory_does_not_grow_with_the_number_of_items(small_scale, tmp_path, monkeypatch):
    monkeypatch.setattr(scale, "CHUNK", 2_000)
    small, big = _peak_growing(tmp_path, 8_000), _peak_growing(tmp_path, 40_000)
    assert big < 1.5 * small, (small, big)  # one chunk at a time: five times the items, not five times the memory


@pytest.mark.parametrize("store_kind", ["postgresql"])
def test_a_server_store_grows_too_and_verifies_clean(small_scale, store_location, tmp_path, capsys):
    """``veil demo --store postgresql://…``: the same rows, the decisions' events through the server's chain lock."""
    with wiring.open_store(store_location, clock=FakeClock(START)) as store:
        summary, _ = demo.create(store, tmp_path / "media", items=400, seed=7)
        assert summary.items == 400 == _count(store, "SELECT COUNT(*) FROM items")
        assert _count(store, "SELECT COUNT(*) FROM decisions") > 150
    assert main(["verify", "--store", str(store_location)]) == 0
    assert "problems: none" in capsys.readouterr().out


def test_grown_times_are_veils_canonical_text():
    import datetime as _dt
    import random

    import numpy as np

    from review.clock import iso

    draw = random.Random(5)
    ms = [0, 86_399_999, 1_000, *(draw.randrange(1_600_000_000_000, 1_900_000_000_000) for _ in range(500))]
    assert scale._iso(np.array(ms, np.int64)) == [
        iso(_dt.datetime.fromtimestamp(m / 1000, _dt.UTC).replace(microsecond=m % 1000 * 1000)) for m in ms]

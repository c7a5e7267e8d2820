"""A big store's "Seen before" index saved and mapped back (issue 22: 16 s and 270 MB of the desk's memory at
5 M items, at every start): the next process maps the file and follows the events since; what it answers is what
a whole reading of the store answers; a broken, foreign or stale file is never believed."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from builders import people

from desktop import wiring
from review import content_index, decisions, index_files
from review.store import hashes

PICTURE = "ab" * 32


def _near(bits: int) -> str:
    """PICTURE with its lowest *bits* bits flipped."""
    return f"{int(PICTURE, 16) ^ ((1 << bits) - 1):064x}"


@pytest.fixture
def saved(store, tmp_path, monkeypatch):
    """A store whose index is kept on disk from its first item (the real threshold is 20,000)."""
    monkeypatch.setattr(content_index, "SAVED_FROM_ITEMS", 1)
    store.index_folder = tmp_path / "index"
    people(store, ana="moderator")
    store.queue = store.add_queue("images")
    _add(store, [(f"i{n}", _near(n % 9), f"{n:064x}") for n in range(40)])
    return store


def _add(store, rows):
    store.add_items([{"external_id": name, "queue_id": store.queue.id, "kind": "image", "pdq": f"{column}:90",
                      "content_sha256": sha, "received_at": "2026-01-05T08:00:00Z"} for name, column, sha in rows])


def _decide(store, item_id, action):
    decisions.record_past_decision(store, item_id=item_id, user="ana", action=action,
                                   decided_at="2026-01-05T09:00:00Z")


def _new_process(store):
    """What a new process starts with: nothing of the store in memory."""
    content_index._LOADED.pop(content_index._where(store), None)


def _answer(store, sha="", hexes=(PICTURE,)):
    found = content_index.copies(store, sha, list(hexes), 31)
    return sorted(zip(found.ids.tolist(), found.bits.tolist(), strict=True)), found.counts()


def _whole_reading(store, sha="", hexes=(PICTURE,)):
    """The same question asked of an index read whole from the store, in memory."""
    folder, store.index_folder = store.index_folder, None
    _new_process(store)
    try:
        return _answer(store, sha, hexes)
    finally:
        store.index_folder = folder
        _new_process(store)


def _generations(store):
    return [p for p in store.index_folder.rglob("*") if p.is_dir() and p.parent.parent == store.index_folder]


def test_the_next_process_maps_the_saved_index_and_reads_only_what_came_after(saved, monkeypatch):
    _decide(saved, 3, "remove")
    first = _answer(saved)
    assert len(_generations(saved)) == 1
    _new_process(saved)
    _add(saved, [("late", _near(2), "f" * 64)])
    _decide(saved, 12, "no_violation")
    read_from = []
    reading = hashes.item_hashes
    monkeypatch.setattr(hashes, "item_hashes", lambda store, after, limit: read_from.append(after)
                        or reading(store, after, limit))
    mapped = _answer(saved)
    assert read_from and min(read_from) >= 40  # only the items after the saved ones: no whole reading
    loaded = content_index._LOADED[content_index._where(saved)]
    assert isinstance(loaded.content, np.memmap) and isinstance(loaded.outcome, np.memmap)
    assert mapped != first and mapped == _whole_reading(saved)
    assert mapped[1] == {"remove": 1, "no_violation": 1}
    assert 41 in dict(mapped[0])


def test_exact_copies_and_outcomes_agree_with_a_whole_reading_after_mapping(saved):
    for item_id, action in [(1, "remove"), (2, "restrict"), (1, "no_violation")]:
        _decide(saved, item_id, action)
    _answer(saved)
    _new_process(saved)
    _add(saved, [("copy", _near(30), f"{5:064x}")])  # the same bytes as item 6
    assert _answer(saved, f"{5:064x}", [_near(4)]) == _whole_reading(saved, f"{5:064x}", [_near(4)])


def test_a_broken_saved_file_is_skipped_removed_and_read_again_from_the_store(saved, caplog):
    expected = _answer(saved)
    [generation] = _generations(saved)
    content = generation / "content.npy"
    raw = bytearray(content.read_bytes())
    raw[-3] ^= 0xFF  # one item's content key, flipped: a wrong "same bytes" answer if believed
    content.write_bytes(bytes(raw))
    _new_process(saved)
    with caplog.at_level(logging.WARNING, logger="review.index_files"):
        assert _answer(saved) == expected
    assert "content.npy is not as written" in caplog.text
    assert generation not in _generations(saved) and len(_generations(saved)) == 1  # the new one


def test_a_saved_index_of_a_fresh_store_behind_the_same_address_is_not_believed(saved):
    _answer(saved)
    saved.db.execute("UPDATE hash_state SET token = 'another'")
    saved.db.conn.commit()
    _new_process(saved)
    before = _generations(saved)
    assert _answer(saved) == _whole_reading(saved)
    assert _generations(saved) != before  # read whole again, and saved again


@pytest.mark.parametrize("copy_then", ["nothing", "another decision"])
def test_a_copy_restored_behind_the_same_address_is_not_taken_for_the_store_the_index_was_saved_of(
        file_store, tmp_path, monkeypatch, copy_then):
    """A store restored from a copy made before the index was saved: its log stops before the saved index's
    event, or (once decided on) reaches the same event id by another way."""
    people(file_store, ana="moderator")
    file_store.queue = file_store.add_queue("images")
    _add(file_store, [(f"i{n}", _near(n % 9), f"{n:064x}") for n in range(40)])
    file_store.db.execute("VACUUM INTO ?", [str(tmp_path / "copy.db")])
    _decide(file_store, 5, "remove")
    monkeypatch.setattr(content_index, "SAVED_FROM_ITEMS", 1)
    monkeypatch.setattr(content_index, "_where", lambda store: "the same address")
    file_store.index_folder = tmp_path / "index"
    _answer(file_store)
    with wiring.open_store(tmp_path / "copy.db") as copy:
        copy.index_folder, copy.queue = file_store.index_folder, file_store.queue
        if copy_then == "another decision":
            _decide(copy, 7, "restrict")
            assert copy.db.execute("SELECT MAX(id) FROM events").fetchone() == file_store.db.execute(
                "SELECT MAX(id) FROM events").fetchone()
        _new_process(copy)
        before = _generations(copy)
        assert _answer(copy) == _whole_reading(copy)
        assert _answer(copy)[1] == ({"restrict": 1} if copy_then == "another decision" else {})
        assert _generations(copy) != before


def test_a_disk_that_refuses_leaves_the_index_in_memory_and_the_answer_right(saved, caplog):
    shutil.rmtree(saved.index_folder, ignore_errors=True)
    saved.index_folder.parent.mkdir(exist_ok=True)
    saved.index_folder.write_text("a file where the folder should be")
    with caplog.at_level(logging.WARNING, logger="review.content_index"):
        assert _answer(saved) == _whole_reading(saved)
    assert "stays in memory" in caplog.text


def test_a_long_way_behind_it_is_saved_again_so_the_next_start_follows_less(saved, monkeypatch):
    _answer(saved)
    [before] = _generations(saved)
    _new_process(saved)
    monkeypatch.setattr(content_index, "RESAVE_EVENTS", 3)
    for item_id in (1, 2, 3):
        _decide(saved, item_id, "remove")
    assert _answer(saved) == _whole_reading(saved)
    [after] = _generations(saved)
    assert after != before
    assert index_files.load_generation(after)[0]["last_event"] == saved.db.execute(
        "SELECT MAX(id) FROM events").fetchone()[0]



def test_exact_copies_are_every_item_with_that_key_whether_sorted_or_read_since():
    """Runs of equal keys, keys below, between and above them, half of the items read after the sort."""
    rng = np.random.default_rng(8)
    loaded = content_index._Loaded("t")
    content = rng.choice(np.array([0, 5, 6, 9, 2**63, 2**64 - 1], dtype=np.uint64), 3000, p=[.3, .3, .1, .2, .05, .05])
    loaded.read, loaded.content = np.arange(3000) < 1500, np.where(np.arange(3000) < 1500, content, 0)
    loaded.sort_exact()
    loaded.read[:], loaded.content[1500:] = True, content[1500:]
    loaded.taken = [np.arange(1500, 2000), np.arange(2000, 3000)]
    for key in (1, 5, 6, 7, 9, 10, 2**63, 2**64 - 1):
        assert sorted(loaded.exact(key).tolist()) == np.flatnonzero(content == np.uint64(key)).tolist()
    assert loaded.exact(0).tolist() == []


def test_a_store_small_enough_to_load_inline_is_never_saved(saved, monkeypatch):
    """Up to INLINE_ITEMS a look-up inside a claim loads the index itself: it must not write files there."""
    monkeypatch.setattr(content_index, "SAVED_FROM_ITEMS", 40)  # the fixture's store holds items 1 to 40
    _answer(saved)
    assert not saved.index_folder.exists()
    _new_process(saved)
    _add(saved, [("one more", _near(1), "e" * 64)])
    _answer(saved)
    assert len(_generations(saved)) == 1


_CHILD = """
import logging
import sys
from pathlib import Path

from desktop import wiring
from review import content_index

content_index.SAVED_FROM_ITEMS = 1
logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
whole = []
reading = content_index._load_whole
content_index._load_whole = lambda *args: whole.append(args) or reading(*args)
with wiring.open_store(sys.argv[1]) as store:
    store.index_folder = Path(sys.argv[2])
    content_index.warm(store)
    print("read whole" if whole else "mapped", content_index.is_loaded(store))
"""


def _said_it_waits(child: subprocess.Popen) -> bool:
    """Read the child's log until it says it waits for another process's build (False: it ended first)."""
    return any(line.startswith("waiting for another process building the index") for line in child.stderr)


@pytest.mark.skipif(sys.platform == "win32", reason="Windows has no flock: each process builds its own")
def test_a_second_process_waits_for_the_first_ones_save_and_maps_it(saved):
    """Eight desks of one computer starting on a 5 M-item store would each have read the whole store and held
    678 MB while sorting it: the second waits for the first's save and maps it."""
    where = content_index._where(saved)
    folder = content_index._folder(saved, where)
    with index_files.building(folder) as waited:  # this process is building the index
        assert not waited
        child = subprocess.Popen([sys.executable, "-c", _CHILD, saved.url or str(saved.path), str(saved.index_folder)],
                                 cwd=Path(__file__).resolve().parents[2], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        assert _said_it_waits(child)
        _new_process(saved)  # and saves it, as content_index._built_once does under the lock
        content_index._load_whole(saved, where, hashes.followed_since(saved, None))
    said, _ = child.communicate(timeout=60)
    assert said.split() == ["mapped", "True"]
    assert len(_generations(saved)) == 1


@pytest.mark.skipif(sys.platform == "win32", reason="Windows has no flock: each process builds its own")
def test_a_build_held_past_the_patience_is_not_waited_for(tmp_path, caplog):
    """A process stopped (not killed) mid-build keeps its lock: another desk waits for it a bounded time, then
    builds its own without taking the lock, which the first still holds."""
    import fcntl

    with index_files.building(tmp_path) as first:  # the stopped process (the lock is per open file)
        assert not first
        with caplog.at_level(logging.WARNING), index_files.building(tmp_path, patience_s=0.2) as waited:
            assert waited  # the caller looks for a save first, then builds
        assert "gave up waiting" in caplog.text
        with open(tmp_path / index_files.BUILDING, "rb") as other, pytest.raises(BlockingIOError):
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # still the first one's

"""Saved index files (review/index_files.py): what is mapped back is what was saved, and a broken, hostile or
half-written folder is skipped with a warning, never believed, never a crash."""

from __future__ import annotations

import json
import logging
import os
import time

import numpy as np
import pytest

from review import index_files
from review.media.pdq_index import PdqIndex

ARRAYS = {"read": np.array([False, True, True]), "content": np.array([0, 7, 9], dtype=np.uint64)}


def test_what_is_mapped_back_is_what_was_saved_and_a_change_stays_in_memory(tmp_path):
    generation = index_files.save(tmp_path, 12, {"token": "t", "gaps": [[3, 4]]}, ARRAYS)
    head, arrays = index_files.load(tmp_path)
    assert head == {"token": "t", "gaps": [[3, 4]]}
    assert {name: a.tolist() for name, a in arrays.items()} == {name: a.tolist() for name, a in ARRAYS.items()}
    assert all(isinstance(a, np.memmap) for a in arrays.values())
    arrays["content"][0] = 5  # copy-on-write: the process's page, not the file
    assert index_files.load_generation(generation)[1]["content"].tolist() == [0, 7, 9]


def test_a_newer_save_replaces_the_older_and_an_abandoned_half_save_is_cleared(tmp_path):
    abandoned, in_progress = tmp_path / ".writing-crashed", tmp_path / ".writing-another-process"
    abandoned.mkdir(parents=True)
    in_progress.mkdir()
    os.utime(abandoned, (time.time() - 7200, time.time() - 7200))
    older = index_files.save(tmp_path, 1, {"n": 1}, ARRAYS)
    newer = index_files.save(tmp_path, 2, {"n": 2}, ARRAYS)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([newer.name, in_progress.name])
    assert not older.exists() and index_files.load(tmp_path)[0] == {"n": 2}


def _corrupt_head(generation, text):
    (generation / index_files.HEAD).write_text(text)


@pytest.mark.parametrize("damage", [
    lambda g: (g / "content.npy").write_bytes((g / "content.npy").read_bytes()[:-8]),  # truncated
    lambda g: (g / "content.npy").unlink(),
    lambda g: _corrupt_head(g, "{not json"),
    lambda g: _corrupt_head(g, json.dumps({"format": 99, "head": {}, "files": {}})),
    lambda g: _corrupt_head(g, json.dumps({"format": 1, "head": [], "files": {}})),
    lambda g: _corrupt_head(g, json.dumps({"format": 1, "head": {}, "files": {"../../etc/passwd": "x"}})),
    lambda g: _corrupt_head(g, json.dumps({"format": 1, "head": {}, "files": {"read": 5}})),
    lambda g: _corrupt_head(g, " " * (index_files._HEAD_BYTES + 10)),
    lambda g: (g / index_files.HEAD).unlink(),
], ids=["truncated", "missing array", "not json", "other format", "head not a dict", "a path as a name",
        "digest not text", "huge head", "no head"])
def test_a_broken_newest_generation_is_skipped_for_the_one_before_and_removed(tmp_path, damage, caplog):
    older = index_files.save(tmp_path, 1, {"n": 1}, ARRAYS)
    (tmp_path / "keep").mkdir()
    newest = tmp_path / f"{2:020d}-{'0' * 32}"
    older.rename(newest)  # the newest's files...
    index_files.save(tmp_path / "keep", 1, {"n": 1}, ARRAYS).rename(older)  # ...and an older whole one
    damage(newest)
    with caplog.at_level(logging.WARNING, logger="review.index_files"):
        assert index_files.load(tmp_path)[0] == {"n": 1}
    assert "skipping the saved index" in caplog.text and not newest.exists()


def test_foreign_folders_and_files_beside_the_generations_are_not_read(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "12345").mkdir()
    assert index_files.load(tmp_path) is None
    assert index_files.load(tmp_path / "missing") is None


def test_names_that_are_not_plain_file_names_are_refused_before_anything_is_written(tmp_path):
    with pytest.raises(ValueError, match="lowercase"):
        index_files.save(tmp_path, 1, {}, {"../up": np.zeros(1)})
    assert not tmp_path.exists() or not any(tmp_path.iterdir())


def test_a_pdq_index_made_again_from_its_arrays_finds_the_same_and_refuses_parts_that_do_not_fit(tmp_path):
    rng = np.random.default_rng(3)
    hexes = [rng.integers(0, 256, 32, dtype=np.uint8).tobytes().hex() for _ in range(6000)]
    index = PdqIndex()
    index.add(range(5000), hexes[:5000])
    index.add(range(5000, 5100), hexes[5000:5100])  # a tail beside the segment
    index_files.save(tmp_path, 1, {}, index.arrays())
    again = PdqIndex.from_arrays(index_files.load(tmp_path)[1])
    assert len(again) == len(index) == 5100
    for query in hexes[::250]:
        assert again.search(query, 31) == index.search(query, 31)
    broken = index.arrays()
    broken["segment0.orders"] = broken["segment0.orders"][:-1]
    with pytest.raises(ValueError, match="do not fit"):
        PdqIndex.from_arrays(broken)
    broken = index.arrays()
    del broken["tail.keys"]
    with pytest.raises(ValueError, match="without"):
        PdqIndex.from_arrays(broken)


def test_a_compacted_index_keeps_each_distinct_hash_once_however_many_items_show_it():
    """A demo store shows 3.4 M items from a pool of 136 pictures: one comparison a picture, not one an item."""
    rng = np.random.default_rng(5)
    pool = [rng.integers(0, 256, 32, dtype=np.uint8).tobytes().hex() for _ in range(10)]
    index = PdqIndex()
    index.add(range(5000), [pool[n % 10] for n in range(5000)])
    index.add(range(5000, 5050), [pool[n % 3] for n in range(50)])
    index.compact()
    [segment] = index._segments
    assert len(segment.distinct) == 10 and segment.rows == len(index) == 5050
    assert sorted(f.key for f in index.search(pool[1], 0)) == [n for n in range(5000) if n % 10 == 1] + [
        5000 + n for n in range(50) if n % 3 == 1]


def test_indexes_of_stores_no_longer_opened_are_forgotten_and_one_just_loaded_is_kept(tmp_path):
    stale, used, current = (tmp_path / name for name in ("stale", "used", "current"))
    for folder in (stale, used, current):
        index_files.save(folder, 1, {}, ARRAYS)
        os.utime(folder, (time.time() - 40 * 86400, time.time() - 40 * 86400))
    assert index_files.load(used) is not None  # a load marks its store's folder as used
    index_files.forget_unused(tmp_path, current, days=30)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["current", "used"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_saved_generation_is_readable_by_this_account_alone(tmp_path):
    """It holds every item's current outcome, as the store does (which warns when others may read it)."""
    generation = index_files.save(tmp_path / "index", 1, {}, ARRAYS)
    assert generation.stat().st_mode & 0o077 == 0 and (tmp_path / "index").stat().st_mode & 0o077 == 0

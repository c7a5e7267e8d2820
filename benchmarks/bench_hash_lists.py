"""Hash lists at scale: importing a list of a million hashes, and looking an item up against it.

Setup: a CSV of ``--entries`` random PDQ hashes and as many MD5s, imported with ``veil hashlist import``'s
own call (:func:`review.known.lists.import_list`: every line checked, then written in chunks of
``lists.WRITE_CHUNK`` entries, a transaction each, and published in a last one).
Timed:

* the import, in entries per second (no floor: it is printed for the record);
* a PDQ look-up in the lists' in-memory index (:mod:`review.known.list_index`), within the default threshold
  of 31 bits, for near copies of listed hashes and for unrelated pictures, p95 of ``--repeat``; floor: the
  same look-up as a bare NumPy popcount over the whole array of list hashes; and the median of both (the
  speed guard's figure: a hiccup of a shared machine lengthens a 0.2 ms look-up's p95 far more, in
  proportion, than its 0.6 ms floor's, so the p95's ratio says more about the machine than about Veil);
* an exact look-up (``veil match``'s, :func:`review.store.hashlists.exact_lookup`), p95; floor: a bare indexed
  ``SELECT id FROM hash_list_entries WHERE signal_type = ? AND signal = ?``;
* the lists' intake step for a chunk of 2,000 text items with no match (:func:`review.known.list_matching.match_items`,
  inside the chunk's transaction), per chunk, with the lists present; floor: the same chunk's one exact-match
  statement alone. And the same step on a store with no list (one row read).

    .venv/bin/python benchmarks/bench_hash_lists.py [--entries 1000000] [--repeat 300]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from common import figure, percentile, record  # noqa: E402

from desktop import wiring  # noqa: E402
from review import taxonomy  # noqa: E402
from review.known import list_index, list_matching, lists  # noqa: E402
from review.store import hashlists  # noqa: E402

CHUNK = 2_000


def _p95_ms(samples: list[float]) -> float:
    return round(percentile([s * 1000 for s in samples], 95), 3)


def _median_ms(samples: list[float]) -> float:
    return round(percentile([s * 1000 for s in samples], 50), 3)


def write_list(path: Path, entries: int, rng: np.random.Generator) -> np.ndarray:
    """A CSV of *entries* PDQ hashes and *entries* MD5s; the PDQ hashes as an (n, 32) uint8 array."""
    hashes = rng.integers(0, 256, (entries, 32), dtype=np.uint8)
    md5s = rng.integers(0, 256, (entries, 16), dtype=np.uint8)
    with open(path, "w", encoding="utf-8") as out:
        out.write("signal_type,signal,tag\n")
        for n in range(entries):
            out.write(f"pdq,{hashes[n].tobytes().hex()},t{n % 97}\nmd5,{md5s[n].tobytes().hex()},t{n % 97}\n")
    return hashes


def near(picture: np.ndarray, bits: int, rng: np.random.Generator) -> str:
    flipped = picture.copy()
    for bit in rng.choice(256, bits, replace=False):
        flipped[bit // 8] ^= 1 << (bit % 8)
    return flipped.tobytes().hex()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()
    rng = np.random.default_rng(20)
    scale = f"{args.entries:,} PDQ + {args.entries:,} MD5 list entries"
    with tempfile.TemporaryDirectory() as folder:
        folder_path = Path(folder)
        listed = write_list(folder_path / "list.csv", args.entries, rng)
        store = wiring.open_store(folder_path / "veil.db")
        store.add_user("lee", ["lead"])
        queue = store.add_queue("posts")
        empty = wiring.open_store(folder_path / "empty.db")
        empty.add_user("lee", ["lead"])
        empty_queue = empty.add_queue("posts")

        started = time.perf_counter()
        done = lists.import_list(store, "lee", folder_path / "list.csv", name="big", taxonomy=taxonomy.load())
        seconds = time.perf_counter() - started
        figure("hashlist_import_entries", round(done.lines / seconds), "entries/s", scale=scale)

        started = time.perf_counter()
        loaded = list_index.current(store)
        load_s = time.perf_counter() - started
        threshold = 31
        all_words = np.frombuffer(listed.tobytes(), dtype=">u8").astype(np.uint64).reshape(-1, 4)
        queries = [near(listed[int(rng.integers(len(listed)))], int(rng.integers(0, 31)), rng)
                   if k % 2 == 0 else rng.integers(0, 256, 32, dtype=np.uint8).tobytes().hex()
                   for k in range(args.repeat)]
        veil, floor, found = [], [], 0
        for query in queries:
            started = time.perf_counter()
            keys, _ = loaded.index.search_arrays(query, threshold)
            veil.append(time.perf_counter() - started)
            found += len(keys) > 0
            word = np.frombuffer(bytes.fromhex(query), dtype=">u8").astype(np.uint64)
            started = time.perf_counter()
            apart = np.bitwise_count(all_words ^ word).sum(axis=1)
            np.flatnonzero(apart <= threshold)
            floor.append(time.perf_counter() - started)
        figure("hashlist_pdq_lookup_p95", _p95_ms(veil), "ms p95", floor=_p95_ms(floor), target="<= 5 ms",
               n=len(veil), scale=scale)
        figure("hashlist_pdq_lookup_median", _median_ms(veil), "ms median", floor=_median_ms(floor),
               n=len(veil), scale=scale)

        md5s = [s for (s,) in store.db.execute(
            "SELECT signal FROM hash_list_entries WHERE signal_type = 'md5' ORDER BY id LIMIT ?", [args.repeat])]
        veil, floor = [], []
        for md5 in md5s:
            started = time.perf_counter()
            hashlists.exact_lookup(store, "md5", md5)
            veil.append(time.perf_counter() - started)
            started = time.perf_counter()
            store.db.execute("SELECT id FROM hash_list_entries WHERE signal_type = ? AND signal = ?",
                             ["md5", md5]).fetchall()
            floor.append(time.perf_counter() - started)
        figure("hashlist_exact_lookup_p95", _p95_ms(veil), "ms p95", floor=_p95_ms(floor), target="<= 5 ms",
               n=len(veil), scale=scale)

        chunks, floor, bare = [], [], []
        for number in range(5):
            for target, queue_id, times in ((store, queue.id, chunks), (empty, empty_queue.id, bare)):
                target.add_items([{"external_id": f"c{number}-{n}", "queue_id": queue_id, "kind": "text",
                                   "text": f"post {number} {n}", "content_sha256": f"{number:08x}{n:056x}",
                                   "received_at": "2026-01-05T08:00:00Z"} for n in range(CHUNK)])
                ids = [i for (i,) in target.db.execute("SELECT id FROM items WHERE external_id LIKE ? ORDER BY id",
                                                       [f"c{number}-%"])]
                with target.transaction():
                    started = time.perf_counter()
                    list_matching.match_items(target, ids, actor="lee")
                    times.append(time.perf_counter() - started)
            with store.transaction():
                started = time.perf_counter()
                hashlists.exact_matches(store, ids[0], ids[-1])
                floor.append(time.perf_counter() - started)
        figure("hashlist_intake_chunk", _p95_ms(chunks), "ms per 2,000 items", floor=_p95_ms(floor), n=len(chunks),
               scale=scale)
        figure("hashlist_intake_chunk_no_lists", _p95_ms(bare), "ms per 2,000 items", n=len(bare),
               scale="no lists")
        record("hash_lists", {"entries": done.lines, "import_s": round(seconds, 1), "index_load_s": round(load_s, 2),
                              "queries_with_a_match": found, "queries": len(queries)})
        store.close()
        empty.close()


if __name__ == "__main__":
    main()

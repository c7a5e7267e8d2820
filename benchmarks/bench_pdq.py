"""PDQ: agreement with the reference, robustness of matching, crop tolerance, and look-up speed.

1. **Agreement**: Veil's NumPy PDQ against the reference ``pdqhash`` (ThreatExchange's C++) on
   ``--agree`` generated pictures of every kind (shapes, gradients, words, noise, textures, composites,
   thin and odd sizes): the share hashed bit for bit the same, the worst difference, equal qualities.
2. **Robustness** (issue 20, "Done means"): ``--originals`` varied pictures, each copied half-size, as
   JPEG q40, cropped 0.5 % a side, 20 % brighter and re-encoded as PNG; the share of copies within the
   threshold of their original; false matches of the originals against ``--unrelated`` other pictures;
   mirrored copies with dihedral matching (the copy's eight hashes). Crop tolerance: 1, 2, 5 % a side.
3. **Look-up**: p50/p95 of one search at the default threshold against ``--hashes`` random hashes in
   :class:`review.media.pdq_index.PdqIndex` (multi-index: exhaustive), beside the floor of a NumPy
   popcount over every hash.
4. **Speed** (issue 22): the median time to hash one picture of each ``--speed`` size (random pixels, RGB),
   beside the floor of the reference C++ (``pdqhash.compute``) on the same picture, and Veil's peak memory
   per pixel (tracemalloc: what ``review.media.intake`` reserves for hashing).

    .venv/bin/python benchmarks/bench_pdq.py [--originals 200] [--unrelated 1000] [--hashes 1000000]
    .venv/bin/python benchmarks/bench_pdq.py --agree 0 --originals 0 --hashes 0 --speed 320x240,2000x2000
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests" / "review"))

import pdq_pictures as pictures  # noqa: E402
from common import figure, percentile, record  # noqa: E402

from review.media import pdq  # noqa: E402
from review.media.pdq_index import PdqIndex, words  # noqa: E402

THRESHOLD = pdq.DEFAULT_THRESHOLD


def agreement(count: int) -> dict:
    try:
        import pdqhash
    except ImportError:
        print("agreement: pdqhash is not installed (pip install -e '.[test]'); skipped")
        return {}
    same = worst = quality_differs = 0
    for seed in range(count):
        image = np.ascontiguousarray(pictures.plain(seed))
        bits, quality = pdqhash.compute(image)
        reference = f"{int(''.join(str(int(b)) for b in bits), 2):064x}"
        mine = pdq.pdq_hash(image)
        apart = pdq.distance(reference, mine.hex)
        same += apart == 0
        worst = max(worst, apart)
        quality_differs += quality != mine.quality
    return {"pictures": count, "identical_share": round(same / count, 4), "worst_bits": worst,
            "quality_differs": quality_differs}


def robustness(originals: int, unrelated: int) -> dict:
    started = time.perf_counter()
    images = [pictures.picture(seed) for seed in range(originals)]
    hashes = [pdq.pdq_hash(np.asarray(image)).hex for image in images]
    qualities = [pdq.pdq_hash(np.asarray(image)).quality for image in images]
    figures: dict = {"originals": originals, "unrelated": unrelated, "threshold": THRESHOLD,
                     "low_quality_originals": sum(q < pdq.GOOD_QUALITY for q in qualities)}
    copies = {**pictures.COPIES, "cropped 1% a side": pictures.cropped(0.01),
              "cropped 2% a side": pictures.cropped(0.02), "cropped 5% a side": pictures.cropped(0.05)}
    for name, copy in copies.items():
        apart = [pdq.distance(h, pdq.pdq_hash(np.asarray(copy(image))).hex) for image, h in zip(images, hashes)]
        figures[name] = {"matched": round(sum(d <= THRESHOLD for d in apart) / originals, 4),
                         "median_bits": int(np.median(apart)), "worst_bits": max(apart)}
    mirrored = [min(pdq.distance(h, turned.hex) for turned in pdq.dihedral_hashes(np.asarray(pictures.mirrored(i))))
                for i, h in zip(images, hashes)]
    figures["mirrored, dihedral"] = {"matched": round(sum(d <= THRESHOLD for d in mirrored) / originals, 4),
                                     "median_bits": int(np.median(mirrored)), "worst_bits": max(mirrored)}
    others = [pdq.dihedral_hashes(np.asarray(pictures.picture(1_000_000 + seed))) for seed in range(unrelated)]
    index = PdqIndex()
    index.add(range(unrelated), (turned[0].hex for turned in others))
    turned_index = PdqIndex()
    turned_index.add((n for n in range(unrelated) for _ in range(8)), (t.hex for turned in others for t in turned))
    false = sum(bool(index.search(h, THRESHOLD)) for h in hashes)
    false_turned = sum(bool(turned_index.search(h, THRESHOLD)) for h in hashes)
    nearest = min(pdq.distance(h, turned[0].hex) for h in hashes for turned in others)
    figures["false matches"] = {"pairs": originals * unrelated, "originals_matched": false,
                                "originals_matched_dihedral": false_turned, "nearest_unrelated_bits": nearest}
    figures["seconds"] = round(time.perf_counter() - started, 1)
    return figures


def lookup(count: int, queries: int = 300) -> None:
    rng = np.random.default_rng(7)
    raw = rng.integers(0, 256, size=(count, 32), dtype=np.uint8)
    hexes = [row.tobytes().hex() for row in raw]
    started = time.perf_counter()
    index = PdqIndex()
    index.add(range(count), hexes)
    built = time.perf_counter() - started
    every = words(hexes)
    samples, floor = [], []
    for n in range(queries):
        target = bytearray(raw[(n * 7919) % count].tobytes())
        for bit in rng.choice(256, int(rng.integers(0, THRESHOLD + 1)), replace=False):
            target[bit // 8] ^= 1 << (bit % 8)
        query = target.hex()
        start = time.perf_counter()
        found = index.search_arrays(query, THRESHOLD)
        samples.append(time.perf_counter() - start)
        start = time.perf_counter()
        distances = np.bitwise_count(every ^ words([query])[0]).sum(axis=1)
        brute = np.flatnonzero(distances <= THRESHOLD)
        floor.append(time.perf_counter() - start)
        assert sorted(found[0].tolist()) == brute.tolist(), "the index must find what the full scan finds"
    p95 = round(percentile(samples, 95) * 1000, 3)
    figure("PDQ look-up, 1 M hashes" if count == 1_000_000 else f"PDQ look-up, {count:,} hashes", p95, "ms p95",
           floor=round(percentile(floor, 95) * 1000, 3), target="<= 5 ms", n=queries, scale=f"{count:,} hashes")
    record("pdq look-up", {"hashes": count, "build_s": round(built, 2), "p95_ms": p95,
                           "p50_ms": round(percentile(samples, 50) * 1000, 3),
                           "full_scan_p95_ms": round(percentile(floor, 95) * 1000, 2)})


def speed(sizes: list[tuple[int, int]], runs: int = 15) -> None:
    """Milliseconds to hash one picture of each size, beside the reference C++ on the same picture."""
    import statistics
    import tracemalloc

    try:
        import pdqhash
    except ImportError:
        pdqhash = None
    rng = np.random.default_rng(22)
    for width, height in sizes:
        image = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        tries = max(3, runs if width * height < 1_000_000 else runs // 3)
        ours = statistics.median(_seconds(pdq.pdq_hash, image) for _ in range(tries)) * 1000
        theirs = (statistics.median(_seconds(pdqhash.compute, image) for _ in range(tries)) * 1000
                  if pdqhash else None)
        tracemalloc.start()
        pdq.pdq_hash(image)
        peak = tracemalloc.get_traced_memory()[1] / (width * height)
        tracemalloc.stop()
        figure(f"pdq_hash_{width}x{height}", round(ours, 2), "ms", floor=theirs and round(theirs, 2),
               target="bit for bit the reference's hash, near its time", n=tries, scale=f"{width}x{height} RGB")
        record(f"pdq_hash_{width}x{height}", {"median_ms": round(ours, 2), "reference_ms": theirs and round(theirs, 2),
                                               "peak_bytes_per_pixel": round(peak, 1)})


def _seconds(hash_one, image: np.ndarray) -> float:
    start = time.perf_counter()
    hash_one(image)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agree", type=int, default=600)
    parser.add_argument("--originals", type=int, default=200)
    parser.add_argument("--unrelated", type=int, default=1000)
    parser.add_argument("--hashes", type=int, default=1_000_000)
    parser.add_argument("--speed", default="320x240,1280x960,2000x2000", help="sizes to time, WxH,… ('' skips)")
    args = parser.parse_args()
    if args.agree:
        record("pdq agreement with pdqhash", agreement(args.agree))
    if args.originals:
        found = robustness(args.originals, args.unrelated)
        for name, value in found.items():
            print(f"  {name}: {value}")
        record("pdq robustness", found)
    if args.hashes:
        lookup(args.hashes)
    if args.speed:
        speed([(int(w), int(h)) for w, h in (size.lower().split("x") for size in args.speed.split(","))])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

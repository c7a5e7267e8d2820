"""Media in a server store (issue 15 §4): upload speed, import speed, and reading a picture on demand.

Three figures on a throwaway PostgreSQL server (or ``--url``), loopback:

* upload MB/s of one large file straight into the blob rows
  (:func:`review.media.root.upload`: 1 MiB rows, one transaction
  each, hashed as sent), with the Python memory it peaked at (bounded by a
  chunk, whatever the file's size), and the same bytes again (deduplicated:
  the file is hashed and compared with the stored chunk digests, nothing sent);
* claim p95 of a moderator claiming and deciding beside that upload, against
  the same with no upload: chunk writes take the site's write lock shared,
  so claims should not wait behind them;
* images/s and MB/s of ``veil import`` of a manifest of generated PNGs
  (each checked, decoded and hashed as on a file store, then uploaded);
* read-on-demand latency of a 2 MB image: the bytes fetched and checked
  chunk by chunk, and the whole path a desk takes (fetch, decode in memory,
  fit to 1280×720), p50 and p95.

    .venv/bin/python benchmarks/bench_server_media.py [--url postgresql://…] [--images 200] [--big-mb 64]
        [--reads 50]

Media are generated (noise, shapes), never real content.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path[:0] = [str(ROOT), str(ROOT.parent)]
sys.path.append(str(ROOT.parent / "tests"))  # tests/postgres.py starts the throwaway server

import numpy as np  # noqa: E402
from common import fill_text_items, record, summary_ms  # noqa: E402
from PIL import Image  # noqa: E402

from desktop import wiring  # noqa: E402
from review import taxonomy  # noqa: E402
from review.desk import ReviewDesk  # noqa: E402
from review.imports import manifest as importer  # noqa: E402
from review.media import frames, source  # noqa: E402
from review.media import root as media_files  # noqa: E402

LEAD = "lee"
MODERATOR = "mo"


def noisy_png(path: Path, side: int, seed: int) -> Path:
    """A PNG of incompressible pixels (about 3 bytes a pixel)."""
    pixels = np.random.default_rng(seed).integers(0, 255, (side, side, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path, compress_level=1)
    return path


def measure(url: str, images: int, big_mb: int, reads: int) -> None:
    store = wiring.open_store(url)
    store.add_user(LEAD, ["lead"])
    store.add_user(MODERATOR, ["moderator"])
    fill_text_items(store, store.add_queue("claims").id, 20_000)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        _upload(store, work, big_mb)
        _import(store, work, images)
        _read(store, work, reads)
    store.close()


def _upload(store, work: Path, big_mb: int) -> None:
    big = work / "big.bin"
    with open(big, "wb") as writing:
        for _ in range(big_mb):
            writing.write(os.urandom(1 << 20))
    digest = hashlib.sha256(big.read_bytes()).hexdigest()
    quiet = _claims_while(store, lambda: time.sleep(2.0))
    tracemalloc.start()
    started = time.perf_counter()
    beside = _claims_while(store, lambda: media_files.upload(store, LEAD, big, digest, "video/mp4"))
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    record("server_media_upload", {"mb": big_mb, "seconds": round(seconds, 2),
                                   "mb_per_s": round(big_mb / seconds, 1), "python_peak_mb": round(peak / 2**20, 1)})
    record("server_media_claims_quiet", summary_ms(quiet))
    record("server_media_claims_beside_upload", summary_ms(beside))
    started = time.perf_counter()
    media_files.upload(store, LEAD, big, digest, "video/mp4")  # the same bytes again: deduplicated, nothing sent
    record("server_media_upload_again", {"ms": round((time.perf_counter() - started) * 1000, 1)})


def _claims_while(store, work) -> list[float]:
    """Seconds each claim took while *work* ran: a moderator on their own connection claims and decides every
    20 ms, as a desk on the floor does (faster than a person, so a wait behind the upload shows)."""
    desk = ReviewDesk(taxonomy.load())
    took: list[float] = []
    done = threading.Event()

    def claiming() -> None:
        with store.second_connection() as own:
            person = own.user(MODERATOR)
            while not done.is_set():
                started = time.perf_counter()
                shown = desk.claim(own, person)
                took.append(time.perf_counter() - started)
                desk.decide(own, person, shown.item.id, "no_violation", shown_at=own.now(), claim=shown.claim)
                time.sleep(0.02)

    thread = threading.Thread(target=claiming)
    thread.start()
    try:
        work()
    finally:
        done.set()
        thread.join()
    return took


def _import(store, work: Path, count: int) -> None:
    drop = work / "drop"
    drop.mkdir()
    rows = [{"id": str(n), "queue": "bench", "media": noisy_png(drop / f"{n}.png", 160, n).name} for n in range(count)]
    manifest = drop / "m.jsonl"
    manifest.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    size = sum((drop / row["media"]).stat().st_size for row in rows)
    started = time.perf_counter()
    result = importer.import_manifest(store, manifest, create_queues=True, actor=LEAD)
    seconds = time.perf_counter() - started
    assert result.added == count, result.problems
    record("server_media_import", {"images": count, "mb": round(size / 2**20, 1), "seconds": round(seconds, 2),
                                   "images_per_s": round(count / seconds, 1),
                                   "mb_per_s": round(size / 2**20 / seconds, 1)})


def _read(store, work: Path, reads: int) -> None:
    picture = noisy_png(work / "two.png", 820, 7)  # about 2 MB
    digest = hashlib.sha256(picture.read_bytes()).hexdigest()
    name = media_files.upload(store, LEAD, picture, digest, "image/png").name
    fetch, shown = [], []
    for _ in range(reads):
        started = time.perf_counter()
        with source.open_media(store, name) as media:
            media.stream.read()
        fetch.append(time.perf_counter() - started)
        started = time.perf_counter()
        with source.open_media(store, name) as media:
            frames.still(media, 1280, 720)
        shown.append(time.perf_counter() - started)
    mb = round(picture.stat().st_size / 2**20, 2)
    record("server_media_read_2mb_fetch", {"mb": mb, **summary_ms(fetch)})
    record("server_media_read_2mb_decoded", {"mb": mb, **summary_ms(shown)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a server store to fill (an empty database); default: a throwaway server")
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--big-mb", type=int, default=64)
    parser.add_argument("--reads", type=int, default=50)
    args = parser.parse_args()
    if args.url:
        measure(args.url, args.images, args.big_mb, args.reads)
        return
    import postgres

    server = postgres.start()
    try:
        server.admin("CREATE DATABASE bench")
        measure(server.url("bench"), args.images, args.big_mb, args.reads)
    finally:
        server.stop()


if __name__ == "__main__":
    main()

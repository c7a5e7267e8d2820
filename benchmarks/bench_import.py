"""How fast ``veil import`` is: prints figures, asserts nothing.

    .venv/bin/python benchmarks/bench_import.py [--rows 100000] [--images 200]

* 100,000 text-only rows from JSON Lines and from CSV, each into a fresh
  store (target: under 10 s on a 2-core machine);
* the same JSONL imported again (the "already present" path);
* 200 small generated images (harmless shapes), then 50 larger ones, to
  show media-check throughput with the default worker count and with one
  worker (small images are too quick for threads to matter; large ones
  show the parallel speed-up).

Each figure is the wall time of :func:`review.imports.manifest.import_manifest`,
commit included (the CLI adds only argument parsing and printing), and the
process CPU time beside it: on a busy machine wall time is mostly waiting,
and the CPU time is the figure to compare.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import record  # noqa: E402
from PIL import Image, ImageDraw

from review.imports import manifest as importer
from review.store import Store

SEVERITIES = ("low", "medium", "high", "severe")


def text_rows(count: int) -> list[dict]:
    return [
        {
            "id": f"post-{i}",
            "queue": f"queue-{i % 3}",
            "text": f"reported comment number {i}: lorem ipsum dolor sit amet",
            "severity": SEVERITIES[i % 4],
            "received_at": f"2026-01-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z",
            "priority": i % 5,
            "reporter": f"user{i % 977}",
            "reason": "spam" if i % 2 else "harassment",
        }
        for i in range(count)
    ]


def write_jsonl(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(row) + "\n" for row in rows)


def write_csv(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def write_images(folder: Path, count: int, size: tuple[int, int] = (320, 240)) -> list[dict]:
    """Harmless pictures (a circle and a caption), half PNG and half JPEG."""
    folder.mkdir()
    rows = []
    w, h = size
    for i in range(count):
        image = Image.new("RGB", size, (200 + i % 50, 220, 240))
        draw = ImageDraw.Draw(image)
        draw.ellipse((w // 10 + i % 50, h // 10, w // 2 + i % 50, h // 2), fill=(40, 90 + i % 150, 160))
        draw.text((10, h - 30), f"sample {i}", fill=(0, 0, 0))
        name = f"img{i:04d}.{'png' if i % 2 else 'jpg'}"
        image.save(folder / name, quality=90)
        rows.append({"id": f"img-{i}", "queue": "images", "media": f"{folder.name}/{name}"})
    return rows


def run(label: str, store_path: Path, manifest: Path, **options) -> importer.ImportResult:
    with Store.open(store_path) as store:
        started, cpu = time.perf_counter(), time.process_time()
        result = importer.import_manifest(store, manifest, create_queues=True, actor="bench", **options)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    rate = result.rows / seconds if seconds else 0
    print(f"{label:<44} {result.rows:>7} rows  {seconds:6.2f} s wall  {cpu:6.2f} s CPU  {rate:8.0f} rows/s"
          f"  (added {result.added}, present {result.already_present}, rejected {len(result.rejected)})")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--images", type=int, default=200)
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load:.1f}")
    with tempfile.TemporaryDirectory(prefix="veil-bench-") as tmp:
        folder = Path(tmp)
        rows = text_rows(args.rows)
        write_jsonl(folder / "text.jsonl", rows)
        write_csv(folder / "text.csv", rows)
        started = time.perf_counter()
        run("text-only JSONL, fresh store", folder / "a.db", folder / "text.jsonl")
        record("import_text_jsonl", {"rows": args.rows, "seconds": round(time.perf_counter() - started, 2),
                                     "target": "100,000 rows < 10 s"})
        run("text-only JSONL again (all already present)", folder / "a.db", folder / "text.jsonl")
        run("text-only CSV, fresh store", folder / "b.db", folder / "text.csv")
        run("text-only JSONL, dry run", folder / "c.db", folder / "text.jsonl", dry_run=True)

        write_jsonl(folder / "images.jsonl", write_images(folder / "images", args.images))
        run(f"{args.images} images 320x240, {os.cpu_count()} workers", folder / "d.db", folder / "images.jsonl")
        run(f"{args.images} images 320x240, 1 worker", folder / "e.db", folder / "images.jsonl", workers=1)
        photos = max(1, args.images // 4)
        write_jsonl(folder / "photos.jsonl", write_images(folder / "photos", photos, size=(1600, 1200)))
        run(f"{photos} images 1600x1200, {os.cpu_count()} workers", folder / "f.db", folder / "photos.jsonl")
        run(f"{photos} images 1600x1200, 1 worker", folder / "g.db", folder / "photos.jsonl", workers=1)


if __name__ == "__main__":
    main()

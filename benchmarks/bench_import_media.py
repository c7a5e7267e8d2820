"""Media imports: images per second with their hashes (issue 22), and peak memory on decompression bombs (issue 12).

``import_images`` (:func:`common.figure`): ``--images`` harmless generated
pictures (shapes and a caption, half PNG and half JPEG, ``--size``) imported
into a fresh store in this process — each checked, decoded, hashed (SHA-256,
MD5, PDQ as ``review.media`` computes it) and copied into the media root —
beside the floor: the same files through :func:`review.media.intake.inspect`
(decode and hashes) and copied with an ``fsync`` (the media root's copies are
durable), nothing else, on as many threads as the import uses; the medians of
``--runs`` rounds, import and floor one after the other in each. Target: at least 100 images/s on 2 cores.

The bombs are 10000x10000 (100 MP, the pixel cap) solid-colour PNGs and
one-strip deflate TIFFs, a few hundred KB each, made by code
(``tests/review/media_bombs.py``), never committed. Figures are whole
processes (the child's own high-water mark, ``VmHWM``):

* ``veil import`` of N PNGs and N TIFFs with ``--workers W``;
* preparing one bomb for review (``preview.decode_for_display`` at 1280x960,
  what the review worker does): time and peak.

    .venv/bin/python benchmarks/bench_import_media.py [--images 200] [--size 320x240] [--runs 5] [--count 8] \\
        [--workers 8]
    PYTHONPATH=/path/to/old/checkout .venv/bin/python benchmarks/bench_import_media.py   # the code before

Careful with the code before issue 12: each bomb took 1.7-2.9 GB there, so
``--count 8`` asked for well over 10 GB at once.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests" / "review"))

sys.path.insert(0, str(HERE.parent))
from bench_import import write_images, write_jsonl  # noqa: E402
from common import VEIL, figure, record, run_python  # noqa: E402
from media_bombs import png_bomb, tiff_bomb  # noqa: E402

from review.imports import manifest as importer  # noqa: E402
from review.media import intake  # noqa: E402
from review.media.limits import DEFAULT_MAX_PIXELS  # noqa: E402
from review.store import Store  # noqa: E402


def code_under_test() -> str:
    """Which Veil the child runs: the first folder on PYTHONPATH, else this checkout."""
    return (os.environ.get("PYTHONPATH") or "").split(os.pathsep)[0] or str(HERE.parent)


def child(label: str, code: str, *args: str) -> dict:
    """``python -c code *args`` in the folder of the code measured: wall time, peak RSS, exit code, last line said."""
    code_, said, complaints, seconds, peak_mb = run_python(code, *args, cwd=code_under_test())
    lines = [line for line in (said + complaints).splitlines() if line.strip() and "warn" not in line.lower()]
    print(f"{label:<48} {seconds:6.1f} s wall  {peak_mb:7.0f} MB peak RSS  exit {code_}")
    print(f"    {(lines or [''])[-1][:150]}")
    return {"seconds": round(seconds, 2), "peak_rss_mb": round(peak_mb), "exit": code_}


def images_per_second(count: int, size: tuple[int, int], runs: int) -> None:
    """``import_images``: *count* pictures imported (checked, hashed, copied) beside their bare decode and hashes.

    *runs* rounds, each an import into a fresh store then the floor into a fresh folder, one right after the
    other (a neighbour's burst on a shared machine then weighs on both); the figure is the medians. The
    process's CPU seconds per image are printed beside each round: what a busy machine does not inflate.
    """
    workers = os.cpu_count() or 1
    rates, floors = [], []
    with tempfile.TemporaryDirectory(prefix="veil-bench-images-") as tmp:
        folder = Path(tmp)
        write_jsonl(folder / "images.jsonl", write_images(folder / "images", count, size=size))
        files = sorted((folder / "images").iterdir())
        for run in range(runs):
            with Store.open(folder / f"s{run}.db") as store:
                started, cpu = time.perf_counter(), time.process_time()
                result = importer.import_manifest(store, folder / "images.jsonl", create_queues=True, actor="bench")
                seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            assert result.committed and result.added == count, result.problems[:3]
            copies = folder / f"copies{run}"
            copies.mkdir()

            def bare(path: Path, copies: Path = copies) -> None:  # decode and hash a file, keep a durable copy
                intake.inspect(path, max_pixels=DEFAULT_MAX_PIXELS)
                with open(path, "rb") as source, open(copies / path.name, "wb") as copy:
                    shutil.copyfileobj(source, copy)
                    copy.flush()
                    os.fsync(copy.fileno())

            started, floor_cpu = time.perf_counter(), time.process_time()
            with ThreadPoolExecutor(max_workers=workers) as pool:
                list(pool.map(bare, files))
            floor, floor_cpu = time.perf_counter() - started, time.process_time() - floor_cpu
            rates.append(count / seconds)
            floors.append(count / floor)
            print(f"  round {run + 1}: import {count / seconds:6.1f} images/s ({1000 * cpu / count:.1f} ms CPU each),"
                  f" floor {count / floor:6.1f} images/s ({1000 * floor_cpu / count:.1f} ms CPU each),"
                  f" load {os.getloadavg()[0]:.1f}")
        figure("import_images", round(statistics.median(rates), 1), "images/s",
               floor=round(statistics.median(floors), 1), target=">= 100 images/s with hashing (2 cores)",
               n=runs, scale=f"{count} images {size[0]}x{size[1]}, {workers} workers, median of {runs}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=200, help="pictures for import_images (0: skip it)")
    parser.add_argument("--size", default="320x240", help="their size, WIDTHxHEIGHT")
    parser.add_argument("--runs", type=int, default=5, help="rounds of import and floor (the figure is the medians)")
    parser.add_argument("--count", type=int, default=8, help="bombs of each kind (PNG, TIFF; 0: skip them)")
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load:.1f}, code {code_under_test()}")
    if args.images:
        width, height = (int(side) for side in args.size.lower().split("x"))
        images_per_second(args.images, (width, height), args.runs)
    if not args.count:
        return
    with tempfile.TemporaryDirectory(prefix="veil-bench-bombs-") as tmp:
        folder = Path(tmp)
        bombs = [png_bomb(folder / f"b{n}.png", value=40 + n) for n in range(args.count)]
        bombs += [tiff_bomb(folder / f"b{n}.tif", value=140 + n) for n in range(args.count)]
        manifest = folder / "bombs.jsonl"
        manifest.write_text("".join(json.dumps({"id": p.name, "queue": "bombs", "media": p.name}) + "\n"
                                    for p in bombs))
        figures: dict = {"count_each": args.count, "workers": args.workers, "code": code_under_test()}
        figures["import"] = child(
            f"veil import, {args.count} PNG + {args.count} TIFF, --workers {args.workers}",
            VEIL, "import", str(manifest),
            "--store", str(folder / "s.db"), "--user", "bench", "--create-queues", "--workers", str(args.workers),
        )
        prepare = ("import sys, time; from review.media import preview; start = time.perf_counter(); "
                   "shape = preview.decode_for_display(sys.argv[1], 1280, 960).shape; "
                   "print(shape, f'{time.perf_counter() - start:.2f} s in the worker')")
        figures["prepare_png"] = child("prepare one 100 MP PNG for review", prepare, str(bombs[0]))
        figures["prepare_tiff"] = child("prepare one 100 MP TIFF for review", prepare, str(bombs[-1]))
        record("import_media_bombs", figures)


if __name__ == "__main__":
    main()

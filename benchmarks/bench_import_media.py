"""Peak memory of ``veil import`` and of review preparation on decompression bombs (issue 12).

The bombs are 10000x10000 (100 MP, the pixel cap) solid-colour PNGs and
one-strip deflate TIFFs, a few hundred KB each, made by code
(``tests/review/media_bombs.py``), never committed. Figures are whole
processes (the child's own high-water mark, ``VmHWM``):

* ``veil import`` of N PNGs and N TIFFs with ``--workers W``;
* preparing one bomb for review (``preview.decode_for_display`` at 1280x960,
  what the review worker does): time and peak.

    .venv/bin/python benchmarks/bench_import_media.py [--count 8] [--workers 8]
    PYTHONPATH=/path/to/old/checkout .venv/bin/python benchmarks/bench_import_media.py   # the code before

Careful with the code before issue 12: each bomb took 1.7-2.9 GB there, so
``--count 8`` asked for well over 10 GB at once.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests" / "review"))

from common import VEIL, record, run_python  # noqa: E402
from media_bombs import png_bomb, tiff_bomb  # noqa: E402


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=8, help="bombs of each kind (PNG, TIFF)")
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load:.1f}, code {code_under_test()}")
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

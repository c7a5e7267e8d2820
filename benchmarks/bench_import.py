"""How fast ``veil import`` is: prints figures, asserts nothing.

    .venv/bin/python benchmarks/bench_import.py [--rows 100000] [--images 200] [--memory-rows 1000000]
        [--bad-rows 0] [--history-rows 0] [--history-audits -1]

* the whole ``veil import`` process on ``--memory-rows`` text rows
  (1,000,000 by default; 0 skips it) into a fresh store: its wall time and
  its peak resident memory (the child's ``ru_maxrss``), the figure that
  must not grow with the number of rows. ``PYTHONPATH=<a checkout of the
  old code>`` measures another Veil the same way (the child imports from
  the first folder on the path);
* with ``--bad-rows N``, the same for a manifest of N rows that all have a
  problem (a priority out of range), refused and then with
  ``--skip-invalid``: the problems must not grow the import's memory either
  (the first ones are listed, the rest counted, every one streamed to the
  rejects file);
* with ``--history-rows N``, the same for a manifest of N text items, a
  past decision on each (``"type": "decision"``) and ``--history-audits``
  past QA audits of those decisions (a quarter of N by default): rows/s
  and peak memory, which must not grow with the history rows either (they
  wait in the import's scratch file, then are written in chunks inside the
  one transaction a manifest with history rows is);

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
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import figure, record  # noqa: E402
from PIL import Image, ImageDraw

from review.imports import manifest as importer
from review.store import Store

SEVERITIES = ("low", "medium", "high", "severe")


def text_rows(count: int) -> Iterator[dict]:
    """*count* text rows, made one at a time (a million of them need not sit in the benchmark's memory)."""
    for i in range(count):
        yield {
            "id": f"post-{i}",
            "queue": f"queue-{i % 3}",
            "text": f"reported comment number {i}: lorem ipsum dolor sit amet",
            "severity": SEVERITIES[i % 4],
            "received_at": f"2026-01-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z",
            "priority": i % 5,
            "reporter": f"user{i % 977}",
            "reason": "spam" if i % 2 else "harassment",
        }


def write_jsonl(path: Path, rows: Iterator[dict] | list[dict]) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(row) + "\n" for row in rows)


def write_csv(path: Path, rows: Iterator[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(next(text_rows(1))))
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
          f"  (added {result.added}, present {result.already_present}, rejected {result.rejected_rows})")
    return result


def whole_import(label: str, store_path: Path, manifest: Path, *options: str) -> dict:
    """``veil import`` in a child process: wall and CPU time, and the child's peak RSS (``ru_maxrss``, KiB on Linux).

    The CPU time is the figure to compare on a shared machine (wall time there is mostly waiting).
    """
    command = [sys.executable, "-c", "import sys; from desktop.main import main; sys.exit(main())",
               "import", str(manifest), "--store", str(store_path), "--user", "bench", "--create-queues", *options]
    started = time.perf_counter()
    output = store_path.with_suffix(".out")
    with open(output, "w+", encoding="utf-8") as said:  # a file, not a pipe: a refused import may say a lot
        # Started in the folder of the code measured: "-c" puts the current folder first on the path.
        child = subprocess.Popen(command, cwd=code_under_test(), stdout=said, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        said.seek(0)
        last = said.read().strip().splitlines()[-1:] or [""]
    peak_mb = usage.ru_maxrss / 1024
    cpu = usage.ru_utime + usage.ru_stime
    print(f"{label:<44} {seconds:6.1f} s wall  {cpu:6.1f} s CPU  {peak_mb:7.0f} MB peak RSS"
          f"  exit {os.waitstatus_to_exitcode(status)}")
    print(f"    {last[0]}")
    return {"seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1), "peak_rss_mb": round(peak_mb)}


def memory(rows: int) -> None:
    """Peak memory and time of a whole ``veil import`` of *rows* text rows (JSONL and CSV) into fresh stores."""
    with tempfile.TemporaryDirectory(prefix="veil-bench-memory-") as tmp:
        folder = Path(tmp)
        write_jsonl(folder / "text.jsonl", text_rows(rows))
        write_csv(folder / "text.csv", text_rows(rows))
        figures = {"rows": rows, "code": code_under_test()}
        figures["jsonl"] = whole_import(f"veil import, {rows:,} JSONL text rows", folder / "j.db",
                                        folder / "text.jsonl")
        figures["csv"] = whole_import(f"veil import, {rows:,} CSV text rows", folder / "c.db", folder / "text.csv")
        record("import_memory", figures)


def bad_rows(rows: int) -> None:
    """Peak memory of a whole ``veil import`` of *rows* rows that all have a problem: refused, then skipped."""
    with tempfile.TemporaryDirectory(prefix="veil-bench-bad-") as tmp:
        folder = Path(tmp)
        write_jsonl(folder / "bad.jsonl", ({**row, "priority": 1e30} for row in text_rows(rows)))
        figures = {"rows": rows, "code": code_under_test()}
        figures["refused"] = whole_import(f"veil import, {rows:,} bad rows, refused", folder / "r.db",
                                          folder / "bad.jsonl")
        figures["skip_invalid"] = whole_import(f"veil import, {rows:,} bad rows, --skip-invalid", folder / "s.db",
                                               folder / "bad.jsonl", "--skip-invalid", str(folder / "rejects.jsonl"))
        record("import_bad_rows", figures)


def history_rows(count: int, audits: int) -> Iterator[dict]:
    """*count* items, then a past decision on each (ten moderators), then *audits* audits of the first decisions."""
    yield from ({"id": row["id"], "queue": row["queue"], "text": row["text"]} for row in text_rows(count))
    for i in range(count):
        yield {"type": "decision", "item": f"post-{i}", "queue": f"queue-{i % 3}", "moderator": f"mod{i % 10}",
               "action": "remove" if i % 2 else "no_violation", "labels": ["spam"] if i % 2 else [],
               "decided_at": f"2025-06-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z", "handle_ms": 1000 + i % 9000}
    for i in range(min(audits, count)):
        yield {"type": "audit", "item": f"post-{i}", "queue": f"queue-{i % 3}", "moderator": f"mod{i % 10}",
               "auditor": f"auditor{i % 3}", "blind_action": "remove", "blind_labels": ["spam"],
               "verdict": "incorrect" if i % 2 == 0 else "correct",
               **({"error_type": "over_enforcement", "severity": "minor"} if i % 2 == 0 else {}),
               "audited_at": f"2025-07-{1 + i % 28:02d}T{i % 24:02d}:00:00Z"}


def history(count: int, audits: int) -> None:
    """Rows/s and peak memory of a whole ``veil import`` of *count* items, a decision on each and *audits* audits."""
    audits = count // 4 if audits < 0 else audits
    with tempfile.TemporaryDirectory(prefix="veil-bench-history-") as tmp:
        folder = Path(tmp)
        write_jsonl(folder / "history.jsonl", history_rows(count, audits))
        rows = 2 * count + min(audits, count)
        figures = {"items": count, "decisions": count, "audits": min(audits, count), "code": code_under_test()}
        figures |= whole_import(f"veil import, {count:,} items + {count:,} decisions + {min(audits, count):,} audits",
                                folder / "h.db", folder / "history.jsonl")
        figures["rows_per_second"] = round(rows / figures["seconds"]) if figures["seconds"] else 0
        figures["rows_per_cpu_second"] = round(rows / figures["cpu_seconds"]) if figures["cpu_seconds"] else 0
        print(f"    {figures['rows_per_second']:,} rows/s ({figures['rows_per_cpu_second']:,} per CPU second), "
              f"{figures['peak_rss_mb']} MB peak")
        record("import_history", figures)


def bare_insert(store_path: Path, manifest: Path) -> float:
    """The import's floor: seconds to read *manifest*'s JSON lines and ``executemany`` them into a fresh
    store's items in one transaction (no checks, no events, no scratch file)."""
    with Store.open(store_path) as store:
        queues = {f"queue-{q}": store.add_queue(f"queue-{q}").id for q in range(3)}
        now = store.now()
        started = time.perf_counter()
        with open(manifest, encoding="utf-8") as lines, store.transaction():
            rows = ((row["id"], queues[row["queue"]], "text", row["text"], row["severity"], row["priority"],
                     row["received_at"], row["received_at"], now) for row in map(json.loads, lines))
            store.db.conn.executemany(
                "INSERT INTO items (external_id, queue_id, kind, text, severity, priority, received_at, due_at,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        return time.perf_counter() - started


def code_under_test() -> str:
    """Which Veil the child runs: the first folder on PYTHONPATH, else this checkout."""
    return (os.environ.get("PYTHONPATH") or "").split(os.pathsep)[0] or str(Path(__file__).resolve().parents[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--memory-rows", type=int, default=1_000_000,
                        help="text rows for the whole-process memory figure (0: skip it)")
    parser.add_argument("--bad-rows", type=int, default=0,
                        help="rows with a problem each, for the memory figure of a refused import (0: skip it)")
    parser.add_argument("--history-rows", type=int, default=0,
                        help="items with a past decision each, for the history import figure (0: skip it)")
    parser.add_argument("--history-audits", type=int, default=-1,
                        help="past audits of those decisions (default: a quarter of --history-rows)")
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load:.1f}")
    if args.memory_rows:
        memory(args.memory_rows)
    if args.bad_rows:
        bad_rows(args.bad_rows)
    if args.history_rows:
        history(args.history_rows, args.history_audits)
    if not args.rows:
        return
    with tempfile.TemporaryDirectory(prefix="veil-bench-") as tmp:
        folder = Path(tmp)
        write_jsonl(folder / "text.jsonl", text_rows(args.rows))
        write_csv(folder / "text.csv", text_rows(args.rows))
        started = time.perf_counter()
        run("text-only JSONL, fresh store", folder / "a.db", folder / "text.jsonl")
        seconds = time.perf_counter() - started
        floor = bare_insert(folder / "floor.db", folder / "text.jsonl")
        figure("import_text_rows", round(args.rows / seconds), "rows/s", floor=round(args.rows / floor),
               target=">= 50,000 rows/s", scale=f"{args.rows:,} rows")
        run("text-only JSONL again (all already present)", folder / "a.db", folder / "text.jsonl")
        run("text-only CSV, fresh store", folder / "b.db", folder / "text.csv")
        run("text-only JSONL, dry run", folder / "c.db", folder / "text.jsonl", dry_run=True)

        if not args.images:
            return
        write_jsonl(folder / "images.jsonl", write_images(folder / "images", args.images))
        run(f"{args.images} images 320x240, {os.cpu_count()} workers", folder / "d.db", folder / "images.jsonl")
        run(f"{args.images} images 320x240, 1 worker", folder / "e.db", folder / "images.jsonl", workers=1)
        photos = max(1, args.images // 4)
        write_jsonl(folder / "photos.jsonl", write_images(folder / "photos", photos, size=(1600, 1200)))
        run(f"{photos} images 1600x1200, {os.cpu_count()} workers", folder / "f.db", folder / "photos.jsonl")
        run(f"{photos} images 1600x1200, 1 worker", folder / "g.db", folder / "photos.jsonl", workers=1)


if __name__ == "__main__":
    main()

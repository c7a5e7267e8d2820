"""How fast ``veil import`` is, beside a floor: a bare ``executemany`` of the same rows into the same tables.

    .venv/bin/python benchmarks/bench_import.py [--scale 100k|1m|N] [--rows N] [--history-rows N]
        [--history-audits 0] [--images 200] [--memory-rows 0] [--bad-rows 0]

Figures (:func:`common.figure`, in ``benchmarks/results.json``), each beside
its floor measured in the same run on a fresh store of the same schema:

* ``import_text_rows`` — ``--rows`` text items from JSON Lines (default:
  the scale), imported in this process (``import_manifest``, commit
  included); the floor reads the same lines and inserts, with one
  ``executemany``, the same columns Veil writes (metadata as JSON, the text's SHA-256, due
  time) into ``items`` in one transaction: no checks, no events, no
  scratch file, no chunks;
* ``import_history_rows`` — ``--history-rows`` items, a past decision on
  each and ``--history-audits`` audits (default none), as a whole ``veil
  import`` in a child process (the time the import itself says, so that the
  interpreter's start does not weigh on a small run);
  the floor inserts the same items and decisions (the items, then the
  decisions with their item's and moderator's ids) in one transaction;
* ``import_peak_rss`` — that child's peak resident memory (``ru_maxrss``
  of the child alone: nothing big is built in this process before it), the
  figure that must not grow with the manifest (target ≤ 300 MB at 1 M items
  with 1 M decisions).

Details (:func:`common.record`): ``--memory-rows`` text rows as a whole
``veil import`` (JSONL and CSV: time and peak memory), ``--bad-rows`` rows
that all have a problem (refused, then ``--skip-invalid``), the import
again (all present), CSV, a dry run, and ``--images`` small generated
pictures (the images/s figure with hashing is ``bench_import_media.py``'s).
``PYTHONPATH=<a checkout of the old code>`` measures another Veil in the
child runs. Each in-process figure prints the process CPU time beside the
wall time: on a busy machine wall time is mostly waiting.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import re
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
            "author": f"account{i % 5003}",  # most reports name the account behind the content (its own index)
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
    said = re.search(r" in ([0-9.]+) s \(", last[0])  # the import's own time, as `veil import` says it
    return {"seconds": round(seconds, 1), "import_seconds": float(said.group(1)) if said else round(seconds, 1),
            "cpu_seconds": round(cpu, 1), "peak_rss_mb": round(peak_mb)}


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
    yield from ({"id": row["id"], "queue": row["queue"], "text": row["text"], "author": row["author"]}
                for row in text_rows(count))
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


def history(count: int, audits: int, scale: str) -> None:
    """``import_history_rows`` and ``import_peak_rss``: a whole ``veil import`` of *count* items, a decision on
    each and *audits* audits, in a child, beside the bare insert of the same items and decisions."""
    audits = min(max(audits, 0), count)
    with tempfile.TemporaryDirectory(prefix="veil-bench-history-") as tmp:
        folder = Path(tmp)
        write_jsonl(folder / "history.jsonl", history_rows(count, audits))
        rows = 2 * count + audits
        figures = {"items": count, "decisions": count, "audits": audits, "code": code_under_test()}
        figures |= whole_import(f"veil import, {count:,} items + {count:,} decisions + {audits:,} audits",
                                folder / "h.db", folder / "history.jsonl")
        floor = bare_history(folder / "floor.db", folder / "history.jsonl")
        figure("import_history_rows", round(rows / figures["import_seconds"]), "rows/s", floor=round(rows / floor),
               target=">= 50,000 rows/s", n=rows, scale=scale)
        figure("import_peak_rss", figures["peak_rss_mb"], "MB", target="<= 300 MB whatever the manifest's size",
               n=rows, scale=scale)
        record("import_history", figures)


#: The item columns both floors write, as Veil writes them.
_FLOOR_ITEMS = ("INSERT INTO items (external_id, queue_id, kind, text, metadata, author, severity, priority,"
                " content_sha256, received_at, due_at, created_at) VALUES (?, ?, 'text', ?, ?, ?, ?, ?, ?, ?, ?, ?)")
_ITEM_KEYS = frozenset({"id", "queue", "text", "severity", "priority", "received_at"})


def _floor_items(lines, queues: dict[str, int], now: str) -> Iterator[tuple]:
    """Item rows of JSON lines in the columns Veil writes (metadata: the other fields as JSON; the text's hash)."""
    for line in lines:
        row = json.loads(line)
        if row.get("type", "item") != "item":
            return
        yield (row["id"], queues[row["queue"]], row["text"],
               json.dumps({k: v for k, v in row.items() if k not in _ITEM_KEYS}, ensure_ascii=False), row.get("author"),
               row.get("severity"), row.get("priority", 0),
               hashlib.sha256(row["text"].encode("utf-8")).hexdigest(), row.get("received_at", now),
               row.get("received_at", now), now)


def bare_insert(store_path: Path, manifest: Path) -> float:
    """The item import's floor: seconds to read *manifest*'s JSON lines and ``executemany`` the same columns into
    a fresh store's items in one transaction (no checks, no events, no scratch file)."""
    with Store.open(store_path) as store:
        queues = {f"queue-{q}": store.add_queue(f"queue-{q}").id for q in range(3)}
        started = time.perf_counter()
        with open(manifest, encoding="utf-8") as lines, store.transaction():
            store.db.conn.executemany(_FLOOR_ITEMS, _floor_items(lines, queues, store.now()))
        return time.perf_counter() - started


def bare_history(store_path: Path, manifest: Path) -> float:
    """The history import's floor: seconds to ``executemany`` the manifest's items, then its decisions (their
    item's and moderator's ids looked up in dicts) into a fresh store, in one transaction. Audit rows, if any,
    are not written: the floor is the items and decisions alone."""
    with Store.open(store_path) as store:
        queues = {f"queue-{q}": store.add_queue(f"queue-{q}").id for q in range(3)}
        users = {f"mod{m}": store.add_user(f"mod{m}", ["moderator"]).id for m in range(10)}
        started = time.perf_counter()
        with open(manifest, encoding="utf-8") as lines, store.transaction():
            db = store.db.conn
            db.executemany(_FLOOR_ITEMS, _floor_items(lines, queues, store.now()))
            ids = {(queue, ext): item for item, queue, ext in db.execute("SELECT id, queue_id, external_id FROM items")}
            lines.seek(0)
            decisions = (json.loads(line) for line in lines if line.startswith('{"type": "decision"'))
            db.executemany(
                "INSERT INTO decisions (item_id, user_id, queue_id, action, labels, note, decided_at, handle_ms,"
                " revealed_ms, client_version, source) VALUES (?, ?, ?, ?, ?, '', ?, ?, 0, 'floor', 'import')",
                ((ids[(queues[d["queue"]], d["item"])], users[d["moderator"]], queues[d["queue"]], d["action"],
                  json.dumps(d["labels"]), d["decided_at"], d["handle_ms"]) for d in decisions))
        return time.perf_counter() - started


def scale_rows(scale: str) -> int:
    """Rows for a scale: "100k", "1m" or a number."""
    text = scale.strip().lower()
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * factor)


def code_under_test() -> str:
    """Which Veil the child runs: the first folder on PYTHONPATH, else this checkout."""
    return (os.environ.get("PYTHONPATH") or "").split(os.pathsep)[0] or str(Path(__file__).resolve().parents[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="100k", help="rows of each figure: 100k (default), 1m or a number")
    parser.add_argument("--rows", type=int, help="text rows of import_text_rows (default: the scale; 0 skips)")
    parser.add_argument("--history-rows", type=int,
                        help="items with a past decision each, for import_history_rows (default: --rows; 0 skips)")
    parser.add_argument("--history-audits", type=int, default=0, help="past audits of those decisions")
    parser.add_argument("--images", type=int, default=200, help="small images imported (0: none)")
    parser.add_argument("--memory-rows", type=int, default=0,
                        help="text rows for the whole-process time and memory of JSONL and CSV (0: skip it)")
    parser.add_argument("--bad-rows", type=int, default=0,
                        help="rows with a problem each, for the memory figure of a refused import (0: skip it)")
    args = parser.parse_args()
    rows = scale_rows(args.scale) if args.rows is None else args.rows
    history_count = rows if args.history_rows is None else args.history_rows
    scale = f"{rows:,} rows" if args.rows is not None else args.scale
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load:.1f}")
    if args.memory_rows:
        memory(args.memory_rows)
    if args.bad_rows:
        bad_rows(args.bad_rows)
    if history_count:
        history(history_count, args.history_audits, f"{history_count:,} items + decisions")
    if not rows:
        return
    with tempfile.TemporaryDirectory(prefix="veil-bench-") as tmp:
        folder = Path(tmp)
        write_jsonl(folder / "text.jsonl", text_rows(rows))
        write_csv(folder / "text.csv", text_rows(rows))
        started = time.perf_counter()
        run("text-only JSONL, fresh store", folder / "a.db", folder / "text.jsonl")
        seconds = time.perf_counter() - started
        floor = bare_insert(folder / "floor.db", folder / "text.jsonl")
        figure("import_text_rows", round(rows / seconds), "rows/s", floor=round(rows / floor),
               target=">= 50,000 rows/s", n=rows, scale=scale)
        run("text-only JSONL again (all already present)", folder / "a.db", folder / "text.jsonl")
        run("text-only CSV, fresh store", folder / "b.db", folder / "text.csv")
        run("text-only JSONL, dry run", folder / "c.db", folder / "text.jsonl", dry_run=True)

        if not args.images:
            return
        write_jsonl(folder / "images.jsonl", write_images(folder / "images", args.images))
        run(f"{args.images} images 320x240, {os.cpu_count()} workers", folder / "d.db", folder / "images.jsonl")
        run(f"{args.images} images 320x240, 1 worker", folder / "e.db", folder / "images.jsonl", workers=1)


if __name__ == "__main__":
    main()

"""Cold start to the first window shown, and idle memory after signing in.

A child process starts Python, imports Veil, opens the store, builds and
shows the main window (offscreen) and prints when the first paint is done;
the parent times the whole thing from ``exec`` (wall), the child says its CPU
time at that point. The floor is Python and Qt alone showing an empty window
the same way, in the same run. After signing in, the first opening of the
review page (the heaviest: its modules are imported when it is first built)
is timed on the GUI thread. Idle memory is the child's resident set (VmRSS)
after that and 2 s idle, again once the content index ("Seen before", loaded in
the background after the review page opens, or mapped from the file an earlier
start saved) has loaded, and after 20 items' "Seen before": then also the part
that is the process's own (RssAnon), not pages of the saved index's files,
which the system may drop and read again.

The review page is opened ``--first-open-after`` seconds after the first
paint (1 s: a person signing in; 0: at once, the worst case, when it still
waits for its modules' imports, which ``desktop.pages.warm_page_imports``
does in the background meanwhile).

    .venv/bin/python benchmarks/bench_startup.py [--runs 5] [--items 300] [--first-open-after S] [--store PATH]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import figure, record  # noqa: E402

CHILD = r"""
import os, sys, time
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
import desktop.main  # first, as `veil` starts (its entry point sets up what every start imports)
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from desktop import app as desktop_app, pages, wiring
from review import taxonomy
qapp = desktop_app.make_app()
store = wiring.open_store(sys.argv[1])
window = desktop_app.build_window(store, desktop_app.ui_settings(), taxonomy.load())
window.show()
qapp.processEvents()
window.repaint()
print(f"shown {time.process_time()}", flush=True)
QTimer.singleShot(0, pages.warm_page_imports)  # as desktop.app.run_gui does once the window shows
idle_until = time.monotonic() + float(sys.argv[2])  # a person reaching the review page that long after the start
while time.monotonic() < idle_until:
    qapp.processEvents()
    time.sleep(0.02)
window.sign_in_as("ana")
began = time.perf_counter()
window.show_page("review")
qapp.processEvents()
print(f"first_open {time.perf_counter() - began}", flush=True)
deadline = time.monotonic() + 2
while time.monotonic() < deadline:
    qapp.processEvents()
    time.sleep(0.02)
rss = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmRSS"))
print(f"rss_kb {rss}", flush=True)
from review import content_index  # the review page loads "Seen before"'s index in the background: its memory too
deadline = time.monotonic() + 60
while not content_index.is_loaded(store) and time.monotonic() < deadline:
    qapp.processEvents()
    time.sleep(0.05)
loaded_at = time.monotonic()
while time.monotonic() < loaded_at + 1:
    qapp.processEvents()
    time.sleep(0.02)
rss = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmRSS"))
print(f"rss_index_kb {rss if content_index.is_loaded(store) else 0}", flush=True)
from review import decisions, serving  # a moderator's next 20 items' "Seen before": the index's pages they touch
for (item_id,) in store.db.execute("SELECT id FROM items WHERE pdq IS NOT NULL ORDER BY random() LIMIT 20").fetchall():
    decisions.seen_before(store, serving.load_item(store, item_id))
status = {line.split(":")[0]: int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("Rss")}
print(f"rss_lookups_kb {sum(status.values())}", flush=True)
print(f"anon_lookups_kb {status['RssAnon']}", flush=True)
for page in window.findChildren(object):
    if hasattr(page, "close_page"):
        page.close_page()
store.close()
"""

FLOOR = r"""
import os, time
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtWidgets import QApplication, QMainWindow
qapp = QApplication(["floor"])
window = QMainWindow()
window.show()
qapp.processEvents()
window.repaint()
print(f"shown {time.process_time()}", flush=True)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--first-open-after", type=float, default=1.0, metavar="S",
                        help="seconds between the first paint and opening the review page (0: at once)")
    parser.add_argument("--store", type=Path, help="start on this existing store (e.g. a 1 M-item demo) instead")
    args = parser.parse_args()
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        store = args.store or Path(tmp) / "start.db"
        env = {**os.environ, "VEIL_HOME": tmp, "QT_QPA_PLATFORM": "offscreen"}
        if args.store is None:
            subprocess.run([sys.executable, "-m", "desktop", "demo", "--store", str(store), "--items",
                            str(args.items)], check=True, capture_output=True, cwd=root, env=env)
        runs: dict[str, list[float]] = {"wall": [], "cpu": [], "floor_wall": [], "floor_cpu": [], "first_open": [],
                                        "rss": [], "rss_index": [], "rss_lookups": [], "anon_lookups": []}
        for _ in range(args.runs):  # Veil and its floor alternate, so both see the same load
            _start(FLOOR, [], root, env, runs, prefix="floor_")
            _start(CHILD, [str(store), str(args.first_open_after)], root, env, runs)
    p50 = {name: statistics.median(values) for name, values in runs.items() if values}
    load = os.getloadavg()[0]
    figure("cold_start", round(p50["wall"] * 1000), "ms wall p50", floor=round(p50["floor_wall"] * 1000),
           target="<= 1500 ms", n=args.runs)
    figure("cold_start_cpu", round(p50["cpu"] * 1000), "ms CPU p50", floor=round(p50["floor_cpu"] * 1000), n=args.runs)
    record("cold_start", {"p50_ms": round(p50["wall"] * 1000), "cpu_p50_ms": round(p50["cpu"] * 1000),
                          "first_review_open_p50_ms": round(p50["first_open"] * 1000),
                          "first_review_open_max_ms": round(max(runs["first_open"]) * 1000),
                          "first_open_after_s": args.first_open_after, "runs": args.runs,
                          "load": round(load, 2)})
    record("idle_memory", {"rss_mb": round(p50["rss"], 1),
                           "with_content_index_mb": round(p50["rss_index"], 1) if "rss_index" in p50 else None,
                           "after_20_lookups_mb": round(p50["rss_lookups"], 1),
                           "of_which_own_mb": round(p50["anon_lookups"], 1)})


def _start(code: str, args: list[str], root: Path, env: dict[str, str], runs: dict[str, list[float]],
           prefix: str = "") -> None:
    """One cold start of *code* in a fresh interpreter: its wall time to the first paint, CPU time, and whatever
    else it says, added to *runs*."""
    began = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, text=True, cwd=root,
                             env=env)
    assert child.stdout is not None
    for line in child.stdout:
        word, value = line.split()
        if word == "shown":
            runs[prefix + "wall"].append(time.perf_counter() - began)
            runs[prefix + "cpu"].append(float(value))
        elif word == "first_open":
            runs["first_open"].append(float(value))
        elif word == "rss_kb":
            runs["rss"].append(int(value) / 1024)
        elif word == "rss_index_kb" and int(value):
            runs["rss_index"].append(int(value) / 1024)
        elif word in ("rss_lookups_kb", "anon_lookups_kb"):
            runs[word.removesuffix("_kb")].append(int(value) / 1024)
    child.wait()


if __name__ == "__main__":
    main()

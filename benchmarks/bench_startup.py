"""Cold start to the first window shown, and idle memory after signing in.

A child process starts Python, imports Veil, opens the store, builds and
shows the main window (offscreen) and prints when the first paint is done;
the parent times the whole thing from ``exec``. Idle memory is the child's
resident set (VmRSS) after signing in to the review page and idling 2 s.

    .venv/bin/python benchmarks/bench_startup.py [--runs 5] [--items 300]
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

from common import record  # noqa: E402

CHILD = r"""
import os, sys, time
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
import desktop.main  # first, as `veil` starts (its entry point sets up what every start imports)
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from desktop import app as desktop_app, wiring
from review import taxonomy
qapp = desktop_app.make_app()
store = wiring.open_store(sys.argv[1])
window = desktop_app.build_window(store, desktop_app.ui_settings(), taxonomy.load())
window.show()
qapp.processEvents()
window.repaint()
print("shown", flush=True)
window.sign_in_as("ana")
window.show_page("review")
deadline = time.monotonic() + 2
while time.monotonic() < deadline:
    qapp.processEvents()
    time.sleep(0.02)
rss = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmRSS"))
print(f"rss_kb {rss}", flush=True)
for page in window.findChildren(object):
    if hasattr(page, "close_page"):
        page.close_page()
store.close()
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--items", type=int, default=300)
    args = parser.parse_args()
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "start.db"
        env = {**os.environ, "VEIL_HOME": tmp, "QT_QPA_PLATFORM": "offscreen"}
        subprocess.run([sys.executable, "-m", "desktop", "demo", "--store", str(store), "--items", str(args.items)],
                       check=True, capture_output=True, cwd=root, env=env)
        starts, rss = [], []
        for _ in range(args.runs):
            began = time.perf_counter()
            child = subprocess.Popen([sys.executable, "-c", CHILD, str(store)], stdout=subprocess.PIPE, text=True,
                                     cwd=root, env=env)
            for line in child.stdout:
                if line.startswith("shown"):
                    starts.append(time.perf_counter() - began)
                elif line.startswith("rss_kb"):
                    rss.append(int(line.split()[1]) / 1024)
            child.wait()
    record("cold_start", {"p50_ms": round(statistics.median(starts) * 1000), "runs": len(starts)})
    record("idle_memory", {"rss_mb": round(statistics.median(rss), 1)})


if __name__ == "__main__":
    main()

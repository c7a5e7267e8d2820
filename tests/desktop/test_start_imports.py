"""What a cold start imports before the first window shows (issue 22: cold start <= 1.5 s).

The start is run in a fresh interpreter, as ``veil`` and ``benchmarks/bench_startup.py`` start it: the
heavy modules that only some page, the demo builder or a lead's export needs must not be imported before the
sign-in window is on screen; each page's module is imported when that page is first built.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from desktop import wiring

ROOT = Path(__file__).resolve().parents[2]

#: Not needed to show the first window: the media pipeline (NumPy, OpenCV, Pillow), spreadsheets and the
#: PostgreSQL driver (the store is a file), the demo's builders, and the pages with the heaviest imports.
NOT_AT_START = (
    "numpy", "cv2", "PIL", "openpyxl", "psycopg",
    "desktop.demo", "desktop.first_start", "review.media.preview",
    "audit.dashboard", "audit.desk", "audit.sampling",
    "ui.pages.review", "ui.pages.audit", "ui.pages.capacity", "ui.pages.dashboard", "ui.pages.queues",
)

START = r"""
import json, os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
import desktop.main
from desktop import app as desktop_app, wiring
from review import taxonomy
qapp = desktop_app.make_app()
store = wiring.open_store(sys.argv[1])
window = desktop_app.build_window(store, desktop_app.ui_settings(), taxonomy.load())
window.show()
window.repaint()  # the first paint, before the event loop runs what the window left for later
at_start = sorted(name for name in json.loads(sys.argv[2]) if sys.modules.get(name) is not None)
qapp.processEvents()
window.sign_in_as("ana")
page = window.show_page("review")
qapp.processEvents()
print(json.dumps({"at_start": at_start, "title": window.windowTitle(), "review": type(page).__name__}))
window.close()
store.close()
"""


def test_the_first_window_shows_before_any_heavy_module_is_imported(tmp_path):
    location = tmp_path / "start.db"
    with wiring.open_store(location) as store:
        store.add_user("ana", ["moderator"], "Ana")
    env = {**os.environ, "VEIL_HOME": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    started = subprocess.run([sys.executable, "-c", START, str(location), json.dumps(NOT_AT_START)], cwd=ROOT,
                             env=env, capture_output=True, text=True, timeout=120, check=True)
    seen = json.loads(started.stdout.strip().splitlines()[-1])
    assert seen["at_start"] == []
    # the review page's module is imported when the page is first built, and the page is the real one
    assert seen["review"] == "ReviewPage"
    assert seen["title"] == "Veil — start.db"  # not a demo store: read without importing the demo package

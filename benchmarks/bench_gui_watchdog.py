"""The GUI watchdog (issue 22 §2): how long each action blocks the event loop on a big store; cold start; idle memory.

The app's window is built in this process (offscreen Qt) over a big demo store (``--scale``, built
once by ``common.big_store``, worked on a copy). A ``QTimer`` fires every 10 ms on the GUI thread;
the gap between two firings, less 10 ms, is how long the event loop could not run. Each role of the
demo signs in (ana moderator, dana auditor, lee lead), opens every page it has and every tab of
each (the lead's dashboard views), ana decides a few items, and each signs out; every one of those
is an *action*, and the longest block from its start until the app settles is its figure. An action
over the budget (100 ms) is a finding, printed with what ran: a sampler thread takes the GUI
thread's stack (``sys._current_frames``) whenever it has not beaten for the budget, so the finding
names the code to move off the GUI thread (and the other threads running Veil code meanwhile: what
a waiting GUI thread waits for). The same walk on a 300-item demo first is the floor: a block both
stores share is the page's own (or a busy machine's), one that grows with the store is a look-up to
move. Each action begins as a person's does, with an input event over the window (the click or key
that opens a page), so the wellbeing controller's application-wide activity filter rests as it does
for a person (``ui/wellbeing/controller.py``): a walk that no person drives kept that Python filter
on every event of every page, each call waiting for the interpreter while a read held it. Moving the
decision on: the time from the key to the next item shown is each decision's note. Beside each block,
the GUI thread's own CPU time within it (``time.thread_time``): a block spent mostly waiting — for
the interpreter a reader holds, for a lock, for a core of a busy machine — is not the page's own work.
Cold start (process start to the first window painted) and idle memory (RSS after signing in and
settling) come from ``bench_startup``'s child on the same store.

    .venv/bin/python benchmarks/bench_gui_watchdog.py                  # 100k items
    .venv/bin/python benchmarks/bench_gui_watchdog.py --scale 5m
    .venv/bin/python benchmarks/bench_gui_watchdog.py --store /tmp/x.db   # any demo store, as it is
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import types
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import big_store, copy_store, figure, record  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BEAT_MS = 10
BUDGET_MS = 100
SETTLE_MS = 1_500  # how long each action is watched after it returns (its background work lands meanwhile)
ROLES = ("ana", "dana", "lee")
VEIL_CODE = tuple(str(ROOT / package) for package in ("desktop", "ui", "review", "audit"))


@dataclass
class Action:
    """One thing a person did, the longest the event loop was blocked meanwhile, and what ran then."""

    name: str
    block_ms: float = 0.0
    block_cpu_ms: float = 0.0  # the GUI thread's own CPU time in that longest block (the rest: waiting)
    stacks: list[str] = field(default_factory=list)
    meanwhile: list[str] = field(default_factory=list)  # other threads running Veil code during the block
    small_ms: float | None = None  # the same action's block on the small store (the floor)
    note: str = ""


class Watchdog:
    """A 10 ms heartbeat on the GUI thread and a sampler thread that takes the GUI thread's stack when it is late."""

    def __init__(self, budget_ms: float = BUDGET_MS) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.budget_s = budget_ms / 1000
        self.gui_thread = threading.get_ident()
        self.last, self.last_cpu = time.perf_counter(), time.thread_time()
        self.action = Action("start")
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(BEAT_MS)
        self.timer.timeout.connect(self._beat)
        self.timer.start()
        self._stop = threading.Event()
        self.sampler = threading.Thread(target=self._sample, name="watchdog-sampler", daemon=True)
        self.sampler.start()

    def _beat(self) -> None:
        now = time.perf_counter()
        cpu = time.thread_time()  # this (the GUI) thread's CPU time: a block it spent waiting for the interpreter,
        gap_ms = (now - self.last) * 1000 - BEAT_MS  # a lock or a busy machine's cores costs it none
        if gap_ms > self.action.block_ms:
            self.action.block_ms, self.action.block_cpu_ms = gap_ms, (cpu - self.last_cpu) * 1000
        self.last, self.last_cpu = now, cpu

    def _sample(self) -> None:
        """Every 20 ms while the GUI thread is late by more than the budget, one sample of its stack (a poor
        man's profiler: the stacks seen most often are where the block's time went)."""
        while not self._stop.wait(0.02):
            if time.perf_counter() - self.last > self.budget_s:
                self.take_sample()

    def take_sample(self) -> None:
        """One sample of every thread's stack, as text. No frame outlives this call: a frame kept alive keeps
        its locals alive, and a Qt wrapper kept alive that way can be handed out again for another object at
        the same address (see :func:`summaries`)."""
        for thread, stack in summaries(sys._current_frames()).items():
            if thread == self.gui_thread:
                self.action.stacks.append(_veil_frames(stack))
            elif thread != threading.get_ident() and any(f.filename.startswith(VEIL_CODE) for f in stack):
                self.action.meanwhile.append(_veil_frames(stack))  # what the GUI thread may be waiting for

    @contextlib.contextmanager
    def watching(self, name: str, settle_ms: int = SETTLE_MS, by: Any = None) -> Iterator[Action]:
        """Watch one action (begun, if *by* is a window, with a person's input over it): the block its call and
        its next *settle_ms* of event loop cause."""
        pump(50)
        if by is not None:
            person_moves_the_mouse(by)
        action = self.action = Action(name)
        self.last, self.last_cpu = time.perf_counter(), time.thread_time()
        try:
            yield action
        finally:
            pump(settle_ms)

    def stop(self) -> None:
        self._stop.set()
        self.timer.stop()
        self.sampler.join()


def summaries(frames: dict[int, types.FrameType]) -> dict[int, traceback.StackSummary]:
    """Each thread's stack as text, emptying *frames* (``sys._current_frames()``) as it goes.

    Why no frame may be kept: the GUI thread is often sampled inside an app-wide event filter written
    in Python (the item view's, the wellbeing controller's), whose ``watched`` argument can be a widget
    still being built — PySide then wraps it as the base class its constructor has reached (a
    ``QWidget``, a ``QAbstractScrollArea``). While that wrapper lives, PySide hands it out for the
    object's address: a kept frame kept the wrapper, and the Settings page's
    ``overrides.horizontalHeader()`` came back as a ``QAbstractScrollArea`` (issue 22, seen on the 1 M
    store) — and, once the object was gone, as a crash.
    """
    stacks = {}
    while frames:
        thread, frame = frames.popitem()
        stacks[thread] = traceback.extract_stack(frame)
        del frame
    return stacks


def _veil_frames(frames: traceback.StackSummary) -> str:
    """The stack's Veil frames (the harness's and Qt's left out), innermost last."""
    kept = [f for f in frames if f.filename.startswith(VEIL_CODE)] or list(frames)[-6:]
    lines = [f"    {Path(f.filename).relative_to(ROOT) if f.filename.startswith(str(ROOT)) else f.filename}"
             f":{f.lineno} {f.name}" for f in kept[-12:]]
    if frames and frames[-1].filename == __file__:  # the harness is waiting in the event loop: Qt itself is busy
        lines.append("    (inside Qt: layout, painting or a C++ call, no Python frame)")
    return "\n".join(lines)


def person_moves_the_mouse(window: Any) -> None:
    """The input a person's click or key press begins an action with (what the activity filter waits for)."""
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    where = QPointF(window.width() / 2, window.height() / 2)
    QApplication.sendEvent(window, QMouseEvent(QEvent.Type.MouseMove, where, window.mapToGlobal(where),
                                               Qt.MouseButton.NoButton, Qt.MouseButton.NoButton,
                                               Qt.KeyboardModifier.NoModifier))


def pump(ms: int) -> None:
    """Let the event loop run for *ms* milliseconds."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def pump_until(done: Callable[[], bool], timeout_ms: int = 10_000) -> bool:
    deadline = time.monotonic() + timeout_ms / 1000
    while not done() and time.monotonic() < deadline:
        pump(20)
    return done()


def walk(store_path: Path, *, decisions: int = 3, roles: tuple[str, ...] = ROLES,
         settle_ms: int = SETTLE_MS) -> list[Action]:
    """Drive the app over *store_path* as each role (every page, every tab, *decisions* decisions as the
    moderator) under the watchdog; the actions in order."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication, QTabWidget

    from desktop import app as desktop_app
    from desktop import wiring
    from review import taxonomy

    QApplication.instance() or desktop_app.make_app()
    actions: list[Action] = []
    with tempfile.TemporaryDirectory(prefix="veil-watchdog-") as tmp, wiring.open_store(store_path) as store:
        dog = Watchdog()
        try:
            with dog.watching("open the window", settle_ms) as action:
                window = desktop_app.build_window(store, QSettings(str(Path(tmp) / "ui.ini"),
                                                                   QSettings.Format.IniFormat), taxonomy.load())
                window.resize(1280, 720)
                window.show()
            actions.append(action)
            for name in roles:
                with dog.watching(f"{name}: sign in", settle_ms, window) as action:
                    window.sign_in_as(name)
                actions.append(action)
                for key in window.page_keys():
                    with dog.watching(f"{name}: {key}", settle_ms, window) as action:
                        page = window.show_page(key)
                    actions.append(action)
                    for tabs in page.findChildren(QTabWidget) if page is not None else []:
                        for index in range(1, tabs.count()):
                            with dog.watching(f"{name}: {key} / {tabs.tabText(index)}", settle_ms,
                                              window) as action:
                                tabs.setCurrentIndex(index)
                            actions.append(action)
                if name == roles[0] and decisions:
                    actions.extend(_decide(window, dog, decisions, settle_ms))
                with dog.watching(f"{name}: sign out", settle_ms, window) as action:
                    window.sign_out()
                actions.append(action)
            window.close()
            pump(50)
        finally:
            dog.stop()
    return actions


def _decide(window, dog: Watchdog, count: int, settle_ms: int) -> list[Action]:
    """On the review page: start (Enter), then *count* decisions (no violation), each to the next item shown;
    an item that does not come within 10 s is said in the action's note."""
    page = window.show_page("review")
    done: list[Action] = []
    with dog.watching("ana: review / start (Enter)", settle_ms, window) as action:
        page.start()
        _wait_for(action, lambda: page.item is not None)
    done.append(action)
    for n in range(count):
        if page.item is None:
            break
        current = page.item.id
        with dog.watching(f"ana: review / decision {n + 1}", settle_ms, window) as action:
            page.act("no_violation")
            _wait_for(action, lambda current=current: page.item is None or page.item.id != current)
        done.append(action)
    return done


def _wait_for(action: Action, done: Callable[[], bool]) -> None:
    started = time.perf_counter()
    if pump_until(done):
        action.note = f"next item after {(time.perf_counter() - started) * 1000:.0f} ms"
    else:
        action.note = "no item within 10 s"


def cold_start(store_path: Path, runs: int) -> tuple[float, float]:
    """Median ms from process start to the first window painted, and median idle RSS (MB) after signing in:
    bench_startup's child, on *store_path*."""
    from bench_startup import CHILD

    starts, rss = [], []
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    for _ in range(runs):
        began = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(store_path), "1"], stdout=subprocess.PIPE,
                                 text=True, cwd=ROOT, env=env)  # the review page opened 1 s after the first paint
        assert child.stdout is not None
        for line in child.stdout:
            if line.startswith("shown"):
                starts.append(time.perf_counter() - began)
            elif line.startswith("rss_kb"):
                rss.append(int(line.split()[1]) / 1024)
        child.wait()
    return round(statistics.median(starts) * 1000), round(statistics.median(rss), 1)


def small_store(folder: Path) -> Path:
    """The floor's store: the demo workspace at 300 items, built in *folder*."""
    from desktop import demo, wiring

    path = folder / "small.db"
    with wiring.open_store(path) as store:
        demo.create(store, folder / "small.db.media", items=300, seed=7)
    return path


def report(actions: list[Action]) -> list[Action]:
    """Print each action's longest block beside the small store's, then each finding with what ran; the findings."""
    print(f"{'action':52} {'block':>9} {'its CPU':>9} {'small store':>12}")
    for a in actions:
        small = f"{a.small_ms:9.0f} ms" if a.small_ms is not None else " " * 12
        flag = "  FINDING" if a.block_ms > BUDGET_MS else ""
        print(f"{a.name:52} {a.block_ms:6.0f} ms {a.block_cpu_ms:6.0f} ms {small}{flag}"
              f"{'  ' + a.note if a.note else ''}")
    findings = [a for a in actions if a.block_ms > BUDGET_MS]
    for a in findings:
        print(f"\nFINDING {a.name}: the event loop blocked {a.block_ms:.0f} ms ({a.block_cpu_ms:.0f} ms of it the GUI"
              " thread's own CPU)"
              f"{f' ({a.small_ms:.0f} ms on the small store)' if a.small_ms is not None else ''};"
              " on the GUI thread then:")
        for stack, seen in Counter(a.stacks).most_common(3):  # where the time went, by 20 ms samples
            print(f"  {seen} sample(s) of 20 ms:\n{stack}\n")
        for stack, seen in Counter(a.meanwhile).most_common(2):
            print(f"  meanwhile on another thread, {seen} sample(s):\n{stack}\n")
    return findings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="100k", help="100k (default), 1m, 5m or a number of items")
    parser.add_argument("--store", type=Path, help="walk this demo store as it is (no copy, no build)")
    parser.add_argument("--decisions", type=int, default=3)
    parser.add_argument("--runs", type=int, default=3, help="cold starts to take the median of")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="veil-bench-watchdog-") as tmp:
        # The same walk on a small store first: what a block owes to the store's size, not to a busy machine.
        small = {a.name: a.block_ms for a in walk(small_store(Path(tmp)), decisions=args.decisions)}
        store = args.store or copy_store(big_store(args.scale), Path(tmp) / "walk.db")
        actions = walk(store, decisions=args.decisions)
        for action in actions:
            action.small_ms = small.get(action.name)
        findings = report(actions)  # before the cold starts: what they cost must not lose the walk's findings
        start_ms, idle_mb = cold_start(store, args.runs)
    worst = max(actions, key=lambda a: a.block_ms)
    scale = "as given" if args.store else args.scale
    figure("gui longest block", round(worst.block_ms), "ms", floor=round(max(small.values())) or None,
           target=f"<= {BUDGET_MS} ms", n=len(actions), scale=scale)
    busiest = max(actions, key=lambda a: a.block_cpu_ms)  # the page's own work, whatever the machine's load
    figure("gui longest block, its own CPU", round(busiest.block_cpu_ms), "ms", target=f"<= {BUDGET_MS} ms",
           n=len(actions), scale=scale)
    figure("cold start", start_ms, "ms", target="<= 1500 ms", n=args.runs, scale=scale)
    figure("idle memory", idle_mb, "MB", target="<= 250 MB", n=args.runs, scale=scale)
    record("gui watchdog", {"actions": len(actions), "findings": len(findings), "worst": worst.name,
                            "busiest": f"{busiest.name} {busiest.block_cpu_ms:.0f} ms CPU",
                            "over_budget": "; ".join(f"{a.name} {a.block_ms:.0f} ms" for a in findings) or "none"})
    return 0


if __name__ == "__main__":
    sys.exit(main())

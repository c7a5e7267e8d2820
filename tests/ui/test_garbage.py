"""Reference cycles are freed on the GUI thread only (ui/garbage.py).

Freed by a collection on a worker thread, a cycle's QObjects (a controller and its timer) went under the GUI
thread, and Qt crashed the process in its event loop (CI: a segfault, a bus error, the GUI thread in ``exec``).
"""

from __future__ import annotations

import gc
import threading

from ui.garbage import GuiThreadCollector


class _Cycle:
    """An object only the cycle collector frees; it notes the thread that freed it."""

    def __init__(self, freed_on: list[int]):
        self.me, self.freed_on = self, freed_on

    def __del__(self):
        self.freed_on.append(threading.get_ident())


def test_cycles_are_freed_by_the_gui_thread_however_much_a_worker_allocates(qtbot):
    freed_on: list[int] = []
    collector = GuiThreadCollector(interval_ms=10)
    try:
        assert not gc.isenabled()
        for _ in range(10):
            _Cycle(freed_on)
        worker = threading.Thread(target=lambda: [[n] for n in range(200_000)])  # past every threshold
        worker.start()
        worker.join()
        assert freed_on == []  # the worker's allocations collected nothing
        qtbot.waitUntil(lambda: len(freed_on) == 10)
        assert set(freed_on) == {threading.get_ident()}
    finally:
        collector.stop()
    assert gc.isenabled()

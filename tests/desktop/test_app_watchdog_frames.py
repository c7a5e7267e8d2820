"""The GUI watchdog's sampler keeps nothing of what it samples alive (issue 22: the Settings page crash on 1 M).

The sampler took the GUI thread's stack while it was late, often inside an application-wide event filter whose
argument was a widget still being built, and kept the last frame until its next sample. A frame keeps its locals,
so PySide kept that half-built widget's wrapper, typed as its base class, and handed it out for the widget:
``horizontalHeader()`` came back as a ``QAbstractScrollArea`` and the page failed to open.
"""

from __future__ import annotations

import sys
import threading
import weakref

from builders import benchmark_module


class _Local:
    """Something only a sampled frame's locals hold."""


def _watchdog():
    """The harness as a module."""
    return benchmark_module("bench_gui_watchdog")


def test_a_sample_keeps_no_frame_and_so_no_local_alive():
    watchdog = _watchdog()
    inside, leave, held = threading.Event(), threading.Event(), []

    def sampled():
        local = _Local()
        held.append(weakref.ref(local))
        inside.set()
        leave.wait(5)

    thread = threading.Thread(target=sampled)
    thread.start()
    assert inside.wait(5)
    frames = sys._current_frames()
    stacks = watchdog.summaries(frames)
    assert any(f.name == "sampled" for f in stacks[thread.ident])
    assert frames == {}  # emptied as it went
    leave.set()
    thread.join()
    assert held[0]() is None  # the frame ended and nothing kept it, nor its locals

"""The Qt binding itself behaves: emitting signals leaks no references.

PySide6 6.12.0 returned ``True`` from ``emit()`` without a reference, so each
emit drained one and Python 3.11 aborted after a few hundred
("bool_dealloc: deallocating True or False"). pyproject.toml excludes that
release; this test catches any release that brings the bug back.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    with_value = Signal(int)
    bare = Signal()


def test_emitting_signals_does_not_drain_references_to_true(qapp):
    emitter = _Emitter()
    before = sys.getrefcount(True)
    for _ in range(500):
        emitter.with_value.emit(1)
        emitter.bare.emit()
    assert sys.getrefcount(True) >= before - 5

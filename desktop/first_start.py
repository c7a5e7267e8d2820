"""The first start: building the demo workspace where the default store will be, with progress.

When Veil starts without ``--store`` and the default store does not exist
yet, :func:`build_demo_workspace` builds the demo there (in the
background, with a progress dialog that can be cancelled) so a newcomer
sees a working Veil at once. A cancelled or failed build leaves nothing
half-made behind.
"""

from __future__ import annotations

import logging
import shutil
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEventLoop, Qt
from PySide6.QtWidgets import QProgressDialog, QPushButton, QWidget

from desktop import demo as demo_workspace
from desktop import paths, wiring
from review.errors import VeilError
from review.store import Store
from ui.operations import Operations

log = logging.getLogger(__name__)

DEMO_ITEMS = 300
DEMO_SEED = 7


class DemoCancelled(VeilError):
    """Raised inside the build when the person cancelled, to stop it at the next progress step."""


class DemoFailed(VeilError):
    """The demo workspace could not be built; the message says why, for the person."""


def build_demo_workspace(path: Path, parent: QWidget | None = None) -> bool:
    """Create the demo store at *path*, showing progress; True when it is ready, False when cancelled.

    The work runs off the GUI thread, through an operations runner of its
    own (no window, and so no session runner, exists yet): the dialog stays
    responsive and can cancel.  A cancelled or failed build leaves nothing
    half-made behind.  :class:`DemoFailed` says, in words, why a build failed.
    """
    media = paths.demo_media_dir(path)
    media_existed = media.exists()
    cancel = threading.Event()

    def work(store: Store, progress: Callable[..., None]) -> None:
        def report(*values: Any) -> None:
            if cancel.is_set():
                raise DemoCancelled()
            progress(*values)

        demo_workspace.create(store, media, items=DEMO_ITEMS, seed=DEMO_SEED, progress=report)

    dialog = QProgressDialog("Preparing a demo workspace so you can look around…", "Cancel", 0, 0, parent)
    dialog.setWindowTitle("Veil — first start")
    # Not modal: a modal QProgressDialog processes events inside setValue(), which
    # would re-enter progress delivery; there is no other window to protect yet.
    dialog.setWindowModality(Qt.WindowModality.NonModal)
    dialog.setMinimumDuration(0)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    dialog.setMinimumWidth(440)
    # Enter must not cancel by accident (someone typing ahead to sign in); Esc or the button do.
    stop = QPushButton("Cancel")
    stop.setAutoDefault(False)
    stop.setDefault(False)
    dialog.setCancelButton(stop)
    dialog.canceled.connect(cancel.set)
    dialog.canceled.connect(lambda: dialog.setLabelText("Stopping…"))
    dialog.rejected.connect(cancel.set)  # Esc hides a QProgressDialog without emitting canceled

    outcome: dict[str, BaseException | None] = {}
    loop = QEventLoop()

    def finished(error: BaseException | None) -> None:
        outcome["error"] = error
        loop.quit()

    store: Store | None = None
    ops: Operations | None = None
    try:
        store = wiring.open_store(path)
    except (VeilError, OSError) as exc:
        outcome["error"] = exc
    else:
        ops = Operations(store, max_threads=1)
        # The one writer is this store, used by nobody else until the build ends: run() may write on it.
        ops.run(work, store, on_done=lambda _result: finished(None), on_error=finished,
                on_progress=lambda *values: _show_progress(dialog, *values))
    dialog.show()
    if "error" not in outcome:
        loop.exec()
    if ops is not None:
        ops.close()
        ops.discard()
    if store is not None:
        store.close()
    cancelled = cancel.is_set()
    dialog.canceled.disconnect()  # closing a QProgressDialog emits canceled() and rejected()
    dialog.rejected.disconnect()
    dialog.hide()
    dialog.deleteLater()

    error = outcome.get("error")
    if error is None:
        return True
    _remove_store_files(path)
    if not media_existed and media.exists():
        shutil.rmtree(media, ignore_errors=True)
    if isinstance(error, DemoCancelled) or cancelled:
        print("veil: demo workspace not created (cancelled)", file=sys.stderr)
        return False
    log.error("demo build failed", exc_info=(type(error), error, error.__traceback__))
    raise DemoFailed(f"Veil could not prepare the demo workspace at {path}.\n\n{error}") from error


def _show_progress(dialog: QProgressDialog, *values: Any) -> None:
    """Accepts (done, total), (fraction,), (text,), or (done, total, text)."""
    numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    texts = [v for v in values if isinstance(v, str)]
    if len(numbers) >= 2 and numbers[1] > 0:
        dialog.setMaximum(int(numbers[1]))
        dialog.setValue(min(int(numbers[0]), int(numbers[1])))
    elif len(numbers) == 1 and 0 <= numbers[0] <= 1:
        dialog.setMaximum(100)
        dialog.setValue(int(numbers[0] * 100))
    if texts and not dialog.wasCanceled():
        dialog.setLabelText(texts[0])


def _remove_store_files(path: Path) -> None:
    for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            candidate.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.warning("could not remove %s: %s", candidate, exc)

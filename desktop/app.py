"""The desktop app: ``veil`` with no subcommand ends up in :func:`run_gui`.

Composition only: this module decides where files live (store, ``ui.ini``,
theme, icon), opens the store, builds the services and hands them to the
widgets in :mod:`ui`, which never open anything themselves.

First start: when no ``--store`` is given and the default store does not
exist yet, a demo workspace is built there (in the background, with a
progress dialog that can be cancelled) so a newcomer sees a working Veil
at once.  An explicit ``--store`` that does not exist is refused with a
message instead of silently creating an empty store.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sqlite3
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QEventLoop, QSettings, Qt, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QApplication,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QWidget,
)

import resources
from audit import audits, disputes, gold, sampling
from desktop import paths, wiring
from desktop import demo as demo_workspace
from review import auth, taxonomy, wellbeing
from review.media import viewing
from review.store.connection import StoreError
from desktop.demo.review_data import is_demo
from desktop.devclock import clock_from_env
from review.store import QueueHealth, Store, User
from review.taxonomy import Taxonomy, TaxonomyError
from ui import keymap, theme
from ui.pages.audit import AuditPage, AuditServices
from ui.pages.dashboard import DashboardPage, load_dashboard
from ui.pages.disputes import DisputesPage, DisputesServices, load_board
from ui.main_window import MainWindow
from ui.widgets.passphrase import passphrase_confirm
from ui.pages.queue_admin import QueueAdminPage
from ui.pages.queues import QueueOverview
from ui.pages.results import ResultsPage, ResultsServices, load_results
from ui.pages.review import ReviewPage, ReviewServices
from ui.tasks import TaskRunner
from ui.wellbeing import WellbeingController, WellbeingWidgets

log = logging.getLogger(__name__)
T = TypeVar("T")

DEMO_ITEMS = 300
DEMO_SEED = 7


# ------------------------------------------------------------------ entry
def run_gui(args: argparse.Namespace) -> int:
    """Open the app on ``args.store`` (signing in as ``args.user`` if given); the exit code."""
    app = make_app()
    store_arg = getattr(args, "store", None)
    path = paths.store_path(store_arg)

    if not path.exists():
        if store_arg:
            return _fail(
                f"There is no Veil store at {path}.\n\n"
                f"Create a demo one with:  veil demo --store {path}\n"
                "or start Veil without --store to use your own workspace."
            )
        code = build_demo_workspace(path)
        if code is not None:
            return code

    try:
        policy = taxonomy.load(paths.taxonomy_path())
    except TaxonomyError as exc:
        return _fail(f"Veil could not read its policy taxonomy.\n\n{exc}")
    try:
        store = wiring.open_store(path, clock=clock_from_env())
    except (StoreError, sqlite3.Error, OSError) as exc:
        return _fail(f"Veil could not open the store at {path}.\n\n{exc}")

    settings = ui_settings()
    window = build_window(store, settings, policy)
    user = getattr(args, "user", None)
    ask = False
    if user:
        try:
            ask = not enter_as(window, store, user)
        except KeyError:
            names = ", ".join(u.name for u in store.users()) or "nobody yet"
            window.deleteLater()
            store.close()
            return _fail(f"There is no user named “{user}” in {path.name}.\n\nPeople in this store: {names}.")
        except PermissionError as exc:
            window.deleteLater()
            store.close()
            return _fail(str(exc))
    window.show()
    window.raise_()
    window.activateWindow()
    if ask:  # the sign-in page asks for the passphrase; cancelled, it stays open
        window.sign_in_page.select(user)
        window.sign_in_page.sign_in_current()
    stop_sampling = start_sampling_schedule(window, store)
    try:
        return app.exec()
    finally:
        stop_sampling()
        store.close()


def make_app() -> QApplication:
    """The QApplication, named and themed (reused if one exists, as in tests)."""
    app = QApplication.instance() or QApplication(sys.argv[:1] or ["veil"])
    app.setOrganizationName(paths.APP_NAME)
    app.setApplicationName(paths.APP_NAME)
    app.setDesktopFileName("veil")
    app.setWindowIcon(QIcon(str(resources.path("icons/veil.svg"))))
    theme.apply(app, resources.path("theme.qss").read_text(encoding="utf-8"))
    return app


def ui_settings() -> QSettings:
    """Window geometry and other per-machine UI state: an INI file beside the store."""
    home = paths.home()
    home.mkdir(parents=True, exist_ok=True)
    return QSettings(str(home / "ui.ini"), QSettings.Format.IniFormat)


def window_title(store: Store) -> str:
    title = f"Veil — {store.path.name}"
    return title + " — Demo" if is_demo(store) else title


PASSPHRASE_ENV = "VEIL_PASSPHRASE"


def enter_as(window: MainWindow, store: Store, name: str) -> bool:
    """Sign in as *name* for ``--user``; False when the passphrase is still to be asked.

    An account with a passphrase is entered only with it: from
    ``$VEIL_PASSPHRASE`` (read once and removed from the environment, so no
    child process inherits it), else from the sign-in page's dialog once
    the window shows. A wrong one is recorded and refused (PermissionError).
    KeyError for a name the store does not know.
    """
    if name not in {u.name for u in store.users()}:
        raise KeyError(name)
    if auth.has_passphrase(store, name):
        phrase = os.environ.pop(PASSPHRASE_ENV, None)
        if phrase is None:
            return False
        if not auth.check_passphrase(store, name, phrase, via="cli"):
            raise PermissionError(f"The passphrase in {PASSPHRASE_ENV} is not right for “{name}”.")
    window.sign_in_as(name)
    return True


def sign_in_confirm(store: Store):
    """The sign-in page's passphrase check: asks only people who have one, hashes on a worker."""

    def check(name: str, phrase: str) -> bool:
        return on_own_connection(store, lambda own: auth.check_passphrase(own, name, phrase, via="gui"))()

    return passphrase_confirm(lambda name: auth.has_passphrase(store, name), check)


def build_window(store: Store, settings: QSettings, policy: Taxonomy | None = None) -> MainWindow:
    """The main window over *store*, with every page registered."""
    # users() is one small indexed query: fine on the GUI thread, and it keeps
    # the sign-in list current after each sign-out.
    window = MainWindow(window_title(store), settings, users=store.users, confirm=sign_in_confirm(store))
    register_pages(window, store, policy or taxonomy.load())
    return window


# ------------------------------------------------------------------ pages
def register_pages(window: MainWindow, store: Store, policy: Taxonomy) -> None:
    """Every page of the app, in navigation order (Ctrl+1 is the first).

    This is where the Review (moderators), Audit (auditors) and Lead (leads)
    pages are added: ``window.register_page(key, title, factory, roles,
    shortcut)`` with a ``factory(user) -> QWidget`` that builds the page from
    services made here (never inside ``ui``).  A page with ``close_page()``
    has it called on sign-out and quit.  A page with ``open_queue(name)``
    registered under the key ``"review"`` receives the queue chosen on the
    Queues page.
    """

    def queues_page(user: User) -> QWidget:
        page = QueueOverview(queue_health_loader(store), now=store.clock.now)
        page.queue_chosen.connect(lambda name: open_queue(window, name))
        return page

    current_wellbeing = attach_wellbeing(window, store)

    def review_page(user: User) -> QWidget:
        return ReviewPage(review_services(store, policy, user, current_wellbeing()))

    # Audit is for auditors only: audit.audits refuses anyone without the
    # auditor role, so a pure lead would see nothing but that refusal; leads
    # judge audits on Disputes (give a lead the auditor role to let them audit).
    window.register_page("queues", "Queues", queues_page, roles=None)
    window.register_page("review", "Review", review_page, roles={"moderator", "lead"})
    window.register_page("audit", "Audit",
                         lambda user: AuditPage(audit_services(store, policy, user, current_wellbeing())),
                         roles={"auditor"})
    window.register_page("results", "My results", lambda user: ResultsPage(results_services(store, policy, user)),
                         roles={"moderator"})
    window.register_page("disputes", "Disputes",
                         lambda user: DisputesPage(disputes_services(store, policy, user)), roles={"lead"})

    def dashboard_page(user: User) -> QWidget:
        return DashboardPage(on_own_connection(store, lambda connection: load_dashboard(connection, user)))

    window.register_page("dashboard", "Dashboard", dashboard_page, roles={"lead"})

    def queue_admin_page(user: User) -> QWidget:
        return QueueAdminPage(store, user, lambda work: on_own_connection(store, work),
                              labels=[label.id for label in policy.labels])

    window.register_page("queue-admin", "Queues admin", queue_admin_page, roles={"lead"})


def attach_wellbeing(window: MainWindow, store: Store) -> Callable[[], WellbeingController | None]:
    """One wellbeing controller per signed-in person, from sign-in to sign-out.

    The meter and the break banner live in the status bar (always in view);
    the break screen covers the whole window, pages and navigation alike.
    Returns a function giving the current person's controller.
    """
    current: dict[str, tuple[WellbeingController, WellbeingWidgets]] = {}

    def user_changed(user: User | None) -> None:
        if "setup" in current:
            controller, widgets = current.pop("setup")
            controller.close()
            widgets.close()
        if user is None:
            return
        controller = WellbeingController(store, user, store.clock, wellbeing.load_policy(store), parent=window)
        widgets = WellbeingWidgets(controller, host=window.centralWidget(), dialog_parent=window)
        window.statusBar().addWidget(widgets.banner, 1)
        window.statusBar().addPermanentWidget(widgets.meter)
        controller.watch_input(QApplication.instance())
        controller.start()
        current["setup"] = (controller, widgets)

    window.user_changed.connect(user_changed)
    return lambda: current["setup"][0] if "setup" in current else None


def review_services(
    store: Store, policy: Taxonomy, user: User, wellbeing_controller: WellbeingController | None = None
) -> ReviewServices:
    """The review page's services for *user*: their viewing settings and keys.

    A broken personal setting never locks anyone out: it is logged and the
    safe default (the organisation's floor, the default keys) applies.
    """
    try:
        view = viewing.effective(store, user)
    except (ValueError, TypeError) as exc:
        log.warning("personal viewing settings of %s ignored: %s", user.name, exc)
        view = viewing.organisation(store)
    try:
        bindings = keymap.build(policy, store.setting("keys", user_id=user.id))
    except keymap.KeymapError as exc:
        log.warning("key settings of %s ignored: %s", user.name, exc)
        bindings = keymap.build(policy)
    return ReviewServices(store, policy, user, view, bindings, after_decision=gold.after_decision,
                          wellbeing=wellbeing_controller)


def audit_services(store: Store, policy: Taxonomy, user: User, wellbeing_controller: WellbeingController | None = None):
    """The audit page's services: the review page's viewing settings, keys and break coach, and the work list."""
    review = review_services(store, policy, user, wellbeing_controller)
    return AuditServices(store, policy, user, review.view, review.bindings,
                         load_work=on_own_connection(store, lambda s: audits.work_list(s, user)),
                         wellbeing=review.wellbeing)


def results_services(store: Store, policy: Taxonomy, user: User):
    """"My results": the person's audited decisions and one audit's history, each on its own connection."""
    def history(audit_id: int) -> list[dict]:
        return on_own_connection(store, lambda s: disputes.history_for(s, user, audit_id))()

    return ResultsServices(store, policy, user, load_results=on_own_connection(store, lambda s: load_results(s, user)),
                           load_history=history)


def disputes_services(store: Store, policy: Taxonomy, user: User):
    """The lead's Disputes page: open disputes with sample counts, and running the plans as this lead."""
    return DisputesServices(store, policy, user, load_board=on_own_connection(store, load_board),
                            run_sampling=on_own_connection(store, lambda s: sampling.run_plans(s, user)))


def on_own_connection(store: Store, work: Callable[[Store], T]) -> Callable[[], T]:
    """*work* wrapped for a worker thread: it gets its own connection each call."""

    def run() -> T:
        connection = store.second_connection()
        try:
            return work(connection)
        finally:
            connection.close()

    return run


def queue_health_loader(store: Store) -> Callable[[], list[QueueHealth]]:
    return on_own_connection(store, Store.queue_health)


SAMPLING_EVERY_MS = 5 * 60 * 1000


def start_sampling_schedule(window: MainWindow, store: Store) -> Callable[[], None]:
    """Run the leads' sampling plans that are due, every few minutes, off the GUI thread.

    Each plan runs at most once per period (``run_due_plans`` decides), so
    several open Veil windows on one store sample nothing twice. Returns
    the function that stops the schedule.
    """
    runner = TaskRunner(window, name="sampling")
    job = on_own_connection(store, sampling.run_due_plans)

    def run() -> None:
        if runner.pending() == 0:
            runner.submit(job, on_error=lambda exc: log.warning("scheduled sampling failed: %s", exc))

    timer = QTimer(window, interval=SAMPLING_EVERY_MS, timeout=run)
    timer.start()
    QTimer.singleShot(0, run)

    def stop() -> None:
        timer.stop()
        runner.close()

    return stop


def open_queue(window: MainWindow, name: str) -> None:
    """Hand the chosen queue to the review page, if this user has one."""
    page = window.show_page("review") if "review" in window.page_keys() else None
    opener = getattr(page, "open_queue", None)
    if callable(opener):
        opener(name)
        return
    if "review" in window.registered_pages():
        why = "your role does not include reviewing"
    else:
        why = "reviewing is not part of this version yet"
    window.statusBar().showMessage(f"“{name}” was not opened: {why}.", 6000)


# ------------------------------------------------------------------- demo
class DemoCancelled(Exception):
    pass


def build_demo_workspace(path: Path, parent: QWidget | None = None) -> int | None:
    """Create the demo store at *path*, showing progress; None when it is ready.

    The work runs on a worker thread (the dialog stays responsive and can
    cancel).  A cancelled or failed build leaves nothing half-made behind.
    Returns an exit code when Veil should stop instead (0 cancelled, 2 failed).
    """
    media = paths.demo_media_dir(path)
    media_existed = media.exists()
    cancel = threading.Event()

    def work(progress: Callable[..., None]) -> None:
        def report(*values: Any) -> None:
            if cancel.is_set():
                raise DemoCancelled()
            progress(*values)

        store = wiring.open_store(path)
        try:
            demo_workspace.create(store, media, items=DEMO_ITEMS, seed=DEMO_SEED, progress=report)
        finally:
            store.close()

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

    runner = TaskRunner(name="demo-builder", max_threads=1)
    runner.submit(
        work,
        on_done=lambda _result: finished(None),
        on_error=finished,
        on_progress=lambda *values: _show_progress(dialog, *values),
    )
    dialog.show()
    if "error" not in outcome:
        loop.exec()
    runner.close()
    cancelled = cancel.is_set()
    dialog.canceled.disconnect()  # closing a QProgressDialog emits canceled() and rejected()
    dialog.rejected.disconnect()
    dialog.hide()
    dialog.deleteLater()

    error = outcome.get("error")
    if error is None:
        return None
    _remove_store_files(path)
    if not media_existed and media.exists():
        shutil.rmtree(media, ignore_errors=True)
    if isinstance(error, DemoCancelled) or cancelled:
        print("veil: demo workspace not created (cancelled)", file=sys.stderr)
        return 0
    log.error("demo build failed", exc_info=(type(error), error, error.__traceback__))
    return _fail(f"Veil could not prepare the demo workspace at {path}.\n\n{error}")


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


def _fail(message: str) -> int:
    """Tell the person (dialog) and the terminal (stderr); exit code 2."""
    print("veil: " + message.replace("\n\n", " ").replace("\n", " "), file=sys.stderr)
    show_error(message)
    return 2


def show_error(message: str) -> None:
    """A modal error box (tests replace this function)."""
    box = QMessageBox(QMessageBox.Icon.Critical, "Veil", message, QMessageBox.StandardButton.Ok)
    box.exec()

"""The desktop app: ``veil`` with no subcommand ends up in :func:`run_gui`.

Composition only: this module decides where files live (store, ``ui.ini``,
theme, icon), opens the store, signs the person in, makes the signed-in
window's one operations runner (:class:`SessionOperations`) and runs the
leads' sampling schedule; :mod:`desktop.pages` builds each page's services
and hands them to the widgets in :mod:`ui`, which never open anything
themselves.

First start: when no ``--store`` is given and the default store does not
exist yet, :mod:`desktop.first_start` builds a demo workspace there so a
newcomer sees a working Veil at once.  An explicit ``--store`` that does
not exist is refused with a message instead of silently creating an empty
store.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, QTimer, QUrl
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QApplication,
    QMessageBox,
    QWidget,
)

import resources
from desktop import __version__, pages, paths, wiring
from desktop.commands import signin
from desktop.devclock import clock_from_env
from review import auth, settings, taxonomy
from review.errors import VeilError
from review.store import Store, User
from review.store.connection import shown_location
from review.taxonomy import Taxonomy, TaxonomyError
from review.taxonomy import stored as stored_taxonomy
from ui import theme
from ui.after_paint import after_paint
from ui.garbage import GuiThreadCollector
from ui.main_window import AboutFacts, MainWindow
from ui.operations import Operations
from ui.pages.sign_in import Confirm
from ui.reports.export_dialog import attach_export_action
from ui.widgets.passphrase import passphrase_confirm
from ui.widgets.reconnecting import ReconnectingStrip, say_unsaved

log = logging.getLogger(__name__)

# ------------------------------------------------------------------ entry
def run_gui(args: argparse.Namespace) -> int:
    """Open the app on ``args.store`` (signing in as ``args.user`` if given); the exit code."""
    app = make_app()
    store_arg = getattr(args, "store", None)
    path = paths.store_path(store_arg)

    if isinstance(path, Path) and not path.exists():
        if store_arg:
            return _fail(
                f"There is no Veil store at {path}.\n\n"
                f"Create a demo one with:  veil demo --store {path}\n"
                "or start Veil without --store to use your own workspace."
            )
        from desktop import first_start  # only on a first start: it imports the demo's builders

        try:
            if not first_start.build_demo_workspace(path):
                return 0  # cancelled: nothing was made, Veil stops quietly
        except first_start.DemoFailed as exc:
            return _fail(str(exc))

    try:
        store = wiring.open_store(path, clock=clock_from_env())
    except (VeilError, OSError) as exc:
        return _fail(f"Veil could not open the store at {shown_location(path)}.\n\n{exc}")
    try:  # the organisation's (chosen on Settings, kept in the store), else the team's file, else the bundled one
        policy = stored_taxonomy.organisation(store, paths.taxonomy_path())
    except TaxonomyError as exc:
        store.close()
        return _fail(f"Veil could not read its policy taxonomy.\n\n{exc}\n\n"
                     "A lead can choose another with: veil settings set taxonomy --file PATH")

    try:  # a URL naming a person's own database role: the server has let that person in, and no one else
        person = signin.server_person(store, getattr(args, "user", None))
    except signin.SignInRefused as exc:
        store.close()
        return _fail(str(exc))
    ui_state = ui_settings()
    window = build_window(store, ui_state, policy, person=person)
    operations = window.findChild(SessionOperations)
    user = person or getattr(args, "user", None)
    ask = False
    if user:
        try:
            ask = not enter_as(window, store, user, server_person=person)
        except KeyError:
            names = ", ".join(u.name for u in store.users()) or "nobody yet"
            operations.close()
            window.deleteLater()
            store.close()
            return _fail(f"There is no user named “{user}” in {store.name}.\n\nPeople in this store: {names}.")
        except PermissionError as exc:
            operations.close()
            window.deleteLater()
            store.close()
            return _fail(str(exc))
    window.show()
    window.raise_()
    window.activateWindow()
    after_paint(window, pages.warm_page_imports)  # once the first paint is done (a 0 ms timer ran before it)
    operations.current().query(window_title, on_done=window.setWindowTitle, owner=window,  # " — Demo" if it is
                               on_error=lambda exc: log.warning("the demo flag was not read: %s", exc))
    if ask:  # the sign-in page asks for the passphrase; cancelled, it stays open
        window.sign_in_page.select(user)
        window.sign_in_page.sign_in_current()
    stop_sampling = start_sampling_schedule(window, operations)
    collector = GuiThreadCollector(app)  # reference cycles freed on the GUI thread only (ui/garbage.py says why)
    try:
        return app.exec()
    finally:
        collector.stop()
        collector.deleteLater()
        stop_sampling()
        operations.close()  # after the window's pages (closed on quit); nothing runs on the store any more
        store.close()


#: How long a background thread may keep the interpreter before the GUI thread, asking for it, gets it (Python's
#: default is 5 ms). Every event Qt hands to Python (a slot, a paint, a filter) asks for it again, so while a read
#: loops in Python each one could wait that long: opening a page beside a busy read took seconds (issue 22).
GUI_SWITCH_INTERVAL_S = 0.001


def make_app() -> QApplication:
    """The QApplication, named and themed (reused if one exists, as in tests)."""
    sys.setswitchinterval(GUI_SWITCH_INTERVAL_S)
    app = QApplication.instance() or QApplication(sys.argv[:1] or ["veil"])
    app.setOrganizationName(paths.APP_NAME)
    app.setApplicationName(paths.APP_NAME)
    app.setDesktopFileName("veil")
    app.setWindowIcon(QIcon(str(resources.path("icons/veil.svg"))))
    theme.apply(app, resources.path("theme.qss").read_text(encoding="utf-8"))  # puts the emoji font first
    if theme.emoji_family() is None:  # a system font (README): Veil runs without it, but emoji are empty boxes
        log.warning("no emoji font installed: emoji show as empty boxes (Debian/Ubuntu: apt-get install "
                    "fonts-noto-color-emoji)")
    return app


def ui_settings() -> QSettings:
    """Window geometry and other per-machine UI state: an INI file beside the store."""
    home = paths.home()
    home.mkdir(parents=True, exist_ok=True)
    return QSettings(str(home / "ui.ini"), QSettings.Format.IniFormat)


def window_title(store: Store) -> str:
    """The window's title, saying when the store is the demo workspace. Its flag's declaration comes with the demo
    package, whose builders (OpenCV, Pillow, the media intake) were a third of a cold start (issue 22): the window
    asks this on a reader once it is shown (:func:`run_gui`), so the import never holds the start or the GUI thread."""
    from desktop.demo.review_data import is_demo

    title = f"Veil — {store.name}"
    return title + " — Demo" if is_demo(store) else title


PASSPHRASE_ENV = "VEIL_PASSPHRASE"


def enter_as(window: MainWindow, store: Store, name: str, *, server_person: str | None = None) -> bool:
    """Sign in as *name* for ``--user``; False when the passphrase is still to be asked.

    An account with a passphrase is entered only with it: from
    ``$VEIL_PASSPHRASE`` (read once and removed from the environment, so no
    child process inherits it), else from the sign-in page's dialog once
    the window shows. A wrong one is recorded and refused (PermissionError),
    as is a deactivated person. KeyError for a name the store does not know.
    *server_person*: the person whose own database role the store's URL
    names; the server checked their password already, so Veil asks nothing.
    """
    if name not in {u.name for u in store.users()}:
        raise KeyError(name)
    if (refusal := auth.sign_in_refusal(store, name)) is not None:
        raise PermissionError(refusal)
    if name != server_person and auth.has_passphrase(store, name):
        phrase = os.environ.pop(PASSPHRASE_ENV, None)
        if phrase is None:
            return False
        if not auth.check_passphrase(store, name, phrase, via="cli"):
            raise PermissionError(f"The passphrase in {PASSPHRASE_ENV} is not right for “{name}”.")
    window.sign_in_as(name)
    return True


def gui_connection(store: Store) -> Store:
    """The store the GUI thread's own small reads go through (the sign-in list, a page's settings as it is
    built, one indexed query each), while the session's writer thread writes through *store*.

    A file store's second connection: one SQLite connection used by two threads at once can crash Python's
    ``sqlite3`` (``review.store.thread_check``), and a sign-out gives back the person's item, or a lead's page
    opens while a write runs. A server store's own: its driver lets one thread at a time use a connection, and
    while the server is away only the writer thread reconnects it, so a read on the GUI thread fails at once
    instead of waiting for a connect (``ServerDatabase.reconnect_only_here``).
    """
    return store if store.url else store.second_connection()


def _offered(store: Store, person: str | None) -> Callable[[], list[User]]:
    """Who the sign-in page lists: everyone, or only the person whose database role the connection is."""
    if person is None:
        return store.users
    return lambda: [u for u in store.users() if u.name == person]


def sign_in_confirm(store: Store, operations: SessionOperations) -> Confirm:
    """The sign-in page's check: a person deactivated since the list was read is refused (before any
    passphrase); people who have a passphrase are asked for it, hashed as a write through ops. Asked of the
    person the server let in too (team mode): only their first entry (:func:`enter_as`) skips it, so after a
    sign-out nobody else at the desk walks back in as them."""

    def check(writer: Store, name: str, phrase: str) -> bool:
        return auth.check_passphrase(writer, name, phrase, via="gui")

    return passphrase_confirm(lambda name: auth.has_passphrase(store, name), check, operations.current,
                              refusal=lambda name: auth.sign_in_refusal(store, name))


class SessionOperations(QObject):
    """The signed-in window's one :class:`~ui.operations.Operations`: made when first needed, closed after.

    Every page of a session gets the same runner (a write on one page
    refreshes the others through ``changed``); the sign-in check and the
    sampling schedule use the current one too. It is closed at sign-out and
    quit, after the pages' ``close_page()`` and the wellbeing controller,
    so nothing of one person's session is ever delivered into the next.
    Its :attr:`strip` (in the window's status bar) says "Reconnecting…"
    while the current runner's writes wait for the store's server.
    """

    def __init__(self, store: Store, parent: QObject | None = None):
        super().__init__(parent)
        self._store = store
        self._current: Operations | None = None
        self.strip = ReconnectingStrip()

    def current(self) -> Operations:
        """The open runner, made now if the last one was closed."""
        if self._current is None:
            self._current = Operations(self._store, parent=self)
            self.strip.follow(self._current)
        return self._current

    def close(self) -> None:
        """Close the runner (waiting a bounded time for running work), saying what closing left unsaved; the
        next :meth:`current` makes a new one."""
        if self._current is not None:
            ops, self._current = self._current, None
            ops.close()
            ops.discard()
            self.strip.hide()
            parent = self.parent()
            say_unsaved(parent if isinstance(parent, QWidget) else None, ops.unsaved)


def build_window(store: Store, ui_state: QSettings, policy: Taxonomy | None = None, *,
                 person: str | None = None) -> MainWindow:
    """The main window over *store*, with every page registered and its :class:`SessionOperations`.

    *person*: the store's connection is that person's own database role (team mode), so the sign-in page
    offers only them (the server would refuse every write of anyone else signed in over it); their first entry
    skips Veil's passphrase (:func:`enter_as`), signing back in after a sign-out asks it.
    """
    operations = SessionOperations(store)  # its writer thread writes through *store*
    here = gui_connection(store)
    window = MainWindow(f"Veil — {store.name}", ui_state, users=_offered(here, person),
                        confirm=sign_in_confirm(here, operations))
    if here is not store:
        window.closed.connect(here.close)
    operations.setParent(window)
    window.statusBar().insertPermanentWidget(0, operations.strip, 1)  # every page's writes: the window says it
    policy = policy or taxonomy.load()
    pages.register_pages(window, here, policy, operations)
    window.set_help(AboutFacts(__version__, store.location, policy.version),
                    shortcuts=lambda user: pages.personal_view(here, policy, user)[1], guide=user_guide())
    attach_export_action(window, operations.current, store.clock.now)  # Session ▸ Export… for leads
    window.user_changed.connect(lambda user: follow_theme(window, operations, user))
    # Connected last: at sign-out and quit the runner closes after the pages and the wellbeing controller.
    window.user_changed.connect(lambda user: operations.close() if user is None else None)
    window.closed.connect(operations.close)
    return window


def follow_theme(window: MainWindow, operations: SessionOperations, user: User | None) -> None:
    """The signed-in person's theme (My settings; "system" follows the computer's), read on a reader; at sign-out
    the sign-in page goes back to the computer's."""
    if user is None:
        theme.use("system")
        return
    operations.current().query(lambda reader: settings.read(reader, theme.THEME, user=user), on_done=theme.use,
                               on_error=lambda exc: log.warning("theme not read; the computer's applies: %s", exc),
                               owner=window)


def user_guide() -> QUrl | None:
    """The README beside the source, opened in the person's browser or viewer; None in a bundle (which has
    none): Help then shows its short built-in guide."""
    readme = Path(__file__).resolve().parent.parent / "README.md"
    return QUrl.fromLocalFile(str(readme)) if readme.is_file() else None


SAMPLING_EVERY_MS = 5 * 60 * 1000


def start_sampling_schedule(window: MainWindow, operations: SessionOperations) -> Callable[[], None]:
    """Run the leads' sampling plans that are due, every few minutes, as a write through the window's runner.

    It runs as the signed-in lead, and not at all while nobody or a non-lead
    is signed in (sampling is a lead's act, ``run_due_plans`` checks it); a
    lead's sign-in runs it at once.
    Each plan runs at most once per period (``run_due_plans`` decides), so
    several open Veil windows on one store sample nothing twice; a run still
    going on the current runner is not asked for again. Pages showing
    audits hear of new samples through ``changed``. Returns the function
    that stops the schedule.
    """
    running_on: list[Operations] = []  # the runner whose run has not answered yet

    def finished(_result: object = None) -> None:
        running_on.clear()

    def failed(exc: BaseException) -> None:
        finished()
        log.warning("scheduled sampling failed: %s", exc)

    def run() -> None:
        lead = window.current_user
        if lead is None or not lead.has("lead"):
            return
        ops = operations.current()
        if ops in running_on:
            return
        running_on[:] = [ops]
        from audit import sampling  # a lead's first sign-in: not part of the start

        ops.write(lambda writer: sampling.run_due_plans(writer, lead), on_done=finished, on_error=failed, owner=timer)

    timer = QTimer(window, interval=SAMPLING_EVERY_MS, timeout=run)
    first = QTimer(window, singleShot=True, interval=0, timeout=run)  # once the event loop runs
    timer.start()
    first.start()

    def signed_in(user: User | None) -> None:  # a lead who signs in later is not kept waiting a whole period
        if user is not None and user.has("lead"):
            first.start()

    window.user_changed.connect(signed_in)

    def stop() -> None:
        window.user_changed.disconnect(signed_in)
        first.stop()
        timer.stop()

    return stop


def _fail(message: str) -> int:
    """Tell the person (dialog) and the terminal (stderr); exit code 2."""
    print("veil: " + message.replace("\n\n", " ").replace("\n", " "), file=sys.stderr)
    show_error(message)
    return 2


def show_error(message: str) -> None:
    """A modal error box (tests replace this function)."""
    box = QMessageBox(QMessageBox.Icon.Critical, "Veil", message, QMessageBox.StandardButton.Ok)
    box.exec()

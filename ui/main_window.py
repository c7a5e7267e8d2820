"""The main window: sign-in first, then a navigation rail and the pages.

Pages are registered once with :meth:`MainWindow.register_page` (a key, a
title, a factory taking the signed-in :class:`~review.store.User`, the
roles that may see it, an optional extra shortcut).  After sign-in the
rail lists the pages that user may see, in registration order; Ctrl+1…9
jump to them.  A page widget is created the first time it is shown and
belongs to that user's session: signing out (Ctrl+Shift+L) or quitting
calls the page's ``close_page()`` if it has one (release leases, stop
timers and workers) and destroys it, so the next person starts fresh.
:attr:`MainWindow.user_changed` (``None`` at sign-out) and
:attr:`MainWindow.closed` (on quit) come after the pages are closed, so
the desktop wiring can close what the pages used (the operations runner).

Geometry and state live in the ``QSettings`` the desktop layer passes in.
The Help menu (F1: the keys; the user guide; About) shows what the desktop
layer hands over with :meth:`MainWindow.set_help`: ui reads no package
metadata, paths or settings of its own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import (
    QByteArray,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSettings,
    QSize,
    Qt,
    QUrl,
    Signal,
)
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QGuiApplication, QKeySequence, QPainter
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from review.store import User
from ui import keymap, theme
from ui.pages.sign_in import Confirm, SignInPage
from ui.widgets.modal import open_returning

log = logging.getLogger(__name__)

__all__ = ["AboutFacts", "MainWindow", "PageSpec"]

PageFactory = Callable[[User], QWidget]
UsersSource = Sequence[User] | Callable[[], Iterable[User]]

_KEY_ROLE = Qt.ItemDataRole.UserRole
_SHORTCUT_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True)
class AboutFacts:
    """What Help ▸ About says: the desktop layer knows the version, the store and the policy in force."""

    version: str
    store: str
    taxonomy_version: int


BUILT_IN_GUIDE = (
    "<p><b>Start</b>: sign in, choose a queue on <i>Queues</i> and press Enter: the first item is ready.</p>"
    "<p><b>Decide</b>: one key per action, label keys before it; Enter confirms, Ctrl+Z undoes the last one.</p>"
    "<p><b>See safely</b>: media is blurred; hold Space to look, drag a rectangle to reveal a part, Esc hides "
    "every picture.</p><p><b>Every key</b>: F1 (or ? on the review page) shows them all.</p>"
)


@dataclass(frozen=True)
class PageSpec:
    key: str
    title: str
    factory: PageFactory
    roles: frozenset[str]  # empty: everyone
    shortcut: str | None

    def allows(self, user: User) -> bool:
        return not self.roles or any(user.has(role) for role in self.roles)


class _NavDelegate(QStyledItemDelegate):
    """Draws each page's shortcut, faint and right-aligned, so keys are learnt by looking."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        super().paint(painter, option, index)
        shortcut = index.data(_SHORTCUT_ROLE)
        if not shortcut:
            return
        painter.save()
        painter.setPen(theme.color("faint"))
        font = painter.font()
        font.setPointSizeF(max(font.pointSizeF() - 1.5, 8.0))
        painter.setFont(font)
        rect = QRect(option.rect).adjusted(0, 0, -12, 0)
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), shortcut)
        painter.restore()


class MainWindow(QMainWindow):
    """Veil's window.  *users* is a list or a function listing who can sign in
    (called each time the sign-in page is shown); *confirm* is the sign-in
    page's passphrase seam (see :mod:`ui.pages.sign_in`)."""

    user_changed = Signal(object)  # User | None; None after the pages were closed
    page_changed = Signal(str)
    closed = Signal()  # the window was closed (quit), after its pages

    GEOMETRY_KEY = "window/geometry"
    STATE_KEY = "window/state"
    DEFAULT_SIZE = (1200, 780)
    TITLE_BAR_ROOM = 40  # logical px kept free above the window for its title bar (not known before it is shown)

    def __init__(
        self,
        title: str,
        settings: QSettings,
        users: UsersSource = (),
        *,
        confirm: Confirm | None = None,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.settings = settings
        self._users_source = users
        self._specs: dict[str, PageSpec] = {}
        self._user: User | None = None
        self._pages: dict[str, QWidget] = {}
        self._page_actions: list[QAction] = []
        self._about: AboutFacts | None = None
        self._shortcuts: Callable[[User], list[keymap.Binding]] | None = None
        self._guide: QUrl | None = None

        # Sign-in page and the workspace share one stack.
        self.sign_in_page = SignInPage(confirm=confirm)
        self.sign_in_page.signed_in.connect(self.sign_in)

        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setFixedWidth(216)  # "Queues admin  Ctrl+8" beside the scroll bar a lead's many pages bring
        self.nav.setItemDelegate(_NavDelegate(self.nav))
        self.nav.setAccessibleName("Pages")
        self.nav.currentItemChanged.connect(self._nav_changed)

        self.pages = QStackedWidget()
        self.pages.setObjectName("pages")

        self.workspace = QWidget()
        row = QHBoxLayout(self.workspace)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.nav)
        row.addWidget(self.pages, 1)

        self.root = QStackedWidget()
        self.root.addWidget(self.sign_in_page)
        self.root.addWidget(self.workspace)
        self.setCentralWidget(self.root)

        self.who = QLabel("")
        self.who.setObjectName("whoAmI")
        self.statusBar().addPermanentWidget(self.who)
        self.statusBar().setSizeGripEnabled(False)

        self._build_actions()
        self._restore_geometry()
        self._show_sign_in()

    # ------------------------------------------------------------ pages API
    def register_page(
        self,
        key: str,
        title: str,
        factory: PageFactory,
        roles: Iterable[str] | None = None,
        shortcut: str | None = None,
    ) -> None:
        """Add a page.  *roles* empty or None: every user sees it."""
        if key in self._specs:
            raise ValueError(f"a page with key {key!r} is already registered")
        self._specs[key] = PageSpec(key, title, factory, frozenset(roles or ()), shortcut)
        if self._user is not None:
            self._rebuild_navigation()

    def registered_pages(self) -> list[str]:
        """Every registered page key, whoever may see it."""
        return list(self._specs)

    def page_keys(self, user: User | None = None) -> list[str]:
        """Keys of the pages *user* (default: the signed-in user) may see, in order."""
        user = user or self._user
        if user is None:
            return []
        return [key for key, spec in self._specs.items() if spec.allows(user)]

    def page(self, key: str) -> QWidget | None:
        """The page widget if it has been created for the current session."""
        return self._pages.get(key)

    def current_page_key(self) -> str | None:
        widget = self.pages.currentWidget()
        for key, page in self._pages.items():
            if page is widget:
                return key
        return None

    def show_page(self, key: str) -> QWidget | None:
        """Switch to page *key*, creating it on first use; None if not allowed."""
        if self._user is None or key not in self.page_keys():
            return None
        page = self._pages.get(key)
        if page is None:
            spec = self._specs[key]
            try:
                page = spec.factory(self._user)
            except Exception as exc:
                log.exception("could not open page %s", key)
                self.statusBar().showMessage(f"Could not open {spec.title}: {exc}", 10_000)
                return None
            self._pages[key] = page
            self.pages.addWidget(page)
        self.pages.setCurrentWidget(page)
        row = self.page_keys().index(key)
        self.nav.blockSignals(True)
        self.nav.setCurrentRow(row)
        self.nav.item(row).setSelected(True)
        self.nav.blockSignals(False)
        page.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.page_changed.emit(key)
        return page

    # ---------------------------------------------------------- session API
    @property
    def current_user(self) -> User | None:
        return self._user

    def refresh_users(self) -> None:
        source = self._users_source
        users = source() if callable(source) else source
        self.sign_in_page.set_users(list(users))

    def sign_in_as(self, name: str) -> User:
        """Sign in the user called *name* (``--user``); KeyError if there is none."""
        self.refresh_users()
        for user in self.sign_in_page.users():
            if user.name == name:
                self.sign_in_page.select(name)
                self.sign_in(user)
                return user
        raise KeyError(f"no user named {name!r}")

    def sign_in(self, user: User) -> None:
        if self._user is not None:
            self.sign_out()
        self._user = user
        roles = ", ".join(user.roles)
        self.who.setText(f"{user.display_name}  ·  {roles}")
        self.who.setToolTip(f"Signed in as {user.name}. Ctrl+Shift+L signs out.")
        self.sign_out_action.setEnabled(True)
        self._rebuild_navigation()
        self.root.setCurrentWidget(self.workspace)
        self.menuBar().show()
        self.statusBar().show()
        self.statusBar().showMessage(f"Welcome, {user.display_name}.", 4000)
        self.user_changed.emit(user)
        keys = self.page_keys()
        if keys:
            self.show_page(keys[0])

    def sign_out(self) -> None:
        """Close and destroy this user's pages and return to the sign-in page."""
        if self._user is None:
            return
        self._close_pages()
        self._user = None
        self._rebuild_navigation()
        self._show_sign_in()
        self.user_changed.emit(None)

    # ------------------------------------------------------------ internals
    def _build_actions(self) -> None:
        self.sign_out_action = QAction("Sign out", self)
        self.sign_out_action.setShortcut(QKeySequence("Ctrl+Shift+L"))
        self.sign_out_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.sign_out_action.triggered.connect(self.sign_out)

        self.quit_action = QAction("Quit", self)
        quit_keys = [QKeySequence("Ctrl+Q")]  # QKeySequence.Quit is empty on some Linux desktops
        standard = QKeySequence(QKeySequence.StandardKey.Quit)
        if not standard.isEmpty() and standard != quit_keys[0]:
            quit_keys.append(standard)
        self.quit_action.setShortcuts(quit_keys)
        self.quit_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.quit_action.triggered.connect(self.close)

        # On the window itself too, so the keys work while the menu bar is hidden.
        self.addAction(self.sign_out_action)
        self.addAction(self.quit_action)

        self.session_menu = self.menuBar().addMenu("&Session")
        self.session_menu.addAction(self.sign_out_action)
        self.session_menu.addSeparator()
        self.session_menu.addAction(self.quit_action)
        self.go_menu = self.menuBar().addMenu("&Go")

        self.help_menu = self.menuBar().addMenu("&Help")
        self.shortcuts_action = self.help_menu.addAction("&Keyboard shortcuts", self.show_shortcuts)
        self.shortcuts_action.setShortcut(QKeySequence(Qt.Key.Key_F1))
        self.shortcuts_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.addAction(self.shortcuts_action)
        self.guide_action = self.help_menu.addAction("&User guide", self.show_guide)
        self.help_menu.addSeparator()
        self.about_action = self.help_menu.addAction("&About Veil", self.show_about)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)

    # ----------------------------------------------------------------- help
    def set_help(self, about: AboutFacts, shortcuts: Callable[[User], list[keymap.Binding]],
                 guide: QUrl | None = None) -> None:
        """What Help shows: *about*, each person's own keys (*shortcuts*) and the user guide's address
        (None: a short guide built in, as in a bundle that carries no README)."""
        self._about, self._shortcuts, self._guide = about, shortcuts, guide

    def show_shortcuts(self) -> None:
        """F1: the signed-in person's keys on the cheat sheet (before sign-in, the window's keys)."""
        bindings = self._shortcuts(self._user) if self._shortcuts and self._user else []
        self._open_help(keymap.CheatSheet(bindings, self))

    def show_guide(self) -> None:
        if self._guide is not None and QDesktopServices.openUrl(self._guide):
            return
        self._open_help(self._message("User guide", BUILT_IN_GUIDE))

    def show_about(self) -> None:
        facts = self._about
        text = "<p><b>Veil</b>: calm, keyboard-first review for trust &amp; safety teams.</p>"
        if facts is not None:
            text += (f"<p>Version {facts.version}<br>Store: {facts.store}<br>"
                     f"Policy taxonomy: version {facts.taxonomy_version}</p>")
        self._open_help(self._message("About Veil", text))

    def _message(self, title: str, text: str) -> QMessageBox:
        box = QMessageBox(QMessageBox.Icon.NoIcon, title, text, QMessageBox.StandardButton.Close, self)
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return box

    @staticmethod
    def _open_help(dialog: QDialog) -> None:
        """Open *dialog* modal to the window without a nested event loop (timers and work go on); closed, it goes."""
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        open_returning(dialog)

    def add_session_action(self, action: QAction) -> None:
        """Put *action* in the Session menu (above Sign out) and on the window, so its keys work while the menu
        bar is hidden. For what one signed-in person may do (Export, Take a break): whoever adds it removes it
        at sign-out with :meth:`remove_session_action`."""
        self.session_menu.insertAction(self.sign_out_action, action)
        self.addAction(action)

    def remove_session_action(self, action: QAction) -> None:
        self.session_menu.removeAction(action)
        self.removeAction(action)

    def _rebuild_navigation(self) -> None:
        self.nav.blockSignals(True)
        self.nav.clear()
        for action in self._page_actions:
            self.removeAction(action)
            action.deleteLater()
        self._page_actions.clear()
        self.go_menu.clear()
        for number, key in enumerate(self.page_keys(), start=1):
            spec = self._specs[key]
            keys = []
            if number <= 9:
                keys.append(QKeySequence(f"Ctrl+{number}"))
            if spec.shortcut:
                keys.append(QKeySequence(spec.shortcut))
            label = keys[0].toString(QKeySequence.SequenceFormat.NativeText) if keys else ""
            item = QListWidgetItem(spec.title)
            item.setData(_KEY_ROLE, key)
            item.setData(_SHORTCUT_ROLE, label)
            names = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in keys)
            item.setToolTip(f"{spec.title} ({names})" if keys else spec.title)
            self.nav.addItem(item)
            action = QAction(spec.title, self)
            action.setShortcuts(keys)
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(lambda _checked=False, k=key: self.show_page(k))
            self.addAction(action)
            self.go_menu.addAction(action)
            self._page_actions.append(action)
        current = self.current_page_key()
        if current in self.page_keys():
            self.nav.setCurrentRow(self.page_keys().index(current))
        self.nav.blockSignals(False)

    def _nav_changed(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if current is not None:
            self.show_page(current.data(_KEY_ROLE))

    def _close_pages(self) -> None:
        for key, page in list(self._pages.items()):
            close = getattr(page, "close_page", None)
            if callable(close):
                try:
                    close()
                except Exception:
                    log.exception("page %s failed to close cleanly", key)
            self.pages.removeWidget(page)
            page.hide()
            page.deleteLater()
        self._pages.clear()

    def _show_sign_in(self) -> None:
        self.who.setText("")
        self.sign_out_action.setEnabled(False)
        self.refresh_users()
        self.root.setCurrentWidget(self.sign_in_page)
        self.menuBar().hide()
        self.statusBar().hide()
        self.sign_in_page.setFocus(Qt.FocusReason.OtherFocusReason)

    def _saved_bytes(self, key: str) -> QByteArray | None:
        """The bytes saved under *key*, or None (with a warning) when ``ui.ini`` holds something else.

        ``ui.ini`` is a text file anyone can edit or damage; whatever it holds
        (a word, a list, a rectangle, bytes that are no geometry) must never
        stop the window from opening.
        """
        value = self.settings.value(key)
        if value is None or value == "":
            return None
        if isinstance(value, (QByteArray, bytes, bytearray)):
            return QByteArray(value)
        log.warning("%s: %s is not a saved window layout (%s), ignored", self.settings.fileName(), key,
                    type(value).__name__)
        return None

    def _restore_geometry(self) -> None:
        geometry = self._saved_bytes(self.GEOMETRY_KEY)
        restored = geometry is not None and self.restoreGeometry(geometry)
        if geometry is not None and not restored:
            log.warning("%s: %s could not be restored, ignored", self.settings.fileName(), self.GEOMETRY_KEY)
        if not restored:
            self.resize(*self.DEFAULT_SIZE)
            screen = QGuiApplication.primaryScreen()
            if screen is not None:
                area = screen.availableGeometry()
                # The size set is the inside of the window: the title bar comes on top of it, and at 1280×720 (or
                # 2× on 2880×1800) a full-height window would push it off the top of the screen.
                width = min(self.width(), area.width())
                height = min(self.height(), area.height() - self.TITLE_BAR_ROOM)
                self.setGeometry(QStyle.alignedRect(Qt.LayoutDirection.LeftToRight, Qt.AlignmentFlag.AlignCenter,
                                                    QSize(width, height), area))
        state = self._saved_bytes(self.STATE_KEY)
        if state is not None and not self.restoreState(state):
            log.warning("%s: %s could not be restored, ignored", self.settings.fileName(), self.STATE_KEY)

    def save_geometry(self) -> None:
        self.settings.setValue(self.GEOMETRY_KEY, self.saveGeometry())
        self.settings.setValue(self.STATE_KEY, self.saveState())
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_geometry()
        self.sign_out()
        super().closeEvent(event)
        self.closed.emit()

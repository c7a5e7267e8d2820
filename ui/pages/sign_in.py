"""The sign-in page: pick who you are, press Enter.

Keyboard first: the list has focus, arrow keys (or typing a name's first
letters) move, Enter signs in; a double-click does too. Deactivated people
(``review.people``) are not listed: they cannot sign in until a lead
reactivates them; one deactivated after the list was read is refused by
``confirm``, which says why (:meth:`SignInPage.refuse`).

The page itself never touches the store.  The seam is ``confirm``: a
callable given the picked :class:`~review.store.User` and this page,
returning True to let the user in.  The desktop wiring gives one that asks
people who have a passphrase for it
(:func:`ui.widgets.passphrase.passphrase_confirm`, checked as a write
through the window's operations runner).  By default everyone picked is
let in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from review.store import User

Confirm = Callable[[User, QWidget], bool]

_USER_ROLE = Qt.ItemDataRole.UserRole
NOBODY = ("No one can sign in yet: this store has no people in it.\n"
          "Ask a lead to add you (People page, or veil users add), or start Veil without --store to try the "
          "demo workspace.")

def user_label(user: User) -> str:
    """"Ana Silva — moderator, lead": how a person is listed everywhere."""
    roles = ", ".join(user.roles) if user.roles else "no role"
    return f"{user.display_name} — {roles}"


class SignInPage(QWidget):
    """Lists *users*; emits :attr:`signed_in` with the chosen ``User``."""

    signed_in = Signal(object)  # User

    def __init__(self, users: Iterable[User] = (), *, confirm: Confirm | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("signInPage")
        self._confirm = confirm

        self.title = QLabel("Veil")
        self.title.setObjectName("appName")
        self.tagline = QLabel("A calm workstation for trust & safety review")
        self.tagline.setObjectName("appTagline")
        self.prompt = QLabel("Who is working?")
        self.prompt.setObjectName("signInPrompt")

        self.list = QListWidget()
        self.list.setObjectName("userList")
        self.list.setUniformItemSizes(True)
        self.list.setAccessibleName("People who can sign in")
        self.list.itemDoubleClicked.connect(lambda _item: self.sign_in_current())
        self.list.installEventFilter(self)

        self.hint = QLabel(
            "↑ ↓ to choose, Enter to sign in. You will see the queues you can work on; "
            "nothing is opened until you pick one. Not listed? Ask a lead to add you."
        )
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)

        self.refusal = QLabel("")  # why the person just picked was not let in (see refuse())
        self.refusal.setObjectName("formError")
        self.refusal.setWordWrap(True)
        self.refusal.hide()

        self.empty = QLabel(NOBODY)
        self.empty.setObjectName("emptyState")
        self.empty.setWordWrap(True)
        self.empty.hide()

        column = self._column = QWidget()
        column.setFixedWidth(500)
        inner = QVBoxLayout(column)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.setSpacing(10)
        inner.addWidget(self.title, 0, Qt.AlignmentFlag.AlignHCenter)
        inner.addWidget(self.tagline, 0, Qt.AlignmentFlag.AlignHCenter)
        inner.addSpacing(28)
        inner.addWidget(self.prompt)
        inner.addWidget(self.list)
        inner.addWidget(self.refusal)
        inner.addWidget(self.empty)
        inner.addSpacing(8)
        inner.addWidget(self.hint)

        outer = QVBoxLayout(self)
        outer.addStretch(2)
        outer.addWidget(column, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(3)
        self.setFocusProxy(self.list)

        self.set_users(users)

    # ------------------------------------------------------------------ API
    def set_users(self, users: Iterable[User]) -> None:
        """Replace the list with the active people, keeping the current person selected if still there."""
        self.refusal.hide()
        keep = self.current_user()
        self.list.clear()
        for user in (u for u in users if u.active):
            item = QListWidgetItem(user_label(user))
            item.setData(_USER_ROLE, user)
            item.setToolTip(f"Sign in as {user.name}")
            self.list.addItem(item)
        count = self.list.count()
        self.list.setVisible(count > 0)
        self.hint.setVisible(count > 0)
        self.prompt.setVisible(count > 0)
        self.empty.setVisible(count == 0)
        self._fit_height()
        row = 0
        if keep is not None:
            for i in range(count):
                if self.list.item(i).data(_USER_ROLE).name == keep.name:
                    row = i
                    break
        if count:
            self.list.setCurrentRow(row)

    def users(self) -> list[User]:
        return [self.list.item(i).data(_USER_ROLE) for i in range(self.list.count())]

    def current_user(self) -> User | None:
        item = self.list.currentItem()
        return item.data(_USER_ROLE) if item is not None else None

    def select(self, name: str) -> bool:
        for i in range(self.list.count()):
            if self.list.item(i).data(_USER_ROLE).name == name:
                self.list.setCurrentRow(i)
                return True
        return False

    def _fit_height(self) -> None:
        """Grow with the list up to ten rows, then scroll (measured after styling)."""
        count = self.list.count()
        if count:
            self.list.ensurePolished()
            rows = sum(self.list.sizeHintForRow(i) for i in range(min(count, 10)))
            margins = self.list.contentsMargins()
            self.list.setFixedHeight(rows + margins.top() + margins.bottom() + 2)
        # The centred column would otherwise get only its minimum height, and its wrapped labels (the hint, a
        # refusal) would be drawn over the list: ask for the height its width needs.
        self._column.setMinimumHeight(self._column.heightForWidth(self._column.width()))

    def refuse(self, name: str, why: str) -> None:
        """Say *why* *name* was not let in, and take them off the list (deactivated since it was read)."""
        current = self.current_user()
        self.set_users([u for u in self.users() if u.name != name])
        if current is not None and current.name != name:
            self.select(current.name)
        self.refusal.setText(why)
        self.refusal.show()
        self._fit_height()

    def sign_in_current(self) -> bool:
        """Sign in the highlighted person (after ``confirm``); True if signed in."""
        user = self.current_user()
        if user is None:
            return False
        if self._confirm is not None and not self._confirm(user, self):
            return False
        self.signed_in.emit(user)
        return True

    # ------------------------------------------------------------ internals
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.list
            and event.type() == QEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            self.sign_in_current()
            return True
        return super().eventFilter(watched, event)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._fit_height()
        self.list.setFocus(Qt.FocusReason.OtherFocusReason)

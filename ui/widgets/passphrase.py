"""Passphrase dialogs: asking for one at sign-in, and setting one.

scrypt is deliberately slow (tens of milliseconds), so both dialogs hash
off the GUI thread and stay responsive: each check or save is one write
through the window's operations runner (a failed check is recorded as an
event). They receive the domain call from the desktop wiring or the page
(``check(store, passphrase) -> bool``, ``save(store, current, new)``) and
hand it to the runner, which gives it the store.

A wrong passphrase gets the same words whoever was picked; the domain
records the attempt (``review.auth.check_passphrase``).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from review.auth import passphrase_problem
from review.errors import VeilError
from review.store import Store, User
from ui.operations import Operations
from ui.pages.sign_in import Confirm, SignInPage

WRONG = "That passphrase is not right. Try again."


def _secret_field(name: str) -> QLineEdit:
    field = QLineEdit()
    field.setObjectName(name)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, False)  # no prediction of secrets
    return field


class _WorkingDialog(QDialog):
    """A dialog whose OK makes one write through *ops*; the inputs wait meanwhile.

    Once the dialog is done (accepted or cancelled) a late answer is dropped.
    """

    def __init__(self, title: str, ok_text: str, ops: Operations, parent: QWidget | None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(420)
        self.ops = ops
        self._finished = False
        self.message = QLabel("")
        self.message.setObjectName("formError")
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.ok = self.buttons.addButton(ok_text, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton("Cancel", QDialogButtonBox.ButtonRole.RejectRole)
        self.ok.setDefault(True)
        self.buttons.accepted.connect(self._start)
        self.buttons.rejected.connect(self.reject)
        self.form = QFormLayout()
        layout = QVBoxLayout(self)
        self.intro = QLabel("")
        self.intro.setWordWrap(True)
        layout.addWidget(self.intro)
        layout.addLayout(self.form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

    def _start(self) -> None:
        raise NotImplementedError

    def _busy(self, busy: bool, text: str = "") -> None:
        for widget in self.findChildren(QLineEdit):
            widget.setEnabled(not busy)
        self.ok.setEnabled(not busy)
        self.message.setText(text)

    def done(self, result: int) -> None:
        self._finished = True
        super().done(result)


class PassphraseDialog(_WorkingDialog):
    """Asks *who* for their passphrase; accepted once ``check(store, passphrase)`` says yes."""

    checked = Signal(bool)

    def __init__(self, who: str, check: Callable[[Store, str], bool], ops: Operations,
                 parent: QWidget | None = None):
        super().__init__("Passphrase", "Sign in", ops, parent)
        self._check = check
        self.intro.setText(f"{who} is protected by a passphrase.")
        self.field = _secret_field("passphraseField")
        self.form.addRow("Passphrase", self.field)
        self.field.setFocus()

    def _start(self) -> None:
        phrase = self.field.text()
        if not phrase:
            self.message.setText("Type the passphrase, then press Enter.")
            return
        self._busy(True, "Checking…")
        self.ops.write(lambda store: self._check(store, phrase), on_done=self._checked, on_error=self._failed,
                       owner=self)

    def _checked(self, ok: bool) -> None:
        if self._finished:  # an answer after Cancel concerns nobody
            return
        if ok:
            self.checked.emit(True)
            self.accept()
            return
        self._busy(False, WRONG)
        self.field.clear()
        self.field.setFocus()
        self.checked.emit(False)

    def _failed(self, exc: BaseException) -> None:
        if self._finished:  # an answer after Cancel concerns nobody
            return
        # a Veil refusal (deactivated meanwhile) is said as it is; anything else was a failure to check
        self._busy(False, str(exc) if isinstance(exc, (VeilError, PermissionError))
                   else f"The passphrase could not be checked: {exc}")
        self.checked.emit(False)


def ask_passphrase(who: str, check: Callable[[Store, str], bool], ops: Operations,
                   parent: QWidget | None = None) -> bool:
    """Show :class:`PassphraseDialog` modally; True once the right passphrase was given."""
    dialog = PassphraseDialog(who, check, ops, parent)
    try:
        return dialog.exec() == QDialog.DialogCode.Accepted
    finally:
        dialog.deleteLater()


def passphrase_confirm(protected: Callable[[str], bool], check: Callable[[Store, str, str], bool],
                       ops: Callable[[], Operations], *, refusal: Callable[[str], str | None]) -> Confirm:
    """The sign-in page's ``confirm``: refuse whoever may no longer sign in, ask only people who have a passphrase.

    *refusal(name)* says why *name* may not sign in now (deactivated since
    the list was read), or None — a quick query, asked first, so nobody
    types a passphrase that could not let them in; the page says it and
    drops them from its list. *protected(name)* says whether *name* has a
    passphrase (a quick query); *check(store, name, passphrase)* verifies
    it (slow: a write through the window's operations runner, which
    *ops()* gives).
    """

    def confirm(user: User, page: QWidget) -> bool:
        if (why := refusal(user.name)) is not None:
            if isinstance(page, SignInPage):
                page.refuse(user.name, why)
            return False
        if not protected(user.name):
            return True
        return ask_passphrase(user.display_name, lambda store, phrase: check(store, user.name, phrase), ops(), page)

    return confirm


class SetPassphraseDialog(_WorkingDialog):
    """Sets *who*'s passphrase: new one twice, and the current one if *needs_current*.

    *save(store, current, new)* stores it (``review.auth.set_passphrase``),
    as a write through *ops*, and raises a Veil error, ValueError or
    PermissionError with words, shown here.
    """

    saved = Signal()

    def __init__(self, who: str, save: Callable[[Store, str | None, str], object], ops: Operations, *,
                 needs_current: bool, parent: QWidget | None = None):
        super().__init__("Set passphrase", "Set passphrase", ops, parent)
        self._save = save
        self.intro.setText(f"A passphrase for {who}. Signing in as {who} will ask for it.")
        self.current = _secret_field("currentPassphrase") if needs_current else None
        self.new = _secret_field("newPassphrase")
        self.repeat = _secret_field("repeatPassphrase")
        if self.current is not None:
            self.form.addRow("Current passphrase", self.current)
        self.form.addRow("New passphrase", self.new)
        self.form.addRow("Repeat it", self.repeat)
        (self.current or self.new).setFocus()

    def _start(self) -> None:
        new = self.new.text()
        problem = passphrase_problem(new)
        if problem is None and new != self.repeat.text():
            problem = "The two new passphrases differ."
        if problem:
            self.message.setText(problem)
            return
        current = self.current.text() if self.current is not None else None
        self._busy(True, "Saving…")
        self.ops.write(lambda store: self._save(store, current, new), on_done=self._done, on_error=self._failed,
                       owner=self)

    def _done(self, _result: object) -> None:
        if self._finished:  # an answer after Cancel concerns nobody
            return
        self.saved.emit()
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        if self._finished:  # an answer after Cancel concerns nobody
            return
        words = isinstance(exc, (VeilError, ValueError, PermissionError))
        self._busy(False, str(exc) if words else f"Not saved: {exc}")

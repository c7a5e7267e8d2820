"""Passphrase dialogs: asking for one at sign-in, and setting one.

scrypt is deliberately slow (tens of milliseconds), so both dialogs hash on
a worker through :class:`~ui.tasks.TaskRunner` and stay responsive. They
receive plain functions from the desktop wiring (``check(passphrase) ->
bool``, ``save(current, new)``) and never touch the store themselves.

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
from review.store import User
from ui.pages.sign_in import Confirm
from ui.tasks import TaskRunner

WRONG = "That passphrase is not right. Try again."


def _secret_field(name: str) -> QLineEdit:
    field = QLineEdit()
    field.setObjectName(name)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, False)  # no prediction of secrets
    return field


class _WorkingDialog(QDialog):
    """A dialog whose OK runs one function on a worker; the inputs wait meanwhile."""

    def __init__(self, title: str, ok_text: str, parent: QWidget | None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(420)
        self.runner = TaskRunner(self, max_threads=1, name="passphrase")
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
        self.runner.close()
        super().done(result)


class PassphraseDialog(_WorkingDialog):
    """Asks *who* for their passphrase; accepted once *check* says yes."""

    checked = Signal(bool)

    def __init__(self, who: str, check: Callable[[str], bool], parent: QWidget | None = None):
        super().__init__("Passphrase", "Sign in", parent)
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
        self.runner.submit(self._check, phrase, on_done=self._checked, on_error=self._failed)

    def _checked(self, ok: bool) -> None:
        if ok:
            self.checked.emit(True)
            self.accept()
            return
        self._busy(False, WRONG)
        self.field.clear()
        self.field.setFocus()
        self.checked.emit(False)

    def _failed(self, exc: BaseException) -> None:
        self._busy(False, f"The passphrase could not be checked: {exc}")
        self.checked.emit(False)


def ask_passphrase(who: str, check: Callable[[str], bool], parent: QWidget | None = None) -> bool:
    """Show :class:`PassphraseDialog` modally; True once the right passphrase was given."""
    dialog = PassphraseDialog(who, check, parent)
    try:
        return dialog.exec() == QDialog.DialogCode.Accepted
    finally:
        dialog.deleteLater()


def passphrase_confirm(protected: Callable[[str], bool], check: Callable[[str, str], bool]) -> Confirm:
    """The sign-in page's ``confirm``: ask only people who have a passphrase.

    *protected(name)* says whether *name* has one (a quick query);
    *check(name, passphrase)* verifies it (slow: it runs on a worker).
    """

    def confirm(user: User, page: QWidget) -> bool:
        if not protected(user.name):
            return True
        return ask_passphrase(user.display_name, lambda phrase: check(user.name, phrase), page)

    return confirm


class SetPassphraseDialog(_WorkingDialog):
    """Sets *who*'s passphrase: new one twice, and the current one if *needs_current*.

    *save(current, new)* stores it (``review.auth.set_passphrase``) and
    raises ValueError or PermissionError with words, shown here.
    """

    saved = Signal()

    def __init__(self, who: str, save: Callable[[str | None, str], object], *, needs_current: bool,
                 parent: QWidget | None = None):
        super().__init__("Set passphrase", "Set passphrase", parent)
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
        self.runner.submit(self._save, current, new, on_done=self._done, on_error=self._failed)

    def _done(self, _result: object) -> None:
        self.saved.emit()
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._busy(False, str(exc) if isinstance(exc, (ValueError, PermissionError)) else f"Not saved: {exc}")

"""The lead's "Rules" page: the routing rule set's text, checked, tested on history and applied as a new version.

The editor holds the current version's text (monospace, as the file is written); beside it three tabs: the
problems of the last check (each "Line N: reason"; a click or Enter puts the cursor on that line), a test over
the last N days (run on a reader with progress: per rule, items matched, per queue, and agreement with people's
decisions with n) and the versions with who applied each and when (Enter opens one in the editor). Apply asks
first, then stores a new version through the writer, naming the newest version the editor's text was loaded
beside: when another lead applied one since, the domain refuses and the page offers to load it (or to keep the
text, and apply over it knowingly); Open file… and Save as… read and write a TOML file on the
pool. Every call is :mod:`review.known.routing` or :mod:`review.known.rule_trial`, whose role checks refuse
anyone but a lead in the domain's words, shown here.

Keys: Ctrl+Enter checks, Ctrl+T tests, Ctrl+O opens a file, Ctrl+Shift+S saves as, F5 reloads the versions, Alt
+ the underlined letter of each button and tab (Alt+P problems, Alt+H the test, Alt+V versions).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QKeySequence, QShortcut, QShowEvent, QTextCursor
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from review.errors import VeilError
from review.known import routing, rule_trial
from review.known.rules import RulesError, RuleSet, read_file
from review.store import Store, User
from review.store.rules import StoredRuleSet
from review.taxonomy import Taxonomy
from ui.operations import Operations
from ui.pages.rules_panels import ProblemsPanel, TrialPanel, VersionsPanel
from ui.refresh import SingleFlight, reason
from ui.widgets.lists import page_title
from ui.widgets.modal import open_returning
from ui.widgets.page_parts import button_row, status_line

UNTITLED = "rules.toml"


class RulesPage(QWidget):
    """The "Rules" page for *lead*: every read and write goes through *ops*; *policy* is the desk's taxonomy."""

    checked = Signal(bool)  # after each check: whether the text is fine
    tested = Signal()
    applied = Signal(int)  # the new version's number
    loaded = Signal()

    def __init__(self, lead: User, ops: Operations, policy: Taxonomy, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("rulesPage")
        self.lead, self.ops, self.policy = lead, ops, policy
        self.source = UNTITLED
        self.current: StoredRuleSet | None = None
        self.loaded_version = 0  # the newest version when the editor's text was loaded (0: none); Apply names it
        self.confirm: QMessageBox | None = None
        self.reload_offer: QMessageBox | None = None
        self._loads = SingleFlight(self._read_versions, ops, parent=self, reload_on={"rules"}, when=self.isVisible)
        self._loads.loaded.connect(self._versions_loaded)
        self._loads.failed.connect(lambda exc: self.say(f"Could not read the versions: {reason(exc)}"))

        title = page_title("Routing rules")
        explain = QLabel("Rules are tried in order; the first whose conditions all hold routes each new item (its "
                         "queue, priority, severity, a suggested or automated decision). Check, test on history, "
                         "then apply: each Apply is a new version. The format: docs/automation.md, “Routing rules”.")
        explain.setObjectName("hint")
        explain.setWordWrap(True)
        self.editor = QPlainTextEdit()
        self.editor.setAccessibleName("Rule set text")
        self.editor.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.editor.setTabChangesFocus(True)
        self.editor.cursorPositionChanged.connect(self._where)
        self.editor.modificationChanged.connect(lambda _changed: self._where())
        self.problems, self.trial, self.versions = ProblemsPanel(), TrialPanel(), VersionsPanel()
        self.problems.line_chosen.connect(self.go_to_line)
        self.trial.run_asked.connect(self.test)
        self.versions.version_chosen.connect(self.edit_version)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Check, test and versions")
        self.tabs.addTab(self.problems, "&Problems")
        self.tabs.addTab(self.trial, "Test on &history")
        self.tabs.addTab(self.versions, "&Versions")
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.editor)
        split.addWidget(self.tabs)
        self.tabs.setMinimumWidth(360)
        split.setSizes([1_000, 1_000])  # half each, whatever the window's width
        split.setChildrenCollapsible(False)

        bar, self.buttons = button_row((
            ("check", "&Check", self.check), ("apply", "&Apply…", self.ask_apply),
            ("open", "&Open file…", self.open_file), ("save", "&Save as…", self.save_as),
            ("current", "&Revert to current", self.revert),
        ))
        for key, name in (("check", "Check the rules"), ("apply", "Apply the rules as a new version"),
                          ("open", "Open a rule file"), ("save", "Save the rules to a file"),
                          ("current", "Put the current version back in the editor")):
            self.buttons[key].setAccessibleName(name)
        self.position = QLabel()
        self.position.setObjectName("hint")
        bar.addWidget(self.position)
        self.status = status_line()
        keys = QLabel("Ctrl+Enter checks  ·  Ctrl+T tests  ·  Ctrl+O opens  ·  Ctrl+Shift+S saves as  ·  F5 reloads")
        keys.setObjectName("hint")
        keys.setWordWrap(True)
        foot = QHBoxLayout()
        foot.addWidget(self.status, 3)
        foot.addWidget(keys, 2, Qt.AlignmentFlag.AlignTop)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 22, 28, 14)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(explain)
        layout.addWidget(split, 1)
        layout.addLayout(bar)
        layout.addLayout(foot)
        self.setFocusProxy(self.editor)
        keys: tuple[tuple[str, Callable[[], object]], ...] = (
            ("Ctrl+Return", self.check), ("Ctrl+Enter", self.check), ("Ctrl+O", self.open_file),
            ("Ctrl+Shift+S", self.save_as), ("F5", self.refresh), ("Ctrl+T", self.trial.run.click),
            *((f"Alt+{letter}", partial(self.show_tab, tab)) for letter, tab in (
                ("P", self.problems), ("H", self.trial), ("V", self.versions))))
        for sequence, slot in keys:
            shortcut = QShortcut(QKeySequence(sequence), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

    # ------------------------------------------------------------------ API
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.refresh()

    def refresh(self) -> bool:
        """Read the versions again in the background (the editor keeps what is being written)."""
        return self._loads.request()

    def text(self) -> str:
        return self.editor.toPlainText()

    def say(self, words: str) -> None:
        self.status.setText(words)

    def close_page(self) -> None:
        """Load nothing more and drop results still on their way (sign-out, quit)."""
        self._loads.close()

    def show_tab(self, tab: QWidget) -> None:
        """Show *tab* and give it the keys (Alt+P, Alt+H, Alt+V)."""
        self.tabs.setCurrentWidget(tab)
        tab.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def go_to_line(self, line: int) -> None:
        """Put the cursor at the start of *line* (1 = the first) and the keys in the editor."""
        block = self.editor.document().findBlockByNumber(max(line, 1) - 1)
        if block.isValid():
            cursor = QTextCursor(block)
            self.editor.setTextCursor(cursor)
            self.editor.centerCursor()
        self.editor.setFocus(Qt.FocusReason.OtherFocusReason)

    # ------------------------------------------------------------- versions
    def _read_versions(self, reader: Store) -> list[StoredRuleSet]:
        return routing.versions(reader, self.lead)

    def _versions_loaded(self, versions: list[StoredRuleSet]) -> None:
        self.versions.show_versions(versions)
        newest = versions[0] if versions else None
        first_load = self.current is None and not self.editor.document().isModified() and not self.text()
        self.current = newest
        if first_load and newest is not None:
            self._set_text(newest.text, newest.source)
        behind = "" if newest is None or newest.version <= self.loaded_version else (
            f" It is newer than the version your text was loaded beside ({self.loaded_version or 'none'}): Apply "
            "offers to load it first.")
        self.say(f"Version {newest.version} ({newest.source}) applied by {newest.created_by} at "
                 f"{newest.created_at[:16].replace('T', ' ')}Z routes new items.{behind}" if newest else
                 "No rules applied yet: new items stay in the queue their manifest names.")
        self.loaded.emit()

    def edit_version(self, version: StoredRuleSet) -> None:
        self._set_text(version.text, version.source)
        self.say(f"Editing version {version.version}'s text; Apply makes it the newest version.")

    def revert(self) -> None:
        if self.current is not None:
            self.edit_version(self.current)

    def _set_text(self, text: str, source: str) -> None:
        self.source = source
        self.loaded_version = self.current.version if self.current else 0
        self.editor.setPlainText(text)
        self.editor.document().setModified(False)
        self._where()

    def _where(self) -> None:
        cursor = self.editor.textCursor()
        edited = " · edited" if self.editor.document().isModified() else ""
        self.position.setText(f"{self.source}{edited} · line {cursor.blockNumber() + 1}")

    # --------------------------------------------------------------- check
    def check(self) -> None:
        text, source, lead, policy = self.text(), self.source, self.lead, self.policy
        self.tabs.setCurrentWidget(self.problems)
        self.ops.query(lambda reader: routing.check(reader, lead, text, source, policy=policy),
                       on_done=self._fine, on_error=self._refused, owner=self)

    def _fine(self, rule_set: RuleSet) -> None:
        self.problems.show_fine(len(rule_set.rules))
        self.checked.emit(True)

    def _refused(self, exc: BaseException) -> None:
        if isinstance(exc, RulesError):
            self.problems.show_problems(exc.source, exc.problems)
            self.tabs.setCurrentWidget(self.problems)
            self.problems.list.setFocus(Qt.FocusReason.OtherFocusReason)
            self.checked.emit(False)
        elif isinstance(exc, routing.RulesChanged):
            self.say(str(exc))
            self.offer_reload(exc.newest)
        elif isinstance(exc, VeilError):
            self.say(str(exc))
        else:
            raise exc

    def offer_reload(self, newest: StoredRuleSet | None) -> QMessageBox:
        """Another lead applied *newest* since this text was loaded: load it (the text here is replaced), or keep
        the text here, so that the next Apply replaces that version knowingly."""
        said = (f"{newest.created_by} applied version {newest.version} at "
                f"{newest.created_at[:16].replace('T', ' ')}Z" if newest else "The versions changed")
        self.reload_offer = QMessageBox(
            QMessageBox.Icon.Warning, "The rules changed",
            f"{said} since you loaded the rules. Nothing was applied.\n\nLoad that version to see it (the text here "
            "is replaced; Save as… keeps a copy first), or keep your text and apply it over that version.",
            QMessageBox.StandardButton.NoButton, self)
        load = self.reload_offer.addButton("&Load the newest version", QMessageBox.ButtonRole.AcceptRole)
        self.reload_offer.addButton("&Keep my text", QMessageBox.ButtonRole.RejectRole)
        self.reload_offer.setDefaultButton(load)
        self.reload_offer.accepted.connect(lambda: self._reloaded(newest))
        self.reload_offer.rejected.connect(lambda: self._kept(newest))
        open_returning(self.reload_offer)
        self.refresh()  # the versions tab shows the newer version meanwhile
        return self.reload_offer

    def _reloaded(self, newest: StoredRuleSet | None) -> None:
        self.current = newest
        if newest is None:
            self.loaded_version = 0
            return
        self.edit_version(newest)
        self.say(f"Loaded version {newest.version}, applied by {newest.created_by}: edit it, then apply again.")

    def _kept(self, newest: StoredRuleSet | None) -> None:
        self.loaded_version = newest.version if newest else 0
        self.say(f"Your text is kept: Apply replaces version {self.loaded_version} with it." if newest else
                 "Your text is kept: Apply stores it as the first version.")

    # ---------------------------------------------------------------- test
    def test(self, days: int) -> None:
        text, source, lead, policy = self.text(), self.source, self.lead, self.policy

        def run(reader: Store, progress: Callable[[int, int], object]) -> rule_trial.Trial:
            since = rule_trial.since_time(f"{days}d", reader.clock.now())
            return rule_trial.trial(reader, lead, text, source, since, policy=policy, progress=progress)

        self.tabs.setCurrentWidget(self.trial)
        self.trial.started()
        self.ops.query(run, on_done=self._tested, on_error=self._test_failed, on_progress=self.trial.advanced,
                       owner=self)

    def _tested(self, trial: rule_trial.Trial) -> None:
        self.trial.show_trial(trial)
        self.tested.emit()

    def _test_failed(self, exc: BaseException) -> None:
        self.trial.ended("The test did not run: fix the problems first." if isinstance(exc, RulesError)
                         else f"The test did not run: {reason(exc)}")
        self._refused(exc)

    # --------------------------------------------------------------- apply
    def ask_apply(self) -> QMessageBox:
        number = self.loaded_version + 1
        self.confirm = QMessageBox(QMessageBox.Icon.Question, "Apply the rules",
                                   f"Apply this text as version {number}? It routes every item imported from now "
                                   "on; items already in the queues stay where they are.",
                                   QMessageBox.StandardButton.Cancel, self)
        self.confirm.addButton(f"Apply as version {number}", QMessageBox.ButtonRole.AcceptRole)
        self.confirm.setDefaultButton(QMessageBox.StandardButton.Cancel)
        self.confirm.accepted.connect(self.apply)
        open_returning(self.confirm)
        return self.confirm

    def apply(self) -> None:
        text, source, lead, policy, expected = self.text(), self.source, self.lead, self.policy, self.loaded_version
        self.ops.write(lambda store: routing.apply(store, lead, text, source, policy=policy, expected_version=expected),
                       on_done=self._applied, on_error=self._refused, owner=self)

    def _applied(self, number: int) -> None:
        self.loaded_version = number
        self.editor.document().setModified(False)
        self.problems.show_fine(self.text().count("[[rule]]"))
        self.say(f"Applied as version {number}: it routes the items imported from now on.")
        self.applied.emit(number)
        self.refresh()

    # --------------------------------------------------------------- files
    def open_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a rule file", "", "Rules (*.toml);;All files (*)")
        if path:
            self.read(Path(path))

    def read(self, path: Path) -> None:
        """Read *path* on the pool into the editor (a file that cannot be read is said, the editor kept)."""
        self.ops.run(read_file, path, on_done=lambda text: self._opened(text, path.name), on_error=self._refused,
                     owner=self)

    def _opened(self, text: str, name: str) -> None:
        self._set_text(text, name)
        self.editor.document().setModified(True)  # not applied yet
        self.say(f"Opened {name}: check, test, then apply it.")

    def save_as(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the rules as", self.source, "Rules (*.toml)")
        if path:
            self.write(Path(path))

    def write(self, path: Path) -> None:
        text = self.text()
        self.ops.run(lambda: path.write_text(text, encoding="utf-8"),
                     on_done=lambda _n: self.say(f"Saved to {path}."),
                     on_error=lambda exc: self.say(f"Could not save {path.name}: {reason(exc)}"), owner=self)

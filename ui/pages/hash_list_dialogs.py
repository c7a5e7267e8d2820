"""The Hash lists page's dialogs: import a file (with its bad lines listed), rename, remove (confirmed), export.

Each makes one domain call (:mod:`review.known.lists`). Rename, remove and
export are ordinary writes (:class:`ChangeDialog`). An import can hold a
million lines and then match every pending item, so it runs on the pool with
its own connection to the store (``ops.run``), reporting progress to the
page; the dialog stays open with Import disabled until it ends, closes when
it succeeds, and lists a file's bad lines (every one ``FILE:LINE: reason``,
nothing imported) under its fields when it is refused. Every label here is
plain text: list names and file lines come from outside.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QPushButton,
    QWidget,
)

from review.known import list_files, lists
from review.store.hashlists import ListRow
from ui.pages.people_dialogs import QueueList
from ui.pages.queue_admin_dialogs import ChangeDialog, Work, in_words
from ui.widgets.modal import open_returning

if TYPE_CHECKING:
    from ui.pages.hash_lists import HashListsPage

__all__ = ["ChangeDialog", "ImportDialog", "open_export", "open_import", "open_remove", "open_rename"]

NO_ACTION = "(none: only show matches)"
CSV_FILE = "(a CSV with its header)"


def _rows(dialog: ChangeDialog, *rows: tuple[str, QWidget]) -> None:
    for text, widget in rows:
        dialog.form.addRow(text, widget)
        dialog.fields[text] = widget


def _open(dialog: ChangeDialog, focus: QWidget) -> Any:
    for label in (dialog.summary, dialog.error):  # they name lists and quote files' lines: never rich text
        label.setTextFormat(Qt.TextFormat.PlainText)
    dialog.update_summary()
    open_returning(dialog)
    focus.setFocus()
    return dialog


def _file_field(name: str, choose: Callable[[], str]) -> tuple[QWidget, QLineEdit]:
    """A path field with a Choose… button (the file dialog)."""
    holder = QWidget()
    line = QLineEdit()
    line.setObjectName(name)
    line.setAccessibleName("File")
    button = QPushButton("C&hoose…")
    button.setAccessibleName("Choose the file")
    button.clicked.connect(lambda: line.setText(choose() or line.text()))
    row = QHBoxLayout(holder)
    row.setContentsMargins(0, 0, 0, 0)
    row.addWidget(line, 1)
    row.addWidget(button)
    return holder, line


class ImportDialog(ChangeDialog):
    """File, list name (a new one, or an existing list to add a version to), action, labels, automated, turned
    copies, and a plain file's signal type; the bad lines of a refused file listed under them."""

    def __init__(self, page: HashListsPage, chosen: ListRow | None):
        super().__init__(page, "Import hash list", "Import", work=lambda: None, describe=self._words,
                         done=lambda _r: "")
        self.page_ = page
        policy = page.policy
        holder, self.path = _file_field("hashListFile", lambda: QFileDialog.getOpenFileName(
            self, "Import hash list", "", "Hash lists (*.csv *.txt);;All files (*)")[0])
        self.name = QComboBox()
        self.name.setObjectName("hashListName")
        self.name.setEditable(True)
        self.name.setAccessibleName("List name")
        self.name.addItems([row.name for row in page.rows])
        self.name.setCurrentText(chosen.name if chosen else "")
        self.action = QComboBox()
        self.action.setObjectName("hashListAction")
        self.action.setAccessibleName("Action")
        self.action.addItem(NO_ACTION, None)
        for action in policy.actions:
            if not action.escalates:
                self.action.addItem(action.name, action.id)
        self.labels = QueueList([label.id for label in policy.labels])
        self.labels.setObjectName("hashListLabels")
        self.labels.setAccessibleName("Policy labels")
        self.automated = QCheckBox("&Decide matches without a person (audited)")
        self.automated.setObjectName("hashListAutomated")
        self.dihedral = QCheckBox("Match &turned and mirrored pictures too")
        self.dihedral.setObjectName("hashListDihedral")
        self.signal_type = QComboBox()
        self.signal_type.setObjectName("hashListSignalType")
        self.signal_type.setAccessibleName("Signal type of a plain file")
        self.signal_type.addItem(CSV_FILE, None)
        for kind in list_files.FILE_TYPES:
            self.signal_type.addItem(kind, kind)
        self.problems = QListWidget()
        self.problems.setObjectName("importProblems")
        self.problems.setAccessibleName("Problems in the file")
        self.problems.setMinimumHeight(120)
        self.problems.setVisible(False)
        _rows(self, ("File", holder), ("List", self.name), ("Action", self.action), ("Labels", self.labels),
              ("", self.automated), ("", self.dihedral), ("Plain file of", self.signal_type))
        self.layout().insertWidget(2, self.problems)
        self._taken = False  # the settings shown are an existing list's
        self.name.currentTextChanged.connect(self._take_list)
        for changed in (self.path.textChanged, self.name.currentTextChanged, self.action.currentIndexChanged,
                        self.automated.toggled):
            changed.connect(self.update_summary)
        self._take_list(self.name.currentText())

    def _take_list(self, name: str) -> None:
        """An existing list's settings, so an import that adds to it keeps them unless changed here; a new name
        after one starts from a new list's (no action, no labels)."""
        row = next((r for r in self.page_.rows if r.name == name), None)
        if row is None:
            if self._taken:
                self._taken = False
                self.action.setCurrentIndex(0)
                for i in range(self.labels.count()):
                    self.labels.item(i).setCheckState(Qt.CheckState.Unchecked)
                self.automated.setChecked(False)
                self.dihedral.setChecked(False)
            return
        self._taken = True
        index = self.action.findData(row.action)
        self.action.setCurrentIndex(max(index, 0))
        for i in range(self.labels.count()):
            item = self.labels.item(i)
            item.setCheckState(Qt.CheckState.Checked if item.text() in row.labels else Qt.CheckState.Unchecked)
        self.automated.setChecked(row.automated)
        self.dihedral.setChecked(row.dihedral)

    def _words(self) -> str:
        name = self.name.currentText().strip()
        if not name:
            return "Name the list (a new name makes a new list; an existing one gets a new version)."
        adds = any(r.name == name for r in self.page_.rows)
        action = self.action.currentData()
        does = "shows each match" if action is None else \
            f"{'decides' if self.automated.isChecked() else 'suggests'} {self.action.currentText().lower()}"
        return (f"{'Adds a version to' if adds else 'Makes'} “{name}”, which {does}. Every line is checked first: one "
                "bad line and nothing is imported. Then the pending items are matched against the new entries.")

    def apply(self) -> None:
        path = Path(self.path.text().strip())
        if not self.path.text().strip():
            self.say("Choose a file to import.")
            return
        name, lead, policy = self.name.currentText().strip(), self.page_.lead.name, self.page_.policy
        options = {"action": self.action.currentData(), "labels": self.labels.chosen(),
                   "automated": self.automated.isChecked(), "dihedral": self.dihedral.isChecked(),
                   "signal_type": self.signal_type.currentData()}
        page = self.page_

        def work(progress: Callable[..., None]) -> tuple[lists.Imported, int]:
            # Its own connection: the import and the matching after it are long, and the window's writes
            # (and the page's loads) go on meanwhile.
            with page.ops.store.second_connection() as store:
                done = lists.import_list(store, lead, path, name=name, taxonomy=policy, **options,
                                         progress=lambda n, total: progress("Entries written", n, total))
                matched = lists.match_pending(store, lead, done.name, since_version=done.version,
                                              progress=lambda n, total: progress("Pending items matched", n, total))
                return done, matched

        self.ok.setEnabled(False)
        self.problems.setVisible(False)
        self.error.setText("Checking the file…")
        page.show_progress("Checking the file", 0, 0)
        page.ops.run(work, on_progress=page.show_progress, on_done=self._imported, on_error=self._refused,
                     owner=page)

    def _imported(self, result: tuple[lists.Imported, int]) -> None:
        done, matched = result
        self.page_.work_ended(f"{'Made' if done.created else 'Added to'} {done.name} (version {done.version}): "
                              f"{done.added:,} new entries, {done.duplicates:,} duplicates left out; "
                              f"{matched:,} matches among the pending items.")
        if self.isVisible():
            self.accept()

    def _refused(self, exc: BaseException) -> None:
        self.page_.work_ended("Nothing imported.")
        self.ok.setEnabled(True)
        if isinstance(exc, list_files.ListFileError):
            self.problems.clear()
            self.problems.addItems(exc.problems + ([f"… and {exc.more:,} more"] if exc.more else []))
            self.problems.setVisible(True)
            count = len(exc.problems) + exc.more
            self.say(f"{count:,} bad line{'s' if count != 1 else ''}: fix {'them' if count != 1 else 'it'} and "
                     "import again. Nothing was imported.")
        else:
            self.say(in_words(exc))


def open_import(page: HashListsPage, chosen: ListRow | None) -> ImportDialog:
    dialog = ImportDialog(page, chosen)
    return _open(dialog, dialog.path)


def open_rename(page: HashListsPage, row: ListRow) -> ChangeDialog:
    lead = page.lead.name
    new = QLineEdit(row.name)
    new.setObjectName("hashListNewName")
    new.setAccessibleName("New name")

    def work() -> Work | None:
        chosen = new.text().strip()
        if not chosen:
            dialog.say("Give the list a name.")
            return None
        return lambda store: lists.rename_list(store, lead, row.name, chosen)

    dialog = ChangeDialog(page, "Rename hash list", "Rename", work=work,
                          describe=lambda: f"“{row.name}” keeps its entries, version and matches under the new name.",
                          done=lambda _r: f"Renamed {row.name} to {new.text().strip()}")
    _rows(dialog, ("New name", new))
    new.selectAll()
    return _open(dialog, new)


def open_remove(page: HashListsPage, row: ListRow) -> ChangeDialog:
    """Remove, after saying what goes with the list (its entries and recorded matches; decisions stay)."""
    lead = page.lead.name
    entries = sum(row.entries.values())
    dialog = ChangeDialog(page, "Remove hash list", "Remove list",
                          work=lambda: (lambda store: lists.remove_list(store, lead, row.name)),
                          describe=lambda: (f"Remove “{row.name}”: its {entries:,} entries and the matches recorded "
                                            "against it go. Decisions it made stay, naming it. There is no undo: "
                                            "import the file again to bring it back."),
                          done=lambda _r: f"Removed {row.name}")
    cancel = next(b for b in dialog.buttons.buttons() if b is not dialog.ok)
    return _open(dialog, cancel)  # Enter at once cancels: removing is a deliberate Tab or click


def open_export(page: HashListsPage) -> ChangeDialog:
    """The team's own items whose current decision is an action, as a list file other platforms can import."""
    lead, policy = page.lead.name, page.policy
    action = QComboBox()
    action.setObjectName("hashListExportAction")
    action.setAccessibleName("Action")
    for choice in policy.actions:
        if not choice.escalates:
            action.addItem(choice.name, choice.id)
    index = action.findData("remove")
    action.setCurrentIndex(max(index, 0))
    holder, path = _file_field("hashListExportFile", lambda: QFileDialog.getSaveFileName(
        page, "Export hash list", "hash-list.csv", "CSV files (*.csv)")[0])

    def work() -> Work | None:
        out = path.text().strip()
        if not out:
            dialog.say("Choose where to write the list.")
            return None
        chosen = str(action.currentData())
        return lambda store: lists.export_list(store, lead, chosen, Path(out), taxonomy=policy)

    dialog = ChangeDialog(page, "Export hash list", "Export", work=work,
                          describe=lambda: (f"Writes the SHA-256, MD5 and PDQ of each item whose current decision is "
                                            f"“{action.currentText()}” (texts as the hash of their normal form, "
                                            "never the text), in the format Import reads."),
                          done=lambda items: f"Exported {items:,} items to {Path(path.text().strip()).name}")
    action.currentIndexChanged.connect(dialog.update_summary)
    _rows(dialog, ("Decided", action), ("File", holder))
    return _open(dialog, action)

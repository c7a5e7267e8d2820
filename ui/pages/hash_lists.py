"""The lead's "Hash lists" page: the lists of known content, and importing, renaming, removing and exporting them.

One row per list: its name, version, entries per signal type, what a match
does (shows it, suggests the list's action, or decides it), whether PDQ
entries match turned and mirrored pictures, and who changed it last. Every
change is a dialog (:mod:`ui.pages.hash_list_dialogs`) making one domain
call (:mod:`review.known.lists`), so a moderator's refusal and every bad
line of a file are the domain's words. An import runs in the background
with a progress bar (the file's entries, then the store's pending items
matched against them); the page reloads when lists change, in any window.

Keys: Alt + each button's underlined letter; Insert imports, F2 renames,
Delete removes (after a confirmation), F5 reloads.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QLabel,
    QProgressBar,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from review.known import lists
from review.store import Store, User
from review.store.hashlists import ListRow
from review.taxonomy import Taxonomy
from ui.operations import Operations
from ui.pages import hash_list_dialogs
from ui.pages.queue_admin_dialogs import in_words
from ui.refresh import SingleFlight
from ui.widgets.lists import page_title, read_only_rows
from ui.widgets.page_parts import add_keys, button_row, status_line

#: Change kinds (``ops.changed``) that alter what the page shows.
LIST_CHANGES = frozenset({"hashlist"})
COLUMNS = ("List", "Version", "Entries", "A match", "Turned copies", "Changed")


def entries_text(row: ListRow) -> str:
    """"1,000 PDQ · 20 MD5": the list's entries per signal type."""
    names = {"pdq": "PDQ", "md5": "MD5", "sha256": "SHA-256"}
    return " · ".join(f"{n:,} {names.get(kind) or ('text' if n == 1 else 'texts')}"
                      for kind, n in row.entries.items()) or "empty"


def does_text(row: ListRow, policy: Taxonomy) -> str:
    """What a match does: "shows it", "suggests remove (spam)", "decides remove (spam)"."""
    if row.action is None:
        return "shows it"
    try:
        action = policy.action(row.action).name.lower()
    except KeyError:
        action = row.action
    labels = f" ({', '.join(row.labels)})" if row.labels else ""
    return f"{'decides' if row.automated else 'suggests'} {action}{labels}"


def _cell(text: str) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    item.setToolTip(text)
    return item


class HashListsPage(QWidget):
    """The "Hash lists" page for *lead*; every read and change goes through *ops*."""

    refreshed = Signal()
    changed = Signal(str)

    def __init__(self, lead: User, ops: Operations, policy: Taxonomy, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("hashListsPage")
        self.lead, self.ops, self.policy = lead, ops, policy
        self.rows: list[ListRow] = []
        self.working = False
        self.said = ""  # what the last change did, in words
        self._loads = SingleFlight(self._load, ops, parent=self, reload_on=LIST_CHANGES, when=self.isVisible)
        self._loads.loaded.connect(self._loaded)
        self._loads.failed.connect(lambda exc: self.status.setText(f"Could not load the lists: {in_words(exc)}"))

        explain = QLabel("Lists of known content shared between platforms (PDQ hashes of pictures, MD5 and SHA-256 "
                         "of files, texts). Every new item is matched against every list at import; moderators see "
                         "each match under “Seen before”, never the matched content. A list with an action suggests "
                         "it, or decides it without a person when automated (audited like a moderator).")
        explain.setObjectName("hint")
        explain.setWordWrap(True)
        self.table = QTableWidget()
        header = read_only_rows(self.table, "hashListTable")
        self.table.setAccessibleName("Hash lists")
        self.table.setColumnCount(len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        header.setStretchLastSection(True)

        bar, self.buttons = button_row((
            ("import", "&Import…", self.import_list), ("rename", "Re&name…", self.rename),
            ("remove", "&Remove…", self.remove), ("export", "E&xport…", self.export),
        ), name_prefix="hashlist")
        for button in self.buttons.values():
            button.setAccessibleName(button.text().replace("&", "").removesuffix("…") + " hash list")
        self.progress = QProgressBar()
        self.progress.setObjectName("hashListProgress")
        self.progress.setAccessibleName("Import progress")
        self.progress.setVisible(False)
        self.status = status_line()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 22, 28, 14)
        layout.setSpacing(8)
        layout.addWidget(page_title("Hash lists"))
        layout.addWidget(explain)
        layout.addWidget(self.table, 1)
        layout.addLayout(bar)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        self.setFocusProxy(self.table)
        add_keys(self, ((Qt.Key.Key_F5, self.refresh, self), (Qt.Key.Key_Insert, self.import_list, self),
                        (Qt.Key.Key_F2, self.rename, self.table), (Qt.Key.Key_Delete, self.remove, self.table)))
        self.table.itemSelectionChanged.connect(self._enable)
        self._enable()

    # ------------------------------------------------------------------ API
    def refresh(self) -> bool:
        return self._loads.request()

    def selected(self) -> ListRow | None:
        chosen = self.table.selectionModel().selectedRows()
        if not chosen or chosen[0].row() >= len(self.rows):
            return None
        return self.rows[chosen[0].row()]

    def changed_to(self, words: str) -> None:
        self.said = words  # kept over the reload that follows, until the next change
        self.status.setText(words)
        self.changed.emit(words)
        self.refresh()

    def close_page(self) -> None:
        self._loads.close()

    def import_list(self) -> hash_list_dialogs.ImportDialog | None:
        if self.working:
            self.status.setText("An import is still running: wait for it to finish.")
            return None
        return hash_list_dialogs.open_import(self, self.selected())

    def rename(self) -> hash_list_dialogs.ChangeDialog | None:
        row = self._need_selected()
        return hash_list_dialogs.open_rename(self, row) if row else None

    def remove(self) -> hash_list_dialogs.ChangeDialog | None:
        row = self._need_selected()
        return hash_list_dialogs.open_remove(self, row) if row else None

    def export(self) -> hash_list_dialogs.ChangeDialog:
        return hash_list_dialogs.open_export(self)

    def show_progress(self, what: str, done: int, total: int) -> None:
        """An import's progress: *what* is being done, *done* of *total* (0: not known yet)."""
        self.working = True
        self.progress.setVisible(True)
        self.progress.setRange(0, max(total, 0))
        self.progress.setValue(min(done, total) if total else 0)
        self.status.setText(f"{what}: {done:,}" + (f" of {total:,}" if total else "") + "…")

    def work_ended(self, words: str) -> None:
        self.working = False
        self.progress.setVisible(False)
        self.changed_to(words)

    # ------------------------------------------------------------ internals
    def _load(self, reader: Store) -> list[ListRow]:
        return lists.lists(reader, self.lead.name)

    def _loaded(self, rows: list[ListRow]) -> None:
        keep = self.selected()
        self.rows = rows
        self.table.setRowCount(len(rows))
        for number, row in enumerate(rows):
            for column, text in enumerate((row.name, str(row.version), entries_text(row), does_text(row, self.policy),
                                           "matched too" if row.dihedral else "no",
                                           f"{row.changed_at[:16].replace('T', ' ')} by {row.changed_by}")):
                self.table.setItem(number, column, _cell(text))
        if not self.working:
            self.status.setText(self.said or (f"{len(rows)} list{'s' if len(rows) != 1 else ''}" if rows else
                                              "No hash lists yet: import one (Insert)."))
        again = [i for i, row in enumerate(rows) if keep and row.id == keep.id]
        if again or rows:
            self.table.selectRow(again[0] if again else 0)
        self._enable()
        self.refreshed.emit()

    def _need_selected(self) -> ListRow | None:
        row = self.selected()
        if row is None:
            self.status.setText("Select a list first.")
        return row

    def _enable(self, *_args: Any) -> None:
        chosen = self.selected() is not None
        for key in ("rename", "remove"):
            self.buttons[key].setEnabled(chosen)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.refresh()

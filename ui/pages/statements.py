"""The lead's "Statements" page: the DSA statement mapping, a statement's preview, and a period's refusals.

Three tabs. **Mapping**: every label, action, item kind, report source,
the deciders and the platform defaults in a list; the chosen entry's form
(:mod:`ui.pages.statements_entry`) offers the database's own values; what
the mapping still lacks is said under it, and Save (Ctrl+S) stores it as
one lead's change (``audit.compliance.mapping.save``, refused with the
name of whoever changed it since it was loaded). Import and export read
and write a TOML or JSON file. **Preview**: a recent decision's statement,
under the mapping as edited (saved or not), and the text its person
receives, with what the database would refuse. **Refused**: a period's
statements the database would refuse (checked when the tab opens, and on
Enter in a date), with the field, the reason and the entry to fix; Enter or
a double click on a refusal opens that entry. The refusals are a model's
rows (:class:`ui.pages.dashboard_tables.FigureTableModel`), never a widget
per cell: a mapping with a gap refuses every restricting decision of the
period, a hundred thousand at site scale (issue 22). All reads and
writes go through the operations runner; F5 reloads.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QHideEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from audit.compliance import desk, export, mapping
from review.errors import VeilError
from review.store import User
from ui.operations import Operations
from ui.pages.dashboard_tables import Column, FigureTableModel, figure_table
from ui.pages.qa_common import text_label
from ui.pages.statements_entry import EntryForm
from ui.refresh import SingleFlight
from ui.widgets.lists import page_title

_KEY = Qt.ItemDataRole.UserRole
_SIZED_BY_ROWS = 200  # rows a column's width is measured over (Qt's default, 1,000, costs 5,000 cell reads a layout)


@dataclass(frozen=True)
class RefusedRow:
    """One refusal and its place in the check's list (its key)."""

    refusal: export.Refusal
    key: int


def _left(title: str, tip: str, text: Callable[[RefusedRow], str],
          sort: Callable[[RefusedRow], Any] | None = None) -> Column:
    """A left-aligned column whose cell says its whole text on hover too (a long reason is elided)."""
    return Column(title, tip, text, sort or text, tooltip=text, left=True)


REFUSED_COLUMNS = (
    _left("Decision", "The decision whose statement the database would refuse",
          lambda r: f"#{r.refusal.decision_id}", lambda r: r.refusal.decision_id),
    _left("Item", "The item's own id", lambda r: r.refusal.external_id),
    _left("Field", "The statement's field the database checks", lambda r: r.refusal.field),
    _left("Reason", "Why the database would refuse it", lambda r: r.refusal.reason),
    _left("Fix entry", "The mapping entry to fix (Enter or a double click opens it)", lambda r: r.refusal.entry),
)


def _words(exc: BaseException) -> str:
    if isinstance(exc, (VeilError, ValueError, PermissionError, KeyError)):
        return str(exc).strip("'\"")
    return f"That did not work: {exc or type(exc).__name__}"


class StatementsPage(QWidget):
    def __init__(self, lead: User, ops: Operations, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("statementsPage")
        self.lead, self.ops = lead, ops
        self.view: desk.MappingView | None = None
        self.loaded: dict[str, Any] | None = None  # the stored mapping, as read (a save's expected value)
        self.draft: dict[str, Any] = mapping.empty()
        self.refusals: list[export.Refusal] = []
        self._check_stop: threading.Event | None = None  # set: the running period check stops at its next chunk
        self._recheck_on_show = False
        self._reload_on_show = False  # a decision or a setting changed while the page was hidden
        # The view reads the last 30 days' decisions (seconds of a reader at a million): one load at a time, the
        # changes meanwhile one more, and none while the page is hidden (issue 22: at 60,000 decisions a day
        # every decision started another load, page shown or not, and they kept the interpreter busy).
        self._loads = SingleFlight(lambda reader: desk.load(reader, lead), ops, parent=self)
        self._loads.loaded.connect(self._loaded)
        self._loads.failed.connect(self._failed)
        self.status = text_label("statementsStatus", "Loading…")
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self._mapping_tab(), "Mapping")
        self.tabs.addTab(self._preview_tab(), "Preview")
        self.tabs.addTab(self._refused_tab(), "Refused")
        self.tabs.currentChanged.connect(lambda index: index == 2 and not self.refusals and self.check_period())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 22, 28, 14)
        layout.setSpacing(8)
        layout.addWidget(page_title("Statements of reasons"))
        layout.addWidget(self.status)
        layout.addWidget(self.tabs, 1)
        QShortcut(QKeySequence.StandardKey.Save, self, self.save)
        QShortcut(QKeySequence(Qt.Key.Key_F5), self, self.refresh)
        self.setFocusProxy(self.entries)
        ops.changed.connect(self._data_changed)
        self.refresh()

    # ------------------------------------------------------------ building
    def _mapping_tab(self) -> QWidget:
        self.entries = QListWidget()
        self.entries.setObjectName("mappingEntries")
        self.entries.setAccessibleName("Mapping entries")
        self.entries.currentItemChanged.connect(lambda *_: self._show_entry())
        self.form = EntryForm()
        self.form.changed.connect(self._entry_edited)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        split = QSplitter()
        split.addWidget(self.entries)
        split.addWidget(scroll)
        split.setSizes([300, 800])
        self.problems = text_label("mappingProblems")
        self.save_button = QPushButton("Save mapping")
        self.save_button.clicked.connect(self.save)
        self.revert_button = QPushButton("Revert")
        self.revert_button.clicked.connect(self.revert)
        importing, exporting = QPushButton("Import file…"), QPushButton("Export file…")
        importing.clicked.connect(self.choose_import)
        exporting.clicked.connect(self.choose_export)
        buttons = QHBoxLayout()
        for button in (self.save_button, self.revert_button, importing, exporting):
            buttons.addWidget(button)
        buttons.addStretch(1)
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.addWidget(split, 1)
        layout.addWidget(self.problems)
        layout.addLayout(buttons)
        return tab

    def _preview_tab(self) -> QWidget:
        self.decisions = QComboBox()
        self.decisions.setObjectName("previewDecision")
        self.decisions.setAccessibleName("Decision to preview")
        self.decisions.currentIndexChanged.connect(lambda *_: self.show_preview())
        self.statement_box = QPlainTextEdit(readOnly=True)
        self.statement_box.setObjectName("previewStatement")
        self.statement_box.setAccessibleName("Statement preview")
        self.user_text = QPlainTextEdit(readOnly=True)
        self.user_text.setObjectName("previewUserText")
        self.user_text.setAccessibleName("What the user reads")
        self.preview_problems = text_label("previewProblems")
        split = QSplitter()
        for title, box in (("The statement (database JSON)", self.statement_box),
                           ("What the person receives", self.user_text)):
            side = QWidget()
            column = QVBoxLayout(side)
            column.setContentsMargins(0, 0, 0, 0)
            column.addWidget(QLabel(title))
            column.addWidget(box, 1)
            split.addWidget(side)
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.addWidget(self.decisions)
        layout.addWidget(split, 1)
        layout.addWidget(self.preview_problems)
        return tab

    def _refused_tab(self) -> QWidget:
        today = QDate.currentDate()
        self.start, self.end = QDateEdit(today.addDays(-30)), QDateEdit(today)
        for edit, words in ((self.start, "From"), (self.end, "To")):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setAccessibleName(words)
            edit.dateChanged.connect(self._period_changed)
        check = QPushButton("Check period")
        check.clicked.connect(self.check_period)
        row = QHBoxLayout()
        for widget in (QLabel("From"), self.start, QLabel("to"), self.end, check):
            row.addWidget(widget)
        row.addStretch(1)
        self.period_summary = text_label("periodSummary", "Choose a period and check it.")
        self.refused_rows = FigureTableModel(REFUSED_COLUMNS, self)
        self.refused = figure_table(self.refused_rows, "refusedStatements", "Refused statements")
        header = self.refused.horizontalHeader()
        header.setResizeContentsPrecision(_SIZED_BY_ROWS)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)  # the reason takes the spare width
        self.refused.doubleClicked.connect(lambda *_: self.open_refused_entry())
        QShortcut(QKeySequence(Qt.Key.Key_Return), self.refused, self.open_refused_entry,
                  context=Qt.ShortcutContext.WidgetShortcut)
        tab = QWidget()
        QShortcut(QKeySequence(Qt.Key.Key_Return), self.start, self.check_period,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        QShortcut(QKeySequence(Qt.Key.Key_Return), self.end, self.check_period,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        layout = QVBoxLayout(tab)
        layout.addLayout(row)
        layout.addWidget(self.period_summary)
        layout.addWidget(self.refused, 1)
        return tab

    # ------------------------------------------------------------ loading
    def refresh(self) -> None:
        self._loads.request()

    def _loaded(self, view: desk.MappingView) -> None:
        keep = self._current_key()
        self.view, self.loaded, self.draft = view, view.mapping, copy.deepcopy(view.mapping)
        self._fill_entries(keep)
        chosen = self.decisions.currentData()
        self.decisions.blockSignals(True)
        self.decisions.clear()
        for decision_id, words in view.decisions:
            self.decisions.addItem(words, decision_id)
        self.decisions.setCurrentIndex(max(0, self.decisions.findData(chosen)))
        self.decisions.blockSignals(False)
        self.status.setText("Each label, action, item kind and report source maps to the Transparency Database's "
                            "fields (docs/statements.md). Save applies to every export from now on.")
        self._edited()

    def _failed(self, exc: BaseException) -> None:
        self.status.setText(_words(exc))

    def _data_changed(self, kinds: frozenset[str]) -> None:
        if not {"setting", "decision"} & kinds or self.dirty():
            return
        if self.isVisible():
            self.refresh()
        else:
            self._reload_on_show = True

    def _fill_entries(self, keep: tuple[str, str | None] | None) -> None:
        assert self.view is not None
        rows: list[tuple[str, tuple[str, str | None]]] = [("Platform defaults", ("platform", None))]
        rows += [(f"Label · {name}", ("labels", key)) for key, name in self.view.labels]
        rows += [(f"Action · {name}", ("actions", key)) for key, name in self.view.actions]
        rows += [(f"Item kind · {kind}", ("kinds", kind)) for kind in self.view.kinds]
        rows += [(f"Report source · {source}", ("sources", source)) for source in self.view.sources]
        rows.append(("Person or rule", ("deciders", None)))
        self.entries.blockSignals(True)
        self.entries.clear()
        for words, key in rows:
            item = QListWidgetItem(words)
            item.setData(_KEY, key)
            self.entries.addItem(item)
        self.entries.blockSignals(False)
        self._mark_entries()
        found = [i for i in range(self.entries.count()) if self.entries.item(i).data(_KEY) == keep]
        self.entries.setCurrentRow(found[0] if found else 0)
        self._show_entry()

    def _mark_entries(self) -> None:
        """Entries not mapped yet, or with a problem, say so in the list."""
        wrong = {where.split(".")[0] + "." + where.split(".")[1] if where.count(".") else where
                 for where, _ in mapping.problems(self.draft)}
        for i in range(self.entries.count()):
            item = self.entries.item(i)
            section, key = item.data(_KEY)
            text = item.text().split("  —")[0]
            missing = key is not None and key not in self.draft.get(section, {}) and not (
                section == "sources" and mapping.DEFAULT_SOURCE in self.draft.get("sources", {}))
            if f"{section}.{key}" in wrong or (key is None and section in wrong):
                text += "  — needs fixing"
            elif missing:
                text += "  — not mapped"
            item.setText(text)

    def _current_key(self) -> tuple[str, str | None] | None:
        item = self.entries.currentItem()
        return tuple(item.data(_KEY)) if item is not None else None  # type: ignore[return-value]

    def _show_entry(self) -> None:
        item = self.entries.currentItem()
        if item is None:
            return
        section, key = item.data(_KEY)
        entry = self.draft.get(section, {}) if key is None else self.draft.get(section, {}).get(key, {})
        self.form.show_entry(section, item.text().split("  —")[0], entry)

    # ------------------------------------------------------------ editing
    def _entry_edited(self, entry: dict[str, Any]) -> None:
        key = self._current_key()
        if key is None:
            return
        section, name = key
        if name is None:
            self.draft[section] = entry
        elif entry or section == "actions":
            self.draft.setdefault(section, {})[name] = entry
        else:
            self.draft.get(section, {}).pop(name, None)
        self._edited()

    def dirty(self) -> bool:
        return self.loaded is not None and self.draft != self.loaded

    def _edited(self) -> None:
        found = mapping.problems(self.draft)
        self._mark_entries()
        if found:
            self.problems.setText("Cannot be saved yet: " + "; ".join(f"{w}: {r}" for w, r in found[:6])
                                  + (f"; and {len(found) - 6} more" if len(found) > 6 else ""))
        else:
            self.problems.setText("Unsaved changes." if self.dirty() else "Saved.")
        self.save_button.setEnabled(self.dirty() and not found)
        self.revert_button.setEnabled(self.dirty())
        self.show_preview()

    def save(self) -> None:
        if not self.dirty() or mapping.problems(self.draft):
            return
        lead, value, expected = self.lead, copy.deepcopy(self.draft), self.loaded
        self.ops.write(lambda writer: mapping.save(writer, lead, value, expected=expected),
                       on_done=self._saved, on_error=self._failed, owner=self)

    def _saved(self, stored: dict[str, Any]) -> None:
        self.loaded, self.draft = stored, copy.deepcopy(stored)
        self.status.setText("Mapping saved: the next export uses it.")
        self._edited()

    def revert(self) -> None:
        if self.loaded is not None:
            self.draft = copy.deepcopy(self.loaded)
            self._show_entry()
            self._edited()

    def choose_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a statements mapping", "",
                                              "Mapping (*.toml *.json);;All files (*)")
        if path:
            self.import_file(path)

    def import_file(self, path: str) -> None:
        """Read and check *path* on the pool; a good file becomes the draft (Save stores it)."""
        self.ops.run(mapping.read_file, path, on_done=self._imported, on_error=self._failed, owner=self)

    def _imported(self, value: dict[str, Any]) -> None:
        self.draft = value
        self._show_entry()
        self._edited()
        self.status.setText("File read and checked: Save to keep it.")

    def choose_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the statements mapping", "statements-mapping.toml",
                                              "TOML (*.toml);;JSON (*.json)")
        if path:
            value = copy.deepcopy(self.draft)
            self.ops.run(mapping.write_file, value, path, owner=self, on_error=self._failed,
                         on_done=lambda _: self.status.setText(f"Mapping written to {Path(path).name}."))

    # ------------------------------------------------------------ preview and refusals
    def show_preview(self) -> None:
        decision_id = self.decisions.currentData()
        if decision_id is None:
            self.statement_box.setPlainText("")
            self.user_text.setPlainText("No decision in the last 30 days to preview.")
            return
        lead, draft = self.lead, copy.deepcopy(self.draft)
        self.ops.query(lambda reader: desk.preview(reader, lead, decision_id, draft), on_done=self._previewed,
                       on_error=self._failed, owner=self)

    def _previewed(self, seen: desk.Preview) -> None:
        self.statement_box.setPlainText(json.dumps(seen.statement, indent=2, ensure_ascii=False)
                                        if seen.statement else "")
        self.user_text.setPlainText(seen.text)
        self.preview_problems.setText(
            "The database would accept it." if seen.statement and not seen.refused else
            "; ".join(f"Refused: {f}: {r} (fix {e})" for f, r, e in seen.refused))

    def check_period(self) -> None:
        """Check the period on the pool, a chunk at a time: a new check, a changed period or leaving the page
        stops the one running (see :func:`export.check_period`), so an abandoned check costs nobody anything."""
        start, end = self.start.date().toString("yyyy-MM-dd"), self.end.date().toString("yyyy-MM-dd")
        lead = self.lead
        self._stop_check()
        stop = self._check_stop = threading.Event()
        self.period_summary.setText("Checking…")
        self.ops.query(lambda reader, progress: export.check_period(reader, lead, start, end, keep_accepted=False,
                                                                    progress=progress, cancelled=stop.is_set),
                       on_done=lambda checked: self._check_ended(stop, checked),
                       on_error=lambda exc: self._check_ended(stop, exc),
                       on_progress=lambda done, total: stop.is_set() or self.period_summary.setText(
                           f"Checking… {done:,} of {total:,} decisions that may restrict"), owner=self)

    def _check_ended(self, stop: threading.Event, outcome: export.Checked | BaseException) -> None:
        """Show a check's outcome unless it was stopped (its words are already there)."""
        if stop.is_set():
            return
        self._check_stop = None
        if isinstance(outcome, BaseException):
            self.period_summary.setText(_words(outcome))
        else:
            self._checked(outcome)

    def _stop_check(self, why: str = "") -> bool:
        """Cancel the running check, if any, saying *why* in its place; whether one was running."""
        running = self._check_stop is not None
        if self._check_stop is not None:
            self._check_stop.set()
            self._check_stop = None
        if running and why:
            self.period_summary.setText(why)
        return running

    def _period_changed(self) -> None:
        self._stop_check("The period changed: check it again (Return).")

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 (Qt's name)
        """Leaving the page stops its check (minimising the window does not); coming back runs it again."""
        super().hideEvent(event)
        if not event.spontaneous() and self._stop_check("Stopped when the page was left: checking again on return."):
            self._recheck_on_show = True

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if self._reload_on_show and not event.spontaneous():
            self._reload_on_show = False
            self.refresh()
        if self._recheck_on_show and not event.spontaneous():
            self._recheck_on_show = False
            self.check_period()

    def _checked(self, checked: export.Checked) -> None:
        self.refusals = checked.refused
        refused = len({r.decision_id for r in checked.refused})
        self.period_summary.setText(
            f"{checked.decisions:,} decisions, {checked.restricting:,} restricting: {checked.accepted_count:,} "
            f"statements the database would accept, {refused:,} it would refuse (saved mapping).")
        self.refused_rows.set_rows([RefusedRow(r, n) for n, r in enumerate(checked.refused)])

    def open_refused_entry(self) -> None:
        """Open the mapping entry the selected refusal names."""
        picked = self.refused.selectionModel().selectedRows()
        if not picked:
            return
        parts = self.refusals[picked[0].data(FigureTableModel.KeyRole)].entry.split(".", 1)
        want = (parts[0], parts[1] if len(parts) > 1 and parts[0] not in ("platform", "deciders") else None)
        for i in range(self.entries.count()):
            if tuple(self.entries.item(i).data(_KEY)) == want:
                self.tabs.setCurrentIndex(0)
                self.entries.setCurrentRow(i)
                self.entries.setFocus()
                return

    def close_page(self) -> None:
        """Stop a running period check and start no more loads; every other read and write is the runner's."""
        self._stop_check()
        self._loads.close()


"""The taxonomy form: choose a TOML file, see it checked (every problem with its line), save it for every desk.

The file is read and validated on a reader (``review.taxonomy.stored``),
with the people whose own keys it would take (``ui.keymap.clashes``),
and what the store keeps is summed up by the page's loader on a reader
(:func:`kept`): never on the GUI thread; a file with problems is shown with each
``FILE:LINE: reason`` and cannot be saved. Saved, it is kept in the store
as the organisation's taxonomy, and the form says plainly that each desk
uses it from its next start of Veil (the taxonomy shapes keys, labels and
rules that are built when Veil starts).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QLabel, QPushButton, QWidget

from review import settings, taxonomy
from review.store import Store
from review.taxonomy import stored
from ui import keymap
from ui.operations import Operations
from ui.pages.settings_forms import SettingForm


def summary(policy: taxonomy.Taxonomy) -> str:
    return (f"{Path(policy.source).name}, version {policy.version}: {len(policy.actions)} actions, "
            f"{len(policy.labels)} labels")


def kept(reader: Store) -> str:
    """What the store keeps, in words: parsed here, on the page's reader, never on the GUI thread."""
    value = settings.read(reader, stored.TAXONOMY)
    if value is None:
        return "Kept in the store: none chosen yet (each desk uses its own file or Veil's bundled taxonomy)."
    try:
        return "Kept in the store: " + summary(taxonomy.loads(value["text"], source=value["file"]))
    except taxonomy.TaxonomyError as exc:  # stored before a stricter check: say so, and let a lead choose again
        return f"Kept in the store: {value['file']}, which cannot be used ({exc.reason}); choose another file."


def checked_file(path: str, reader: Store) -> tuple[dict[str, Any], str]:
    """The setting's value for the file at *path* and its summary; TaxonomyError with every problem's line.

    The summary names the people whose own keys the file would take (their
    other keys still apply; each is told at sign-in), so a lead sees it
    before saving.
    """
    value = stored.read_file(path)
    policy = taxonomy.loads(value["text"], source=value["file"])
    clashing = keymap.clashes(reader, policy)
    said = summary(policy)
    if clashing:
        said += (". Keys of " + "; ".join(f"{name} ({', '.join(why)})" for name, why in sorted(clashing.items()))
                 + " would not apply: the defaults replace them until they choose others")
    return value, said


class TaxonomyForm(SettingForm):
    """Which taxonomy every desk uses: the one in use here, the stored one, and a newly chosen file."""

    def __init__(self, ops: Operations, write: Callable[[Store, Any, Any], Any], in_use: taxonomy.Taxonomy,
                 parent: QWidget | None = None):
        super().__init__(
            "Policy taxonomy",
            "The actions, labels and their keys every desk decides with. A chosen file is checked first; once "
            "saved it is kept in the store, and each desk uses it from its next start of Veil.", ops, write, parent)
        self._chosen: dict[str, Any] | None = None
        self._chosen_summary = ""
        self._file_problem: str | None = None
        self.in_use = QLabel(f"In use on this desk: {summary(in_use)}")
        self.stored_text = QLabel()
        self.chosen_text = QLabel("No new file chosen.")
        self.chosen_text.setWordWrap(True)
        self.choose_button = QPushButton("Choose file…")
        self.choose_button.clicked.connect(self.choose)
        self.choose_button.setMaximumWidth(180)
        self.add_row(0, "", self.in_use)
        self.add_row(1, "", self.stored_text)
        self.add_row(2, "", self.chosen_text)
        self.add_row(3, "", self.choose_button)
        self.fields.setAlignment(self.choose_button, Qt.AlignmentFlag.AlignLeft)
        self.fields.setColumnStretch(1, 1)

    def show_value(self, value: str) -> None:
        """*value* is :func:`kept`'s line: the form only ever saves a newly chosen file."""
        self._chosen, self._file_problem = None, None
        self.chosen_text.setText("No new file chosen.")
        self.stored_text.setText(value)

    def value(self) -> dict[str, Any] | None:
        return self._chosen

    def dirty(self) -> bool:
        return self._chosen is not None or self._file_problem is not None

    def problem(self, value: Any) -> str | None:
        return self._file_problem

    def choose(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a taxonomy file", "", "Taxonomy (*.toml);;All files (*)")
        if path:
            self.check_file(path)

    def check_file(self, path: str) -> None:
        """Read and check *path* on the pool; the outcome shows when it arrives."""
        self.chosen_text.setText(f"Checking {Path(path).name}…")
        self.ops.query(lambda reader: checked_file(path, reader), on_done=self._checked, on_error=self._check_failed,
                       owner=self)

    def _checked(self, outcome: tuple[dict[str, Any], str]) -> None:
        (self._chosen, self._chosen_summary), self._file_problem = outcome, None
        self.chosen_text.setText(f"Chosen: {outcome[1]}. Save to keep it for every desk.")
        self.edited()

    def _check_failed(self, exc: BaseException) -> None:
        if not isinstance(exc, taxonomy.TaxonomyError):
            raise exc
        count = len(exc.problems)
        self._chosen = None
        self._file_problem = (f"{exc.source} cannot be used ({count} problem{'s' if count != 1 else ''}; "
                              f"nothing was changed):\n{exc}")
        self.chosen_text.setText("No new file chosen.")
        self.edited()

    def revert(self) -> None:
        self._chosen, self._file_problem = None, None
        super().revert()

    def _saved_as(self, value: Any, now_stored: Any) -> None:
        super()._saved_as(f"Kept in the store: {self._chosen_summary}", now_stored)  # shown until the reload

""""My settings", for everyone: how media is veiled for me (stricter than the organisation's only), my theme, my keys.

The viewing form offers only what is at least as strict as the
organisation's floor and says why (the domain refuses a weaker wish too:
``review.media.viewing.weaker_parts``). A saved viewing change is handed
to *apply_view* (the desktop wiring passes it to the Review and Audit
pages already open), so the next item shown uses it without a restart;
a saved theme is applied at once (``ui.theme.use``); new keys apply from
the next sign-in, and the form says so. Each save is one event with the
old and new value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

from review import settings
from review.errors import VeilError
from review.media import viewing
from review.media.viewing import ViewSettings
from review.store import Store, User
from review.taxonomy import Taxonomy
from ui import keymap, theme
from ui.operations import Operations
from ui.pages.settings_forms import SettingForm
from ui.pages.settings_keys import KeysForm
from ui.pages.settings_viewing import ThemeForm, ViewForm
from ui.widgets.lists import page_title


@dataclass(frozen=True)
class PersonalSettings:
    """What the page shows: the floor, my stored wishes and keys, and when I changed each last."""

    floor: ViewSettings
    view: dict[str, Any]
    theme: str
    keys: dict[str, str]
    changes: dict[str, settings.Change | None]


def loader(user: User) -> Callable[[Store], PersonalSettings]:
    def load(reader: Store) -> PersonalSettings:
        subjects = {"view": settings.subject(viewing.PERSONAL_VIEW, user),
                    "theme": settings.subject(theme.THEME, user), "keys": settings.subject(keymap.KEYS, user)}
        changes = settings.last_changes(reader, list(subjects.values()))
        return PersonalSettings(viewing.organisation(reader), settings.read(reader, viewing.PERSONAL_VIEW, user=user),
                                settings.read(reader, theme.THEME, user=user),
                                settings.read(reader, keymap.KEYS, user=user),
                                {key: changes.get(subject) for key, subject in subjects.items()})
    return load


def explain_floor(floor: ViewSettings) -> str:
    """The organisation's floor in words: why weaker values are not offered."""
    parts = [f"blur {floor.blur_level}"]
    if floor.grayscale:
        parts.append("greyscale")
    if floor.reduced_detail:
        parts.append("reduced detail")
    parts.append(f"re-blur within {floor.auto_reblur_s:g} s")
    return ("Your organisation veils media at least this much: " + ", ".join(parts)
            + ". You can make it stricter here, never weaker, so weaker values are not offered.")


class PersonalSettingsPage(QWidget):
    """"My settings" for *user*, with the taxonomy *policy* their keys are checked against."""

    loaded = Signal()
    saved = Signal(str)

    def __init__(self, user: User, ops: Operations, policy: Taxonomy,
                 apply_view: Callable[[ViewSettings], None] | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("settingsPersonal")
        self.user, self.ops, self.apply_view = user, ops, apply_view
        self._closed = False
        self._unread = True  # the status line says "Loading…" or why the settings could not be read
        self._floor: ViewSettings | None = None
        self.view_form = ViewForm(
            "How media is shown to me", "Your own viewing. The next item on Review and Audit is shown this way.",
            ops, lambda writer, value, started: settings.write(writer, user, viewing.PERSONAL_VIEW, value,
                                                               expected=started), floor=ViewSettings())
        self.floor_text = QLabel()
        self.floor_text.setObjectName("hint")
        self.floor_text.setWordWrap(True)
        self.view_form.fields.addWidget(self.floor_text, 4, 0, 1, 3)
        self.keys_form = KeysForm(
            ops, lambda writer, value, started: settings.write(writer, user, keymap.KEYS, value, expected=started),
            policy)
        self.theme_form = ThemeForm(
            ops, lambda writer, value, started: settings.write(writer, user, theme.THEME, value, expected=started))
        self.theme_form.never_changed = "Not changed yet: Veil follows the computer's light or dark setting."
        self.forms: dict[str, SettingForm] = {"view": self.view_form, "theme": self.theme_form, "keys": self.keys_form}
        self.view_form.never_changed = "Not changed yet: the organisation's viewing applies."
        self.keys_form.never_changed = "Not changed yet: Veil's default keys apply."
        self.view_form.saved.connect(self._view_saved)
        self.keys_form.saved.connect(self._saved)
        self.theme_form.saved.connect(self._saved)
        for form in self.forms.values():
            form.reverted.connect(self.refresh)

        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 16, 0)
        column.addWidget(self.view_form)
        column.addWidget(self.theme_form)
        column.addWidget(self.keys_form)
        column.addStretch(1)
        area = QScrollArea()
        area.setWidgetResizable(True)
        area.setFrameShape(QScrollArea.Shape.NoFrame)
        area.setWidget(body)
        self.status = QLabel("Loading…")
        self.status.setObjectName("updated")
        explain = QLabel(f"Settings for {user.name} only. Every change is recorded with its old and new value.")
        explain.setObjectName("hint")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 22, 28, 14)
        layout.setSpacing(8)
        layout.addWidget(page_title("My settings"))
        layout.addWidget(explain)
        layout.addWidget(area, 1)
        layout.addWidget(self.status)
        reload = QShortcut(QKeySequence(Qt.Key.Key_F5), self)
        reload.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        reload.activated.connect(self.refresh)
        ops.changed.connect(self._data_changed)
        self.refresh()

    def refresh(self) -> None:
        if not self._closed:
            self.ops.query(loader(self.user), on_done=self._loaded, on_error=self._failed, owner=self)

    def _loaded(self, current: PersonalSettings) -> None:
        self._floor = current.floor
        if not self.view_form.dirty():
            self.view_form.set_floor(current.floor)
            self.floor_text.setText(explain_floor(current.floor))
            self.view_form.loaded(current.view, current.changes["view"])
        if not self.theme_form.dirty():
            self.theme_form.loaded(current.theme, current.changes["theme"])
        if not self.keys_form.dirty():
            self.keys_form.loaded(current.keys, current.changes["keys"])
        if self._unread:  # "Loading…" or a failed read is over; a "saved" message stays
            self.status.setText("")
            self._unread = False
        self.loaded.emit()

    def _failed(self, exc: BaseException) -> None:
        if not isinstance(exc, VeilError):
            raise exc
        self.status.setText(f"Your settings could not be read: {exc}")
        self._unread = True

    def _view_saved(self, title: str) -> None:
        view = viewing.stricter(self._floor or ViewSettings(), self.view_form.view())
        if self.apply_view is not None:
            self.apply_view(view)
        self._saved(title)
        self.status.setText("Saved: the next item on Review and Audit is shown this way.")

    def _saved(self, title: str) -> None:
        self.status.setText(f"{title}: saved." + (" New keys apply from your next sign-in."
                                                   if self.forms["keys"].title == title else ""))
        self.saved.emit(title)
        self.refresh()

    def _data_changed(self, kinds: frozenset[str]) -> None:
        if "setting" in kinds and self.isVisible():
            self.refresh()

    def close_page(self) -> None:
        self._closed = True

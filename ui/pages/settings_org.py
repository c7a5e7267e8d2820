"""The lead's Settings page: the organisation's viewing floor and presets, wellbeing policy, rubric and taxonomy.

Every form shows the stored value and who changed it last (from the event
log), checks what is typed as it is typed, and saves with one domain call
through the operations runner — one change, one event with the old and
new value. "Leads only" is the domain's rule (``review.settings`` and
``audit.audits.set_rubric``): a refusal is shown in its words. The page
reloads when a setting or the rubric changed, from whichever window.

Keys: Ctrl+Tab / Ctrl+Shift+Tab (or Ctrl+PgDown / Ctrl+PgUp) move between tabs, as on the Dashboard and
QA setup, wherever the focus is on the page (a form's field would otherwise keep them); F5 reloads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QScrollArea, QTabWidget, QVBoxLayout, QWidget

from audit import audits
from review import settings, taxonomy
from review.errors import VeilError
from review.media import viewing
from review.store import Store, User
from review.taxonomy import stored
from review.wellbeing import policy as wellbeing_policy
from ui.operations import Operations
from ui.pages.settings_forms import SettingForm
from ui.pages.settings_rules import RubricForm, WellbeingForm
from ui.pages.settings_targets import TargetsTab
from ui.pages.settings_taxonomy import TaxonomyForm
from ui.pages.settings_taxonomy import kept as kept_taxonomy
from ui.pages.settings_viewing import PresetsForm, ViewForm
from ui.widgets.lists import page_title

#: Change kinds (``ops.changed``) after which the page reloads: settings and the rubric (an audit event).
SETTING_CHANGES = frozenset({"setting", "audit"})


@dataclass(frozen=True)
class OrganisationSettings:
    """What the page shows, read in one go on a reader: each value and who changed it last."""

    values: dict[str, Any]  # form key: what the form shows
    changes: dict[str, settings.Change | None]  # form key: its last change
    started: dict[str, Any]  # form key: the stored value the form starts from (a save is refused if it changed)


SETTINGS = {  # form key: its setting (the rubric is audit_rubric's, not a setting)
    "view": viewing.ORGANISATION_VIEW,
    "presets": viewing.SEVERITY_PRESETS,
    "wellbeing": wellbeing_policy.POLICY,
    "taxonomy": stored.TAXONOMY,
}


def load(reader: Store) -> OrganisationSettings:
    """Every organisation setting the page edits, with its last change."""
    values = {
        "view": asdict(viewing.organisation(reader)),
        "presets": viewing.severity_presets(reader),
        "wellbeing": wellbeing_policy.load_policy(reader).as_dict(),
        "rubric": audits.rubric(reader).as_dict(),
        "taxonomy": kept_taxonomy(reader),
    }
    started = {key: settings.read(reader, setting) for key, setting in SETTINGS.items()}
    changes = settings.last_changes(reader, [settings.subject(setting) for setting in SETTINGS.values()])
    last = {key: changes.get(settings.subject(setting)) for key, setting in SETTINGS.items()}
    return OrganisationSettings(values, {**last, "rubric": audits.last_rubric_change(reader)},
                                {**started, "rubric": values["rubric"]})


class OrganisationSettingsPage(QWidget):
    """The "Settings" page for *lead*; *in_use* is the taxonomy this desk started with."""

    loaded = Signal()
    saved = Signal(str)  # the form's title

    def __init__(self, lead: User, ops: Operations, in_use: taxonomy.Taxonomy, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("settingsOrg")
        self.lead, self.ops = lead, ops
        self._closed = False
        self._unread = True  # the status line says "Loading…" or why the settings could not be read

        def saving(setting: settings.Setting) -> Callable[[Store, Any, Any], Any]:
            return lambda writer, value, started: settings.write(writer, lead, setting, value, expected=started)

        def saving_rubric(writer: Store, value: Any, started: Any) -> Any:
            return audits.set_rubric(writer, lead, value, expected=started).as_dict()

        self.forms: dict[str, SettingForm] = {
            "view": ViewForm("Viewing floor",
                             "How media is veiled for everyone: nobody sees it less veiled than this (a person may "
                             "choose stricter). Each desk uses it from its next sign-in.", ops,
                             saving(viewing.ORGANISATION_VIEW)),
            "presets": PresetsForm(ops, saving(viewing.SEVERITY_PRESETS)),
            "wellbeing": WellbeingForm(ops, saving(wellbeing_policy.POLICY)),
            "rubric": RubricForm(ops, saving_rubric),
            "taxonomy": TaxonomyForm(ops, saving(stored.TAXONOMY), in_use),
        }
        self.tabs = QTabWidget()
        self.tabs.setObjectName("dashboardTabs")
        self._unplaced: dict[int, list[SettingForm]] = {}  # tab index: its forms, not laid out until first shown
        waiting = QWidget(self)  # their parent meanwhile (hidden: nothing in it is styled or laid out)
        waiting.hide()
        for title, keys in (("Viewing", ("view", "presets")), ("Wellbeing", ("wellbeing",)),
                            ("Audit rubric", ("rubric",)), ("Taxonomy", ("taxonomy",))):
            self._unplaced[self.tabs.addTab(self._scrolled(), title)] = [self.forms[k] for k in keys]
            for key in keys:
                self.forms[key].setParent(waiting)
        self.tabs.currentChanged.connect(self._place)
        self._place(0)
        self.targets_tab = TargetsTab(lead, ops)  # reads its own two settings (ui.pages.settings_targets)
        self.tabs.addTab(self.targets_tab, "Targets")
        for form in self.forms.values():
            form.saved.connect(self._saved)
            form.reverted.connect(self.refresh)

        self.status = QLabel("Loading…")
        self.status.setObjectName("updated")
        explain = QLabel("The organisation's settings. Every change is recorded with its old and new value.")
        explain.setObjectName("hint")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 22, 28, 14)
        layout.setSpacing(8)
        layout.addWidget(page_title("Settings"))
        layout.addWidget(explain)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.status)
        reload = QShortcut(QKeySequence(Qt.Key.Key_F5), self)
        reload.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        reload.activated.connect(self.refresh)
        for keys, step in (("Ctrl+Tab", 1), ("Ctrl+Shift+Tab", -1)):
            switch = QShortcut(QKeySequence(keys), self)
            switch.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            switch.activated.connect(lambda step=step: self.tabs.setCurrentIndex(
                (self.tabs.currentIndex() + step) % self.tabs.count()))
        self.setFocusProxy(self.tabs)
        ops.changed.connect(self._data_changed)
        self.refresh()

    @staticmethod
    def _scrolled() -> QScrollArea:
        area = QScrollArea()
        area.setWidgetResizable(True)
        area.setFrameShape(QScrollArea.Shape.NoFrame)
        return area

    def _place(self, index: int) -> None:
        """Lay out tab *index*'s forms the first time it is shown: styling and laying out every tab's fields at
        once cost each opening of the page about 15 % of its CPU (85 → 73 ms, issue 22). The forms themselves
        exist from the start, loaded and saved as ever, only not laid out."""
        forms = self._unplaced.pop(index, None)
        if forms is None:
            return
        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(4, 8, 16, 8)
        for form in forms:
            column.addWidget(form)
        column.addStretch(1)
        area = self.tabs.widget(index)
        assert isinstance(area, QScrollArea)
        area.setWidget(body)

    def refresh(self) -> None:
        if not self._closed:
            self.ops.query(load, on_done=self._loaded, on_error=self._failed, owner=self)

    def _loaded(self, current: OrganisationSettings) -> None:
        for key, form in self.forms.items():
            if not form.dirty():  # what a lead is typing is never overwritten by a reload
                form.loaded(current.values[key], current.changes[key], current.started[key])
        if self._unread:  # "Loading…" or a failed read is over; a "saved" message stays
            self.status.setText("")
            self._unread = False
        self.loaded.emit()

    def _failed(self, exc: BaseException) -> None:
        if not isinstance(exc, VeilError):
            raise exc
        self.status.setText(f"The settings could not be read: {exc}")
        self._unread = True

    def _saved(self, title: str) -> None:
        self.status.setText(f"{title}: saved.")
        self.saved.emit(title)
        self.refresh()

    def _data_changed(self, kinds: frozenset[str]) -> None:
        if kinds & SETTING_CHANGES and self.isVisible():
            self.refresh()

    def close_page(self) -> None:
        self._closed = True

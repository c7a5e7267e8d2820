"""The viewing forms: blur, greyscale, reduced detail and re-blur (organisation floor or a person's own), presets,
and a person's theme (:class:`ThemeForm`: system, dark, light or high contrast, applied as soon as it is saved).

:class:`ViewForm` serves both pages: for the organisation it offers every
value; for a person it is given the organisation's floor and offers only
what is stricter (the slider starts at the floor's blur, greyscale and
reduced detail stay on when the floor has them, re-blur ends no later),
saying why — the domain refuses a weaker wish anyway
(``review.media.viewing.weaker_parts``). A small made-up picture (shapes
and a word, nothing harmful) shows what each blur level does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QSlider, QWidget

from review.media import preview
from review.media.viewing import MAX_REBLUR_S, PRESET_SEVERITIES, ViewSettings
from review.store import Store
from ui import theme
from ui.item.qimage import to_array, to_qimage
from ui.operations import Operations
from ui.pages.settings_forms import SettingForm, spin

PREVIEW_SIZE = (220, 124)


def sample_picture() -> np.ndarray:
    """A harmless stand-in picture (a sky, a sun, a word) to show what a blur level hides."""
    image = QImage(*PREVIEW_SIZE, QImage.Format.Format_RGB888)
    image.fill(QColor("#5d86a8"))
    painter = QPainter(image)
    painter.fillRect(0, 84, PREVIEW_SIZE[0], 40, QColor("#4f7a48"))
    painter.setBrush(QColor("#f2c94c"))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(160, 14, 38, 38)
    painter.setPen(QColor("#ffffff"))
    painter.setFont(QFont("Sans", 20, QFont.Weight.Bold))
    painter.drawText(14, 62, "Caption")
    painter.end()
    return to_array(image)


class BlurPreview(QLabel):
    """The sample picture as a view would show it."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._picture = sample_picture()
        self.setFixedSize(*PREVIEW_SIZE)
        self.setAccessibleName("Blur preview")

    def show_view(self, view: ViewSettings) -> None:
        picture = preview.stylise(self._picture) if view.reduced_detail else self._picture
        shown = preview.apply_view(picture, blur_level=view.blur_level, grayscale=view.grayscale)
        self.setPixmap(QPixmap.fromImage(to_qimage(shown)))


class ViewForm(SettingForm):
    """Blur level, greyscale, reduced detail and re-blur seconds; with *floor*, only stricter values are offered."""

    def __init__(self, title: str, explain: str, ops: Operations, write: Callable[[Store, Any, Any], Any],
                 floor: ViewSettings | None = None, parent: QWidget | None = None):
        super().__init__(title, explain, ops, write, parent)
        self.floor = floor
        top = len(preview.BLUR_LEVELS) - 1
        self.blur = QSlider(Qt.Orientation.Horizontal)
        self.blur.setRange(0, top)
        self.blur.setPageStep(1)
        self.blur.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.blur.setAccessibleName("Blur level")
        self.blur_text = QLabel()
        self.blur_text.setMinimumWidth(90)
        blur_row = QWidget()
        blur_layout = QHBoxLayout(blur_row)
        blur_layout.setContentsMargins(0, 0, 0, 0)
        blur_layout.addWidget(self.blur, 1)
        blur_layout.addWidget(self.blur_text)
        self.grey = QCheckBox("Show media in greyscale")
        self.detail = QCheckBox("Reduced detail (stylised, edges kept)")
        self.reblur = spin(1, MAX_REBLUR_S, "s", whole=False, step=1.0)
        self.reblur.setAccessibleName("Re-blur after")
        self.reblur.setMaximumWidth(160)
        self.preview = BlurPreview()
        self.add_row(0, "Blur level", blur_row, hint="0 is off; higher hides more")
        self.add_row(1, "", self.grey)
        self.add_row(2, "", self.detail)
        self.add_row(3, "Re-blur after", self.reblur, hint="a continuous reveal ends by itself after this long")
        self.fields.addWidget(self.preview, 0, 2, 4, 1, Qt.AlignmentFlag.AlignTop)
        self.fields.setColumnStretch(1, 1)
        self.blur.valueChanged.connect(self.edited)
        self.grey.toggled.connect(self.edited)
        self.detail.toggled.connect(self.edited)
        self.reblur.valueChanged.connect(self.edited)
        self.set_floor(floor)

    def set_floor(self, floor: ViewSettings | None) -> None:
        """Offer only what is at least as strict as *floor* (None: everything)."""
        self.floor = floor
        self.blur.setMinimum(floor.blur_level if floor else 0)
        self.reblur.setMaximum(floor.auto_reblur_s if floor else MAX_REBLUR_S)
        self.grey.setEnabled(not (floor and floor.grayscale))
        self.detail.setEnabled(not (floor and floor.reduced_detail))
        for box, kept in ((self.grey, floor and floor.grayscale), (self.detail, floor and floor.reduced_detail)):
            if kept:
                box.setChecked(True)
                box.setToolTip("The organisation has this on for everyone; you cannot turn it off.")

    def show_value(self, value: dict[str, Any]) -> None:
        view = ViewSettings.from_dict({**(asdict(self.floor) if self.floor else {}), **value})
        self.blur.setValue(view.blur_level)
        self.grey.setChecked(view.grayscale or bool(self.floor and self.floor.grayscale))
        self.detail.setChecked(view.reduced_detail or bool(self.floor and self.floor.reduced_detail))
        self.reblur.setValue(view.auto_reblur_s)
        self._paint()

    def value(self) -> dict[str, Any]:
        return asdict(self.view())

    def view(self) -> ViewSettings:
        return ViewSettings(self.blur.value(), self.grey.isChecked(), self.detail.isChecked(), self.reblur.value())

    def dirty(self) -> bool:  # the stored value may be partial ({} until someone saves): compare what it means
        if self._stored is None:
            return False
        base = asdict(self.floor) if self.floor else {}
        return self.value() != asdict(ViewSettings.from_dict({**base, **self._stored}))

    def edited(self, *_: object) -> None:
        self._paint()
        super().edited()

    def _paint(self) -> None:
        self.blur_text.setText(f"{self.blur.value()} of {self.blur.maximum()}")
        self.preview.show_view(self.view())


class PresetsForm(SettingForm):
    """Per severity, what is made stricter: more blur, greyscale, reduced detail, a shorter reveal ("same": none)."""

    def __init__(self, ops: Operations, write: Callable[[Store, Any, Any], Any], parent: QWidget | None = None):
        super().__init__(
            "Stricter viewing by severity",
            "Applied on top of everyone's viewing for items of that severity; a preset can only add protection. "
            "“Same” leaves that part as it is.", ops, write, parent)
        top = len(preview.BLUR_LEVELS) - 1
        self.rows: dict[str, tuple[Any, QCheckBox, QCheckBox, Any]] = {}
        for column, heading in enumerate(("Severity", "Blur at least", "", "", "Re-blur within")):
            if heading:
                label = QLabel(heading)
                label.setObjectName("hint")
                self.fields.addWidget(label, 0, column)
        for row, severity in enumerate(PRESET_SEVERITIES, start=1):
            blur = spin(-1, top)
            blur.setSpecialValueText("same")
            reblur = spin(0, MAX_REBLUR_S, "s", whole=False)
            reblur.setSpecialValueText("same")
            grey, detail = QCheckBox("greyscale"), QCheckBox("reduced detail")
            for widget, what in ((blur, "blur level"), (grey, "greyscale"), (detail, "reduced detail"),
                                 (reblur, "re-blur")):
                widget.setAccessibleName(f"{severity} {what}")
            self.fields.addWidget(QLabel(severity.capitalize()), row, 0)
            for column, widget in enumerate((blur, grey, detail, reblur), start=1):
                self.fields.addWidget(widget, row, column)
            blur.valueChanged.connect(self.edited)
            reblur.valueChanged.connect(self.edited)
            grey.toggled.connect(self.edited)
            detail.toggled.connect(self.edited)
            self.rows[severity] = (blur, grey, detail, reblur)
        self.fields.setColumnStretch(5, 1)

    def show_value(self, value: dict[str, dict[str, Any]]) -> None:
        for severity, (blur, grey, detail, reblur) in self.rows.items():
            preset = value.get(severity, {})
            blur.setValue(preset.get("blur_level", -1))
            grey.setChecked(bool(preset.get("grayscale")))
            detail.setChecked(bool(preset.get("reduced_detail")))
            reblur.setValue(preset.get("auto_reblur_s", 0))

    def value(self) -> dict[str, dict[str, Any]]:
        presets: dict[str, dict[str, Any]] = {}
        for severity, (blur, grey, detail, reblur) in self.rows.items():
            preset: dict[str, Any] = {}
            if blur.value() >= 0:
                preset["blur_level"] = blur.value()
            if grey.isChecked():
                preset["grayscale"] = True
            if detail.isChecked():
                preset["reduced_detail"] = True
            if reblur.value() > 0:
                preset["auto_reblur_s"] = reblur.value()
            if preset:
                presets[severity] = preset
        return presets


THEME_NAMES = {"system": "As the computer is set (light or dark)", "dark": "Dark", "light": "Light",
               "high-contrast": "High contrast"}


class ThemeForm(SettingForm):
    """The person's theme (``ui.theme.THEME``); saved, it is applied at once (:func:`ui.theme.use`), no restart."""

    def __init__(self, ops: Operations, write: Callable[[Store, Any, Any], Any], parent: QWidget | None = None):
        super().__init__("Theme", "Dark, light or high contrast; by default Veil follows the computer's light or "
                         "dark setting, and changes with it.", ops, write, parent)
        self.choice = QComboBox()
        self.choice.setAccessibleName("Theme")
        for value in theme.CHOICES:
            self.choice.addItem(THEME_NAMES[value], value)
        self.choice.currentIndexChanged.connect(self.edited)
        self.add_row(0, "Theme", self.choice)
        self.fields.setColumnStretch(2, 1)
        self.saved.connect(lambda _title: theme.use(self.value()))

    def show_value(self, value: str) -> None:
        self.choice.setCurrentIndex(max(0, self.choice.findData(value)))

    def value(self) -> str:
        return str(self.choice.currentData())

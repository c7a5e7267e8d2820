"""The painted pieces of the video view: the keyframe grid, the large canvas, the control bar.

They only paint what they are given (always already veiled, or unblurred
only while the page holds reveal or a region is dragged open on the large
frame) and report clicks; what a click means is the view's business.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QSizePolicy, QToolButton, QWidget

from ui.item.media import VeiledImage
from ui.item.video.frames import Shot, format_time
from ui.theme import COLORS

LARGE_BOX_MIN = (320, 180)
LARGE_BOX_MAX = (1920, 1080)


def large_box(width: int, height: int, pixel_ratio: float) -> tuple[int, int]:
    """Device pixels for the large frame in an area ``width`` x ``height``: never tiny, never past 1080p."""
    ratio = max(1.0, pixel_ratio)
    return (
        max(LARGE_BOX_MIN[0], min(LARGE_BOX_MAX[0], int(width * ratio))),
        max(LARGE_BOX_MIN[1], min(LARGE_BOX_MAX[1], int(height * ratio))),
    )


def paint_fitted(painter: QPainter, image: QImage, area: QRectF) -> QRectF:
    """Draw ``image`` as large as fits in ``area``, centred, aspect kept."""
    if image.isNull() or area.width() <= 0 or area.height() <= 0:
        return QRectF()
    scale = min(area.width() / image.width(), area.height() / image.height())
    w, h = image.width() * scale, image.height() * scale
    target = QRectF(area.x() + (area.width() - w) / 2, area.y() + (area.height() - h) / 2, w, h)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
    painter.drawImage(target, image)
    return target


class Thumb(QWidget):
    """One blurred keyframe with its timestamp; click selects, double-click opens."""

    clicked = Signal(int)
    activated = Signal(int)

    def __init__(self, index: int, shot: Shot, *, tenths: bool = False, parent: QWidget | None = None):
        super().__init__(parent)
        self.index = index
        self.time_text = format_time(shot.time_s, tenths=tenths)
        self._image = shot.veiled
        self._selected = False
        self.setObjectName("videoThumb")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setMinimumSize(96, 54)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName(f"Keyframe {index + 1} at {self.time_text}")
        self.setToolTip(f"{self.time_text} — Enter or double-click to open (blurred)")

    def image(self) -> QImage:
        return self._image

    def set_image(self, image: QImage) -> None:
        self._image = image
        self.update()

    def selected(self) -> bool:
        return self._selected

    def set_selected(self, selected: bool) -> None:
        if selected != self._selected:
            self._selected = selected
            self.update()

    def sizeHint(self) -> QSize:
        return QSize(192, 108)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        outer = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(COLORS["sunken"]))
        painter.drawRoundedRect(outer, 4, 4)
        picture = paint_fitted(painter, self._image, outer.adjusted(3, 3, -3, -3))
        # Timestamp, bottom right, on a soft dark chip.
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        painter.setFont(font)
        metrics = painter.fontMetrics()
        text_w = metrics.horizontalAdvance(self.time_text) + 10
        text_h = metrics.height() + 2
        anchor = picture if not picture.isEmpty() else outer
        chip = QRectF(anchor.right() - text_w - 4, anchor.bottom() - text_h - 4, text_w, text_h)
        chip_colour = QColor(COLORS["chip"])
        chip_colour.setAlpha(190)
        painter.setBrush(chip_colour)
        painter.drawRoundedRect(chip, 3, 3)
        painter.setPen(QColor(COLORS["text"]))
        painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, self.time_text)
        border = QColor(COLORS["accent"] if self._selected else COLORS["border"])
        painter.setPen(QPen(border, 2 if self._selected else 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(outer, 4, 4)
        painter.end()

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.index)
        super().mousePressEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.activated.emit(self.index)


class Canvas(VeiledImage):
    """The large frame (still or playing), letterboxed: the picture widget itself, so the page's held key reveals
    it whole and a dragged rectangle reveals only that region, with the same accounting as a picture's."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("videoCanvas")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setMinimumSize(160, 90)

    def image(self) -> QImage | None:
        """The whole frame painted now (veiled, or clear while revealed whole); None when there is none."""
        return self.painted_image()


def _tool_button(text: str, tip: str, name: str) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setToolTip(tip)
    button.setObjectName(name)
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys stay with the view (and Space with the page)
    button.setAutoRaise(True)
    return button


class ControlBar(QWidget):
    """Storyboard, play, skip and speed buttons, the position, a note line and the "Muted" sign.

    Buttons never take focus: keys stay with the view (and Space with the page).
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("videoControls")
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 4, 8, 2)
        row.setSpacing(4)
        self.grid_button = _tool_button("Storyboard", "Back to the storyboard (Esc or Backspace)", "videoGridButton")
        self.play_button = _tool_button("Play", "Play, muted (P)", "videoPlayButton")
        self.back_button = _tool_button("−5 s", "Back 5 seconds (← or J)", "videoBackButton")
        self.forward_button = _tool_button("+5 s", "Forward 5 seconds (→ or L)", "videoForwardButton")
        self.speed_button = _tool_button("1×", "Speed: 1×, 1.5×, 2× (] faster, [ slower)", "videoSpeedButton")
        self.position_label = QLabel("0:00 / 0:00")
        self.position_label.setObjectName("videoPosition")
        self.position_label.setToolTip("Position / duration")
        self.note = QLabel()
        self.note.setObjectName("hint")
        self.muted = QLabel("Muted")
        self.muted.setObjectName("videoMuted")
        self.muted.setToolTip("Veil never plays sound: video is always muted")
        self.muted.setAccessibleName("Muted: Veil never plays sound")
        for widget in (self.grid_button, self.play_button, self.back_button, self.forward_button,
                       self.speed_button, self.position_label):
            row.addWidget(widget)
        row.addSpacing(8)
        row.addWidget(self.note, 1)
        row.addWidget(self.muted)

    def show_state(self, *, playable: bool, in_frame: bool, playing: bool, speed: float,
                   position: float, duration: float) -> None:
        """Enable and label the controls for what the view is doing now."""
        self.play_button.setEnabled(playable)
        self.back_button.setEnabled(playable)
        self.forward_button.setEnabled(playable)
        self.speed_button.setEnabled(playable)
        self.grid_button.setEnabled(in_frame)
        self.play_button.setText("Pause" if playing else "Play")
        self.play_button.setToolTip("Pause (P or K)" if playing else "Play, muted (P)")
        self.speed_button.setText(f"{speed:g}×")
        self.position_label.setText(f"{format_time(position)} / {format_time(duration)}")


class StoryboardGrid(QWidget):
    """The grid of blurred keyframes, three to a row, with one of them selected.

    ``shots`` are the storyboard's frames behind the thumbnails (their raw
    pixels kept so a change of blur level needs no second decode).

    ``clicked(index)`` selects, ``activated(index)`` (double-click) opens;
    the view decides what both mean.
    """

    clicked = Signal(int)
    activated = Signal(int)
    COLUMNS = 3

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("videoStoryboard")
        self._layout = QGridLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(6)
        self.thumbs: list[Thumb] = []
        self.shots: tuple[Shot, ...] = ()
        self.selected = 0

    def fill(self, shots: tuple[Shot, ...]) -> None:
        """One thumbnail per shot; the first is selected."""
        self.shots = shots
        # A short clip's keyframes (a GIF's above all) fall within the same second: tenths tell them apart.
        whole = [format_time(shot.time_s) for shot in shots]
        tenths = len(set(whole)) < len(whole)
        for index, shot in enumerate(shots):
            thumb = Thumb(index, shot, tenths=tenths)
            thumb.clicked.connect(self.clicked)
            thumb.activated.connect(self.activated)
            self._layout.addWidget(thumb, index // self.COLUMNS, index % self.COLUMNS)
            self.thumbs.append(thumb)
        self.selected = 0
        self._mark_selected()

    def clear(self) -> None:
        for thumb in self.thumbs:
            self._layout.removeWidget(thumb)
            thumb.deleteLater()
        self.thumbs = []
        self.shots = ()
        self.selected = 0

    def select(self, index: int) -> None:
        """Select keyframe ``index``, clamped to the grid; nothing when empty."""
        if not self.thumbs:
            return
        self.selected = max(0, min(len(self.thumbs) - 1, index))
        self._mark_selected()

    def _mark_selected(self) -> None:
        for thumb in self.thumbs:
            thumb.set_selected(thumb.index == self.selected)

    def set_images(self, shots: tuple[Shot, ...]) -> None:
        """Re-veiled thumbnails, in grid order."""
        self.shots = shots
        for thumb, shot in zip(self.thumbs, shots):
            thumb.set_image(shot.veiled)

    def selected_shot(self) -> Shot:
        return self.shots[self.selected]

    def nearest(self, time_s: float) -> int:
        """The keyframe closest to ``time_s`` (the grid must not be empty)."""
        return min(range(len(self.shots)), key=lambda i: abs(self.shots[i].time_s - time_s))

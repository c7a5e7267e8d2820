"""The veiled image: blurred by default, revealed only by a deliberate act.

Two pictures of the same item arrive ready-made from a worker: the *veiled*
one (blurred, grayscale, maybe stylised) and the *clear* one. This widget
only chooses which pixels of which to paint:

- nothing is revealed: the veiled picture;
- Space held (``set_whole_reveal(True)``): the clear picture;
- a rectangle dragged with the mouse: the clear picture inside it only.

A picture may come without its clear twin (a video's blurred thumbnail
standing in until the large frame arrives): nothing can be revealed then.
:meth:`VeiledImage.replace_images` swaps in the next frame of the same
video and keeps what is revealed, as a held key keeps revealing it; the
video's large view (``ui.item.video.parts.Canvas``) is this widget, so a
region is revealed on a keyframe as on a picture.

It never decodes, blurs or scales an image itself beyond the final paint.
Zoom is a factor on top of "fit to the area"; 1.0 is fit. Zoomed in, the
picture pans (:meth:`VeiledImage.pan_by`: the page's arrow keys, or a drag
with the right or middle button — the left one reveals), never past its
edges; a revealed region moves with it.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen, QWheelEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from ui import theme

MIN_ZOOM, MAX_ZOOM = 1.0, 6.0
MIN_REGION_PX = 8  # a click is not a drag
PAN_BUTTONS = (Qt.MouseButton.RightButton, Qt.MouseButton.MiddleButton)  # the left button reveals a region


class VeiledImage(QWidget):
    """Paints one item's media; emits ``reveal_changed`` with "whole", "region" or None."""

    reveal_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("veiledImage")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 240)
        self.setMouseTracking(False)
        self._veiled: QImage | None = None
        self._clear: QImage | None = None
        self._message = ""
        self._whole = False
        self._region: QRectF | None = None  # in image coordinates (0..1 each axis)
        self._drag_from: QPoint | None = None
        self._drag_to: QPoint | None = None
        self._zoom = 1.0
        self._pan = QPointF()  # the zoomed picture's shift from centred, in pixels
        self._pan_from: QPointF | None = None  # where a pan drag is now

    # ------------------------------------------------------------- content
    def show_images(self, veiled: QImage, clear: QImage | None) -> None:
        """A new item: everything re-blurs and the zoom returns to fit. Without *clear*, nothing can be revealed."""
        self._veiled, self._clear, self._message = veiled, clear, ""
        self._reset_view()

    def replace_images(self, veiled: QImage, clear: QImage | None) -> None:
        """The next frame of the same video: what is revealed (whole or a region) and the zoom stay."""
        before = self.reveal_state()
        self._veiled, self._clear, self._message = veiled, clear, ""
        if clear is None:
            self._whole, self._region = False, None
        self._emit_if_changed(before)
        self.update()

    def painted_image(self) -> QImage | None:
        """The whole picture painted now: the clear one while revealed whole, else the veiled one."""
        return self._clear if self._whole and self._clear is not None else self._veiled

    def show_message(self, text: str) -> None:
        """A calm placeholder instead of media (preparing, hidden, cannot be shown)."""
        self._veiled = self._clear = None
        self._message = text
        self._reset_view()

    def clear(self) -> None:
        self.show_message("")

    def _reset_view(self) -> None:
        was = self.reveal_state()
        self._whole, self._region, self._drag_from, self._zoom = False, None, None, 1.0
        self._pan, self._pan_from = QPointF(), None
        if was is not None:
            self.reveal_changed.emit(None)
        self.update()

    @property
    def has_image(self) -> bool:
        return self._veiled is not None

    @property
    def can_reveal(self) -> bool:
        """A picture is shown and its clear twin is here."""
        return self._veiled is not None and self._clear is not None

    def message(self) -> str:
        return self._message

    # --------------------------------------------------------------- reveal
    def reveal_state(self) -> str | None:
        if self._whole:
            return "whole"
        if self._region is not None:
            return "region"
        return None

    def set_whole_reveal(self, on: bool) -> None:
        if not self.can_reveal or on == self._whole:
            return
        before = self.reveal_state()
        self._whole = on
        self._emit_if_changed(before)
        self.update()

    def reveal_region(self, region: QRectF | None) -> None:
        """Reveal only *region* (image coordinates, each axis 0..1), or none."""
        if not self.can_reveal:
            return
        before = self.reveal_state()
        self._region = region.intersected(QRectF(0, 0, 1, 1)) if region is not None else None
        if self._region is not None and self._region.isEmpty():
            self._region = None
        self._emit_if_changed(before)
        self.update()

    def reblur(self) -> None:
        """End every reveal at once (Esc, auto re-blur, item change)."""
        before = self.reveal_state()
        self._whole, self._region = False, None
        self._emit_if_changed(before)
        self.update()

    def _emit_if_changed(self, before: str | None) -> None:
        if self.reveal_state() != before:
            self.reveal_changed.emit(self.reveal_state())

    # ----------------------------------------------------------------- zoom
    def zoom(self) -> float:
        return self._zoom

    def set_zoom(self, factor: float) -> None:
        self._zoom = min(MAX_ZOOM, max(MIN_ZOOM, factor))
        self._pan = self._clamped(self._pan)
        self.update()

    def pan_by(self, dx: float, dy: float) -> bool:
        """Move the zoomed picture by (dx, dy) pixels, kept covering the area; False at fit (nothing to pan)."""
        if self._zoom <= MIN_ZOOM or self._veiled is None:
            return False
        self._pan = self._clamped(self._pan + QPointF(dx, dy))
        self.update()
        return True

    def _clamped(self, pan: QPointF) -> QPointF:
        """*pan* limited so no edge of the zoomed picture comes inside the area it overflows."""
        centred = self._centred_rect()
        area = self._area()
        room_x = max(0.0, (centred.width() - area.width()) / 2)
        room_y = max(0.0, (centred.height() - area.height()) / 2)
        return QPointF(min(room_x, max(-room_x, pan.x())), min(room_y, max(-room_y, pan.y())))

    def zoom_in(self) -> None:
        self.set_zoom(self._zoom * 1.25)

    def zoom_out(self) -> None:
        self.set_zoom(self._zoom / 1.25)

    def fit(self) -> None:
        self.set_zoom(1.0)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom_in() if event.angleDelta().y() > 0 else self.zoom_out()
            event.accept()
        else:
            super().wheelEvent(event)

    # ------------------------------------------------------------- geometry
    def image_rect(self) -> QRectF:
        """Where the image is painted: fitted, centred, zoomed about the centre, then panned."""
        return self._centred_rect().translated(self._clamped(self._pan))  # clamped again: the area may have shrunk

    def _area(self) -> QRectF:
        return QRectF(self.rect()).adjusted(8, 8, -8, -8)

    def _centred_rect(self) -> QRectF:
        if self._veiled is None:
            return QRectF()
        area = self._area()
        w, h = self._veiled.width(), self._veiled.height()
        scale = min(area.width() / w, area.height() / h) * self._zoom
        size_w, size_h = w * scale, h * scale
        return QRectF(area.center().x() - size_w / 2, area.center().y() - size_h / 2, size_w, size_h)

    def _to_image(self, point: QPoint) -> QPointF:
        rect = self.image_rect()
        return QPointF((point.x() - rect.x()) / rect.width(), (point.y() - rect.y()) / rect.height())

    # ---------------------------------------------------------------- mouse
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() in PAN_BUTTONS and self._zoom > MIN_ZOOM and self.has_image:
            self._pan_from = event.position()
        elif event.button() == Qt.MouseButton.LeftButton and self.can_reveal:
            self._drag_from = self._drag_to = event.position().toPoint()
            self.update()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            moved, self._pan_from = event.position() - self._pan_from, event.position()
            self.pan_by(moved.x(), moved.y())
        if self._drag_from is not None:
            self._drag_to = event.position().toPoint()
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() in PAN_BUTTONS:
            self._pan_from = None
        if self._drag_from is None or event.button() != Qt.MouseButton.LeftButton:
            return
        start, end = self._drag_from, event.position().toPoint()
        self._drag_from = self._drag_to = None
        if abs(end.x() - start.x()) >= MIN_REGION_PX and abs(end.y() - start.y()) >= MIN_REGION_PX:
            a, b = self._to_image(start), self._to_image(end)
            self.reveal_region(QRectF(a, b).normalized())
        self.update()

    # ---------------------------------------------------------------- paint
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.fillRect(self.rect(), self.palette().window())
        if self._veiled is None:
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(self.rect().adjusted(24, 24, -24, -24),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self._message)
            return
        target = self.image_rect()
        painter.setClipRect(QRectF(self.rect()))
        if self._whole and self._clear is not None:
            painter.drawImage(target, self._clear)
        else:
            painter.drawImage(target, self._veiled)
            if self._region is not None and self._clear is not None:
                self._paint_region(painter, target, self._clear)
        if self._drag_from is not None and self._drag_to is not None:
            painter.setPen(QPen(_veil_line(180), 1, Qt.PenStyle.DashLine))
            painter.drawRect(QRect(self._drag_from, self._drag_to).normalized())

    def _paint_region(self, painter: QPainter, target: QRectF, clear: QImage) -> None:
        r = self._region
        source = QRectF(r.x() * clear.width(), r.y() * clear.height(), r.width() * clear.width(),
                        r.height() * clear.height())
        dest = QRectF(target.x() + r.x() * target.width(), target.y() + r.y() * target.height(),
                      r.width() * target.width(), r.height() * target.height())
        painter.drawImage(dest, clear, source)
        painter.setPen(QPen(_veil_line(140), 1))
        painter.drawRect(dest)


def _veil_line(alpha: int) -> QColor:
    """The theme's outline of a revealed region or a drag, see-through by *alpha* (0-255)."""
    line = QColor(theme.COLORS["veil_line"])
    line.setAlpha(alpha)
    return line

"""The line chart: one line per series over shared x labels, with shaded interval bands.

``None`` is a gap in the line, never a 0; a lone interval (no neighbours to
make an area with) is drawn as an error bar; a single series carries its
values in words.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen, QPolygonF

from ui.widgets.charts.ink import (
    NO_DATA,
    Ink,
    Interval,
    Palette,
    check_size,
    error_bar,
    fmt,
    runs,
    value_axis,
)


@dataclass(frozen=True)
class LineChart:
    """Series over shared x labels; ``bands`` (per series name) shade an interval around the line."""

    title: str
    x_labels: Sequence[str]
    series: dict[str, Sequence[float | None]]
    bands: dict[str, Sequence[Interval | None]] | None = None
    unit: str = ""
    x_title: str = ""  # under the x labels ("hour, UTC")
    y_title: str = ""  # along the value axis ("items per hour")
    counts: bool = False  # the values are counts: whole-number ticks

    def __post_init__(self) -> None:
        for name, values in self.series.items():
            check_size(f"series {name!r}", values, len(self.x_labels))
        for name, values in (self.bands or {}).items():
            if name not in self.series:
                raise ValueError(f"band {name!r} has no series of that name")
            check_size(f"band {name!r}", values, len(self.x_labels))

    def paint(self, painter: QPainter, rect: QRectF, palette: Palette, text_scale: float = 1.0) -> None:
        names = list(self.series)
        colors = [palette.color(palette.series[i % len(palette.series)]) for i in range(len(names))]
        ink = Ink(painter, rect, palette, text_scale)
        top = ink.title(self.title, list(zip(names, colors)) if len(names) > 1 else ())
        values = [v for vs in self.series.values() for v in vs if v is not None]
        bands = [iv for ivs in (self.bands or {}).values() for iv in ivs if iv]
        if not values:
            ink.no_data(top)
            return
        low = min(values + [iv[0] for iv in bands])
        high = max(values + [iv[1] for iv in bands])
        if low >= 0 and low <= high / 2:
            low = 0.0
        ticks, labels, label_h, value_h, left, right, bottom, plot_top = value_axis(
            ink, top, low, high, self.unit, self.x_title, self.y_title, self.counts)
        ink.axis_title(self.x_title, left, right, bottom + label_h + 10 * ink.s)
        ink.side_title(self.y_title, plot_top, bottom)
        inset = 24 * ink.s
        count = len(self.x_labels)
        spacing = (right - left - 2 * inset) / (count - 1) if count > 1 else 0.0

        def x_at(i: int) -> float:
            return left + inset + spacing * i if count > 1 else (left + right) / 2

        def y_at(v: float) -> float:
            return bottom - (v - ticks[0]) / (ticks[-1] - ticks[0]) * (bottom - plot_top)

        for tick, text in zip(ticks, labels):
            y = y_at(tick)
            ink.line(QPointF(left, y), QPointF(right, y), palette.grid, 1)
            ink.text(QRectF(rect.left(), y - label_h / 2, left - rect.left() - 8 * ink.s, label_h), text,
                     ink.label_font, palette.muted, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        widest = max(ink.width(x, ink.label_font) for x in self.x_labels) + 10 * ink.s
        every = 1 if count < 2 or spacing >= widest else math.ceil(widest / spacing)
        for i, x_label in enumerate(self.x_labels):
            if i % every == 0:
                x = x_at(i)
                room = max(spacing, widest) if count > 1 else right - left
                ink.text(QRectF(x - room / 2, bottom + 6 * ink.s, room, label_h), x_label, ink.label_font,
                         palette.text, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for name, color in zip(names, colors):
            for start, stop in runs([iv is not None for iv in (self.bands or {}).get(name, [])]):
                band = self.bands[name]
                if stop - start == 1:  # a lone interval has no area: draw it as an error bar
                    error_bar(ink, ticks, y_at, *band[start], x_at(start), 5 * ink.s, vertical=True, color=color)
                    continue
                upper = [QPointF(x_at(i), y_at(band[i][1])) for i in range(start, stop)]
                lower = [QPointF(x_at(i), y_at(band[i][0])) for i in reversed(range(start, stop))]
                shade = QColor(color)
                shade.setAlphaF(0.18)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(shade)
                painter.drawPolygon(QPolygonF(upper + lower))
            series = self.series[name]
            pen = QPen(color, 2.4 * ink.s)
            pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
            for start, stop in runs([v is not None for v in series]):
                path = QPainterPath(QPointF(x_at(start), y_at(series[start])))
                for i in range(start + 1, stop):
                    path.lineTo(x_at(i), y_at(series[i]))
                painter.setPen(pen)
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawPath(path)
            painter.setPen(QPen(QColor(palette.background), 1.5 * ink.s))
            painter.setBrush(color)
            for i, v in enumerate(series):
                if v is not None:
                    painter.drawEllipse(QPointF(x_at(i), y_at(v)), 4 * ink.s, 4 * ink.s)
        if len(names) == 1:
            series = self.series[names[0]]
            label_w = max(ink.width(fmt(v, self.unit), ink.value_font) for v in values) + 6 * ink.s
            shown = [i for i, v in enumerate(series) if v is not None]
            if count > 1 and spacing < label_w:
                shown = shown[-1:]
            lone = {start for start, stop in runs([iv is not None for iv in (self.bands or {}).get(names[0], [])])
                    if stop - start == 1}
            for i in shown:
                top_y = y_at(series[i])
                if i in lone:  # above its error bar, not across it
                    top_y = min(top_y, y_at(min(self.bands[names[0]][i][1], ticks[-1])))
                y = top_y - value_h - 6 * ink.s
                ink.text(QRectF(x_at(i) - label_w, y, 2 * label_w, value_h), fmt(series[i], self.unit),
                         ink.value_font, palette.text, Qt.AlignmentFlag.AlignCenter)
        for i in range(len(self.x_labels)):
            if all(self.series[n][i] is None for n in names) and spacing >= widest:
                ink.text(QRectF(x_at(i) - spacing / 2, bottom - value_h - 4 * ink.s, spacing, value_h), NO_DATA,
                         ink.label_font, palette.muted, Qt.AlignmentFlag.AlignCenter)
